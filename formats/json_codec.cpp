#include "formats/json_codec.hpp"

#include <charconv>
#include <cmath>

#include "grammar/lexical.hpp"
#include "time/time_text.hpp"

namespace spur {
namespace {

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

}  // namespace

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

namespace {

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

// The members firings and suppressions share, in the order of formats.md, after the
// first member. Keys are written as the literals they are: none needs an escape.
void append_activation(std::string& out, std::string_view rule, std::string_view user,
                       int64_t time_ms, std::string_view trigger, int64_t priority) {
  out += ",\"rule\":";
  append_quoted(out, rule);
  out += ",\"user\":";
  append_quoted(out, user);
  out += ",\"time\":\"";
  append_rfc3339(out, time_ms);  // needs no escape
  out += "\",\"trigger\":";
  append_quoted(out, trigger);
  out += ",\"priority\":";
  append_number(out, static_cast<double>(priority));
}

}  // namespace

void append_json(std::string& out, const Value& value) {
  append_value(out, value);
}

std::string to_json(const Value& value) {
  std::string out;
  append_json(out, value);
  return out;
}

std::string firing_json(const Firing& f) {
  std::string out;
  out.reserve(256);
  append_firing_json(out, f);
  return out;
}

void append_firing_json(std::string& out, const Firing& f) {
  out += "{\"firing_id\":\"";
  append_firing_id(out, f.rule, f.user, f.trigger, f.time_ms);  // hex digits
  out += '"';
  append_activation(out, f.rule, f.user, f.time_ms, f.trigger, f.priority);
  out += ",\"scores\":{";
  for (const ScoreRecord& s : f.scores) {
    append_key(out, s.model);
    append_value(out, recorded_score(s));
  }
  out += "},\"actions\":[";
  for (size_t i = 0; i < f.actions.size(); ++i) {
    const ActionRecord& a = f.actions[i];
    out += i == 0 ? "{" : ",{";
    switch (a.op) {
      case ActionOp::kSend:
        out += "\"send\":";
        append_quoted(out, a.name);
        out += ",\"payload\":";
        append_value(out, *a.value);
        break;
      case ActionOp::kSet:
        out += "\"set\":";
        append_quoted(out, a.name);
        out += ",\"value\":";
        append_value(out, *a.value);
        break;
      case ActionOp::kUnset:
        out += "\"unset\":";
        append_quoted(out, a.name);
        break;
      case ActionOp::kIncrement:
        out += "\"increment\":";
        append_quoted(out, a.name);
        out += ",\"by\":";
        append_value(out, *a.by);
        out += ",\"value\":";
        append_value(out, *a.value);
        break;
      case ActionOp::kEmit:
        out += "\"emit\":";
        append_quoted(out, a.name);
        out += ",\"properties\":";
        append_value(out, *a.value);
        break;
      case ActionOp::kRespond:
        out += "\"respond\":";
        append_value(out, *a.value);
        break;
      case ActionOp::kSplit:
        out += "\"split\":";
        append_value(out, *a.value);
        break;
      case ActionOp::kIf:
        break;  // an `if` is never recorded, only the actions of its branch
    }
    out.push_back('}');
  }
  out += f.holdout ? "],\"holdout\":true" : "]";
  if (f.deferred_ms != Firing::kNotDeferred) {
    out += ",\"deferred\":\"";
    append_rfc3339(out, f.deferred_ms);
    out += '"';
  }
  out += '}';
}

std::string suppression_json(const Suppression& s) {
  std::string out = "{\"suppressed\":";
  append_quoted(out, reason_name(s.reason));
  append_activation(out, s.rule, s.user, s.time_ms, s.trigger, s.priority);
  out.push_back('}');
  return out;
}

std::string conversion_json(const Conversion& c) {
  std::string out = "{\"conversion\":";
  append_quoted(out, c.rule);
  out += ",\"user\":";
  append_quoted(out, c.user);
  out += ",\"time\":\"";
  append_rfc3339(out, c.time_ms);
  char hex[16];
  write_firing_hex(c.firing_hash, hex);
  out += "\",\"firing_id\":\"";
  out.append(hex, sizeof hex);
  out += '"';
  out += ",\"trigger\":";
  append_quoted(out, c.trigger);
  out += ",\"arm\":";
  out += c.arm < 0 ? "null" : std::to_string(c.arm);
  out += c.holdout ? ",\"holdout\":true}" : ",\"holdout\":false}";
  return out;
}

}  // namespace spur
