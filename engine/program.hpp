// A compiled rule set: the evaluation graph of design.md.
//
// Built once by compile() from a checked rule set, then immutable and shared read-only
// by every shard. Conditions are a flat array of trivially copyable nodes addressed by
// index and evaluated by a switch (eval.hpp); no AST, no name lookup and no virtual call
// per node at run time. Names are resolved here: paths into the trigger, the profile or
// a candidate event are indices into `paths`, functions are builtin ids, patterns are
// indices into `past` and rules' `futures`.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "engine/action_record.hpp"
#include "engine/bound_index.hpp"
#include "engine/key_index.hpp"
#include "engine/same_text.hpp"
#include "engine/text_hash.hpp"
#include "engine/value.hpp"
#include "grammar/source.hpp"

namespace re2 {
class RE2;
}

namespace spur {

enum class Op : uint8_t {
  kConst,            // a: index in consts
  kTriggerPath,      // a: slot; a property of the trigger, or its whole properties object
  kTriggerEnvelope,  // a: Envelope
  kProfilePath,      // a: path; the attributes, or the whole object when empty
  kProfileSegments,  // the segments the user is in
  kProfileEnvelope,  // a: Envelope (first_seen, last_seen)
  kCandidatePath,    // a: path; a property of the event a filter is testing
  kList,             // children: elements
  kObject,           // a: index in keys (first key); children: values
  kNot,
  kNeg,
  kAnd,
  kOr,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kNotIn,
  kContains,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kBetween,  // children: value, low, high
  kMatches,  // a: index in regexes; children: text
  kIsNull,
  kIsNotNull,
  kCall,       // a: Function; children: arguments
  kPast,       // a: index in past (a pattern: true when an event matches)
  kAggregate,  // a: index in past (count, sum, ...)
};

enum class Envelope : uint8_t { kTime, kUser, kId, kName, kFirstSeen, kLastSeen };

enum class Function : uint8_t {
  kLower,
  kUpper,
  kLen,
  kAbs,
  kRound,
  kFloor,
  kCeil,
  kCoalesce,
  kStartsWith,
  kEndsWith,
  kNow,
  kDaysSince,
  kHoursSince,
  kMinutesSince,
  kHourOfDay,
  kDayOfWeek,
  kDate,
  kTime,
  kScore,
};

struct Node {
  Op op;
  uint32_t a = 0;      // depends on op
  uint32_t first = 0;  // first child, in Program::children
  uint32_t count = 0;  // number of children
};
static_assert(std::is_trivially_copyable_v<Node> && sizeof(Node) == 16);

inline constexpr uint32_t kNoNode = UINT32_MAX;

enum class Window : uint8_t { kLast, kSession };
enum class Aggregate : uint8_t { kAny, kCount, kSum, kAvg, kMin, kMax, kDistinct };

// A past pattern (kAny) or an aggregate over the user's history.
struct PastPattern {
  std::string event;
  uint32_t filter = kNoNode;
  Window window = Window::kLast;
  int64_t length_ms = 0;
  Aggregate aggregate = Aggregate::kAny;
  std::vector<std::string> field;  // the property aggregated
};

struct FuturePattern {
  std::string event;
  uint32_t filter = kNoNode;
  int64_t within_ms = 0;
  bool absence = false;  // `no E within D`
};

struct LimitSpec {
  // period_ms of `limit N per session`: the firings in the session that a trigger at the
  // activation's time sees count (language.md section 14).
  static constexpr int64_t kPerSession = -1;
  int64_t count = 0;
  int64_t period_ms = 0;
};

// `by EXPR` of a cooldown and of each limit (language.md section 14): the node of the
// key a firing is counted under, or kNoNode: counted per user only.
struct RestrictionKeys {
  uint32_t cooldown = kNoNode;
  std::vector<uint32_t> limits;  // per limit, in the limits' order; empty when none has one
  bool any() const {
    return cooldown != kNoNode ||
           std::any_of(limits.begin(), limits.end(), [](uint32_t n) { return n != kNoNode; });
  }
  uint32_t limit(size_t i) const { return i < limits.size() ? limits[i] : kNoNode; }
};

// A quiet window of a rule or of its group (language.md section 14), its zone compiled in
// the rule's scope.
struct QuietSpec {
  int from_minutes = 0;  // local [from, to), wrapping midnight when from > to
  int to_minutes = 0;
  uint32_t zone = kNoNode;  // `in ZONE`; none: engine.timezone
  bool drop = false;
};

// `goal EVENT [filter] within W` (language.md section 14): the first input event of that
// name by the user handled in (t, t + W] after a firing at t, passing the filter, is the
// firing's conversion.
struct GoalSpec {
  std::string event;
  uint32_t filter = kNoNode;  // over the goal event's properties
  int64_t within_ms = 0;
  std::string within_text;  // as written (`14d`), for reports
};

enum class PendingMode : uint8_t { kLatest, kFirst, kEach };

struct CompiledAction {
  ActionOp op = ActionOp::kSend;
  std::string target;             // adapter, event name, or "profile.x" for set/unset/increment
  std::vector<std::string> path;  // profile path without `profile`
  uint32_t value = kNoNode;       // payload, value or `by`
  // The value when it is a constant (`send log {}`), or the empty object a send, emit or
  // respond without one carries; held here so that a firing reads it without visiting
  // the node and constant tables (two cache misses at 10,000 rules).
  std::optional<Value> constant;
  // kSplit: each arm's actions, and where each arm's share ends, cumulative, in basis
  // points (an arm k is drawn for the buckets in [ends[k-1], ends[k])). kIf: each
  // branch's actions, and its condition (kNoNode for `else`).
  std::vector<std::vector<CompiledAction>> arms;
  std::vector<uint32_t> arm_ends;
  // kSplit: the arm numbers 0 (the control) to arms.size(), which its `{"split": k}`
  // records point to.
  std::vector<Value> arm_numbers;
  std::vector<uint32_t> conditions;
};

// Fields in the order the agenda reads them, and each rule on its own cache lines: at
// 10,000 rules a candidate's rule is rarely in cache. The first line holds all that a
// candidate and its firing read when the rule is plain (nothing to evaluate beyond its
// indexes, nothing to wait for, no cooldown, limit or group, constant actions), the
// shape of most rules of a large set; the fields after it are read for the others. A
// plain candidate that fires at once reads its plan's RuleHead instead; the first line
// serves the firings of the agenda.
struct alignas(64) CompiledRule {
  std::string name;  // short names are held inline (firings quote it)
  int64_t priority = 0;
  int32_t group = -1;  // index in Program::groups
  // The operand that put the rule in an equality index (EventPlan::indexes), or -1. A
  // rule found through the index is known to satisfy it, so it is not evaluated again.
  int32_t indexed_operand = -1;
  // The same for the operand that put it in a bound index (EventPlan::bounds), or -1.
  int32_t bound_operand = -1;
  // Of a rule whose firings are always the same (every action a send or respond of a
  // constant, no score read), or the same per split arm: its records in
  // Program::constant_actions, from `first` (with a split: the control's); kNoNode for
  // the others.
  uint32_t constant_actions_first = kNoNode;
  uint16_t constant_actions_count = 0;
  PendingMode pending = PendingMode::kLatest;
  bool disabled = false;
  bool decide = false;
  // Derived by the compiler from the fields below, each true when a candidate or a
  // firing must read them: an operand neither index vouches for, a future pattern, a
  // cooldown, limit, group or quiet window.
  bool tests_operands = false;
  bool waits = false;
  bool restricted = false;
  std::vector<uint32_t> operands;  // non-future operands of the top-level `and` chain
  // The positions in `operands` in the order a candidate tests them: those that ask a
  // scorer last (language.md section 11: after the cheaper conditions), the others as
  // written. The result is the same in any order; the cost is not.
  std::vector<uint32_t> test_order;
  uint32_t unscored_operands = 0;  // the first of test_order, which ask no scorer
  // What a firing of an experiment reads, on a cache line of its own that only those
  // firings load, next to the operands that its candidates have just read.
  //
  // A goal, a split or a holdout (its own or its group's): its firings are counted per
  // cohort (RuleCounts::cohort).
  alignas(64) bool experiment = false;
  // `holdout P%` in basis points (0: none): a user whose holdout bucket is below it is
  // held out. A rule with a holdout is never one of constant actions.
  uint32_t holdout_bp = 0;
  uint32_t group_holdout_bp = 0;  // its group's, with the group's name as bucket name
  // The hash states of its bucket texts and of its firings' ids up to the user
  // (firing.hpp), made once: a firing hashes only the user's part (and the rest of its id).
  uint64_t holdout_prefix = 0;
  uint64_t split_prefix = 0;
  uint64_t firing_prefix = 0;
  // Of a rule of constant actions (constant_actions_first set) with a split: per arm k,
  // 0 the control, its firing's records in Program::constant_actions (the actions before
  // the split, `{"split": k}`, the arm's, those after) and, from k = 1, where its share
  // ends (CompiledAction::arm_ends). Empty for the others.
  struct ConstantArm {
    uint32_t end_bp = 0;
    uint32_t first = 0;
    uint16_t count = 0;
  };
  std::vector<ConstantArm> constant_arms;
  uint64_t group_holdout_prefix = 0;
  std::vector<FuturePattern> futures;
  std::optional<int64_t> cooldown_ms;
  std::vector<LimitSpec> limits;
  RestrictionKeys keys;
  // The keys of its group's cooldown and limits, compiled in this rule's scope: each rule
  // of the group evaluates them over its own trigger.
  RestrictionKeys group_keys;
  std::vector<QuietSpec> quiet;  // its own windows, then its group's
  std::optional<GoalSpec> goal;
  std::vector<CompiledAction> actions;
  std::vector<std::string> scores;  // models of every score() in the chain and actions
  // Of a waiting rule: the trigger slots its conditions, filters and actions read, which
  // its pending matches keep (engine/pending_match.hpp); ascending. Empty for others.
  std::vector<uint32_t> trigger_slots;
  // Read by the checker, explain and reloads only.
  std::vector<std::string> triggers;  // event names, or the placement
  std::vector<Span> operand_spans;    // where each operand is written (explain quotes it)
  uint64_t when_fingerprint = 0;      // of the `when` part (hot reload keeps pending matches)
  uint64_t fingerprint = 0;           // of the whole rule
  // Per event name its past windows read (conditions and actions), the longest window;
  // kSessionReach for `in session` only. A reload warns when history kept before it
  // does not reach that far.
  static constexpr int64_t kSessionReach = -1;
  std::vector<std::pair<std::string, int64_t>> reaches_back;
};

struct CompiledGroup {
  std::string name;
  bool exclusive = false;
  uint32_t holdout_bp = 0;  // `holdout P%` in basis points, 0: none
  std::optional<int64_t> cooldown_ms;
  std::vector<LimitSpec> limits;
};

struct CompiledSegment {
  std::string name;
  std::vector<uint32_t> operands;
};

struct Program {
  Program();
  ~Program();
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;

  std::vector<Node> nodes;
  std::vector<uint32_t> children;
  std::vector<Value> consts;
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> paths;
  // Paths into the trigger's properties, numbered: the slots an event is read into.
  std::vector<std::vector<std::string>> slot_paths;
  std::vector<std::unique_ptr<re2::RE2>> regexes;
  std::vector<PastPattern> past;

  std::vector<CompiledRule> rules;  // declaration order
  // Per rule, what converting its awaited goals reads (CompiledRule::goal), apart from
  // `rules` so that the scan of a user's awaited goals at every event stays in a few cache
  // lines. within_ms == 0: the rule has no goal.
  struct GoalCheck {
    int64_t within_ms = 0;
    uint32_t filter = kNoNode;
    uint32_t event = 0;  // the goal event's name in goal_events
  };
  std::vector<GoalCheck> goal_checks;
  std::vector<std::string> goal_events;  // each goal event's name once
  // The slot of a goal event (its index in goal_events): the index modulo 32, so that
  // each of a program's first 32 goal events has a bit of its own.
  static uint8_t goal_slot(uint32_t goal_event) { return static_cast<uint8_t>(goal_event % 32); }
  // The action records of the rules whose firings are always the same
  // (CompiledRule::constant_actions_first): they point into `rules`' actions.
  std::vector<ActionRecord> constant_actions;
  std::vector<CompiledGroup> groups;
  std::vector<CompiledSegment> segments;
  // A declared model (language.md section 11): its features' names and nodes, in
  // declaration order.
  struct Model {
    std::string name;
    std::vector<std::string> feature_names;
    std::vector<uint32_t> features;
  };
  std::vector<Model> models;  // declaration order
  // The index of the model declared as `name`, or -1.
  int64_t model_index(std::string_view name) const {
    for (size_t i = 0; i < models.size(); ++i) {
      if (models[i].name == name) return static_cast<int64_t>(i);
    }
    return -1;
  }

  // Everything matching needs to know about one event name, found with one hash lookup
  // per event.
  struct EqualityIndex {
    uint32_t slot = 0;
    // The slot's value -> positions in EventPlan::rules, ascending: a string by its text
    // (the common case, looked up with no key to build), any other value by its
    // value_key. A string never equals a value of another kind, so the two never meet.
    KeyIndex texts;
    KeyIndex others;
  };
  // What a candidate reads first: the rule's bound, and of a plain rule (nothing to
  // test beyond the plan's indexes, nothing to wait for, no cooldown, limit or group,
  // records made) enough to report its firing. Held per plan position, so that the
  // plan's candidates are read from a few contiguous lines instead of one CompiledRule
  // each (perf, S1 at 1,000 rules: the first read of a candidate's rule was 60 % of a
  // candidate's time, a cache miss); one line each, with the bound in it (S4 at 10,000
  // rules: the bound read from its index was one more miss per candidate).
  // Whether a candidate met before anything was queued fires at once, without an
  // activation (Engine::trigger_rules): a plain rule from its RuleHead alone; a rule that
  // would be plain but for its experiment options (split, holdout, goal: its records
  // made per arm) from its experiment's line (Engine::fire_constant); the others not.
  enum class AtOnce : uint8_t { kNo, kPlain, kExperiment };
  struct alignas(64) RuleHead {
    std::string_view name;                  // CompiledRule::name
    std::span<const ActionRecord> records;  // in constant_actions
    int64_t priority = 0;
    uint32_t rule = 0;  // index in `rules`
    // The rule is in EventPlan::bounds[bound] (kNoNode: in none), its bound held there
    // as `bound_threshold` (BoundIndex::thresholds()).
    uint32_t bound = kNoNode;
    double bound_threshold = 0;
    // Unless kNo, `records` are its firing's (with a split: the control's). Of kNo,
    // `records` is empty, and a candidate reads the rule itself.
    AtOnce at_once = AtOnce::kNo;
  };
  struct EventPlan {
    std::vector<uint32_t> slots;  // the slots the rules it triggers read
    // The rules it triggers (disabled rules left out), in agenda order
    // (Program::agenda_rank), so that a step's activations come out sorted.
    std::vector<uint32_t> rules;
    std::vector<RuleHead> heads;  // one per rule above, in the same order
    // Candidate filtering: a rule with a top-level operand `e.x == CONSTANT`, or an `or`
    // of such tests, is reached through hash indexes on those slots (one lookup instead
    // of one test per rule); the others (`always`, positions in `rules`) are always
    // evaluated. Candidates are evaluated in the order of `rules` either way, so the
    // indexes never change a result (tests/index_test.cpp).
    std::vector<uint32_t> always;
    std::vector<EqualityIndex> indexes;
    // Then a rule with a top-level operand `e.x > NUMBER` (or >=, <, <=) stays a
    // candidate only when the event's x passes the bound (one index per slot and
    // direction).
    std::vector<BoundIndex> bounds;
    // How far back this event's history must reach (the longest past window over it);
    // negative when no pattern looks back at it, and then none of it is kept.
    int64_t history_ms = -1;
    // Of a goal event (language.md section 14): its index in goal_events; kNoNode for
    // the others. An event learns from its plan, looked up by its name in any case,
    // which awaited goals it may convert.
    uint32_t goal_event = kNoNode;
  };
  // A hash and an equality of their own, not std::hash<std::string>: libstdc++ looks a
  // key up in a table of up to 20 keys with that (slow) hash by comparing every key in
  // turn, a call to memcmp each (callgrind: about 120 instructions per event at 10 names).
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view name) const noexcept { return hash_text(name); }
  };
  struct SameName {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept {
      return same_text(a, b);
    }
  };
  std::unordered_map<std::string, EventPlan, NameHash, SameName> event_plans;
  const EventPlan* plan(const std::string& event) const {
    const auto it = event_plans.find(event);
    return it == event_plans.end() ? nullptr : &it->second;
  }
  // Per placement, its decision rules (`decide PLACEMENT`, language.md section 10), all
  // of them candidates (`always`), no index.
  std::unordered_map<std::string, EventPlan, NameHash, SameName> decide_plans;
  const EventPlan* decide_plan(const std::string& placement) const {
    const auto it = decide_plans.find(placement);
    return it == decide_plans.end() ? nullptr : &it->second;
  }
  // The most rules any event name or placement triggers (sizes the engine's candidate
  // set).
  size_t max_rules_per_event = 0;
  // Rank of each rule on the agenda: priority (higher first), then declaration order.
  std::vector<uint32_t> agenda_rank;
  bool uses_session = false;  // some window is `in session`, or a limit per session
  uint64_t version = 0;       // fingerprint of the whole set

  uint32_t child(const Node& n, uint32_t i) const { return children[n.first + i]; }
};

}  // namespace spur
