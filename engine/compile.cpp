#include "engine/compile.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <unordered_map>

#include "engine/firing.hpp"
#include "engine/fnv.hpp"
#include "grammar/lexical.hpp"
#include "grammar/printer.hpp"

namespace spur {

Program::Program() = default;
Program::~Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;

namespace {

using ast::BinaryOp;
using ast::Expr;
using ast::ExprKind;

const std::unordered_map<std::string, Function>& function_ids() {
  static const std::unordered_map<std::string, Function> ids = {
      {"lower", Function::kLower},
      {"upper", Function::kUpper},
      {"len", Function::kLen},
      {"abs", Function::kAbs},
      {"round", Function::kRound},
      {"floor", Function::kFloor},
      {"ceil", Function::kCeil},
      {"coalesce", Function::kCoalesce},
      {"starts_with", Function::kStartsWith},
      {"ends_with", Function::kEndsWith},
      {"now", Function::kNow},
      {"days_since", Function::kDaysSince},
      {"hours_since", Function::kHoursSince},
      {"minutes_since", Function::kMinutesSince},
      {"hour_of_day", Function::kHourOfDay},
      {"day_of_week", Function::kDayOfWeek},
      {"date", Function::kDate},
      {"time", Function::kTime},
      {"score", Function::kScore},
  };
  return ids;
}

Op binary_op(BinaryOp op) {
  switch (op) {
    case BinaryOp::kOr:
      return Op::kOr;
    case BinaryOp::kAnd:
      return Op::kAnd;
    case BinaryOp::kEq:
      return Op::kEq;
    case BinaryOp::kNe:
      return Op::kNe;
    case BinaryOp::kLt:
      return Op::kLt;
    case BinaryOp::kLe:
      return Op::kLe;
    case BinaryOp::kGt:
      return Op::kGt;
    case BinaryOp::kGe:
      return Op::kGe;
    case BinaryOp::kIn:
      return Op::kIn;
    case BinaryOp::kNotIn:
      return Op::kNotIn;
    case BinaryOp::kContains:
      return Op::kContains;
    case BinaryOp::kAdd:
      return Op::kAdd;
    case BinaryOp::kSub:
      return Op::kSub;
    case BinaryOp::kMul:
      return Op::kMul;
    case BinaryOp::kDiv:
      return Op::kDiv;
  }
  return Op::kEq;
}

// Every score("x") below `e`, in order of first appearance.
void collect_scores(const Expr& e, std::vector<std::string>& out) {
  if (e.kind == ExprKind::kCall && e.text == "score" && !e.children.empty() &&
      e.children.front().kind == ExprKind::kString) {
    const std::string& model = e.children.front().text;
    if (std::find(out.begin(), out.end(), model) == out.end()) out.push_back(model);
  }
  for (const Expr& child : e.children)
    collect_scores(child, out);
}

void collect_action_scores(const ast::Action& a, std::vector<std::string>& out) {
  if (a.value) collect_scores(*a.value, out);
  for (const ast::SplitArm& arm : a.arms) {
    for (const ast::Action& inner : arm.actions)
      collect_action_scores(inner, out);
  }
  for (const ast::IfBranch& branch : a.branches) {
    if (branch.condition) collect_scores(*branch.condition, out);
    for (const ast::Action& inner : branch.actions)
      collect_action_scores(inner, out);
  }
}

// Where an expression stands: it decides what bare names mean.
struct Scope {
  std::string alias;       // the trigger's alias, or ""
  bool in_filter = false;  // bare names are the candidate's properties
};

class Compiler {
 public:
  Compiler(const CheckedRuleSet& rule_set, CompileOptions options)
      : rule_set_(rule_set), options_(options) {}

  std::shared_ptr<const Program> run();

 private:
  // Nodes, constants, paths and patterns are hash-consed: an expression written the same
  // way in many rules is one node, so a per-event memo (later) evaluates it once.
  uint32_t node(Op op, uint32_t a, const std::vector<uint32_t>& kids = {}) {
    std::string key;
    add_key(key, static_cast<int64_t>(op));
    add_key(key, a);
    for (const uint32_t kid : kids)
      add_key(key, kid);
    const auto [it, added] =
        node_ids_.try_emplace(std::move(key), static_cast<uint32_t>(p_.nodes.size()));
    if (!added) return it->second;
    Node n{op, a, static_cast<uint32_t>(p_.children.size()), static_cast<uint32_t>(kids.size())};
    p_.children.insert(p_.children.end(), kids.begin(), kids.end());
    p_.nodes.push_back(n);
    return it->second;
  }
  uint32_t constant(Value v) {
    const auto [it, added] =
        const_ids_.try_emplace(value_key(v), static_cast<uint32_t>(p_.consts.size()));
    if (added) p_.consts.push_back(std::move(v));
    return node(Op::kConst, it->second);
  }
  // The slot of a path into the trigger's properties; noted as read by the rule being
  // compiled.
  uint32_t slot(std::vector<std::string> parts) {
    const auto [it, added] =
        slot_ids_.try_emplace(path_key(parts), static_cast<uint32_t>(p_.slot_paths.size()));
    if (added) p_.slot_paths.push_back(std::move(parts));
    rule_slots_.push_back(it->second);
    return it->second;
  }
  uint32_t path(std::vector<std::string> parts) {
    const auto [it, added] =
        path_ids_.try_emplace(path_key(parts), static_cast<uint32_t>(p_.paths.size()));
    if (added) p_.paths.push_back(std::move(parts));
    return it->second;
  }
  // Lists and objects of constants are constants: built once, shared by every firing.
  bool all_constant(const std::vector<uint32_t>& kids) const {
    return std::all_of(kids.begin(), kids.end(),
                       [this](uint32_t kid) { return p_.nodes[kid].op == Op::kConst; });
  }
  uint32_t expr(const Expr& e, const Scope& scope);
  uint32_t path_expr(const Expr& e, const Scope& scope);
  uint32_t past(const Expr& e, const Scope& scope);
  Value literal(const Expr& e) const;
  std::vector<LimitSpec> limits(const std::vector<ast::Limit>& written);
  // The keys of a cooldown's and limits' `by` (null: none), compiled in `scope`.
  RestrictionKeys restriction_keys(const Expr* cooldown, const std::vector<const Expr*>& limits,
                                   const Scope& scope);

  void declaration(const ast::Const& c) { consts_[c.name.text] = literal(c.value); }
  void declaration(const ast::Group& g);
  void declaration(const ast::Segment& s);
  void declaration(const ast::Model& m);
  void declaration(const ast::Rule& r);
  CompiledAction action(const ast::Action& a, const Scope& scope);

  struct IndexKey {
    uint32_t slot;
    bool text;        // the constant is a string, and `key` its text
    std::string key;  // or the value_key of the constant
  };
  // A numeric bound on a trigger slot: `slot > value` and the like.
  struct RuleBound {
    uint32_t slot = 0;
    bool upper = false;  // slot < value, slot <= value
    bool inclusive = false;
    double value = 0;
  };
  struct RuleIndexing {
    std::vector<IndexKey> keys;
    std::optional<RuleBound> bound;
  };
  RuleIndexing indexing(CompiledRule& rule) const;
  void list_constant_actions(CompiledRule& rule);
  // Tells each goal event's plan (made if the event has none) its index in goal_events.
  void plan_goal_events();
  static bool indexable(const Value& v);
  bool equality_keys(uint32_t node, std::vector<IndexKey>& keys) const;
  std::optional<RuleBound> bound_of(uint32_t node) const;
  void add_to_plan(const std::string& event, uint32_t rule, const RuleIndexing& indexing);
  // Heads for the rules of `plan`, once every rule is in place.
  void add_heads(Program::EventPlan& plan);
  // Per event name, per index of its plan: key -> positions, until made KeyIndexes.
  struct IndexLists {
    std::unordered_map<std::string, std::vector<uint32_t>> texts, others;
  };
  std::unordered_map<std::string, std::vector<IndexLists>> index_lists_;
  // Per event name: the bounds of its rules, until made BoundIndexes.
  struct BoundList {
    uint32_t slot;
    bool upper;
    std::vector<BoundIndex::Bound> bounds;
  };
  std::unordered_map<std::string, std::vector<BoundList>> bound_lists_;

  const CheckedRuleSet& rule_set_;
  const CompileOptions options_;
  Program p_;
  std::unordered_map<std::string, uint32_t> node_ids_, const_ids_, path_ids_, slot_ids_, past_ids_,
      regex_ids_;
  std::vector<uint32_t> rule_slots_;         // slots read by the rule being compiled
  CompiledRule* compiling_ = nullptr;        // the rule being compiled, if one is
  std::vector<RuleIndexing> rule_indexing_;  // per rule
  std::unordered_map<std::string, Value> consts_;
  std::unordered_map<std::string, int32_t> groups_;
  // Per group, the `by` expressions of its cooldown and limits (null: none), which each
  // of its rules compiles in its own scope. They point into the rule set being compiled.
  struct GroupKeys {
    const Expr* cooldown = nullptr;
    std::vector<const Expr*> limits;
    std::vector<const ast::Quiet*> quiet;
  };
  std::vector<GroupKeys> group_keys_;
};

Value Compiler::literal(const Expr& e) const {
  switch (e.kind) {
    case ExprKind::kNumber:
      return Value::number(e.number);
    case ExprKind::kString:
      return Value::string(e.text);
    case ExprKind::kDuration:
      return Value::duration(e.duration.ms);
    case ExprKind::kBool:
      return Value::boolean(e.boolean);
    case ExprKind::kList: {
      List items;
      for (const Expr& item : e.children)
        items.push_back(literal(item));
      return Value::list(std::move(items));
    }
    default:
      return Value();
  }
}

uint32_t Compiler::path_expr(const Expr& e, const Scope& scope) {
  const std::string& root = e.path.front().name;
  std::vector<std::string> rest;
  for (size_t i = 1; i < e.path.size(); ++i)
    rest.push_back(e.path[i].name);
  const bool envelope = e.path.size() > 1 && e.path[1].envelope;
  if (root == "event" || (!scope.alias.empty() && root == scope.alias)) {
    if (envelope) {
      const std::string& f = rest.front();
      return node(Op::kTriggerEnvelope, static_cast<uint32_t>(f == "time"   ? Envelope::kTime
                                                              : f == "user" ? Envelope::kUser
                                                              : f == "id"   ? Envelope::kId
                                                                            : Envelope::kName));
    }
    return node(Op::kTriggerPath, slot(std::move(rest)));
  }
  if (root == "profile") {
    if (envelope) {
      return node(Op::kProfileEnvelope,
                  static_cast<uint32_t>(rest.front() == "first_seen" ? Envelope::kFirstSeen
                                                                     : Envelope::kLastSeen));
    }
    if (rest.size() == 1 && rest.front() == "segments") return node(Op::kProfileSegments, 0);
    return node(Op::kProfilePath, path(std::move(rest)));
  }
  if (const auto c = consts_.find(root); c != consts_.end()) return constant(c->second);
  assert(scope.in_filter && "the checker only lets candidate properties through in filters");
  std::vector<std::string> all{root};
  all.insert(all.end(), rest.begin(), rest.end());
  return node(Op::kCandidatePath, path(std::move(all)));
}

uint32_t Compiler::past(const Expr& e, const Scope& scope) {
  PastPattern pattern;
  pattern.event = e.event.text;
  if (e.has_filter) pattern.filter = expr(e.children.front(), Scope{scope.alias, true});
  pattern.window = e.window == ast::WindowKind::kSession ? Window::kSession : Window::kLast;
  pattern.length_ms = e.window_length.ms;
  if (e.kind == ExprKind::kAggregate) {
    pattern.aggregate = static_cast<Aggregate>(static_cast<int>(e.aggregate) + 1);
    for (const ast::Name& part : e.field)
      pattern.field.push_back(part.text);
  }
  if (compiling_ != nullptr) {
    const int64_t reach =
        pattern.window == Window::kSession ? CompiledRule::kSessionReach : pattern.length_ms;
    auto& reaches = compiling_->reaches_back;
    const auto it = std::find_if(reaches.begin(), reaches.end(),
                                 [&](const auto& r) { return r.first == pattern.event; });
    if (it == reaches.end()) {
      reaches.emplace_back(pattern.event, reach);
    } else {
      it->second = std::max(it->second, reach);
    }
  }
  int64_t& horizon = p_.event_plans[pattern.event].history_ms;
  horizon = std::max(horizon, pattern.window == Window::kSession ? 0 : pattern.length_ms);
  if (pattern.window == Window::kSession) p_.uses_session = true;
  const bool aggregate = pattern.aggregate != Aggregate::kAny;
  std::string key;
  add_key(key, pattern.event);
  add_key(key, pattern.filter);
  add_key(key, static_cast<int64_t>(pattern.window));
  add_key(key, pattern.length_ms);
  add_key(key, static_cast<int64_t>(pattern.aggregate));
  for (const std::string& part : pattern.field)
    add_key(key, part);
  const auto [it, added] =
      past_ids_.try_emplace(std::move(key), static_cast<uint32_t>(p_.past.size()));
  if (added) p_.past.push_back(std::move(pattern));
  return node(aggregate ? Op::kAggregate : Op::kPast, it->second);
}

uint32_t Compiler::expr(const Expr& e, const Scope& scope) {
  std::vector<uint32_t> kids;
  switch (e.kind) {
    case ExprKind::kNumber:
    case ExprKind::kString:
    case ExprKind::kDuration:
    case ExprKind::kBool:
    case ExprKind::kNull:
      return constant(literal(e));
    case ExprKind::kList:
      for (const Expr& item : e.children)
        kids.push_back(expr(item, scope));
      if (all_constant(kids)) {
        List items;
        for (const uint32_t kid : kids)
          items.push_back(p_.consts[p_.nodes[kid].a]);
        return constant(Value::list(std::move(items)));
      }
      return node(Op::kList, 0, kids);
    case ExprKind::kObject: {
      for (const Expr& value : e.children)
        kids.push_back(expr(value, scope));
      if (all_constant(kids)) {
        Object members;
        for (size_t i = 0; i < kids.size(); ++i)
          members.emplace_back(e.keys[i].text, p_.consts[p_.nodes[kids[i]].a]);
        return constant(Value::object(std::move(members)));
      }
      const auto first_key = static_cast<uint32_t>(p_.keys.size());
      for (const ast::Name& key : e.keys)
        p_.keys.push_back(key.text);
      return node(Op::kObject, first_key, kids);
    }
    case ExprKind::kPath:
      return path_expr(e, scope);
    case ExprKind::kCall:
      for (const Expr& arg : e.children)
        kids.push_back(expr(arg, scope));
      return node(Op::kCall, static_cast<uint32_t>(function_ids().at(e.text)), kids);
    case ExprKind::kNot:
      return node(Op::kNot, 0, {expr(e.children.front(), scope)});
    case ExprKind::kNo:
      return node(Op::kNot, 0, {past(e.children.front(), scope)});
    case ExprKind::kNeg:
      return node(Op::kNeg, 0, {expr(e.children.front(), scope)});
    case ExprKind::kBinary:
      for (const Expr& child : e.children)
        kids.push_back(expr(child, scope));
      return node(binary_op(e.op), 0, kids);
    case ExprKind::kBetween:
      for (const Expr& child : e.children)
        kids.push_back(expr(child, scope));
      return node(Op::kBetween, 0, kids);
    case ExprKind::kMatches: {
      const auto [it, added] =
          regex_ids_.try_emplace(e.text, static_cast<uint32_t>(p_.regexes.size()));
      if (added) p_.regexes.push_back(std::make_unique<re2::RE2>(e.text, re2::RE2::Quiet));
      return node(Op::kMatches, it->second, {expr(e.children.front(), scope)});
    }
    case ExprKind::kIsNull:
      return node(e.negated ? Op::kIsNotNull : Op::kIsNull, 0, {expr(e.children.front(), scope)});
    case ExprKind::kPattern:
    case ExprKind::kAggregate:
      return past(e, scope);
  }
  return constant(Value());
}

std::vector<LimitSpec> Compiler::limits(const std::vector<ast::Limit>& written) {
  std::vector<LimitSpec> out;
  out.reserve(written.size());
  for (const ast::Limit& l : written) {
    out.push_back({l.count, l.per_session ? LimitSpec::kPerSession : l.period.ms});
    p_.uses_session = p_.uses_session || l.per_session;  // input times are kept
  }
  return out;
}

RestrictionKeys Compiler::restriction_keys(const Expr* cooldown,
                                           const std::vector<const Expr*>& limits,
                                           const Scope& scope) {
  RestrictionKeys keys;
  if (cooldown != nullptr) keys.cooldown = expr(*cooldown, scope);
  if (std::none_of(limits.begin(), limits.end(), [](const Expr* e) { return e != nullptr; }))
    return keys;
  for (const Expr* by : limits)
    keys.limits.push_back(by != nullptr ? expr(*by, scope) : kNoNode);
  return keys;
}

void Compiler::declaration(const ast::Group& g) {
  CompiledGroup group;
  group.name = g.name.text;
  std::vector<ast::Limit> written;
  GroupKeys& keys = group_keys_.emplace_back();
  for (const ast::GroupOption& o : g.options) {
    const Expr* by = o.by ? &*o.by : nullptr;
    if (o.kind == ast::GroupOptionKind::kExclusive) group.exclusive = true;
    if (o.kind == ast::GroupOptionKind::kCooldown) {
      group.cooldown_ms = o.cooldown.ms;
      keys.cooldown = by;
    }
    if (o.kind == ast::GroupOptionKind::kLimit) {
      written.push_back(o.limit);
      keys.limits.push_back(by);
    }
    if (o.kind == ast::GroupOptionKind::kHoldout)
      group.holdout_bp = lexical::basis_points(o.holdout);
    if (o.kind == ast::GroupOptionKind::kQuiet) keys.quiet.push_back(&o.quiet);
  }
  group.limits = limits(written);
  groups_[group.name] = static_cast<int32_t>(p_.groups.size());
  p_.groups.push_back(std::move(group));
}

void Compiler::declaration(const ast::Segment& s) {
  CompiledSegment segment;
  segment.name = s.name.text;
  std::vector<const Expr*> operands;
  ast::and_operands(s.condition, operands);
  for (const Expr* operand : operands)
    segment.operands.push_back(expr(*operand, Scope{}));
  p_.segments.push_back(std::move(segment));
}

void Compiler::declaration(const ast::Model& m) {
  Program::Model model;
  model.name = m.name.text;
  for (const ast::Feature& f : m.features) {
    model.feature_names.push_back(f.name.text);
    model.features.push_back(expr(f.value, Scope{}));
  }
  p_.models.push_back(std::move(model));
}

CompiledAction Compiler::action(const ast::Action& a, const Scope& scope) {
  // ActionOp mirrors ast::ActionKind.
  static_assert(
      static_cast<int>(ActionOp::kSend) == static_cast<int>(ast::ActionKind::kSend) &&
      static_cast<int>(ActionOp::kSet) == static_cast<int>(ast::ActionKind::kSet) &&
      static_cast<int>(ActionOp::kUnset) == static_cast<int>(ast::ActionKind::kUnset) &&
      static_cast<int>(ActionOp::kIncrement) == static_cast<int>(ast::ActionKind::kIncrement) &&
      static_cast<int>(ActionOp::kEmit) == static_cast<int>(ast::ActionKind::kEmit) &&
      static_cast<int>(ActionOp::kRespond) == static_cast<int>(ast::ActionKind::kRespond) &&
      static_cast<int>(ActionOp::kSplit) == static_cast<int>(ast::ActionKind::kSplit) &&
      static_cast<int>(ActionOp::kIf) == static_cast<int>(ast::ActionKind::kIf));
  CompiledAction out;
  out.op = static_cast<ActionOp>(a.kind);
  if (a.kind == ast::ActionKind::kSplit) {
    uint32_t end = 0;
    for (const ast::SplitArm& arm : a.arms) {
      end += lexical::basis_points(arm.percent);
      out.arm_ends.push_back(end);
      out.arm_numbers.push_back(Value::number(static_cast<double>(out.arm_numbers.size())));
      std::vector<CompiledAction>& actions = out.arms.emplace_back();
      for (const ast::Action& inner : arm.actions)
        actions.push_back(action(inner, scope));
    }
    out.arm_numbers.push_back(Value::number(static_cast<double>(a.arms.size())));
    return out;
  }
  if (a.kind == ast::ActionKind::kIf) {
    for (const ast::IfBranch& branch : a.branches) {
      out.conditions.push_back(branch.condition ? expr(*branch.condition, scope) : kNoNode);
      std::vector<CompiledAction>& actions = out.arms.emplace_back();
      for (const ast::Action& inner : branch.actions)
        actions.push_back(action(inner, scope));
    }
    return out;
  }
  out.target = a.target.text;
  if (a.path) {
    out.target = "profile";
    for (size_t i = 1; i < a.path->path.size(); ++i) {
      out.path.push_back(a.path->path[i].name);
      out.target += '.';
      out.target += a.path->path[i].name;
    }
  }
  if (a.value) out.value = expr(*a.value, scope);
  if (out.value != kNoNode && p_.nodes[out.value].op == Op::kConst)
    out.constant = p_.consts[p_.nodes[out.value].a];
  const bool carries =
      out.op == ActionOp::kSend || out.op == ActionOp::kEmit || out.op == ActionOp::kRespond;
  if (carries && out.value == kNoNode) out.constant = Value::object({});
  return out;
}

void Compiler::declaration(const ast::Rule& r) {
  CompiledRule rule;
  compiling_ = &rule;
  rule.name = r.name.text;
  rule_slots_.clear();
  std::vector<ast::Limit> written;
  const Expr* cooldown_by = nullptr;
  std::vector<const Expr*> limits_by;
  std::vector<const ast::Quiet*> quiet;
  const Expr* goal = nullptr;
  for (const ast::RuleOption& o : r.options) {
    switch (o.kind) {
      case ast::RuleOptionKind::kPriority:
        rule.priority = o.priority;
        break;
      case ast::RuleOptionKind::kGroup:
        rule.group = groups_.at(o.name.text);
        rule.group_holdout_bp = p_.groups[static_cast<size_t>(rule.group)].holdout_bp;
        break;
      case ast::RuleOptionKind::kCooldown:
        rule.cooldown_ms = o.cooldown.ms;
        cooldown_by = o.by ? &*o.by : nullptr;
        break;
      case ast::RuleOptionKind::kLimit:
        written.push_back(o.limit);
        limits_by.push_back(o.by ? &*o.by : nullptr);
        break;
      case ast::RuleOptionKind::kPending:
        rule.pending = o.name.text == "first"  ? PendingMode::kFirst
                       : o.name.text == "each" ? PendingMode::kEach
                                               : PendingMode::kLatest;
        break;
      case ast::RuleOptionKind::kDisabled:
        rule.disabled = true;
        break;
      case ast::RuleOptionKind::kHoldout:
        rule.holdout_bp = lexical::basis_points(o.holdout);
        break;
      case ast::RuleOptionKind::kQuiet:
        quiet.push_back(&o.quiet);
        break;
      case ast::RuleOptionKind::kGoal:
        goal = &*o.goal;
        break;
    }
  }
  rule.limits = limits(written);
  rule.decide = r.trigger.decide;
  for (const ast::EventName& event : r.trigger.events)
    rule.triggers.push_back(event.text);
  const Scope scope{r.trigger.alias ? r.trigger.alias->text : std::string(), false};
  rule.keys = restriction_keys(cooldown_by, limits_by, scope);
  if (rule.group >= 0) {
    const GroupKeys& group = group_keys_[static_cast<size_t>(rule.group)];
    rule.group_keys = restriction_keys(group.cooldown, group.limits, scope);
    quiet.insert(quiet.end(), group.quiet.begin(), group.quiet.end());
  }
  if (goal != nullptr) {
    rule.goal = GoalSpec{goal->event.text,
                         goal->has_filter ? expr(goal->children.front(), Scope{"", true}) : kNoNode,
                         goal->window_length.ms, goal->window_length.text};
  }
  for (const ast::Quiet* q : quiet) {
    rule.quiet.push_back(
        {q->from.minutes, q->to.minutes, q->zone ? expr(*q->zone, scope) : kNoNode, q->drop});
  }

  std::string when_text;
  for (const std::string& trigger : rule.triggers)
    when_text += trigger + "|";
  when_text += scope.alias + "|" + (rule.decide ? "decide|" : "");
  if (r.condition) {
    when_text += print(*r.condition);
    collect_scores(*r.condition, rule.scores);
    std::vector<const Expr*> operands;
    ast::and_operands(*r.condition, operands);
    std::vector<uint32_t> scored;  // positions of the operands that ask a scorer
    for (const Expr* operand : operands) {
      const bool absence =
          operand->kind == ExprKind::kNo && operand->children.front().is_future_pattern();
      const Expr& pattern = absence ? operand->children.front() : *operand;
      if (pattern.is_future_pattern()) {
        FuturePattern future;
        future.event = pattern.event.text;
        future.absence = absence;
        future.within_ms = pattern.window_length.ms;
        if (pattern.has_filter)
          future.filter = expr(pattern.children.front(), Scope{scope.alias, true});
        rule.futures.push_back(std::move(future));
      } else {
        rule.operands.push_back(expr(*operand, scope));
        rule.operand_spans.push_back(operand->span);
        std::vector<std::string> asked;
        collect_scores(*operand, asked);
        (asked.empty() ? rule.test_order : scored)
            .push_back(static_cast<uint32_t>(rule.operands.size() - 1));
      }
    }
    rule.unscored_operands = static_cast<uint32_t>(rule.test_order.size());
    rule.test_order.insert(rule.test_order.end(), scored.begin(), scored.end());
  }
  for (const ast::Action& a : r.actions) {
    collect_action_scores(a, rule.scores);
    rule.actions.push_back(action(a, scope));
  }
  // A waiting rule's matches, and a deferred firing (quiet hours), keep these.
  if (!rule.futures.empty() || !rule.quiet.empty()) {
    rule.trigger_slots = rule_slots_;
    std::sort(rule.trigger_slots.begin(), rule.trigger_slots.end());
    rule.trigger_slots.erase(std::unique(rule.trigger_slots.begin(), rule.trigger_slots.end()),
                             rule.trigger_slots.end());
  }
  rule.waits = !rule.futures.empty();
  rule.experiment = rule.goal || rule.holdout_bp != 0 || rule.group_holdout_bp != 0 ||
                    std::any_of(rule.actions.begin(), rule.actions.end(),
                                [](const CompiledAction& a) { return a.op == ActionOp::kSplit; });
  rule.restricted =
      rule.cooldown_ms || !rule.limits.empty() || rule.group >= 0 || !rule.quiet.empty();
  rule.when_fingerprint = fnv1a(when_text);
  rule.fingerprint = fnv1a(print(ast::Declaration(r)));
  rule_indexing_.emplace_back();
  if (!rule.disabled) {
    // Decision rules are not indexed: a placement has a few rules, and a decision is a
    // step of its own.
    if (!rule.decide) rule_indexing_.back() = indexing(rule);
    for (uint32_t i = 0; i < rule.operands.size(); ++i) {
      const auto operand = static_cast<int32_t>(i);
      if (operand != rule.indexed_operand && operand != rule.bound_operand)
        rule.tests_operands = true;
    }
    for (const std::string& trigger : rule.triggers) {
      Program::EventPlan& plan = (rule.decide ? p_.decide_plans : p_.event_plans)[trigger];
      for (const uint32_t slot : rule_slots_) {
        if (std::find(plan.slots.begin(), plan.slots.end(), slot) == plan.slots.end())
          plan.slots.push_back(slot);
      }
    }
  }
  p_.version = fnv1a(std::to_string(rule.fingerprint), p_.version);
  compiling_ = nullptr;
  p_.rules.push_back(std::move(rule));
}

// The first top-level operand that is `trigger slot == constant` (either way round), or
// an `or` of such tests, keys the rule: it can hold only when one of the keys matches.
// No keys: the rule is always a candidate. Then the first other operand that bounds a
// trigger slot by a number narrows the candidates further.
Compiler::RuleIndexing Compiler::indexing(CompiledRule& rule) const {
  RuleIndexing out;
  if (!options_.candidate_indexes) return out;
  for (uint32_t i = 0; i < rule.operands.size(); ++i) {
    if (equality_keys(rule.operands[i], out.keys)) {
      rule.indexed_operand = static_cast<int32_t>(i);
      break;
    }
    out.keys.clear();
  }
  for (uint32_t i = 0; i < rule.operands.size(); ++i) {
    if (static_cast<int32_t>(i) == rule.indexed_operand) continue;
    if ((out.bound = bound_of(rule.operands[i]))) {
      rule.bound_operand = static_cast<int32_t>(i);
      break;
    }
  }
  return out;
}

// `slot > number` and the like, either way round (`5 < e.x` is `e.x > 5`).
std::optional<Compiler::RuleBound> Compiler::bound_of(uint32_t index) const {
  const Node& n = p_.nodes[index];
  if (n.op != Op::kLt && n.op != Op::kLe && n.op != Op::kGt && n.op != Op::kGe) return std::nullopt;
  const Node& l = p_.nodes[p_.child(n, 0)];
  const Node& r = p_.nodes[p_.child(n, 1)];
  const bool slot_left = l.op == Op::kTriggerPath && r.op == Op::kConst;
  const bool slot_right = r.op == Op::kTriggerPath && l.op == Op::kConst;
  if (!slot_left && !slot_right) return std::nullopt;
  const Value& constant = p_.consts[slot_left ? r.a : l.a];
  if (constant.kind() != Value::Kind::kNumber) return std::nullopt;
  const bool less = n.op == Op::kLt || n.op == Op::kLe;  // left < right
  return RuleBound{slot_left ? l.a : r.a, less == slot_left, n.op == Op::kLe || n.op == Op::kGe,
                   constant.as_number()};
}

// Constants whose value_key is equal exactly when `==` holds: scalars and lists of them
// (objects are equal whatever the order of their members; their keys are not).
bool Compiler::indexable(const Value& v) {
  if (v.kind() == Value::Kind::kList) {
    const List& items = v.as_list();
    return std::all_of(items.begin(), items.end(), indexable);
  }
  return v.kind() != Value::Kind::kObject;
}

bool Compiler::equality_keys(uint32_t index, std::vector<IndexKey>& keys) const {
  const Node& n = p_.nodes[index];
  if (n.op == Op::kOr) {
    for (uint32_t i = 0; i < n.count; ++i) {
      if (!equality_keys(p_.child(n, i), keys)) return false;
    }
    return n.count > 0;
  }
  if (n.op != Op::kEq) return false;
  const Node& l = p_.nodes[p_.child(n, 0)];
  const Node& r = p_.nodes[p_.child(n, 1)];
  const bool slot_left = l.op == Op::kTriggerPath && r.op == Op::kConst;
  if (!slot_left && !(r.op == Op::kTriggerPath && l.op == Op::kConst)) return false;
  const Value& constant = p_.consts[slot_left ? r.a : l.a];
  if (!indexable(constant)) return false;
  const uint32_t slot = slot_left ? l.a : r.a;
  if (constant.kind() == Value::Kind::kString)
    keys.push_back({slot, true, std::string(constant.as_string())});
  else
    keys.push_back({slot, false, value_key(constant)});
  return true;
}

namespace {

bool constant_send(const CompiledAction& a) {
  return (a.op == ActionOp::kSend || a.op == ActionOp::kRespond) && a.constant;
}

}  // namespace

// The records of a firing that is always the same, or the same per split arm, made once:
// they point into the rule's actions, whose place stays when the program is moved
// (vectors keep their buffer).
void Compiler::list_constant_actions(CompiledRule& rule) {
  const auto split = std::find_if(rule.actions.begin(), rule.actions.end(),
                                  [](const CompiledAction& a) { return a.op == ActionOp::kSplit; });
  size_t longest_arm = 0;
  if (split != rule.actions.end()) {
    for (const std::vector<CompiledAction>& arm : split->arms)
      longest_arm = std::max(longest_arm, arm.size());
  }
  const bool constant =
      rule.scores.empty() && rule.actions.size() + longest_arm <= UINT16_MAX &&
      std::all_of(rule.actions.begin(), rule.actions.end(), [](const CompiledAction& a) {
        return constant_send(a) || (a.op == ActionOp::kSplit &&
                                    std::all_of(a.arms.begin(), a.arms.end(), [](const auto& arm) {
                                      return std::all_of(arm.begin(), arm.end(), constant_send);
                                    }));
      });
  if (!constant) return;
  // Arm k's records; without a split, the rule's one list (k = 0).
  const auto list = [&](size_t k) {
    CompiledRule::ConstantArm span;
    span.first = static_cast<uint32_t>(p_.constant_actions.size());
    for (const CompiledAction& a : rule.actions) {
      if (a.op != ActionOp::kSplit) {
        p_.constant_actions.push_back({a.op, a.target, &*a.constant, nullptr});
        continue;
      }
      p_.constant_actions.push_back({a.op, a.target, &a.arm_numbers[k], nullptr});
      if (k == 0) continue;
      span.end_bp = a.arm_ends[k - 1];
      for (const CompiledAction& inner : a.arms[k - 1])
        p_.constant_actions.push_back({inner.op, inner.target, &*inner.constant, nullptr});
    }
    span.count = static_cast<uint16_t>(p_.constant_actions.size() - span.first);
    return span;
  };
  const CompiledRule::ConstantArm control = list(0);
  rule.constant_actions_first = control.first;
  rule.constant_actions_count = control.count;
  if (split == rule.actions.end()) return;
  rule.constant_arms.push_back(control);
  for (size_t k = 1; k <= split->arms.size(); ++k)
    rule.constant_arms.push_back(list(k));
}

void Compiler::add_heads(Program::EventPlan& plan) {
  for (const uint32_t index : plan.rules) {
    const CompiledRule& rule = p_.rules[index];
    Program::RuleHead& head = plan.heads.emplace_back();
    head.name = rule.name;
    head.priority = rule.priority;
    head.rule = index;
    if (rule.tests_operands || rule.waits || rule.restricted ||
        rule.constant_actions_first == kNoNode)
      continue;
    head.at_once = rule.experiment ? Program::AtOnce::kExperiment : Program::AtOnce::kPlain;
    head.records = {p_.constant_actions.data() + rule.constant_actions_first,
                    rule.constant_actions_count};
  }
}

void Compiler::add_to_plan(const std::string& event, uint32_t rule, const RuleIndexing& indexing) {
  Program::EventPlan& plan = p_.event_plans[event];
  std::vector<IndexLists>& lists = index_lists_[event];
  const auto position = static_cast<uint32_t>(plan.rules.size());
  plan.rules.push_back(rule);
  p_.max_rules_per_event = std::max(p_.max_rules_per_event, plan.rules.size());
  if (const auto& b = indexing.bound) {
    std::vector<BoundList>& bounds = bound_lists_[event];
    auto it = std::find_if(bounds.begin(), bounds.end(), [&b](const BoundList& list) {
      return list.slot == b->slot && list.upper == b->upper;
    });
    if (it == bounds.end()) it = bounds.insert(bounds.end(), BoundList{b->slot, b->upper, {}});
    it->bounds.push_back({b->value, b->inclusive, position});
  }
  if (indexing.keys.empty()) {
    plan.always.push_back(position);
    return;
  }
  for (const auto& [slot, text, key] : indexing.keys) {
    auto it =
        std::find_if(plan.indexes.begin(), plan.indexes.end(),
                     [slot = slot](const Program::EqualityIndex& i) { return i.slot == slot; });
    if (it == plan.indexes.end()) {
      it = plan.indexes.insert(plan.indexes.end(), Program::EqualityIndex{slot, {}, {}});
      lists.emplace_back();
    }
    IndexLists& keyed = lists[static_cast<size_t>(it - plan.indexes.begin())];
    std::vector<uint32_t>& positions = (text ? keyed.texts : keyed.others)[key];
    if (positions.empty() || positions.back() != position) positions.push_back(position);
  }
}

void Compiler::plan_goal_events() {
  for (uint32_t i = 0; i < p_.goal_events.size(); ++i)
    p_.event_plans[p_.goal_events[i]].goal_event = i;
}

std::shared_ptr<const Program> Compiler::run() {
  p_.version = fnv1a("spur");
  // Constants and groups first: rules may use them before their declaration.
  for (const ast::File& file : rule_set_.files) {
    for (const ast::Declaration& d : file.declarations) {
      if (const auto* c = std::get_if<ast::Const>(&d)) declaration(*c);
      if (const auto* g = std::get_if<ast::Group>(&d)) declaration(*g);
      if (const auto* m = std::get_if<ast::Model>(&d)) declaration(*m);
    }
  }
  for (const ast::File& file : rule_set_.files) {
    for (const ast::Declaration& d : file.declarations) {
      if (const auto* s = std::get_if<ast::Segment>(&d)) declaration(*s);
      if (const auto* r = std::get_if<ast::Rule>(&d)) declaration(*r);
    }
  }
  std::unordered_map<std::string, uint32_t> goal_events;  // name -> index in p_.goal_events
  for (CompiledRule& rule : p_.rules) {
    list_constant_actions(rule);
    rule.holdout_prefix = bucket_prefix("holdout", rule.name);
    if (rule.group >= 0)
      rule.group_holdout_prefix =
          bucket_prefix("holdout", p_.groups[static_cast<size_t>(rule.group)].name);
    rule.split_prefix = bucket_prefix("split", rule.name);
    rule.firing_prefix = firing_hash_prefix(rule.name);
    Program::GoalCheck& check = p_.goal_checks.emplace_back();
    if (rule.goal) {
      const auto [known, added] =
          goal_events.try_emplace(rule.goal->event, static_cast<uint32_t>(p_.goal_events.size()));
      if (added) p_.goal_events.push_back(rule.goal->event);
      check = {rule.goal->within_ms, rule.goal->filter, known->second};
    }
  }
  plan_goal_events();
  std::vector<uint32_t> order(p_.rules.size());
  for (uint32_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
    return p_.rules[a].priority > p_.rules[b].priority;
  });
  p_.agenda_rank.resize(order.size());
  for (uint32_t rank = 0; rank < order.size(); ++rank)
    p_.agenda_rank[order[rank]] = rank;
  // Each event's rules in agenda order: the activations of a step come out sorted.
  for (const uint32_t index : order) {
    const CompiledRule& rule = p_.rules[index];
    if (rule.disabled) continue;
    if (rule.decide) {
      Program::EventPlan& plan = p_.decide_plans[rule.triggers.front()];
      plan.always.push_back(static_cast<uint32_t>(plan.rules.size()));
      plan.rules.push_back(index);
      p_.max_rules_per_event = std::max(p_.max_rules_per_event, plan.rules.size());
      continue;
    }
    for (const std::string& trigger : rule.triggers)
      add_to_plan(trigger, index, rule_indexing_[index]);
  }
  // The rules are all in place: their names and records stay where they are now.
  for (auto& [event, plan] : p_.event_plans)
    add_heads(plan);
  for (auto& [placement, plan] : p_.decide_plans)
    add_heads(plan);
  for (auto& [event, lists] : index_lists_) {
    Program::EventPlan& plan = p_.event_plans[event];
    using Entries = std::vector<std::pair<std::string, std::vector<uint32_t>>>;
    for (size_t i = 0; i < lists.size(); ++i) {
      const size_t universe = plan.rules.size();
      plan.indexes[i].texts =
          KeyIndex(Entries(lists[i].texts.begin(), lists[i].texts.end()), universe);
      plan.indexes[i].others =
          KeyIndex(Entries(lists[i].others.begin(), lists[i].others.end()), universe);
    }
  }
  for (auto& [event, lists] : bound_lists_) {
    Program::EventPlan& plan = p_.event_plans[event];
    for (const BoundList& list : lists) {
      const BoundIndex& index =
          plan.bounds.emplace_back(list.slot, list.upper, list.bounds, plan.rules.size());
      for (size_t i = 0; i < index.size(); ++i) {
        Program::RuleHead& head = plan.heads[index.positions()[i]];
        head.bound = static_cast<uint32_t>(plan.bounds.size() - 1);
        head.bound_threshold = index.thresholds()[i];
      }
    }
  }
  return std::make_shared<const Program>(std::move(p_));
}

}  // namespace

std::shared_ptr<const Program> compile(const CheckedRuleSet& rule_set, CompileOptions options) {
  return Compiler(rule_set, options).run();
}

}  // namespace spur
