// JSON in and out for the engine's types (formats.md): events, profiles, firings.
//
// The only module besides the CLI and the server that knows a JSON library; the engine
// sees Values and Events.
#pragma once

#include <string>
#include <string_view>

#include "engine/engine.hpp"
#include "engine/event.hpp"
#include "engine/value.hpp"

namespace spur {

struct DecodedEvent {
  bool ok = false;
  Event event;
  std::string error;  // names the field and how to fix it
};

// One event (formats.md, "Event"). `default_id` is used when the event has no id.
DecodedEvent decode_event(std::string_view json, const std::string& default_id);

struct DecodedProfile {
  bool ok = false;
  std::string user;
  Value attributes;
  std::string error;
};

// One line of a profiles file: {"user": ..., "attributes": {...}}.
DecodedProfile decode_profile(std::string_view json);

// A JSON text as a Value; nullopt with `error` set when it is not JSON.
std::optional<Value> parse_json_value(std::string_view json, std::string& error);

// JSON text of a value: times as RFC 3339 UTC with milliseconds, durations in the
// language's syntax ("1h30m"), integral numbers without a fraction.
std::string to_json(const Value& value);

// One line of firing or suppression JSON, keys in the order of formats.md.
std::string firing_json(const Firing& firing);
std::string suppression_json(const Suppression& suppression);

}  // namespace spur
