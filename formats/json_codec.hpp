// JSON in and out for the engine's types (formats.md): events, profiles, firings.
//
// The only module besides the CLI and the server that knows a JSON library; the engine
// sees Values and Events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// A decision request (language.md section 10) as an Event: `name` is the placement,
// `properties` the context, `id` its own or empty. From the body of POST /v1/decide,
// {"user", "placement", "context"?, "time"?}; `malformed` when it is not JSON at all
// (deeper than `max_depth` included).
DecodedEvent decode_decision(std::string_view json, int max_depth, bool& malformed);

// Decodes one line of a replay stream or rule test into `out` (empty): an event, or a
// decision request when it has a `decide` member ({"decide": PLACEMENT, "user", "id"?,
// "context"?, "time"?}), which returns true. `default_id` names either when it has no id
// of its own.
bool decode_stream_line(std::string_view json, const std::string& default_id, DecodedEvent& out);

// The json_depth default of config.md: deeper input is rejected before it is parsed.
inline constexpr int kDefaultJsonDepth = 32;
// The largest json_depth the configuration takes.
inline constexpr int kMaxJsonDepth = 1000;

enum class BodyFormat : uint8_t { kJson, kNdjson };

struct EventBodyLimits {
  size_t max_events = 10'000;
  int max_depth = kDefaultJsonDepth;
};

// The events of a request body (http-api.md, POST /v1/events): one event object or an
// array of them (kJson), or one per line, blank lines skipped (kNdjson). kMalformed: not
// JSON/NDJSON at all, or empty; kTooMany: over the batch limit; both take nothing. With
// kOk, each event decoded or not on its own (ids left empty when the event has none).
struct DecodedBody {
  enum class Status : uint8_t { kOk, kMalformed, kTooMany };
  Status status = Status::kOk;
  std::string error;
  std::vector<DecodedEvent> events;  // body order
};
DecodedBody decode_event_body(std::string_view body, BodyFormat format,
                              const EventBodyLimits& limits);

struct DecodedProfile {
  bool ok = false;
  std::string user;
  Value attributes;
  std::string error;
};

// One line of a profiles file: {"user": ..., "attributes": {...}}.
DecodedProfile decode_profile(std::string_view json);

// A JSON text as a Value; nullopt with `error` set when it is not JSON or nests deeper
// than `max_depth`.
std::optional<Value> parse_json_value(std::string_view json, std::string& error,
                                      int max_depth = kDefaultJsonDepth);

// JSON text of a value: times as RFC 3339 UTC with milliseconds, durations in the
// language's syntax ("1h30m"), integral numbers without a fraction.
std::string to_json(const Value& value);
// The same appended to `out`.
void append_json(std::string& out, const Value& value);
// `text` as a JSON string, quoted and escaped, appended to `out`.
void append_quoted(std::string& out, std::string_view text);

// One line of firing or suppression JSON, keys in the order of formats.md.
std::string firing_json(const Firing& firing);
// The same appended to `out` (no allocation once `out` has the capacity).
void append_firing_json(std::string& out, const Firing& firing);
std::string suppression_json(const Suppression& suppression);
// A conversion record of language.md section 14 (`spur replay --conversions`).
std::string conversion_json(const Conversion& conversion);

}  // namespace spur
