// server::load_config: spur.yaml as config.md has it.
#include "server/config.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "test_support.hpp"

namespace spur::server {
namespace {

// Writes `text` to a temporary spur.yaml and loads it.
Config load(const std::string& text) {
  const auto path = testing::process_temp_path("spur-config-test.yaml");
  std::ofstream(path) << text;
  struct Remove {
    const std::filesystem::path& path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{path};
  return load_config(path.string());
}

std::string error_of(const std::string& text) {
  try {
    load(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the embedded defaults are those of config.md") {
  const Config c = load_config("");
  CHECK(c.host == "127.0.0.1");
  CHECK(c.port == 8080);
  CHECK(c.limits.body_bytes == 1 << 20);
  CHECK(c.limits.batch_events == 10'000);
  CHECK(c.limits.json_depth == 32);
  CHECK(c.limits.idle_timeout_ms == 60'000);
  CHECK(c.limits.request_timeout_ms == 10'000);
  CHECK(c.watch);
  CHECK(c.metrics_auth);
  CHECK(c.engine.max_lateness_ms == 3'600'000);
  CHECK(c.tokens.empty());
}

TEST_CASE("durations, sizes and lists are read in the language's syntax") {
  ::setenv("SPUR_CONFIG_TEST_TOKEN", "s3cret", 1);
  const Config c = load(R"(
server:
  listen: 0.0.0.0:9000
  limits: {body: 2MiB, batch: 50, idle_timeout: 1m30s, request_timeout: 500ms}
engine:
  rules: [a.rules, b/]
  max_lateness: 2h
  shards: 3
auth:
  tokens:
    - {name: ops, env: SPUR_CONFIG_TEST_TOKEN, scopes: [read, admin]}
actions:
  audit: {type: log, path: audit.ndjson}
)");
  CHECK(c.host == "0.0.0.0");
  CHECK(c.port == 9000);
  CHECK(c.limits.body_bytes == 2 << 20);
  CHECK(c.limits.batch_events == 50);
  CHECK(c.limits.idle_timeout_ms == 90'000);
  CHECK(c.limits.request_timeout_ms == 500);
  CHECK(c.rule_paths == std::vector<std::string>{"a.rules", "b/"});
  CHECK(c.engine.max_lateness_ms == 7'200'000);
  CHECK(c.shards == 3);
  REQUIRE(c.tokens.size() == 1);
  CHECK(c.tokens[0].secret == "s3cret");
  CHECK(c.tokens[0].scopes == std::vector<Scope>{Scope::kRead, Scope::kAdmin});
  CHECK(c.actions.at("audit").path == "audit.ndjson");
}

TEST_CASE("mistakes name the key path and suggest a fix") {
  CHECK(error_of("servr: {}\n").find("unknown key `servr`; did you mean `server`?") !=
        std::string::npos);
  CHECK(error_of("server: {limits: {bdy: 1MiB}}\n")
            .find("unknown key `server.limits.bdy`; did you mean `server.limits.body`?") !=
        std::string::npos);
  CHECK(error_of("server: {limits: {body: lots}}\n").find("`server.limits.body` must be a size") !=
        std::string::npos);
  CHECK(error_of("engine: {watch: maybe}\n").find("`engine.watch` must be true or false") !=
        std::string::npos);
  CHECK(error_of("storage: {mode: cloud}\n").find("`storage.mode` must be disk or memory") !=
        std::string::npos);
  CHECK(error_of("actions: {x: {type: carrier_pigeon}}\n").find("actions.x.type") !=
        std::string::npos);
  CHECK(error_of("server: [1, 2]\n").find("`server` must be a mapping") != std::string::npos);
  CHECK(error_of("server: {listen: 1.2.3.4}\n").find("must be host:port") != std::string::npos);
  CHECK(error_of("a: [\n").find("not valid YAML") != std::string::npos);
}

}  // namespace spur::server

namespace spur::server {

TEST_CASE("engine.retain maps event names to durations") {
  const Config c = load("engine: {retain: {purchase: 90d, \"Order Completed\": 12h}}\n");
  REQUIRE(c.engine.retain.size() == 2);
  CHECK(c.engine.retain[0] == std::pair<std::string, int64_t>{"purchase", 90 * 86'400'000LL});
  CHECK(c.engine.retain[1] == std::pair<std::string, int64_t>{"Order Completed", 43'200'000});
  CHECK(error_of("engine: {retain: {purchase: soon}}\n").find("engine.retain.purchase") !=
        std::string::npos);
  CHECK(error_of("engine: {retain: [purchase]}\n").find("{purchase: 90d}") != std::string::npos);
}

}  // namespace spur::server

namespace spur::server {

TEST_CASE("engine.timezone is an IANA zone, UTC by default") {
  CHECK(load("{}\n").engine.timezone == "UTC");
  CHECK(load("engine: {timezone: Europe/Paris}\n").engine.timezone == "Europe/Paris");
  CHECK(error_of("engine: {timezone: Europe/Pariss}\n")
            .find("`engine.timezone` must be an IANA time zone such as Europe/Paris or UTC, not "
                  "`Europe/Pariss`; did you mean `Europe/Paris`?") != std::string::npos);
}

}  // namespace spur::server
