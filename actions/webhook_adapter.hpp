// The `webhook` action adapter (config.md): each firing is POSTed, as the firing JSON of
// formats.md, to a URL over a pool of keep-alive HTTP/1.1 connections (https through
// OpenSSL, verified against the system's CA store).
//
// Headers: `Content-Type: application/json`, `Idempotency-Key: <firing_id>` (the same
// after a retry or a restart, so a receiver that deduplicates on it sees each firing
// once), `X-Spur-Signature: sha256=<hex HMAC-SHA256 of the body>` when a secret is set,
// and the configured ones.
//
// Outcomes: 2xx is delivered. 408, 429 and 5xx answers, timeouts and connection errors are
// tried again after an exponential backoff with full jitter (at least the Retry-After of
// a 429 or 503); any other answer, or the last retry failing, sends the firing to the
// dead letter. A circuit breaker per adapter stops sending after kBreakerFailures
// failures in a row and sends one probe after a cool-down (1 s, doubling to 30 s while
// probes fail); meanwhile firings wait in the queue and use no attempt.
//
// Threading: `connections` threads, each owning one connection and its own io_context;
// submit() takes the queue's mutex only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actions/dead_letter.hpp"
#include "actions/http_client.hpp"
#include "actions/queued_adapter.hpp"
#include "actions/settings.hpp"

namespace spur::actions {

// hex(HMAC-SHA256(key, body)).
std::string hmac_sha256_hex(std::string_view key, std::string_view body);

class WebhookAdapter final : public QueuedAdapter {
 public:
  static constexpr int kBreakerFailures = 5;

  // Throws std::invalid_argument for a bad URL. `dead_letter` outlives the adapter.
  WebhookAdapter(std::string name, WebhookSettings settings, DeadLetter& dead_letter);
  ~WebhookAdapter() override;

  void submit(Delivery delivery) override;
  void stop(std::chrono::steady_clock::time_point deadline) override;
  DeliveryCounts counts() const override;
  // Whether the breaker is open now (for metrics and tests).
  bool circuit_open() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    Delivery delivery;
    int attempts = 0;  // made so far
    std::string last_error;
    bool probe = false;  // sent by a half-open breaker: its outcome closes or reopens it
  };
  // The next firing this worker may send now, waiting for one; null once stopping and
  // nothing is left, or at the stop's deadline.
  std::unique_ptr<Pending> take();
  void work();
  // After an attempt: settles, schedules the retry, or dead-letters; moves the breaker.
  void finish(std::unique_ptr<Pending> pending, int status, std::string error,
              int64_t retry_after_ms);
  // False when the dead letter's file refused it: the firing is then left unsettled (in
  // storage mode disk it stays in the outbox, to be delivered after a restart).
  bool dead_letter(Pending& pending);
  Clock::duration backoff(int attempts, int64_t retry_after_ms);

  const std::string name_;
  const WebhookSettings settings_;
  const HttpTarget target_;
  DeadLetter& dead_letter_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;                // work arrived, a retry or the breaker is due, stop
  std::condition_variable settled_;             // something was settled (stop() waits on it)
  std::deque<std::unique_ptr<Pending>> fresh_;  // guarded by mutex_
  // Firings waiting for their retry, by when it is due; guarded by mutex_.
  std::multimap<Clock::time_point, std::unique_ptr<Pending>> retries_;
  size_t held_ = 0;                 // taken, not settled; guarded by mutex_
  int failures_in_row_ = 0;         // guarded by mutex_
  Clock::time_point open_until_{};  // breaker open before this; guarded by mutex_
  Clock::duration cool_down_{};     // the next opening's length; guarded by mutex_
  bool probing_ = false;            // a half-open breaker's probe is out; guarded by mutex_
  bool stopping_ = false;           // guarded by mutex_
  bool halted_ = false;             // the stop's deadline passed; guarded by mutex_
  uint64_t delivered_ = 0, retried_ = 0, dead_lettered_ = 0;  // guarded by mutex_

  std::vector<std::thread> threads_;
};

}  // namespace spur::actions
