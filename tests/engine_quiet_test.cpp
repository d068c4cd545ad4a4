// Section 14: quiet hours. Windows are [start, end) in local time; an activation inside
// one is deferred to the end (or dropped), at most one per rule and user, re-checked and
// put through the agenda at its new time. DST instants of 2026: Europe/Paris springs
// forward on 29 March at 01:00Z (02:00 -> 03:00) and falls back on 25 October at 01:00Z
// (03:00 -> 02:00); America/New_York on 8 March at 07:00Z and 1 November at 06:00Z.
#include <doctest/doctest.h>

#include "engine/user_bytes.hpp"
#include "engine_harness.hpp"
#include "time/quiet_hours.hpp"

namespace spur::testing {
namespace {

int64_t at(const char* time) {
  return *parse_rfc3339(time);
}

std::string end_of(int from, int to, const char* zone, const char* time) {
  return format_rfc3339(quiet_window_end({from, to}, zone_named(zone), at(time)));
}

}  // namespace

TEST_CASE("quiet: a window holds its start and not its end") {
  const QuietWindow night{22 * 60, 8 * 60};
  CHECK_FALSE(in_quiet_window(night, nullptr, at("2026-01-01T21:59:59.999Z")));
  CHECK(in_quiet_window(night, nullptr, at("2026-01-01T22:00:00Z")));
  CHECK(in_quiet_window(night, nullptr, at("2026-01-02T07:59:59.999Z")));
  CHECK_FALSE(in_quiet_window(night, nullptr, at("2026-01-02T08:00:00Z")));
  const QuietWindow lunch{12 * 60, 14 * 60};
  CHECK(in_quiet_window(lunch, zone_named("Europe/Paris"), at("2026-07-01T10:00:00Z")));
  CHECK_FALSE(in_quiet_window(lunch, zone_named("Europe/Paris"), at("2026-07-01T12:00:00Z")));
}

TEST_CASE("quiet: a window's end across DST gaps and folds in Paris and New York") {
  // 02:30 does not exist on 29 March in Paris: the end of the gap, 03:00 CEST.
  CHECK(end_of(60, 150, "Europe/Paris", "2026-03-29T00:30:00Z") == "2026-03-29T01:00:00.000Z");
  // 02:30 happens twice on 25 October: the first not before the activation.
  CHECK(end_of(60, 150, "Europe/Paris", "2026-10-24T23:30:00Z") == "2026-10-25T00:30:00.000Z");
  CHECK(end_of(60, 150, "Europe/Paris", "2026-10-25T01:10:00Z") == "2026-10-25T01:30:00.000Z");
  // New York: 02:30 on 8 March does not exist (07:00Z is 03:00 EDT) ...
  CHECK(end_of(22 * 60, 150, "America/New_York", "2026-03-08T03:30:00Z") ==
        "2026-03-08T07:00:00.000Z");
  // ... and 01:30 on 1 November happens at 05:30Z (EDT), then at 06:30Z (EST).
  CHECK(end_of(30, 90, "America/New_York", "2026-11-01T04:45:00Z") == "2026-11-01T05:30:00.000Z");
  CHECK(end_of(30, 90, "America/New_York", "2026-11-01T06:10:00Z") == "2026-11-01T06:30:00.000Z");
}

TEST_CASE("quiet: an activation at the window's start is deferred to its end, with deferred") {
  JsonHarness h("rule r\n  quiet 22:00..08:00\nwhen ping then send log end\n");
  h.send(ev("ping", "u", "2026-01-01T21:59:59.999Z", "{}", "p1"));
  h.send(ev("ping", "u", "2026-01-01T22:00:00Z", "{}", "p2"));
  h.send(ev("ping", "w", "2026-01-02T08:00:00Z", "{}", "p3"));
  h.drain();
  CHECK(h.text() ==
        "r u 2026-01-01T21:59:59.999Z p1\n"
        "r w 2026-01-02T08:00:00.000Z p3\n"
        "r u 2026-01-02T08:00:00.000Z p2\n");
  REQUIRE(h.json.size() == 3);
  CHECK(tail_of(h.json[2]) ==
        R"("actions":[{"send":"log","payload":{}}],"deferred":"2026-01-01T22:00:00.000Z"})");
  CHECK(tail_of(h.json[0]) == R"("actions":[{"send":"log","payload":{}}]})");
}

TEST_CASE("quiet: one deferred firing per rule and user, others are suppressed, also at its due") {
  Harness h("rule r\n  quiet 22:00..08:00\nwhen ping then send log end\n");
  h.send(ev("ping", "u", "2026-01-01T23:00:00Z", "{}", "p1"));
  h.send(ev("ping", "u", "2026-01-02T01:00:00Z", "{}", "p2"));
  h.send(ev("ping", "u", "2026-01-02T08:00:00Z", "{}", "p3"));
  h.send(ev("ping", "u", "2026-01-02T08:00:00.001Z", "{}", "p4"));
  CHECK(h.text() ==
        "suppressed:quiet r u 2026-01-02T01:00:00.000Z p2\n"
        "suppressed:quiet r u 2026-01-02T08:00:00.000Z p3\n"
        "r u 2026-01-02T08:00:00.000Z p1\n"
        "r u 2026-01-02T08:00:00.001Z p4\n");
}

TEST_CASE("quiet drop: suppressed with reason quiet, nothing held") {
  Harness h("rule r\n  quiet 22:00..08:00 drop\nwhen ping then send log end\n");
  h.send(ev("ping", "u", "2026-01-01T23:00:00Z", "{}", "p1"));
  h.drain();
  CHECK(h.text() == "suppressed:quiet r u 2026-01-01T23:00:00.000Z p1\n");
  CHECK(h.engine->pending_count() == 0);
}

TEST_CASE("quiet: a deferred firing is blocked by a cooldown at its new time") {
  Harness h("rule r\n  cooldown 12h\n  quiet 22:00..08:00\nwhen ping then send log end\n");
  h.send(ev("ping", "u", "2026-01-01T21:00:00Z", "{}", "p1"));
  h.send(ev("ping", "u", "2026-01-01T23:00:00Z", "{}", "p2"));
  h.drain();
  CHECK(h.text() ==
        "r u 2026-01-01T21:00:00.000Z p1\n"
        "suppressed:cooldown r u 2026-01-02T08:00:00.000Z p2\n");
}

TEST_CASE("quiet: a deferred firing is re-checked at its new time") {
  Harness h("rule r\n  quiet 22:00..08:00\nwhen ping and profile.ok == true then send log end\n");
  h.engine->set_attributes("u", Value::object(Object{{"ok", Value::boolean(true)}}));
  h.send(ev("ping", "u", "2026-01-01T23:00:00Z", "{}", "p1"));
  h.engine->set_attributes("u", Value::object(Object{{"ok", Value::boolean(false)}}));
  h.drain();
  CHECK(h.text().empty());
}

TEST_CASE("quiet: the latest end of the rule's and its group's windows, in their zones") {
  Harness h(
      "group mail\n  quiet 21:00..07:00 in \"Europe/Paris\"\nend\n"
      "rule r\n  group mail\n  quiet 06:00..06:30 in event.tz\nwhen ping then send log end\n");
  // 05:45Z is 06:45 in Paris (in the group's window, to 06:00Z), and 06:00Z is 06:00 in
  // London (in the rule's, to 06:30Z): the latest end is 06:30Z.
  h.send(ev("ping", "u", "2026-01-02T05:45:00Z", R"({"tz": "Europe/London"})", "p1"));
  // Not a zone name: engine.timezone (UTC). 05:45Z is in the group's window only, whose
  // end, 06:00Z, is in the rule's window (06:00 UTC): the same again from there.
  h.send(ev("ping", "w", "2026-01-02T05:45:00Z", R"({"tz": "Nowhere"})", "p2"));
  h.send(ev("ping", "v", "2026-01-02T06:40:00Z", R"({"tz": "Nowhere"})", "p3"));
  h.drain();
  CHECK(h.text() ==
        "r u 2026-01-02T06:30:00.000Z p1\n"
        "r w 2026-01-02T06:30:00.000Z p2\n"
        "r v 2026-01-02T06:40:00.000Z p3\n");
}

TEST_CASE("quiet: a waiting rule completed in the window is deferred with its trigger") {
  JsonHarness h(
      "rule r\n  quiet 22:00..08:00\nwhen add_to_cart as c and no purchase within 1h\n"
      "then send log { sku: c.sku }\nend\n");
  h.send(ev("add_to_cart", "u", "2026-01-01T21:30:00Z", R"({"sku": "A"})", "a1"));
  h.drain();
  CHECK(h.text() == "r u 2026-01-02T08:00:00.000Z a1\n");
  REQUIRE(h.json.size() == 1);
  CHECK(
      tail_of(h.json[0]) ==
      R"("actions":[{"send":"log","payload":{"sku":"A"}}],"deferred":"2026-01-01T22:30:00.000Z"})");
}

TEST_CASE("quiet: a deferred firing survives a checkpoint and a reload") {
  const std::string rules =
      "rule r\n  quiet 22:00..08:00\nwhen ping as p then send log { n: p.n }\nend\n";
  JsonHarness straight(rules), restored(rules);
  straight.send(ev("ping", "u", "2026-01-01T23:00:00Z", R"({"n": 7})", "p1"));
  std::string bytes;
  append_user_bytes(bytes, *straight.engine->user("u"));
  restored.engine->restore_user("u", bytes);
  restored.until("2026-01-02T08:00:00Z");
  REQUIRE(restored.json.size() == 1);
  CHECK(tail_of(restored.json[0]) ==
        R"("actions":[{"send":"log","payload":{"n":7}}],"deferred":"2026-01-01T23:00:00.000Z"})");
}

TEST_CASE("engine.timezone is the zone of windows that name none") {
  EngineConfig config;
  config.timezone = "America/New_York";
  Harness h("rule r\n  quiet 22:00..08:00 drop\nwhen ping then send log end\n", config);
  h.send(ev("ping", "u", "2026-01-02T02:00:00Z", "{}", "p1"));  // 21:00 in New York
  h.send(ev("ping", "u", "2026-01-02T04:00:00Z", "{}", "p2"));  // 23:00 in New York
  CHECK(h.text() ==
        "r u 2026-01-02T02:00:00.000Z p1\n"
        "suppressed:quiet r u 2026-01-02T04:00:00.000Z p2\n");
}

}  // namespace spur::testing
