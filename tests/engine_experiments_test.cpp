// Section 14: buckets, `split` and `holdout`. The users named here were found by computing
// bucket() independently (FNV-1a-64 in Python) for the bucket each case needs.
#include <doctest/doctest.h>

#include "engine_harness.hpp"

namespace spur::testing {
namespace {

const char* const kSplitRule =
    "rule ab\nwhen\n  ping\nthen\n  split {\n    50%: send email { variant: \"a\" }\n"
    "    50%: send sms { variant: \"b\" } set profile.saw_b = true\n  }\n  send audit\nend\n";

}  // namespace

TEST_CASE("bucket is FNV-1a-64 of kind, name and user joined by 0x1f, modulo 10000") {
  CHECK(bucket("split", "ab", "alice") == 1072);
  CHECK(bucket("holdout", "ab", "alice") == 4517);
  CHECK(bucket("split", "ab", "u4517") == 5000);
  CHECK(bucket("split", "ab", "u648") == 4999);
  // Two at once, as a firing with a holdout and a split draws them.
  const std::array<uint32_t, 2> pair =
      bucket_pair_after(bucket_prefix("holdout", "ab"), bucket_prefix("split", "ab"), "alice");
  CHECK(pair[0] == 4517);
  CHECK(pair[1] == 1072);
}

TEST_CASE("split: a bucket at exactly an arm's edge belongs to the next arm") {
  JsonHarness h(kSplitRule);
  h.send(ev("ping", "u648", "2026-01-01T10:00:00Z"));   // bucket 4999: arm 1
  h.send(ev("ping", "u4517", "2026-01-01T10:00:00Z"));  // bucket 5000: arm 2
  REQUIRE(h.json.size() == 2);
  CHECK(tail_of(h.json[0]) ==
        R"("actions":[{"split":1},{"send":"email","payload":{"variant":"a"}},)"
        R"({"send":"audit","payload":{}}]})");
  CHECK(tail_of(h.json[1]) ==
        R"("actions":[{"split":2},{"send":"sms","payload":{"variant":"b"}},)"
        R"({"set":"profile.saw_b","value":true},{"send":"audit","payload":{}}]})");
  CHECK(to_json(h.profile("u4517", "saw_b")) == "true");
  CHECK(h.profile("u648", "saw_b").is_null());
}

TEST_CASE("split: shares under 100% leave a control arm 0 that runs none of the arms") {
  JsonHarness h("rule ab\nwhen\n  ping\nthen\n  send audit\n  split { 30%: send email }\nend\n");
  h.send(ev("ping", "u7553", "2026-01-01T10:00:00Z"));  // bucket 2999: arm 1
  h.send(ev("ping", "u5855", "2026-01-01T10:00:00Z"));  // bucket 3000: control
  REQUIRE(h.json.size() == 2);
  CHECK(tail_of(h.json[0]) ==
        R"("actions":[{"send":"audit","payload":{}},{"split":1},{"send":"email","payload":{}}]})");
  CHECK(tail_of(h.json[1]) == R"("actions":[{"send":"audit","payload":{}},{"split":0}]})");
}

TEST_CASE("holdout: a held-out user's firing runs no action and says holdout") {
  JsonHarness h(
      "rule ab\n  holdout 10%\n  cooldown 1h\nwhen\n  ping\nthen\n  send email\n"
      "  set profile.sent = true\nend\n");
  h.send(ev("ping", "u6900", "2026-01-01T10:00:00Z", "{}", "p1"));  // bucket 999: held out
  h.send(ev("ping", "u3072", "2026-01-01T10:00:00Z", "{}", "p2"));  // bucket 1000: treated
  REQUIRE(h.json.size() == 2);
  CHECK(tail_of(h.json[0]) == R"("actions":[],"holdout":true})");
  CHECK(h.json[0].starts_with(
      "{\"firing_id\":\"" + firing_id("ab", "u6900", "p1", *parse_rfc3339("2026-01-01T10:00:00Z")) +
      "\""));
  CHECK(h.profile("u6900", "sent").is_null());
  CHECK(tail_of(h.json[1]) ==
        R"("actions":[{"send":"email","payload":{}},{"set":"profile.sent","value":true}]})");
  // Held out, the firing still counts for the cooldown.
  h.send(ev("ping", "u6900", "2026-01-01T10:30:00Z", "{}", "p3"));
  CHECK(h.lines.back() == "suppressed:cooldown ab u6900 2026-01-01T10:30:00.000Z p3");
}

TEST_CASE("holdout: a held-out decide firing gives no respond") {
  JsonHarness h("rule offer\n  holdout 10%\nwhen\n  decide home\nthen\n  respond { m: 1 }\nend\n");
  const Engine::Decision held =
      h.decide(R"({"decide": "home", "user": "u4", "time": "2026-01-01T10:00:00Z"})");  // 483
  CHECK(held.rule.empty());
  CHECK(held.content.is_null());
  REQUIRE(h.json.size() == 1);
  CHECK(tail_of(h.json[0]) == R"("actions":[],"holdout":true})");
  const Engine::Decision treated =
      h.decide(R"({"decide": "home", "user": "u0", "time": "2026-01-01T10:00:00Z"})");  // 3327
  CHECK(treated.rule == "offer");
}

}  // namespace spur::testing

namespace spur::testing {

TEST_CASE("holdout: a group's holdout holds its users out of every rule of the group") {
  // bucket("holdout", "promo", g3) = 947 < 1000; bucket("holdout", "a", g0) = 162 < 500;
  // g1 is in neither (7369 for promo, 8373 for a).
  JsonHarness h(
      "group promo\n  holdout 10%\nend\n"
      "rule a\n  group promo\n  holdout 5%\nwhen\n  ping\nthen\n  send email\nend\n"
      "rule b\n  group promo\nwhen\n  ping\nthen\n  send sms\nend\n");
  for (const char* user : {"g0", "g1", "g3"})
    h.send(ev("ping", user, "2026-01-01T10:00:00Z"));
  REQUIRE(h.json.size() == 6);
  const std::string held = R"("actions":[],"holdout":true})";
  CHECK(tail_of(h.json[0]) == held);  // a, g0: its own holdout
  CHECK(tail_of(h.json[1]) == R"("actions":[{"send":"sms","payload":{}}]})");
  CHECK(tail_of(h.json[2]) == R"("actions":[{"send":"email","payload":{}}]})");
  CHECK(tail_of(h.json[3]) == R"("actions":[{"send":"sms","payload":{}}]})");
  CHECK(tail_of(h.json[4]) == held);  // a, g3: the group's
  CHECK(tail_of(h.json[5]) == held);  // b, g3: the group's
}

}  // namespace spur::testing

namespace spur::testing {

TEST_CASE("a rule of constant sends with a split fires in agenda order, queued or not") {
  // `ab` tests nothing and sends constants (its firings are made at compile time, one
  // list per arm): it still takes its turn in the agenda behind a higher-priority
  // activation, and before a lower one.
  const std::string rules =
      "rule ab\n  priority 2\nwhen\n  ping\nthen\n  split { 30%: send email }\nend\n"
      "rule checked\n  priority 3\nwhen\n  ping as p\n  and (p.n > 0 or p.force == true)\nthen\n  "
      "send log\nend\n"
      "rule after\n  priority 1\nwhen\n  ping as p\n  and (p.n > 0 or p.force == true)\nthen\n  "
      "send log\nend\n";
  Harness h(rules);
  h.send(ev("ping", "u1", "2026-01-01T10:00:00Z", R"({"n": 1})", "p1"));  // `checked` queued
  h.send(ev("ping", "u1", "2026-01-01T10:01:00Z", R"({"n": 0})", "p2"));  // nothing queued
  CHECK(h.text() == Harness::join({
                        "checked u1 2026-01-01T10:00:00.000Z p1",
                        "ab u1 2026-01-01T10:00:00.000Z p1",
                        "after u1 2026-01-01T10:00:00.000Z p1",
                        "ab u1 2026-01-01T10:01:00.000Z p2",
                    }));
}

TEST_CASE("limit N per session counts the firings of the session the trigger sees") {
  // Sessions end after 30 minutes without an input event (engine.session_gap).
  Harness h(
      "rule nudge\n  limit 2 per session\nwhen\n  ping\nthen\n  send log\nend\n"
      "group promo\n  limit 1 per session\nend\n"
      "rule banner\n  group promo\nwhen\n  view\nthen\n  send log\nend\n");
  h.send(ev("ping", "u1", "2026-01-01T10:00:00Z", "{}", "p1"));
  h.send(ev("ping", "u1", "2026-01-01T10:10:00Z", "{}", "p2"));
  h.send(ev("ping", "u1", "2026-01-01T10:20:00Z", "{}", "p3"));  // a third in the session
  h.send(ev("view", "u1", "2026-01-01T10:25:00Z", "{}", "v1"));
  h.send(ev("view", "u1", "2026-01-01T10:26:00Z", "{}", "v2"));
  // 10:57 is 31 minutes after the last input, more than the gap: a new session.
  h.send(ev("ping", "u1", "2026-01-01T10:57:00Z", "{}", "p4"));
  h.send(ev("view", "u1", "2026-01-01T10:58:00Z", "{}", "v3"));
  CHECK(h.text() == Harness::join({
                        "nudge u1 2026-01-01T10:00:00.000Z p1",
                        "nudge u1 2026-01-01T10:10:00.000Z p2",
                        "suppressed:limit nudge u1 2026-01-01T10:20:00.000Z p3",
                        "banner u1 2026-01-01T10:25:00.000Z v1",
                        "suppressed:group_limit banner u1 2026-01-01T10:26:00.000Z v2",
                        "nudge u1 2026-01-01T10:57:00.000Z p4",
                        "banner u1 2026-01-01T10:58:00.000Z v3",
                    }));
}

}  // namespace spur::testing
