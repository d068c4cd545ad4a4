#include "time/time_text.hpp"

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

TEST_CASE("format_rfc3339 writes UTC with milliseconds, before the epoch too") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_rfc3339(*parse_rfc3339("2028-02-29T23:59:59.123+00:00")) ==
        "2028-02-29T23:59:59.123Z");
  CHECK(format_rfc3339(*parse_rfc3339("9999-12-31T23:59:59.999Z")) == "9999-12-31T23:59:59.999Z");
  CHECK(format_rfc3339(*parse_rfc3339("2026-11-23T11:00:00+01:00")) == "2026-11-23T10:00:00.000Z");
  for (int64_t ms = -100'000'000'000; ms < 100'000'000'000; ms += 7'777'777'777)
    CHECK(parse_rfc3339(format_rfc3339(ms)) == ms);
}

}  // namespace spur
