// The `kafka` action adapter (config.md): each firing is produced to `topic` with the
// user id as key (so a user's firings keep their order in one partition) and the firing
// JSON of formats.md as value, by an idempotent librdkafka producer (no duplicates from
// its own retries). librdkafka queues and retries; its delivery report settles the
// firing, or sends it to the dead letter when the message could not be delivered
// within message.timeout.ms.
//
// Threading: one thread serves the producer's delivery reports; submit() only hands the
// message to librdkafka's queue.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "actions/dead_letter.hpp"
#include "actions/queued_adapter.hpp"
#include "actions/settings.hpp"

struct rd_kafka_s;
struct rd_kafka_message_s;

namespace spur::actions {

class KafkaAdapter final : public QueuedAdapter {
 public:
  // Throws std::invalid_argument naming a property librdkafka refused. `dead_letter`
  // outlives the adapter.
  KafkaAdapter(std::string name, KafkaSettings settings, DeadLetter& dead_letter);
  ~KafkaAdapter() override;

  void submit(Delivery delivery) override;
  void stop(std::chrono::steady_clock::time_point deadline) override;
  DeliveryCounts counts() const override;

 private:
  static void on_report(rd_kafka_s* producer, const rd_kafka_message_s* message, void* self);
  // Settles the firing, or writes it to the dead letter first (`error` not empty).
  void settle(Delivery& delivery, const std::string& error);

  const std::string name_;
  const KafkaSettings settings_;
  DeadLetter& dead_letter_;
  rd_kafka_s* producer_ = nullptr;
  std::thread poller_;
  std::atomic<bool> polling_{true};
  // Once stop() gives up, reports of purged messages leave their firings unsettled.
  std::atomic<bool> abandoning_{false};
  std::atomic<uint64_t> delivered_{0}, dead_lettered_{0}, held_{0};
};

}  // namespace spur::actions
