// Adapters that deliver a firing later than they take it (webhook, Kafka): a shard or
// the log writer hands a firing over without waiting, and the adapter's own threads
// deliver it, retry it, or write it to the dead letter. A slow or dead receiver fills
// the adapter's bounded queue and no more: it never stalls a shard.
//
// Thread-safety: submit() and counts() from any thread; stop() from one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace spur::actions {

// One firing for one adapter.
struct Delivery {
  std::string user;
  std::string json;  // the firing JSON of formats.md, which begins with its firing_id
  // Called once, on one of the adapter's threads, when the adapter is done with the
  // firing: delivered, or written to the dead letter. Never called for a firing that
  // stop() leaves undelivered. May be empty.
  std::function<void()> settled;
};

// What an adapter did, for /metrics.
struct DeliveryCounts {
  uint64_t delivered = 0;  // confirmed by the receiver
  uint64_t retried = 0;    // attempts that failed and were tried again
  uint64_t dead_lettered =
      0;                // written to the dead letter (last retry failed, refused, or queue full)
  uint64_t queued = 0;  // taken and not yet settled (gauge)
};

class QueuedAdapter {
 public:
  virtual ~QueuedAdapter() = default;
  // Takes the firing without waiting. When the queue is full the firing goes to the dead
  // letter at once (error "queue full").
  virtual void submit(Delivery delivery) = 0;
  // Delivers what it holds until all is settled or `deadline` passes, then stops its
  // threads. Firings still unsettled are left so: in storage mode disk they are still in
  // the outbox and are delivered after the restart.
  virtual void stop(std::chrono::steady_clock::time_point deadline) = 0;
  virtual DeliveryCounts counts() const = 0;
};

// The firing_id at the start of a firing's JSON (`{"firing_id":"<hex>",...`, formats.md
// key order); "" when the text does not start so.
std::string firing_id_of(const std::string& json);

}  // namespace spur::actions
