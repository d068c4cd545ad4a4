// Section 14: `goal EVENT [filter] within W`. A firing at t converts at the first input
// event of that name by the user handled in (t, t + W] that passes the filter; held-out
// and control firings too. The users' buckets (holdout of `ab`: u6900 999, u3072 1000)
// were computed independently (FNV-1a-64 in Python).
#include <doctest/doctest.h>

#include "engine/experiment_figures.hpp"
#include "engine/user_bytes.hpp"
#include "engine_harness.hpp"

namespace spur::testing {
namespace {

// A Harness that also keeps the conversion records as JSON lines, in stream order with
// the firings.
class GoalHarness : public Harness {
 public:
  using Harness::Harness;
  void on_conversion(const Conversion& c) override { lines.push_back(conversion_json(c)); }
};

const char* const kGoalRule =
    "rule ab\n  goal purchase[value > 10] within 1d\nwhen view then send log end\n";

}  // namespace

TEST_CASE("goal: an event at exactly t + W converts, one at t does not, nor a later one") {
  GoalHarness h(kGoalRule);
  h.send(ev("view", "u", "2026-01-01T10:00:00Z", "{}", "v1"));
  h.send(ev("purchase", "u", "2026-01-01T10:00:00Z", R"({"value": 50})", "p0"));
  h.send(ev("purchase", "u", "2026-01-02T10:00:00Z", R"({"value": 50})", "p1"));
  h.send(ev("purchase", "u", "2026-01-02T10:00:01Z", R"({"value": 50})", "p2"));
  h.send(ev("view", "w", "2026-01-02T11:00:00Z", "{}", "v2"));
  h.send(ev("purchase", "w", "2026-01-03T11:00:00.001Z", R"({"value": 50})", "p3"));
  const std::string id = firing_id("ab", "u", "v1", *parse_rfc3339("2026-01-01T10:00:00Z"));
  CHECK(h.text() ==
        "ab u 2026-01-01T10:00:00.000Z v1\n"
        R"({"conversion":"ab","user":"u","time":"2026-01-02T10:00:00.000Z","firing_id":")" +
            id + R"(","trigger":"p1","arm":null,"holdout":false})" +
            "\n"
            "ab w 2026-01-02T11:00:00.000Z v2\n");
}

TEST_CASE("goal: the filter must pass, and one event converts every firing it can, once") {
  GoalHarness h(
      "rule ab\n  goal purchase[value > 10] within 1d\nwhen view then send log end\n"
      "rule cd\n  goal purchase within 2d\nwhen view then send log end\n");
  h.send(ev("view", "u", "2026-01-01T10:00:00Z", "{}", "v1"));
  h.send(ev("view", "u", "2026-01-01T11:00:00Z", "{}", "v2"));
  h.send(ev("purchase", "u", "2026-01-01T12:00:00Z", R"({"value": 5})", "p1"));
  h.send(ev("purchase", "u", "2026-01-01T13:00:00Z", R"({"value": 50})", "p2"));
  std::string conversions;
  for (const std::string& line : h.lines) {
    if (line.starts_with("{\"conversion\"")) {
      conversions += line.substr(15, line.find("\"user\"") - 17) + " " +
                     line.substr(line.find("\"trigger\":") + 11, 2) + "\n";
    }
  }
  // cd's two firings convert at p1 (no filter); ab's two at p2 (p1 fails the filter).
  CHECK(conversions == "cd p1\ncd p1\nab p2\nab p2\n");
}

TEST_CASE("goal: past 32 goal events, events that share a bit convert only their own goals") {
  // g0 and g32 have the same bit in a user's goal_events (a goal event's index modulo 32).
  std::string rules;
  for (int i = 0; i < 40; ++i)
    rules += "rule r" + std::to_string(i) + " goal g" + std::to_string(i) +
             " within 1d when view then send log end\n";
  GoalHarness h(rules);
  h.send(ev("view", "u", "2026-01-01T10:00:00Z", "{}", "v1"));
  h.send(ev("g32", "u", "2026-01-01T11:00:00Z", "{}", "x32"));
  h.send(ev("g0", "u", "2026-01-01T12:00:00Z", "{}", "x0"));
  h.send(ev("g0", "u", "2026-01-01T13:00:00Z", "{}", "y0"));
  // Each conversion's rule and trigger.
  const auto field = [](const std::string& line, const std::string& key) {
    const size_t from = line.find("\"" + key + "\":\"") + key.size() + 4;
    return line.substr(from, line.find('"', from) - from);
  };
  std::string conversions;
  for (const std::string& line : h.lines) {
    if (line.starts_with("{\"conversion\""))
      conversions += field(line, "conversion") + " " + field(line, "trigger") + "\n";
  }
  CHECK(conversions == "r32 x32\nr0 x0\n");
  CHECK(h.engine->counts(0).cohort(RuleCounts::cohort_of(-1, false)).conversions == 1);
}

TEST_CASE("goal: held-out firings convert with holdout true and arm null") {
  GoalHarness h(
      "rule ab\n  holdout 10%\n  goal purchase within 1d\nwhen view then split { 50%: send a "
      "50%: send b }\nend\n");
  h.send(ev("view", "u6900", "2026-01-01T10:00:00Z", "{}", "v1"));  // held out
  h.send(ev("purchase", "u6900", "2026-01-01T11:00:00Z", "{}", "p1"));
  h.send(ev("view", "u3072", "2026-01-01T12:00:00Z", "{}", "v2"));  // treated
  h.send(ev("purchase", "u3072", "2026-01-01T13:00:00Z", "{}", "p2"));
  REQUIRE(h.lines.size() == 4);
  CHECK(h.lines[1].ends_with(R"("trigger":"p1","arm":null,"holdout":true})"));
  const uint32_t b = bucket("split", "ab", "u3072");
  CHECK(h.lines[3].ends_with(std::string(R"("trigger":"p2","arm":)") + (b < 5000 ? "1" : "2") +
                             R"(,"holdout":false})"));
  const RuleCounts& counts = h.engine->counts(0);
  CHECK(counts.cohort(RuleCounts::cohort_of(-1, true)).firings == 1);
  CHECK(counts.cohort(RuleCounts::cohort_of(-1, true)).conversions == 1);
}

TEST_CASE("goal: derived events and decisions do not convert, input events do") {
  GoalHarness h("rule ab\n  goal purchase within 1d\nwhen view then emit purchase end\n");
  h.send(ev("view", "u", "2026-01-01T10:00:00Z", "{}", "v1"));
  h.send(ev("ping", "u", "2026-01-01T11:00:00Z", "{}", "x"));
  CHECK(h.lines.size() == 1);
  h.send(ev("purchase", "u", "2026-01-01T11:00:00Z", "{}", "p1"));
  CHECK(h.lines.size() == 2);
}

TEST_CASE("goal: a firing awaiting its goal survives a checkpoint") {
  GoalHarness straight(kGoalRule), restored(kGoalRule);
  straight.send(ev("view", "u", "2026-01-01T10:00:00Z", "{}", "v1"));
  std::string bytes;
  append_user_bytes(bytes, *straight.engine->user("u"));
  restored.engine->restore_user("u", bytes);
  restored.send(ev("purchase", "u", "2026-01-01T12:00:00Z", R"({"value": 50})", "p1"));
  REQUIRE(restored.lines.size() == 1);
  CHECK(
      restored.lines[0].find(R"("firing_id":")" +
                             firing_id("ab", "u", "v1", *parse_rfc3339("2026-01-01T10:00:00Z"))) !=
      std::string::npos);
}

TEST_CASE("lift: the treated's rate less the held out's, with the Wald 95% interval") {
  // By hand: 3 of 9 treated (0.3333), 2 of 10 held out (0.2): difference 0.13333; its
  // standard error sqrt(0.3333 * 0.6667 / 9 + 0.2 * 0.8 / 10) = 0.201721, times 1.959964
  // is 0.395366: from -0.262033 to 0.528699.
  const auto l = lift({9, 3}, {10, 2});
  REQUIRE(l);
  CHECK(l->difference == doctest::Approx(0.133333).epsilon(1e-5));
  CHECK(l->low == doctest::Approx(-0.262033).epsilon(1e-5));
  CHECK(l->high == doctest::Approx(0.528699).epsilon(1e-5));
  CHECK_FALSE(lift({9, 3}, {0, 0}));
}

}  // namespace spur::testing

namespace spur::testing {
namespace {

// Records each conversion's rule, trigger and firing hash, and wants conversions or not.
class HashHarness : public Harness {
 public:
  HashHarness(const std::string& rules, bool wants) : Harness(rules, {}, {}, wants) {}
  void on_conversion(const Conversion& c) override {
    seen.push_back(std::string(c.rule) + " " + std::string(c.trigger));
    hashes.push_back(c.firing_hash);
  }
  std::vector<std::string> seen;
  std::vector<uint64_t> hashes;
};

}  // namespace

TEST_CASE("goal: a listener that wants no conversions is given none and counts the same") {
  const std::string rules =
      "rule ab holdout 50%\n  goal purchase within 1d\nwhen view then send log end\n";
  HashHarness with(rules, true), without(rules, false);
  for (HashHarness* h : {&with, &without}) {
    for (int i = 0; i < 20; ++i)
      h->send(ev("view", "u" + std::to_string(i), "2026-01-01T10:00:00Z", "{}",
                 "v" + std::to_string(i)));
    for (int i = 1; i < 20; i += 3) {
      for (const int user : {i, i + 1})
        h->send(ev("purchase", "u" + std::to_string(user), "2026-01-01T11:00:00Z", "{}",
                   "p" + std::to_string(user)));
    }
  }
  CHECK(with.seen.size() == 13);
  CHECK(without.seen.empty());
  CHECK(with.hashes[0] == firing_hash("ab", "u1", "v1", *parse_rfc3339("2026-01-01T10:00:00Z")));
  uint64_t conversions = 0;
  for (const bool holdout : {false, true}) {
    const size_t cohort = RuleCounts::cohort_of(-1, holdout);
    CHECK(without.engine->counts(0).cohort(cohort).conversions ==
          with.engine->counts(0).cohort(cohort).conversions);
    CHECK(without.engine->counts(0).cohort(cohort).firings ==
          with.engine->counts(0).cohort(cohort).firings);
    conversions += without.engine->counts(0).cohort(cohort).conversions;
  }
  CHECK(conversions == 13);
}

}  // namespace spur::testing
