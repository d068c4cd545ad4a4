// Declarations: unique names, groups, rule options, triggers and actions
// (language.md sections 3, 8, 10 and 13), and the driver of the checker.
#include <algorithm>
#include <cstdio>

#include "check/checker.hpp"
#include "grammar/lexical.hpp"
#include "grammar/suggest.hpp"
#include "time/quiet_hours.hpp"

namespace spur {
namespace {

using ast::ActionKind;
using ast::RuleOptionKind;

const char* option_name(RuleOptionKind kind) {
  switch (kind) {
    case RuleOptionKind::kPriority:
      return "priority";
    case RuleOptionKind::kGroup:
      return "group";
    case RuleOptionKind::kCooldown:
      return "cooldown";
    case RuleOptionKind::kLimit:
      return "limit";
    case RuleOptionKind::kPending:
      return "pending";
    case RuleOptionKind::kDisabled:
      return "disabled";
    case RuleOptionKind::kQuiet:
      return "quiet";
    case RuleOptionKind::kHoldout:
      return "holdout";
    case RuleOptionKind::kGoal:
      return "goal";
  }
  return "?";
}

ValueType literal_type(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::kNumber:
      return ValueType::kNumber;
    case ast::ExprKind::kString:
      return ValueType::kString;
    case ast::ExprKind::kDuration:
      return ValueType::kDuration;
    case ast::ExprKind::kBool:
      return ValueType::kBool;
    case ast::ExprKind::kNull:
      return ValueType::kNull;
    case ast::ExprKind::kList:
      return ValueType::kList;
    default:
      return ValueType::kUnknown;
  }
}

template <typename T>
const char* kind_name() {
  if constexpr (std::is_same_v<T, ast::Const>) return "constant";
  if constexpr (std::is_same_v<T, ast::Group>) return "group";
  if constexpr (std::is_same_v<T, ast::Segment>) return "segment";
  if constexpr (std::is_same_v<T, ast::Model>) return "model";
  if constexpr (std::is_same_v<T, ast::EventDecl>) return "event";
  return "rule";
}

// Whether the action, or one inside it (a split's arm, an if's branch), is a `respond`.
bool may_respond(const ast::Action& a) {
  const auto any = [](const std::vector<ast::Action>& actions) {
    return std::any_of(actions.begin(), actions.end(), may_respond);
  };
  return a.kind == ast::ActionKind::kRespond ||
         std::any_of(a.arms.begin(), a.arms.end(),
                     [&](const auto& arm) { return any(arm.actions); }) ||
         std::any_of(a.branches.begin(), a.branches.end(),
                     [&](const auto& branch) { return any(branch.actions); });
}

}  // namespace

std::string Checker::where(Span span) const {
  const SourceFile& file = sources_.file(span.file);
  const LineColumn at = file.line_column(span.begin);
  return file.path() + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

void Checker::collect(const std::vector<ParsedFile>& files) {
  for (const ParsedFile& parsed : files) {
    broken_names_.insert(parsed.broken_names.begin(), parsed.broken_names.end());
    for (const ast::Declaration& d : parsed.file.declarations) {
      std::visit(
          [&](const auto& decl) {
            using T = std::decay_t<decltype(decl)>;
            auto& table = std::is_same_v<T, ast::Const>       ? consts_
                          : std::is_same_v<T, ast::Group>     ? groups_
                          : std::is_same_v<T, ast::Segment>   ? segments_
                          : std::is_same_v<T, ast::Model>     ? models_
                          : std::is_same_v<T, ast::EventDecl> ? events_
                                                              : rules_;
            const auto [it, inserted] = table.emplace(decl.name.text, decl.name.span);
            if (!inserted) {
              diagnostics_.error(
                  decl.name.span,
                  std::string("duplicate ") + kind_name<T>() + " `" + decl.name.text + "`",
                  "the first is declared at " + where(it->second) +
                      "; names are unique per kind across all loaded files");
              return;
            }
            if constexpr (std::is_same_v<T, ast::Const>) {
              const_types_[decl.name.text] = literal_type(decl.value);
              const_names_.push_back(decl.name.text);
              ++counts_.consts;
            } else if constexpr (std::is_same_v<T, ast::Group>) {
              group_names_.push_back(decl.name.text);
              ++counts_.groups;
            } else if constexpr (std::is_same_v<T, ast::Segment>) {
              segment_names_.push_back(decl.name.text);
              ++counts_.segments;
            } else if constexpr (std::is_same_v<T, ast::Model>) {
              model_names_.push_back(decl.name.text);
              ++counts_.models;
            } else if constexpr (std::is_same_v<T, ast::EventDecl>) {
              catalog_event(decl);
            } else {
              for (const ast::EventName& event : decl.trigger.events)
                event_names_.insert(event.text);
              ++counts_.rules;
            }
          },
          d);
    }
  }
}

void Checker::check(const ast::Declaration& declaration) {
  std::visit([this](const auto& decl) { check_decl(decl); }, declaration);
}

void Checker::finish() {
  for (const std::string& group : group_names_) {
    if (!used_groups_.count(group)) {
      diagnostics_.warning(groups_.at(group), "group `" + group + "` has no rules",
                           "add `group " + group + "` to a rule's options, or remove the group");
    }
  }
  if (catalog_.empty()) warn_used_once();
}

void Checker::warn_used_once() {
  std::unordered_map<std::string, size_t> uses;
  std::vector<std::string> names;  // in order of first use, for the ties of "closest"
  for (const auto& [name, span] : event_uses_) {
    if (uses[name]++ == 0) names.push_back(name);
  }
  for (const auto& [name, span] : event_uses_) {
    if (uses[name] != 1) continue;
    // The closest other name within two edits, fewer than the name has characters (`a`
    // is one edit from `b` but no typo of it); ties go to the earlier used.
    const std::string* near = nullptr;
    size_t best = std::min<size_t>(3, name.size());
    for (const std::string& other : names) {
      if (other == name) continue;
      const size_t distance = edit_distance(name, other);
      if (distance < best) {
        best = distance;
        near = &other;
      }
    }
    if (near == nullptr) continue;
    diagnostics_.warning(
        span,
        "`" + lexical::quote_if_needed(name) + "` is used only here; did you mean `" +
            lexical::quote_if_needed(*near) + "`?",
        "an event name used once is often a typo; if `" + lexical::quote_if_needed(name) +
            "` is right, the warning goes once a second rule uses it");
  }
}

void Checker::check_decl(const ast::Const& c) {
  if (c.name.text == "event" || c.name.text == "profile") {
    diagnostics_.error(c.name.span, "a constant cannot be named `" + c.name.text + "`",
                       "`" + c.name.text + "` already names the " +
                           (c.name.text == "event" ? "trigger event" : "user's profile"));
  }
}

void Checker::check_limit(const ast::Limit& limit) {
  if (limit.count < 1) {
    diagnostics_.error(limit.count_span, "a limit allows at least 1 firing",
                       "write `limit 1 per 1d` or more");
  }
  if (limit.period.valid && limit.period.ms <= 0) {
    diagnostics_.error(limit.period.span, "a limit's period must be longer than zero",
                       "write a duration such as `7d`");
  }
}

void Checker::check_cooldown(const ast::Duration& cooldown) {
  if (cooldown.valid && cooldown.ms <= 0) {
    diagnostics_.error(cooldown.span, "a cooldown must be longer than zero",
                       "write a duration such as `3d`");
  }
}

void Checker::check_holdout(double percent, Span span) {
  if (percent <= 0 || percent >= 100 || !lexical::whole_basis_points(percent)) {
    diagnostics_.error(span, "a holdout must be above 0% and below 100%, with at most two decimals",
                       "for example `holdout 10%` keeps a tenth of the users out");
  }
}

void Checker::warn_own_window(const ast::Rule& r) {
  std::vector<const ast::Expr*> operands;
  ast::and_operands(*r.condition, operands);
  for (const ast::Expr* operand : operands) {
    if (operand->kind != ast::ExprKind::kNo && operand->kind != ast::ExprKind::kNot) continue;
    const ast::Expr& pattern = operand->children.front();
    if (pattern.kind != ast::ExprKind::kPattern || pattern.has_filter ||
        pattern.window == ast::WindowKind::kWithin)
      continue;
    const auto triggered = std::any_of(
        r.trigger.events.begin(), r.trigger.events.end(),
        [&](const ast::EventName& e) { return !r.trigger.decide && e.text == pattern.event.text; });
    if (!triggered) continue;
    const std::string& name = pattern.event.text;
    const std::string shown = lexical::is_plain_identifier(name) ? name : lexical::quote(name);
    const std::string window = pattern.window == ast::WindowKind::kLast
                                   ? "in last " + pattern.window_length.text
                                   : std::string("in session");
    diagnostics_.warning(operand->span,
                         "this never holds: the rule is triggered by `" + shown +
                             "`, and the trigger is in its own window",
                         "to ask whether it is the first `" + shown + "` " + window +
                             ", write `count(" + shown + " " + window + ") == 1`");
  }
}

void Checker::check_goal(const ast::Expr& goal) {
  if (goal.window_length.valid && goal.window_length.ms <= 0) {
    diagnostics_.error(goal.window_length.span, "a goal's window must be longer than zero",
                       "for example `goal purchase within 7d`");
  }
  use_event(goal.event.text, goal.event.span);
  // The filter reads the goal event's properties (bare names) and the profile as they are
  // when it comes; the firing's trigger is gone by then.
  Scope scope;
  scope.place = Scope::Place::kKey;
  filter(goal, scope);
}

void Checker::check_quiet(const ast::Quiet& quiet, const Scope& zone_scope) {
  if (quiet.from.minutes == quiet.to.minutes) {
    diagnostics_.error(quiet.to.span, "quiet hours must end at another time than they start",
                       "for example `quiet 22:00..08:00`, which wraps midnight");
  }
  if (quiet.zone) zone(*quiet.zone, zone_scope);
}

void Checker::check_decl(const ast::Group& g) {
  // A group's `by` reads the trigger of whichever of its rules fires, through `event`.
  Scope key_scope;
  key_scope.place = Scope::Place::kKey;
  key_scope.has_event = true;
  for (const ast::GroupOption& o : g.options) {
    if (o.by) expr(*o.by, key_scope);
  }
  bool exclusive = false;
  bool quiet = false;
  bool cooldown = false;
  bool holdout = false;
  for (const ast::GroupOption& o : g.options) {
    switch (o.kind) {
      case ast::GroupOptionKind::kExclusive:
        if (exclusive)
          diagnostics_.warning(o.span, "`exclusive` is given twice in group `" + g.name.text + "`",
                               "keep one");
        exclusive = true;
        break;
      case ast::GroupOptionKind::kCooldown:
        if (cooldown) {
          diagnostics_.error(o.span, "`cooldown` is given twice in group `" + g.name.text + "`",
                             "keep one");
        } else {
          check_cooldown(o.cooldown);
        }
        cooldown = true;
        break;
      case ast::GroupOptionKind::kLimit:
        check_limit(o.limit);
        break;
      case ast::GroupOptionKind::kQuiet:
        if (quiet) {
          diagnostics_.error(o.span, "`quiet` is given twice in group `" + g.name.text + "`",
                             "keep one");
        } else {
          check_quiet(o.quiet, key_scope);
        }
        quiet = true;
        break;
      case ast::GroupOptionKind::kHoldout:
        if (holdout) {
          diagnostics_.error(o.span, "`holdout` is given twice in group `" + g.name.text + "`",
                             "keep one");
        } else {
          check_holdout(o.holdout, o.value_span);
        }
        holdout = true;
        break;
    }
  }
}

void Checker::check_decl(const ast::Segment& s) {
  Scope scope;
  scope.place = Scope::Place::kSegment;
  condition(s.condition, scope);
}

void Checker::check_decl(const ast::Model& m) {
  Scope scope;
  scope.place = Scope::Place::kFeature;
  std::unordered_set<std::string> names;
  for (const ast::Feature& f : m.features) {
    if (!names.insert(f.name.text).second) {
      diagnostics_.error(f.name.span,
                         "duplicate feature `" + f.name.text + "` in model `" + m.name.text + "`",
                         "keep one feature per name");
    }
    expr(f.value, scope);
  }
}

void Checker::check_rule_options(const ast::Rule& r) {
  bool seen[static_cast<size_t>(RuleOptionKind::kGoal) + 1] = {};
  for (const ast::RuleOption& o : r.options) {
    const auto index = static_cast<size_t>(o.kind);
    const char* name = option_name(o.kind);
    if (seen[index] && o.kind != RuleOptionKind::kLimit) {
      diagnostics_.error(o.span,
                         std::string("`") + name + "` is given twice in rule `" + r.name.text + "`",
                         "keep one");
      continue;
    }
    seen[index] = true;
    switch (o.kind) {
      case RuleOptionKind::kPriority:
        break;
      case RuleOptionKind::kGroup:
        if (groups_.count(o.name.text)) {
          used_groups_.insert(o.name.text);
        } else if (!broken_names_.count(o.name.text)) {
          const std::string close = closest(o.name.text, group_names_);
          diagnostics_.error(o.name.span, "unknown group `" + o.name.text + "`",
                             close.empty() ? "declare it: `group " + o.name.text + " ... end`"
                                           : "did you mean `" + close + "`?");
        }
        break;
      case RuleOptionKind::kCooldown:
        check_cooldown(o.cooldown);
        break;
      case RuleOptionKind::kLimit:
        check_limit(o.limit);
        break;
      case RuleOptionKind::kPending:
        if (o.name.text != "latest" && o.name.text != "first" && o.name.text != "each") {
          const std::string close = closest(o.name.text, {"latest", "first", "each"});
          diagnostics_.error(o.name.span, "unknown pending mode `" + o.name.text + "`",
                             close.empty() ? "the modes are `latest`, `first` and `each`"
                                           : "did you mean `" + close + "`?");
        }
        break;
      case RuleOptionKind::kDisabled:
        diagnostics_.warning(o.span, "rule `" + r.name.text + "` is disabled and never fires",
                             "it is still checked; remove `disabled` to let it fire");
        break;
      case RuleOptionKind::kHoldout:
        check_holdout(o.holdout, o.value_span);
        break;
      case RuleOptionKind::kQuiet:
        break;  // its zone is read in the rule's scope: check_decl checks it
      case RuleOptionKind::kGoal:
        check_goal(*o.goal);
        break;
    }
  }
}

void Checker::check_decl(const ast::Rule& r) {
  check_rule_options(r);
  const ast::Trigger& t = r.trigger;
  for (const ast::EventName& event : t.events) {
    if (!t.decide) use_event(event.text, event.span);
  }
  Scope scope;
  scope.place = t.decide ? Scope::Place::kDecide : Scope::Place::kRule;
  scope.has_event = true;
  if (!t.decide) scope.trigger = t.events;
  if (t.alias) {
    const std::string& alias = t.alias->text;
    if (alias == "event" || alias == "profile" || consts_.count(alias)) {
      diagnostics_.error(
          t.alias->span,
          "the alias `" + alias + "` would hide " +
              (alias == "event"     ? std::string("`event`")
               : alias == "profile" ? "the profile"
                                    : "the constant `" + alias + "`"),
          "choose another name, such as `" + std::string(t.decide ? "req" : "e") + "`");
    } else {
      scope.alias = alias;
    }
  }
  const size_t futures = r.condition ? condition(*r.condition, scope) : 0;
  if (r.condition) warn_own_window(r);
  const auto pending =
      std::find_if(r.options.begin(), r.options.end(),
                   [](const ast::RuleOption& o) { return o.kind == RuleOptionKind::kPending; });
  if (pending != r.options.end() && futures == 0 && !t.decide) {
    diagnostics_.warning(
        pending->span, "`pending` has no effect: rule `" + r.name.text + "` does not wait",
        "it applies to rules with a future pattern such as `no purchase within 24h`");
  }
  Scope key_scope = scope;
  key_scope.place = Scope::Place::kKey;
  for (const ast::RuleOption& o : r.options) {
    if (o.by) expr(*o.by, key_scope);
    if (o.kind == RuleOptionKind::kQuiet) check_quiet(o.quiet, key_scope);
  }
  Scope action_scope = scope;
  action_scope.place = Scope::Place::kAction;
  bool responds = false;
  const ast::Action* split = nullptr;
  for (const ast::Action& a : r.actions) {
    check_action(a, action_scope, r);
    responds = responds || may_respond(a);
    if (a.kind != ActionKind::kSplit) continue;
    if (split != nullptr) {
      diagnostics_.error(a.span, "rule `" + r.name.text + "` has a second `split`",
                         "a rule has at most one split: put every arm in the first");
    }
    split = &a;
  }
  if (t.decide && !responds) {
    diagnostics_.warning(r.name.span, "decision rule `" + r.name.text + "` never responds",
                         "add `respond { ... }` with the answer for the placement");
  }
}

void Checker::check_profile_target(const ast::Action& a) {
  const std::string verb = a.kind == ActionKind::kSet     ? "set"
                           : a.kind == ActionKind::kUnset ? "unset"
                                                          : "increment";
  const ast::Expr& target = *a.path;
  if (target.path.front().name != "profile") {
    diagnostics_.error(
        target.span, "`" + verb + "` can only change the profile",
        "write `" + verb + " profile." + target.path.back().name + "`; events cannot be changed");
  } else if (target.path.size() == 1) {
    diagnostics_.error(target.span, "`" + verb + "` needs an attribute of the profile",
                       "write `" + verb + " profile.NAME`");
  } else if (target.path[1].envelope) {
    diagnostics_.error(target.path[1].span, "`@" + target.path[1].name +
                                                "` is kept by the engine and cannot be changed");
  } else if (target.path[1].name == "segments") {
    diagnostics_.error(target.span,
                       "`profile.segments` is kept by the engine and cannot be changed",
                       "segment membership follows each segment's condition");
  } else {
    for (const ast::PathMember& member : target.path) {
      if (member.envelope) {
        diagnostics_.error(member.span, "`@" + member.name + "` cannot be changed");
      }
    }
  }
}

void Checker::check_if(const ast::Action& a, const Scope& scope, const ast::Rule& rule) {
  for (const ast::IfBranch& branch : a.branches) {
    if (branch.condition) condition(*branch.condition, scope);
    for (const ast::Action& inner : branch.actions) {
      if (inner.kind == ActionKind::kSplit) {
        diagnostics_.error(inner.span, "a `split` cannot stand inside an `if`",
                           "put the `if` inside the split's arms instead: a user's arm must not "
                           "depend on a condition");
        continue;
      }
      check_action(inner, scope, rule);
    }
  }
}

void Checker::check_split(const ast::Action& a, const Scope& scope, const ast::Rule& rule) {
  if (a.arms.empty()) {
    diagnostics_.error(a.span, "this `split` has no arm",
                       "write arms as `split { 50%: send email {...} 50%: send sms {...} }`");
  }
  double total = 0;
  for (const ast::SplitArm& arm : a.arms) {
    total += arm.percent;
    if (arm.percent <= 0 || !lexical::whole_basis_points(arm.percent)) {
      diagnostics_.error(arm.span, "an arm's share must be above 0% with at most two decimals",
                         "remove the arm, or give it a share such as `10%` or `12.5%`");
    }
    for (const ast::Action& inner : arm.actions) {
      if (inner.kind == ActionKind::kSplit) {
        diagnostics_.error(inner.span, "a `split` cannot stand inside another split's arm",
                           "split the arm's share among more arms of the outer split instead");
        continue;
      }
      check_action(inner, scope, rule);
    }
  }
  if (total > 100 + 1e-9) {
    char shares[32];
    std::snprintf(shares, sizeof shares, "%g%%", total);
    diagnostics_.error(a.span, std::string("the arms' shares add up to ") + shares + ", over 100%",
                       "lower them; what they leave under 100% is the control, which gets "
                       "none of the split's actions");
  }
}

void Checker::check_action(const ast::Action& a, const Scope& scope, const ast::Rule& rule) {
  Scope value_scope = scope;
  value_scope.objects_allowed = true;
  switch (a.kind) {
    case ActionKind::kSend:
      if (a.value) expr(*a.value, value_scope);
      check_adapter(a, rule);
      break;
    case ActionKind::kEmit:
      use_event(a.target.text, a.target.span);
      for (const ast::EventName& trigger : rule.trigger.events) {
        if (!rule.trigger.decide && !trigger.text.empty() && trigger.text == a.target.text) {
          diagnostics_.warning(
              a.target.span,
              "rule `" + rule.name.text + "` emits `" + a.target.text +
                  "`, which triggers it again",
              "the chain stops at max_emit_depth (8) levels; emit another event name");
        }
      }
      if (a.value) expr(*a.value, value_scope);
      break;
    case ActionKind::kSet:
      check_profile_target(a);
      expr(*a.value, value_scope);
      break;
    case ActionKind::kUnset:
      check_profile_target(a);
      break;
    case ActionKind::kIncrement:
      check_profile_target(a);
      if (a.value) {
        const ValueType t = expr(*a.value, scope);
        if (t != ValueType::kUnknown && t != ValueType::kNumber) {
          diagnostics_.warning(a.value->span,
                               std::string("`increment` by ") + type_name(t) + " changes nothing",
                               "increment by a number");
        }
      }
      break;
    case ActionKind::kRespond:
      if (!rule.trigger.decide) {
        diagnostics_.error(
            a.span, "`respond` is allowed only in `decide` rules",
            "a decision rule starts with `when decide PLACEMENT`; to notify someone, use `send`");
      }
      expr(*a.value, value_scope);
      break;
    case ActionKind::kSplit:
      check_split(a, scope, rule);
      break;
    case ActionKind::kIf:
      check_if(a, scope, rule);
      break;
  }
}

void Checker::check_adapter(const ast::Action& send, const ast::Rule& rule) {
  if (!context_.adapters) return;
  const std::vector<std::string>& adapters = *context_.adapters;
  if (std::find(adapters.begin(), adapters.end(), send.target.text) != adapters.end()) return;
  std::string known;
  for (const std::string& adapter : adapters)
    known += (known.empty() ? "`" : ", `") + adapter + "`";
  const std::string close = closest(send.target.text, adapters);
  diagnostics_.warning(send.target.span,
                       "rule `" + rule.name.text + "` sends to `" + send.target.text +
                           "`, which is not an adapter under `actions` in " + context_.config_path +
                           "; `spur serve` refuses to start with it",
                       close.empty() ? "configure it there, or send to one of " + known
                                     : "did you mean `" + close + "`?");
}

CheckedRuleSet check_rule_set(const SourceSet& sources, Diagnostics& diagnostics,
                              const CheckContext& context) {
  std::vector<ParsedFile> parsed;
  parsed.reserve(sources.size());
  for (uint32_t i = 0; i < sources.size(); ++i)
    parsed.push_back(parse(sources, i, diagnostics));
  Checker checker(sources, diagnostics, context);
  checker.collect(parsed);
  for (const ParsedFile& file : parsed) {
    for (const ast::Declaration& d : file.file.declarations)
      checker.check(d);
  }
  checker.finish();
  diagnostics.sort();
  CheckedRuleSet result;
  result.counts = checker.counts();
  for (ParsedFile& file : parsed)
    result.files.push_back(std::move(file.file));
  return result;
}

}  // namespace spur
