// The message (and hint) of every point of the grammar that can fail with an error.
//
// Private to spur_grammar. A must<R> whose R has no specialization here fails to compile
// (the primary template is deliberately incomplete). Words in backticks are also the
// candidates for "did you mean" hints: a misspelled keyword at the error position is
// compared against them (parse.cpp).
#pragma once

#include "grammar/peg_grammar.hpp"

namespace spur::grammar::peg {

template <typename Rule>
struct error_text;  // no definition: every must<> point needs a specialization

#define SPUR_SYNTAX_ERROR(RULE, MESSAGE, HINT)      \
  template <>                                       \
  struct error_text<RULE> {                         \
    static constexpr const char* message = MESSAGE; \
    static constexpr const char* hint = HINT;       \
  }

// clang-format off
SPUR_SYNTAX_ERROR(declaration, "expected a declaration: `rule`, `group`, `segment`, `model`, `const` or `event`", "");
SPUR_SYNTAX_ERROR(escape_code, "unknown escape sequence in string", "the escapes are \\\" \\\\ \\n \\t and \\uXXXX");
SPUR_SYNTAX_ERROR(string_close, "unterminated string", "close the string with `\"` on the same line; strings do not span lines");
SPUR_SYNTAX_ERROR(condition, "expected a condition or a value", "");
SPUR_SYNTAX_ERROR(paren_close, "expected `)` to close the parenthesis", "");
SPUR_SYNTAX_ERROR(list_close, "expected `,` or `]` in the list", "");
SPUR_SYNTAX_ERROR(colon, "expected `:`", "write `name: value`");
SPUR_SYNTAX_ERROR(object_value, "expected a value after `:`", "");
SPUR_SYNTAX_ERROR(object_close, "expected `,` or `}` in the object", "write entries as `key: value`, separated by commas");
SPUR_SYNTAX_ERROR(envelope_name, "expected an envelope field after `@`", "the envelope fields are @time, @user, @id and @name");
SPUR_SYNTAX_ERROR(member, "expected a property name after `.`", "paths are written without spaces: `cart.sku`");
SPUR_SYNTAX_ERROR(call_close, "expected `,` or `)` in the function call", "");
SPUR_SYNTAX_ERROR(window_length, "expected a duration such as `30m`, `24h` or `7d`", "");
SPUR_SYNTAX_ERROR(filter_close, "expected `]` to close the filter", "");
SPUR_SYNTAX_ERROR(pattern_window, "expected a window after the filter: `within`, `in last` or `in session`", "for example `purchase[amount > 50] within 24h`");
SPUR_SYNTAX_ERROR(aggregate_open, "expected `(` after the aggregate", "for example `count(page_view in last 30m)`");
SPUR_SYNTAX_ERROR(aggregate_event, "expected an event name in the aggregate", "for example `sum(purchase.amount in last 30d)`");
SPUR_SYNTAX_ERROR(aggregate_window, "expected the aggregate's window: `in last DURATION` or `in session`", "for example `count(page_view in last 30m)`");
SPUR_SYNTAX_ERROR(aggregate_close, "expected `)` to close the aggregate", "");
SPUR_SYNTAX_ERROR(primary, "expected a value after `-`", "");
SPUR_SYNTAX_ERROR(factor, "expected a value after the operator", "");
SPUR_SYNTAX_ERROR(product, "expected a value after the operator", "");
SPUR_SYNTAX_ERROR(operand, "expected a value to compare with", "");
SPUR_SYNTAX_ERROR(between_and, "expected `and` in `between LOW and HIGH`", "");
SPUR_SYNTAX_ERROR(regex_literal, "expected a string holding a regular expression after `matches`", "for example `email matches \"@example\\\\.com$\"`");
SPUR_SYNTAX_ERROR(is_null_word, "expected `null` after `is`", "write `x is null` or `x is not null`");
SPUR_SYNTAX_ERROR(unary, "expected a condition after `not`", "");
SPUR_SYNTAX_ERROR(no_pattern, "`no` must be followed by an event pattern such as `purchase within 24h`", "use `not` to negate a condition");
SPUR_SYNTAX_ERROR(and_operand, "expected a condition after `and`", "");
SPUR_SYNTAX_ERROR(or_operand, "expected a condition after `or`", "");
SPUR_SYNTAX_ERROR(decl_name, "expected a name", "names are identifiers such as `cart_recovery`; keywords cannot be names");
SPUR_SYNTAX_ERROR(integer_value, "expected a whole number", "");
SPUR_SYNTAX_ERROR(per_word, "expected `per` in `limit N per DURATION`", "for example `limit 1 per 1d`");
SPUR_SYNTAX_ERROR(duration_value, "expected a duration such as `30m`, `24h` or `7d`", "");
SPUR_SYNTAX_ERROR(limit_period, "expected a duration such as `1d`, or `session`, after `per`",
                  "for example `limit 1 per 1d` or `limit 2 per session`");
SPUR_SYNTAX_ERROR(list_item_literal, "expected a literal in the list", "constants are literals: numbers, strings, durations, true, false, null or lists of them");
SPUR_SYNTAX_ERROR(literal_list_close, "expected `,` or `]` in the list", "");
SPUR_SYNTAX_ERROR(const_equals, "expected `=` after the constant's name", "for example `const HIGH_LTV = 500`");
SPUR_SYNTAX_ERROR(const_value, "expected a literal value for the constant", "constants are literals: numbers, strings, durations, true, false, null or lists of them");
SPUR_SYNTAX_ERROR(group_end, "expected a group option (`exclusive`, `cooldown`, `limit`, `holdout`, `quiet`) or `end`", "a group declaration ends with `end`");
SPUR_SYNTAX_ERROR(segment_when, "expected `when` after the segment's name", "");
SPUR_SYNTAX_ERROR(segment_end, "expected `and`, `or` or `end` after the segment's condition", "a segment ends with `end`");
SPUR_SYNTAX_ERROR(features_word, "expected `features` after the model's name", "for example `model churn features { ltv: profile.ltv } end`");
SPUR_SYNTAX_ERROR(features_open, "expected `{` after `features`", "");
SPUR_SYNTAX_ERROR(feature, "expected a feature: `name: expression`", "");
SPUR_SYNTAX_ERROR(features_close, "expected `,` or `}` in the features", "");
SPUR_SYNTAX_ERROR(event_decl_name, "expected the event's name after `event`", "for example `event purchase` or `event \"Product Added\"`");
SPUR_SYNTAX_ERROR(property_type, "expected a property type: `text`, `number`, `bool`, `time`, `duration`, `list`, `object` or `any`", "");
SPUR_SYNTAX_ERROR(event_end, "expected a property `name: type` or `end`", "an event declaration lists its properties, one `name: type` per line, and ends with `end`");
SPUR_SYNTAX_ERROR(model_end, "expected `end` to close the model", "");
SPUR_SYNTAX_ERROR(time_of_day, "expected a time of day such as `22:00`", "");
SPUR_SYNTAX_ERROR(quiet_dots, "expected `..` between the two times", "for example `quiet 22:00..08:00`");
SPUR_SYNTAX_ERROR(pending_mode, "expected a pending mode: `latest`, `first` or `each`", "");
SPUR_SYNTAX_ERROR(group_ref, "expected the name of a group", "");
SPUR_SYNTAX_ERROR(percent_value, "expected a percentage such as `10%`", "");
SPUR_SYNTAX_ERROR(alias, "expected a name after `as`", "for example `when add_to_cart as cart`");
SPUR_SYNTAX_ERROR(placement, "expected a placement name after `decide`", "for example `when decide homepage as req`");
SPUR_SYNTAX_ERROR(trigger_event, "expected an event name", "event names are identifiers or quoted strings such as \"Product Added\"");
SPUR_SYNTAX_ERROR(trigger, "expected the trigger event after `when`", "for example `when add_to_cart as cart`, or `when decide homepage`");
SPUR_SYNTAX_ERROR(adapter_name, "expected the name of an action adapter after `send`", "for example `send email { template: \"welcome\" }`");
SPUR_SYNTAX_ERROR(target_path, "expected a profile path such as `profile.tier`", "");
SPUR_SYNTAX_ERROR(set_equals, "expected `=` in `set profile.x = value`", "");
SPUR_SYNTAX_ERROR(emit_name, "expected an event name after `emit`", "");
SPUR_SYNTAX_ERROR(action_object, "expected an object `{ ... }` after `respond`", "for example `respond { module: \"offers\" }`");
SPUR_SYNTAX_ERROR(split_open, "expected `{` after `split`", "");
SPUR_SYNTAX_ERROR(split_close, "expected a split arm `PERCENT: actions` or `}`", "");
SPUR_SYNTAX_ERROR(split_first_action, "expected an action after the split percentage", "");
SPUR_SYNTAX_ERROR(rule_when, "expected `when` or a rule option (`priority`, `group`, `cooldown`, `limit`, `pending`, `disabled`, `quiet`, `holdout`, `goal`)", "");
SPUR_SYNTAX_ERROR(within_window, "expected `within` and how long a firing waits for its goal", "for example `goal purchase within 7d`");
SPUR_SYNTAX_ERROR(goal_pattern, "expected the goal's event, as in `goal purchase within 7d`", "an optional filter goes after the event: `goal purchase[value > 50] within 7d`");
SPUR_SYNTAX_ERROR(rule_condition_body, "expected a condition after `and`", "");
SPUR_SYNTAX_ERROR(if_condition, "expected a condition after `if`", "for example `if profile.tier == \"gold\" then`");
SPUR_SYNTAX_ERROR(if_then, "expected `and`, `or` or `then` after the condition of `if`", "");
SPUR_SYNTAX_ERROR(if_end, "expected another action, `else` or `end` to close the `if`", "an `if` ends with its own `end`, before the rule's");
SPUR_SYNTAX_ERROR(rule_then, "expected `and`, `or` or `then` after the rule's condition", "");
SPUR_SYNTAX_ERROR(first_action, "expected an action after `then`: `send`, `set`, `unset`, `increment`, `emit` or `respond`", "");
SPUR_SYNTAX_ERROR(rule_end, "expected another action (`send`, `set`, `unset`, `increment`, `emit`, `respond`) or `end`", "a rule ends with `end`");
// clang-format on

#undef SPUR_SYNTAX_ERROR

}  // namespace spur::grammar::peg
