// Equality of two texts, inlined for the short ones lookups compare: member names, user
// ids and index keys are mostly under 16 bytes, where a call to the C library's memcmp
// and its size dispatch cost more than the comparison (perf, S1 at 1,000 rules: memcmp
// was 6 % of matching, most of it comparing member names of 6 and 7 bytes).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace spur {

namespace detail {
template <class Word>
inline Word load_word(const char* p) {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}
}  // namespace detail

// Always inlined: at -O3 GCC left it out of line in some callers (a call in every probe
// of the user table and the equality index: callgrind).
[[gnu::always_inline]] inline bool same_text(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  // Two overlapping words cover every byte between one word and two, each read in bounds.
  if (n >= 8 && n <= 16) {
    using detail::load_word;
    return load_word<uint64_t>(x) == load_word<uint64_t>(y) &&
           load_word<uint64_t>(x + n - 8) == load_word<uint64_t>(y + n - 8);
  }
  if (n >= 4 && n < 8) {
    using detail::load_word;
    return load_word<uint32_t>(x) == load_word<uint32_t>(y) &&
           load_word<uint32_t>(x + n - 4) == load_word<uint32_t>(y + n - 4);
  }
  if (n < 4) {
    for (size_t i = 0; i < n; ++i) {
      if (x[i] != y[i]) return false;
    }
    return true;
  }
  return std::memcmp(x, y, n) == 0;
}

}  // namespace spur
