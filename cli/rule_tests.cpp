#include "cli/rule_tests.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <ostream>

#include "cli/rule_loading.hpp"
#include "engine/engine.hpp"
#include "formats/json_codec.hpp"
#include "time/time_text.hpp"

namespace spur::cli {
namespace {

namespace fs = std::filesystem;

// A YAML node as a Value: plain scalars are read as null, booleans and numbers when they
// look like them; quoted scalars are strings.
Value from_yaml(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      List items;
      for (const YAML::Node& item : node)
        items.push_back(from_yaml(item));
      return Value::list(std::move(items));
    }
    case YAML::NodeType::Map: {
      Object members;
      for (const auto& member : node)
        members.emplace_back(member.first.as<std::string>(), from_yaml(member.second));
      return Value::object(std::move(members));
    }
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (node.Tag() == "!") return Value::string(text);  // quoted
      if (text == "null" || text == "~" || text.empty()) return Value();
      if (text == "true" || text == "false") return Value::boolean(text == "true");
      std::string error;
      if (const auto number = parse_json_value(text, error);
          number && number->kind() == Value::Kind::kNumber) {
        return *number;
      }
      return Value::string(text);
    }
    default:
      return Value();
  }
}

// Every member listed in `expected` equals the one in `actual` (recursively for
// objects: a partial match); lists must match element by element.
bool partial_match(const Value& expected, const Value& actual) {
  if (expected.kind() == Value::Kind::kObject) {
    if (actual.kind() != Value::Kind::kObject) return false;
    for (const auto& [key, value] : expected.as_object()) {
      const Value* other = actual.find(key);
      if (!partial_match(value, other ? *other : Value())) return false;
    }
    return true;
  }
  if (expected.kind() == Value::Kind::kList && actual.kind() == Value::Kind::kList) {
    const List& x = expected.as_list();
    const List& y = actual.as_list();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!partial_match(x[i], y[i])) return false;
    }
    return true;
  }
  return equal(expected, actual);
}

// Why the firing does not match the expectation, or "" when it does.
std::string mismatch(const Value& expected, const std::string& firing) {
  std::string error;
  const Value actual = *parse_json_value(firing, error);
  for (const auto& [key, want] : expected.as_object()) {
    if (key == "payload") {
      const Value* send = nullptr;
      for (const Value& action : actual.find("actions")->as_list()) {
        if (action.find("send") != nullptr) {
          send = action.find("payload");
          break;
        }
      }
      if (send == nullptr || !partial_match(want, *send)) {
        return "payload: expected " + to_json(want) + ", got " +
               (send ? to_json(*send) : "no send");
      }
      continue;
    }
    const Value* got = actual.find(key);
    // A firing says `holdout` only when it is held out (formats.md, "Experiments").
    const Value not_held_out = Value::boolean(false);
    if (got == nullptr && key == "holdout") got = &not_held_out;
    if (got == nullptr) return "unknown field `" + key + "`";
    if (key == "time") {
      const auto a = time_of(want), b = time_of(*got);
      if (a && b && *a == *b) continue;
    } else if (partial_match(want, *got)) {
      continue;
    }
    return key + ": expected " + to_json(want) + ", got " + to_json(*got);
  }
  return "";
}

class Collector : public EngineListener {
 public:
  void on_firing(const Firing& f) override { firings.push_back(firing_json(f)); }
  void on_suppressed(const Suppression&) override {}
  std::vector<std::string> firings;  // as JSON
};

// Runs one case; returns the failure text, or "" when it passes.
std::string run_case(const YAML::Node& test, const std::shared_ptr<const Program>& program,
                     const EngineConfig& config) {
  Collector collector;
  Engine engine(program, config, collector);
  if (const YAML::Node profiles = test["profiles"]) {
    for (const auto& entry : profiles)
      engine.set_attributes(entry.first.as<std::string>(), from_yaml(entry.second));
  }
  std::string problems;
  int index = 0;
  for (const YAML::Node& e : test["events"]) {
    ++index;
    DecodedEvent decoded;
    const bool decision =
        decode_stream_line(to_json(from_yaml(e)), "auto-" + std::to_string(index), decoded);
    Engine::Decision answer;  // its firing is among the firings expected
    const SubmitResult r =
        !decoded.ok ? SubmitResult{Outcome::kRejected, decoded.error, nullptr, "invalid_event"}
        : decision  ? engine.decide(decoded.event, answer)
                    : engine.submit(decoded.event);
    if (r.outcome == Outcome::kRejected)
      problems += "  event " + std::to_string(index) + " rejected: " + r.error + "\n";
  }
  if (test["drain"] && test["drain"].as<bool>()) {
    for (int instants = 0; instants < 1'000'000; ++instants) {
      const auto next = engine.next_deadline();
      if (!next) break;
      engine.advance_to(*next);
    }
  } else if (const YAML::Node until = test["advance_to"]) {
    const auto t = parse_rfc3339(until.as<std::string>());
    if (!t) return "  advance_to is not an RFC 3339 time: " + until.as<std::string>() + "\n";
    engine.advance_to(*t);
  } else if (const auto clock = engine.clock()) {
    engine.advance_to(*clock);
  }

  const Value expected = test["expect"] ? from_yaml(test["expect"]) : Value::list({});
  const List& want = expected.kind() == Value::Kind::kList ? expected.as_list() : List{};
  std::string diff;
  const size_t n = std::max(want.size(), collector.firings.size());
  for (size_t i = 0; i < n; ++i) {
    if (i >= want.size()) {
      diff += "  unexpected firing " + std::to_string(i + 1) + ": " + collector.firings[i] + "\n";
    } else if (i >= collector.firings.size()) {
      diff += "  missing firing " + std::to_string(i + 1) + ": " + to_json(want[i]) + "\n";
    } else if (const std::string why = mismatch(want[i], collector.firings[i]); !why.empty()) {
      diff += "  firing " + std::to_string(i + 1) + ": " + why + "\n    expected " +
              to_json(want[i]) + "\n    actual   " + collector.firings[i] + "\n";
    }
  }
  if (const YAML::Node profiles = test["expect_profiles"]) {
    for (const auto& entry : profiles) {
      const std::string user = entry.first.as<std::string>();
      const UserState* state = engine.user(user);
      Object actual = state ? state->attributes.as_object() : Object{};
      List segments;
      if (state) {
        for (const uint32_t s : state->segments())
          segments.push_back(Value::string(program->segments[s].name));
      }
      actual.emplace_back("segments", Value::list(std::move(segments)));
      const Value want_profile = from_yaml(entry.second);
      if (!partial_match(want_profile, Value::object(actual))) {
        diff += "  profile " + user + ": expected " + to_json(want_profile) + ", got " +
                to_json(Value::object(std::move(actual))) + "\n";
      }
    }
  }
  return problems + diff;
}

}  // namespace

void run_test_file(const std::string& path, std::ostream& out, std::ostream& err,
                   TestTotals& totals, const EngineConfig& fallback) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    err << path << ": cannot read the test file: " << e.what() << "\n";
    ++totals.broken;
    return;
  }
  std::vector<std::string> rules;
  const fs::path folder = fs::path(path).parent_path();
  for (const YAML::Node& r : root["rules"])
    rules.push_back((folder / r.as<std::string>()).string());
  if (rules.empty()) {
    err << path << ": `rules` must list the rule files, relative to the test file\n";
    ++totals.broken;
    return;
  }
  int status = 0;
  const auto program = load_program(rules, path, status);
  if (!program) {
    ++totals.broken;
    return;
  }
  // `config:` (relative to the test file) gives the engine settings and scorers; model
  // paths in it are relative to its own folder. `scores:` (relative to the test file)
  // holds what its http scorers answer, as `spur replay --scores`.
  EngineConfig config = fallback;
  if (const YAML::Node config_node = root["config"]) {
    const fs::path config_path = folder / config_node.as<std::string>();
    const YAML::Node scores = root["scores"];
    auto configured =
        engine_config(config_path.string(), config_path.parent_path(), "spur test: " + path, status,
                      scores ? (folder / scores.as<std::string>()).string() : std::string());
    if (!configured) {
      ++totals.broken;
      return;
    }
    config = std::move(*configured);
  }
  for (const YAML::Node& test : root["tests"]) {
    const std::string name = test["name"] ? test["name"].as<std::string>() : "(unnamed)";
    std::string failure;
    try {
      failure = run_case(test, program, config);
    } catch (const YAML::Exception& e) {
      failure = std::string("  the case is malformed: ") + e.what() + "\n";
    }
    if (failure.empty()) {
      out << "PASS " << path << ": " << name << "\n";
      ++totals.passed;
    } else {
      out << "FAIL " << path << ": " << name << "\n" << failure;
      ++totals.failed;
    }
  }
}

}  // namespace spur::cli
