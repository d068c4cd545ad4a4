// Section 4 and 13 "Values and functions": each point at its boundary, through the
// real compiler and engine (a rule fires exactly when its condition is true).
#include <doctest/doctest.h>

#include "engine_harness.hpp"

namespace spur::testing {
namespace {

// True when `condition` holds for one `probe` event carrying `properties`, for a user
// with `attributes`.
bool holds_for(const std::string& condition, const std::string& properties = "{}",
               const std::string& attributes = "{}") {
  Harness h("rule r when probe as e and " + condition + " then send log end\n");
  std::string error;
  h.engine->set_attributes("u", *parse_json_value(attributes, error));
  h.send(ev("probe", "u", "2026-01-01T10:00:00Z", properties));
  return h.firings.size() == 1;
}

}  // namespace

TEST_CASE("a missing property is null, x == null and x is null hold") {
  CHECK(holds_for("e.missing == null"));
  CHECK(holds_for("e.missing is null"));
  CHECK_FALSE(holds_for("e.missing is not null"));
  CHECK(holds_for("e.a.b.c is null", R"({"a": 1})"));
}

TEST_CASE("properties are found whatever the order of an event's members, event after event") {
  // The engine remembers where each property was in the last event (Engine::point_slots):
  // events of one kind whose members come in other orders, go missing, or nest deeper
  // must read the same as the first.
  Harness h(
      "rule r when probe as e and e.a == 1 and e.b.c == 2 and e.d == null then send log end\n");
  const std::pair<const char*, bool> events[] = {
      {R"({"a": 1, "b": {"c": 2}})", true},
      {R"({"b": {"c": 2}, "a": 1})", true},
      {R"({"x": 0, "y": 0, "b": {"z": 0, "c": 2}, "a": 1})", true},
      {R"({"a": 1})", false},
      {R"({"b": {"c": 2}, "a": 1, "d": 3})", false},
      {R"({"a": 2, "b": {"c": 2}})", false},
      {R"({"a": 1, "b": 2})", false},
      {R"({"d": null, "a": 1, "b": {"c": 2}})", true},
      {R"({"a": 1, "b": {"c": 2}})", true},
  };
  int second = 0;
  for (const auto& event : events) {
    const char* properties = event.first;  // not a structured binding: CAPTURE's lambda
    CAPTURE(properties);
    const size_t before = h.firings.size();
    h.send(ev("probe", "u", "2026-01-01T10:00:" + std::to_string(10 + second++) + "Z", properties));
    CHECK(h.firings.size() == before + (event.second ? 1 : 0));
  }
}

TEST_CASE("strings compare the same whether decoded short (inline) or long (shared)") {
  const std::string short_s = "sssssssssssssss", long_s = short_s + "s";  // 15, 16 bytes
  CHECK(holds_for("e.a == \"" + short_s + "\"", R"({"a": ")" + short_s + R"("})"));
  CHECK(holds_for("e.a == \"" + long_s + "\"", R"({"a": ")" + long_s + R"("})"));
  CHECK_FALSE(holds_for("e.a == e.b", R"({"a": ")" + short_s + R"(", "b": ")" + long_s + R"("})"));
  CHECK(holds_for("e.a < e.b", R"({"a": ")" + short_s + R"(", "b": ")" + long_s + R"("})"));
  CHECK(holds_for("starts_with(e.b, e.a) and ends_with(e.b, e.a)",
                  R"({"a": ")" + short_s + R"(", "b": ")" + long_s + R"("})"));
  CHECK(holds_for("e.@user == \"u\" and e.@name == \"probe\""));
}

TEST_CASE("ordering across types, or with null, is false") {
  CHECK_FALSE(holds_for("e.a < 5"));
  CHECK_FALSE(holds_for("e.a >= 5"));
  CHECK_FALSE(holds_for("e.a > \"4\"", R"({"a": 5})"));
  CHECK(holds_for("e.a > \"A\"", R"({"a": "B"})"));  // bytewise
  CHECK(holds_for("1h > 30m"));
}

TEST_CASE("equality is by JSON value: 1 == 1.0, \"1\" != 1") {
  CHECK(holds_for("e.a == 1", R"({"a": 1.0})"));
  CHECK_FALSE(holds_for("e.a == 1", R"({"a": "1"})"));
  CHECK(holds_for("e.o == e.p", R"({"o": {"x": 1, "y": [1, 2]}, "p": {"y": [1.0, 2], "x": 1}})"));
  CHECK(holds_for("e.a != 2", R"({"a": 1})"));
}

TEST_CASE("only true is true: not x holds when x is missing") {
  CHECK(holds_for("not profile.unsubscribed"));
  CHECK_FALSE(holds_for("not profile.unsubscribed", "{}", R"({"unsubscribed": true})"));
  CHECK(holds_for("not profile.unsubscribed", "{}", R"({"unsubscribed": "yes"})"));
  CHECK_FALSE(holds_for("e.a", R"({"a": 1})"));
}

TEST_CASE("in, not in and contains: lists by ==, strings by substring") {
  CHECK(holds_for("e.a in [1, 2]", R"({"a": 2.0})"));
  CHECK(holds_for("\"ab\" in \"cabd\""));
  CHECK(holds_for("\"cabd\" contains \"ab\""));
  CHECK_FALSE(holds_for("e.a in 5", R"({"a": 5})"));
  CHECK(holds_for("e.a not in 5", R"({"a": 5})"));
  CHECK(holds_for("e.tags contains \"sale\"", R"({"tags": ["new", "sale"]})"));
}

TEST_CASE("between is inclusive, matches finds a substring") {
  CHECK(holds_for("e.a between 1 and 5", R"({"a": 5})"));
  CHECK(holds_for("e.a between 1 and 5", R"({"a": 1})"));
  CHECK_FALSE(holds_for("e.a between 1 and 5", R"({"a": 5.5})"));
  CHECK(holds_for("e.s matches \"b+c\"", R"({"s": "abbcd"})"));
  CHECK_FALSE(holds_for("e.s matches \"^b\"", R"({"s": "abc"})"));
}

TEST_CASE("arithmetic: 7 / 2 is 3.5, non-numbers and division by zero give null") {
  CHECK(holds_for("7 / 2 == 3.5"));
  CHECK(holds_for("e.a / 0 is null", R"({"a": 1})"));
  CHECK(holds_for("e.s + 1 is null", R"({"s": "x"})"));
  CHECK(holds_for("10% == 0.1"));
}

TEST_CASE("time arithmetic and RFC 3339 strings as times") {
  CHECK(holds_for("e.@time - 1h30m == time(\"2026-01-01T08:30:00Z\")"));
  CHECK(holds_for("now() - e.@time == 0s"));
  CHECK(holds_for("e.t < now()", R"({"t": "2026-01-01T09:59:59Z"})"));
  CHECK(
      holds_for("e.t == time(\"2026-01-01T11:00:00+01:00\")", R"({"t": "2026-01-01T10:00:00Z"})"));
  CHECK(holds_for("now() - e.t == 1d", R"({"t": "2025-12-31T10:00:00Z"})"));
}

TEST_CASE("functions at their edges") {
  CHECK(holds_for("lower(\"\xC3\x89T\xC3\x89\") == \"\xC3\xA9t\xC3\xA9\""));
  CHECK(
      holds_for("upper(\"stra\xC3\x9F"
                "e\") == \"STRA\xC3\x9F"
                "E\""));  // simple mapping
  CHECK(holds_for("len(\"\xC3\xA9t\xC3\xA9\") == 3 and len([1, 2]) == 2 and len(e) == 1",
                  R"({"a": 1})"));
  CHECK(holds_for("len(5) is null"));
  CHECK(
      holds_for("round(2.5) == 3 and round(-2.5) == -3 and floor(-1.5) == -2 and ceil(1.2) == 2"));
  CHECK(holds_for("abs(-3) == 3 and abs(\"x\") is null"));
  CHECK(holds_for("coalesce(e.a, e.b, 3) == 3"));
  CHECK(holds_for("starts_with(\"https://x\", \"https\") and ends_with(\"a.html\", \".html\")"));
  CHECK(holds_for("days_since(e.t) == 1", R"({"t": "2025-12-30T10:00:01Z"})"));    // 1.99 days
  CHECK(holds_for("hours_since(e.t) == -1", R"({"t": "2026-01-01T10:30:00Z"})"));  // floored
  CHECK(holds_for("hour_of_day(e.@time) == 10 and hour_of_day(e.@time, \"Europe/Paris\") == 11"));
  CHECK(holds_for("day_of_week(e.@time) == 4"));  // 2026-01-01 is a Thursday
  // A literal unknown zone is a check error; one read from the event yields null.
  CHECK(holds_for("hour_of_day(e.@time, e.zone) is null", R"({"zone": "Mars/Olympus"})"));
  CHECK(holds_for("date(\"2026-01-01\") < now() and date(\"nope\") is null"));
  CHECK(holds_for("score(\"churn\") == 0.8", "{}", R"({"scores": {"churn": 0.8}})"));
}

TEST_CASE("aggregates: sum of nothing is 0, avg/min/max of nothing null, distinct skips null") {
  Harness h(
      "rule r when probe as e\n"
      "  and sum(buy.amount in last 1h) == 0 and avg(buy.amount in last 1h) is null\n"
      "  and count(view in last 1h) == 3 and distinct(view.cat in last 1h) == 2\n"
      "then send log end\n");
  h.send(ev("view", "u", "2026-01-01T09:10:00Z", R"({"cat": "a"})"));
  h.send(ev("view", "u", "2026-01-01T09:20:00Z", R"({"cat": "b"})"));
  h.send(ev("view", "u", "2026-01-01T09:30:00Z", R"({})"));
  h.send(ev("probe", "u", "2026-01-01T10:00:00Z"));
  CHECK(h.firings.size() == 1);
}

}  // namespace spur::testing
