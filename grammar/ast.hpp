// The abstract syntax tree of a rule file (language.md sections 2-11).
//
// Plain structs, no PEGTL types: the parse tree dies inside parse(). Every node carries
// the Span of its text so that later passes (checker, compiler) can point at it. Values
// are decoded here (strings unescaped, durations in milliseconds, percents as fractions);
// the printer (printer.hpp) turns an AST back into canonical rule text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "grammar/source.hpp"

namespace spur::ast {

struct Name {
  std::string text;
  Span span;
};

// An event name: an identifier, or a quoted string such as "Product Added".
struct EventName {
  std::string text;
  Span span;
};

struct Duration {
  int64_t ms = 0;     // meaningless when !valid
  bool valid = true;  // false when the text broke a rule (unit order); already reported
  std::string text;   // as written (`90d`), which the printer keeps
  Span span;
};

enum class ExprKind : uint8_t {
  kNumber,    // number: value; percent: written as `10%`, text: the digits before `%`
  kString,    // text
  kDuration,  // duration
  kBool,      // boolean
  kNull,
  kList,       // children: elements
  kObject,     // keys[i] : children[i]
  kPath,       // path: root name, then members
  kCall,       // text: function name (name_span); children: arguments
  kNot,        // children[0]
  kNo,         // children[0] is a kPattern; `no P`
  kNeg,        // children[0]
  kBinary,     // op; children: two operands, or more for kAnd / kOr chains
  kBetween,    // children: value, low, high
  kMatches,    // children[0]; text: the RE2 pattern; name_span: the pattern literal
  kIsNull,     // children[0]; negated: `is not null`
  kPattern,    // event, filter (children[0] when has_filter), window
  kAggregate,  // aggregate, event, filter, field, window
};

enum class BinaryOp : uint8_t {
  kOr,
  kAnd,
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
};

enum class WindowKind : uint8_t {
  kWithin,   // future: `within D`
  kLast,     // past: `in last D`
  kSession,  // past: `in session`
};

enum class AggregateFn : uint8_t { kCount, kSum, kAvg, kMin, kMax, kDistinct };

struct PathMember {
  std::string name;
  bool envelope = false;  // written `@name`
  Span span;
};

struct Expr {
  ExprKind kind = ExprKind::kNull;
  BinaryOp op = BinaryOp::kAnd;
  bool parens = false;   // written inside parentheses
  bool percent = false;  // kNumber written as a percent
  bool boolean = false;
  bool negated = false;  // kIsNull: `is not null`
  bool has_filter = false;
  double number = 0;
  Duration duration;  // kDuration
  std::string text;
  Span name_span;
  Span span;
  std::vector<Expr> children;
  std::vector<PathMember> path;  // kPath: path[0] is the root name
  std::vector<Name> keys;        // kObject
  // Patterns and aggregates.
  EventName event;
  WindowKind window = WindowKind::kLast;
  Duration window_length;  // kWithin and kLast
  AggregateFn aggregate = AggregateFn::kCount;
  std::vector<Name> field;  // kAggregate other than count: `.amount`

  bool is_future_pattern() const {
    return kind == ExprKind::kPattern && window == WindowKind::kWithin;
  }
};

// The operands of the top-level `and` chain of a condition, in order. Parentheses around a
// run of `and`s do not take its operands out of the chain (language.md section 13).
inline void and_operands(const Expr& e, std::vector<const Expr*>& out) {
  if (e.kind == ExprKind::kBinary && e.op == BinaryOp::kAnd) {
    for (const Expr& child : e.children)
      and_operands(child, out);
  } else {
    out.push_back(&e);
  }
}

struct Const {
  Name name;
  Expr value;
  Span span;
};

enum class GroupOptionKind : uint8_t { kExclusive, kCooldown, kLimit, kHoldout, kQuiet };

struct TimeOfDay {
  int minutes = 0;  // minutes since midnight
  Span span;
};

// `quiet HH:MM..HH:MM [in ZONE] [drop]` (language.md section 14).
struct Quiet {
  TimeOfDay from, to;
  std::optional<Expr> zone;  // none: engine.timezone
  bool drop = false;
};

struct Limit {
  int64_t count = 0;
  Span count_span;
  Duration period;           // its text is `session` for a limit per session
  bool per_session = false;  // `limit N per session` (language.md section 14)
};

// `by EXPR` after a cooldown or a limit (language.md section 14); none: per user only.
using RestrictionKey = std::optional<Expr>;

struct GroupOption {
  GroupOptionKind kind = GroupOptionKind::kExclusive;
  Span span;  // the option's keyword
  Duration cooldown;
  Limit limit;
  RestrictionKey by;   // of the cooldown or the limit
  double holdout = 0;  // percent as written: 10 for `10%`
  Span value_span;     // the holdout's percent
  Quiet quiet;
};

struct Group {
  Name name;
  std::optional<std::string> title;
  std::vector<GroupOption> options;
  Span span;
};

struct Segment {
  Name name;
  std::optional<std::string> title;
  Expr condition;
  Span span;
};

struct Feature {
  Name name;
  Expr value;
};

struct Model {
  Name name;
  std::optional<std::string> title;
  std::vector<Feature> features;
  Span span;
};

// One `name: type` line of an event declaration.
struct EventProperty {
  Name name;
  Name type;  // as written; the checker knows the types (language.md section 15)
};

// `event NAME ["title"] ... end`: an entry of the event catalog (language.md section 15).
struct EventDecl {
  EventName name;
  std::optional<std::string> title;
  std::vector<EventProperty> properties;
  Span span;
};

enum class RuleOptionKind : uint8_t {
  kPriority,
  kGroup,
  kCooldown,
  kLimit,
  kPending,
  kDisabled,
  kQuiet,
  kHoldout,
  kGoal,
};

struct RuleOption {
  RuleOptionKind kind = RuleOptionKind::kPriority;
  Span span;  // the option's keyword
  int64_t priority = 0;
  Span value_span;  // priority value, group name, pending mode, holdout percent
  Name name;        // kGroup: the group; kPending: the mode as written
  Duration cooldown;
  Limit limit;
  RestrictionKey by;  // of the cooldown or the limit
  Quiet quiet;
  // `goal EVENT [filter] within W`: a pattern (ExprKind::kPattern, window kWithin).
  std::optional<Expr> goal;
  double holdout = 0;  // percent as written: 10 for `10%`
};

struct Trigger {
  bool decide = false;
  std::vector<EventName> events;  // one or more; for `decide`, the placement
  std::optional<Name> alias;
  Span span;
};

enum class ActionKind : uint8_t { kSend, kSet, kUnset, kIncrement, kEmit, kRespond, kSplit, kIf };

struct Action;

struct SplitArm {
  double percent = 0;  // as written: 50 for `50%`
  Span span;
  std::vector<Action> actions;
};

// One branch of an `if`: `if C then`, `else if C then` (a condition), or `else` (none).
struct IfBranch {
  std::optional<Expr> condition;
  Span span;  // its keyword: `if` or `else`
  std::vector<Action> actions;
};

struct Action {
  ActionKind kind = ActionKind::kSend;
  Span span;                  // the action's keyword
  Name target;                // kSend: adapter; kEmit: event name
  std::optional<Expr> path;   // kSet, kUnset, kIncrement: a kPath
  std::optional<Expr> value;  // kSet: value; kIncrement: `by`; kSend/kEmit/kRespond: object
  std::vector<SplitArm> arms;
  std::vector<IfBranch> branches;  // kIf, in order
};

struct Rule {
  Name name;
  std::optional<std::string> title;
  std::vector<RuleOption> options;
  Trigger trigger;
  std::optional<Expr> condition;  // after `when TRIGGER and`
  std::vector<Action> actions;
  Span span;
};

using Declaration = std::variant<Const, Group, Segment, Model, Rule, EventDecl>;

struct File {
  uint32_t source = 0;  // index in the SourceSet
  std::vector<Declaration> declarations;
};

}  // namespace spur::ast
