// Which of a pending match's future patterns are resolved: one bit per pattern.
//
// A rule seldom waits on more than a few patterns, so the first 64 bits are held inline
// and only a rule with more allocates; std::vector<bool> allocated for every match.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace spur {

class PatternBits {
 public:
  PatternBits() = default;
  // `count` patterns, none resolved.
  explicit PatternBits(size_t count)
      : count_(static_cast<uint32_t>(count)),
        more_(count > 64 ? std::make_unique<uint64_t[]>((count - 1) / 64) : nullptr) {}

  size_t size() const { return count_; }
  bool operator[](size_t i) const { return (word(i) >> (i % 64)) & 1; }
  void set(size_t i) { word(i) |= uint64_t{1} << (i % 64); }
  bool all() const {
    for (size_t i = 0; i + 64 <= count_; i += 64) {
      if (word(i) != ~uint64_t{0}) return false;
    }
    const size_t rest = count_ % 64;
    return rest == 0 || word(count_ - rest) == (uint64_t{1} << rest) - 1;
  }

 private:
  uint64_t& word(size_t i) { return i < 64 ? first_ : more_[i / 64 - 1]; }
  uint64_t word(size_t i) const { return i < 64 ? first_ : more_[i / 64 - 1]; }

  uint64_t first_ = 0;
  uint32_t count_ = 0;
  std::unique_ptr<uint64_t[]> more_;  // bits 64.. of rules with more than 64 patterns
};

}  // namespace spur
