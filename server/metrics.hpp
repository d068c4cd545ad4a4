// Counters and latency histograms for GET /metrics (Prometheus text format 0.0.4).
//
// Thread-safety: every member is updated with relaxed atomics from any thread; a scrape
// reads them without stopping anyone, so figures of one scrape may be a few events apart.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace spur::server {

// Durations in nanoseconds, exposed in seconds with cumulative buckets.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                     0.0025,  0.005,  0.01,    0.025,  0.05,
                                                     0.1,     0.25,   0.5,     1.0};
  void observe(int64_t ns);
  // Appends the _bucket, _sum and _count lines of metric `name` with `labels` ("" or
  // `key="value"`).
  void render(const std::string& name, const std::string& labels, std::string& out) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> counts_{};  // last: above all bounds
  std::atomic<uint64_t> sum_ns_{0};
};

struct Metrics {
  std::atomic<uint64_t> events_received{0};
  std::atomic<uint64_t> events_accepted{0};
  std::atomic<uint64_t> events_rejected{0};
  std::atomic<uint64_t> events_duplicate{0};
  std::atomic<uint64_t> decisions{0};           // POST /v1/decide answered 200
  std::atomic<uint64_t> decisions_rejected{0};  // ... refused by the engine (time)
  std::atomic<uint64_t> overloaded{0};          // requests answered 503 because queues were full
  // Scores fetched from http scorers before a step, and the times their default was
  // used instead (timeout, error, an answer without a score).
  std::atomic<uint64_t> scores_fetched{0};
  std::atomic<uint64_t> score_defaults{0};
  std::atomic<uint64_t> reloads_ok{0};
  std::atomic<uint64_t> reloads_failed{0};
  // Recovery at start (storage mode disk): steps replayed so far, of how many, and how
  // long it took (0 until done).
  std::atomic<uint64_t> recovery_steps_done{0};
  std::atomic<uint64_t> recovery_steps_total{0};
  std::atomic<uint64_t> recovery_ms{0};
  // Checkpoints (storage mode disk): passes ended, users and bytes they saved, and the
  // longest a chunk held its shard.
  std::atomic<uint64_t> checkpoint_passes{0};
  std::atomic<uint64_t> checkpoint_users{0};
  std::atomic<uint64_t> checkpoint_bytes{0};
  std::atomic<uint64_t> checkpoint_longest_chunk_ns{0};
  Histogram evaluation;  // one event's step, in its shard
  Histogram http;        // request read to response queued
};

void add_counter(std::string& out, const std::string& name, const std::string& help,
                 const std::string& labels, uint64_t value, bool with_header = true);

}  // namespace spur::server
