#include "engine/value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "engine/same_text.hpp"
#include "time/time_text.hpp"

namespace spur {

static_assert(sizeof(Value) == 24, "a Value is three words: see kInlineString");

Value Value::number(double n) {
  return std::isfinite(n) ? Value(Storage(n)) : Value();
}

const Value* Value::find(std::string_view key) const {
  if (kind() != Kind::kObject) return nullptr;
  for (const auto& [name, value] : as_object()) {
    if (same_text(name, key)) return &value;
  }
  return nullptr;
}

std::optional<int64_t> time_of(const Value& v) {
  if (v.kind() == Value::Kind::kTime) return v.as_time();
  if (v.kind() == Value::Kind::kString) return parse_rfc3339(v.as_string());
  return std::nullopt;
}

bool equal(const Value& a, const Value& b) {
  using Kind = Value::Kind;
  if (a.kind() == Kind::kTime || b.kind() == Kind::kTime) {
    const auto ta = time_of(a), tb = time_of(b);
    return ta && tb && *ta == *tb;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.as_bool() == b.as_bool();
    case Kind::kNumber:
      return a.as_number() == b.as_number();
    case Kind::kString:
      return a.as_string() == b.as_string();
    case Kind::kTime:
      return a.as_time() == b.as_time();
    case Kind::kDuration:
      return a.as_duration() == b.as_duration();
    case Kind::kList:
      return std::equal(a.as_list().begin(), a.as_list().end(), b.as_list().begin(),
                        b.as_list().end(),
                        [](const Value& x, const Value& y) { return equal(x, y); });
    case Kind::kObject: {
      const Object& x = a.as_object();
      const Object& y = b.as_object();
      if (x.size() != y.size()) return false;
      return std::all_of(x.begin(), x.end(), [&b](const auto& member) {
        const Value* other = b.find(member.first);
        return other != nullptr && equal(member.second, *other);
      });
    }
  }
  return false;
}

std::optional<int> compare(const Value& a, const Value& b) {
  using Kind = Value::Kind;
  const auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (a.kind() == Kind::kTime || b.kind() == Kind::kTime) {
    const auto ta = time_of(a), tb = time_of(b);
    if (!ta || !tb) return std::nullopt;
    return sign(*ta, *tb);
  }
  if (a.kind() != b.kind()) return std::nullopt;
  switch (a.kind()) {
    case Kind::kNumber:
      return sign(a.as_number(), b.as_number());
    case Kind::kString:
      return sign(a.as_string().compare(b.as_string()), 0);
    case Kind::kDuration:
      return sign(a.as_duration(), b.as_duration());
    default:
      return std::nullopt;
  }
}

void add_key(std::string& key, std::string_view text) {
  char buf[24];
  key.append(buf, std::to_chars(buf, buf + sizeof buf, text.size()).ptr);
  key.push_back(':');
  key.append(text);
}
void add_key(std::string& key, int64_t number) {
  char buf[24];
  key.push_back('#');
  key.append(buf, std::to_chars(buf, buf + sizeof buf, number).ptr);
}

std::string path_key(const std::vector<std::string>& path) {
  std::string key;
  for (const std::string& part : path)
    add_key(key, part);
  return key;
}

void append_value_key(std::string& key, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      key.push_back('z');
      return;
    case Value::Kind::kBool:
      key.push_back(v.as_bool() ? 't' : 'f');
      return;
    case Value::Kind::kNumber: {
      // 17 significant digits tell every double apart; -0 and 0 are equal, so one key.
      const double n = v.as_number() == 0 ? 0.0 : v.as_number();
      char buf[32];
      const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
      key.push_back('n');
      key.append(buf, end);
      return;
    }
    case Value::Kind::kString:
      key.push_back('s');
      add_key(key, v.as_string());
      return;
    case Value::Kind::kTime:
      key.push_back('T');
      add_key(key, v.as_time());
      return;
    case Value::Kind::kDuration:
      key.push_back('D');
      add_key(key, v.as_duration());
      return;
    case Value::Kind::kList:
      key.push_back('[');
      for (const Value& item : v.as_list()) {
        std::string inner;
        append_value_key(inner, item);
        add_key(key, inner);
      }
      key.push_back(']');
      return;
    case Value::Kind::kObject:
      key.push_back('{');
      for (const auto& [name, value] : v.as_object()) {
        std::string inner;
        append_value_key(inner, value);
        add_key(key, name);
        add_key(key, inner);
      }
      key.push_back('}');
      return;
  }
}

std::string value_key(const Value& v) {
  std::string key;
  append_value_key(key, v);
  return key;
}

const Value* find_path(const Value& root, const std::vector<std::string>& path, size_t from) {
  const Value* at = &root;
  for (size_t i = from; i < path.size() && at != nullptr; ++i)
    at = at->find(path[i]);
  return at;
}

Value lookup(const Value& root, const std::vector<std::string>& path, size_t from) {
  const Value* at = find_path(root, path, from);
  return at ? *at : Value();
}

Value with_member(const Value& root, const std::vector<std::string>& path, size_t from,
                  const Value& value) {
  Object members = root.kind() == Value::Kind::kObject ? root.as_object() : Object();
  const std::string& key = path[from];
  auto it = std::find_if(members.begin(), members.end(),
                         [&key](const auto& member) { return member.first == key; });
  Value inner = value;
  if (from + 1 < path.size()) {
    inner = with_member(it != members.end() ? it->second : Value(), path, from + 1, value);
  }
  if (inner.is_null() && from + 1 == path.size()) {
    if (it != members.end()) members.erase(it);
  } else if (it != members.end()) {
    it->second = std::move(inner);
  } else {
    members.emplace_back(key, std::move(inner));
  }
  return Value::object(std::move(members));
}

Value merge_patch(const Value& target, const Value& patch) {
  if (patch.kind() != Value::Kind::kObject) return patch;
  Object members = target.kind() == Value::Kind::kObject ? target.as_object() : Object();
  for (const auto& member : patch.as_object()) {
    const std::string& key = member.first;
    const Value& value = member.second;
    auto it = std::find_if(members.begin(), members.end(),
                           [&key](const auto& m) { return m.first == key; });
    if (value.is_null()) {
      if (it != members.end()) members.erase(it);
    } else if (it != members.end()) {
      it->second = merge_patch(it->second, value);
    } else {
      members.emplace_back(key, merge_patch(Value(), value));
    }
  }
  return Value::object(std::move(members));
}

}  // namespace spur
