// Times written as text: RFC 3339 timestamps and calendar dates (language.md section 13).
// All times are milliseconds since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spur {

// The times Spur handles: event times lie in [kMinTimeMs, kMaxTimeMs], from the Unix
// epoch to the last instant a four-digit RFC 3339 year can write (docs/language.md).
constexpr int64_t kMinTimeMs = 0;
constexpr int64_t kMaxTimeMs = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z

// `t` + `d` milliseconds, never past kMaxTimeMs: a deadline or window end beyond the last
// time is at it. No overflow for any int64 inputs.
constexpr int64_t time_plus(int64_t t, int64_t d) {
  int64_t sum = 0;
  if (__builtin_add_overflow(t, d, &sum)) return d > 0 ? kMaxTimeMs : INT64_MIN;
  return sum > kMaxTimeMs ? kMaxTimeMs : sum;
}

// "2026-11-23T10:00:00Z", "2026-11-23t11:00:00.123+01:00": `T`/`t`, `Z`/`z` or an offset,
// fractions truncated to milliseconds. Leap seconds (:60) and impossible dates are
// rejected.
std::optional<int64_t> parse_rfc3339(std::string_view text);

// RFC 3339 in UTC with milliseconds: "2026-11-24T10:00:00.000Z".
std::string format_rfc3339(int64_t ms);
// The same appended to `out` (no allocation once `out` has the capacity).
void append_rfc3339(std::string& out, int64_t ms);

// "2026-12-24": midnight UTC of that day.
std::optional<int64_t> parse_date(std::string_view text);

}  // namespace spur
