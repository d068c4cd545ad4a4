// Quiet hours (language.md section 14): windows of local time in an IANA zone, and the
// instants they end at, across DST gaps and folds. Times are ms since the epoch, UTC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace spur {

// `quiet HH:MM..HH:MM`: [from, to) in local time, wrapping midnight when from > to.
struct QuietWindow {
  int from_minutes = 0;  // since local midnight
  int to_minutes = 0;
};

// The zone of this name in the system's tz database, or null when there is none.
const date::time_zone* zone_named(std::string_view name);
// Every zone name of the database, for "did you mean".
const std::vector<std::string>& zone_names();

// Whether `at` falls in `window` in `zone` (null: UTC).
bool in_quiet_window(const QuietWindow& window, const date::time_zone* zone, int64_t at);

// The window's end instant for an activation at `at`: the first instant at or after `at`
// whose local time in `zone` (null: UTC) is the window's end time; where a DST gap skips
// that time, the end of the gap; in a fold, its first occurrence not before `at`.
int64_t quiet_window_end(const QuietWindow& window, const date::time_zone* zone, int64_t at);

}  // namespace spur
