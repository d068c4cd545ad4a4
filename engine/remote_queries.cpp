// What the steps of `spur serve` may ask remote scorers (Scorer::remote), for the
// server to fetch before the steps run (docs/models.md, "http scorers").
#include <algorithm>

#include "engine/engine.hpp"

namespace spur {

std::vector<Engine::RemoteQuery> Engine::remote_queries(const Event& event, bool decision) {
  std::vector<RemoteQuery> out;
  const Program::EventPlan* plan = !remote_models_ ? nullptr
                                   : decision      ? program_->decide_plan(event.name)
                                                   : program_->plan(event.name);
  if (plan == nullptr) return out;
  // A user not seen yet has the empty profile a first step would give it.
  User* known = users_.find(event.user);
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
  point_slots(trigger_event, *program_, *plan, slots.data(), member_hints);
  const EvalContext c = context(known ? *known : fresh, {&trigger_event, slots.data()}, at);
  std::vector<size_t> models;
  for (const uint32_t rule : plan->rules) {
    const CompiledRule& r = program_->rules[rule];
    const auto remote = [&](const std::string& name) {
      const int64_t m = program_->model_index(name);
      return m >= 0 && bound_models_[static_cast<size_t>(m)].scorer != nullptr &&
             bound_models_[static_cast<size_t>(m)].scorer->remote();
    };
    if (std::none_of(r.scores.begin(), r.scores.end(), remote)) continue;
    // Section 11: score() is asked after the cheaper conditions of its `and` chain, so a
    // rule that one of them rules out asks nothing. They are tested as the step would,
    // on the user's state now (the user's earlier events are done).
    bool ruled_out = false;
    for (uint32_t k = 0; k < r.unscored_operands && !ruled_out; ++k)
      ruled_out = !holds(c, r.operands[r.test_order[k]]);
    if (ruled_out) continue;
    for (const std::string& name : r.scores) {
      const auto m = static_cast<size_t>(program_->model_index(name));
      if (remote(name) && std::find(models.begin(), models.end(), m) == models.end())
        models.push_back(m);
    }
  }
  for (const size_t m : models)
    out.push_back({program_->models[m].name, model_features(c, m)});
  return out;
}

}  // namespace spur
