// Sections 6 and 7: priorities, groups, cooldowns, limits, actions, segments, emits.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "engine_harness.hpp"

namespace spur::testing {

TEST_CASE("activations fire by priority, then declaration order") {
  Harness h(
      "rule low priority 1 when a then send log end\n"
      "rule first_high priority 5 when a then send log end\n"
      "rule second_high priority 5 when a then send log end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  CHECK(h.text() == Harness::join({"first_high u 2026-01-01T10:00:00.000Z a1",
                                   "second_high u 2026-01-01T10:00:00.000Z a1",
                                   "low u 2026-01-01T10:00:00.000Z a1"}));
}

TEST_CASE("plain rules fired as they are met keep the agenda's order with the others") {
  // `plain_*` fire as soon as their trigger is met when nothing ranks before them;
  // `setter` (an evaluated action), `guarded` (a cooldown) and the completed `waiter`
  // are queued, and every plain rule after them waits its turn on the agenda.
  Harness h(
      "rule plain_top priority 9 when a then send log end\n"
      "rule setter priority 7 when a then set profile.x = 1 end\n"
      "rule plain_mid priority 5 when a then send log end\n"
      "rule guarded priority 3 cooldown 1h when a then send log end\n"
      "rule plain_low priority 1 when a then send log end\n"
      "rule waiter priority 8 when b and a within 1h then send log end\n"
      "rule plain_b priority 2 when b then send log end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.send(ev("b", "u", "2026-01-01T10:01:00Z", "{}", "b1"));
  h.send(ev("a", "u", "2026-01-01T10:02:00Z", "{}", "a2"));
  CHECK(h.text() ==
        Harness::join(
            {"plain_top u 2026-01-01T10:00:00.000Z a1", "setter u 2026-01-01T10:00:00.000Z a1",
             "plain_mid u 2026-01-01T10:00:00.000Z a1", "guarded u 2026-01-01T10:00:00.000Z a1",
             "plain_low u 2026-01-01T10:00:00.000Z a1", "plain_b u 2026-01-01T10:01:00.000Z b1",
             "plain_top u 2026-01-01T10:02:00.000Z a2", "waiter u 2026-01-01T10:02:00.000Z b1",
             "setter u 2026-01-01T10:02:00.000Z a2", "plain_mid u 2026-01-01T10:02:00.000Z a2",
             "suppressed:cooldown guarded u 2026-01-01T10:02:00.000Z a2",
             "plain_low u 2026-01-01T10:02:00.000Z a2"}));
  CHECK(h.engine->counts(0).triggered == 2);
  CHECK(h.engine->counts(0).fired == 2);
  CHECK(h.engine->counts(3).suppressed == 1);
}

TEST_CASE("exclusive group: one firing per step, ties go to the earlier declaration") {
  Harness h(
      "group g\n  exclusive\nend\n"
      "rule one priority 5 group g when a then send log end\n"
      "rule two priority 5 group g when a then send log end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  CHECK(h.text() == Harness::join({"one u 2026-01-01T10:00:00.000Z a1",
                                   "suppressed:exclusive two u 2026-01-01T10:00:00.000Z a1"}));
}

TEST_CASE("a cooldown ends exactly at its length") {
  Harness h("rule r cooldown 1h when a then send log end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.send(ev("a", "u", "2026-01-01T10:59:59.999Z", "{}", "a2"));
  h.send(ev("a", "u", "2026-01-01T11:00:00Z", "{}", "a3"));
  CHECK(h.text() == Harness::join({"r u 2026-01-01T10:00:00.000Z a1",
                                   "suppressed:cooldown r u 2026-01-01T10:59:59.999Z a2",
                                   "r u 2026-01-01T11:00:00.000Z a3"}));
}

TEST_CASE("limit 2 per 1h counts the firings from t - 1h exclusive to t inclusive") {
  Harness h("rule r limit 2 per 1h when a then send log end\n");
  for (const char* t : {"10:00:00", "10:30:00", "10:59:59", "11:00:00"}) {
    h.send(ev("a", "u", std::string("2026-01-01T") + t + "Z"));
  }
  CHECK(h.text() ==
        Harness::join({"r u 2026-01-01T10:00:00.000Z auto-1", "r u 2026-01-01T10:30:00.000Z auto-2",
                       "suppressed:limit r u 2026-01-01T10:59:59.000Z auto-3",
                       "r u 2026-01-01T11:00:00.000Z auto-4"}));
}

TEST_CASE(
    "group cooldown and limit count over all rules of the group, the first reason is reported") {
  Harness h(
      "group g\n  cooldown 1h\n  limit 1 per 1d\nend\n"
      "rule one group g cooldown 2h when a then send log end\n"
      "rule two group g when b then send log end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.send(ev("b", "u", "2026-01-01T10:30:00Z", "{}", "b1"));  // group cooldown before group limit
  h.send(ev("b", "u", "2026-01-01T11:30:00Z", "{}", "b2"));  // group limit
  h.send(ev("a", "u", "2026-01-01T11:45:00Z", "{}", "a2"));  // own cooldown first
  CHECK(h.text() == Harness::join({"one u 2026-01-01T10:00:00.000Z a1",
                                   "suppressed:group_cooldown two u 2026-01-01T10:30:00.000Z b1",
                                   "suppressed:group_limit two u 2026-01-01T11:30:00.000Z b2",
                                   "suppressed:cooldown one u 2026-01-01T11:45:00.000Z a2"}));
}

TEST_CASE("conditions are settled before the first firing, actions see earlier changes") {
  Harness h(
      "rule setter priority 2 when a then set profile.vip = true end\n"
      "rule reader priority 1 when a and not profile.vip then\n"
      "  set profile.n = 1\n  increment profile.n by 2\n  send log { vip: profile.vip, n: "
      "profile.n }\nend\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z"));
  REQUIRE(h.firings.size() == 2);  // reader's condition was settled before setter fired
  const FiringRecord::Action& sent = h.firings[1].actions[2];
  CHECK(to_json(sent.value) == R"({"vip":true,"n":3})");
}

TEST_CASE("set null removes, increment starts from 0 and ignores non-numbers") {
  Harness h(
      "rule r when a then\n  set profile.x = 1\n  set profile.x = null\n  increment profile.c\n"
      "  set profile.s = \"t\"\n  increment profile.s by 1\nend\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z"));
  CHECK(h.profile("u", "x").is_null());
  CHECK(to_json(h.profile("u", "c")) == "1");
  CHECK(to_json(h.profile("u", "s")) == "\"t\"");
  CHECK(h.firings[0].actions[4].value.is_null());  // the record says nothing changed
}

TEST_CASE("identify merges top-level properties, null removes an attribute") {
  Harness h(
      "rule r when identify and profile.tier == \"gold\" and profile.old is null then send log "
      "end\n");
  std::string error;
  h.engine->set_attributes("u", *parse_json_value(R"({"old": 1, "keep": 2})", error));
  h.send(ev("identify", "u", "2026-01-01T10:00:00Z", R"({"tier": "gold", "old": null})"));
  CHECK(h.firings.size() == 1);
  CHECK(to_json(h.profile("u", "keep")) == "2");
}

TEST_CASE("segments: entered and exited events, profile.segments in declaration order") {
  Harness h(
      "segment big when profile.ltv > 100 end\n"
      "segment any when true end\n"
      "rule welcome when segment_entered as s and s.segment == \"big\" then send log { in: "
      "profile.segments } end\n"
      "rule bye when segment_exited as s then send log end\n");
  h.send(ev("identify", "u", "2026-01-01T10:00:00Z", R"({"ltv": 500})", "i1"));
  h.send(ev("identify", "u", "2026-01-01T11:00:00Z", R"({"ltv": 5})", "i2"));
  CHECK(h.text() == Harness::join({"welcome u 2026-01-01T10:00:00.000Z i1~1",
                                   "bye u 2026-01-01T11:00:00.000Z i2~1"}));
  CHECK(to_json(h.firings[0].actions[0].value) == R"({"in":["big","any"]})");
}

TEST_CASE("emits are handled as further steps, at most 8 levels deep") {
  Harness h(
      "rule start when go then emit ping { n: 1 } end\n"
      "rule loop when ping as p then emit ping { n: p.n + 1 } end\n");
  h.send(ev("go", "u", "2026-01-01T10:00:00Z", "{}", "g"));
  REQUIRE(h.lines.size() == 9);  // start at level 0, then ping at levels 1..8
  CHECK(h.lines[1] == "loop u 2026-01-01T10:00:00.000Z g~1");
  // A derived event is a step of its own: what it queues is named after it (formats.md).
  CHECK(h.lines[2] == "loop u 2026-01-01T10:00:00.000Z g~1~1");
  CHECK(h.lines[8] == "loop u 2026-01-01T10:00:00.000Z g~1~1~1~1~1~1~1~1");
  CHECK(h.engine->dropped_emits() == 1);
}

TEST_CASE("a timer step fires a waiting rule and names its trigger, derived ids use the timer") {
  Harness h(
      "rule r when a and no b within 1h then emit done end\n"
      "rule d when done then send log end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.drain();
  CHECK(h.text() ==
        Harness::join({"r u 2026-01-01T11:00:00.000Z a1",
                       "d u 2026-01-01T11:00:00.000Z timer@2026-01-01T11:00:00.000Z~1"}));
}

TEST_CASE("disabled rules never fire") {
  Harness h("rule r disabled when a then send log end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z"));
  CHECK(h.lines.empty());
}

TEST_CASE("scores: profile.scores without a model, recorded in the firing") {
  Harness h("rule r when a and score(\"churn\") > 0.5 then send log { s: score(\"churn\") } end\n");
  std::string error;
  h.engine->set_attributes("u", *parse_json_value(R"({"scores": {"churn": 0.8}})", error));
  h.send(ev("a", "u", "2026-01-01T10:00:00Z"));
  REQUIRE(h.firings.size() == 1);
  CHECK(to_json(Value::object(h.firings[0].scores)) == R"({"churn":0.8})");
}

TEST_CASE("per-user activity is made only for the state that needs it") {
  Harness stateless(
      "rule r when buy as e and e.amount > 1 then send log end\n"
      "rule later when cart as c and no buy within 1h then send log end\n");
  stateless.engine->set_attributes("profile_only", Value::object({{"ltv", Value::number(5)}}));
  stateless.send(ev("buy", "buyer", "2026-01-01T10:00:00Z", R"({"amount": 5})"));
  stateless.send(ev("cart", "waiter", "2026-01-01T10:00:01Z"));
  CHECK(stateless.firings.size() == 1);
  CHECK(stateless.engine->user("profile_only")->activity == nullptr);
  CHECK(stateless.engine->user("buyer")->activity == nullptr);
  CHECK(stateless.engine->user("waiter")->activity == nullptr);  // a pending match alone
  CHECK(stateless.engine->user("waiter")->pending.size() == 1);

  Harness windowed("rule r when buy and count(view in last 1h) >= 1 then send log end\n");
  windowed.send(ev("view", "viewer", "2026-01-01T10:00:00Z"));
  windowed.send(ev("buy", "viewer", "2026-01-01T10:00:01Z"));
  CHECK(windowed.firings.size() == 1);
  REQUIRE(windowed.engine->user("viewer")->activity != nullptr);
  CHECK(windowed.engine->user("viewer")->events_named("view")->size() == 1);
}

TEST_CASE("a constant firing and an evaluated one report the same records") {
  Harness h(
      "rule plain priority 2 when a then\n  send log { k: 1 }\n  send hook\nend\n"
      "rule evaluated priority 1 when a as e then\n  send log { k: e.k }\n  send hook\nend\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", R"({"k": 1})"));
  REQUIRE(h.firings.size() == 2);
  for (const FiringRecord& f : h.firings) {
    CAPTURE(f.rule);
    REQUIRE(f.actions.size() == 2);
    CHECK(f.actions[0].name == "log");
    CHECK(to_json(f.actions[0].value) == R"({"k":1})");
    CHECK(f.actions[1].name == "hook");
    CHECK(to_json(f.actions[1].value) == "{}");
    CHECK(f.actions[1].by.is_null());
  }
}

TEST_CASE("prefetch hints change no outcome and no firing") {
  // Users come and go from the tables' slots, ids repeat: hinted and plain submits of
  // the same events must agree on everything.
  const std::string rules =
      "rule big when buy as b and b.amount > 50 then send log end\n"
      "rule again when buy and count(buy in last 1h) > 2 then send log end\n";
  Harness plain(rules), hinted(rules);
  std::mt19937 rng(3);
  std::vector<Event> events;
  const int64_t start = *parse_rfc3339("2026-01-01T10:00:00Z");
  for (int64_t i = 0; i < 3000; ++i) {
    const std::string user = "u" + std::to_string(rng() % 300);
    const std::string amount = std::to_string(rng() % 100);
    const std::string id = "id" + std::to_string(rng() % 8);
    const std::string json =
        ev("buy", user, format_rfc3339(start + i * 1000), R"({"amount": )" + amount + "}", id);
    DecodedEvent decoded = decode_event(json, "unused");
    REQUIRE(decoded.ok);
    events.push_back(std::move(decoded.event));
  }
  std::vector<Outcome> without, with;
  for (const Event& e : events)
    without.push_back(plain.engine->submit(e).outcome);
  submit_hinted(
      events.size(), [&](size_t i) { return hinted.engine->prefetch(events[i]); },
      [&](size_t i, const Engine::Hint& hint) {
        with.push_back(hinted.engine->submit(events[i], hint).outcome);
      });
  CHECK(with == without);
  CHECK(std::count(with.begin(), with.end(), Outcome::kDuplicate) > 100);
  CHECK(hinted.text() == plain.text());
  CHECK(hinted.firings.size() > 1000);
}

}  // namespace spur::testing
