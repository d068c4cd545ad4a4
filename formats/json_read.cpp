// Reading JSON: events, request bodies, profiles and plain values (json_codec.hpp).
//
// simdjson's DOM parser does the parsing (design.md: event decoding is on the hot path of
// replay and of every POST /v1/events); nlohmann only looks again at text simdjson
// refuses, because simdjson refuses integers beyond 64 bits, which the language reads as
// doubles (language.md section 13), and its error would say "not valid JSON" for them.
//
// What the reader guarantees whatever the parser: a member given twice in one object
// keeps the last value at the first place (as JavaScript's JSON.parse); input nested
// deeper than the limit is refused before it is parsed; invalid UTF-8 is refused with
// the offset of its first bad byte.
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "formats/json_codec.hpp"
#include "grammar/source.hpp"
#include "time/time_text.hpp"

namespace spur {
namespace {

namespace dom = simdjson::dom;

constexpr size_t kMaxNameBytes = 256;

// Objects up to this many members find a repeated key by a linear scan; larger ones
// through a hash map, so a body of many members is not quadratic.
constexpr size_t kLinearMembers = 16;

// True when `text` nests arrays and objects deeper than `max_depth` (brackets inside
// strings do not count).
bool too_deep(std::string_view text, int max_depth) {
  // No deeper than it has opening brackets, strings' included: one pass the compiler
  // vectorises settles nearly every input (an event has two or three). Counted in a
  // byte per block of 255 (one bracket a byte at most): a wider counter made the
  // vectorised loop widen every byte to it (callgrind: 3.7 instructions a byte before).
  size_t opening = 0;
  for (size_t start = 0; start < text.size(); start += 255) {
    const size_t end = std::min(text.size(), start + 255);
    uint8_t block = 0;
    for (size_t i = start; i < end; ++i)
      block += static_cast<uint8_t>((text[i] == '{') + (text[i] == '['));
    opening += block;
  }
  if (opening <= static_cast<size_t>(max_depth)) return false;
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// simdjson cannot allocate a parser for an empty input.
constexpr size_t kMinCapacity = 64;

// A parser per thread, reused: its buffers grow to the largest input seen on the thread.
// Returned elements point into it and are valid until the thread's next parse.
class Reader {
 public:
  std::optional<dom::element> parse(std::string_view text, int max_depth, std::string& error);

 private:
  dom::parser parser_;
};

std::optional<dom::element> Reader::parse(std::string_view text, int max_depth,
                                          std::string& error) {
  if (too_deep(text, max_depth)) {
    const size_t bad = find_invalid_utf8(text);
    error = bad != text.size()
                ? "not valid UTF-8 (byte " + std::to_string(bad + 1) + ")"
                : "JSON nested deeper than the json_depth limit of " + std::to_string(max_depth) +
                      " levels; flatten the data or raise server.limits.json_depth";
    return std::nullopt;
  }
  // The scan above already bounds the depth; simdjson's own bound counts differently
  // (an empty innermost container is free), so it is set one level looser.
  const size_t depth = static_cast<size_t>(max_depth) + 2;
  if (parser_.max_depth() != depth &&
      parser_.allocate(std::max({parser_.capacity(), text.size(), kMinCapacity}), depth) !=
          simdjson::SUCCESS) {
    error = "too large to parse";
    return std::nullopt;
  }
  dom::element root;
  const simdjson::error_code code = parser_.parse(text.data(), text.size()).get(root);
  if (code == simdjson::SUCCESS) return root;
  if (code == simdjson::UTF8_ERROR) {
    error = "not valid UTF-8 (byte " + std::to_string(find_invalid_utf8(text) + 1) + ")";
    return std::nullopt;
  }
  // nlohmann reads what simdjson leaves (integers beyond 64 bits, as doubles) and writes
  // it back as text simdjson takes; what neither reads is not JSON.
  const auto j = nlohmann::ordered_json::parse(text.begin(), text.end(), nullptr, false);
  error = "not valid JSON";
  if (j.is_discarded()) return std::nullopt;
  if (parser_.parse(j.dump()).get(root) != simdjson::SUCCESS) return std::nullopt;
  error.clear();
  return root;
}

Reader& thread_reader() {
  thread_local Reader reader;
  return reader;
}

std::optional<dom::element> parse(std::string_view text, std::string& error,
                                  int max_depth = kDefaultJsonDepth) {
  return thread_reader().parse(text, max_depth, error);
}

Value to_value(dom::element e);

Value object_value(dom::object object) {
  Object members;
  members.reserve(object.size());
  std::unordered_map<std::string_view, size_t> index;  // key -> member, for large objects
  const bool large = object.size() > kLinearMembers;
  for (const dom::key_value_pair field : object) {
    size_t at = members.size();
    if (large) {
      at = index.try_emplace(field.key, at).first->second;
    } else {
      for (size_t i = 0; i < members.size(); ++i) {
        if (members[i].first == field.key) at = i;
      }
    }
    Value value = to_value(field.value);
    if (at == members.size()) {
      members.emplace_back(std::string(field.key), std::move(value));
    } else {
      members[at].second = std::move(value);
    }
  }
  return Value::object(std::move(members));
}

// Recursion is bounded by the depth limit checked before parsing.
Value to_value(dom::element e) {
  switch (e.type()) {
    case dom::element_type::BOOL:
      return Value::boolean(e.get_bool().value_unsafe());
    case dom::element_type::INT64:
      return Value::number(static_cast<double>(e.get_int64().value_unsafe()));
    case dom::element_type::UINT64:
      return Value::number(static_cast<double>(e.get_uint64().value_unsafe()));
    case dom::element_type::DOUBLE:
      return Value::number(e.get_double().value_unsafe());
    case dom::element_type::STRING:
      return Value::string(e.get_string().value_unsafe());
    case dom::element_type::ARRAY: {
      const dom::array array = e.get_array().value_unsafe();
      List items;
      items.reserve(array.size());
      for (const dom::element item : array)
        items.push_back(to_value(item));
      return Value::list(std::move(items));
    }
    case dom::element_type::OBJECT:
      return object_value(e.get_object().value_unsafe());
    case dom::element_type::NULL_VALUE:
      break;
  }
  return Value();
}

// A number as a double, or nullopt when `e` is not a number.
std::optional<double> number_of(dom::element e) {
  switch (e.type()) {
    case dom::element_type::INT64:
      return static_cast<double>(e.get_int64().value_unsafe());
    case dom::element_type::UINT64:
      return static_cast<double>(e.get_uint64().value_unsafe());
    case dom::element_type::DOUBLE:
      return e.get_double().value_unsafe();
    default:
      return std::nullopt;
  }
}

// A user or an id: a non-empty string of at most 256 bytes, or an integral number
// written as its decimal string (42.0 is "42").
std::optional<std::string> key_text(dom::element e, const char* field, std::string& error) {
  if (e.is_string()) {
    const std::string_view s = e.get_string().value_unsafe();
    if (s.empty() || s.size() > kMaxNameBytes) {
      error = std::string("`") + field + "` must be 1 to 256 bytes long";
      return std::nullopt;
    }
    return std::string(s);
  }
  if (const auto x = number_of(e); x && std::trunc(*x) == *x && std::fabs(*x) < 9007199254740992.0)
    return std::to_string(static_cast<int64_t>(*x));
  error = std::string("`") + field + "` must be a non-empty string or a whole number";
  return std::nullopt;
}

// `time`: an RFC 3339 string, or integer epoch milliseconds written as an integer.
std::optional<int64_t> time_of(dom::element e) {
  if (e.is_string()) return parse_rfc3339(e.get_string().value_unsafe());
  if (e.type() == dom::element_type::INT64) return e.get_int64().value_unsafe();
  return std::nullopt;
}

// The members an event reads; null stands for absent (an explicit null means absent).
struct EventMembers {
  std::optional<dom::element> name, user, id, time, properties;
  bool decide = false;  // a `decide` member: the line is a decision request
};

EventMembers members_of(dom::object object) {
  EventMembers out;
  for (const dom::key_value_pair field : object) {
    std::optional<dom::element>* slot = field.key == "event"        ? &out.name
                                        : field.key == "user"       ? &out.user
                                        : field.key == "id"         ? &out.id
                                        : field.key == "time"       ? &out.time
                                        : field.key == "properties" ? &out.properties
                                                                    : nullptr;
    out.decide = out.decide || field.key == "decide";
    if (slot == nullptr) continue;
    if (field.value.is_null()) {
      slot->reset();
    } else {
      *slot = field.value;  // a repeated member: the last one counts
    }
  }
  return out;
}

// Sets the event's time from its `time` member; false, with `error` set, when it is not
// a time Spur takes.
bool take_time(dom::element time, Event& event, std::string& error) {
  const std::optional<int64_t> ms = time_of(time);
  if (!ms) {
    error =
        "`time` must be an RFC 3339 time with an offset (\"2026-11-23T10:00:00Z\") or integer "
        "epoch milliseconds";
    return false;
  }
  if (*ms < kMinTimeMs || *ms > kMaxTimeMs) {
    error = "`time` " + std::to_string(*ms) +
            " ms is outside the times Spur handles, 1970-01-01T00:00:00Z (0) to "
            "9999-12-31T23:59:59.999Z (" +
            std::to_string(kMaxTimeMs) +
            "); send epoch milliseconds, not microseconds or seconds before 1970";
    return false;
  }
  event.time_ms = *ms;
  event.has_time = true;
  return true;
}

// Decodes the event whose members are `m` into `out` (made empty).
void fill_event(const EventMembers& m, const std::string& default_id, DecodedEvent& out) {
  const std::string_view name =
      m.name && m.name->is_string() ? m.name->get_string().value_unsafe() : std::string_view();
  if (name.empty() || name.size() > kMaxNameBytes) {
    out.error = "`event` is required: the event name, a string of 1 to 256 bytes";
    return;
  }
  out.event.name = name;
  if (!m.user) {
    out.error = "`user` is required: the user's id, a string or a whole number";
    return;
  }
  auto user_text = key_text(*m.user, "user", out.error);
  if (!user_text) return;
  out.event.user = std::move(*user_text);
  out.event.id = default_id;
  if (m.id) {
    auto id_text = key_text(*m.id, "id", out.error);
    if (!id_text) return;
    out.event.id = std::move(*id_text);
  }
  if (m.time && !take_time(*m.time, out.event, out.error)) return;
  if (m.properties) {
    if (!m.properties->is_object()) {
      out.error = "`properties` must be a JSON object";
      return;
    }
    out.event.properties = object_value(m.properties->get_object().value_unsafe());
  }
  out.ok = true;
  return;
}

DecodedEvent decode_event(dom::element j, const std::string& default_id) {
  DecodedEvent out;
  if (!j.is_object()) {
    out.error = "an event must be a JSON object";
    return out;
  }
  fill_event(members_of(j.get_object().value_unsafe()), default_id, out);
  return out;
}

// A decision request whose placement is the member `placement_key` (see decode_decision).
void fill_decision(dom::element j, std::string_view placement_key, const std::string& default_id,
                   DecodedEvent& out) {
  if (!j.is_object()) {
    out.error = "a decision request must be a JSON object";
    return;
  }
  std::optional<dom::element> placement, user, id, time, context;
  const dom::object members = j.get_object().value_unsafe();
  for (const dom::key_value_pair field : members) {
    std::optional<dom::element>* slot = field.key == placement_key ? &placement
                                        : field.key == "user"      ? &user
                                        : field.key == "id"        ? &id
                                        : field.key == "time"      ? &time
                                        : field.key == "context"   ? &context
                                                                   : nullptr;
    if (slot == nullptr) continue;
    if (field.value.is_null()) {
      slot->reset();
    } else {
      *slot = field.value;  // a repeated member: the last one counts
    }
  }
  const std::string_view name =
      placement && placement->is_string() ? placement->get_string().value_unsafe() : "";
  if (name.empty() || name.size() > kMaxNameBytes) {
    out.error = "`" + std::string(placement_key) +
                "` is required: the placement, a string of 1 to 256 bytes, as rules name it "
                "in `decide PLACEMENT`";
    return;
  }
  out.event.name = name;
  if (!user) {
    out.error = "`user` is required: the user's id, a string or a whole number";
    return;
  }
  auto user_text = key_text(*user, "user", out.error);
  if (!user_text) return;
  out.event.user = std::move(*user_text);
  out.event.id = default_id;
  if (id) {
    auto id_text = key_text(*id, "id", out.error);
    if (!id_text) return;
    out.event.id = std::move(*id_text);
  }
  if (time && !take_time(*time, out.event, out.error)) return;
  if (context) {
    if (!context->is_object()) {
      out.error = "`context` must be a JSON object: the rules read it as the trigger's properties";
      return;
    }
    out.event.properties = object_value(context->get_object().value_unsafe());
  }
  out.ok = true;
}

// The non-blank lines of an NDJSON text, spaces around them trimmed.
std::vector<std::string_view> ndjson_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front())))
      line.remove_prefix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
      line.remove_suffix(1);
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

DecodedBody too_many_events(size_t count, const EventBodyLimits& limits) {
  DecodedBody out;
  out.status = DecodedBody::Status::kTooMany;
  out.error = "the body holds " + std::to_string(count) + " events, more than the batch limit of " +
              std::to_string(limits.max_events) +
              "; split it into smaller batches or raise server.limits.batch";
  return out;
}

DecodedBody decode_json_body(std::string_view body, const EventBodyLimits& limits) {
  DecodedBody out;
  const auto parsed = parse(body, out.error, limits.max_depth);
  if (!parsed) {
    out.status = DecodedBody::Status::kMalformed;
    out.error = (body.empty() ? std::string("the body is empty") : "the body is " + out.error) +
                "; send one event object, a JSON array of events, or NDJSON (one event per line, "
                "with Content-Type application/x-ndjson)";
    return out;
  }
  if (!parsed->is_array()) {
    out.events.push_back(decode_event(*parsed, ""));
    return out;
  }
  const dom::array events = parsed->get_array().value_unsafe();
  if (events.size() > limits.max_events) return too_many_events(events.size(), limits);
  out.events.reserve(events.size());
  for (const dom::element item : events)
    out.events.push_back(decode_event(item, ""));
  return out;
}

DecodedBody decode_ndjson_body(std::string_view body, const EventBodyLimits& limits) {
  const std::vector<std::string_view> lines = ndjson_lines(body);
  if (lines.size() > limits.max_events) return too_many_events(lines.size(), limits);
  DecodedBody out;
  out.events.reserve(lines.size());
  bool any_json = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    DecodedEvent& event = out.events.emplace_back();
    if (const auto parsed = parse(lines[i], event.error, limits.max_depth)) {
      event = decode_event(*parsed, "");
      any_json = true;
    } else {
      event.error = "line " + std::to_string(i + 1) + " is " + event.error;
    }
  }
  if (!any_json) {
    out.status = DecodedBody::Status::kMalformed;
    out.error =
        (out.events.empty() ? std::string("the body holds no event") : out.events.front().error) +
        "; NDJSON is one JSON event object per line";
    out.events.clear();
  }
  return out;
}

}  // namespace

std::optional<Value> parse_json_value(std::string_view json, std::string& error, int max_depth) {
  const auto root = parse(json, error, max_depth);
  if (!root) return std::nullopt;
  return to_value(*root);
}

DecodedEvent decode_event(std::string_view json, const std::string& default_id) {
  DecodedEvent out;
  const auto parsed = parse(json, out.error);
  if (!parsed) return out;
  return decode_event(*parsed, default_id);
}

DecodedEvent decode_decision(std::string_view json, int max_depth, bool& malformed) {
  DecodedEvent out;
  const auto parsed = parse(json, out.error, max_depth);
  malformed = !parsed;
  if (parsed) fill_decision(*parsed, "placement", "", out);
  return out;
}

bool decode_stream_line(std::string_view json, const std::string& default_id, DecodedEvent& out) {
  const auto parsed = parse(json, out.error);
  if (!parsed) return false;
  if (!parsed->is_object()) {
    out.error = "an event must be a JSON object";
    return false;
  }
  const EventMembers m = members_of(parsed->get_object().value_unsafe());
  if (m.decide) {
    fill_decision(*parsed, "decide", default_id, out);
  } else {
    fill_event(m, default_id, out);
  }
  return m.decide;
}

DecodedBody decode_event_body(std::string_view body, BodyFormat format,
                              const EventBodyLimits& limits) {
  return format == BodyFormat::kJson ? decode_json_body(body, limits)
                                     : decode_ndjson_body(body, limits);
}

DecodedProfile decode_profile(std::string_view json) {
  DecodedProfile out;
  const auto parsed = parse(json, out.error);
  if (!parsed) return out;
  std::optional<dom::element> user, attributes;
  if (parsed->is_object()) {
    const dom::object line = parsed->get_object().value_unsafe();
    for (const dom::key_value_pair field : line) {
      if (field.key == "user") user = field.value;
      if (field.key == "attributes") attributes = field.value;
    }
  }
  if (!user) {
    out.error = "a profile line is {\"user\": ..., \"attributes\": {...}}";
    return out;
  }
  auto user_text = key_text(*user, "user", out.error);
  if (!user_text) return out;
  out.user = std::move(*user_text);
  if (attributes && !attributes->is_null() && !attributes->is_object()) {
    out.error = "`attributes` must be a JSON object";
    return out;
  }
  out.attributes = !attributes               ? Value::object({})
                   : attributes->is_object() ? object_value(attributes->get_object().value_unsafe())
                                             : Value();  // null: the profile is cleared
  out.ok = true;
  return out;
}

}  // namespace spur
