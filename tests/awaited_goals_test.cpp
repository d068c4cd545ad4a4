#include "engine/awaited_goals.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace spur {
namespace {

AwaitedGoal goal(uint32_t rule, int64_t fired_ms) {
  AwaitedGoal g;
  g.rule = rule;
  g.fired_ms = fired_ms;
  g.firing_hash = rule * 1000 + static_cast<uint64_t>(fired_ms);
  return g;
}

std::vector<uint32_t> rules_of(const AwaitedGoals& goals) {
  std::vector<uint32_t> rules;
  for (const AwaitedGoal& g : goals)
    rules.push_back(g.rule);
  return rules;
}

TEST_CASE("awaited goals keep their order and contents across the growths of their block") {
  AwaitedGoals goals;
  CHECK(goals.empty());
  CHECK(goals.full());  // no block yet: the first push makes one
  for (uint32_t r = 0; r < 37; ++r)
    goals.push_back(goal(r, 10 + r));
  REQUIRE(goals.size() == 37);
  uint32_t r = 0;
  for (const AwaitedGoal& g : goals) {
    CHECK(g.rule == r);
    CHECK(g.fired_ms == 10 + r);
    CHECK(g.firing_hash == r * 1000 + 10 + r);
    ++r;
  }
}

TEST_CASE("erase_if drops exactly the goals asked, in order, and the block takes new ones") {
  AwaitedGoals goals;
  for (uint32_t r = 0; r < 8; ++r)
    goals.push_back(goal(r, r));
  std::vector<uint32_t> seen;
  goals.erase_if([&](const AwaitedGoal& g) {
    seen.push_back(g.rule);
    return g.rule % 3 == 1;
  });
  CHECK(seen == std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7});  // each once, in order
  CHECK(rules_of(goals) == std::vector<uint32_t>{0, 2, 3, 5, 6});
  goals.erase_if([](const AwaitedGoal&) { return false; });
  CHECK(rules_of(goals) == std::vector<uint32_t>{0, 2, 3, 5, 6});
  goals.push_back(goal(9, 9));
  CHECK(rules_of(goals) == std::vector<uint32_t>{0, 2, 3, 5, 6, 9});
  goals.erase_if([](const AwaitedGoal&) { return true; });
  CHECK(goals.empty());
  goals.push_back(goal(4, 4));
  CHECK(rules_of(goals) == std::vector<uint32_t>{4});
}

TEST_CASE("moved awaited goals leave the source empty and own the block") {
  AwaitedGoals goals;
  goals.push_back(goal(1, 1));
  goals.push_back(goal(2, 2));
  AwaitedGoals moved(std::move(goals));
  CHECK(goals.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is asserted
  CHECK(rules_of(moved) == std::vector<uint32_t>{1, 2});
  AwaitedGoals assigned;
  assigned.push_back(goal(3, 3));
  assigned = std::move(moved);
  CHECK(rules_of(assigned) == std::vector<uint32_t>{1, 2});
}

}  // namespace
}  // namespace spur
