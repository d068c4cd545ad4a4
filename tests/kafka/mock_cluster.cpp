#include "tests/kafka/mock_cluster.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <stdexcept>

namespace spur::testing {

MockCluster::MockCluster() {
  char error[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
  host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (host_ == nullptr) throw std::runtime_error(std::string("rd_kafka_new: ") + error);
  cluster_ = rd_kafka_mock_cluster_new(host_, 1);
  if (cluster_ == nullptr) {
    rd_kafka_destroy(host_);
    throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  }
}

MockCluster::~MockCluster() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(host_);
}

std::string MockCluster::bootstrap() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

std::multimap<std::string, std::string> read_back(const std::string& bootstrap,
                                                  const std::string& topic, size_t count,
                                                  int64_t& end) {
  char error[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "group.id", "spur-test", error, sizeof error);
  rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (consumer == nullptr) throw std::runtime_error(std::string("rd_kafka_new: ") + error);
  rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(partitions, topic.c_str(), 0)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  const rd_kafka_resp_err_t assigned = rd_kafka_assign(consumer, partitions);
  rd_kafka_topic_partition_list_destroy(partitions);
  std::multimap<std::string, std::string> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (assigned == RD_KAFKA_RESP_ERR_NO_ERROR && out.size() < count &&
         std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.emplace(std::string(static_cast<const char*>(message->key), message->key_len),
                  std::string(static_cast<const char*>(message->payload), message->len));
    }
    rd_kafka_message_destroy(message);
  }
  int64_t begin = 0;
  const rd_kafka_resp_err_t watermarks =
      rd_kafka_query_watermark_offsets(consumer, topic.c_str(), 0, &begin, &end, 5000);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  if (assigned != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string("rd_kafka_assign: ") + rd_kafka_err2str(assigned));
  if (watermarks != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(watermarks));
  return out;
}

}  // namespace spur::testing
