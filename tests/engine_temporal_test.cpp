// Sections 5 and 9: windows, waiting rules, pending modes, re-checks, time and dedup.
#include <doctest/doctest.h>

#include "engine_harness.hpp"

namespace spur::testing {

TEST_CASE("past window of 30m: exactly 30m before is out, the trigger itself in") {
  Harness h(
      "rule r when buy and view in last 30m then send log end\n"
      "rule s when view and view in last 1m then send log end\n");
  h.send(ev("view", "u1", "2026-01-01T09:30:00Z"));
  h.send(ev("buy", "u1", "2026-01-01T10:00:00Z", "{}", "b1"));
  h.send(ev("view", "u2", "2026-01-01T10:30:00.001Z"));
  h.send(ev("buy", "u2", "2026-01-01T11:00:00Z", "{}", "b2"));
  CHECK(h.text() == Harness::join({"s u1 2026-01-01T09:30:00.000Z auto-1",
                                   "s u2 2026-01-01T10:30:00.001Z auto-3",
                                   "r u2 2026-01-01T11:00:00.000Z b2"}));
}

TEST_CASE("in session: a gap of exactly session_gap keeps the session, a longer one ends it") {
  Harness h("rule r when buy and count(view in session) == 1 then send log end\n");
  h.send(ev("view", "u1", "2026-01-01T09:00:00Z"));
  h.send(ev("buy", "u1", "2026-01-01T09:30:00Z", "{}", "b1"));  // gap 30m: same session
  h.send(ev("view", "u2", "2026-01-01T10:00:00Z"));
  h.send(ev("buy", "u2", "2026-01-01T10:30:00.001Z", "{}", "b2"));  // new session
  REQUIRE(h.lines.size() == 1);
  CHECK(h.lines[0] == "r u1 2026-01-01T09:30:00.000Z b1");
}

TEST_CASE("no purchase within 24h fires at T+24h, a purchase at exactly T+24h counts as within") {
  Harness h("rule cart when add_to_cart and no purchase within 24h then send log end\n");
  h.send(ev("add_to_cart", "u1", "2026-01-01T10:00:00Z", "{}", "c1"));
  h.send(ev("add_to_cart", "u2", "2026-01-01T10:00:00Z", "{}", "c2"));
  h.send(ev("purchase", "u2", "2026-01-02T10:00:00Z"));
  h.drain();
  CHECK(h.text() == Harness::join({"cart u1 2026-01-02T10:00:00.000Z c1"}));
}

TEST_CASE("purchase within 24h fires at the purchase, none by T+24h drops the match") {
  Harness h(
      "rule follow when add_to_cart as c and purchase[sku == c.sku] within 24h then send log "
      "end\n");
  h.send(ev("add_to_cart", "u1", "2026-01-01T10:00:00Z", R"({"sku": "A"})", "c1"));
  h.send(ev("purchase", "u1", "2026-01-01T12:00:00Z", R"({"sku": "B"})"));
  h.send(ev("purchase", "u1", "2026-01-02T10:00:00Z", R"({"sku": "A"})"));
  h.send(ev("add_to_cart", "u2", "2026-01-01T10:00:00Z", R"({"sku": "A"})", "c2"));
  h.drain();
  CHECK(h.text() == Harness::join({"follow u1 2026-01-02T10:00:00.000Z c1"}));
  CHECK(h.engine->pending_count() == 0);
}

TEST_CASE("an event with the trigger's time that arrives after it counts") {
  Harness h("rule r when a and b within 1h then send log end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.send(ev("b", "u", "2026-01-01T10:00:00Z"));
  CHECK(h.text() == Harness::join({"r u 2026-01-01T10:00:00.000Z a1"}));
}

TEST_CASE("pending latest restarts the window, first keeps it, each keeps both") {
  const std::string events[] = {ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"),
                                ev("a", "u", "2026-01-01T10:30:00Z", "{}", "a2")};
  Harness latest("rule r when a and no b within 1h then send log end\n");
  Harness first("rule r pending first when a and no b within 1h then send log end\n");
  Harness each("rule r pending each when a and no b within 1h then send log end\n");
  for (Harness* h : {&latest, &first, &each}) {
    for (const std::string& e : events)
      h->send(e);
    h->drain();
  }
  CHECK(latest.text() == Harness::join({"r u 2026-01-01T11:30:00.000Z a2"}));
  CHECK(first.text() == Harness::join({"r u 2026-01-01T11:00:00.000Z a1"}));
  CHECK(each.text() ==
        Harness::join({"r u 2026-01-01T11:00:00.000Z a1", "r u 2026-01-01T11:30:00.000Z a2"}));
}

TEST_CASE("the re-check at firing sees the profile then: an unsubscribe in between stops it") {
  Harness h("rule r when a and not profile.unsubscribed and no b within 1h then send log end\n");
  h.send(ev("a", "u1", "2026-01-01T10:00:00Z"));
  h.send(ev("identify", "u1", "2026-01-01T10:10:00Z", R"({"unsubscribed": true})"));
  h.send(ev("a", "u2", "2026-01-01T10:10:00Z", "{}", "a2"));
  h.drain();
  CHECK(h.text() == Harness::join({"r u2 2026-01-01T11:10:00.000Z a2"}));
}

TEST_CASE("the re-check keeps past windows as settled at the trigger") {
  Harness h("rule r when a and count(v in last 30m) >= 1 and no b within 1h then send log end\n");
  h.send(ev("v", "u", "2026-01-01T09:50:00Z"));
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.drain();  // at 11:00 the view is 70 minutes old, but the window was settled at 10:00
  CHECK(h.text() == Harness::join({"r u 2026-01-01T11:00:00.000Z a1"}));
}

TEST_CASE("several future patterns: fire when the last holds, drop when one fails") {
  Harness h("rule r when a and b within 1h and no c within 2h then send log end\n");
  h.send(ev("a", "u1", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.send(ev("b", "u1", "2026-01-01T10:30:00Z"));
  h.send(ev("a", "u2", "2026-01-01T10:00:00Z", "{}", "a2"));
  h.send(ev("b", "u2", "2026-01-01T10:30:00Z"));
  h.send(ev("c", "u2", "2026-01-01T11:00:00Z"));
  h.send(ev("a", "u3", "2026-01-01T10:00:00Z", "{}", "a3"));  // no b: fails at 11:00
  h.drain();
  CHECK(h.text() == Harness::join({"r u1 2026-01-01T12:00:00.000Z a1"}));
}

TEST_CASE("a waiting match keeps its trigger's envelope and what its rule reads of it") {
  // Two trigger names (the match keeps the name), a late trigger (it keeps the time), a
  // filter, a re-check and the action all reading the trigger.
  Harness h(
      "rule r when a | b as e and e.n > 1 and no c[k == e.k] within 1h\n"
      "then send log { name: e.@name, id: e.@id, user: e.@user, time: e.@time, n: e.n,\n"
      "  k: e.k, deep: e.d.x } end\n");
  h.send(ev("x", "u", "2026-01-01T10:30:00Z"));
  h.send(ev("b", "u", "2026-01-01T10:00:00Z",
            R"({"n": 2, "k": "a key longer than fifteen bytes", "d": {"x": [1, {"y": null}]},
                "unread": "not kept"})",
            "b1"));
  h.send(ev("c", "u", "2026-01-01T10:45:00Z", R"({"k": "another"})"));  // no match: stays
  h.until("2026-01-01T11:30:00Z");
  CHECK(h.text() == "r u 2026-01-01T11:30:00.000Z b1\n");
  REQUIRE(h.firings.size() == 1);
  CHECK(to_json(h.firings[0].actions[0].value) ==
        R"({"name":"b","id":"b1","user":"u","time":"2026-01-01T10:00:00.000Z","n":2,)"
        R"("k":"a key longer than fifteen bytes","deep":[1,{"y":null}]})");
}

TEST_CASE("a waiting match whose rule reads its whole trigger keeps all of its properties") {
  Harness h("rule r when a as e and no b within 1h then send log { all: e, n: e.n } end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z",
            R"({"n": 1.5, "tags": ["x", "y"], "o": {"deep": {"t": true}}, "s": null})", "a1"));
  h.until("2026-01-01T11:00:00Z");
  REQUIRE(h.firings.size() == 1);
  CHECK(to_json(h.firings[0].actions[0].value) ==
        R"({"all":{"n":1.5,"tags":["x","y"],"o":{"deep":{"t":true}},"s":null},"n":1.5})");
}

TEST_CASE("events at t are handled before timers due at t") {
  Harness h(
      "rule r when a and no b within 1h then send log end\n"
      "rule s when b then send log end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.send(ev("b", "u", "2026-01-01T11:00:00Z", "{}", "b1"));
  h.drain();
  CHECK(h.text() == Harness::join({"s u 2026-01-01T11:00:00.000Z b1"}));
}

TEST_CASE("an event 61 minutes behind the clock is rejected, 60 minutes is handled at the clock") {
  Harness h(
      "rule r when a as x and now() == time(\"2026-01-01T11:00:00Z\") and x.@time < now() then "
      "send log end\n");
  CHECK(h.send(ev("x", "u", "2026-01-01T11:00:00Z")) == Outcome::kAccepted);
  CHECK(h.send(ev("a", "u", "2026-01-01T09:59:00Z")) == Outcome::kRejected);
  CHECK(h.last_error.find("max_lateness") != std::string::npos);
  CHECK(h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a2")) == Outcome::kAccepted);
  CHECK(h.text() == Harness::join({"r u 2026-01-01T11:00:00.000Z a2"}));
}

TEST_CASE("an event without time takes the clock, the first event needs one") {
  Harness h("rule r when a then send log end\n");
  CHECK(h.send(R"({"event": "a", "user": "u"})") == Outcome::kRejected);
  h.send(ev("x", "u", "2026-01-01T10:00:00Z"));
  CHECK(h.send(R"({"event": "a", "user": "u", "id": "n1", "time": null})") == Outcome::kAccepted);
  CHECK(h.text() == Harness::join({"r u 2026-01-01T10:00:00.000Z n1"}));
}

TEST_CASE("dedup: the same id within dedup_window is a duplicate and changes nothing") {
  Harness h("rule r when a then send log end\n");
  CHECK(h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "same")) == Outcome::kAccepted);
  CHECK(h.send(ev("a", "u", "2026-01-02T10:00:00Z", "{}", "same")) ==
        Outcome::kDuplicate);                                         // 24h: inclusive
  CHECK(h.engine->clock() == parse_rfc3339("2026-01-01T10:00:00Z"));  // not even the clock
  CHECK(h.send(ev("a", "u", "2026-01-02T10:00:00.001Z", "{}", "same")) == Outcome::kAccepted);
  CHECK(h.send(ev("a", "v", "2026-01-02T10:00:00.001Z", "{}", "same")) ==
        Outcome::kAccepted);  // per user
  CHECK(h.lines.size() == 3);
}

TEST_CASE("dedup: an id the server made unique is not entered in the window") {
  Harness h("rule r when a then send log end\n");
  DecodedEvent made = decode_event(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "spur-1-7"), "");
  REQUIRE(made.ok);
  made.event.id_unique = true;
  CHECK(h.engine->submit(made.event).outcome == Outcome::kAccepted);
  // The same id sent later is not held against the event it was made for.
  CHECK(h.send(ev("a", "u", "2026-01-01T10:00:01Z", "{}", "spur-1-7")) == Outcome::kAccepted);
  CHECK(h.send(ev("a", "u", "2026-01-01T10:00:02Z", "{}", "spur-1-7")) == Outcome::kDuplicate);
  CHECK(h.lines.size() == 2);
}

}  // namespace spur::testing

namespace spur::testing {

TEST_CASE("a session reaches back at most session_max") {
  EngineConfig config;
  config.session_max_ms = 3'600'000;  // 1h, with the default 30m gap
  Harness h("rule r when buy and count(view in session) == 2 then send log end\n", config);
  // Views every 20 minutes: one unbroken run, but only those within 1h of the buy count.
  for (const char* t : {"09:00", "09:20", "09:40", "10:00"}) {
    h.send(ev("view", "u", std::string("2026-01-01T") + t + ":00Z"));
  }
  // At 10:10 the session covers (09:10, 10:10]: views at 09:20, 09:40 and 10:00, three.
  h.send(ev("buy", "u", "2026-01-01T10:10:00Z", "{}", "b1"));
  CHECK(h.lines.empty());
  // At 10:30 it covers (09:30, 10:30]: views at 09:40 and 10:00, two.
  h.send(ev("buy", "u", "2026-01-01T10:30:00Z", "{}", "b2"));
  CHECK(h.text() == Harness::join({"r u 2026-01-01T10:30:00.000Z b2"}));
}

TEST_CASE("timers due at one instant: users in the order of their earliest-created match") {
  Harness h(
      "rule r when a and no b within 1h then send log end\n"
      "rule s when c and no b within 30m then send log end\n");
  h.send(ev("a", "late_user", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.send(ev("a", "early_user", "2026-01-01T10:00:00Z", "{}", "a2"));
  h.send(ev("c", "late_user", "2026-01-01T10:30:00Z", "{}", "c1"));  // due at 11:00 too
  h.drain();
  CHECK(h.text() == Harness::join({"r late_user 2026-01-01T11:00:00.000Z a1",
                                   "s late_user 2026-01-01T11:00:00.000Z c1",
                                   "r early_user 2026-01-01T11:00:00.000Z a2"}));
}

TEST_CASE("derived events are in history, segments are re-evaluated after a timer step") {
  Harness h(
      "rule mark when a then emit marked end\n"
      "rule seen when b and marked in last 1h then send log end\n"
      "rule wait when a and no z within 1h then set profile.waited = true end\n"
      "segment waited when profile.waited end\n"
      "rule enter when segment_entered as s then send log { s: s.segment } end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.send(ev("b", "u", "2026-01-01T10:30:00Z", "{}", "b1"));
  h.drain();
  CHECK(h.text() ==
        Harness::join({"mark u 2026-01-01T10:00:00.000Z a1", "seen u 2026-01-01T10:30:00.000Z b1",
                       "wait u 2026-01-01T11:00:00.000Z a1",
                       "enter u 2026-01-01T11:00:00.000Z timer@2026-01-01T11:00:00.000Z~1"}));
}

TEST_CASE("sessions and first/last seen count input events only") {
  Harness h(
      "rule mark when a then emit tick end\n"
      "rule r when tick and profile.@last_seen == time(\"2026-01-01T10:00:00Z\") then send log "
      "end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  CHECK(h.text() ==
        Harness::join({"mark u 2026-01-01T10:00:00.000Z a1", "r u 2026-01-01T10:00:00.000Z a1~1"}));
}

}  // namespace spur::testing
