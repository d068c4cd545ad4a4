// Engine::replace_program: state carries over by name (http-api.md, "Hot reload").
#include <doctest/doctest.h>

#include "engine_harness.hpp"

namespace spur::testing {
namespace {

std::shared_ptr<const Program> compiled(const std::string& rules) {
  const auto f = check_text(rules);
  INFO(f.rendered());
  REQUIRE(f.diagnostics.error_count() == 0);
  return compile(f.rule_set);
}

const char* const kWaiting = R"(
const LIMIT = 100
rule other when ping then send log {} end
rule cart when add_to_cart as c and c.value > LIMIT and count(page_view in last 1h) >= 1
  and no purchase within 1h
then send log { sku: c.sku } end
)";

}  // namespace

TEST_CASE("a swap keeps waiting matches whose when is unchanged, and they fire as before") {
  Harness h(kWaiting);
  h.send(ev("page_view", "u1", "2026-01-01T09:30:00Z"));
  h.send(ev("add_to_cart", "u1", "2026-01-01T10:00:00Z", R"({"sku": "A", "value": 150})", "c1"));
  REQUIRE(h.engine->pending_count() == 1);
  // Rules reordered and the action changed: the `when` is the same text.
  const SwapCounts counts = h.engine->replace_program(compiled(R"(
const LIMIT = 100
rule cart when add_to_cart as c and c.value > LIMIT and count(page_view in last 1h) >= 1
  and no purchase within 1h
then send log { sku: c.sku, again: true } end
rule other when ping then send log {} end
)"));
  CHECK(counts.pending_kept == 1);
  CHECK(counts.pending_dropped == 0);
  // The page view falls out of the last hour before the deadline: the re-check uses the
  // window as settled at the trigger, so the frozen value must have followed the swap.
  h.until("2026-01-01T11:00:00Z");
  CHECK(h.text() == "cart u1 2026-01-01T11:00:00.000Z c1\n");
  REQUIRE(h.firings.size() == 1);
  CHECK(to_json(h.firings[0].actions[0].value) == R"({"sku":"A","again":true})");
}

TEST_CASE(
    "a kept match's trigger values follow renumbered slots, and paths it did not keep read as "
    "missing") {
  Harness h(kWaiting);
  h.send(ev("page_view", "u1", "2026-01-01T09:30:00Z"));
  h.send(ev("add_to_cart", "u1", "2026-01-01T10:00:00Z",
            R"({"sku": "A", "value": 150, "color": "red"})", "c1"));
  // A rule first in the new set reads other paths, so `value` and `sku` get new slot
  // numbers; the new action also reads `color`, which the match did not keep (its rule
  // did not read it): it reads as missing.
  const auto swap = prepare_swap(h.program, compiled(R"(
const LIMIT = 100
rule before when ping as p and p.zone == "z" and p.level > 2 then send log {} end
rule cart when add_to_cart as c and c.value > LIMIT and count(page_view in last 1h) >= 1
  and no purchase within 1h
then send log { sku: c.sku, value: c.value, color: c.color } end
)"));
  // What the reload warns of: rule 1 (`cart`) reads one slot its matches lack, `color`.
  REQUIRE(swap->unkept_reads.size() == 1);
  CHECK(swap->unkept_reads[0].first == 1);
  REQUIRE(swap->unkept_reads[0].second.size() == 1);
  CHECK(swap->after->slot_paths[swap->unkept_reads[0].second[0]] ==
        std::vector<std::string>{"color"});
  const SwapCounts counts = h.engine->replace_program(*swap);
  CHECK(counts.pending_kept == 1);
  h.until("2026-01-01T11:00:00Z");
  REQUIRE(h.firings.size() == 1);
  CHECK(to_json(h.firings[0].actions[0].value) == R"({"sku":"A","value":150,"color":null})");
}

TEST_CASE("a swap drops waiting matches whose when changed, and of removed rules") {
  Harness h(kWaiting);
  h.send(ev("page_view", "u1", "2026-01-01T09:30:00Z"));
  h.send(ev("add_to_cart", "u1", "2026-01-01T10:00:00Z", R"({"sku": "A", "value": 150})"));
  h.send(ev("page_view", "u2", "2026-01-01T09:30:00Z"));
  h.send(ev("add_to_cart", "u2", "2026-01-01T10:00:00Z", R"({"sku": "B", "value": 150})"));
  const SwapCounts changed = h.engine->replace_program(compiled(R"(
rule cart when add_to_cart as c and c.value > 100 and count(page_view in last 1h) >= 1
  and no purchase within 2h
then send log {} end
)"));
  CHECK(changed.pending_kept == 0);
  CHECK(changed.pending_dropped == 2);
  h.drain();
  CHECK(h.text() == "");
}

TEST_CASE("cooldowns and firing counts stay with the rule name across a swap") {
  const char* const rules = R"(
rule a cooldown 1h when ping then send log {} end
rule b when ping then send log {} end
)";
  Harness h(rules);
  h.send(ev("ping", "u1", "2026-01-01T10:00:00Z"));
  CHECK(h.engine->counts(0).fired == 1);  // `a`
  h.engine->replace_program(compiled(R"(
rule b when ping then send log {} end
rule a cooldown 1h when ping then send log {} end
)"));
  CHECK(h.engine->counts(1).fired == 1);  // `a` is now the second rule
  h.send(ev("ping", "u1", "2026-01-01T10:30:00Z", "{}", "p2"));
  // Agenda order is the new declaration order: b, then a (cooling down since 10:00).
  CHECK(h.lines[h.lines.size() - 2] == "b u1 2026-01-01T10:30:00.000Z p2");
  CHECK(h.lines.back() == "suppressed:cooldown a u1 2026-01-01T10:30:00.000Z p2");
}

TEST_CASE("erasing a user forgets its profile, matches and timers") {
  Harness h(kWaiting);
  h.send(ev("page_view", "u1", "2026-01-01T09:30:00Z"));
  h.send(ev("add_to_cart", "u1", "2026-01-01T10:00:00Z", R"({"sku": "A", "value": 150})"));
  h.engine->merge_attributes("u1", Value::object({{"ltv", Value::number(5)}}));
  CHECK(h.engine->erase_user("u1"));
  CHECK_FALSE(h.engine->erase_user("u1"));
  CHECK(h.engine->user("u1") == nullptr);
  CHECK(h.engine->pending_count() == 0);
  h.drain();
  CHECK(h.text() == "");
}

TEST_CASE("merge_patch follows RFC 7396") {
  std::string error;
  const auto json = [&](const char* text) { return *parse_json_value(text, error); };
  CHECK(to_json(merge_patch(json(R"({"a":1,"b":{"c":2,"d":3}})"),
                            json(R"({"b":{"c":null},"e":4})"))) == R"({"a":1,"b":{"d":3},"e":4})");
  CHECK(to_json(merge_patch(json(R"({"a":1})"), json(R"({"a":null})"))) == "{}");
  CHECK(to_json(merge_patch(json(R"({"a":1})"), json(R"([1])"))) == "[1]");
  CHECK(to_json(merge_patch(Value(), json(R"({"a":{"b":null,"c":1}})"))) == R"({"a":{"c":1}})");
}

}  // namespace spur::testing

namespace spur::testing {

TEST_CASE("a swap renumbers segments and group limits, and skips erased users") {
  const char* const rules = R"(
segment big when profile.ltv > 100 end
group g
  limit 1 per 1d
end
rule a group g when ping then send log { in: profile.segments } end
rule w when add_to_cart and no purchase within 1h then send log end
)";
  Harness h(rules);
  h.send(ev("identify", "u1", "2026-01-01T09:00:00Z", R"({"ltv": 500})"));
  h.send(ev("ping", "u1", "2026-01-01T10:00:00Z", "{}", "p1"));
  h.send(ev("add_to_cart", "u2", "2026-01-01T10:00:00Z"));
  h.send(ev("add_to_cart", "u3", "2026-01-01T10:00:00Z"));
  h.send(ev("ping", "u3", "2026-01-01T10:00:00Z", "{}", "p3"));
  h.send(ev("ping", "u6", "2026-01-01T10:00:00Z", "{}", "p7"));  // a group limit, nothing else
  CHECK(h.engine->pending_count() == 2);
  CHECK(h.engine->erase_user("u2"));  // listed for renumbering: it must leave the list
  h.send(ev("purchase", "u3", "2026-01-01T10:10:00Z"));  // u3's match resolves
  h.send(ev("add_to_cart", "u5", "2026-01-01T10:15:00Z", "{}", "c5"));
  // Everything renumbered: a segment and a rule in front of the old ones.
  const SwapCounts counts = h.engine->replace_program(compiled(R"(
segment none when profile.ltv < 0 end
segment big when profile.ltv > 100 end
group h
  limit 1 per 1d
end
group g
  limit 1 per 1d
end
rule front when nothing then send log end
rule a group g when ping then send log { in: profile.segments } end
rule w when add_to_cart and no purchase within 1h then send log end
)"));
  CHECK(counts.pending_kept == 1);  // u5's
  CHECK(h.engine->pending_by_rule() == std::vector<size_t>{0, 0, 1});
  h.send(ev("ping", "u1", "2026-01-01T10:20:00Z", "{}", "p4"));  // the group limit holds
  h.send(ev("ping", "u4", "2026-01-01T10:20:00Z", "{}", "p5"));
  CHECK(h.lines.back() == "a u4 2026-01-01T10:20:00.000Z p5");
  CHECK(h.lines[h.lines.size() - 2] == "suppressed:group_limit a u1 2026-01-01T10:20:00.000Z p4");
  h.send(ev("ping", "u6", "2026-01-01T10:20:00Z", "{}", "p8"));
  CHECK(h.lines.back() == "suppressed:group_limit a u6 2026-01-01T10:20:00.000Z p8");
  // u1 is still in `big`, now the second segment: it is named, not numbered.
  h.send(ev("ping", "u1", "2026-01-02T10:30:00Z", "{}", "p6"));
  REQUIRE(h.firings.back().trigger == "p6");
  CHECK(to_json(h.firings.back().actions[0].value) == R"({"in":["big"]})");
  CHECK(h.text().find("w u5 2026-01-01T11:15:00.000Z c5") != std::string::npos);
  CHECK(h.engine->pending_count() == 0);
}

}  // namespace spur::testing

namespace spur::testing {

TEST_CASE("engine.retain keeps history no rule reads, for rules a reload adds") {
  const char* const before = "rule browse when page_view then send log end\n";
  const char* const after =
      "rule nudge when page_view and not purchase in last 30d then send log end\n";
  for (const bool retained : {false, true}) {
    CAPTURE(retained);
    EngineConfig config;
    if (retained) config.retain = {{"purchase", 90 * 86'400'000LL}};
    Harness h(before, config);
    h.send(ev("purchase", "u1", "2026-01-01T10:00:00Z"));
    h.engine->replace_program(compiled(after));
    h.send(ev("page_view", "u1", "2026-01-01T10:00:05Z", "{}", "v1"));
    // Without retain the purchase was never kept: the new rule cannot see it (the reload
    // warns so, server/server.cpp); with it, the answer is right.
    CHECK(h.lines.size() == (retained ? 0u : 1u));
  }
}

TEST_CASE("history_kept_ms: the longest window, the session's reach, engine.retain") {
  const auto program = compiled(
      "rule r when a and count(b in last 2h) > 0 and count(c in session) > 0 then send log end\n");
  EngineConfig config;
  config.retain = {{"b", 3'600'000}, {"d", 7'200'000}};
  const auto kept = [&](const std::string& name) {
    return history_kept_ms(*program, program->plan(name), config, name);
  };
  CHECK(kept("b") == config.session_max_ms + config.session_gap_ms);  // sessions are read
  CHECK(kept("d") == 7'200'000);
  CHECK(kept("e") == -1);
  CHECK(program->rules[0].reaches_back ==
        std::vector<std::pair<std::string, int64_t>>{{"b", 7'200'000},
                                                     {"c", CompiledRule::kSessionReach}});
}

}  // namespace spur::testing

namespace spur::testing {

// Section 14 and docs/server.md ("Reload"): an experiment's figures compare like with
// like. A reload that keeps a rule's split, holdout and goal keeps its cohorts; one that
// changes them starts them again, while the rule's own counts and its users' arms (the
// buckets depend on the rule's name only) stay.
TEST_CASE("a reload keeps an experiment's cohorts unless its split, holdout or goal changed") {
  const char* const experiment = R"(
rule ab goal buy within 1d when view then split { 50%: send a 50%: send b } end
)";
  Harness h(experiment);
  for (int user = 0; user < 20; ++user)
    h.send(ev("view", "u" + std::to_string(user), "2026-01-01T10:00:00Z", "{}",
              "v" + std::to_string(user)));
  const auto arms = [&](size_t from) {
    std::vector<int> out;
    for (size_t i = from; i < h.firings.size(); ++i)
      out.push_back(static_cast<int>(h.firings[i].actions.front().value.as_number()));
    return out;
  };
  const std::vector<int> first_arms = arms(0);
  const RuleCounts first = h.engine->counts(0);
  REQUIRE(first.cohort_count() >= 3);
  uint64_t treated = 0;
  for (size_t c = 0; c < first.cohort_count(); ++c)
    treated += first.cohort(c).firings;
  CHECK(treated == 20);

  // Unchanged experiment, another rule added before it and its actions reworded.
  h.engine->replace_program(compiled(std::string("rule other when ping then send log end\n") + R"(
rule ab goal buy within 1d when view then split { 50%: send a { x: 1 } 50%: send b } end
)"));
  CHECK(h.engine->counts(1).cohort_count() == first.cohort_count());
  CHECK(h.engine->counts(1).cohort(2).firings == first.cohort(2).firings);
  CHECK(h.engine->counts(1).cohort(3).firings == first.cohort(3).firings);
  size_t before = h.firings.size();
  for (int user = 0; user < 20; ++user)
    h.send(ev("view", "u" + std::to_string(user), "2026-01-01T11:00:00Z", "{}",
              "w" + std::to_string(user)));
  CHECK(arms(before) == first_arms);  // the same users in the same arms

  // Changed shares: the cohorts start again; the rule's counts stay.
  h.engine->replace_program(compiled(R"(
rule ab goal buy within 1d when view then split { 30%: send a 70%: send b } end
)"));
  CHECK(h.engine->counts(0).cohort_count() == 0);
  CHECK(h.engine->counts(0).fired == 40);

  // A changed goal window starts them again as well.
  h.send(ev("view", "u0", "2026-01-01T12:00:00Z", "{}", "x0"));
  CHECK(h.engine->counts(0).cohort_count() != 0);
  h.engine->replace_program(compiled(R"(
rule ab goal buy within 2d when view then split { 30%: send a 70%: send b } end
)"));
  CHECK(h.engine->counts(0).cohort_count() == 0);
}

}  // namespace spur::testing
