// The Kafka adapter against librdkafka's mock cluster (rdkafka_mock.h): messages read back
// with the user as key and the firing as value, produce errors retried into exactly one
// message, and a partition without a leader sending the firing to the dead letter.
#include "actions/kafka_adapter.hpp"

#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "test_support.hpp"

namespace spur::actions {
namespace {

constexpr int16_t kProduceRequest = 0;  // the Kafka protocol's ApiKey of Produce

// A mock cluster of one broker, hosted by a client handle of its own.
class MockCluster {
 public:
  MockCluster() {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    REQUIRE(host_ != nullptr);
    cluster_ = rd_kafka_mock_cluster_new(host_, 1);
    REQUIRE(cluster_ != nullptr);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(host_);
  }
  rd_kafka_mock_cluster_t* get() { return cluster_; }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

 private:
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// The messages of partition 0 of `topic` from the beginning, key -> value, until `count`
// are read or 10 s pass; `end`: the partition's high watermark (how many it holds).
std::multimap<std::string, std::string> read_back(const std::string& bootstrap,
                                                  const std::string& topic, size_t count,
                                                  int64_t& end) {
  char error[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "group.id", "spur-test", error, sizeof error);
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  REQUIRE(consumer != nullptr);
  rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(partitions, topic.c_str(), 0)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  REQUIRE(rd_kafka_assign(consumer, partitions) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(partitions);
  std::multimap<std::string, std::string> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.emplace(std::string(static_cast<const char*>(message->key), message->key_len),
                  std::string(static_cast<const char*>(message->payload), message->len));
    }
    rd_kafka_message_destroy(message);
  }
  int64_t begin = 0;
  REQUIRE(rd_kafka_query_watermark_offsets(consumer, topic.c_str(), 0, &begin, &end, 5000) ==
          RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return out;
}

template <class Predicate>
bool eventually(Predicate&& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!done() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

std::string firing(int n) {
  return "{\"firing_id\":\"f" + std::to_string(n) + "\",\"rule\":\"r\",\"user\":\"u" +
         std::to_string(n) + "\"}";
}

}  // namespace

TEST_CASE("the kafka adapter produces each firing keyed by user, read back from the cluster") {
  MockCluster cluster;
  const auto dead_path = testing::process_temp_path("spur-kafka-dead.ndjson");
  DeadLetter dead(std::string("crm"), dead_path.string());
  // One partition, so that reading it reads every message.
  REQUIRE(rd_kafka_mock_topic_create(cluster.get(), "firings", 1, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
  // Two produce requests fail with a retriable error first: the idempotent producer's
  // retries still make one message per firing.
  rd_kafka_mock_push_request_errors(cluster.get(), kProduceRequest, 2,
                                    RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  std::atomic<int> settled{0};
  {
    KafkaAdapter adapter("crm",
                         {.brokers = cluster.bootstrap(),
                          .topic = "firings",
                          .queue = 1000,
                          .properties = {{"log_level", "0"}}},
                         dead);
    for (int n = 0; n < 5; ++n)
      adapter.submit({.user = "u" + std::to_string(n), .json = firing(n), .settled = [&settled] {
                        settled.fetch_add(1);
                      }});
    REQUIRE(eventually([&] { return settled.load() == 5; }));
    CHECK(adapter.counts().delivered == 5);
    CHECK(adapter.counts().dead_lettered == 0);
    CHECK(adapter.counts().queued == 0);
    adapter.stop(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  int64_t end = 0;
  const auto messages = read_back(cluster.bootstrap(), "firings", 5, end);
  REQUIRE(messages.size() == 5);
  CHECK(end == 5);  // no message twice
  for (int n = 0; n < 5; ++n) {
    const auto it = messages.find("u" + std::to_string(n));
    REQUIRE(it != messages.end());
    CHECK(it->second == firing(n));
  }
  std::remove(dead_path.c_str());
}

TEST_CASE("a firing kafka cannot take within message.timeout.ms goes to the dead letter") {
  MockCluster cluster;
  REQUIRE(rd_kafka_mock_partition_set_leader(cluster.get(), "nowhere", 0, -1) ==
          RD_KAFKA_RESP_ERR_NO_ERROR);
  const auto dead_path = testing::process_temp_path("spur-kafka-dead2.ndjson");
  std::atomic<int> settled{0};
  {
    DeadLetter dead(std::string("crm"), dead_path.string());
    KafkaAdapter adapter("crm",
                         {.brokers = cluster.bootstrap(),
                          .topic = "nowhere",
                          .queue = 1000,
                          .properties = {{"message.timeout.ms", "500"}, {"log_level", "0"}}},
                         dead);
    adapter.submit(
        {.user = "u1", .json = firing(1), .settled = [&settled] { settled.fetch_add(1); }});
    REQUIRE(eventually([&] { return settled.load() == 1; }));
    CHECK(adapter.counts().dead_lettered == 1);
    CHECK(adapter.counts().delivered == 0);
  }
  std::ifstream in(dead_path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str().find("\"adapter\":\"crm\"") != std::string::npos);
  CHECK(text.str().find("\"firing\":" + firing(1)) != std::string::npos);
  std::remove(dead_path.c_str());
}

}  // namespace spur::actions
