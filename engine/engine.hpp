// The engine: handles each user's events one step at a time (language.md section 7),
// with waiting rules, timers, the agenda of priorities, groups, cooldowns and limits,
// segments, and derived events.
//
// Lifecycle: construct with a compiled Program; set_attributes() to preload profiles;
// then submit() events in order and advance_to() to fire timers. Everything the engine
// decides goes to its EngineListener, in order.
//
// Thread-safety: none. An Engine is owned by one thread (a shard, or `spur replay`).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/eval.hpp"
#include "engine/event.hpp"
#include "engine/program.hpp"
#include "engine/user_state.hpp"

namespace spur {

struct EngineConfig {
  int64_t max_lateness_ms = 3'600'000;
  int64_t dedup_window_ms = 86'400'000;
  int64_t session_gap_ms = 1'800'000;
  int64_t session_max_ms = 86'400'000;
  int max_emit_depth = 8;
};

// One action run by a firing (formats.md, "Action records").
struct ActionRecord {
  ActionOp op = ActionOp::kSend;
  std::string name;  // send: adapter; emit: event; set, unset, increment: "profile.x"
  Value value;       // send: payload; set: value; emit: properties; respond: the object;
                     // increment: the new value, or null when nothing changed
  Value by;          // increment only
};

struct Firing {
  std::string firing_id;
  std::string rule;
  std::string user;
  int64_t time_ms = 0;
  std::string trigger;  // id of the trigger event
  int64_t priority = 0;
  Object scores;  // every score() of the rule, as evaluated at firing time
  std::vector<ActionRecord> actions;
};

enum class SuppressReason : uint8_t { kCooldown, kLimit, kGroupCooldown, kGroupLimit, kExclusive };
const char* reason_name(SuppressReason reason);

struct Suppression {
  SuppressReason reason = SuppressReason::kCooldown;
  std::string rule;
  std::string user;
  int64_t time_ms = 0;
  std::string trigger;
  int64_t priority = 0;
};

// Receives firings and suppressions in the order they happen. Called on the engine's
// thread; it must not call back into the engine.
class EngineListener {
 public:
  virtual ~EngineListener() = default;
  virtual void on_firing(const Firing& firing) = 0;
  virtual void on_suppressed(const Suppression& suppression) = 0;
};

enum class Outcome : uint8_t { kAccepted, kDuplicate, kRejected };

struct SubmitResult {
  Outcome outcome = Outcome::kAccepted;
  std::string error;  // for kRejected: what is wrong and how to fix it
};

struct RuleCounts {
  uint64_t fired = 0;
  uint64_t suppressed = 0;
};

class Engine {
 public:
  Engine(std::shared_ptr<const Program> program, EngineConfig config, EngineListener& listener);

  // Handles one input event, the clock driven by event times (section 9, as in replay):
  // an event without a time takes the clock's; one more than max_lateness behind the
  // clock is rejected; a duplicate id within dedup_window changes nothing.
  SubmitResult submit(Event event);

  // Fires every timer due at or before `ms`, in order, and moves the clock to `ms` (it
  // never goes backwards).
  void advance_to(int64_t ms);
  std::optional<int64_t> next_deadline() const;
  std::optional<int64_t> clock() const { return clock_; }

  // Replaces a user's profile attributes (null members dropped), before any event.
  void set_attributes(const std::string& user, const Value& attributes);

  const UserState* user(const std::string& id) const;
  size_t pending_count() const;
  size_t pending_count(uint32_t rule) const;
  const RuleCounts& counts(uint32_t rule) const { return rule_counts_[rule]; }
  uint64_t dropped_emits() const { return dropped_emits_; }

 private:
  struct Timer {
    int64_t deadline_ms;
    uint64_t match;
    uint32_t pattern;
    std::string user;
    bool operator<(const Timer& o) const {
      return deadline_ms != o.deadline_ms ? deadline_ms < o.deadline_ms
             : match != o.match           ? match < o.match
                                          : pattern < o.pattern;
    }
  };
  struct Activation {
    uint32_t rule;
    uint64_t order;  // creation order of the match, or of the activation
    std::shared_ptr<const StepEvent> trigger;
  };
  // The derived events of one input or timer step, handled first in, first out.
  struct Cascade {
    std::string user;
    std::string root_id;  // id of the step's event, or timer@TIME
    int next_k = 1;
    std::vector<std::pair<Event, int>> queue;  // event, level
    size_t head = 0;
  };

  UserState& state(const std::string& user);
  EvalContext context(const UserState& u, const StepEvent* trigger, int64_t at) const;
  // The event with its properties read into the slots its rules use.
  std::shared_ptr<const StepEvent> read_slots(Event event) const;
  void fire_timers_through(int64_t ms, bool inclusive);
  void timer_step(const std::string& user, int64_t at, std::vector<Timer> due);
  void event_step(UserState& u, const std::shared_ptr<const StepEvent>& event, int64_t at,
                  bool input, int level, Cascade& cascade);
  void record(UserState& u, const Event& event, int64_t at, bool input);
  void resolve_pending(UserState& u, const Event& event, int64_t at,
                       std::vector<Activation>& activations);
  void trigger_rules(UserState& u, const std::shared_ptr<const StepEvent>& event, int64_t at,
                     std::vector<Activation>& activations);
  bool recheck(const UserState& u, const PendingMatch& match, int64_t at) const;
  void run_agenda(UserState& u, std::vector<Activation>& activations, int64_t at, int level,
                  Cascade& cascade);
  std::optional<SuppressReason> blocked(const UserState& u, const CompiledRule& rule,
                                        const std::set<int32_t>& fired_groups, int64_t at) const;
  void fire(UserState& u, const Activation& a, int64_t at, int level, Cascade& cascade);
  void update_segments(UserState& u, int64_t at, int level, Cascade& cascade);
  void queue_derived(std::string name, Value properties, int64_t at, int level, Cascade& cascade);
  void run_cascade(UserState& u, Cascade& cascade, int64_t at);
  void drop_match(UserState& u, size_t index);

  std::shared_ptr<const Program> program_;
  EngineConfig config_;
  EngineListener& listener_;
  std::unordered_map<std::string, UserState> users_;
  std::set<Timer> timers_;
  std::optional<int64_t> clock_;
  uint64_t next_order_ = 1;
  std::vector<RuleCounts> rule_counts_;
  uint64_t dropped_emits_ = 0;
};

// Deterministic firing id: 16 hex digits of a hash of (rule, user, trigger id, time).
std::string firing_id(const std::string& rule, const std::string& user, const std::string& trigger,
                      int64_t time_ms);

}  // namespace spur
