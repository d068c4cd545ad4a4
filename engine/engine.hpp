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

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/eval.hpp"
#include "engine/event.hpp"
#include "engine/firing.hpp"
#include "engine/node_table.hpp"
#include "engine/program.hpp"
#include "engine/recent_ids.hpp"
#include "engine/rule_counts.hpp"
#include "engine/user_state.hpp"

namespace date {
class time_zone;
}

namespace spur {

struct EngineConfig {
  int64_t max_lateness_ms = 3'600'000;
  int64_t dedup_window_ms = 86'400'000;
  int64_t session_gap_ms = 1'800'000;
  int64_t session_max_ms = 86'400'000;
  int max_emit_depth = 8;
  // How the clock moves (language.md section 9). False (replay): event times move it.
  // True (serve): only advance_to() moves it, driven by the wall clock; an event later
  // than the clock is handled at the clock, and one later by more than max_lateness is
  // rejected, so that no sender's clock can fire other users' timers early.
  bool wall_clock = false;
  // engine.retain: per event name, the least history kept of it, whatever the rules
  // read, so that rules added by a reload can read that far back.
  std::vector<std::pair<std::string, int64_t>> retain;
  // The scorers `score("name")` asks for declared models (scorer.hpp); none: null scores.
  std::shared_ptr<const Scorers> scorers;
  // engine.timezone: the zone of quiet hours that name none, or whose zone is no IANA
  // name (language.md section 14). Must be in the tz database; "UTC" by default.
  std::string timezone = "UTC";
};

// How far back an engine on `program` with `config` keeps the events named `name`
// (language.md section 5: the longest past window over it, the session's reach when
// sessions are read, engine.retain); -1 when it keeps none. `plan` is program.plan(name).
int64_t history_kept_ms(const Program& program, const Program::EventPlan* plan,
                        const EngineConfig& config, std::string_view name);

// Receives firings and suppressions in the order they happen. Called on the engine's
// thread; it must not call back into the engine. What it receives is valid only during
// the call (FiringRecord makes an owned copy).
class EngineListener {
 public:
  virtual ~EngineListener() = default;
  virtual void on_firing(const Firing& firing) = 0;
  virtual void on_suppressed(const Suppression& suppression) = 0;
  // After the records of the step whose input event converted the firing.
  virtual void on_conversion(const Conversion& /*conversion*/) {}
  // Whether the listener reads conversions. One that only counts them, as the server does
  // (Engine::counts), answers false: on_conversion is then not called, and a firing of a
  // rule with a goal keeps no id to name its conversion with. That saves each such firing
  // the hash of its id's text (about 40 ns) and each conversion the loads of its rule's
  // name. Asked once, when the engine is made (a listener that owns its engine answers it
  // from its own constructor's member initialization: a constant, not state).
  virtual bool wants_conversions() const { return true; }
};

enum class Outcome : uint8_t { kAccepted, kDuplicate, kRejected };

struct SubmitResult {
  Outcome outcome = Outcome::kAccepted;
  std::string error;  // for kRejected: what is wrong and how to fix it
  // For kAccepted: the slot of the application's record of the user (UserExtension).
  std::unique_ptr<UserExtension>* extension = nullptr;
  // For kRejected: "too_late", "too_early" (wall clock only) or "no_time".
  std::string_view code;
};

// The first condition of a rule's top-level `and` chain that is false for an event, with
// the values of its parts (both sides of a comparison, the operand of `not`, the
// arguments of a call), or of the condition itself when it has no parts.
struct FalseCondition {
  size_t operand = 0;  // index in CompiledRule::operands
  std::vector<Value> values;
};

// What switching to a new rule set did to the waiting matches (http-api.md, "Hot reload").
struct SwapCounts {
  uint64_t pending_kept = 0;
  uint64_t pending_dropped = 0;
};

// How one program's numbering maps onto the next one's (engine/reload.cpp). Made once per
// reload, away from the shards, and shared read-only by all of them, so that a shard's
// swap costs time per waiting match and user, not per rule.
struct ProgramSwap {
  std::shared_ptr<const Program> before, after;
  // Old index -> new index of the rule, group or segment of the same name, or -1.
  std::vector<int64_t> rules, groups, segments;
  // Old slot -> new slot of the same path into the trigger's properties, or -1.
  std::vector<int64_t> slots;
  // New rule -> the trigger slots it reads that its kept matches did not keep (the old
  // rule did not read them): missing in those matches' firings. Rules with none are
  // left out.
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> unkept_reads;
  // Per old rule whose waiting matches stay (same `when` fingerprint, still enabled): old
  // node -> new node of its conditions; empty for the others.
  std::vector<std::optional<std::unordered_map<uint32_t, uint32_t>>> nodes;
};
std::shared_ptr<const ProgramSwap> prepare_swap(std::shared_ptr<const Program> before,
                                                std::shared_ptr<const Program> after);

class Engine {
 public:
  Engine(std::shared_ptr<const Program> program, EngineConfig config, EngineListener& listener);

  // Handles one input event, the clock driven by event times (section 9, as in replay):
  // an event without a time takes the clock's; one more than max_lateness behind the
  // clock is rejected; a duplicate id within dedup_window changes nothing.
  SubmitResult submit(const Event& event) { return submit(event, hint_of(event)); }

  // What a step computes first of its event: its user's hash and its dedup key.
  struct Hint {
    uint64_t user_hash = 0;
    RecentIds::Key dedup;  // unset when the event's id is unique
    // The event's members when its properties are an object (set by prefetch()): valid
    // while the event waits for its submit().
    const Object* members = nullptr;
  };
  static Hint hint_of(const Event& event);
  // submit() with the event's hint made before. REQUIRES: `hint` is hint_of(event), or
  // prefetch(event), of the event as it is now.
  SubmitResult submit(const Event& event, const Hint& hint);
  // hint_of(upcoming), for callers that hold events before they submit them (a shard's
  // batch, a replay's): called for each event in order, kPrefetchAhead events before
  // its submit(), it also starts loading the event's user slot and dedup slot, and the
  // user node of the event hinted two calls before, whose slot has arrived by then. The
  // cache misses that submit() would wait for (a third of its time at S1, perf) then
  // overlap with the work on the events before. Changes nothing else.
  static constexpr size_t kPrefetchAhead = 4;
  Hint prefetch(const Event& upcoming);
  // The second step for the event of `hint`, a few calls of prefetch() later: its
  // members' array, whose address prefetch() started loading. The plan's slots read
  // them first thing in the step (point_slots), and an event made or parsed apart from
  // its neighbours misses on each of their lines.
  static void prefetch_members(const Hint& hint);

  // The answer to a decision request (language.md section 10): the first `respond` of
  // the step's firings, in firing order; `rule` empty and `content` null when none.
  struct Decision {
    std::string rule;
    Value content;
    int64_t time_ms = 0;  // of the firing that responded
    std::string trigger;  // the request's id
  };
  // Handles a decision request for the placement `request.name`, its context in
  // `request.properties`: a step with the clock and the time checks of submit(), that
  // triggers the placement's `decide` rules and adds nothing to history (no pending
  // match resolves on it, sessions and first/last seen ignore it). Its firings go to
  // the listener like any other. No dedup: a request is never a duplicate.
  SubmitResult decide(const Event& request, Decision& answer);

  // Fires every timer due at or before `ms`, in order, and moves the clock to `ms` (it
  // never goes backwards).
  void advance_to(int64_t ms);
  // The next deadline of a timer still waiting (timers of matches already resolved are
  // dropped on the way).
  std::optional<int64_t> next_deadline();
  std::optional<int64_t> clock() const { return clock_; }

  // Replaces a user's profile attributes (null members dropped), creating the user.
  void set_attributes(const std::string& user, const Value& attributes);
  // Merges `patch` into a user's attributes as a JSON merge patch (RFC 7396: objects
  // merge member by member, null removes), creating the user.
  void merge_attributes(const std::string& user, const Value& patch);
  // Forgets everything held about a user: profile, history, waiting matches and their
  // timers, cooldown and limit counters. False when the user is unknown. The dedup
  // window's fingerprints of the user's event ids stay (hashes, no personal data).
  bool erase_user(const std::string& user);

  // Checkpoints (storage mode disk; docs/architecture.md, "Checkpoints"), made a few
  // users at a time between steps (engine/checkpoint.cpp). begin_save_pass() starts a
  // pass; each save_some() then calls each(user id, state) for users not yet saved in
  // it, visiting at most `max_slots` slots of the user table, and returns true once
  // every user that was in the engine at begin_save_pass() has been saved (those made
  // since may or may not be). `each` must not call back into the engine.
  void begin_save_pass();
  template <class Each>
  bool save_some(size_t max_slots, Each&& each);
  // Replaces the state of `user` by the one `bytes` hold (append_user_bytes, engine/
  // user_bytes.hpp, under this program), its timers set again, and returns it. Throws
  // UserBytesError for bytes that function did not write.
  UserState& restore_user(const std::string& user, std::string_view bytes);
  // The dedup window's ids, for checkpoints (RecentIds::copy and merge).
  bool copy_recent_ids(uint64_t& position, size_t max, std::vector<RecentIds::Entry>& out) const {
    return recent_ids_.copy(position, max, out);
  }
  void merge_recent_ids(std::vector<RecentIds::Entry> entries) {
    recent_ids_.merge(std::move(entries));
  }

  // Why `rule` did not match `event` for `user` (engine/explain.cpp), evaluated against
  // the user's state and the clock now; nullopt when every condition holds now.
  std::optional<FalseCondition> first_false_condition(const std::string& user, const Event& event,
                                                      uint32_t rule) const;

  // Switches to another rule set between two steps (engine/reload.cpp). State carries
  // over by name: a rule whose `when` fingerprint is unchanged keeps its waiting matches,
  // others lose theirs; cooldown and limit counters stay with rule and group names,
  // segment membership with segment names, firing counts with rule names.
  SwapCounts replace_program(std::shared_ptr<const Program> next);
  // The same with the mapping made beforehand; `swap.before` is the running program.
  SwapCounts replace_program(const ProgramSwap& swap);
  // Asks `scorers` from the next step on (a reload read the model files again).
  void use_scorers(std::shared_ptr<const Scorers> scorers);
  // What the input step of `event` may ask remote scorers (Scorer::remote): each such
  // model read in the conditions or actions of a rule the event triggers and whose
  // conditions that ask no scorer hold now, with the features score() would send,
  // evaluated now. A server fetches these before it runs the step (docs/models.md).
  // Empty without remote scorers.
  struct RemoteQuery {
    std::string model;
    std::vector<Value> features;
  };
  // `decision`: `event` is a decision request for the placement `event.name` (its decide
  // rules).
  std::vector<RemoteQuery> remote_queries(const Event& event, bool decision = false);
  // What the timer steps due by `through_ms` may ask remote scorers: per waiting match or
  // deferred firing whose rule reads such a model in its conditions or actions, each
  // model with the features evaluated now. Each timer is handed out once, by the first
  // call whose `through_ms` reaches its deadline, so that a server calling it with its
  // clock plus a lead fetches every such score ahead of its step (docs/models.md).
  struct DueQuery {
    std::string user;
    int64_t due_ms = 0;  // the timer's deadline
    RemoteQuery query;
  };
  std::vector<DueQuery> remote_queries_due(int64_t through_ms);
  // The earliest deadline remote_queries_due() has not handed out yet, if any.
  std::optional<int64_t> next_remote_deadline() const;
  const Program& program() const { return *program_; }

  const UserState* user(const std::string& id) const;
  size_t pending_count() const;
  // Waiting matches per rule (index: rule), in one pass over the users.
  std::vector<size_t> pending_by_rule() const;
  const RuleCounts& counts(uint32_t rule) const { return rule_counts_[rule]; }
  uint64_t dropped_emits() const { return dropped_emits_; }
  // Timers held, live and dead (at most 1.5 times the live ones after the last
  // compaction, plus 1,024), and the bytes their heap holds: for tests and benches.
  size_t timer_count() const { return timers_.size(); }
  size_t timer_bytes() const { return timers_.capacity() * sizeof(Timer); }

 private:
  using Users = NodeTable<UserState>;
  using User = Users::Node;  // nodes never move: timers point at them

  // A waiting match's next deadline: the earliest of its future patterns not yet
  // resolved. Invariant: every waiting match has exactly one live timer; when it comes
  // due, the match's patterns due then resolve and the match gets its next one. A timer
  // whose match is gone (resolved by an event, replaced, dropped by a reload, its user
  // erased) is dead: skipped when it comes due, and removed by compact_timers() before
  // dead timers can outnumber live ones.
  struct Timer {
    int64_t deadline_ms;
    uint64_t match;
    User* user;  // alive, or in erased_users_ until the next compaction
    // Heap order: the earliest (deadline, match) on top.
    bool operator>(const Timer& o) const {
      return deadline_ms != o.deadline_ms ? deadline_ms > o.deadline_ms : match > o.match;
    }
  };
  struct Activation {
    // A constructor, so that emplace_back makes it in place with every compiler (clang
    // 14 has no aggregate initialisation with parentheses).
    Activation(uint32_t rule, uint64_t order, TriggerView trigger, PendingMatch::Ptr match)
        : rule(rule), order(order), trigger(trigger), match(std::move(match)) {}
    uint32_t rule;
    uint64_t order;           // creation order of the match, or of the activation
    TriggerView trigger;      // the step's event; unset for a resolved match
    PendingMatch::Ptr match;  // a resolved match, whose trigger it holds
  };
  // The derived events of one input or timer step, handled first in, first out.
  // Derived events are named after the step that queued them (formats.md): `<id of the
  // step's event>~<k>`, k counting within that step, and `timer@TIME~k` in a timer step.
  struct Cascade {
    User* user = nullptr;
    int64_t timer_ms = -1;     // the instant of the timer step running now; -1 otherwise
    std::string_view step_id;  // the id of the event whose step runs now
    std::string timer_id;      // timer@TIME, made when first needed
    int next_k = 1;            // of the step running now
    std::vector<std::pair<Event, int>> queue;  // event, level
    size_t head = 0;
  };

  User& state(const std::string& user);
  // submit() of an event without a time: it takes the clock's.
  SubmitResult submit_at_clock(const Event& input, const Hint& hint);
  // The time a step of `event` (which has a time) is handled at (section 9); false,
  // with `rejected` set, when the event is too far behind or ahead of the clock.
  bool step_time(const Event& event, int64_t& at, SubmitResult& rejected) const;
  // The step of a decision request (decide()).
  void decide_step(User& user, const Event& request, int64_t at, Cascade& cascade);
  // Hands a firing to the listener, and takes the answer of the decision being made
  // from it (deciding_).
  void report(const Firing& firing);
  // Sizes the scratch buffers for program_.
  void size_scratch();
  // bound_models_ (and remote_models_, remote_models_of_) for the program and
  // config_.scorers.
  void bind_scorers();
  // remote_models_of_ for the program and bound_models_.
  void bind_remote_models();
  // Adds the models that a rule reads from remote scorers to `models`, once each.
  void add_remote_models(uint32_t rule, std::vector<uint32_t>& models) const;
  EvalContext context(const User& user, TriggerView trigger, int64_t at) const;
  // Points `slots` at the event's properties that the plan's rules read; `member_hints`
  // (one per slot) remembers where each was found (member_at, engine.cpp).
  static void point_slots(const Event& event, const Program& program,
                          const Program::EventPlan& plan, const Value** slots,
                          std::span<uint32_t> member_hints);
  // The trigger a match holds, decoded into held_ and held_slots_: valid until the
  // next call.
  TriggerView unpack(const PendingMatch& match, const User& user);
  // The waiting match a timer is for, or nullptr when it is gone.
  PendingMatch* match_of(const Timer& t) const;
  // The earliest deadline of a match's patterns not yet resolved.
  int64_t next_deadline_of(const PendingMatch& match) const;
  // Whether a pattern of `match` not yet resolved has its deadline at `at`.
  bool due_at(const PendingMatch& match, int64_t at) const;
  void push_timer(const Timer& timer);
  // Drops the dead timers and frees the users erased since the last compaction.
  void compact_timers();
  void fire_timers_through(int64_t ms, bool inclusive);
  void timer_step(User& user, int64_t at, std::span<const Timer> due);
  // Returns the event's plan, null if it has none.
  const Program::EventPlan* event_step(User& user, const Event& event, int64_t at, bool input,
                                       int level, Cascade& cascade);
  void record(UserState& u, const Event& event, const Program::EventPlan* plan, int64_t at,
              bool input);
  void resolve_pending(User& user, const Event& event, int64_t at);
  void trigger_rules(User& user, const Event& event, const Program::EventPlan& plan, int64_t at);
  // Whether a completed match's conditions hold again at `at` (section 13).
  bool recheck(const User& user, const PendingMatch& match, int64_t at);
  // Fires the step's activations in agenda order; `sorted` when they already are.
  void run_agenda(User& user, int64_t at, bool sorted, int level, Cascade& cascade);
  // The session a trigger at `at` sees, for limits per session (empty without them).
  Session session_for_limits(const UserState& u, int64_t at) const;
  // Why the rule may not fire for this activation (section 14's order of reasons), if
  // it may not. `trigger` is what `by` keys read.
  std::optional<SuppressReason> blocked(const User& user, const CompiledRule& rule,
                                        TriggerView trigger, int64_t at) const;
  // The cooldown and limits of a rule or a group, and the firing times they count.
  struct Restrictions {
    const std::optional<int64_t>& cooldown_ms;
    const std::vector<LimitSpec>& limits;
    const RestrictionKeys& keys;
    uint32_t owner;  // the rule or the group
    const TimesByOwner& times;
    const std::vector<KeyedFiringTimes>& keyed;
  };
  struct NotedRestrictions {
    const std::optional<int64_t>& cooldown_ms;
    const std::vector<LimitSpec>& limits;
    const RestrictionKeys& keys;
    uint32_t owner;
    TimesByOwner& times;
    std::vector<KeyedFiringTimes>& keyed;
  };
  enum class Blocked : uint8_t { kCooldown, kLimit };
  std::optional<Blocked> restriction_blocks(const User& user, const Restrictions& r,
                                            TriggerView trigger, int64_t at) const;
  // Keeps what the cooldowns and limits of a restricted rule and its group will look at.
  void note_firing(User& user, const Activation& a, TriggerView trigger, int64_t at);
  void note_restricted(const User& user, const NotedRestrictions& r, TriggerView trigger,
                       int64_t at);
  // Lists `u` in numbered_users_ after its state was given numbers, unless it is listed.
  void note_numbered(UserState& u) {
    if (u.numbered) return;
    u.numbered = true;
    numbered_users_.push_back(&u);
  }
  // Whether `user` is held out of `rule` by its own or its group's `holdout` (section 14).
  static bool held_out(const CompiledRule& rule, std::string_view user);
  // Whether its group's `holdout` holds `user` out of `rule`.
  static bool group_held_out(const CompiledRule& rule, std::string_view user);
  // Quiet hours (language.md section 14) for an activation of a rule that has some:
  // true when it is suppressed (reason `quiet`) or deferred, so nothing else is checked.
  bool quieted(User& user, const Activation& a, TriggerView trigger, int64_t at);
  // When an activation at `at` in the rule's windows may fire: the end of the windows it
  // falls in (again from there while that is in one); nullopt when it is in none, and
  // `drop` set when one it falls in drops instead.
  std::optional<int64_t> quiet_until(const User& user, const CompiledRule& rule,
                                     TriggerView trigger, int64_t at, bool& drop) const;
  // Keeps a firing of a rule with a goal, or an experiment, in the counts and the user's
  // awaited goals.
  void note_experiment(User& user, uint32_t rule, TriggerView trigger, int64_t at, bool holdout);
  // The conversions an input event handled at `at` makes (after its step's records);
  // `plan`: its plan, null if it has none. `awaited_before`: the user's goal_events
  // before the step, not 0. Goals that the step's own firings pushed were fired at `at`
  // and cannot convert at `at`: an event whose bit was clear before its step converts
  // nothing, though its firings may have set the bit.
  void convert_goals(User& user, const Event& event, const Program::EventPlan* plan, int64_t at,
                     uint32_t awaited_before);
  // Past its window at `at`, or of a rule that no longer has a goal.
  bool goal_over(const AwaitedGoal& g, int64_t at) const;
  // Whether `event` passes a goal's filter. Apart from convert_goals, so that a scan
  // makes no evaluation context (GCC zeroes its storage) unless a goal has a filter.
  bool goal_filter_holds(const User& user, const Event& event, int64_t at, uint32_t filter) const;
  // Reports and counts the conversion of `g` by `event`.
  void convert(const User& user, const AwaitedGoal& g, const Event& event, int64_t at);
  // What a pending match keeps of its trigger at `at` (engine/pending_match.hpp): the
  // event's id, name and time, the slots the rule reads, its past windows now.
  void keep_trigger(const CompiledRule& rule, TriggerView trigger, const EvalContext& c, int64_t at,
                    PendingContents& m) const;
  // Holds the activation as a deferred firing, due at `due`.
  void defer(User& user, const Activation& a, TriggerView trigger, int64_t at, int64_t due);
  void fire(User& user, uint32_t rule, TriggerView trigger, int64_t at, int64_t deferred_ms,
            int level, Cascade& cascade);
  // fire() of a rule whose records are made, per split arm if it has a split
  // (CompiledRule::constant_actions_first): its holdout and arm drawn, its experiment
  // noted. `head` gives its name, priority and (without a split) records, so that the
  // rule's first line is not read: of a candidate fired at once, its plan's RuleHead.
  void fire_constant(User& user, const Program::RuleHead& head, TriggerView trigger, int64_t at,
                     int64_t deferred_ms);
  // Reports the firing of a rule whose records are made (CompiledRule::
  // constant_actions_first), as `head` tells them, with the user, time, trigger and
  // extension `firing` has: nothing to evaluate, no state changed.
  void fire_made(Firing& firing, const Program::RuleHead& head);
  // Keeps a value an action record points at until the firing has been reported.
  const Value& keep(Value v) {
    assert(action_values_.size() < action_values_.capacity());
    return action_values_.emplace_back(std::move(v));
  }
  void update_segments(User& user, int64_t at, int level, Cascade& cascade);
  void queue_derived(std::string name, Value properties, int64_t at, int level, Cascade& cascade);
  void run_cascade(Cascade& cascade, int64_t at);

  std::shared_ptr<const Program> program_;
  EngineConfig config_;
  EngineListener& listener_;
  const bool conversions_;  // listener_.wants_conversions()
  Users users_;
  uint64_t hinted_users_[2] = {};  // user hashes of the last two prefetch() calls
  size_t hints_ = 0;               // prefetch() calls so far
  // The users whose state holds rule, group, segment or node numbers (UserState::numbered):
  // a reload renumbers theirs and visits no other user, and waiting matches are counted
  // over them. Users that hold numbers no more leave at the next reload; erase_user takes
  // its user out (nodes never move, so the pointers stay valid until then).
  std::vector<UserState*> numbered_users_;
  std::vector<Timer> timers_;  // a min-heap (std::push_heap with std::greater)
  // The heap's size at which the next compaction is due: half as large again as the live
  // timers the last one left, plus 1,024, and the heap's capacity, so that dead timers
  // stay under half the live ones (plus 1,024) and a compaction costs amortised 3 timer
  // checks per timer pushed.
  size_t timers_limit_ = 1024;
  // Users erased while timers may still point at them: emptied, kept until the next
  // compaction drops those timers, so that erasing costs no pass over the heap.
  std::vector<std::unique_ptr<User>> erased_users_;
  RecentIds recent_ids_;
  // The checkpoint pass under way: its number (UserState::saved_pass), the next slot of
  // the user table to visit, and the table's growths when the walk (re)started. Passes
  // are numbered from 1 (0: a user no pass has saved) to the largest saved_pass holds,
  // then from 1 again.
  static constexpr uint32_t kLastSavePass = (uint32_t{1} << 31) - 1;
  uint32_t save_pass_ = 0;
  size_t save_cursor_ = 0;
  uint64_t save_growths_ = 0;
  std::optional<int64_t> clock_;
  uint64_t next_order_ = 1;
  std::vector<RuleCounts> rule_counts_;
  uint64_t dropped_emits_ = 0;
  Decision* deciding_ = nullptr;  // the answer of the decide() running now

  // Scratch space reused by every step, so that a step in steady state allocates
  // nothing. Steps never nest (derived events wait in their cascade's queue).
  std::vector<const Value*> slots_;      // one per slot of the program
  std::vector<uint32_t> slot_members_;   // per slot: its member in the last event read
  std::vector<uint64_t> candidates_;     // bit set over a plan's rules
  std::vector<uint64_t> bound_mask_;     // the same size, for BoundIndex::narrow
  std::vector<double> bound_values_;     // per bound of a plan: BoundIndex::compared
  std::vector<Activation> activations_;  // the step's agenda
  std::vector<int32_t> fired_groups_;    // exclusive groups fired this step
  std::vector<ActionRecord> action_records_;
  std::vector<Value> action_values_;  // what action_records_ point at; never grows
  std::vector<ScoreRecord> score_records_;
  std::vector<BoundModel> bound_models_;  // per program model: config_.scorers bound to it
  bool remote_models_ = false;            // one of them is remote
  // Per rule, the models bound to remote scorers that its firing's step may read: its
  // own (CompiledRule::scores), and those of the rules that the events it emits trigger,
  // through every chain of emits.
  std::vector<std::vector<uint32_t>> remote_models_of_;
  // Per event or decide plan, its rules (in agenda order) whose
  // remote_models_of_ is not empty; plans without such rules are not in it.
  std::unordered_map<const Program::EventPlan*, std::vector<uint32_t>> remote_rules_of_plan_;
  // The timers of the rules that read remote models, not yet handed out by
  // remote_queries_due(): a min-heap like timers_, naming the user by its id (a user
  // erased meanwhile is not found, and its timers are skipped).
  struct RemoteTimer {
    int64_t deadline_ms;
    uint64_t match;
    std::string user;
    bool operator>(const RemoteTimer& o) const {
      return deadline_ms != o.deadline_ms ? deadline_ms > o.deadline_ms : match > o.match;
    }
  };
  std::vector<RemoteTimer> remote_timers_;
  // Filled by evaluations (context() hands it out), emptied at each step and after each
  // action that changes the profile.
  mutable ScoreCache score_cache_;
  std::string index_key_;
  PendingContents making_;  // a match being made
  int32_t fired_arm_ = -1;  // the split arm the firing being made drew; -1: none
  const date::time_zone* default_zone_ = nullptr;  // config_.timezone; null: UTC
  std::string match_bytes_;                        // its bytes being laid out
  PendingContents held_;                           // the match unpack() decoded last
  Event held_event_;                               // its trigger's envelope
  std::vector<const Value*> held_slots_;  // its trigger's slots: one per slot of the program
};

template <class Each>
bool Engine::save_some(size_t max_slots, Each&& each) {
  const auto save = [&](User& node) {
    if (node.second.saved_pass == save_pass_) return;
    node.second.saved_pass = save_pass_;
    each(node.first, std::as_const(node.second));
  };
  // Nodes a growth or an erasure moved may have jumped behind the cursor: after a growth
  // the walk starts again, after an erasure the nodes it moved are visited now
  // (NodeTable::slot_count); users saved already are skipped.
  if (users_.growths() != save_growths_) {
    save_cursor_ = 0;
    save_growths_ = users_.growths();
    users_.take_moved_to();
  } else {
    for (const size_t slot : users_.take_moved_to())
      users_.visit_slot(slot, save);
  }
  const size_t to = std::min(users_.slot_count(), save_cursor_ + max_slots);
  users_.for_each_in(save_cursor_, to, save);
  save_cursor_ = to;
  if (save_cursor_ < users_.slot_count()) return false;
  users_.track_moves(false);
  return true;
}

// Calls submit(i, hint) for each i in [0, count), in order, with the hint that make_hint(i)
// (Engine::prefetch of event i) returned kPrefetchAhead calls before, as a batch of
// events is best submitted.
template <class MakeHint, class Submit>
void submit_hinted(size_t count, MakeHint&& make_hint, Submit&& submit) {
  constexpr size_t kAhead = Engine::kPrefetchAhead;
  std::array<Engine::Hint, kAhead + 1> hints;
  for (size_t i = 0; i < std::min(kAhead, count); ++i)
    hints[i] = make_hint(i);
  for (size_t i = 0; i < count; ++i) {
    if (i + kAhead < count) hints[(i + kAhead) % hints.size()] = make_hint(i + kAhead);
    if (i + kAhead / 2 < count) Engine::prefetch_members(hints[(i + kAhead / 2) % hints.size()]);
    submit(i, hints[i % hints.size()]);
  }
}

}  // namespace spur
