#include "check/builtins.hpp"

namespace spur {
namespace {

constexpr Builtin kBuiltins[] = {
    {"lower", 1, 1, ValueType::kString, "lower(text)"},
    {"upper", 1, 1, ValueType::kString, "upper(text)"},
    {"len", 1, 1, ValueType::kNumber, "len(text | list | object)"},
    {"abs", 1, 1, ValueType::kNumber, "abs(number)"},
    {"round", 1, 1, ValueType::kNumber, "round(number)"},
    {"floor", 1, 1, ValueType::kNumber, "floor(number)"},
    {"ceil", 1, 1, ValueType::kNumber, "ceil(number)"},
    {"coalesce", 1, kVariadic, ValueType::kUnknown, "coalesce(a, b, ...)"},
    {"starts_with", 2, 2, ValueType::kBool, "starts_with(text, prefix)"},
    {"ends_with", 2, 2, ValueType::kBool, "ends_with(text, suffix)"},
    {"now", 0, 0, ValueType::kTime, "now()"},
    {"days_since", 1, 1, ValueType::kNumber, "days_since(time)"},
    {"hours_since", 1, 1, ValueType::kNumber, "hours_since(time)"},
    {"minutes_since", 1, 1, ValueType::kNumber, "minutes_since(time)"},
    {"hour_of_day", 1, 2, ValueType::kNumber, "hour_of_day(time [, \"Europe/Paris\"])"},
    {"day_of_week", 1, 2, ValueType::kNumber, "day_of_week(time [, \"Europe/Paris\"])"},
    {"date", 1, 1, ValueType::kTime, "date(\"2026-12-24\")"},
    {"time", 1, 1, ValueType::kTime, "time(\"2026-12-24T09:00:00Z\")"},
    {"score", 1, 1, ValueType::kUnknown, "score(\"model\")"},
};

}  // namespace

const char* type_name(ValueType type) {
  switch (type) {
    case ValueType::kUnknown:
      return "a value";
    case ValueType::kNumber:
      return "a number";
    case ValueType::kString:
      return "a string";
    case ValueType::kBool:
      return "a boolean";
    case ValueType::kNull:
      return "null";
    case ValueType::kDuration:
      return "a duration";
    case ValueType::kTime:
      return "a time";
    case ValueType::kList:
      return "a list";
    case ValueType::kObject:
      return "an object";
  }
  return "a value";
}

std::span<const Builtin> builtins() {
  return kBuiltins;
}

const Builtin* find_builtin(std::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

}  // namespace spur
