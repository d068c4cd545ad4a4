#include "time/quiet_hours.hpp"

#include <date/tz.h>

#include <algorithm>
#include <chrono>

namespace spur {
namespace {

using Ms = std::chrono::milliseconds;
constexpr int64_t kMinuteMs = 60'000;

date::local_time<Ms> local_of(const date::time_zone* zone, int64_t at) {
  const date::sys_time<Ms> instant{Ms(at)};
  if (zone == nullptr) return date::local_time<Ms>{instant.time_since_epoch()};
  return zone->to_local(instant);
}

int64_t ms_of(date::sys_time<Ms> t) {
  return t.time_since_epoch().count();
}

}  // namespace

const date::time_zone* zone_named(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;  // not in the database
  }
}

const std::vector<std::string>& zone_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    const date::tzdb& db = date::get_tzdb();
    for (const date::time_zone& zone : db.zones)
      out.emplace_back(zone.name());  // with the OS database, links are zones too
    return out;
  }();
  return names;
}

bool in_quiet_window(const QuietWindow& window, const date::time_zone* zone, int64_t at) {
  const date::local_time<Ms> local = local_of(zone, at);
  const int64_t of_day = (local - date::floor<date::days>(local)).count();
  const int64_t from = window.from_minutes * kMinuteMs, to = window.to_minutes * kMinuteMs;
  return from < to ? of_day >= from && of_day < to : of_day >= from || of_day < to;
}

int64_t quiet_window_end(const QuietWindow& window, const date::time_zone* zone, int64_t at) {
  const date::local_days today = date::floor<date::days>(local_of(zone, at));
  // The end time on the activation's local day or the next: a window lasts under a day,
  // and a DST change moves an instant's local day by at most one.
  for (int day = -1; day <= 2; ++day) {
    const date::local_seconds end =
        today + date::days(day) + std::chrono::minutes(window.to_minutes);
    if (zone == nullptr) {
      const int64_t t = end.time_since_epoch().count() * 1000;
      if (t >= at) return t;
      continue;
    }
    const date::local_info info = zone->get_info(end);
    switch (info.result) {
      case date::local_info::unique: {
        const int64_t t = ms_of(date::sys_time<Ms>(end.time_since_epoch() - info.first.offset));
        if (t >= at) return t;
        break;
      }
      case date::local_info::nonexistent: {  // in a gap: the gap's end
        const int64_t t = ms_of(date::sys_time<Ms>(info.first.end));
        if (t >= at) return t;
        break;
      }
      case date::local_info::ambiguous: {  // in a fold: the first occurrence not before
        const int64_t first = ms_of(date::sys_time<Ms>(end.time_since_epoch() - info.first.offset));
        const int64_t second =
            ms_of(date::sys_time<Ms>(end.time_since_epoch() - info.second.offset));
        if (first >= at) return first;
        if (second >= at) return second;
        break;
      }
    }
  }
  return at;  // unreachable: the next day's end time is always later
}

}  // namespace spur
