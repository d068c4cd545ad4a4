// Experiments at run time (language.md section 14): who is held out, the cohort counts of
// each firing, and the goals that firings await until an input event converts them.
#include "engine/engine.hpp"
#include "time/time_text.hpp"

namespace spur {

bool Engine::held_out(const CompiledRule& rule, std::string_view user) {
  if (rule.holdout_bp != 0 && bucket_after(rule.holdout_prefix, user) < rule.holdout_bp)
    return true;
  return group_held_out(rule, user);
}

bool Engine::group_held_out(const CompiledRule& rule, std::string_view user) {
  return rule.group_holdout_bp != 0 &&
         bucket_after(rule.group_holdout_prefix, user) < rule.group_holdout_bp;
}

void Engine::note_experiment(User& user, uint32_t index, TriggerView trigger, int64_t at,
                             bool holdout) {
  const CompiledRule& rule = program_->rules[index];
  if (!rule.experiment) return;
  const int32_t arm = holdout ? -1 : fired_arm_;
  rule_counts_[index].count(arm, holdout, false);
  // A rule without a goal has a check of no window (goal_over).
  const Program::GoalCheck& goal = program_->goal_checks[index];
  if (goal.within_ms == 0) return;
  UserState& u = user.second;
  AwaitedGoals& goals = u.goals;
  // Goals whose event does not come are dropped here, not by a scan at every event: when
  // the block would grow, those past their window go first (amortized, the goals kept
  // are at most twice those still awaited).
  if (goals.full()) goals.erase_if([&](const AwaitedGoal& g) { return goal_over(g, at); });
  const AwaitedGoal awaited{.rule = index,
                            .arm = static_cast<int16_t>(arm),
                            .holdout = holdout,
                            .event_slot = Program::goal_slot(goal.event),
                            .fired_ms = at};
  if (conversions_) {
    goals.push_back(awaited,
                    firing_hash_after(rule.firing_prefix, user.first, trigger.event->id, at));
  } else {
    goals.push_back(awaited);
  }
  u.goal_events |= goal_event_bit(Program::goal_slot(goal.event));
  note_numbered(u);
}

bool Engine::goal_over(const AwaitedGoal& g, int64_t at) const {
  const Program::GoalCheck& goal = program_->goal_checks[g.rule];
  return goal.within_ms == 0 || at > time_plus(g.fired_ms, goal.within_ms);
}

void Engine::convert_goals(User& user, const Event& event, const Program::EventPlan* plan,
                           int64_t at, uint32_t awaited_before) {
  if (plan == nullptr || plan->goal_event == kNoNode) return;
  const uint8_t slot = Program::goal_slot(plan->goal_event);
  if ((awaited_before & goal_event_bit(slot)) == 0) return;
  UserState& u = user.second;
  const auto converts = [&](const AwaitedGoal& g, const Program::GoalCheck& goal) {
    if (at <= g.fired_ms || goal.event != plan->goal_event) return false;
    return goal.filter == kNoNode || goal_filter_holds(user, event, at, goal.filter);
  };
  uint32_t awaited = 0;  // the bits of the goals kept
  // In firing order: one event converts every firing it can, each at most once. The
  // goals of other events are kept without reading their rules' goals, also past their
  // window: their bit then stays set until an event of theirs (or a full block, in
  // note_experiment) drops them.
  u.goals.erase_if([&](const AwaitedGoal& g) {
    if (g.event_slot == slot) {
      if (goal_over(g, at)) return true;
      if (converts(g, program_->goal_checks[g.rule])) {
        convert(user, g, event, at);
        return true;
      }
    }
    awaited |= uint32_t{1} << g.event_slot;
    return false;
  });
  u.goal_events = awaited;
}

bool Engine::goal_filter_holds(const User& user, const Event& event, int64_t at,
                               uint32_t filter) const {
  EvalContext c = context(user, {}, at);
  c.candidate = &event.properties;
  return holds(c, filter);
}

void Engine::convert(const User& user, const AwaitedGoal& g, const Event& event, int64_t at) {
  if (conversions_) {
    listener_.on_conversion({program_->rules[g.rule].name, user.first, at,
                             user.second.goals.firing_hash(g), event.id, g.arm, g.holdout});
  }
  rule_counts_[g.rule].count(g.arm, g.holdout, true);
}

}  // namespace spur
