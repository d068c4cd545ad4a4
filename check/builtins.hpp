// The built-in functions of the language (language.md section 4) as the checker sees
// them: name, arity and the type of the result.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace spur {

// What the checker knows statically about a value. kUnknown covers every path into an
// event or a profile: their types are only known at run time.
enum class ValueType : uint8_t {
  kUnknown,
  kNumber,
  kString,
  kBool,
  kNull,
  kDuration,
  kTime,
  kList,
  kObject,
};

const char* type_name(ValueType type);

struct Builtin {
  std::string_view name;
  uint8_t min_args;
  uint8_t max_args;  // kVariadic: no upper bound
  ValueType result;
  std::string_view usage;  // shown in arity errors
};

inline constexpr uint8_t kVariadic = 255;

std::span<const Builtin> builtins();
const Builtin* find_builtin(std::string_view name);

}  // namespace spur
