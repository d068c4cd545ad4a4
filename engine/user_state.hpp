// Everything the engine holds about one user (design.md, "State per user").
//
// Owned by the one engine (shard) that handles the user; never shared between threads.
// Kept small: what only waiting or time-based rules need is empty (no allocation) until
// they need it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/awaited_goals.hpp"
#include "engine/event.hpp"
#include "engine/fifo.hpp"
#include "engine/pending_match.hpp"
#include "engine/value.hpp"

namespace spur {

// One event in a user's history: the time it was handled at and its properties.
struct HistoryEntry {
  int64_t time_ms;
  Value properties;
};

// Firing times of a rule or group for one user, oldest first, kept as long as a limit
// or cooldown can still look at them.
using FiringTimes = Fifo<int64_t>;
// Per rule or group (its number), its firing times.
using TimesByOwner = std::vector<std::pair<uint32_t, FiringTimes>>;

// Firing times of a rule or group counted per value of a `by` key (language.md section
// 14): those of its cooldown (restriction 0) or of its limit i (restriction i + 1) for
// one value of the key.
struct KeyedFiringTimes {
  uint32_t owner = 0;  // the rule, or the group
  uint32_t restriction = 0;
  Value key;
  FiringTimes times;
};

// The bit of UserState::goal_events for a goal event's slot (Program::goal_slot, 0-31).
inline uint32_t goal_event_bit(uint8_t slot) {
  return uint32_t{1} << slot;
}

// What only segments, windows over past events, sessions, cooldowns and limits keep
// about a user: made when first needed, so that a user whom no such rule has seen (every
// user of a stateless rule set, every user whose profile alone is loaded) costs a null
// pointer for it.
struct UserActivity {
  std::vector<uint32_t> segments;  // indices of the segments the user is in, ascending
  Fifo<int64_t> input_times;       // handled times of input events, for sessions
  // Per event name that some past pattern looks back at: its events within the horizon.
  std::vector<std::pair<std::string, Fifo<HistoryEntry>>> history;
  TimesByOwner rule_firings;                         // rule -> times
  TimesByOwner group_firings;                        // group -> times
  std::vector<KeyedFiringTimes> rule_keyed_firings;  // for cooldowns and limits with `by`
  std::vector<KeyedFiringTimes> group_keyed_firings;
  bool holds_numbers() const {
    return !rule_firings.empty() || !group_firings.empty() || !rule_keyed_firings.empty() ||
           !group_keyed_firings.empty() || !segments.empty();
  }
};

// What the embedding application keeps per user beside the engine's state (the server:
// the latest step and the newest firing), held in the user's state so that one lookup
// finds both. The engine only owns it: it is destroyed with the user.
class UserExtension {
 public:
  virtual ~UserExtension() = default;
};

struct UserState {
  static constexpr int64_t kNever = INT64_MIN;

  Value attributes = Value::object({});
  // Handled times of the user's first and latest input events; kNever before the first.
  int64_t first_seen_ms = kNever, last_seen_ms = kNever;
  // Outside UserActivity: the users a waiting rule has matched need nothing else.
  PendingList pending;                     // creation order
  std::unique_ptr<UserActivity> activity;  // null until needed
  // The awaited goals, and a superset of the goal events they wait for, one bit per
  // slot (Program::goal_slot): an event whose bit is clear converts nothing, and
  // the goals are not read. With the two fields after them, they fill 16 bytes at a
  // multiple of 16 in the node, so one cache line, which Engine::prefetch loads when
  // the program has goals: keep them there.
  AwaitedGoals goals;
  uint32_t goal_events = 0;
  // The last checkpoint pass that saved the user (Engine::save_some): 31 bits, and the
  // bit left says whether the user is in the engine's list of the users whose state
  // holds rule, group, segment or node numbers (waiting matches, firing times,
  // segments, goals), the only ones a reload renumbers. Packed so that the node is 120
  // bytes, a malloc chunk of 128.
  uint32_t saved_pass : 31 = 0;
  bool numbered : 1 = false;
  std::unique_ptr<UserExtension> extension;  // the application's; null until it sets one

  // Whether the state holds rule, group, segment or node numbers, which a reload
  // renumbers.
  bool holds_numbers() const {
    return !pending.empty() || !goals.empty() || (activity && activity->holds_numbers());
  }

  std::optional<int64_t> first_seen() const {
    return first_seen_ms == kNever ? std::nullopt : std::optional(first_seen_ms);
  }
  std::optional<int64_t> last_seen() const {
    return last_seen_ms == kNever ? std::nullopt : std::optional(last_seen_ms);
  }

  UserActivity& active() {
    if (!activity) activity = std::make_unique<UserActivity>();
    return *activity;
  }

  std::span<const uint32_t> segments() const {
    return activity ? std::span<const uint32_t>(activity->segments) : std::span<const uint32_t>();
  }

  const Fifo<HistoryEntry>* events_named(const std::string& name) const {
    if (!activity) return nullptr;
    for (const auto& [event, entries] : activity->history) {
      if (event == name) return &entries;
    }
    return nullptr;
  }
};

}  // namespace spur
