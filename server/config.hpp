// The server's configuration (config.md): `spur.yaml`, or embedded defaults without one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "actions/settings.hpp"
#include "engine/engine.hpp"

namespace spur::server {

struct Limits {
  size_t body_bytes = 1 << 20;
  size_t batch_events = 10'000;
  int json_depth = 32;
  size_t header_bytes = 16 << 10;
  size_t connections = 10'000;
  int64_t idle_timeout_ms = 60'000;
  int64_t request_timeout_ms = 10'000;
};

enum class Scope : uint8_t { kIngest, kDecide, kRead, kAdmin };

struct Token {
  std::string name;
  std::string env;     // the environment variable holding the secret
  std::string secret;  // read from `env` at start; never logged
  std::vector<Scope> scopes;
};

// An action adapter that `send NAME` refers to (config.md, `actions`; docs/actions.md).
struct ActionAdapter {
  std::string type;  // log | webhook | kafka
  std::string path;  // log: a file, or "" for stdout
  // webhook and kafka: where firings they give up on go (default
  // spur-dead-letter.<name>.ndjson in the working directory).
  std::string dead_letter;
  actions::WebhookSettings webhook;
  actions::KafkaSettings kafka;

  static ActionAdapter log_to(std::string path) {
    ActionAdapter adapter;
    adapter.type = "log";
    adapter.path = std::move(path);
    return adapter;
  }
};

// A model that `score("NAME")` asks (config.md, `scorers`): a model file, or a remote
// model that `spur serve` asks over HTTP before the steps that read it (docs/models.md).
struct ScorerSettings {
  std::string type;  // file | http
  std::string path;  // file: the model file (docs/models.md)
  std::string url;   // http
  int64_t timeout_ms = 20;
  std::optional<double> default_score;
  int64_t cache_ms = 0;
};

struct Config {
  std::string source = "embedded defaults";  // the file read, for the start log line

  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  unsigned io_threads = 0;  // 0: number of cores
  bool tls = false;
  Limits limits;
  bool metrics_auth = true;

  std::vector<std::string> rule_paths;
  bool watch = true;
  unsigned shards = 0;  // 0: number of cores
  EngineConfig engine;

  std::string storage_mode = "disk";  // disk | memory
  std::string storage_path = "./spur-data";
  std::string storage_fsync = "batch";  // batch | always | never
  int64_t fsync_interval_ms = 5;
  int64_t snapshot_interval_ms = 60'000;

  std::vector<Token> tokens;
  std::map<std::string, ActionAdapter> actions;
  std::map<std::string, ScorerSettings> scorers;
};

// Thrown for a configuration that cannot run; the message names the key path, what is
// wrong and how to fix it.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Whether load_config reads the token secrets from the environment (`spur check
// --config` does not need them).
enum class Secrets : uint8_t { kRead, kSkip };

// Reads `path` (or, when empty, the embedded defaults: rules from ./rules, or from
// rules/examples in a checkout), checks every key and value, and reads the token secrets
// from the environment (unless kSkip: then they are empty).
Config load_config(const std::string& path, Secrets secrets = Secrets::kRead);

// Sets the address to listen on from "host:port"; throws ConfigError naming `where`
// (the key or the option that gave it) when it is not one.
void set_listen(Config& config, const std::string& listen, const std::string& where);

const char* scope_name(Scope scope);

}  // namespace spur::server
