// Explaining a rule that did not match (GET /v1/users/{user}/explain).
#include "engine/engine.hpp"

namespace spur {

std::optional<FalseCondition> Engine::first_false_condition(const std::string& user,
                                                            const Event& event,
                                                            uint32_t rule) const {
  const User* found = users_.find(user);
  const Program::EventPlan* plan = program_->plan(event.name);
  if (found == nullptr || plan == nullptr) return std::nullopt;
  std::vector<const Value*> slots(program_->slot_paths.size(), nullptr);
  std::vector<uint32_t> member_hints(slots.size(), 0);
  point_slots(event, *program_, *plan, slots.data(), member_hints);
  EvalContext c = context(*found, {&event, slots.data()}, clock_.value_or(event.time_ms));
  c.score_cache = nullptr;  // outside a step, it holds the scores of the last step's user

  const std::vector<uint32_t>& operands = program_->rules[rule].operands;
  for (size_t i = 0; i < operands.size(); ++i) {
    if (holds(c, operands[i])) continue;
    FalseCondition why{i, {}};
    const Node& n = program_->nodes[operands[i]];
    // The parts of a comparison, a `not`, a call or a nested `and`/`or` say why; a
    // condition without parts (a path, a past pattern) shows its own value.
    if (n.count > 0 && n.op != Op::kList && n.op != Op::kObject) {
      for (uint32_t k = 0; k < n.count; ++k)
        why.values.push_back(evaluate(c, program_->child(n, k)));
    } else {
      why.values.push_back(evaluate(c, operands[i]));
    }
    return why;
  }
  return std::nullopt;
}

}  // namespace spur
