// Section 10: decisions. A request is a step of its user that triggers the placement's
// `decide` rules, adds nothing to history, and is answered with the first `respond` of
// its firings.
#include <doctest/doctest.h>

#include "engine_harness.hpp"

namespace spur::testing {

// Rules of the homepage placement: an exclusive group, a VIP banner above a default.
const char* const kHomepage =
    "group homepage\n  exclusive\nend\n"
    "rule vip_banner\n  priority 50\n  group homepage\nwhen\n  decide homepage as req\n"
    "  and profile.tier == \"vip\" and req.device == \"mobile\"\n"
    "then\n  respond { module: \"exclusive_offers\", device: req.device }\nend\n"
    "rule default_banner\n  priority 10\n  group homepage\nwhen\n  decide homepage\n"
    "then\n  respond { module: \"bestsellers\" }\nend\n"
    "rule recent_views when decide homepage and count(view in last 1h) >= 2 then\n"
    "  respond { module: \"recently_viewed\" }\nend\n";

TEST_CASE("a decision answers with the first respond of its step, in firing order") {
  Harness h(kHomepage);
  h.engine->set_attributes("u1", Value::object(Object{{"tier", Value::string("vip")}}));
  const Engine::Decision vip =
      h.decide(R"({"decide": "homepage", "user": "u1", "context": {"device": "mobile"},)"
               R"( "time": "2026-01-01T10:00:00Z"})");
  CHECK(h.last_outcome == Outcome::kAccepted);
  CHECK(vip.rule == "vip_banner");
  CHECK(to_json(vip.content) == R"({"module":"exclusive_offers","device":"mobile"})");
  CHECK(vip.trigger == "auto-1");
  CHECK(vip.time_ms == *parse_rfc3339("2026-01-01T10:00:00Z"));
  // The exclusive group: the default banner is suppressed, not answered.
  CHECK(h.text() ==
        Harness::join({"vip_banner u1 2026-01-01T10:00:00.000Z auto-1",
                       "suppressed:exclusive default_banner u1 2026-01-01T10:00:00.000Z auto-1"}));
  REQUIRE(h.firings.size() == 1);
  CHECK(h.firings[0].actions[0].op == ActionOp::kRespond);

  // On a desktop the VIP rule's condition fails: the default answers.
  const Engine::Decision desktop =
      h.decide(R"({"decide": "homepage", "user": "u1", "context": {"device": "desktop"},)"
               R"( "time": "2026-01-01T10:01:00Z"})");
  CHECK(desktop.rule == "default_banner");
  CHECK(to_json(desktop.content) == R"({"module":"bestsellers"})");
}

TEST_CASE("a placement no rule answers gives no content, and the request joins no history") {
  Harness h(kHomepage +
            std::string("rule seen_home when view and count(homepage in last 1h) >= 1 then\n"
                        "  send log\nend\n"));
  const Engine::Decision none =
      h.decide(R"({"decide": "checkout", "user": "u1", "time": "2026-01-01T10:00:00Z"})");
  CHECK(h.last_outcome == Outcome::kAccepted);
  CHECK(none.rule.empty());
  CHECK(none.content.is_null());
  CHECK(h.lines.empty());
  CHECK_FALSE(h.engine->user("u1")->last_seen());  // not an input event
  // Decisions are not events: no pattern counts them, and a view after one does not
  // make `seen_home` fire.
  h.send(ev("view", "u2", "2026-01-01T10:00:00Z", "{}", "v1"));
  CHECK(h.decide(R"({"decide": "homepage", "user": "u2", "time": "2026-01-01T10:00:01Z"})").rule ==
        "default_banner");
  h.send(ev("view", "u2", "2026-01-01T10:00:02Z", "{}", "v2"));
  CHECK(h.engine->user("u2")->events_named("homepage") == nullptr);
  REQUIRE(h.engine->user("u2")->events_named("view") != nullptr);
  CHECK(h.engine->user("u2")->events_named("view")->size() == 2);
  CHECK(h.text().find("seen_home") == std::string::npos);
  // Two views now: `recent_views` fires too, after the group's rule (priority 10).
  const Engine::Decision two_views =
      h.decide(R"({"decide": "homepage", "user": "u2", "time": "2026-01-01T10:00:03Z"})");
  CHECK(two_views.rule == "default_banner");
  CHECK(h.lines.back() == "recent_views u2 2026-01-01T10:00:03.000Z auto-5");
}

TEST_CASE("a decision's firing counts for cooldowns and sets the profile like any firing") {
  Harness h(
      "rule offer cooldown 1h when decide home then\n"
      "  set profile.offers = 1\n  respond { module: \"offer\" }\nend\n"
      "rule fallback priority -1 when decide home then respond { module: \"none\" } end\n");
  CHECK(h.decide(R"({"decide": "home", "user": "u", "time": "2026-01-01T10:00:00Z"})").rule ==
        "offer");
  CHECK(to_json(h.profile("u", "offers")) == "1");
  // Within the cooldown, the offer is suppressed and the fallback answers.
  CHECK(h.decide(R"({"decide": "home", "user": "u", "time": "2026-01-01T10:30:00Z"})").rule ==
        "fallback");
  CHECK(h.decide(R"({"decide": "home", "user": "u", "time": "2026-01-01T11:00:00Z"})").rule ==
        "offer");
  // The time rules of events: more than max_lateness behind the clock is refused.
  h.decide(R"({"decide": "home", "user": "u", "time": "2026-01-01T09:00:00Z"})");
  CHECK(h.last_outcome == Outcome::kRejected);
  CHECK(h.last_error.find("max_lateness") != std::string::npos);
}

}  // namespace spur::testing
