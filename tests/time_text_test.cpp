#include "engine/time_text.hpp"

#include <doctest/doctest.h>

namespace spur {

TEST_CASE("RFC 3339 times read to epoch milliseconds") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("2026-11-23T10:00:00Z") == 1'795'428'000'000);
  CHECK(parse_rfc3339("2026-11-23t11:00:00+01:00") == 1'795'428'000'000);
  CHECK(parse_rfc3339("2026-11-23T10:00:00.1239z") == 1'795'428'000'123);
  CHECK(parse_rfc3339("2026-11-23T04:30:00-05:30") == 1'795'428'000'000);
  CHECK_FALSE(parse_rfc3339("2026-11-23T10:00:60Z"));  // leap second
  CHECK_FALSE(parse_rfc3339("2026-02-30T10:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-11-23 10:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-11-23T10:00:00"));
  CHECK_FALSE(parse_rfc3339("2026-11-23T10:00:00.Z"));
}

TEST_CASE("dates read to midnight UTC") {
  CHECK(parse_date("2026-12-24") == 1'798'070'400'000);
  CHECK_FALSE(parse_date("2026-13-01"));
  CHECK_FALSE(parse_date("24/12/2026"));
}

}  // namespace spur
