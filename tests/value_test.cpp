// spur::Value: strings are held inline up to 15 bytes and shared beyond, and nothing but
// the storage differs between the two.
#include "engine/value.hpp"

#include <doctest/doctest.h>

#include <string>

#include "engine/same_text.hpp"

namespace spur {

TEST_CASE("texts of every length up to 40 are the same only when every byte is") {
  // Each length takes one of the comparison's paths (bytes, two 4-byte words, two 8-byte
  // words, memcmp); a byte changed anywhere, the middle of the overlap included, must tell.
  for (size_t n = 0; n <= 40; ++n) {
    CAPTURE(n);
    std::string a(n, ' ');
    for (size_t i = 0; i < n; ++i)
      a[i] = static_cast<char>('a' + i % 26);
    const std::string same = a;
    CHECK(same_text(a, same));
    for (size_t i = 0; i < n; ++i) {
      CAPTURE(i);
      std::string other = a;
      other[i] = '#';
      CHECK_FALSE(same_text(a, other));
      CHECK_FALSE(same_text(other, a));
    }
    CHECK_FALSE(same_text(a, a + "a"));
    if (n > 1)
      CHECK_FALSE(same_text(std::string_view(a).substr(1), std::string_view(a).substr(0, n - 1)));
  }
}

TEST_CASE("strings either side of the inline size are the same strings") {
  for (const size_t size : {0, 1, 14, 15, 16, 17, 100}) {
    CAPTURE(size);
    const std::string text(size, 'x');
    const Value v = Value::string(text);
    CHECK(v.kind() == Value::Kind::kString);
    CHECK(v.as_string() == text);
    CHECK(equal(v, Value::string(std::string(text))));
    CHECK(value_key(v) == value_key(Value::string(text.c_str())));
    Value copy = v;
    const Value moved = std::move(copy);
    CHECK(moved.as_string() == text);
  }
}

TEST_CASE("strings of 15 and 16 bytes (inline and shared) compare bytewise") {
  const Value short_a = Value::string("aaaaaaaaaaaaaaa");  // 15 bytes: inline
  const Value long_a = Value::string("aaaaaaaaaaaaaaaa");  // 16 bytes: shared
  const Value long_b = Value::string("bbbbbbbbbbbbbbbbbbbbbbbb");
  CHECK_FALSE(equal(short_a, long_a));
  CHECK(compare(short_a, long_a) == -1);
  CHECK(compare(long_a, short_a) == 1);
  CHECK(compare(short_a, long_b) == -1);
  CHECK(compare(long_b, Value::string("c")) == -1);
  CHECK(value_key(short_a) != value_key(long_a));
}

TEST_CASE("a string with a NUL byte keeps its length inline") {
  const Value v = Value::string(std::string_view("a\0b", 3));
  CHECK(v.as_string().size() == 3);
  CHECK_FALSE(equal(v, Value::string("a")));
}

TEST_CASE("a Value is three words, whatever it holds") {
  CHECK(sizeof(Value) == 24);
}

}  // namespace spur
