// Expressions: names in scope, functions and arity, where patterns may stand
// (language.md sections 4, 5 and 13), and type clashes the checker can see (warnings).
#include <re2/re2.h>

#include <charconv>

#include "check/checker.hpp"
#include "grammar/lexical.hpp"
#include "grammar/printer.hpp"
#include "grammar/suggest.hpp"
#include "time/quiet_hours.hpp"
#include "time/time_text.hpp"

namespace spur {
namespace {

using ast::BinaryOp;
using ast::Expr;
using ast::ExprKind;

bool is_future(const Expr& e) {
  return e.is_future_pattern() ||
         (e.kind == ExprKind::kNo && e.children.front().is_future_pattern());
}

bool looks_numeric(const Expr& e) {
  if (e.kind != ExprKind::kString || e.text.empty()) return false;
  double value = 0;
  const auto r = std::from_chars(e.text.data(), e.text.data() + e.text.size(), value);
  return r.ec == std::errc() && r.ptr == e.text.data() + e.text.size();
}

bool is_ordering(BinaryOp op) {
  return op == BinaryOp::kLt || op == BinaryOp::kLe || op == BinaryOp::kGt || op == BinaryOp::kGe;
}

const char* op_symbol(const Expr& e) {
  return e.kind == ExprKind::kBetween ? "between" : operator_text(e.op);
}

bool known(ValueType t) {
  return t != ValueType::kUnknown;
}

// Ordering applies to these types only; anything else makes `<` false.
bool orderable(ValueType t) {
  return t == ValueType::kUnknown || t == ValueType::kNumber || t == ValueType::kString ||
         t == ValueType::kTime || t == ValueType::kDuration;
}

}  // namespace

size_t Checker::condition(const Expr& e, const Scope& scope) {
  std::vector<const Expr*> operands;
  ast::and_operands(e, operands);
  const bool future_allowed = scope.place == Scope::Place::kRule;
  size_t futures = 0;
  for (const Expr* operand : operands) {
    if (future_allowed && is_future(*operand)) {
      ++futures;
      pattern(operand->kind == ExprKind::kNo ? operand->children.front() : *operand, scope, true);
    } else {
      boolean(*operand, scope);
    }
  }
  return futures;
}

void Checker::boolean(const Expr& e, const Scope& scope) {
  const ValueType t = expr(e, scope);
  if (known(t) && t != ValueType::kBool) {
    diagnostics_.warning(e.span,
                         std::string("this condition is ") + type_name(t) + ", so it is never true",
                         "only `true` is true; compare the value, for example `x > 0`");
  }
  if (e.kind == ExprKind::kBool && !e.boolean) {
    diagnostics_.warning(e.span, "this condition is always false",
                         "remove it, or mark the rule `disabled` to switch it off");
  }
}

ValueType Checker::expr(const Expr& e, const Scope& scope) {
  switch (e.kind) {
    case ExprKind::kNumber:
      return ValueType::kNumber;
    case ExprKind::kString:
      return ValueType::kString;
    case ExprKind::kDuration:
      return ValueType::kDuration;
    case ExprKind::kBool:
      return ValueType::kBool;
    case ExprKind::kNull:
      return ValueType::kNull;
    case ExprKind::kList:
      for (const Expr& item : e.children)
        expr(item, scope);
      return ValueType::kList;
    case ExprKind::kObject: {
      if (!scope.objects_allowed) {
        diagnostics_.error(
            e.span, "object literals are allowed only in action values",
            "use an object as the payload of `send`, `emit` or `respond`, or as a value of `set`");
      }
      std::unordered_set<std::string> keys;
      for (size_t i = 0; i < e.children.size(); ++i) {
        if (!keys.insert(e.keys[i].text).second) {
          diagnostics_.error(e.keys[i].span, "duplicate key `" + e.keys[i].text + "` in object",
                             "keep one entry per key");
        }
        expr(e.children[i], scope);
      }
      return ValueType::kObject;
    }
    case ExprKind::kPath:
      return path(e, scope);
    case ExprKind::kCall:
      return call(e, scope);
    case ExprKind::kNot: {
      Scope inner = scope.operand();
      inner.under = Scope::Under::kNot;
      boolean(e.children.front(), inner);
      return ValueType::kBool;
    }
    case ExprKind::kNo: {
      // `no` before a past pattern means `not` (section 13).
      Scope inner = scope.operand();
      if (!e.children.front().is_future_pattern()) inner.under = Scope::Under::kNot;
      pattern(e.children.front(), inner, false);
      return ValueType::kBool;
    }
    case ExprKind::kNeg: {
      const ValueType t = expr(e.children.front(), scope.operand());
      if (known(t) && t != ValueType::kNumber && t != ValueType::kDuration) {
        diagnostics_.warning(e.span, std::string("`-` before ") + type_name(t) + " yields null",
                             "negation applies to numbers and durations");
        return ValueType::kUnknown;
      }
      return t;
    }
    case ExprKind::kBinary:
      return binary(e, scope);
    case ExprKind::kBetween: {
      const Scope inner = scope.operand();
      const ValueType v = expr(e.children[0], inner);
      const ValueType lo = expr(e.children[1], inner);
      const ValueType hi = expr(e.children[2], inner);
      compare_types(e, e.children[0], v, e.children[1], lo);
      compare_types(e, e.children[0], v, e.children[2], hi);
      return ValueType::kBool;
    }
    case ExprKind::kMatches: {
      const ValueType t = expr(e.children.front(), scope.operand());
      if (known(t) && t != ValueType::kString) {
        diagnostics_.warning(e.span,
                             std::string("`matches` on ") + type_name(t) + " is always false",
                             "`matches` tests strings");
      }
      const RE2 regex(e.text, RE2::Quiet);
      if (!regex.ok()) {
        diagnostics_.error(e.name_span, "invalid regular expression: " + regex.error(),
                           "`matches` takes RE2 syntax; escape special characters with `\\\\`");
      }
      return ValueType::kBool;
    }
    case ExprKind::kIsNull:
      expr(e.children.front(), scope.operand());
      return ValueType::kBool;
    case ExprKind::kPattern:
      return pattern(e, scope, false);
    case ExprKind::kAggregate:
      return aggregate(e, scope);
  }
  return ValueType::kUnknown;
}

ValueType Checker::binary(const Expr& e, const Scope& scope) {
  Scope inner = scope.operand();
  if (e.op == BinaryOp::kOr || e.op == BinaryOp::kAnd) {
    if (e.op == BinaryOp::kOr) inner.under = Scope::Under::kOr;
    for (const Expr& child : e.children)
      boolean(child, inner);
    return ValueType::kBool;
  }
  const Expr& left = e.children[0];
  const Expr& right = e.children[1];
  // A bare word compared with `==` or looked up with `in` is most likely text without its
  // quotes: `s.segment == high_value`.
  const bool equality = e.op == BinaryOp::kEq || e.op == BinaryOp::kNe || e.op == BinaryOp::kIn ||
                        e.op == BinaryOp::kNotIn || e.op == BinaryOp::kContains;
  const ValueType lt = equality ? compared(left, inner) : expr(left, inner);
  const ValueType rt = equality ? compared(right, inner) : expr(right, inner);
  switch (e.op) {
    case BinaryOp::kEq:
    case BinaryOp::kNe:
    case BinaryOp::kLt:
    case BinaryOp::kLe:
    case BinaryOp::kGt:
    case BinaryOp::kGe:
      compare_types(e, left, lt, right, rt);
      return ValueType::kBool;
    case BinaryOp::kIn:
    case BinaryOp::kNotIn:
      if (rt == ValueType::kNumber || rt == ValueType::kBool || rt == ValueType::kNull ||
          rt == ValueType::kDuration || rt == ValueType::kTime) {
        diagnostics_.warning(right.span, std::string("`in` ") + type_name(rt) + " is always false",
                             "`in` looks in a list, or for a substring in a string");
      }
      if (left.kind == ExprKind::kString) segment_reference_in(left, right);
      return ValueType::kBool;
    case BinaryOp::kContains:
      if (lt == ValueType::kNumber || lt == ValueType::kBool || lt == ValueType::kNull ||
          lt == ValueType::kDuration || lt == ValueType::kTime) {
        diagnostics_.warning(left.span,
                             std::string("`contains` on ") + type_name(lt) + " is always false",
                             "`contains` looks in a list, or for a substring in a string");
      }
      if (right.kind == ExprKind::kString) segment_reference_in(right, left);
      return ValueType::kBool;
    default:
      break;
  }
  // Arithmetic: numbers; time - time is a duration; time +- duration is a time.
  const auto arithmetic = [](ValueType t) {
    return t == ValueType::kUnknown || t == ValueType::kNumber || t == ValueType::kTime ||
           t == ValueType::kDuration;
  };
  for (const auto& [operand, type] : {std::pair{&left, lt}, std::pair{&right, rt}}) {
    if (!arithmetic(type)) {
      diagnostics_.warning(operand->span,
                           std::string("arithmetic on ") + type_name(type) + " yields null",
                           "arithmetic applies to numbers, and to times and durations");
      return ValueType::kUnknown;  // reported once, not again by every enclosing operator
    }
  }
  if (lt == ValueType::kTime && rt == ValueType::kTime) {
    return e.op == BinaryOp::kSub ? ValueType::kDuration : ValueType::kNull;
  }
  if (lt == ValueType::kTime || rt == ValueType::kTime) return ValueType::kTime;
  if (lt == ValueType::kNumber && rt == ValueType::kNumber) return ValueType::kNumber;
  return ValueType::kUnknown;
}

void Checker::compare_types(const Expr& e, const Expr& left, ValueType lt, const Expr& right,
                            ValueType rt) {
  const bool ordering = e.kind == ExprKind::kBetween || is_ordering(e.op);
  const std::string op = std::string("`") + op_symbol(e) + "`";
  if (ordering) {
    for (const auto& [side, type] : {std::pair{&left, lt}, std::pair{&right, rt}}) {
      if (!orderable(type)) {
        diagnostics_.warning(side->span, op + " with " + type_name(type) + " is always false",
                             type == ValueType::kNull
                                 ? "use `is null` to test for a missing value"
                                 : "ordering compares numbers, strings, times and durations");
        return;
      }
    }
    for (const auto& [side, other] : {std::pair{&left, rt}, std::pair{&right, lt}}) {
      if (looks_numeric(*side) && (other == ValueType::kUnknown || other == ValueType::kNumber)) {
        diagnostics_.warning(
            side->span,
            "the string " + lexical::quote(side->text) + " is compared as text, not as a number",
            "write " + side->text + " without quotes to compare numbers");
        return;
      }
    }
  }
  if (!known(lt) || !known(rt) || lt == rt) return;
  if (lt == ValueType::kNull || rt == ValueType::kNull) return;  // `x == null` tests for missing
  // A string holding an RFC 3339 time compares as a time (section 13).
  for (const auto& [side, type, other] : {std::tuple{&left, lt, rt}, std::tuple{&right, rt, lt}}) {
    if (type == ValueType::kString && other == ValueType::kTime) {
      if (side->kind == ExprKind::kString && !parse_rfc3339(side->text)) {
        diagnostics_.warning(
            side->span,
            lexical::quote(side->text) + " is not an RFC 3339 time, so " + op + " is always false",
            "write times as \"2026-12-24T09:00:00Z\"");
      }
      return;
    }
  }
  const bool never = ordering || e.op == BinaryOp::kEq;
  diagnostics_.warning(e.kind == ExprKind::kBetween ? e.span : cover(left.span, right.span),
                       op + " between " + type_name(lt) + " and " + type_name(rt) + " is " +
                           (never ? "always false" : "always true"),
                       lt == ValueType::kString || rt == ValueType::kString
                           ? "\"1\" == 1 is false: write both sides as numbers or both as strings"
                           : "compare values of the same type");
}

void Checker::segment_reference_in(const Expr& name, const Expr& list) {
  const bool segments = list.kind == ExprKind::kPath && list.path.size() == 2 &&
                        list.path[0].name == "profile" && list.path[1].name == "segments";
  if (!segments || segments_.count(name.text) || broken_names_.count(name.text)) return;
  const std::string close = closest(name.text, segment_names_);
  diagnostics_.warning(name.span, "no segment is named " + lexical::quote(name.text),
                       close.empty() ? "declare it with `segment " + name.text + " when ... end`"
                                     : "did you mean \"" + close + "\"?");
}

ValueType Checker::path(const Expr& e, const Scope& scope) {
  const ast::PathMember& root = e.path.front();
  const bool event_root =
      root.name == "event" || (!scope.alias.empty() && root.name == scope.alias);
  // Envelope fields (`@time`) stand only right after an event or `profile`.
  for (size_t i = 2; i < e.path.size(); ++i) {
    if (e.path[i].envelope) {
      diagnostics_.error(e.path[i].span,
                         "`@" + e.path[i].name + "` can only follow an event or `profile` directly",
                         "write `cart.@time`, not `cart.x.@time`");
      return ValueType::kUnknown;
    }
  }
  const bool envelope = e.path.size() > 1 && e.path[1].envelope;
  if (root.name == "profile") {
    if (envelope) {
      const std::string& field = e.path[1].name;
      if (field == "first_seen" || field == "last_seen") return ValueType::kTime;
      const std::string close = closest(field, {"first_seen", "last_seen"});
      diagnostics_.error(e.path[1].span, "unknown profile field `@" + field + "`",
                         close.empty() ? "the profile's fields are @first_seen and @last_seen"
                                       : "did you mean `@" + close + "`?");
      return ValueType::kUnknown;
    }
    if (e.path.size() == 1) return ValueType::kObject;
    if (e.path.size() == 2 && e.path[1].name == "segments") return ValueType::kList;
    return ValueType::kUnknown;
  }
  if (event_root) {
    if (!scope.has_event) {
      const char* where =
          scope.place == Scope::Place::kSegment ? "a segment" : "a model's features";
      diagnostics_.error(root.span, std::string("`event` is not available in ") + where,
                         "it is evaluated for the user, not for one event: use `profile` or a "
                         "pattern such as `purchase in last 7d`");
      return ValueType::kUnknown;
    }
    if (envelope) {
      const std::string& field = e.path[1].name;
      if (field == "time") return ValueType::kTime;
      if (field == "user" || field == "id" || field == "name") return ValueType::kString;
      const std::string close = closest(field, {"time", "user", "id", "name"});
      diagnostics_.error(e.path[1].span, "unknown event field `@" + field + "`",
                         close.empty() ? "an event's fields are @time, @user, @id and @name"
                                       : "did you mean `@" + close + "`?");
      return ValueType::kUnknown;
    }
    if (e.path.size() == 1) return ValueType::kObject;
    // With a catalog, each event the trigger may be must declare the property; its type
    // is known when the trigger is one event and the path reads no deeper.
    ValueType type = ValueType::kUnknown;
    for (const ast::EventName& event : scope.trigger)
      type = property_type(event.text, e.path[1].name, e.path[1].span);
    return scope.trigger.size() == 1 && e.path.size() == 2 ? type : ValueType::kUnknown;
  }
  if (const auto c = const_types_.find(root.name); c != const_types_.end()) {
    if (e.path.size() > 1) {
      diagnostics_.error(
          e.path[1].span, "`" + root.name + "` is a constant and has no properties",
          "constants are literals: numbers, strings, durations, booleans, null or lists");
    }
    return c->second;
  }
  if (scope.in_filter) {
    if (envelope) {
      diagnostics_.error(
          e.path[1].span, "the candidate event's envelope is not reachable in a filter",
          "filter on the candidate's properties; `@time` and the like are not available");
    }
    if (envelope || scope.candidate == nullptr) return ValueType::kUnknown;
    // A property of the candidate event.
    const ValueType type = property_type(*scope.candidate, root.name, root.span);
    return e.path.size() == 1 ? type : ValueType::kUnknown;
  }
  unknown_name(e, scope);
  return ValueType::kUnknown;
}

std::vector<std::string> Checker::names_in_scope(const Scope& scope) const {
  std::vector<std::string> names;
  if (scope.has_event) names.emplace_back("event");
  if (!scope.alias.empty()) names.emplace_back(scope.alias);
  names.emplace_back("profile");
  names.insert(names.end(), const_names_.begin(), const_names_.end());
  return names;
}

bool Checker::names_nothing(const Expr& e, const Scope& scope) const {
  if (e.kind != ExprKind::kPath || e.path.size() != 1 || scope.in_filter) return false;
  const std::vector<std::string> in_scope = names_in_scope(scope);
  return std::find(in_scope.begin(), in_scope.end(), e.path.front().name) == in_scope.end();
}

bool Checker::unquoted_text(const Expr& e, const Scope& scope) {
  if (!names_nothing(e, scope)) return false;
  const std::string& name = e.path.front().name;
  if (!closest(name, names_in_scope(scope)).empty() || find_builtin(name) != nullptr) return false;
  diagnostics_.error(e.span, "unknown name `" + name + "`",
                     "text is written in quotes: `" + lexical::quote(name) + "`");
  return true;
}

ValueType Checker::compared(const Expr& e, const Scope& scope) {
  if (unquoted_text(e, scope)) return ValueType::kString;
  if (e.kind != ExprKind::kList) return expr(e, scope);
  for (const Expr& item : e.children)
    compared(item, scope);
  return ValueType::kList;
}

void Checker::unknown_name(const Expr& e, const Scope& scope) {
  const ast::PathMember& root = e.path.front();
  const std::vector<std::string> in_scope = names_in_scope(scope);
  const std::string trigger = scope.alias.empty() ? "event" : std::string(scope.alias);
  std::string hint;
  if (const std::string close = closest(root.name, in_scope); !close.empty()) {
    hint = "did you mean `" + close + "`?";
  } else if (const Builtin* function = find_builtin(root.name);
             function != nullptr && e.path.size() == 1) {
    hint = "`" + root.name + "` is a function: write `" + std::string(function->usage) + "`";
  } else if (e.path.size() > 1 && !scope.trigger.empty()) {
    // `cart.items` with no `as cart`: the name the marketer meant for the trigger.
    const std::string property = e.path[1].envelope ? "@" + e.path[1].name : e.path[1].name;
    hint = scope.alias.empty() ? "name the trigger `" + root.name + "` with `" +
                                     lexical::quote_if_needed(scope.trigger.front().text) + " as " +
                                     root.name + "`, or read `event." + property + "`"
                               : "the trigger is named `" + trigger + "` here: write `" + trigger +
                                     "." + property + "`";
  } else if (segments_.count(root.name)) {
    hint = "to test a segment, write `\"" + root.name + "\" in profile.segments`";
  } else if (event_names_.count(root.name)) {
    hint =
        "`" + root.name + "` is an event: write a pattern such as `" + root.name + " in last 1d`";
  } else if (scope.has_event) {
    hint =
        "properties of the trigger event are read through it: `" + trigger + "." + root.name + "`";
  } else {
    hint = "names in scope here: ";
    const size_t shown = std::min<size_t>(in_scope.size(), 6);
    for (size_t i = 0; i < shown; ++i)
      hint += (i ? ", " : "") + in_scope[i];
    if (shown < in_scope.size()) hint += ", ...";
  }
  diagnostics_.error(root.span, "unknown name `" + root.name + "`", hint);
}

// `Europe/Paris` without quotes parses as a division of two names; the zone as written.
std::string Checker::unquoted_zone(const Expr& e, const Scope& scope) const {
  if (names_nothing(e, scope)) return e.path.front().name;
  if (e.kind != ExprKind::kBinary || e.op != BinaryOp::kDiv) return {};
  std::string zone;
  for (const Expr& part : e.children) {
    const std::string written = unquoted_zone(part, scope);
    if (written.empty()) return {};
    zone += (zone.empty() ? "" : "/") + written;
  }
  return zone;
}

void Checker::zone(const Expr& e, const Scope& scope) {
  if (const std::string written = unquoted_zone(e, scope); !written.empty()) {
    const std::string known = zone_named(written) ? written : closest(written, zone_names());
    diagnostics_.error(e.span, "the time zone `" + written + "` must be quoted",
                       "a zone is text: write " + lexical::quote(known.empty() ? written : known));
    return;
  }
  expr(e, scope);
  if (e.kind != ExprKind::kString || zone_named(e.text) != nullptr) return;
  const std::string close = closest(e.text, zone_names());
  diagnostics_.error(e.span, "unknown time zone " + lexical::quote(e.text),
                     close.empty() ? "write an IANA zone name such as \"Europe/Paris\""
                                   : "did you mean \"" + close + "\"?");
}

ValueType Checker::call(const Expr& e, const Scope& scope) {
  const bool zoned = (e.text == "hour_of_day" || e.text == "day_of_week") && e.children.size() == 2;
  for (size_t i = 0; i < e.children.size(); ++i) {
    const Expr& arg = e.children[i];
    if (zoned && i == 1) {
      zone(arg, scope.operand());
    } else if (e.text != "score" || i != 0 || arg.kind != ExprKind::kPath) {
      expr(arg, scope.operand());  // score(churn) is reported once, below
    }
  }
  const Builtin* builtin = find_builtin(e.text);
  if (builtin == nullptr) {
    std::vector<std::string> names;
    for (const Builtin& b : builtins())
      names.emplace_back(b.name);
    const std::string close = closest(e.text, names);
    diagnostics_.error(
        e.name_span, "unknown function `" + e.text + "`",
        close.empty() ? "the functions are lower, upper, len, abs, round, floor, ceil, coalesce, "
                        "starts_with, ends_with, now, days_since, hours_since, minutes_since, "
                        "hour_of_day, day_of_week, date, time and score"
                      : "did you mean `" + close + "`?");
    return ValueType::kUnknown;
  }
  const size_t n = e.children.size();
  if (n < builtin->min_args || (builtin->max_args != kVariadic && n > builtin->max_args)) {
    const std::string expected =
        builtin->max_args == kVariadic ? "at least " + std::to_string(builtin->min_args)
        : builtin->min_args == builtin->max_args
            ? std::to_string(builtin->min_args)
            : std::to_string(builtin->min_args) + " or " + std::to_string(builtin->max_args);
    diagnostics_.error(e.name_span,
                       "`" + e.text + "` takes " + expected +
                           (expected == "1" ? " argument" : " arguments") + ", not " +
                           std::to_string(n),
                       "write " + std::string(builtin->usage));
    return ValueType::kUnknown;  // no type clash warnings on top of the arity error
  }
  const Expr* first = n > 0 ? &e.children.front() : nullptr;
  if (e.text == "score" && first->kind != ExprKind::kString) {
    const std::string model = first->kind == ExprKind::kPath && first->path.size() == 1
                                  ? first->path.front().name
                                  : "churn";
    diagnostics_.error(first->span, "`score` takes the model's name as a string literal",
                       "write score(" + lexical::quote(model) + ")");
  } else if (e.text == "score" && !models_.count(first->text) &&
             !broken_names_.count(first->text) && !closest(first->text, model_names_).empty()) {
    // Not an error: without a declared model, score("x") reads profile.scores.x. But a
    // name one typo away from a declared model is most likely that model.
    diagnostics_.warning(first->span, "no model is named " + lexical::quote(first->text),
                         "did you mean \"" + closest(first->text, model_names_) +
                             "\"? (as written, it reads profile.scores." + first->text + ")");
  } else if (e.text == "date" && first->kind == ExprKind::kString && !parse_date(first->text)) {
    diagnostics_.warning(first->span,
                         lexical::quote(first->text) + " is not a date, so `date` yields null",
                         "write dates as \"2026-12-24\"");
  } else if (e.text == "time" && first->kind == ExprKind::kString && !parse_rfc3339(first->text)) {
    diagnostics_.warning(
        first->span,
        lexical::quote(first->text) + " is not an RFC 3339 time, so `time` yields null",
        "write times as \"2026-12-24T09:00:00Z\"");
  }
  return builtin->result;
}

void Checker::future_not_allowed(const Expr& e, const Scope& scope) {
  const char* message = "a future pattern must be an operand of the rule's top-level `and` chain";
  const char* hint =
      "write it after the trigger, as in `when add_to_cart and no purchase within 24h`";
  switch (scope.place) {
    case Scope::Place::kSegment:
      message = "future patterns cannot appear in segments";
      hint = "a segment holds now or not; use a past window such as `purchase in last 24h`";
      break;
    case Scope::Place::kDecide:
      message = "future patterns cannot appear in `decide` rules";
      hint = "a decision is answered at once; use a past window such as `purchase in last 24h`";
      break;
    case Scope::Place::kFeature:
      message = "future patterns cannot appear in model features";
      hint = "features are computed now; use a past window such as `count(purchase in last 7d)`";
      break;
    case Scope::Place::kKey:
      message = "future patterns cannot appear in `by`";
      hint =
          "the key is computed when the rule fires: use the trigger's properties, as in "
          "`cooldown 7d by event.category`";
      break;
    case Scope::Place::kAction:
      message = "future patterns cannot appear in actions";
      hint = "actions run when the rule fires; put the pattern in the rule's condition";
      break;
    case Scope::Place::kRule:
      if (scope.under == Scope::Under::kOr) {
        message = "future patterns cannot appear under `or`";
        hint = "write one rule per alternative";
      } else if (scope.under == Scope::Under::kNot) {
        message = "future patterns cannot appear under `not`";
        hint = "use `no purchase within 24h` to wait for an absence";
      }
      break;
  }
  diagnostics_.error(e.span, message, hint);
}

void Checker::filter(const Expr& e, const Scope& scope) {
  if (!e.has_filter) return;
  Scope inner = scope.operand();
  inner.in_filter = true;
  inner.candidate = &e.event.text;
  boolean(e.children.front(), inner);
}

bool Checker::temporal(const Expr& e, const Scope& scope) {
  if (scope.in_filter) {
    diagnostics_.error(e.span, "a filter `[...]` cannot contain patterns or aggregates",
                       "filters test the candidate event's own properties");
    return false;
  }
  use_event(e.event.text, e.event.span);
  if (e.window != ast::WindowKind::kSession && e.window_length.valid && e.window_length.ms <= 0) {
    diagnostics_.error(e.window_length.span, "a window must be longer than zero",
                       "write a positive duration such as `30m` or `24h`");
  }
  filter(e, scope);
  return true;
}

ValueType Checker::pattern(const Expr& e, const Scope& scope, bool future_allowed) {
  if (temporal(e, scope) && e.is_future_pattern() && !future_allowed) future_not_allowed(e, scope);
  return ValueType::kBool;
}

ValueType Checker::aggregate(const Expr& e, const Scope& scope) {
  const char* name = aggregate_name(e.aggregate);
  if (!temporal(e, scope)) return ValueType::kUnknown;
  const bool counts = e.aggregate == ast::AggregateFn::kCount;
  if (counts && !e.field.empty()) {
    diagnostics_.error(e.field.front().span, "`count` counts events and takes no property",
                       "write `count(" + e.event.text + " in last 7d)`, or `sum(" + e.event.text +
                           "." + e.field.front().text + " in last 7d)` to add it up");
  } else if (!counts && !e.field.empty()) {
    property_type(e.event.text, e.field.front().text, e.field.front().span);
  } else if (!counts) {
    diagnostics_.error(
        e.name_span, std::string("`") + name + "` needs a property of the event",
        std::string("for example `") + name + "(" + e.event.text + ".amount in last 30d)`");
  }
  switch (e.aggregate) {
    case ast::AggregateFn::kCount:
    case ast::AggregateFn::kSum:
    case ast::AggregateFn::kDistinct:
      return ValueType::kNumber;
    default:
      return ValueType::kUnknown;  // null over no events
  }
}

}  // namespace spur
