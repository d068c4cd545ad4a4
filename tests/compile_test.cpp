// The compiler: sharing of identical predicates, history horizons, fingerprints.
#include "engine/compile.hpp"

#include <doctest/doctest.h>

#include <set>

#include "formats/json_codec.hpp"
#include "test_support.hpp"

namespace spur {

namespace {
std::shared_ptr<const Program> compiled(const std::string& text) {
  const auto f = testing::check_text(text);
  REQUIRE(f.diagnostics.error_count() == 0);
  return compile(f.rule_set);
}
}  // namespace

TEST_CASE("identical predicates are one node, shared between rules") {
  const auto p = compiled(
      "rule a when view as v and v.amount > 100 and count(buy in last 1d) > 2 then send log end\n"
      "rule b when view as e and e.amount > 100 and count(buy in last 1d) > 2 then send log end\n"
      "rule c when view as v and v.amount > 101 then send log end\n");
  CHECK(p->rules[0].operands == p->rules[1].operands);  // the alias does not matter
  CHECK(p->rules[2].operands[0] != p->rules[0].operands[0]);
  CHECK(p->past.size() == 1);
}

TEST_CASE("trigger properties are slots numbered at compile time, listed per event name") {
  const auto p = compiled(
      "rule a when view as v and v.amount > 100 and buy[sku == v.sku] in last 1h then send log "
      "end\n"
      "rule b when click as c and c.amount > 1 then send log { sku: c.sku } end\n"
      "rule d when view then send log { all: event } end\n");
  REQUIRE(p->slot_paths.size() == 3);  // amount, sku, the whole object
  CHECK(p->slot_paths[0] == std::vector<std::string>{"amount"});
  CHECK(p->slot_paths[1] == std::vector<std::string>{"sku"});
  CHECK(p->slot_paths[2].empty());
  CHECK(p->plan("view")->slots == std::vector<uint32_t>{0, 1, 2});
  CHECK(p->plan("click")->slots == std::vector<uint32_t>{0, 1});
}

TEST_CASE("goal events have a slot each, and their plans name them") {
  // e0 to e9 hash alike in FNV-1a's top bits (they differ in the last byte only), where
  // the slots were first taken from: every goal then shared one bit.
  std::string text;
  for (int i = 0; i < 10; ++i) {
    const std::string e = "e" + std::to_string(i);
    text += "rule r" + std::to_string(i) + " goal " + e + " within 1h when " + e +
            " then send log end\n";
  }
  text += "rule again goal e3 within 2h when view then send log end\n";
  text += "rule plain goal buy within 1h when view then send log end\n";  // buy: no rule's trigger
  const auto p = compiled(text);
  REQUIRE(p->goal_events.size() == 11);
  std::set<uint8_t> slots;
  for (int i = 0; i < 10; ++i) {
    const Program::GoalCheck& check = p->goal_checks[static_cast<size_t>(i)];
    slots.insert(Program::goal_slot(check.event));
    const Program::EventPlan* plan = p->plan("e" + std::to_string(i));
    REQUIRE(plan != nullptr);
    CHECK(plan->goal_event == check.event);
    CHECK(p->goal_events[check.event] == "e" + std::to_string(i));
  }
  CHECK(slots.size() == 10);
  CHECK(Program::goal_slot(p->goal_checks[10].event) ==
        Program::goal_slot(p->goal_checks[3].event));  // the same event, the same slot
  CHECK(p->plan("view")->goal_event == kNoNode);       // not a goal event
  const Program::EventPlan* buy = p->plan("buy");      // a plan made for the goal alone
  REQUIRE(buy != nullptr);
  CHECK(buy->rules.empty());
  CHECK(p->goal_events[buy->goal_event] == "buy");
}

TEST_CASE("1 and \"1\" are different constants") {
  const auto p = compiled("rule a when x as e and e.a == 1 and e.b == \"1\" then send log end\n");
  CHECK(p->rules[0].operands[0] != p->rules[0].operands[1]);
  CHECK(p->consts.size() >= 2);
}

TEST_CASE("history reaches back the longest window over each event name") {
  const auto p = compiled(
      "rule a when x and view in last 30m and count(view in last 2h) > 1 then send log end\n"
      "segment s when sum(buy.amount in last 90d) > 10 end\n"
      "rule b when x then send log { n: count(click in session) } end\n");
  CHECK(p->plan("view")->history_ms == 2 * 3'600'000);
  CHECK(p->plan("buy")->history_ms == 90LL * 86'400'000);
  CHECK(p->plan("click")->history_ms == 0);  // kept for the session
  CHECK(p->uses_session);
  CHECK(p->plan("x")->history_ms < 0);  // no rule looks back at x: none of it is kept
}

TEST_CASE("the when fingerprint ignores the actions, the rule fingerprint does not") {
  const auto p = compiled(
      "rule a when x and profile.v > 1 then send log end\n"
      "rule b when x and profile.v > 1 then send email end\n");
  CHECK(p->rules[0].when_fingerprint == p->rules[1].when_fingerprint);
  CHECK(p->rules[0].fingerprint != p->rules[1].fingerprint);
}

TEST_CASE("a plain rule is known as one from its first fields, with its firing's records made") {
  // The last two would be plain but for their experiment options: the first fires at once
  // through its rule's records per arm, the second waits for the agenda (quiet hours).
  const auto p = compiled(
      "group g\nend\n"
      "rule plain when a as e and e.c == \"x\" and e.n > 1 then\n"
      "  send log { k: 1 }\n  send hook\nend\n"
      "rule tested when a as e and e.n > 1 and e.m < 2 then send log end\n"
      "rule waiting when a and no b within 1h then send log end\n"
      "rule grouped group g when a then send log end\n"
      "rule evaluated when a as e then send log { n: e.n } end\n"
      "rule scored when a then send log { s: score(\"m\") } end\n"
      "rule setter when a then set profile.x = 1 end\n"
      "rule ab holdout 10% goal b within 1h when a then split { 50%: send log } end\n"
      "rule quiet_ab holdout 10%\n  quiet 22:00..08:00\nwhen a then send log end\n");
  const CompiledRule& plain = p->rules[0];
  CHECK_FALSE(plain.tests_operands);
  CHECK_FALSE(plain.waits);
  CHECK_FALSE(plain.restricted);
  REQUIRE(plain.constant_actions_first != kNoNode);
  REQUIRE(plain.constant_actions_count == 2);
  const ActionRecord* records = p->constant_actions.data() + plain.constant_actions_first;
  CHECK(records[0].name == "log");
  CHECK(to_json(*records[0].value) == R"({"k":1})");
  CHECK(records[1].name == "hook");
  CHECK(to_json(*records[1].value) == "{}");  // a send without a payload carries {}
  CHECK(p->rules[1].tests_operands);          // one bound is indexed, the other is tested
  CHECK(p->rules[2].waits);
  CHECK(p->rules[3].restricted);
  CHECK(p->rules[8].restricted);
  for (size_t i = 4; i < 7; ++i) {
    CAPTURE(p->rules[i].name);
    CHECK(p->rules[i].constant_actions_first == kNoNode);
  }
  // The plan of `a` holds what a candidate needs of each rule, in the plan's order: all
  // of it for the plain rule only, and the bound `e.n > 1` of the first two rules; that
  // the experiment `ab` fires at once.
  const Program::EventPlan& plan = *p->plan("a");
  REQUIRE(plan.heads.size() == plan.rules.size());
  for (size_t position = 0; position < plan.rules.size(); ++position) {
    const Program::RuleHead& head = plan.heads[position];
    const CompiledRule& rule = p->rules[plan.rules[position]];
    CAPTURE(rule.name);
    CHECK(head.rule == plan.rules[position]);
    const Program::AtOnce at_once = head.rule == 0   ? Program::AtOnce::kPlain
                                    : head.rule == 7 ? Program::AtOnce::kExperiment
                                                     : Program::AtOnce::kNo;
    CHECK(head.at_once == at_once);
    CHECK(head.records.empty() == (at_once == Program::AtOnce::kNo));
    if (head.rule == 0) CHECK(head.records.size() == 2);
    if (head.rule <= 1) {
      REQUIRE(head.bound < plan.bounds.size());
      CHECK(head.bound_threshold == 1);  // e.n > 1: strict, so the bound itself
    } else {
      CHECK(head.bound == kNoNode);
    }
    if (head.at_once != Program::AtOnce::kPlain) continue;
    CHECK(head.name == rule.name);
    CHECK(head.priority == rule.priority);
    CHECK(head.records.data() == records);
  }
}

}  // namespace spur
