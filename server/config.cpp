#include "server/config.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "actions/webhook_adapter.hpp"
#include "formats/json_codec.hpp"
#include "grammar/lexical.hpp"
#include "grammar/suggest.hpp"
#include "time/quiet_hours.hpp"

namespace spur::server {
namespace {

using Keys = std::vector<std::string>;

// Reads one YAML mapping, key by key, rejecting keys it does not know. `where` is the
// key path of the mapping ("server.limits"), for messages.
class Section {
 public:
  Section(const YAML::Node& node, std::string where, const Keys& known)
      : node_(node), where_(std::move(where)) {
    if (!node_ || node_.IsNull()) return;
    if (!node_.IsMap()) fail(where_, "must be a mapping of keys to values");
    for (const auto& member : node_) {
      const std::string key = member.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string message = "unknown key `" + path(key) + "`";
      if (const std::string near = closest(key, known); !near.empty())
        message += "; did you mean `" + path(near) + "`?";
      else
        message += "; known keys here: " + join(known);
      throw ConfigError(message);
    }
  }

  [[noreturn]] static void fail(const std::string& key, const std::string& what) {
    throw ConfigError("`" + key + "` " + what);
  }

  std::string path(const std::string& key) const {
    return where_.empty() ? key : where_ + "." + key;
  }
  YAML::Node get(const std::string& key) const {
    return node_ && node_.IsMap() ? node_[key] : YAML::Node();
  }

  std::optional<std::string> text(const std::string& key) const {
    const YAML::Node v = get(key);
    if (!v || v.IsNull()) return std::nullopt;
    if (!v.IsScalar()) fail(path(key), "must be a single value");
    return v.as<std::string>();
  }
  void read(const std::string& key, std::string& out) const {
    if (auto v = text(key)) out = *v;
  }
  void read(const std::string& key, bool& out) const {
    const auto v = text(key);
    if (!v) return;
    if (*v == "true") {
      out = true;
    } else if (*v == "false") {
      out = false;
    } else {
      fail(path(key), "must be true or false, not `" + *v + "`");
    }
  }
  template <typename Number>
  void read_count(const std::string& key, Number& out, int64_t min, int64_t max) const {
    const auto v = text(key);
    if (!v) return;
    char* end = nullptr;
    const long long n = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || n < min || n > max) {
      fail(path(key), "must be a whole number from " + std::to_string(min) + " to " +
                          std::to_string(max) + ", not `" + *v + "`");
    }
    out = static_cast<Number>(n);
  }
  void read_duration(const std::string& key, int64_t& out_ms) const {
    const auto v = text(key);
    if (!v) return;
    std::string error;
    const auto ms = lexical::parse_duration(*v, error);
    if (!ms || *ms <= 0) {
      fail(path(key), "must be a positive duration such as 10s, 5m or 1h30m, not `" + *v + "`" +
                          (error.empty() ? "" : " (" + error + ")"));
    }
    out_ms = *ms;
  }
  // Bytes: a whole number, optionally with KiB, MiB or GiB.
  void read_size(const std::string& key, size_t& out) const {
    const auto v = text(key);
    if (!v) return;
    char* end = nullptr;
    const long long n = std::strtoll(v->c_str(), &end, 10);
    const std::string_view unit(end);
    const long long scale = unit.empty() || unit == "B" ? 1
                            : unit == "KiB"             ? 1LL << 10
                            : unit == "MiB"             ? 1LL << 20
                            : unit == "GiB"             ? 1LL << 30
                                                        : 0;
    if (end == v->c_str() || n <= 0 || scale == 0 || n > (1LL << 40) / scale) {
      fail(path(key), "must be a size such as 1MiB, 512KiB or 65536, not `" + *v + "`");
    }
    out = static_cast<size_t>(n * scale);
  }

 private:
  static std::string join(const Keys& keys) {
    std::string out;
    for (const std::string& k : keys)
      out += (out.empty() ? "" : ", ") + k;
    return out;
  }

  YAML::Node node_;
  std::string where_;
};

}  // namespace

void set_listen(Config& c, const std::string& listen, const std::string& where) {
  const size_t colon = listen.rfind(':');
  char* end = nullptr;
  const long port =
      colon == std::string::npos ? -1 : std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || colon == 0 || *end != '\0' || port < 0 || port > 65535)
    throw ConfigError(where + " must be host:port such as 127.0.0.1:8080, not `" + listen + "`");
  c.host = listen.substr(0, colon);
  c.port = static_cast<uint16_t>(port);
}

namespace {

void read_server(const Section& top, Config& c) {
  const Section s(top.get("server"), "server",
                  {"listen", "threads", "tls", "limits", "metrics_auth"});
  if (const auto listen = s.text("listen")) set_listen(c, *listen, "`server.listen`");
  s.read_count("threads", c.io_threads, 0, 1024);
  if (const YAML::Node tls = s.get("tls"); tls && !tls.IsNull()) {
    Section(tls, "server.tls", {"cert", "key"});
    c.tls = true;
  }
  const Section limits(
      s.get("limits"), "server.limits",
      {"body", "batch", "json_depth", "header", "connections", "idle_timeout", "request_timeout"});
  limits.read_size("body", c.limits.body_bytes);
  limits.read_count("batch", c.limits.batch_events, 1, 1'000'000);
  limits.read_count("json_depth", c.limits.json_depth, 1, kMaxJsonDepth);
  limits.read_size("header", c.limits.header_bytes);
  limits.read_count("connections", c.limits.connections, 1, 1'000'000);
  limits.read_duration("idle_timeout", c.limits.idle_timeout_ms);
  limits.read_duration("request_timeout", c.limits.request_timeout_ms);
  s.read("metrics_auth", c.metrics_auth);
}

// engine.retain: event name -> the least history kept of it (config.md).
void read_retain(const YAML::Node& retain, EngineConfig& engine) {
  if (!retain || retain.IsNull()) return;
  if (!retain.IsMap()) {
    Section::fail("engine.retain", "must map event names to durations, such as {purchase: 90d}");
  }
  for (const auto& item : retain) {
    const std::string name = item.first.as<std::string>();
    const std::string where = "engine.retain." + name;
    if (!item.second.IsScalar()) Section::fail(where, "must be a duration such as 90d");
    const std::string text = item.second.as<std::string>();
    std::string error;
    const auto ms = lexical::parse_duration(text, error);
    if (!ms || *ms <= 0) {
      Section::fail(where, "must be a positive duration such as 90d or 12h, not `" + text + "`" +
                               (error.empty() ? "" : " (" + error + ")"));
    }
    engine.retain.emplace_back(name, *ms);
  }
}

void read_engine(const Section& top, Config& c) {
  const Section e(top.get("engine"), "engine",
                  {"rules", "watch", "shards", "max_lateness", "dedup_window", "session_gap",
                   "session_max", "max_emit_depth", "retain", "timezone"});
  if (const YAML::Node rules = e.get("rules"); rules && !rules.IsNull()) {
    c.rule_paths.clear();
    if (rules.IsScalar()) {
      c.rule_paths.push_back(rules.as<std::string>());
    } else if (rules.IsSequence()) {
      for (const auto& item : rules) {
        if (!item.IsScalar()) Section::fail("engine.rules", "must list file and folder paths");
        c.rule_paths.push_back(item.as<std::string>());
      }
    } else {
      Section::fail("engine.rules", "must be a path or a list of paths");
    }
  }
  e.read("watch", c.watch);
  e.read_count("shards", c.shards, 0, 256);
  e.read_duration("max_lateness", c.engine.max_lateness_ms);
  e.read_duration("dedup_window", c.engine.dedup_window_ms);
  e.read_duration("session_gap", c.engine.session_gap_ms);
  e.read_duration("session_max", c.engine.session_max_ms);
  e.read_count("max_emit_depth", c.engine.max_emit_depth, 0, 1000);
  read_retain(e.get("retain"), c.engine);
  e.read("timezone", c.engine.timezone);
  if (zone_named(c.engine.timezone) == nullptr) {
    const std::string close = closest(c.engine.timezone, zone_names());
    Section::fail("engine.timezone",
                  "must be an IANA time zone such as Europe/Paris or UTC, not `" +
                      c.engine.timezone + "`" +
                      (close.empty() ? std::string() : "; did you mean `" + close + "`?"));
  }
}

void read_storage(const Section& top, Config& c) {
  const Section s(top.get("storage"), "storage",
                  {"mode", "path", "fsync", "fsync_interval", "snapshot_interval"});
  s.read("mode", c.storage_mode);
  if (c.storage_mode != "disk" && c.storage_mode != "memory")
    Section::fail("storage.mode", "must be disk or memory, not `" + c.storage_mode + "`");
  s.read("path", c.storage_path);
  s.read("fsync", c.storage_fsync);
  if (c.storage_fsync != "batch" && c.storage_fsync != "always" && c.storage_fsync != "never")
    Section::fail("storage.fsync", "must be batch, always or never, not `" + c.storage_fsync + "`");
  s.read_duration("fsync_interval", c.fsync_interval_ms);
  if (c.fsync_interval_ms > 1000)
    Section::fail("storage.fsync_interval",
                  "is how long an acknowledgement may wait for the disk; at most 1s");
  s.read_duration("snapshot_interval", c.snapshot_interval_ms);
}

Scope parse_scope(const std::string& text, const std::string& where) {
  static const Keys kScopes = {"ingest", "decide", "read", "admin"};
  for (size_t i = 0; i < kScopes.size(); ++i) {
    if (kScopes[i] == text) return static_cast<Scope>(i);
  }
  const std::string near = closest(text, kScopes);
  Section::fail(where, "has an unknown scope `" + text + "`" +
                           (near.empty() ? "; scopes are ingest, decide, read and admin"
                                         : "; did you mean `" + near + "`?"));
}

void read_auth(const Section& top, Config& c, Secrets secrets) {
  const Section a(top.get("auth"), "auth", {"tokens"});
  const YAML::Node tokens = a.get("tokens");
  if (!tokens || tokens.IsNull()) return;
  if (!tokens.IsSequence()) Section::fail("auth.tokens", "must be a list of tokens");
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string where = "auth.tokens[" + std::to_string(i) + "]";
    const Section t(tokens[i], where, {"name", "env", "scopes"});
    Token token;
    t.read("name", token.name);
    t.read("env", token.env);
    if (token.env.empty())
      Section::fail(where + ".env", "is required: the environment variable holding the token");
    const char* secret = secrets == Secrets::kRead ? std::getenv(token.env.c_str()) : "";
    if (secrets == Secrets::kRead && (secret == nullptr || *secret == '\0')) {
      Section::fail(where + ".env", "names the environment variable " + token.env +
                                        ", which is not set; export it before starting");
    }
    token.secret = secret;
    const YAML::Node scopes = t.get("scopes");
    if (!scopes || !scopes.IsSequence() || scopes.size() == 0)
      Section::fail(where + ".scopes", "must list at least one of ingest, decide, read, admin");
    for (const auto& scope : scopes)
      token.scopes.push_back(parse_scope(scope.as<std::string>(), where + ".scopes"));
    if (token.name.empty()) token.name = token.env;
    c.tokens.push_back(std::move(token));
  }
}

void read_webhook(const Section& section, const std::string& where, Secrets secrets,
                  actions::WebhookSettings& webhook) {
  section.read("url", webhook.url);
  if (webhook.url.empty()) Section::fail(where + ".url", "is required: where to POST firings");
  try {
    actions::HttpTarget::parse(webhook.url);
  } catch (const std::invalid_argument& e) {
    Section::fail(where + ".url", std::string(e.what()) + "; write it as https://host[:port]/path");
  }
  section.read_duration("timeout", webhook.timeout_ms);
  section.read_count("retries", webhook.retries, 0, 100);
  section.read_count("connections", webhook.connections, 1, 256);
  section.read_count("queue", webhook.queue, 1, 100'000'000);
  std::string secret_env;
  section.read("secret_env", secret_env);
  if (!secret_env.empty() && secrets == Secrets::kRead) {
    const char* secret = std::getenv(secret_env.c_str());
    if (secret == nullptr || *secret == '\0')
      Section::fail(where + ".secret_env",
                    "names the environment variable " + secret_env +
                        ", which is not set or empty: set it to the HMAC secret the receiver "
                        "checks X-Spur-Signature with");
    webhook.secret = secret;
  }
  const YAML::Node headers = section.get("headers");
  if (headers && !headers.IsNull()) {
    if (!headers.IsMap())
      Section::fail(where + ".headers", "must map header names to values, e.g. {X-Source: spur}");
    for (const auto& header : headers) {
      if (!header.second.IsScalar())
        Section::fail(where + ".headers." + header.first.as<std::string>(),
                      "must be a single value");
      webhook.headers[header.first.as<std::string>()] = header.second.as<std::string>();
    }
  }
}

void read_actions(const Section& top, Config& c, Secrets secrets) {
  const YAML::Node actions = top.get("actions");
  if (!actions || actions.IsNull()) return;
  if (!actions.IsMap()) Section::fail("actions", "must map adapter names to their settings");
  for (const auto& member : actions) {
    const std::string name = member.first.as<std::string>();
    const std::string where = "actions." + name;
    const YAML::Node type_node = member.second.IsMap() ? member.second["type"] : YAML::Node();
    const std::string type = type_node && type_node.IsScalar() ? type_node.as<std::string>() : "";
    ActionAdapter adapter;
    adapter.type = type;
    adapter.dead_letter = "spur-dead-letter." + name + ".ndjson";
    if (type == "log") {
      Section(member.second, where, {"type", "path"}).read("path", adapter.path);
    } else if (type == "webhook") {
      const Section section(member.second, where,
                            {"type", "url", "timeout", "retries", "secret_env", "headers",
                             "connections", "queue", "dead_letter"});
      read_webhook(section, where, secrets, adapter.webhook);
      section.read("dead_letter", adapter.dead_letter);
    } else if (type == "kafka") {
      const Section section(member.second, where,
                            {"type", "brokers", "topic", "queue", "dead_letter", "properties"});
      section.read("brokers", adapter.kafka.brokers);
      section.read("topic", adapter.kafka.topic);
      if (adapter.kafka.brokers.empty() || adapter.kafka.topic.empty())
        Section::fail(where, "needs `brokers` (host:port,...) and `topic`");
      section.read_count("queue", adapter.kafka.queue, 1, 10'000'000);
      section.read("dead_letter", adapter.dead_letter);
      const YAML::Node properties = section.get("properties");
      if (properties && !properties.IsNull()) {
        if (!properties.IsMap())
          Section::fail(where + ".properties",
                        "must map librdkafka property names to values, e.g. {acks: all}");
        for (const auto& property : properties)
          adapter.kafka.properties[property.first.as<std::string>()] =
              property.second.as<std::string>();
      }
    } else {
      Section::fail(where + ".type", "must be log, webhook or kafka");
    }
    c.actions.emplace(name, std::move(adapter));
  }
}

void read_scorers(const Section& top, Config& c) {
  const YAML::Node scorers = top.get("scorers");
  if (!scorers || scorers.IsNull()) return;
  if (!scorers.IsMap()) Section::fail("scorers", "must map model names to their settings");
  for (const auto& member : scorers) {
    const std::string name = member.first.as<std::string>();
    const std::string where = "scorers." + name;
    const Section section(member.second, where,
                          {"type", "url", "timeout", "default", "cache", "path"});
    ScorerSettings scorer;
    section.read("type", scorer.type);
    if (scorer.type == "file") {
      section.read("path", scorer.path);
      if (scorer.path.empty())
        Section::fail(where + ".path", "is required: the model file (docs/models.md)");
    } else if (scorer.type == "http") {
      section.read("url", scorer.url);
      if (scorer.url.empty()) Section::fail(where + ".url", "is required: where to POST features");
      section.read_duration("timeout", scorer.timeout_ms);
      section.read_duration("cache", scorer.cache_ms);
      std::string fallback;
      section.read("default", fallback);
      if (!fallback.empty()) {
        char* end = nullptr;
        const double value = std::strtod(fallback.c_str(), &end);
        if (*end != '\0')
          Section::fail(where + ".default", "must be a number, not `" + fallback + "`");
        scorer.default_score = value;
      }
    } else {
      Section::fail(where + ".type", "must be file or http");
    }
    c.scorers.emplace(name, std::move(scorer));
  }
}

}  // namespace

const char* scope_name(Scope scope) {
  static const char* const kNames[] = {"ingest", "decide", "read", "admin"};
  return kNames[static_cast<size_t>(scope)];
}

Config load_config(const std::string& path, Secrets secrets) {
  Config c;
  c.rule_paths = {std::filesystem::is_directory("rules/examples") ? "rules/examples" : "rules"};
  if (path.empty()) return c;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path + ": cannot be read; check the path given to --config");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  c.source = path;
  try {
    const Section top(root, "",
                      {"server", "engine", "storage", "auth", "actions", "scorers", "sources"});
    read_server(top, c);
    read_engine(top, c);
    read_storage(top, c);
    read_auth(top, c, secrets);
    read_actions(top, c, secrets);
    read_scorers(top, c);
    if (const YAML::Node sources = top.get("sources"); sources && !sources.IsNull())
      Section(sources, "sources", {"kafka"});
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": " + e.what());
  }
  return c;
}

}  // namespace spur::server
