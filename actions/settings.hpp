// The settings of the adapters that confirm later (config.md, `actions`; docs/actions.md),
// as plain data: the configuration holds them without the adapters' headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace spur::actions {

struct WebhookSettings {
  std::string url;                             // http://host[:port]/path or https://...
  int64_t timeout_ms = 5000;                   // per attempt: connect, send, answer
  int retries = 8;                             // attempts after the first
  std::string secret;                          // HMAC key; "" sends no signature
  std::map<std::string, std::string> headers;  // added to every request
  int connections = 8;                         // the pool's size, each a thread
  size_t queue = 100000;                       // firings held at most
  int64_t backoff_ms = 100;                    // the first retry's backoff bound
  int64_t max_backoff_ms = 30000;              // the bound's cap
};

struct KafkaSettings {
  std::string brokers;  // bootstrap.servers
  std::string topic;
  size_t queue = 100000;  // firings held at most (queue.buffering.max.messages)
  // Further librdkafka properties, by name (config.md does not name any; tests set
  // timeouts through it).
  std::map<std::string, std::string> properties;
};

}  // namespace spur::actions
