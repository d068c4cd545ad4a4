#include "actions/kafka_adapter.hpp"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <stdexcept>

namespace spur::actions {

KafkaAdapter::KafkaAdapter(std::string name, KafkaSettings settings, DeadLetter& dead_letter)
    : name_(std::move(name)), settings_(std::move(settings)), dead_letter_(dead_letter) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  std::map<std::string, std::string> properties = {
      {"bootstrap.servers", settings_.brokers},
      {"enable.idempotence", "true"},
      {"queue.buffering.max.messages", std::to_string(settings_.queue)},
      {"linger.ms", "5"},
      {"client.id", "spur-" + name_},
  };
  for (const auto& [key, value] : settings_.properties)
    properties[key] = value;
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::invalid_argument("actions." + name_ + ": librdkafka refuses " + key + "=" + value +
                                  ": " + error);
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaAdapter::on_report);
  rd_kafka_conf_set_opaque(conf, this);
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (producer_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::invalid_argument("actions." + name_ + ": cannot make a Kafka producer: " + error);
  }
  poller_ = std::thread([this] {
    while (polling_.load(std::memory_order_acquire))
      rd_kafka_poll(producer_, 100);
  });
}

KafkaAdapter::~KafkaAdapter() {
  stop(std::chrono::steady_clock::now());
  rd_kafka_destroy(producer_);
}

void KafkaAdapter::submit(Delivery delivery) {
  auto owned = std::make_unique<Delivery>(std::move(delivery));
  held_.fetch_add(1, std::memory_order_relaxed);
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_, RD_KAFKA_V_TOPIC(settings_.topic.c_str()),
      RD_KAFKA_V_KEY(owned->user.data(), owned->user.size()),
      RD_KAFKA_V_VALUE(owned->json.data(), owned->json.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(owned.get()), RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    static_cast<void>(owned.release());  // the delivery report's now
    return;
  }
  settle(*owned, err == RD_KAFKA_RESP_ERR__QUEUE_FULL
                     ? "queue full: " + std::to_string(settings_.queue) +
                           " firings wait for the brokers (actions." + name_ + ".queue)"
                     : rd_kafka_err2str(err));
}

void KafkaAdapter::on_report(rd_kafka_s* /*producer*/, const rd_kafka_message_s* message,
                             void* self) {
  auto& adapter = *static_cast<KafkaAdapter*>(self);
  std::unique_ptr<Delivery> delivery(static_cast<Delivery*>(message->_private));
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
      adapter.abandoning_.load(std::memory_order_acquire)) {
    adapter.held_.fetch_sub(1, std::memory_order_relaxed);  // left for the restart
    return;
  }
  adapter.settle(*delivery, message->err == RD_KAFKA_RESP_ERR_NO_ERROR
                                ? std::string()
                                : rd_kafka_err2str(message->err));
}

void KafkaAdapter::settle(Delivery& delivery, const std::string& error) {
  bool settled = true;
  if (error.empty()) {
    delivered_.fetch_add(1, std::memory_order_relaxed);
  } else {
    dead_lettered_.fetch_add(1, std::memory_order_relaxed);
    // The producer made its own retries: one attempt as far as Spur is concerned.
    settled = dead_letter_.write(delivery.json, error, 1);
  }
  held_.fetch_sub(1, std::memory_order_relaxed);
  if (settled && delivery.settled) delivery.settled();
}

void KafkaAdapter::stop(std::chrono::steady_clock::time_point deadline) {
  if (!polling_.load(std::memory_order_acquire)) return;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  rd_kafka_flush(producer_, static_cast<int>(std::max<int64_t>(left.count(), 0)));
  abandoning_.store(true, std::memory_order_release);
  rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  polling_.store(false, std::memory_order_release);
  poller_.join();
  rd_kafka_poll(producer_, 0);  // the purged messages' reports
}

DeliveryCounts KafkaAdapter::counts() const {
  return {.delivered = delivered_.load(std::memory_order_relaxed),
          .retried = 0,
          .dead_lettered = dead_lettered_.load(std::memory_order_relaxed),
          .queued = held_.load(std::memory_order_relaxed)};
}

}  // namespace spur::actions
