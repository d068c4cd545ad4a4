// What the steps of `spur serve` may ask remote scorers (Scorer::remote), for the
// server to fetch before the steps run (docs/models.md, "http scorers").
#include <algorithm>
#include <iterator>
#include <span>
#include <string_view>

#include "engine/engine.hpp"

namespace spur {
namespace {

// The events that a rule's actions may emit, in split arms and `if` branches too.
void add_emits(const std::vector<CompiledAction>& actions, std::vector<std::string_view>& out) {
  for (const CompiledAction& action : actions) {
    if (action.op == ActionOp::kEmit) out.push_back(action.target);
    for (const std::vector<CompiledAction>& arm : action.arms)
      add_emits(arm, out);
  }
}

}  // namespace

void Engine::bind_remote_models() {
  const size_t rules = program_->rules.size();
  remote_models_of_.assign(rules, {});
  if (!remote_models_) return;
  std::vector<std::vector<uint32_t>> own(rules);
  std::vector<std::vector<std::string_view>> emits(rules);
  for (size_t rule = 0; rule < rules; ++rule) {
    for (const std::string& name : program_->rules[rule].scores) {
      const int64_t m = program_->model_index(name);
      if (m >= 0 && bound_models_[static_cast<size_t>(m)].scorer != nullptr &&
          bound_models_[static_cast<size_t>(m)].scorer->remote() &&
          std::find(own[rule].begin(), own[rule].end(), m) == own[rule].end())
        own[rule].push_back(static_cast<uint32_t>(m));
    }
    add_emits(program_->rules[rule].actions, emits[rule]);
  }
  remote_rules_of_plan_.clear();
  // A firing's emitted events are handled in its step (section 7): the rules they
  // trigger are reached through the chains of emits from each rule.
  for (uint32_t rule = 0; rule < rules; ++rule) {
    std::vector<uint32_t> reached{rule};
    for (size_t next = 0; next < reached.size(); ++next) {
      const uint32_t at = reached[next];
      for (const uint32_t m : own[at]) {
        std::vector<uint32_t>& mine = remote_models_of_[rule];
        if (std::find(mine.begin(), mine.end(), m) == mine.end()) mine.push_back(m);
      }
      for (const std::string_view event : emits[at]) {
        const Program::EventPlan* plan = program_->plan(std::string(event));
        for (const uint32_t triggered : plan != nullptr ? std::span<const uint32_t>(plan->rules)
                                                        : std::span<const uint32_t>()) {
          if (std::find(reached.begin(), reached.end(), triggered) == reached.end())
            reached.push_back(triggered);
        }
      }
    }
  }
  for (const auto* plans : {&program_->event_plans, &program_->decide_plans}) {
    for (const auto& [name, plan] : *plans) {
      std::vector<uint32_t> remote;
      std::copy_if(plan.rules.begin(), plan.rules.end(), std::back_inserter(remote),
                   [this](uint32_t rule) { return !remote_models_of_[rule].empty(); });
      if (!remote.empty()) remote_rules_of_plan_.emplace(&plan, std::move(remote));
    }
  }
}

std::vector<Engine::RemoteQuery> Engine::remote_queries(const Event& event, bool decision) {
  std::vector<RemoteQuery> out;
  if (!remote_models_) return out;
  const Program::EventPlan* plan =
      decision ? program_->decide_plan(event.name) : program_->plan(event.name);
  const auto remote_rules = remote_rules_of_plan_.find(plan);
  // A user not seen yet has the empty profile a first step would give it.
  User* known = users_.find(event.user);
  const auto completes = [&](const PendingMatch& m) {
    if (m.deferred() || remote_models_of_[m.rule()].empty()) return false;
    const std::vector<FuturePattern>& futures = program_->rules[m.rule()].futures;
    for (size_t p = 0; p < futures.size(); ++p) {
      if (!m.held(p) && !futures[p].absence && futures[p].event == event.name) return true;
    }
    return false;
  };
  const PendingList none;
  const PendingList& pending = known != nullptr && !decision ? known->second.pending : none;
  if (remote_rules == remote_rules_of_plan_.end() &&
      std::none_of(pending.begin(), pending.end(), completes))
    return out;
  User fresh{event.user, UserState{}};
  const int64_t at = clock_.value_or(event.time_ms);
  Event timed;  // an event without a time is stepped at the clock
  if (!event.has_time) {
    timed = event;
    timed.time_ms = at;
    timed.has_time = true;
  }
  const Event& trigger_event = event.has_time ? event : timed;
  std::vector<const Value*> slots(program_->slot_paths.size(), nullptr);
  std::vector<uint32_t> member_hints(program_->slot_paths.size(), 0);
  if (plan != nullptr) point_slots(trigger_event, *program_, *plan, slots.data(), member_hints);
  const EvalContext c = context(known ? *known : fresh, {&trigger_event, slots.data()}, at);
  std::vector<uint32_t> models;
  const std::span<const uint32_t> triggered = remote_rules != remote_rules_of_plan_.end()
                                                  ? std::span<const uint32_t>(remote_rules->second)
                                                  : std::span<const uint32_t>();
  for (const uint32_t rule : triggered) {
    const CompiledRule& r = program_->rules[rule];
    // Section 11: score() is asked after the cheaper conditions of its `and` chain, so a
    // rule that one of them rules out asks nothing. They are tested as the step would,
    // on the user's state now (the user's earlier events are done).
    bool ruled_out = false;
    for (uint32_t k = 0; k < r.unscored_operands && !ruled_out; ++k)
      ruled_out = !holds(c, r.operands[r.test_order[k]]);
    if (!ruled_out) add_remote_models(rule, models);
  }
  // A waiting match that the event may complete fires in this step too.
  for (const PendingMatch& m : pending) {
    if (completes(m)) add_remote_models(m.rule(), models);
  }
  for (const uint32_t m : models)
    out.push_back({program_->models[m].name, model_features(c, m)});
  return out;
}

void Engine::add_remote_models(uint32_t rule, std::vector<uint32_t>& models) const {
  for (const uint32_t m : remote_models_of_[rule]) {
    if (std::find(models.begin(), models.end(), m) == models.end()) models.push_back(m);
  }
}

std::vector<Engine::DueQuery> Engine::remote_queries_due(int64_t through_ms) {
  std::vector<DueQuery> out;
  while (!remote_timers_.empty() && remote_timers_.front().deadline_ms <= through_ms) {
    std::pop_heap(remote_timers_.begin(), remote_timers_.end(), std::greater<>{});
    const RemoteTimer timer = std::move(remote_timers_.back());
    remote_timers_.pop_back();
    User* user = users_.find(timer.user);
    if (user == nullptr) continue;
    const PendingMatch* match = match_of({timer.deadline_ms, timer.match, user});
    if (match == nullptr) continue;  // resolved or dropped since
    const EvalContext c = context(*user, {}, clock_.value_or(timer.deadline_ms));
    for (const uint32_t m : remote_models_of_[match->rule()]) {
      const std::string& model = program_->models[m].name;
      const auto asked = [&](const DueQuery& q) {
        return q.user == timer.user && q.due_ms == timer.deadline_ms && q.query.model == model;
      };
      if (std::none_of(out.begin(), out.end(), asked))
        out.push_back({timer.user, timer.deadline_ms, {model, model_features(c, m)}});
    }
  }
  return out;
}

std::optional<int64_t> Engine::next_remote_deadline() const {
  if (remote_timers_.empty()) return std::nullopt;
  return remote_timers_.front().deadline_ms;
}

}  // namespace spur
