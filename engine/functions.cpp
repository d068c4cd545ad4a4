#include "engine/functions.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <locale.h>
#include <wctype.h>

#include <cmath>

#include "grammar/source.hpp"
#include "time/time_text.hpp"

namespace spur {
namespace {

using Kind = Value::Kind;

// Unicode simple case mapping, from glibc's C.UTF-8 locale (built in since glibc 2.35),
// created once and never freed; ASCII only if the locale is missing.
Value change_case(const Value& v, bool upper) {
  if (v.kind() != Kind::kString) return Value();
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  std::u32string cps = decode_utf8(v.as_string());
  for (char32_t& cp : cps) {
    if (utf8 != nullptr) {
      cp = static_cast<char32_t>(upper ? towupper_l(static_cast<wint_t>(cp), utf8)
                                       : towlower_l(static_cast<wint_t>(cp), utf8));
    } else if (cp < 0x80) {
      cp = static_cast<char32_t>(upper ? toupper(static_cast<int>(cp))
                                       : tolower(static_cast<int>(cp)));
    }
  }
  std::string out;
  for (const char32_t cp : cps)
    append_utf8(out, cp);
  return Value::string(std::move(out));
}

Value number_function(Function f, const Value& v) {
  if (v.kind() != Kind::kNumber) return Value();
  const double x = v.as_number();
  switch (f) {
    case Function::kAbs:
      return Value::number(std::fabs(x));
    case Function::kRound:
      return Value::number(std::round(x));  // halves away from zero
    case Function::kFloor:
      return Value::number(std::floor(x));
    default:
      return Value::number(std::ceil(x));
  }
}

Value since(const Value& v, int64_t now_ms, int64_t unit_ms) {
  const auto t = time_of(v);
  if (!t) return Value();
  const int64_t elapsed = now_ms - *t;
  // Floor division, also for times in the future.
  int64_t units = elapsed / unit_ms;
  if (elapsed % unit_ms != 0 && elapsed < 0) --units;
  return Value::number(static_cast<double>(units));
}

// Local hour (0-23) or ISO weekday (1 = Monday .. 7) of a time in an IANA zone (UTC
// without one).
Value calendar(const std::vector<Value>& args, bool hour) {
  const auto t = time_of(args[0]);
  if (!t) return Value();
  const date::sys_time<std::chrono::milliseconds> instant{std::chrono::milliseconds(*t)};
  date::local_time<std::chrono::milliseconds> local{instant.time_since_epoch()};
  if (args.size() > 1) {
    if (args[1].kind() != Kind::kString) return Value();
    try {
      local = date::make_zoned(std::string(args[1].as_string()), instant).get_local_time();
    } catch (const std::exception&) {
      return Value();  // unknown time zone
    }
  }
  const auto day = date::floor<date::days>(local);
  if (hour) {
    return Value::number(
        static_cast<double>(std::chrono::duration_cast<std::chrono::hours>(local - day).count()));
  }
  return Value::number(static_cast<double>(date::weekday(day).iso_encoding()));
}

}  // namespace

Value call(Function f, const std::vector<Value>& args, int64_t now_ms) {
  switch (f) {
    case Function::kLower:
      return change_case(args[0], false);
    case Function::kUpper:
      return change_case(args[0], true);
    case Function::kLen: {
      const Value& v = args[0];
      if (v.kind() == Kind::kString)
        return Value::number(static_cast<double>(count_code_points(v.as_string())));
      if (v.kind() == Kind::kList) return Value::number(static_cast<double>(v.as_list().size()));
      if (v.kind() == Kind::kObject)
        return Value::number(static_cast<double>(v.as_object().size()));
      return Value();
    }
    case Function::kAbs:
    case Function::kRound:
    case Function::kFloor:
    case Function::kCeil:
      return number_function(f, args[0]);
    case Function::kCoalesce:
      for (const Value& v : args) {
        if (!v.is_null()) return v;
      }
      return Value();
    case Function::kStartsWith:
    case Function::kEndsWith: {
      if (args[0].kind() != Kind::kString || args[1].kind() != Kind::kString) return Value();
      const std::string_view s = args[0].as_string();
      const std::string_view affix = args[1].as_string();
      return Value::boolean(f == Function::kStartsWith ? s.starts_with(affix) : s.ends_with(affix));
    }
    case Function::kNow:
      return Value::time(now_ms);
    case Function::kDaysSince:
      return since(args[0], now_ms, 86'400'000);
    case Function::kHoursSince:
      return since(args[0], now_ms, 3'600'000);
    case Function::kMinutesSince:
      return since(args[0], now_ms, 60'000);
    case Function::kHourOfDay:
      return calendar(args, true);
    case Function::kDayOfWeek:
      return calendar(args, false);
    case Function::kDate: {
      if (args[0].kind() != Kind::kString) return Value();
      const auto t = parse_date(args[0].as_string());
      return t ? Value::time(*t) : Value();
    }
    case Function::kTime: {
      const auto t = time_of(args[0]);
      return t ? Value::time(*t) : Value();
    }
    case Function::kScore:
      break;  // needs the user: eval.cpp
  }
  return Value();
}

}  // namespace spur
