// An event as the engine sees it (formats.md, "Event"), already validated and decoded.
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace spur
