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
#include "tests/kafka/mock_cluster.hpp"

namespace spur::actions {
namespace {

using testing::MockCluster;
using testing::read_back;

constexpr int16_t kProduceRequest = 0;  // the Kafka protocol's ApiKey of Produce

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
