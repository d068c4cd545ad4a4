#include "engine/value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/time_text.hpp"

namespace spur {

Value Value::number(double n) {
  return std::isfinite(n) ? Value(Storage(n)) : Value();
}

const Value* Value::find(std::string_view key) const {
  if (kind() != Kind::kObject) return nullptr;
  for (const auto& [name, value] : as_object()) {
    if (name == key) return &value;
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
  key.append(std::to_string(text.size()));
  key.push_back(':');
  key.append(text);
}
void add_key(std::string& key, int64_t number) {
  key.push_back('#');
  key.append(std::to_string(number));
}

std::string value_key(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return "z";
    case Value::Kind::kBool:
      return v.as_bool() ? "t" : "f";
    case Value::Kind::kNumber: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "n%.17g", v.as_number());
      return buf;
    }
    case Value::Kind::kString: {
      std::string key = "s";
      add_key(key, v.as_string());
      return key;
    }
    case Value::Kind::kTime: {
      std::string key = "T";
      add_key(key, v.as_time());
      return key;
    }
    case Value::Kind::kDuration: {
      std::string key = "D";
      add_key(key, v.as_duration());
      return key;
    }
    case Value::Kind::kList: {
      std::string key = "[";
      for (const Value& item : v.as_list())
        add_key(key, value_key(item));
      key.push_back(']');
      return key;
    }
    case Value::Kind::kObject: {
      std::string key = "{";
      for (const auto& [name, value] : v.as_object()) {
        add_key(key, name);
        add_key(key, value_key(value));
      }
      key.push_back('}');
      return key;
    }
  }
  return "?";
}

Value lookup(const Value& root, const std::vector<std::string>& path, size_t from) {
  const Value* at = &root;
  for (size_t i = from; i < path.size(); ++i) {
    at = at->find(path[i]);
    if (at == nullptr) return Value();
  }
  return *at;
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

}  // namespace spur
