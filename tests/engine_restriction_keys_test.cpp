// Section 14: `cooldown ... by EXPR` and `limit N per W by EXPR`, on rules and groups:
// firings counted per user and per value of the key, compared as `==`, null one value.
#include <doctest/doctest.h>

#include "engine/user_bytes.hpp"
#include "engine_harness.hpp"

namespace spur::testing {

TEST_CASE("cooldown by: one firing per value, until exactly the cooldown after it") {
  Harness h("rule r\n  cooldown 7d by event.category\nwhen view\nthen send log\nend\n");
  h.send(ev("view", "u", "2026-01-01T10:00:00Z", R"({"category": "shoes"})", "v1"));
  h.send(ev("view", "u", "2026-01-01T11:00:00Z", R"({"category": "bags"})", "v2"));
  h.send(ev("view", "u", "2026-01-08T09:59:59.999Z", R"({"category": "shoes"})", "v3"));
  h.send(ev("view", "u", "2026-01-08T10:00:00Z", R"({"category": "shoes"})", "v4"));
  h.send(ev("view", "w", "2026-01-08T10:00:00Z", R"({"category": "bags"})", "v5"));
  CHECK(h.text() ==
        "r u 2026-01-01T10:00:00.000Z v1\n"
        "r u 2026-01-01T11:00:00.000Z v2\n"
        "suppressed:cooldown r u 2026-01-08T09:59:59.999Z v3\n"
        "r u 2026-01-08T10:00:00.000Z v4\n"
        "r w 2026-01-08T10:00:00.000Z v5\n");
}

TEST_CASE("by: keys compare as == does, and null (missing or written) is one value") {
  Harness h("rule r\n  cooldown 1d by event.k\nwhen view\nthen send log\nend\n");
  h.send(ev("view", "u", "2026-01-01T10:00:00Z", R"({"k": 1})", "v1"));
  h.send(ev("view", "u", "2026-01-01T10:01:00Z", R"({"k": 1.0})", "v2"));
  h.send(ev("view", "u", "2026-01-01T10:02:00Z", R"({"k": "1"})", "v3"));
  h.send(ev("view", "u", "2026-01-01T10:03:00Z", "{}", "v4"));
  h.send(ev("view", "u", "2026-01-01T10:04:00Z", R"({"k": null})", "v5"));
  CHECK(h.text() ==
        "r u 2026-01-01T10:00:00.000Z v1\n"
        "suppressed:cooldown r u 2026-01-01T10:01:00.000Z v2\n"
        "r u 2026-01-01T10:02:00.000Z v3\n"
        "r u 2026-01-01T10:03:00.000Z v4\n"
        "suppressed:cooldown r u 2026-01-01T10:04:00.000Z v5\n");
}

TEST_CASE("limit by counts per value, beside a limit per user only") {
  Harness h(
      "rule r\n  limit 2 per 1d by event.sku\n  limit 3 per 1d\nwhen buy\nthen send log\nend\n");
  for (int i = 0; i < 3; ++i)
    h.send(ev("buy", "u", "2026-01-01T10:0" + std::to_string(i) + ":00Z", R"({"sku": "A"})",
              "a" + std::to_string(i)));
  h.send(ev("buy", "u", "2026-01-01T10:05:00Z", R"({"sku": "B"})", "b1"));
  h.send(ev("buy", "u", "2026-01-01T10:06:00Z", R"({"sku": "C"})", "c1"));
  h.send(ev("buy", "u", "2026-01-02T10:00:00Z", R"({"sku": "A"})", "a3"));
  CHECK(h.text() ==
        "r u 2026-01-01T10:00:00.000Z a0\n"
        "r u 2026-01-01T10:01:00.000Z a1\n"
        "suppressed:limit r u 2026-01-01T10:02:00.000Z a2\n"
        "r u 2026-01-01T10:05:00.000Z b1\n"
        "suppressed:limit r u 2026-01-01T10:06:00.000Z c1\n"
        "r u 2026-01-02T10:00:00.000Z a3\n");
}

TEST_CASE("a group's key is read from the trigger of whichever of its rules fires") {
  Harness h(
      "group mail\n  cooldown 1d by event.campaign\nend\n"
      "rule opened group mail when open as o then send log end\n"
      "rule clicked group mail when click as c then send log end\n");
  h.send(ev("open", "u", "2026-01-01T10:00:00Z", R"({"campaign": "x"})", "o1"));
  h.send(ev("click", "u", "2026-01-01T11:00:00Z", R"({"campaign": "x"})", "c1"));
  h.send(ev("click", "u", "2026-01-01T12:00:00Z", R"({"campaign": "y"})", "c2"));
  CHECK(h.text() ==
        "opened u 2026-01-01T10:00:00.000Z o1\n"
        "suppressed:group_cooldown clicked u 2026-01-01T11:00:00.000Z c1\n"
        "clicked u 2026-01-01T12:00:00.000Z c2\n");
}

TEST_CASE("a waiting rule's key is its trigger's, read when the match completes") {
  Harness h(
      "rule r\n  cooldown 7d by cart.sku\n  pending each\nwhen add_to_cart as cart and no purchase "
      "within 1h\n"
      "then send log\nend\n");
  h.send(ev("add_to_cart", "u", "2026-01-01T10:00:00Z", R"({"sku": "A"})", "a"));
  h.send(ev("add_to_cart", "u", "2026-01-01T10:10:00Z", R"({"sku": "B"})", "b"));
  h.send(ev("add_to_cart", "u", "2026-01-01T12:00:00Z", R"({"sku": "A"})", "a2"));
  h.drain();
  CHECK(h.text() ==
        "r u 2026-01-01T11:00:00.000Z a\n"
        "r u 2026-01-01T11:10:00.000Z b\n"
        "suppressed:cooldown r u 2026-01-01T13:00:00.000Z a2\n");
}

TEST_CASE("keyed firing times survive a checkpoint, and old keys are dropped") {
  const std::string rules = "rule r\n  cooldown 1d by event.k\nwhen view\nthen send log\nend\n";
  Harness straight(rules), restored(rules);
  straight.send(ev("view", "u", "2026-01-01T10:00:00Z", R"({"k": "a"})", "v1"));
  straight.send(ev("view", "u", "2026-01-01T10:00:00Z", R"({"k": "b"})", "v2"));
  std::string bytes;
  append_user_bytes(bytes, *straight.engine->user("u"));
  restored.engine->restore_user("u", bytes);
  restored.send(ev("view", "u", "2026-01-01T12:00:00Z", R"({"k": "a"})", "v3"));
  restored.send(ev("view", "u", "2026-01-01T12:00:00Z", R"({"k": "c"})", "v4"));
  CHECK(restored.text() ==
        "suppressed:cooldown r u 2026-01-01T12:00:00.000Z v3\n"
        "r u 2026-01-01T12:00:00.000Z v4\n");
  // A day later, the next firing drops every key whose cooldown is over: one is left.
  restored.send(ev("view", "u", "2026-01-02T12:00:00Z", R"({"k": "d"})", "v5"));
  REQUIRE(restored.engine->user("u")->activity);
  CHECK(restored.engine->user("u")->activity->rule_keyed_firings.size() == 1);
}

TEST_CASE("by is checked like a condition, and cannot wait for the future") {
  CHECK(
      check_text("rule r\n  cooldown 1d by crat.sku\nwhen add_to_cart as cart then send log end\n")
          .diagnostics.error_count() == 1);
  const auto future = check_text(
      "rule r\n  limit 1 per 1d by no purchase within 1h\nwhen view then send log end\n");
  CHECK(future.rendered().find("future patterns cannot appear in `by`") != std::string::npos);
}

}  // namespace spur::testing
