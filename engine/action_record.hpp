// What an action does, and the record of one action run by a firing (formats.md,
// "Action records"). Apart from firing.hpp so that a Program can hold the records of the
// rules whose firings are always the same (Program::constant_actions).
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/value.hpp"

namespace spur {

enum class ActionOp : uint8_t { kSend, kSet, kUnset, kIncrement, kEmit, kRespond };

struct ActionRecord {
  ActionOp op = ActionOp::kSend;
  std::string_view name;  // send: adapter; emit: event; set, unset, increment: "profile.x"
  // send: payload; set: value; emit: properties; respond: the object; unset: null;
  // increment: the new value, or null when nothing changed. Never null.
  const Value* value = nullptr;
  const Value* by = nullptr;  // increment only
};

}  // namespace spur
