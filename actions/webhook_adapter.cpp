#include "actions/webhook_adapter.hpp"

#include <openssl/hmac.h>

#include <random>

namespace spur::actions {

std::string hmac_sha256_hex(std::string_view key, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size_t{size} * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

WebhookAdapter::WebhookAdapter(std::string name, WebhookSettings settings, DeadLetter& dead_letter)
    : name_(std::move(name)),
      settings_(std::move(settings)),
      target_(HttpTarget::parse(settings_.url)),
      dead_letter_(dead_letter),
      cool_down_(std::chrono::seconds(1)) {
  for (int i = 0; i < std::max(1, settings_.connections); ++i)
    threads_.emplace_back([this] { work(); });
}

WebhookAdapter::~WebhookAdapter() {
  stop(Clock::now());
}

void WebhookAdapter::submit(Delivery delivery) {
  {
    const std::lock_guard lock(mutex_);
    if (!stopping_ && held_ < settings_.queue) {
      ++held_;
      fresh_.push_back(std::make_unique<Pending>(Pending{
          .delivery = std::move(delivery), .attempts = 0, .last_error = {}, .probe = false}));
      wake_.notify_one();
      return;
    }
    ++dead_lettered_;
  }
  Pending refused{.delivery = std::move(delivery),
                  .attempts = 0,
                  .last_error = "queue full: " + std::to_string(settings_.queue) +
                                " firings wait for the receiver (actions." + name_ + ".queue)",
                  .probe = false};
  if (dead_letter(refused) && refused.delivery.settled) refused.delivery.settled();
}

std::unique_ptr<WebhookAdapter::Pending> WebhookAdapter::take() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (halted_) return nullptr;
    const auto now = Clock::now();
    const bool broken = failures_in_row_ >= kBreakerFailures;
    // Waits take copies of the times: wait_until reads its deadline again after it
    // wakes, when another worker may have taken (and freed) the retry that held it.
    if (broken && now < open_until_) {
      const Clock::time_point until = open_until_;
      wake_.wait_until(lock, until);
      continue;
    }
    if (broken && probing_) {  // half open: one probe at a time
      wake_.wait(lock);
      continue;
    }
    std::unique_ptr<Pending> next;
    if (!retries_.empty() && retries_.begin()->first <= now) {
      next = std::move(retries_.extract(retries_.begin()).mapped());
    } else if (!fresh_.empty()) {
      next = std::move(fresh_.front());
      fresh_.pop_front();
    }
    if (next) {
      next->probe = broken;
      probing_ = probing_ || broken;
      return next;
    }
    if (stopping_ && retries_.empty()) return nullptr;
    if (retries_.empty()) {
      wake_.wait(lock);
    } else {
      const Clock::time_point due = retries_.begin()->first;
      wake_.wait_until(lock, due);
    }
  }
}

void WebhookAdapter::work() {
  HttpConnection connection(target_, settings_.timeout_ms);
  std::vector<std::pair<std::string, std::string>> headers;
  while (std::unique_ptr<Pending> pending = take()) {
    const std::string& body = pending->delivery.json;
    headers.clear();
    headers.emplace_back("Idempotency-Key", firing_id_of(body));
    if (!settings_.secret.empty())
      headers.emplace_back("X-Spur-Signature", "sha256=" + hmac_sha256_hex(settings_.secret, body));
    for (const auto& [field, value] : settings_.headers)
      headers.emplace_back(field, value);
    HttpConnection::Answer answer = connection.post(body, headers);
    finish(std::move(pending), answer.status, std::move(answer.error), answer.retry_after_ms);
  }
}

WebhookAdapter::Clock::duration WebhookAdapter::backoff(int attempts, int64_t retry_after_ms) {
  // Full jitter (uniform in [0, bound]), the bound doubling per attempt up to its cap:
  // many firings failing together spread their retries instead of coming back at once.
  thread_local std::minstd_rand random(std::random_device{}());
  const int64_t bound =
      std::min(settings_.max_backoff_ms, settings_.backoff_ms << std::min(attempts - 1, 20));
  std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(bound, 0));
  const int64_t wait = std::max(jitter(random), std::min<int64_t>(retry_after_ms, 300'000));
  return std::chrono::milliseconds(wait);
}

void WebhookAdapter::finish(std::unique_ptr<Pending> pending, int status, std::string error,
                            int64_t retry_after_ms) {
  const bool delivered = status >= 200 && status <= 299;
  const bool retryable = status == 0 || status == 408 || status == 429 || status >= 500;
  {
    const std::lock_guard lock(mutex_);
    ++pending->attempts;
    if (pending->probe) probing_ = false;
    const auto now = Clock::now();
    if (!retryable) {
      // The receiver answered: the breaker closes.
      failures_in_row_ = 0;
      cool_down_ = std::chrono::seconds(1);
    } else if (++failures_in_row_ >= kBreakerFailures && now >= open_until_) {
      open_until_ = now + cool_down_;
      cool_down_ = std::min<Clock::duration>(cool_down_ * 2, std::chrono::seconds(30));
    }
    if (delivered) {
      ++delivered_;
    } else if (retryable && pending->attempts <= settings_.retries) {
      ++retried_;
      pending->last_error = std::move(error);
      retries_.emplace(now + backoff(pending->attempts, retry_after_ms), std::move(pending));
      wake_.notify_all();
      return;
    } else {
      ++dead_lettered_;
      pending->last_error = std::move(error);
    }
    wake_.notify_all();  // the breaker may have closed
  }
  if ((delivered || dead_letter(*pending)) && pending->delivery.settled)
    pending->delivery.settled();
  const std::lock_guard lock(mutex_);
  --held_;
  settled_.notify_all();
}

bool WebhookAdapter::dead_letter(Pending& pending) {
  return dead_letter_.write(pending.delivery.json, pending.last_error, pending.attempts);
}

void WebhookAdapter::stop(Clock::time_point deadline) {
  {
    std::unique_lock lock(mutex_);
    if (threads_.empty()) return;
    stopping_ = true;
    wake_.notify_all();
    settled_.wait_until(lock, deadline, [this] { return held_ == 0; });
    halted_ = true;
    wake_.notify_all();
  }
  for (std::thread& thread : threads_)
    thread.join();
  threads_.clear();
}

DeliveryCounts WebhookAdapter::counts() const {
  const std::lock_guard lock(mutex_);
  return {.delivered = delivered_,
          .retried = retried_,
          .dead_lettered = dead_lettered_,
          .queued = held_};
}

bool WebhookAdapter::circuit_open() const {
  const std::lock_guard lock(mutex_);
  return failures_in_row_ >= kBreakerFailures && Clock::now() < open_until_;
}

}  // namespace spur::actions
