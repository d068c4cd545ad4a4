#include "time/time_text.hpp"

#include <date/date.h>

namespace spur {
namespace {

// Reads exactly `width` digits at text[pos].
std::optional<int> digits(std::string_view text, size_t pos, size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Days since the epoch of a valid YYYY-MM-DD at the start of `text`.
std::optional<int64_t> epoch_days(std::string_view text) {
  const auto y = digits(text, 0, 4), m = digits(text, 5, 2), d = digits(text, 8, 2);
  if (!y || !m || !d || text[4] != '-' || text[7] != '-') return std::nullopt;
  const date::year_month_day ymd{date::year{*y}, date::month(static_cast<unsigned>(*m)),
                                 date::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days(ymd).time_since_epoch().count();
}

}  // namespace

std::string format_rfc3339(int64_t ms) {
  std::string out;
  append_rfc3339(out, ms);
  return out;
}

void append_rfc3339(std::string& out, int64_t ms) {
  const date::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds(ms)};
  const date::sys_days day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  // date::format handles what four digits cannot; it is slow (a stream per call), and
  // this runs for every firing.
  if (year < 0 || year > 9999) {
    out += date::format("%FT%TZ", t);
    return;
  }
  int64_t rest = (t - day).count();  // ms into the day
  char text[] = "0000-00-00T00:00:00.000Z";
  const auto put = [&text](int at, int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      text[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  put(5, static_cast<unsigned>(ymd.month()), 2);
  put(8, static_cast<unsigned>(ymd.day()), 2);
  put(11, rest / 3'600'000, 2);
  put(14, rest / 60'000 % 60, 2);
  put(17, rest / 1000 % 60, 2);
  put(20, rest % 1000, 3);
  out.append(text, sizeof text - 1);
}

std::optional<int64_t> parse_date(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  const auto days = epoch_days(text);
  if (!days) return std::nullopt;
  return *days * 86'400'000;
}

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't')) return std::nullopt;
  const auto days = epoch_days(text);
  const auto hh = digits(text, 11, 2), mm = digits(text, 14, 2), ss = digits(text, 17, 2);
  if (!days || !hh || !mm || !ss || text[13] != ':' || text[16] != ':') return std::nullopt;
  if (*hh > 23 || *mm > 59 || *ss > 59) return std::nullopt;
  size_t pos = 19;
  int64_t ms = 0;
  if (text[pos] == '.') {
    int64_t scale = 100;
    const size_t start = ++pos;
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      ms += (text[pos] - '0') * scale;  // truncate past milliseconds
      scale /= 10;
    }
    if (pos == start) return std::nullopt;
  }
  int64_t offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const auto oh = digits(text, pos + 1, 2), om = digits(text, pos + 4, 2);
    if (!oh || !om || text[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset_minutes = (int64_t{*oh} * 60 + *om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const int64_t seconds =
      *days * 86'400 + int64_t{*hh} * 3600 + int64_t{*mm} * 60 + *ss - offset_minutes * 60;
  return seconds * 1000 + ms;
}

}  // namespace spur
