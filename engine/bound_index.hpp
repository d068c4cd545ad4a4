// An immutable index of numeric bounds on one trigger slot across the rules of an event
// (Program::EventPlan::bounds), built once when a program is compiled and read by every
// shard.
//
// A rule with a top-level operand `e.x > 5` (or >=, <, <=, either way round, against a
// number constant) can hold only when the event's x is a number past its bound (any
// other value makes the comparison false: language.md section 13). Sorting the bounds
// makes the rules a value passes a prefix, found by one binary search: lower bounds
// (x > b, x >= b) by b ascending, upper bounds (x < b, x <= b) as lower bounds on -x,
// an inclusive bound before a strict one at equal b. The prefix becomes a bit set over
// the plan's rules from a precomputed snapshot every `stride` entries plus the entries
// past it, so narrowing the candidates costs O(log n + stride + words), not a test per
// rule.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace spur {

class BoundIndex {
 public:
  struct Bound {
    double value = 0;
    bool inclusive = false;
    uint32_t position = 0;  // in EventPlan::rules
  };

  BoundIndex() = default;
  // `bounds` as written (upper: `x < b`, `x <= b`); `rules`: the plan's rule count.
  BoundIndex(uint32_t slot, bool upper, std::vector<Bound> bounds, size_t rules);

  uint32_t slot() const { return slot_; }
  size_t size() const { return bounds_.size(); }

  // Clears the bits of `candidates` (a bit set over the plan's rules, words() words) of
  // the rules in this index whose bound `value` does not pass; `value` is null when the
  // slot is not a number. `scratch`: words() words, overwritten.
  void narrow(const double* value, std::span<uint64_t> candidates,
              std::span<uint64_t> scratch) const;
  size_t words() const { return words_; }
  // The bounds as the index holds them: sorted, upper bounds negated.
  std::span<const Bound> bounds() const { return bounds_; }

  // To test candidates one at a time: `value` as this index compares it (negated for
  // upper bounds; NaN, which passes no bound, when it is not a number), and whether it
  // passes one held bound. For the rule of `b`, passes(compared(value), b.value,
  // b.inclusive) is what narrow() decides.
  double compared(const double* value) const {
    if (value == nullptr) return std::numeric_limits<double>::quiet_NaN();
    return upper_ ? -*value : *value;
  }
  static bool passes(double compared, double bound, bool inclusive) {
    return bound < compared || (bound == compared && inclusive);
  }

 private:
  uint32_t slot_ = 0;
  bool upper_ = false;
  std::vector<Bound> bounds_;  // sorted: the ones a value passes are a prefix
  size_t words_ = 0;
  size_t stride_ = 8;
  // snapshots_[k * words_ ...]: the rules outside this index and those of bounds
  // [0, k * stride_), for k in [0, bounds_.size() / stride_].
  std::vector<uint64_t> snapshots_;
};

}  // namespace spur
