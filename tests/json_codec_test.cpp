// Decoding events (formats.md, "Event") and encoding firings.
#include "formats/json_codec.hpp"

#include <doctest/doctest.h>

#include <cstdio>

#include "time/time_text.hpp"

namespace spur {

namespace {
DecodedEvent decode(const std::string& json) {
  return decode_event(json, "auto-1");
}
}  // namespace

TEST_CASE("a well-formed event decodes, unknown fields are ignored") {
  const auto d = decode(R"({"id": "e-1", "event": "add_to_cart", "user": "u42", "extra": [1],
                            "time": "2026-11-23T11:00:00+01:00", "properties": {"sku": "A1"}})");
  REQUIRE(d.ok);
  CHECK(d.event.name == "add_to_cart");
  CHECK(d.event.user == "u42");
  CHECK(d.event.id == "e-1");
  CHECK(d.event.time_ms == *parse_rfc3339("2026-11-23T10:00:00Z"));
  CHECK(to_json(d.event.properties) == R"({"sku":"A1"})");
}

TEST_CASE("user and id may be integral numbers, written as decimal strings") {
  const auto d = decode(R"({"event": "a", "user": 42.0, "id": 7})");
  REQUIRE(d.ok);
  CHECK(d.event.user == "42");
  CHECK(d.event.id == "7");
  CHECK_FALSE(decode(R"({"event": "a", "user": 4.5})").ok);
}

TEST_CASE("explicit null means absent for time, id and properties") {
  const auto d =
      decode(R"({"event": "a", "user": "u", "time": null, "id": null, "properties": null})");
  REQUIRE(d.ok);
  CHECK_FALSE(d.event.has_time);
  CHECK(d.event.id == "auto-1");
  CHECK(to_json(d.event.properties) == "{}");
}

TEST_CASE("times: RFC 3339 or integer epoch milliseconds, leap seconds rejected") {
  CHECK(decode(R"({"event": "a", "user": "u", "time": 1767225600000})").event.time_ms ==
        1767225600000);
  CHECK(
      decode(R"({"event": "a", "user": "u", "time": "2026-01-01t00:00:00.9999z"})").event.time_ms ==
      1767225600999);
  CHECK_FALSE(decode(R"({"event": "a", "user": "u", "time": "2026-06-30T23:59:60Z"})").ok);
  CHECK_FALSE(decode(R"({"event": "a", "user": "u", "time": 1.5})").ok);
  CHECK(decode(R"({"event": "a", "user": "u", "time": "yesterday"})").error.find("`time`") == 0);
}

TEST_CASE("each bad field is named in the error") {
  CHECK(decode(R"({"user": "u"})").error.find("`event` is required") == 0);
  CHECK(decode(R"({"event": "", "user": "u"})").error.find("`event`") == 0);
  CHECK(decode(R"({"event": "a"})").error.find("`user` is required") == 0);
  CHECK(decode(R"({"event": "a", "user": ""})").error.find("`user`") == 0);
  CHECK(decode(R"({"event": "a", "user": "u", "id": ""})").error.find("`id`") == 0);
  CHECK(decode(R"({"event": "a", "user": "u", "properties": [1]})").error.find("`properties`") ==
        0);
  CHECK(decode(R"({"event": "a", "user": ")" + std::string(257, 'x') + R"("})")
            .error.find("`user`") == 0);
  CHECK(decode("[1]").error == "an event must be a JSON object");
  CHECK(decode("{nope").error == "not valid JSON");
  CHECK(decode("{\"event\": \"\xFF\"}").error.find("not valid UTF-8") == 0);
}

TEST_CASE("nesting deeper than 32 levels is rejected, brackets in strings do not count") {
  const auto nested = [](int levels) {
    return R"({"event": "a", "user": "u", "properties": {"x": )" + std::string(levels, '[') +
           std::string(levels, ']') + "}}";
  };
  // The event object and `properties` are two levels: 30 arrays make 32, 31 make 33.
  CHECK(decode(nested(30)).ok);
  CHECK_FALSE(decode(nested(31)).ok);
  CHECK(decode(nested(100000)).error.find("JSON nested deeper than the json_depth limit of 32") ==
        0);
  CHECK(decode(R"({"event": "a", "user": "u", "properties": {"s": ")" + std::string(100, '[') +
               "\"}}")
            .ok);
  std::string siblings = R"({"event": "a", "user": "u", "properties": {"x": 0)";
  for (int i = 0; i < 40; ++i)  // more brackets than the limit, none deeper than 3
    siblings += ",\"l" + std::to_string(i) + "\": [{}]";
  CHECK(decode(siblings + "}}").ok);
  // Brackets far apart, in different blocks of the count that comes before the walk.
  const auto spread = [](int levels) {
    std::string text = R"({"event": "a", "user": "u", "properties": {"x": )";
    for (int i = 0; i < levels; ++i)
      text += std::string(100, ' ') + "[";
    return text + std::string(levels, ']') + "}}";
  };
  CHECK(decode(spread(30)).ok);
  CHECK_FALSE(decode(spread(31)).ok);
}

TEST_CASE("a repeated member keeps its last value at its first place, in small and large objects") {
  const auto d = decode(R"({"event": "a", "user": "u1", "user": "u2",
                            "properties": {"x": 1, "y": 2, "x": 3}})");
  REQUIRE(d.ok);
  CHECK(d.event.user == "u2");
  CHECK(to_json(d.event.properties) == R"({"x":3,"y":2})");
  CHECK_FALSE(decode(R"({"event": "a", "user": "u", "user": null})").ok);

  std::string members;
  for (int i = 0; i < 40; ++i)
    members += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ", ";
  const auto large =
      decode(R"({"event": "a", "user": "u", "properties": {)" + members + R"("k7": "last"}})");
  REQUIRE(large.ok);
  const Object& object = large.event.properties.as_object();
  REQUIRE(object.size() == 40);
  CHECK(object[7].first == "k7");
  CHECK(object[7].second.as_string() == "last");
}

TEST_CASE("integers beyond 64 bits are read as doubles, not refused") {
  const auto d = decode(
      R"({"event": "a", "user": "u", "properties": {"big": 123456789012345678901234567890}})");
  REQUIRE(d.ok);
  CHECK(d.event.properties.find("big")->as_number() == doctest::Approx(1.2345678901234568e29));
  CHECK(decode(R"({"event": "a", "user": "u", "properties": {"x": 1e400}})").error ==
        "not valid JSON");
  CHECK(decode(R"({"event": "a", "user": "u", "properties": {"x": "\ud800"}})").error ==
        "not valid JSON");
}

TEST_CASE("firings encode with the keys in the order of formats.md") {
  const Value wait = Value::duration(5'400'000), nothing, by = Value::number(2);
  const ScoreRecord scores[] = {{"churn", Value::number(0.5)}};
  const ActionRecord actions[] = {{ActionOp::kSet, "profile.wait", &wait, nullptr},
                                  {ActionOp::kIncrement, "profile.n", &nothing, &by}};
  const Firing f{"r", "u", 1767225600000, "e-1", 5, scores, actions};
  const std::string id = firing_id(f);
  CHECK(id == firing_id("r", "u", "e-1", 1767225600000));
  CHECK(id.size() == 16);
  CHECK(
      firing_json(f) ==
      R"({"firing_id":")" + id +
          R"(","rule":"r","user":"u","time":"2026-01-01T00:00:00.000Z",)"
          R"("trigger":"e-1","priority":5,"scores":{"churn":0.5},"actions":[{"set":"profile.wait","value":"1h30m"},)"
          R"({"increment":"profile.n","by":2,"value":null}]})");
}

TEST_CASE("the firing id is FNV-1a-64 of rule, user, trigger and time, in 16 hex digits") {
  // Computed independently: FNV-1a over "r\0u\0e-1\0" then "1767225600000".
  uint64_t h = 14695981039346656037ULL;
  for (const char c : std::string("r\0u\0e-1\0", 8) + "1767225600000") {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char expected[17];
  std::snprintf(expected, sizeof expected, "%016llx", static_cast<unsigned long long>(h));
  CHECK(firing_id("r", "u", "e-1", 1767225600000) == expected);
  CHECK(firing_id("r", "u", "e-1", 1767225600001) != expected);
}

TEST_CASE("to_json escapes what JSON needs and keeps UTF-8 as it is") {
  std::string error;
  const auto value =
      parse_json_value(R"({"a":"q\"b\\n\nt\tc\u0001é","n":[1.5,-0,1e300,3]})", error);
  REQUIRE(value);
  CHECK(to_json(*value) == "{\"a\":\"q\\\"b\\\\n\\nt\\tc\\u0001é\",\"n\":[1.5,0,1e+300,3]}");
  const auto reparsed = parse_json_value(to_json(*value), error);
  REQUIRE(reparsed);
  CHECK(to_json(*reparsed) == to_json(*value));
}

}  // namespace spur
