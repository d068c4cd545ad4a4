// The candidate indexes (equality and bounds, Program::EventPlan) never change a result:
// random rule sets run with and without them must give the same firings and
// suppressions, in the same order.
#include <doctest/doctest.h>

#include <random>

#include "engine_harness.hpp"

namespace spur::testing {
namespace {

const char* const kValues[] = {"1",    "1.0",  "\"1\"",  "\"a\"", "\"b\"",
                               "null", "true", "[1, 2]", "2"};
// Bounds: numbers on both sides of the values above, and equal to some of them.
const char* const kBounds[] = {"-1", "0", "1", "1.5", "2", "3"};
const char* const kComparisons[] = {"<", "<=", ">", ">="};
const char* const kEvents[] = {"a", "b", "c"};

std::string random_rules(std::mt19937& rng) {
  const auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::string text = "group g\n  exclusive\nend\n";
  for (int i = 0; i < 40; ++i) {
    std::string rule = "rule r" + std::to_string(i) + " priority " + std::to_string(pick(3));
    if (pick(4) == 0) rule += " group g";
    rule += " when " + std::string(kEvents[pick(3)]);
    if (pick(5) == 0) rule += " | " + std::string(kEvents[pick(3)]);
    rule += " as e";
    const int operands = pick(3);
    for (int k = 0; k < operands; ++k) {
      switch (pick(5)) {
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
  if (pick(4) > 0) props += std::string("\"p\": ") + kValues[pick(9)];
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
  for (const unsigned seed : {11u, 12u, 13u, 14u, 15u, 16u}) {
    std::mt19937 rng(seed);
    const std::string rules = random_rules(rng);
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

}  // namespace spur::testing
