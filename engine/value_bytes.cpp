#include "engine/value_bytes.hpp"

#include <bit>
#include <cstring>
#include <string_view>

namespace spur {
namespace {

enum class Tag : uint8_t {
  kNull,
  kFalse,
  kTrue,
  kNumber,
  kString,
  kTime,
  kDuration,
  kList,
  kObject
};

}  // namespace

void append_varint(std::string& out, uint64_t n) {
  for (; n >= 0x80; n >>= 7)
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  out.push_back(static_cast<char>(n));
}

uint64_t read_varint(const char*& p) {
  uint64_t n = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<uint8_t>(*p++);
    n |= uint64_t{byte & 0x7fu} << shift;
    if (byte < 0x80) return n;
  }
}

void append_int64(std::string& out, int64_t n) {
  char bytes[sizeof n];
  std::memcpy(bytes, &n, sizeof n);
  out.append(bytes, sizeof n);
}

int64_t read_int64(const char*& p) {
  int64_t n = 0;
  std::memcpy(&n, p, sizeof n);
  p += sizeof n;
  return n;
}

void append_text(std::string& out, std::string_view text) {
  append_varint(out, text.size());
  out.append(text);
}

std::string_view read_text(const char*& p) {
  const auto size = static_cast<size_t>(read_varint(p));
  const std::string_view text(p, size);
  p += size;
  return text;
}

void append_value_bytes(std::string& out, const Value& v) {
  const auto tag = [&out](Tag t) { out.push_back(static_cast<char>(t)); };
  switch (v.kind()) {
    case Value::Kind::kNull:
      tag(Tag::kNull);
      break;
    case Value::Kind::kBool:
      tag(v.as_bool() ? Tag::kTrue : Tag::kFalse);
      break;
    case Value::Kind::kNumber:
      tag(Tag::kNumber);
      append_int64(out, std::bit_cast<int64_t>(v.as_number()));
      break;
    case Value::Kind::kString:
      tag(Tag::kString);
      append_text(out, v.as_string());
      break;
    case Value::Kind::kTime:
      tag(Tag::kTime);
      append_int64(out, v.as_time());
      break;
    case Value::Kind::kDuration:
      tag(Tag::kDuration);
      append_int64(out, v.as_duration());
      break;
    case Value::Kind::kList:
      tag(Tag::kList);
      append_varint(out, v.as_list().size());
      for (const Value& item : v.as_list())
        append_value_bytes(out, item);
      break;
    case Value::Kind::kObject:
      tag(Tag::kObject);
      append_varint(out, v.as_object().size());
      for (const auto& [key, member] : v.as_object()) {
        append_text(out, key);
        append_value_bytes(out, member);
      }
      break;
  }
}

Value read_value_bytes(const char*& p) {
  switch (static_cast<Tag>(*p++)) {
    case Tag::kNull:
      return Value();
    case Tag::kFalse:
      return Value::boolean(false);
    case Tag::kTrue:
      return Value::boolean(true);
    case Tag::kNumber:
      return Value::number(std::bit_cast<double>(read_int64(p)));
    case Tag::kString:
      return Value::string(read_text(p));
    case Tag::kTime:
      return Value::time(read_int64(p));
    case Tag::kDuration:
      return Value::duration(read_int64(p));
    case Tag::kList: {
      List items(read_varint(p));
      for (Value& item : items)
        item = read_value_bytes(p);
      return Value::list(std::move(items));
    }
    case Tag::kObject: {
      Object members(read_varint(p));
      for (auto& [key, member] : members) {
        key = read_text(p);
        member = read_value_bytes(p);
      }
      return Value::object(std::move(members));
    }
  }
  return Value();  // unreachable: every tag written is handled above
}

namespace {

void need(const char* p, const char* end, size_t n) {
  if (static_cast<size_t>(end - p) < n) throw BytesError("the bytes are cut short");
}

}  // namespace

uint64_t read_varint(const char*& p, const char* end) {
  uint64_t n = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    need(p, end, 1);
    const auto byte = static_cast<uint8_t>(*p++);
    n |= uint64_t{byte & 0x7fu} << shift;
    if (byte < 0x80) return n;
  }
  throw BytesError("a number is longer than 64 bits");
}

int64_t read_int64(const char*& p, const char* end) {
  need(p, end, sizeof(int64_t));
  return read_int64(p);
}

std::string_view read_text(const char*& p, const char* end) {
  const uint64_t size = read_varint(p, end);
  need(p, end, size);
  const std::string_view text(p, size);
  p += size;
  return text;
}

Value read_value_bytes(const char*& p, const char* end, int depth) {
  if (depth <= 0) throw BytesError("a value is nested too deep");
  need(p, end, 1);
  const auto tag = static_cast<uint8_t>(*p);
  if (tag > static_cast<uint8_t>(Tag::kObject)) throw BytesError("a value of no known kind");
  ++p;
  switch (static_cast<Tag>(tag)) {
    case Tag::kNumber:
      return Value::number(std::bit_cast<double>(read_int64(p, end)));
    case Tag::kString:
      return Value::string(read_text(p, end));
    case Tag::kTime:
      return Value::time(read_int64(p, end));
    case Tag::kDuration:
      return Value::duration(read_int64(p, end));
    case Tag::kList: {
      const uint64_t count = read_varint(p, end);
      need(p, end, count);  // a byte at least each
      List items(count);
      for (Value& item : items)
        item = read_value_bytes(p, end, depth - 1);
      return Value::list(std::move(items));
    }
    case Tag::kObject: {
      const uint64_t count = read_varint(p, end);
      need(p, end, 2 * count);  // two bytes at least each
      Object members(count);
      for (auto& [key, member] : members) {
        key = read_text(p, end);
        member = read_value_bytes(p, end, depth - 1);
      }
      return Value::object(std::move(members));
    }
    default:
      --p;
      return read_value_bytes(p);  // a tag alone: null, false or true
  }
}

}  // namespace spur
