// No heap allocation per event in steady state (design.md targets): once every user is
// known and the dedup window is full, matching an event, firing and suppressing rules,
// and remembering its id allocate nothing. Counted with the process-wide counting
// operator new of support/alloc_counter.cpp.
#include <doctest/doctest.h>

#include <random>

#include "engine_harness.hpp"
#include "support/alloc_counter.hpp"

namespace spur::testing {
namespace {

class Counter final : public EngineListener {
 public:
  void on_firing(const Firing& f) override { firings += f.actions.size(); }
  void on_suppressed(const Suppression&) override { ++suppressed; }
  uint64_t firings = 0, suppressed = 0;
};

std::vector<Event> stream(int count, int users, int64_t start_ms, std::mt19937& rng) {
  const char* const countries[] = {"FR", "DE", "ES"};
  std::vector<Event> out;
  for (int i = 0; i < count; ++i) {
    Event e;
    e.name = "e" + std::to_string(rng() % 3);
    e.user = "user-" + std::to_string(i < users ? i : static_cast<int>(rng() % users));
    e.id = "event-id-longer-than-sso-" + std::to_string(start_ms + i);
    e.time_ms = start_ms + i;
    e.has_time = true;
    e.properties = Value::object({{"amount", Value::number(static_cast<double>(rng() % 100))},
                                  {"country", Value::string(countries[rng() % 3])}});
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

TEST_CASE("matching, firing and deduplicating allocate nothing per event in steady state") {
  std::string rules = "group g\n  exclusive\nend\n";
  for (int i = 0; i < 60; ++i) {
    rules += "rule r" + std::to_string(i) + " priority " + std::to_string(i % 7) +
             (i % 5 == 0 ? " group g" : "") + " when e" + std::to_string(i % 3) +
             " as e and e.amount > " + std::to_string(i) + " and (e.country == \"FR\" or " +
             "e.amount < 10) then send log { n: " + std::to_string(i) + " } end\n";
  }
  const auto checked = check_text(rules);
  REQUIRE(checked.diagnostics.error_count() == 0);
  const auto program = compile(checked.rule_set);
  Counter counter;
  EngineConfig config;
  config.dedup_window_ms = 2'000;  // the window fills after 2,000 events
  Engine engine(program, config, counter);
  std::mt19937 rng(9);
  const std::vector<Event> warm = stream(20'000, 500, 0, rng);
  const std::vector<Event> steady = stream(20'000, 500, 20'000, rng);
  for (const Event& e : warm)
    REQUIRE(engine.submit(e).outcome == Outcome::kAccepted);
  const uint64_t firings_before = counter.firings;
  const uint64_t before = support::alloc_stats().allocations;
  for (const Event& e : steady)
    engine.submit(e);
  const uint64_t allocations = support::alloc_stats().allocations - before;
  CHECK(counter.firings - firings_before > 50'000);  // the steady phase really fires
  CHECK(counter.suppressed > 1'000);                 // and suppresses (exclusive group)
  CHECK(allocations == 0);
}

}  // namespace spur::testing
