// Everything the engine holds about one user (design.md, "State per user").
//
// Owned by the one engine (shard) that handles the user; never shared between threads.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/event.hpp"
#include "engine/value.hpp"

namespace spur {

// One event in a user's history: the time it was handled at and its properties.
struct HistoryEntry {
  int64_t time_ms;
  Value properties;
};

// Values of the past windows of a waiting rule's conditions, as they were at its trigger
// (section 13: the re-check at firing sees its past windows as settled at the trigger).
using FrozenValues = std::vector<std::pair<uint32_t, Value>>;  // node -> value

struct PendingMatch {
  uint64_t id = 0;  // creation order across the engine
  uint32_t rule = 0;
  std::shared_ptr<const StepEvent> trigger;
  int64_t trigger_ms = 0;  // the time the trigger was handled at
  // Per future pattern of the rule: resolved and held (positive pattern seen, or absence
  // window over).
  std::vector<bool> held;
  FrozenValues frozen;
};

// Firing times of a rule or group for one user, oldest first, kept as long as a limit
// or cooldown can still look at them.
using FiringTimes = std::deque<int64_t>;

struct UserState {
  Value attributes = Value::object({});
  std::vector<uint32_t> segments;  // indices of the segments the user is in, ascending
  std::optional<int64_t> first_seen_ms, last_seen_ms;
  std::deque<int64_t> input_times;  // handled times of input events, for sessions
  std::unordered_map<std::string, std::deque<HistoryEntry>> history;
  std::vector<PendingMatch> pending;  // creation order
  std::unordered_map<uint32_t, FiringTimes> rule_firings;
  std::unordered_map<uint32_t, FiringTimes> group_firings;
  std::unordered_map<std::string, int64_t> recent_ids;  // event id -> handled time
  size_t recent_ids_sweep_at = 64;                      // size that triggers the next sweep
};

}  // namespace spur
