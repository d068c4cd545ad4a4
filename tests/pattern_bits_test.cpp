// PatternBits: a bit per future pattern, inline up to 64, spilled beyond.
#include "engine/pattern_bits.hpp"

#include <doctest/doctest.h>

namespace spur {

TEST_CASE("pattern bits are all resolved exactly when every pattern is set, at any count") {
  for (const size_t count : {1, 2, 63, 64, 65, 128, 130}) {
    CAPTURE(count);
    PatternBits bits(count);
    CHECK(bits.size() == count);
    // Set from the last to the first: all() must not hold until the very first is set.
    for (size_t i = count; i-- > 0;) {
      CHECK_FALSE(bits.all());
      CHECK_FALSE(bits[i]);
      bits.set(i);
      CHECK(bits[i]);
    }
    CHECK(bits.all());
  }
}

TEST_CASE("setting one pattern leaves the others unresolved") {
  PatternBits bits(100);
  bits.set(70);
  for (size_t i = 0; i < 100; ++i)
    CHECK(bits[i] == (i == 70));
}

TEST_CASE("no patterns: all resolved") {
  CHECK(PatternBits(0).all());
}

}  // namespace spur
