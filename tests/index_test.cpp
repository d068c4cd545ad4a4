// The candidate indexes (equality and bounds, Program::EventPlan) never change a result:
// random rule sets run with and without them must give the same firings and
// suppressions, in the same order.
#include <doctest/doctest.h>

#include <random>
#include <stdexcept>

#include "engine_harness.hpp"

namespace spur::testing {
namespace {

const char* const kValues[] = {"1",    "1.0",  "\"1\"",  "\"a\"", "\"b\"",
                               "null", "true", "[1, 2]", "2"};
// Bounds: numbers on both sides of the values above, and equal to some of them.
const char* const kBounds[] = {"-1", "0", "1", "1.5", "2", "3"};
const char* const kComparisons[] = {"<", "<=", ">", ">="};
const char* const kEvents[] = {"a", "b", "c"};

// Selective keys: `e.p == "s<k>"`, k below kSelective, so that an event's candidates
// can lie in a few words of a plan's bit set.
constexpr int kSelective = 60;

std::string random_rules(std::mt19937& rng, int count) {
  const auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::string text = "group g\n  exclusive\nend\n";
  for (int i = 0; i < count; ++i) {
    std::string rule = "rule r" + std::to_string(i) + " priority " + std::to_string(pick(3));
    if (pick(4) == 0) rule += " group g";
    rule += " when " + std::string(kEvents[pick(3)]);
    if (pick(5) == 0) rule += " | " + std::string(kEvents[pick(3)]);
    rule += " as e";
    const int operands = pick(3);
    for (int k = 0; k < operands; ++k) {
      switch (pick(6)) {
        case 0:
          rule += std::string(" and ") + kValues[pick(9)] + " == e.q";
          break;
        case 1:
          rule += std::string(" and e.") + (pick(2) ? "p" : "q") + " " + kComparisons[pick(4)] +
                  " " + kBounds[pick(6)];
          break;
        case 2:
          rule += std::string(" and ") + kBounds[pick(6)] + " " + kComparisons[pick(4)] + " e.q";
          break;
        case 3:
          rule += " and e.p == \"s" + std::to_string(pick(kSelective)) + "\"";
          break;
        default:
          rule += std::string(" and e.") + (pick(2) ? "p" : "q") + " == " + kValues[pick(9)];
      }
    }
    if (pick(6) == 0) rule += " and no z within 1h";
    text += rule + " then send log end\n";
  }
  return text;
}

std::string random_event(std::mt19937& rng, int i) {
  const auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::string props = "{";
  if (pick(4) > 0) {
    props += "\"p\": ";
    props += pick(3) == 0 ? "\"s" + std::to_string(pick(kSelective)) + "\"" : kValues[pick(9)];
  }
  if (pick(4) > 0)
    props += std::string(props.size() > 1 ? ", " : "") + "\"q\": " + kValues[pick(9)];
  props += "}";
  const std::string name = pick(10) == 0 ? "z" : kEvents[pick(3)];
  const std::string minute = std::to_string(10 + i % 50);
  return ev(name, "u" + std::to_string(pick(3)), "2026-01-01T10:" + minute + ":00Z", props);
}

}  // namespace

TEST_CASE("the candidate indexes give exactly the firings of plain evaluation") {
  size_t firings = 0;
  // 40 rules: a plan's candidates fit one word; 400: they take three.
  const std::pair<unsigned, int> runs[] = {{11, 40}, {12, 40}, {13, 40},  {14, 40},
                                           {15, 40}, {16, 40}, {17, 400}, {18, 400}};
  for (const auto& run : runs) {
    const unsigned seed = run.first;
    std::mt19937 rng(seed);
    const std::string rules = random_rules(rng, run.second);
    Harness indexed(rules);
    Harness plain(rules, EngineConfig{}, CompileOptions{.candidate_indexes = false});
    size_t by_text = 0, by_key = 0, bounded = 0;
    for (const auto& [name, plan] : indexed.program->event_plans) {
      for (const auto& index : plan.indexes) {
        by_text += index.texts.positions();
        by_key += index.others.positions();
      }
      for (const auto& bound : plan.bounds)
        bounded += bound.size();
    }
    CHECK(by_text > 2);  // the indexes are really used: strings and other values
    CHECK(by_key > 2);
    CHECK(bounded > 5);
    for (const auto& [name, plan] : plain.program->event_plans) {
      CHECK(plan.indexes.empty());
      CHECK(plan.bounds.empty());
    }
    for (int i = 0; i < 300; ++i) {
      const std::string event = random_event(rng, i);
      indexed.send(event);
      plain.send(event);
    }
    indexed.drain();
    plain.drain();
    INFO("seed " << seed << "\n" << rules);
    CHECK(indexed.text() == plain.text());
    firings += indexed.firings.size();
  }
  CHECK(firings > 100);
}

// A listener that throws when one rule fires, as a server's might when out of memory.
class ThrowingHarness : public Harness {
 public:
  using Harness::Harness;
  void on_firing(const Firing& f) override {
    if (f.rule == throw_on) throw std::runtime_error("the listener failed");
    Harness::on_firing(f);
  }
  std::string throw_on;
};

TEST_CASE("a listener that throws leaves no candidate of its event to the next one") {
  // r0 and r69 share a key: the event's candidates are in two words of the bit set, and
  // the listener throws while the first is visited; the next event's one candidate, r68,
  // is in the second word.
  std::string rules;
  for (int i = 0; i < 70; ++i) {
    const std::string key = i == 0 || i == 69 ? "shared" : "k" + std::to_string(i);
    rules += "rule r" + std::to_string(i) + " when e as x and x.c == \"" + key +
             "\" then send log end\n";
  }
  ThrowingHarness h(rules);
  REQUIRE(h.program->plan("e")->indexes.size() == 1);
  h.throw_on = "r0";
  CHECK_THROWS_AS(h.send(ev("e", "u1", "2026-01-01T10:00:00Z", R"({"c": "shared"})")),
                  std::runtime_error);
  h.throw_on.clear();
  h.send(ev("e", "u1", "2026-01-01T10:01:00Z", R"({"c": "k68"})", "e2"));
  CHECK(h.text() == "r68 u1 2026-01-01T10:01:00.000Z e2\n");
}

}  // namespace spur::testing
