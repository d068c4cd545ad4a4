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
  // What narrow() does for the one rule at `position`, at the cost of one load: false
  // when the rule is in this index and `value` does not pass its bound.
  bool passes(const double* value, uint32_t position) const;

 private:
  uint32_t slot_ = 0;
  bool upper_ = false;
  std::vector<Bound> bounds_;  // sorted: the ones a value passes are a prefix
  size_t words_ = 0;
  size_t stride_ = 8;
  // snapshots_[k * words_ ...]: the rules outside this index and those of bounds
  // [0, k * stride_), for k in [0, bounds_.size() / stride_].
  std::vector<uint64_t> snapshots_;
  // Per plan position: the rule's bound as in bounds_, if it is in this index.
  struct Entry {
    double value = 0;
    bool listed = false;
    bool inclusive = false;
  };
  std::vector<Entry> by_position_;
};

}  // namespace spur
