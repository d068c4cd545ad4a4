// The built-in functions at run time (language.md sections 4 and 13). A function given
// arguments of the wrong type, an unknown time zone or an unreadable date yields null.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/program.hpp"
#include "engine/value.hpp"

namespace spur {

// Every function but score(), which needs the user (eval.hpp). `now_ms` is the engine
// clock.
Value call(Function function, const std::vector<Value>& args, int64_t now_ms);

}  // namespace spur
