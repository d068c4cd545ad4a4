// A Kafka broker for the server's end-to-end tests (tests/server/test_kafka.py): the mock
// cluster of librdkafka in a process of its own, on loopback.
//
// usage: kafka_mock_broker TOPIC
// Prints the bootstrap address on the first line of stdout, then answers the lines of
// stdin: `read COUNT` prints the messages of TOPIC's partition 0 as they are read back
// (up to COUNT, or what came in 10 s), one JSON line {"key": ..., "value": ...} each, then
// `end <high watermark>`. It stops at the end of stdin.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/kafka/mock_cluster.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: kafka_mock_broker TOPIC\n";
    return 2;
  }
  const std::string topic = argv[1];
  spur::testing::MockCluster cluster;
  // One partition, so that reading it reads every message.
  if (rd_kafka_mock_topic_create(cluster.get(), topic.c_str(), 1, 1) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::cerr << "kafka_mock_broker: cannot create the topic " << topic << "\n";
    return 1;
  }
  std::cout << cluster.bootstrap() << std::endl;
  std::string command;
  size_t count = 0;
  while (std::cin >> command >> count) {
    if (command != "read") {
      std::cerr << "kafka_mock_broker: unknown command " << command << "\n";
      return 2;
    }
    int64_t end = 0;
    for (const auto& [key, value] :
         spur::testing::read_back(cluster.bootstrap(), topic, count, end))
      std::cout << nlohmann::json{{"key", key}, {"value", value}}.dump() << "\n";
    std::cout << "end " << end << std::endl;
  }
  return 0;
}
