// A user's awaited goals (language.md section 14): the firings of rules with a `goal`
// that may still convert, in firing order.
//
// Held in the user's node as one pointer to a single heap block that holds the count,
// the capacity and the goals: a user who awaits none costs that null pointer, and the
// goals are one dependent load from the node. In a std::vector inside UserActivity they
// were two (the activity, then the buffer), and a user whose only per-user state is
// goals needed an activity too: at 1,000 rules with a goal each (BM_S4Experiments),
// these loads and allocations were most of what the goals cost an event.
//
// Owned by the user's state; not thread-safe (one shard).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

namespace spur {

// A firing of a rule with a `goal`, waiting for its conversion (language.md section 14)
// until fired_ms + the goal's window.
// 24 bytes: a user can await hundreds.
struct AwaitedGoal {
  uint32_t rule = 0;
  // Its split arm, 0 for control; -1: none drawn (no split, held out). Shares of at
  // least 0.01 % make at most 10,000 arms.
  int16_t arm = -1;
  bool holdout = false;
  // Its goal event's bit in UserState::goal_events (goal_event_slot, 0-31): a scan passes the
  // goals of other events over without reading their rule's goal.
  uint8_t event_slot = 0;
  int64_t fired_ms = 0;
  // The firing's id is its 16 hex digits (firing.hpp); 0 when the engine's listener
  // reads no conversions (EngineListener::wants_conversions).
  uint64_t firing_hash = 0;
};

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

  void push_back(const AwaitedGoal& goal) {
    if (full()) grow();
    goals()[block_->size++] = goal;
  }

  // Removes the goals `drop` is true of, keeping the others in order (nothing is written
  // before the first removed); the block is kept for the goals to come. `drop` sees each
  // goal once, in order.
  template <typename Drop>
  void erase_if(Drop drop) {
    AwaitedGoal* kept = begin();
    while (kept != end() && !drop(std::as_const(*kept)))
      ++kept;
    if (kept == end()) return;
    for (const AwaitedGoal* g = kept + 1; g != end(); ++g) {
      if (!drop(*g)) *kept++ = *g;
    }
    block_->size = static_cast<uint32_t>(kept - goals());
  }

 private:
  // The goals follow the header, which keeps them 8-byte aligned. The first block holds
  // two: with the header, one cache line.
  struct Header {
    uint32_t size;
    uint32_t capacity;
  };
  static_assert(sizeof(Header) % alignof(AwaitedGoal) == 0);
  static_assert(std::is_trivially_copyable_v<AwaitedGoal>, "moved by realloc");
  static constexpr uint32_t kFirstCapacity = 2;

  AwaitedGoal* goals() const { return reinterpret_cast<AwaitedGoal*>(block_ + 1); }

  void grow() {
    const uint32_t size = this->size();
    const uint32_t capacity = block_ ? block_->capacity * 2 : kFirstCapacity;
    void* grown = std::realloc(block_, sizeof(Header) + capacity * sizeof(AwaitedGoal));
    if (grown == nullptr) throw std::bad_alloc();
    block_ = static_cast<Header*>(grown);
    block_->size = size;
    block_->capacity = capacity;
  }

  Header* block_ = nullptr;
};

}  // namespace spur
