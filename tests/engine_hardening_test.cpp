// Clocks, timers and time limits that a hostile sender or an odd timing must not break
// (issue 17): the wall clock in serve, timers kept in proportion to live matches, the
// order of timers at one instant, bounded times and durations, derived ids and sessions
// of derived triggers.
#include <doctest/doctest.h>

#include "engine_harness.hpp"
#include "grammar/lexical.hpp"

namespace spur::testing {

TEST_CASE("wall clock: an event from the future is handled now and moves no timer") {
  EngineConfig config;
  config.wall_clock = true;
  Harness h(
      "rule cart when add_to_cart and no purchase within 30m then send log end\n"
      "rule seen when ping as p then send log { sent: p.@time } end\n",
      config);
  h.until("2026-01-01T10:00:00Z");
  CHECK(h.send(ev("add_to_cart", "u1", "2026-01-01T10:00:00Z", "{}", "c1")) == Outcome::kAccepted);
  // 59 minutes ahead of the clock: taken, handled at the clock, its own time kept.
  CHECK(h.send(ev("ping", "u2", "2026-01-01T10:59:00Z", "{}", "p1")) == Outcome::kAccepted);
  REQUIRE(h.lines.size() == 1);
  CHECK(h.lines[0] == "seen u2 2026-01-01T10:00:00.000Z p1");
  CHECK(to_json(h.firings[0].actions[0].value) == R"({"sent":"2026-01-01T10:59:00.000Z"})");
  CHECK(h.engine->clock() == *parse_rfc3339("2026-01-01T10:00:00Z"));
  // A valid event two minutes old is still taken.
  h.until("2026-01-01T10:02:00Z");
  CHECK(h.send(ev("ping", "u3", "2026-01-01T10:00:00Z", "{}", "p2")) == Outcome::kAccepted);
  // More than max_lateness ahead: refused, and named so.
  CHECK(h.send(ev("ping", "u4", "2026-01-01T11:02:00.001Z", "{}", "p3")) == Outcome::kRejected);
  CHECK(h.last_error.find("ahead of the clock") != std::string::npos);
  // u1's timer fires at its own deadline, not when the future event came.
  h.until("2026-01-01T10:29:59.999Z");
  CHECK(h.lines.size() == 2);
  h.until("2026-01-01T10:30:00Z");
  REQUIRE(h.lines.size() == 3);
  CHECK(h.lines[2] == "cart u1 2026-01-01T10:30:00.000Z c1");
}

TEST_CASE("timers at one instant: a replaced match's old deadline orders nobody") {
  Harness h("rule cart when add_to_cart and no purchase within 1h then send log end\n");
  h.send(ev("add_to_cart", "A", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.send(ev("add_to_cart", "B", "2026-01-01T10:00:00Z", "{}", "b1"));
  h.send(ev("add_to_cart", "A", "2026-01-01T10:00:00Z", "{}", "a2"));  // a new match, after B's
  // Not drain(): next_deadline() drops a dead timer at the top of the heap, which hid the
  // fault; advancing the clock past the instant, as an event or the wall clock does,
  // showed it.
  h.until("2026-01-01T12:00:00Z");
  CHECK(h.text() == Harness::join({"cart B 2026-01-01T11:00:00.000Z b1",
                                   "cart A 2026-01-01T11:00:00.000Z a2"}));
}

TEST_CASE("timers at one instant: a cancelled match's deadline orders nobody") {
  Harness h(
      "rule browse when view and no add_to_cart within 1h then send log end\n"
      "rule cart when add_to_cart and no purchase within 1h then send log end\n");
  h.send(ev("view", "A", "2026-01-01T10:00:00Z", "{}", "a1"));  // cancelled below
  h.send(ev("view", "B", "2026-01-01T10:00:00Z", "{}", "b1"));
  h.send(ev("add_to_cart", "A", "2026-01-01T10:00:00Z", "{}", "a2"));
  h.until("2026-01-01T12:00:00Z");
  CHECK(h.text() == Harness::join({"browse B 2026-01-01T11:00:00.000Z b1",
                                   "cart A 2026-01-01T11:00:00.000Z a2"}));
}

TEST_CASE("timers stay in proportion to live matches under a trigger storm") {
  Harness h("rule cart when add_to_cart and no purchase within 24h then send log end\n");
  const int64_t start = *parse_rfc3339("2026-01-01T00:00:00Z");
  for (int second = 0; second < 20'000; ++second) {
    for (int user = 0; user < 10; ++user) {
      DecodedEvent d =
          decode_event(R"({"event": "add_to_cart", "user": "u)" + std::to_string(user) +
                           R"(", "time": )" + std::to_string(start + second * 1000) + "}",
                       "e" + std::to_string(second) + "-" + std::to_string(user));
      REQUIRE(d.ok);
      h.engine->submit(d.event);
    }
  }
  CHECK(h.engine->pending_count() == 10);
  // 200,000 triggers: the heap holds at most 1.5 times the live timers after the last
  // compaction, plus 1,024.
  CHECK(h.engine->timer_count() <= 10 + 5 + 1024);
  h.drain();
  CHECK(h.lines.size() == 10);
  CHECK(h.engine->timer_count() == 0);
}

TEST_CASE("erasing users leaves no timer of theirs to fire, and their ids start afresh") {
  Harness h("rule cart when add_to_cart and no purchase within 1h then send log end\n");
  for (int user = 0; user < 50; ++user)
    h.send(ev("add_to_cart", "u" + std::to_string(user), "2026-01-01T10:00:00Z"));
  for (int user = 0; user < 50; user += 2)
    CHECK(h.engine->erase_user("u" + std::to_string(user)));
  h.send(ev("add_to_cart", "u0", "2026-01-01T10:30:00Z", "{}", "again"));
  h.drain();
  REQUIRE(h.lines.size() == 26);
  CHECK(h.lines[0] == "cart u1 2026-01-01T11:00:00.000Z auto-2");
  CHECK(h.lines[25] == "cart u0 2026-01-01T11:30:00.000Z again");
  CHECK(h.engine->timer_count() == 0);
}

TEST_CASE("a match with several windows keeps one timer that moves to its next deadline") {
  Harness h(
      "rule r when a and b within 1h and no c within 2h then send log end\n"
      "rule s when a and no c within 30m and no d within 3h then send log end\n");
  h.send(ev("a", "u", "2026-01-01T10:00:00Z", "{}", "a1"));
  h.send(ev("b", "u", "2026-01-01T10:10:00Z"));
  h.drain();
  CHECK(h.text() ==
        Harness::join({"r u 2026-01-01T12:00:00.000Z a1", "s u 2026-01-01T13:00:00.000Z a1"}));
}

TEST_CASE("durations are at most 36500d, and deadlines never pass the last time") {
  std::string error;
  CHECK(lexical::parse_duration("36500d", error) == lexical::kMaxDurationMs);
  CHECK_FALSE(lexical::parse_duration("36500d1ms", error));
  CHECK(error.find("36500d") != std::string::npos);
  CHECK_FALSE(lexical::parse_duration("15250284451w", error));
  CHECK_FALSE(lexical::parse_duration("99999999999999999999w", error));

  const auto f = check_text("rule r when a and no b within 15250284451w then send log end\n");
  CHECK(f.diagnostics.error_count() == 1);
  CHECK(f.rendered().find("longer than 36500d") != std::string::npos);

  Harness h("rule r when a and no b within 36500d then send log end\n");
  h.send(ev("a", "u", "9999-12-30T00:00:00Z", "{}", "a1"));
  h.drain();
  CHECK(h.text() == Harness::join({"r u 9999-12-31T23:59:59.999Z a1"}));
  CHECK(time_plus(INT64_MAX, INT64_MAX) == kMaxTimeMs);
  CHECK(time_plus(kMaxTimeMs, 1) == kMaxTimeMs);
}

TEST_CASE("event times outside 1970..9999 are refused, naming the range") {
  for (const char* time :
       {"9223372036854775807", "-1", "253402300800000", "-9223372036854775808"}) {
    CAPTURE(time);
    const DecodedEvent d =
        decode_event(std::string(R"({"event": "a", "user": "u", "time": )") + time + "}", "x");
    CHECK_FALSE(d.ok);
    CHECK(d.error.find("1970-01-01T00:00:00Z") != std::string::npos);
  }
  CHECK(decode_event(R"({"event": "a", "user": "u", "time": 253402300799999})", "x").ok);
  CHECK(decode_event(R"({"event": "a", "user": "u", "time": 0})", "x").ok);
  CHECK_FALSE(
      decode_event(R"({"event": "a", "user": "u", "time": "1969-12-31T23:59:59Z"})", "x").ok);
}

TEST_CASE("a derived event is a step of its own: what it queues is named after it") {
  Harness h(
      "rule start when go then emit ping end\n"
      "rule fan when ping then emit pong emit pong end\n"
      "rule end_ when pong then send log end\n");
  h.send(ev("go", "u", "2026-01-01T10:00:00Z", "{}", "s1"));
  CHECK(h.text() ==
        Harness::join({"start u 2026-01-01T10:00:00.000Z s1", "fan u 2026-01-01T10:00:00.000Z s1~1",
                       "end_ u 2026-01-01T10:00:00.000Z s1~1~1",
                       "end_ u 2026-01-01T10:00:00.000Z s1~1~2"}));
}

TEST_CASE("the session of a derived trigger after a timer runs through its time") {
  Harness h(
      "rule wait when visit and no buy within 10m then emit nudge end\n"
      "rule counted when nudge and count(nudge in session) == 1 then send log end\n");
  h.send(ev("visit", "u", "2026-01-01T10:00:00Z", "{}", "v1"));
  h.drain();
  CHECK(h.text() ==
        Harness::join({"wait u 2026-01-01T10:10:00.000Z v1",
                       "counted u 2026-01-01T10:10:00.000Z timer@2026-01-01T10:10:00.000Z~1"}));
}

TEST_CASE("the session of a derived trigger reaches back session_max from its time") {
  EngineConfig config;
  config.session_max_ms = 3'600'000;  // 1h, with the default 30m gap
  Harness h(
      "rule wait when leave and no buy within 15m then emit nudge end\n"
      "rule counted when nudge and count(visit in session) == 2 then send log end\n",
      config);
  h.send(ev("visit", "u", "2026-01-01T09:00:00Z", "{}", "v1"));
  h.send(ev("visit", "u", "2026-01-01T09:25:00Z", "{}", "v2"));
  h.send(ev("visit", "u", "2026-01-01T09:50:00Z", "{}", "v3"));
  h.send(ev("leave", "u", "2026-01-01T09:50:00Z", "{}", "l1"));
  h.drain();
  // At 10:05 the session runs from the first visit later than 09:05: 09:25 and 09:50.
  CHECK(h.text() ==
        Harness::join({"wait u 2026-01-01T10:05:00.000Z l1",
                       "counted u 2026-01-01T10:05:00.000Z timer@2026-01-01T10:05:00.000Z~1"}));
}

}  // namespace spur::testing
