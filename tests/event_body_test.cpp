// decode_event_body: the bodies of POST /v1/events (http-api.md).
#include <doctest/doctest.h>

#include "formats/json_codec.hpp"

namespace spur {

TEST_CASE("an event body is one event, an array, or NDJSON") {
  const EventBodyLimits limits{.max_events = 3, .max_depth = 4};
  auto one = decode_event_body(R"({"event":"a","user":"u"})", BodyFormat::kJson, limits);
  REQUIRE(one.status == DecodedBody::Status::kOk);
  REQUIRE(one.events.size() == 1);
  CHECK(one.events[0].ok);
  CHECK(one.events[0].event.id.empty());  // the server assigns one

  auto array =
      decode_event_body(R"([{"event":"a","user":"u"}, {"user":"u"}])", BodyFormat::kJson, limits);
  REQUIRE(array.events.size() == 2);
  CHECK(array.events[0].ok);
  CHECK_FALSE(array.events[1].ok);
  CHECK(array.events[1].error.find("`event` is required") != std::string::npos);

  auto lines = decode_event_body("{\"event\":\"a\",\"user\":\"u\"}\n\n  \nnot json\n",
                                 BodyFormat::kNdjson, limits);
  REQUIRE(lines.status == DecodedBody::Status::kOk);
  REQUIRE(lines.events.size() == 2);
  CHECK(lines.events[0].ok);
  CHECK(lines.events[1].error == "line 2 is not valid JSON");
}

TEST_CASE("bodies that take nothing: malformed, empty, over the batch limit, too deep") {
  const EventBodyLimits limits{.max_events = 2, .max_depth = 3};
  CHECK(decode_event_body("", BodyFormat::kJson, limits).status == DecodedBody::Status::kMalformed);
  CHECK(decode_event_body("{", BodyFormat::kJson, limits).status ==
        DecodedBody::Status::kMalformed);
  CHECK(decode_event_body("\n\n", BodyFormat::kNdjson, limits).status ==
        DecodedBody::Status::kMalformed);
  CHECK(decode_event_body("x\ny\n", BodyFormat::kNdjson, limits).status ==
        DecodedBody::Status::kMalformed);
  const auto deep = decode_event_body(R"({"a":{"b":{"c":{}}}})", BodyFormat::kJson, limits);
  CHECK(deep.status == DecodedBody::Status::kMalformed);
  CHECK(deep.error.find("json_depth limit of 3") != std::string::npos);
  const auto many = decode_event_body("[{},{},{}]", BodyFormat::kJson, limits);
  CHECK(many.status == DecodedBody::Status::kTooMany);
  CHECK(many.error.find("3 events, more than the batch limit of 2") != std::string::npos);
  CHECK(decode_event_body("{}\n{}\n{}\n", BodyFormat::kNdjson, limits).status ==
        DecodedBody::Status::kTooMany);
  const auto bad_utf8 = decode_event_body("{\"event\":\"\xff\"}", BodyFormat::kJson, limits);
  CHECK(bad_utf8.status == DecodedBody::Status::kMalformed);
  CHECK(bad_utf8.error.find("UTF-8") != std::string::npos);
}

}  // namespace spur
