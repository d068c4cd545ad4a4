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
  Value properties = Value::object({});
};

// An event being handled as a trigger: its properties read once into the slots the
// program numbered at compile time (Program::slot_paths), so conditions read a slot by
// index instead of looking a path up by name. Slots no rule of this event reads are null.
struct StepEvent {
  Event event;
  std::vector<Value> slots;
};

}  // namespace spur
