// An event as the engine sees it (formats.md, "Event"), already validated and decoded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/value.hpp"

namespace spur {

struct Event {
  std::string name;
  std::string user;
  std::string id;       // assigned by the caller when the event had none
  int64_t time_ms = 0;  // as sent (`x.@time`); the handled time may be later (section 9)
  bool has_time = false;
  // The id was made by the server, unique by construction: no sender can repeat it, so
  // it is not entered in the dedup window (which holds one fingerprint per id entered).
  bool id_unique = false;
  Value properties = Value::object({});
};

// An event being handled as a trigger, with its properties read into the slots the
// program numbered at compile time (Program::slot_paths), so conditions read a slot by
// index instead of looking a path up by name. slots[i] points into event->properties
// (properties are immutable, so the pointers stay valid as long as the event does), or
// is null where the event has no such property or no rule of the event reads the slot.
//
// A view: it owns nothing.
struct TriggerView {
  const Event* event = nullptr;
  const Value* const* slots = nullptr;
};

}  // namespace spur
