// Runs rule text over events for engine tests: real checker, compiler, engine and JSON
// decoder; firings and suppressions are kept as short lines
// ("rule user time trigger", "suppressed:reason rule user time trigger").
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/compile.hpp"
#include "engine/engine.hpp"
#include "formats/json_codec.hpp"
#include "test_support.hpp"
#include "time/time_text.hpp"

namespace spur::testing {

class Harness : public EngineListener {
 public:
  explicit Harness(const std::string& rules, EngineConfig config = {}, CompileOptions options = {},
                   bool wants_conversions = true)
      : wants_conversions_(wants_conversions) {
    const auto f = check_text(rules);
    INFO(f.rendered());
    REQUIRE(f.diagnostics.error_count() == 0);
    program = compile(f.rule_set, options);
    engine = std::make_unique<Engine>(program, config, *this);
  }

  // Submits one event given as JSON; returns the outcome.
  Outcome send(const std::string& json) {
    DecodedEvent decoded = decode_event(json, "auto-" + std::to_string(++count_));
    INFO(decoded.error);
    REQUIRE(decoded.ok);
    const SubmitResult r = engine->submit(std::move(decoded.event));
    last_error = r.error;
    return r.outcome;
  }
  // Makes a decision request given as a replay line ({"decide": PLACEMENT, ...}); returns
  // the answer, with the outcome in `last_outcome`.
  Engine::Decision decide(const std::string& json) {
    DecodedEvent decoded;
    const bool decision = decode_stream_line(json, "auto-" + std::to_string(++count_), decoded);
    INFO(decoded.error);
    REQUIRE(decoded.ok);
    REQUIRE(decision);
    Engine::Decision answer;
    const SubmitResult r = engine->decide(decoded.event, answer);
    last_error = r.error;
    last_outcome = r.outcome;
    return answer;
  }
  void until(const std::string& time) { engine->advance_to(*parse_rfc3339(time)); }
  void drain() {
    while (const auto next = engine->next_deadline())
      engine->advance_to(*next);
  }
  Value profile(const std::string& user, const std::string& attribute) const {
    const UserState* u = engine->user(user);
    return u ? lookup(u->attributes, {attribute}) : Value();
  }

  void on_firing(const Firing& f) override {
    const FiringRecord& r = firings.emplace_back(f);
    lines.push_back(r.rule + " " + r.user + " " + format_rfc3339(r.time_ms) + " " + r.trigger);
  }
  bool wants_conversions() const override { return wants_conversions_; }
  void on_suppressed(const Suppression& s) override {
    lines.push_back(std::string("suppressed:") + reason_name(s.reason) + " " + std::string(s.rule) +
                    " " + std::string(s.user) + " " + format_rfc3339(s.time_ms) + " " +
                    std::string(s.trigger));
  }

  std::shared_ptr<const Program> program;
  std::unique_ptr<Engine> engine;
  std::vector<FiringRecord> firings;
  std::vector<std::string> lines;
  std::string last_error;
  Outcome last_outcome = Outcome::kAccepted;

  // The lines joined, one per line, so that a failed check prints them.
  std::string text() const { return join(lines); }
  static std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& part : parts)
      out += part + "\n";
    return out;
  }

 private:
  int count_ = 0;
  bool wants_conversions_;  // set before the engine is made: its constructor asks
};

// A Harness that also keeps each firing as its JSON line (formats.md).
class JsonHarness : public Harness {
 public:
  using Harness::Harness;
  void on_firing(const Firing& f) override {
    Harness::on_firing(f);
    json.push_back(firing_json(f));
  }
  std::vector<std::string> json;
};

// The actions and what follows them in a firing's JSON line.
inline std::string tail_of(const std::string& firing) {
  return firing.substr(firing.find("\"actions\":"));
}

// An event line: ev("add_to_cart", "u1", "2026-01-01T10:00:00Z", R"({"sku": "A"})", "e1").
inline std::string ev(const std::string& name, const std::string& user, const std::string& time,
                      const std::string& properties = "{}", const std::string& id = "") {
  std::string json = R"({"event": ")" + name + R"(", "user": ")" + user + R"(", "time": ")" + time +
                     R"(", "properties": )" + properties;
  if (!id.empty()) json += R"(, "id": ")" + id + "\"";
  return json + "}";
}

}  // namespace spur::testing
