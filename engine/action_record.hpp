// What an action does, and the record of one action run by a firing (formats.md,
// "Action records"). Apart from firing.hpp so that a Program can hold the records of the
// rules whose firings are always the same (Program::constant_actions).
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/value.hpp"

namespace spur {

// kSplit is the record of a `split` (language.md section 14): `value` holds the arm drawn,
// 1-based, 0 for the control. kIf (section 15) runs a branch and records nothing itself.
enum class ActionOp : uint8_t { kSend, kSet, kUnset, kIncrement, kEmit, kRespond, kSplit, kIf };

struct ActionRecord {
  ActionOp op = ActionOp::kSend;
  std::string_view name;  // send: adapter; emit: event; set, unset, increment: "profile.x"
  // send: payload; set: value; emit: properties; respond: the object; unset: null;
  // increment: the new value, or null when nothing changed; split: the arm. Never null.
  const Value* value = nullptr;
  const Value* by = nullptr;  // increment only
};

}  // namespace spur
