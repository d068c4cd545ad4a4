// A user's awaited goals (language.md section 14): the firings of rules with a `goal`
// that may still convert, in firing order.
//
// Held in the user's node as one pointer to a single heap block that holds the count,
// the capacity, the goals and, when kept, their firings' ids: a user who awaits none costs that
// null pointer, and the goals are one dependent load from the node. In a std::vector inside
// UserActivity they were two (the activity, then the buffer), and a user whose only per-user state
// is goals needed an activity too: at 1,000 rules with a goal each (BM_S4Experiments), these loads
// and allocations were most of what the goals cost an event.
//
// Owned by the user's state; not thread-safe (one shard).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace spur {

// A firing of a rule with a `goal`, waiting for its conversion (language.md section 14)
// until fired_ms + the goal's window. Its firing's id, when kept, is in AwaitedGoals.
// 16 bytes, and 16-byte aligned in the block, so that none straddles two cache lines:
// a user can await hundreds, and a scan reads every goal (five goals and the header are
// 96 bytes, against 128 with the firing's id inside the goal).
struct AwaitedGoal {
  uint32_t rule = 0;
  // Its split arm, 0 for control; -1: none drawn (no split, held out). Shares of at
  // least 0.01 % make at most 10,000 arms.
  int16_t arm = -1;
  bool holdout = false;
  // Its goal event's bit in UserState::goal_events (Program::goal_slot, 0-31): a
  // scan passes the goals of other events over without reading their rule's goal.
  uint8_t event_slot = 0;
  int64_t fired_ms = 0;
};
static_assert(sizeof(AwaitedGoal) == 16);

class AwaitedGoals {
 public:
  AwaitedGoals() = default;
  AwaitedGoals(AwaitedGoals&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  AwaitedGoals& operator=(AwaitedGoals&& other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  AwaitedGoals(const AwaitedGoals&) = delete;
  AwaitedGoals& operator=(const AwaitedGoals&) = delete;
  ~AwaitedGoals() { std::free(block_); }

  bool empty() const { return size() == 0; }
  uint32_t size() const { return block_ ? block_->size : 0; }
  // Whether the next push_back moves the goals to a larger block.
  bool full() const { return block_ == nullptr || block_->size == block_->capacity; }

  AwaitedGoal* begin() { return block_ ? goals() : nullptr; }
  AwaitedGoal* end() { return begin() + size(); }
  const AwaitedGoal* begin() const { return block_ ? goals() : nullptr; }
  const AwaitedGoal* end() const { return begin() + size(); }

  // Starts loading the count and the first goals, so that a later read does not wait.
  void prefetch() const { __builtin_prefetch(block_); }

  // Appends a goal whose firing's id is not kept (firing_hash: 0).
  void push_back(const AwaitedGoal& goal) {
    if (full()) reshape(next_capacity(), keeps_hashes());
    append(goal, 0);
  }
  // Appends a goal and its firing's id (firing.hpp). From the first such push on, the
  // block keeps an id for every goal, 0 for those pushed without one.
  void push_back(const AwaitedGoal& goal, uint64_t firing_hash) {
    if (full() || !keeps_hashes()) reshape(full() ? next_capacity() : block_->capacity, true);
    append(goal, firing_hash);
  }

  // The id of the firing that `goal`, one of these goals, awaits; 0 if it was not kept.
  uint64_t firing_hash(const AwaitedGoal& goal) const {
    return keeps_hashes() ? hashes()[&goal - goals()] : 0;
  }

  // Removes the goals `drop` is true of, keeping the others in order (nothing is written
  // before the first removed); the block is kept for the goals to come. `drop` sees each
  // goal once, in order, in its place: firing_hash of it holds during the call.
  template <typename Drop>
  void erase_if(Drop drop) {
    AwaitedGoal* const goal = begin();
    const uint32_t count = size();
    uint32_t at = 0;
    while (at != count && !drop(std::as_const(goal[at])))
      ++at;
    if (at == count) return;
    uint64_t* const hash = keeps_hashes() ? hashes() : nullptr;
    uint32_t kept = at;
    for (++at; at != count; ++at) {
      if (drop(std::as_const(goal[at]))) continue;
      goal[kept] = goal[at];
      if (hash) hash[kept] = hash[at];
      ++kept;
    }
    block_->size = kept;
  }

 private:
  // The header, then `capacity` goals, then (keeps_hashes) `capacity` firing ids. The
  // header's 16 bytes keep the goals on malloc's 16-byte alignment. The ids are apart so
  // that a scan, which reads them only for a conversion written out, reads the goals
  // alone; a block that keeps none (spur serve: its listener writes no conversion) has
  // no room for them.
  struct alignas(16) Header {
    uint32_t size;
    uint32_t capacity;
    bool keeps_hashes;
  };
  static_assert(sizeof(Header) == 16 && sizeof(Header) % alignof(AwaitedGoal) == 0);
  static_assert(std::is_trivially_copyable_v<AwaitedGoal>, "moved by realloc");
  // The first block holds two goals: 48 bytes with the header, 64 with their ids.
  static constexpr uint32_t kFirstCapacity = 2;

  bool keeps_hashes() const { return block_ != nullptr && block_->keeps_hashes; }
  AwaitedGoal* goals() const { return reinterpret_cast<AwaitedGoal*>(block_ + 1); }
  uint64_t* hashes() const { return reinterpret_cast<uint64_t*>(goals() + block_->capacity); }
  uint32_t next_capacity() const { return block_ ? block_->capacity * 2 : kFirstCapacity; }

  void append(const AwaitedGoal& goal, uint64_t firing_hash) {
    const uint32_t at = block_->size++;
    goals()[at] = goal;
    if (block_->keeps_hashes) hashes()[at] = firing_hash;
  }

  // Gives the block room for `capacity` goals, and their ids if `keep_hashes`, keeping
  // the goals and their ids (0 for goals that had none).
  void reshape(uint32_t capacity, bool keep_hashes) {
    const uint32_t size = this->size();
    const uint32_t old_capacity = block_ ? block_->capacity : 0;
    const bool had_hashes = keeps_hashes();
    const size_t bytes = sizeof(Header) + size_t{capacity} * (sizeof(AwaitedGoal) +
                                                              (keep_hashes ? sizeof(uint64_t) : 0));
    void* reshaped = std::realloc(block_, bytes);
    if (reshaped == nullptr) throw std::bad_alloc();
    block_ = static_cast<Header*>(reshaped);
    block_->size = size;
    block_->capacity = capacity;
    block_->keeps_hashes = keep_hashes;
    if (!keep_hashes) return;
    // realloc kept the old bytes: the ids, if any, still follow the old capacity's goals.
    if (had_hashes) {
      std::memmove(hashes(), goals() + old_capacity, size * sizeof(uint64_t));
    } else {
      std::fill_n(hashes(), size, uint64_t{0});
    }
  }

  Header* block_ = nullptr;
};

}  // namespace spur
