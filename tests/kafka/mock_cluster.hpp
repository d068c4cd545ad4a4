// librdkafka's mock cluster (rdkafka_mock.h) for the tests: a Kafka of one broker on
// loopback, hosted by a client handle of its own, and a reader of what a topic holds.
#pragma once

#include <cstdint>
#include <map>
#include <string>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace spur::testing {

// Throws std::runtime_error when librdkafka cannot make the cluster.
class MockCluster {
 public:
  MockCluster();
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  rd_kafka_mock_cluster_s* get() { return cluster_; }
  // host:port of the broker, for bootstrap.servers.
  std::string bootstrap() const;

 private:
  rd_kafka_s* host_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
};

// The messages of partition 0 of `topic` from the beginning, key -> value, until `count`
// are read or 10 s pass; `end`: the partition's high watermark (how many it holds).
// Throws std::runtime_error when the consumer cannot be made or the watermark read.
std::multimap<std::string, std::string> read_back(const std::string& bootstrap,
                                                  const std::string& topic, size_t count,
                                                  int64_t& end);

}  // namespace spur::testing
