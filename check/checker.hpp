// The checker's passes, private to spur_check. check_declarations.cpp checks the
// declarations and actions; check_expressions.cpp checks expressions: names, functions,
// where patterns may stand, and obvious type clashes.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "check/builtins.hpp"
#include "check/check.hpp"
#include "grammar/parse.hpp"

namespace spur {

// Where an expression stands; it decides which names are in scope and whether future
// patterns and object literals are allowed.
struct Scope {
  enum class Place : uint8_t { kRule, kDecide, kSegment, kFeature, kAction, kKey };
  Place place = Place::kRule;
  bool has_event = false;  // `event` and the alias name the trigger
  std::string_view alias;
  std::span<const ast::EventName> trigger;  // the events `event` may be; none for `decide`
  bool in_filter = false;                   // bare names are the candidate event's properties
  const std::string* candidate = nullptr;   // in a filter: the candidate event's name
  bool objects_allowed = false;             // directly in an action value (or its lists/objects)
  enum class Under : uint8_t { kNothing, kOr, kNot };
  Under under = Under::kNothing;  // the nearest `or` or `not` above the expression

  Scope operand() const {
    Scope inner = *this;
    inner.objects_allowed = false;
    return inner;
  }
};

class Checker {
 public:
  Checker(const SourceSet& sources, Diagnostics& diagnostics, const CheckContext& context)
      : sources_(sources), diagnostics_(diagnostics), context_(context) {}

  // Records every declaration's name; reports duplicates.
  void collect(const std::vector<ParsedFile>& files);
  void check(const ast::Declaration& declaration);
  // Checks that need the whole set (unused groups).
  void finish();

  RuleSetCounts counts() const { return counts_; }

 private:
  // Declarations (check_declarations.cpp).
  void check_decl(const ast::Const& c);
  void check_decl(const ast::Group& g);
  void check_decl(const ast::Segment& s);
  void check_decl(const ast::Model& m);
  void check_decl(const ast::Rule& r);
  void check_decl(const ast::EventDecl& e);
  void check_rule_options(const ast::Rule& r);
  void check_limit(const ast::Limit& limit);
  void check_cooldown(const ast::Duration& cooldown);
  void check_action(const ast::Action& a, const Scope& scope, const ast::Rule& rule);
  // `holdout P%` of a rule or group: 0 < P < 100, two decimals at most.
  void check_holdout(double percent, Span span);
  // Quiet hours: two different times, a zone checked in `zone_scope` (a literal one must
  // be in the tz database).
  void check_quiet(const ast::Quiet& quiet, const Scope& zone_scope);
  void check_goal(const ast::Expr& goal);
  // `no X in last W` (or `not X in ...`) in a rule triggered by X, with no filter: the
  // trigger is in its own window, so it never holds (language.md section 15).
  void warn_own_window(const ast::Rule& rule);
  // `if` (language.md section 15): conditions as in a rule's actions, no split inside.
  void check_if(const ast::Action& a, const Scope& scope, const ast::Rule& rule);
  // `split` (language.md section 14): arms, shares, no split inside.
  void check_split(const ast::Action& a, const Scope& scope, const ast::Rule& rule);
  // A `send` to an adapter the configuration does not have (CheckContext).
  void check_adapter(const ast::Action& send, const ast::Rule& rule);
  void check_profile_target(const ast::Action& a);
  std::string where(Span span) const;

  // Expressions (check_expressions.cpp).
  // A condition whose top-level `and` operands may be future patterns when the place
  // allows them; returns how many future patterns it holds.
  size_t condition(const ast::Expr& e, const Scope& scope);
  ValueType expr(const ast::Expr& e, const Scope& scope);
  void boolean(const ast::Expr& e, const Scope& scope);
  ValueType path(const ast::Expr& e, const Scope& scope);
  ValueType call(const ast::Expr& e, const Scope& scope);
  // Checks shared by patterns and aggregates: not in a filter, event name, window,
  // filter. Returns false when the expression stands inside a filter.
  bool temporal(const ast::Expr& e, const Scope& scope);
  ValueType pattern(const ast::Expr& e, const Scope& scope, bool future_allowed);
  ValueType aggregate(const ast::Expr& e, const Scope& scope);
  ValueType binary(const ast::Expr& e, const Scope& scope);
  void future_not_allowed(const ast::Expr& e, const Scope& scope);
  void filter(const ast::Expr& e, const Scope& scope);
  void compare_types(const ast::Expr& e, const ast::Expr& left, ValueType lt,
                     const ast::Expr& right, ValueType rt);
  void segment_reference_in(const ast::Expr& name, const ast::Expr& list);
  void unknown_name(const ast::Expr& path, const Scope& scope);
  std::vector<std::string> names_in_scope(const Scope& scope) const;
  // An operand of `==`, `!=`, `in` or `contains`: a bare word that names nothing is
  // reported as text without quotes (lists are looked into).
  ValueType compared(const ast::Expr& e, const Scope& scope);
  bool unquoted_text(const ast::Expr& e, const Scope& scope);
  // A bare name that is not in scope (`high_value`, `Europe`).
  bool names_nothing(const ast::Expr& e, const Scope& scope) const;
  std::string unquoted_zone(const ast::Expr& e, const Scope& scope) const;
  // A time zone argument (`hour_of_day`, `day_of_week`, `quiet ... in`): quoted, and a
  // literal one in the tz database.
  void zone(const ast::Expr& e, const Scope& scope);

  const SourceSet& sources_;
  Diagnostics& diagnostics_;
  const CheckContext& context_;
  RuleSetCounts counts_;

  std::unordered_map<std::string, Span> consts_, groups_, segments_, models_, rules_, events_;
  std::unordered_map<std::string, ValueType> const_types_;
  std::vector<std::string> const_names_, segment_names_, group_names_,
      model_names_;                               // declaration order
  std::unordered_set<std::string> broken_names_;  // declarations with syntax errors
  std::unordered_set<std::string> event_names_;   // every trigger event
  std::unordered_set<std::string> used_groups_;
  // Every event name a trigger, pattern, aggregate, goal or emit uses, where it does, for
  // the used-once warning (language.md section 15).
  std::vector<std::pair<std::string, Span>> event_uses_;
  void warn_used_once();

  // The event catalog (language.md section 15). Once it declares an event, every event
  // used must be declared and only declared properties may be read.
  struct CatalogEvent {
    std::unordered_map<std::string, ValueType> properties;  // kUnknown: `any`, or a bad type
    std::vector<std::string> property_names;                // declaration order, for hints
  };
  std::unordered_map<std::string, CatalogEvent> catalog_;
  std::vector<std::string> catalog_names_;  // declaration order
  void catalog_event(const ast::EventDecl& e);
  // Records a use of an event name (trigger, pattern, aggregate, goal, emit) and, with a
  // catalog, reports a name it does not declare.
  void use_event(const std::string& name, Span span);
  // The declared type of `property` of `event`, reporting a property the catalog's entry
  // lacks. kUnknown when the event has no entry (no catalog, or not declared).
  ValueType property_type(const std::string& event, const std::string& property, Span span);
};

}  // namespace spur
