// Section 15: conditional actions. The first branch whose condition is true runs (only
// true is true), each condition evaluated when the `if` is reached, after the actions
// before it; nothing is recorded for the `if` itself.
#include <doctest/doctest.h>

#include "engine_harness.hpp"

namespace spur::testing {
namespace {

const char* const kTiers =
    "rule tiered\nwhen\n  ping as p\nthen\n"
    "  if p.n > 100 then\n    send email { tier: \"gold\" }\n"
    "  else if p.n > 10 then\n    send email { tier: \"silver\" }\n"
    "  else\n    send email { tier: \"basic\" }\n  end\n  send log\nend\n";

}  // namespace

TEST_CASE("if: the first true branch runs, else when none is, and the if records nothing") {
  JsonHarness h(kTiers);
  h.send(ev("ping", "u1", "2026-01-01T10:00:00Z", R"({"n": 500})"));
  h.send(ev("ping", "u1", "2026-01-01T10:01:00Z", R"({"n": 50})"));
  h.send(ev("ping", "u1", "2026-01-01T10:02:00Z", R"({"n": 5})"));
  REQUIRE(h.json.size() == 3);
  CHECK(tail_of(h.json[0]) ==
        R"("actions":[{"send":"email","payload":{"tier":"gold"}},{"send":"log","payload":{}}]})");
  CHECK(tail_of(h.json[1]) ==
        R"("actions":[{"send":"email","payload":{"tier":"silver"}},{"send":"log","payload":{}}]})");
  CHECK(tail_of(h.json[2]) ==
        R"("actions":[{"send":"email","payload":{"tier":"basic"}},{"send":"log","payload":{}}]})");
}

TEST_CASE("if: a null condition is not true, and without else nothing runs") {
  JsonHarness h(
      "rule r\nwhen\n  ping as p\nthen\n  if p.missing then\n    send a\n  end\n"
      "  if p.missing + 1 > 0 or p.flag then\n    send b\n  end\n"
      "  if not p.missing then\n    send c\n  end\nend\n");
  h.send(ev("ping", "u1", "2026-01-01T10:00:00Z", R"({"flag": "yes"})"));
  REQUIRE(h.json.size() == 1);
  // `p.missing` is null; null + 1 is null, and null > 0 is false; "yes" is not true. Only
  // `not p.missing` holds (section 4: `not x` is true whenever x is not true).
  CHECK(tail_of(h.json[0]) == R"("actions":[{"send":"c","payload":{}}]})");
}

TEST_CASE("if: a condition sees what the actions before it set, and branches nest") {
  JsonHarness h(
      "rule r\nwhen\n  ping as p\nthen\n  set profile.vip = p.n > 10\n"
      "  if profile.vip then\n    increment profile.visits\n"
      "    if profile.visits >= 2 then\n      send loyal\n    end\n"
      "  else\n    send regular\n  end\nend\n");
  h.send(ev("ping", "u1", "2026-01-01T10:00:00Z", R"({"n": 50})"));
  h.send(ev("ping", "u1", "2026-01-01T10:01:00Z", R"({"n": 50})"));
  h.send(ev("ping", "u1", "2026-01-01T10:02:00Z", R"({"n": 1})"));
  REQUIRE(h.json.size() == 3);
  CHECK(
      tail_of(h.json[0]) ==
      R"("actions":[{"set":"profile.vip","value":true},{"increment":"profile.visits","by":1,"value":1}]})");
  CHECK(
      tail_of(h.json[1]) ==
      R"("actions":[{"set":"profile.vip","value":true},{"increment":"profile.visits","by":1,"value":2},)"
      R"({"send":"loyal","payload":{}}]})");
  CHECK(tail_of(h.json[2]) ==
        R"("actions":[{"set":"profile.vip","value":false},{"send":"regular","payload":{}}]})");
}

TEST_CASE("if inside a split arm runs within the arm drawn") {
  // bucket("split", "ab", "u4517") = 5000: arm 2 of two halves.
  JsonHarness h(
      "rule ab\nwhen\n  ping as p\nthen\n  split {\n    50%: send a\n"
      "    50%: if p.n > 1 then\n      send big\n    else\n      send small\n    end\n  }\nend\n");
  h.send(ev("ping", "u4517", "2026-01-01T10:00:00Z", R"({"n": 5})"));
  h.send(ev("ping", "u4517", "2026-01-01T10:01:00Z", R"({"n": 0})"));
  REQUIRE(h.json.size() == 2);
  CHECK(tail_of(h.json[0]) == R"("actions":[{"split":2},{"send":"big","payload":{}}]})");
  CHECK(tail_of(h.json[1]) == R"("actions":[{"split":2},{"send":"small","payload":{}}]})");
}

}  // namespace spur::testing
