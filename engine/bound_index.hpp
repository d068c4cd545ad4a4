// An immutable index of numeric bounds on one trigger slot across the rules of an event
// (Program::EventPlan::bounds), built once when a program is compiled and read by every
// shard.
//
// A rule with a top-level operand `e.x > 5` (or >=, <, <=, either way round, against a
// finite number constant) can hold only when the event's x is a number past its bound
// (any other value makes the comparison false: language.md section 13). Each bound is
// held as a threshold that a value passes when it is strictly greater: x > b as b,
// x >= b as the double just below b (no double lies between them), and upper bounds
// (x < b, x <= b) the same way on -x. Sorted, the thresholds a value passes are a
// prefix, found by one binary search over a dense array of doubles; the prefix becomes
// a bit set over the plan's rules from a precomputed snapshot every `stride` entries
// plus the entries past it, so narrowing the candidates costs O(log n + stride + words),
// not a test per rule.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace spur {

class BoundIndex {
 public:
  struct Bound {
    double value = 0;  // finite
    bool inclusive = false;
    uint32_t position = 0;  // in EventPlan::rules
  };

  BoundIndex() = default;
  // `bounds` as written (upper: `x < b`, `x <= b`); `rules`: the plan's rule count.
  BoundIndex(uint32_t slot, bool upper, const std::vector<Bound>& bounds, size_t rules);

  uint32_t slot() const { return slot_; }
  size_t size() const { return positions_.size(); }

  // Clears the bits of `candidates` (a bit set over the plan's rules, words() words) of
  // the rules in this index whose bound `value` does not pass; `value` is null when the
  // slot is not a number. `scratch`: words() words, overwritten.
  void narrow(const double* value, std::span<uint64_t> candidates,
              std::span<uint64_t> scratch) const;
  size_t words() const { return words_; }
  // The thresholds, ascending, and the plan position of each one's rule.
  std::span<const double> thresholds() const { return {thresholds_.data(), size()}; }
  std::span<const uint32_t> positions() const { return positions_; }

  // To test candidates one at a time: `value` as this index compares it (negated for
  // upper bounds; NaN, which passes no threshold, when it is not a number), and whether
  // it passes a threshold. For entry i, passes(compared(value), thresholds()[i]) is what
  // narrow() decides for its rule.
  double compared(const double* value) const {
    if (value == nullptr) return std::numeric_limits<double>::quiet_NaN();
    return upper_ ? -*value : *value;
  }
  static bool passes(double compared, double threshold) { return threshold < compared; }

 private:
  // How many thresholds `compared` passes (the length of the prefix).
  size_t passed(double compared) const;

  uint32_t slot_ = 0;
  bool upper_ = false;
  std::vector<double> thresholds_;  // ascending, then +infinity to whole blocks
  std::vector<uint32_t> positions_;
  std::vector<double> block_tops_;  // the last threshold of each block (bound_index.cpp)
  size_t words_ = 0;
  int stride_shift_ = 0;
  // snapshots_[k * words_ ...]: the rules outside this index and those of entries
  // [0, k << stride_shift_), for k in [0, size() >> stride_shift_].
  std::vector<uint64_t> snapshots_;
};

}  // namespace spur
