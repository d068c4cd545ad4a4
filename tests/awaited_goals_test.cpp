#include "engine/awaited_goals.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace spur {
namespace {

AwaitedGoal goal(uint32_t rule, int64_t fired_ms) {
  AwaitedGoal g;
  g.rule = rule;
  g.fired_ms = fired_ms;
  return g;
}

// The firing id the tests give the goal of `rule`.
uint64_t hash_of(uint32_t rule) {
  return rule * 1000 + 7;
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
    goals.push_back(goal(r, 10 + r), hash_of(r));
  REQUIRE(goals.size() == 37);
  uint32_t r = 0;
  for (const AwaitedGoal& g : goals) {
    CHECK(g.rule == r);
    CHECK(g.fired_ms == 10 + r);
    CHECK(goals.firing_hash(g) == hash_of(r));
    ++r;
  }
}

TEST_CASE("goals pushed without a firing id read 0, also once later goals keep theirs") {
  AwaitedGoals goals;
  for (uint32_t r = 0; r < 3; ++r)
    goals.push_back(goal(r, r));
  for (const AwaitedGoal& g : goals)
    CHECK(goals.firing_hash(g) == 0);
  goals.push_back(goal(3, 3), hash_of(3));  // a block of 4 holding 3: the ids join it
  goals.push_back(goal(4, 4));              // in a new block: ids and goals both move
  goals.push_back(goal(5, 5), hash_of(5));
  std::vector<uint64_t> hashes;
  for (const AwaitedGoal& g : goals)
    hashes.push_back(goals.firing_hash(g));
  CHECK(hashes == std::vector<uint64_t>{0, 0, 0, hash_of(3), 0, hash_of(5)});
}

TEST_CASE("erase_if drops exactly the goals asked, in order, and the block takes new ones") {
  AwaitedGoals goals;
  for (uint32_t r = 0; r < 8; ++r)
    goals.push_back(goal(r, r), hash_of(r));
  std::vector<uint32_t> seen;
  goals.erase_if([&](const AwaitedGoal& g) {
    seen.push_back(g.rule);
    CHECK(goals.firing_hash(g) == hash_of(g.rule));  // each still in its place
    return g.rule % 3 == 1;
  });
  CHECK(seen == std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7});  // each once, in order
  CHECK(rules_of(goals) == std::vector<uint32_t>{0, 2, 3, 5, 6});
  for (const AwaitedGoal& g : goals)
    CHECK(goals.firing_hash(g) == hash_of(g.rule));  // the ids moved with their goals
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
