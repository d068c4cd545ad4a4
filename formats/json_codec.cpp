#include "formats/json_codec.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "engine/time_text.hpp"
#include "grammar/lexical.hpp"
#include "grammar/source.hpp"

namespace spur {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxNameBytes = 256;
// True when `text` nests arrays and objects deeper than `max_depth` (brackets inside
// strings do not count).
bool too_deep(std::string_view text, int max_depth) {
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

Value from_json(const Json& j) {
  switch (j.type()) {
    case Json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return Value::number(j.get<double>());
    case Json::value_t::string:
      return Value::string(j.get<std::string>());
    case Json::value_t::array: {
      List items;
      for (const Json& item : j)
        items.push_back(from_json(item));
      return Value::list(std::move(items));
    }
    case Json::value_t::object: {
      Object members;
      for (const auto& [key, value] : j.items())
        members.emplace_back(key, from_json(value));
      return Value::object(std::move(members));
    }
    default:
      return Value();
  }
}

// The escape of a byte that JSON strings cannot hold as it is, or nullptr.
const char* escape_of(unsigned char c) {
  static const char* const kControl[32] = {
      "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
      "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
      "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
      "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
  if (c < 0x20) return kControl[c];
  if (c == '"') return "\\\"";
  if (c == '\\') return "\\\\";
  return nullptr;
}

// Runs of bytes that need no escape are copied whole.
void append_quoted(std::string& out, std::string_view text) {
  out.push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char* escape = escape_of(static_cast<unsigned char>(text[i]));
    if (escape == nullptr) continue;
    out.append(text.data() + run, i - run);
    out += escape;
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

void append_number(std::string& out, double x) {
  char buf[32];
  if (!std::isfinite(x)) {
    out += "null";  // JSON has no infinities
    return;
  }
  // Integral values print without a fraction (900, not 900.0).
  const auto end = std::trunc(x) == x && std::fabs(x) < 9007199254740992.0
                       ? std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(x)).ptr
                       : std::to_chars(buf, buf + sizeof buf, x).ptr;
  out.append(buf, end);
}

void append_value(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      out += "null";
      return;
    case Value::Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::kNumber:
      append_number(out, v.as_number());
      return;
    case Value::Kind::kString:
      append_quoted(out, v.as_string());
      return;
    case Value::Kind::kTime:
      append_quoted(out, format_rfc3339(v.as_time()));
      return;
    case Value::Kind::kDuration:
      append_quoted(out, lexical::format_duration(v.as_duration()));
      return;
    case Value::Kind::kList: {
      out.push_back('[');
      bool first = true;
      for (const Value& item : v.as_list()) {
        if (!first) out.push_back(',');
        first = false;
        append_value(out, item);
      }
      out.push_back(']');
      return;
    }
    case Value::Kind::kObject: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, value] : v.as_object()) {
        if (!first) out.push_back(',');
        first = false;
        append_quoted(out, key);
        out.push_back(':');
        append_value(out, value);
      }
      out.push_back('}');
      return;
    }
  }
}

// Appends `"key":` (after a comma unless it opens the object).
void append_key(std::string& out, std::string_view key) {
  if (out.back() != '{') out.push_back(',');
  append_quoted(out, key);
  out.push_back(':');
}

// The members firings and suppressions share, in the order of formats.md.
void append_activation(std::string& out, std::string_view rule, std::string_view user,
                       int64_t time_ms, std::string_view trigger, int64_t priority) {
  append_key(out, "rule");
  append_quoted(out, rule);
  append_key(out, "user");
  append_quoted(out, user);
  append_key(out, "time");
  append_quoted(out, format_rfc3339(time_ms));
  append_key(out, "trigger");
  append_quoted(out, trigger);
  append_key(out, "priority");
  append_number(out, static_cast<double>(priority));
}

// A user or an id: a non-empty string of at most 256 bytes, or an integral number
// written as its decimal string (42.0 is "42").
std::optional<std::string> key_text(const Json& j, const char* field, std::string& error) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s.empty() || s.size() > kMaxNameBytes) {
      error = std::string("`") + field + "` must be 1 to 256 bytes long";
      return std::nullopt;
    }
    return s;
  }
  if (j.is_number()) {
    const double x = j.get<double>();
    if (std::trunc(x) == x && std::fabs(x) < 9007199254740992.0) {
      return std::to_string(static_cast<int64_t>(x));
    }
  }
  error = std::string("`") + field + "` must be a non-empty string or a whole number";
  return std::nullopt;
}

// Deeper input is rejected before it is parsed, since building values from it recurses.
std::optional<Json> parse(std::string_view text, std::string& error,
                          int max_depth = kDefaultJsonDepth) {
  if (const size_t bad = find_invalid_utf8(text); bad != text.size()) {
    error = "not valid UTF-8 (byte " + std::to_string(bad + 1) + ")";
    return std::nullopt;
  }
  if (too_deep(text, max_depth)) {
    error = "JSON nested deeper than the json_depth limit of " + std::to_string(max_depth) +
            " levels; flatten the data or raise server.limits.json_depth";
    return std::nullopt;
  }
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) {
    error = "not valid JSON";
    return std::nullopt;
  }
  return j;
}

DecodedEvent decode_event(const Json& j, const std::string& default_id) {
  DecodedEvent out;
  if (!j.is_object()) {
    out.error = "an event must be a JSON object";
    return out;
  }
  const auto field = [&j](const char* name) -> const Json* {
    const auto it = j.find(name);
    return it == j.end() || it->is_null() ? nullptr : &*it;  // explicit null means absent
  };
  const Json* name = field("event");
  if (name == nullptr || !name->is_string() || name->get_ref<const std::string&>().empty() ||
      name->get_ref<const std::string&>().size() > kMaxNameBytes) {
    out.error = "`event` is required: the event name, a string of 1 to 256 bytes";
    return out;
  }
  out.event.name = name->get<std::string>();
  const Json* user = field("user");
  if (user == nullptr) {
    out.error = "`user` is required: the user's id, a string or a whole number";
    return out;
  }
  const auto user_text = key_text(*user, "user", out.error);
  if (!user_text) return out;
  out.event.user = *user_text;
  out.event.id = default_id;
  if (const Json* id = field("id")) {
    const auto id_text = key_text(*id, "id", out.error);
    if (!id_text) return out;
    out.event.id = *id_text;
  }
  if (const Json* time = field("time")) {
    std::optional<int64_t> ms;
    if (time->is_string()) {
      ms = parse_rfc3339(time->get_ref<const std::string&>());
    } else if (time->is_number_integer() || time->is_number_unsigned()) {
      ms = time->get<int64_t>();
    }
    if (!ms) {
      out.error =
          "`time` must be an RFC 3339 time with an offset (\"2026-11-23T10:00:00Z\") or integer "
          "epoch milliseconds";
      return out;
    }
    out.event.time_ms = *ms;
    out.event.has_time = true;
  }
  if (const Json* properties = field("properties")) {
    if (!properties->is_object()) {
      out.error = "`properties` must be a JSON object";
      return out;
    }
    out.event.properties = from_json(*properties);
  }
  out.ok = true;
  return out;
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
                "; send one event object, a JSON array of events, or NDJSON";
    return out;
  }
  if (!parsed->is_array()) {
    out.events.push_back(decode_event(*parsed, ""));
    return out;
  }
  if (parsed->size() > limits.max_events) return too_many_events(parsed->size(), limits);
  for (const Json& item : *parsed)
    out.events.push_back(decode_event(item, ""));
  return out;
}

DecodedBody decode_ndjson_body(std::string_view body, const EventBodyLimits& limits) {
  const std::vector<std::string_view> lines = ndjson_lines(body);
  if (lines.size() > limits.max_events) return too_many_events(lines.size(), limits);
  DecodedBody out;
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

std::optional<Value> parse_json_value(std::string_view json, std::string& error) {
  const auto j = parse(json, error);
  if (!j) return std::nullopt;
  return from_json(*j);
}

DecodedEvent decode_event(std::string_view json, const std::string& default_id) {
  DecodedEvent out;
  const auto parsed = parse(json, out.error);
  if (!parsed) return out;
  return decode_event(*parsed, default_id);
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
  const Json& j = *parsed;
  if (!j.is_object() || !j.contains("user")) {
    out.error = "a profile line is {\"user\": ..., \"attributes\": {...}}";
    return out;
  }
  const auto user = key_text(j["user"], "user", out.error);
  if (!user) return out;
  out.user = *user;
  const auto attributes = j.find("attributes");
  if (attributes != j.end() && !attributes->is_null() && !attributes->is_object()) {
    out.error = "`attributes` must be a JSON object";
    return out;
  }
  out.attributes = attributes == j.end() ? Value::object({}) : from_json(*attributes);
  out.ok = true;
  return out;
}

std::string to_json(const Value& value) {
  std::string out;
  append_value(out, value);
  return out;
}

std::string firing_json(const Firing& f) {
  std::string out;
  out.reserve(256);
  out.push_back('{');
  append_key(out, "firing_id");
  append_quoted(out, firing_id(f));
  append_activation(out, f.rule, f.user, f.time_ms, f.trigger, f.priority);
  append_key(out, "scores");
  out.push_back('{');
  for (const ScoreRecord& s : f.scores) {
    append_key(out, s.model);
    append_value(out, s.value);
  }
  out += "},\"actions\":[";
  for (size_t i = 0; i < f.actions.size(); ++i) {
    const ActionRecord& a = f.actions[i];
    out += i == 0 ? "{" : ",{";
    switch (a.op) {
      case ActionOp::kSend:
        append_key(out, "send");
        append_quoted(out, a.name);
        append_key(out, "payload");
        append_value(out, *a.value);
        break;
      case ActionOp::kSet:
        append_key(out, "set");
        append_quoted(out, a.name);
        append_key(out, "value");
        append_value(out, *a.value);
        break;
      case ActionOp::kUnset:
        append_key(out, "unset");
        append_quoted(out, a.name);
        break;
      case ActionOp::kIncrement:
        append_key(out, "increment");
        append_quoted(out, a.name);
        append_key(out, "by");
        append_value(out, *a.by);
        append_key(out, "value");
        append_value(out, *a.value);
        break;
      case ActionOp::kEmit:
        append_key(out, "emit");
        append_quoted(out, a.name);
        append_key(out, "properties");
        append_value(out, *a.value);
        break;
      case ActionOp::kRespond:
        append_key(out, "respond");
        append_value(out, *a.value);
        break;
    }
    out.push_back('}');
  }
  out += "]}";
  return out;
}

std::string suppression_json(const Suppression& s) {
  std::string out = "{";
  append_key(out, "suppressed");
  append_quoted(out, reason_name(s.reason));
  append_activation(out, s.rule, s.user, s.time_ms, s.trigger, s.priority);
  out.push_back('}');
  return out;
}

}  // namespace spur
