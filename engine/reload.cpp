// Hot swap of the rule set (http-api.md, "Hot reload"): state carries over by name.
//
// Indices (rules, groups, segments, nodes, slots) are private to a Program, so every
// piece of user state that holds one is translated to the new program's numbering, or
// dropped when its owner is gone.
#include <algorithm>
#include <cassert>
#include <functional>
#include <unordered_map>

#include "engine/engine.hpp"

namespace spur {
namespace {

constexpr int64_t kGone = -1;

// Old index -> new index of the entries with the same name, kGone for names that left.
template <typename Item>
std::vector<int64_t> by_name(const std::vector<Item>& before, const std::vector<Item>& after) {
  std::unordered_map<std::string_view, int64_t> index;
  for (size_t i = 0; i < after.size(); ++i)
    index.emplace(after[i].name, static_cast<int64_t>(i));
  std::vector<int64_t> map(before.size(), kGone);
  for (size_t i = 0; i < before.size(); ++i) {
    if (const auto it = index.find(before[i].name); it != index.end()) map[i] = it->second;
  }
  return map;
}

// The nodes of a rule's conditions in depth-first order. Two compilations of the same
// `when` text give sequences of the same length and shape, position by position, even
// though their node numbers differ (nodes are shared across rules).
std::vector<uint32_t> condition_nodes(const Program& program, const CompiledRule& rule) {
  std::vector<uint32_t> order;
  std::function<void(uint32_t)> visit = [&](uint32_t node) {
    if (node == kNoNode) return;
    order.push_back(node);
    const Node& n = program.nodes[node];
    for (uint32_t i = 0; i < n.count; ++i)
      visit(program.child(n, i));
  };
  for (const uint32_t operand : rule.operands)
    visit(operand);
  for (const FuturePattern& future : rule.futures)
    visit(future.filter);
  return order;
}

// Re-keys firing times from old indices to new ones, dropping those whose owner left.
void remap_times(std::vector<std::pair<uint32_t, FiringTimes>>& times,
                 const std::vector<int64_t>& map) {
  std::vector<std::pair<uint32_t, FiringTimes>> kept;
  for (auto& [key, entries] : times) {
    if (map[key] != kGone) kept.emplace_back(static_cast<uint32_t>(map[key]), std::move(entries));
  }
  times = std::move(kept);
}

// Keyed times follow their rule or group by name, as the others do; a restriction's
// number stays, so a reload that reorders a rule's limits moves their counts with the
// positions (docs/server.md, "Reload").
void remap_keyed(std::vector<KeyedFiringTimes>& keyed, const std::vector<int64_t>& map) {
  std::erase_if(keyed, [&](const KeyedFiringTimes& k) { return map[k.owner] == kGone; });
  for (KeyedFiringTimes& k : keyed)
    k.owner = static_cast<uint32_t>(map[k.owner]);
}

// What an experiment's figures depend on: the split's arm edges, the holdouts and the
// goal (the buckets depend on the rule's name only, which a reload keeps).
std::string experiment_of(const CompiledRule& rule) {
  std::string out = std::to_string(rule.holdout_bp) + "/" + std::to_string(rule.group_holdout_bp);
  for (const CompiledAction& action : rule.actions) {
    if (action.op != ActionOp::kSplit) continue;
    for (const uint32_t end : action.arm_ends)
      out += "," + std::to_string(end);
  }
  if (rule.goal) out += "/" + rule.goal->event + "/" + std::to_string(rule.goal->within_ms);
  return out;
}

// Awaited goals follow their rule by name, and wait for its goal event as it is now;
// those of removed rules are dropped.
void remap_goals(AwaitedGoals& goals, const std::vector<int64_t>& map, const Program& after) {
  goals.erase_if([&](const AwaitedGoal& g) { return map[g.rule] == kGone; });
  for (AwaitedGoal& g : goals) {
    g.rule = static_cast<uint32_t>(map[g.rule]);
    g.event_slot = Program::goal_slot(after.goal_checks[g.rule].event);
  }
}

}  // namespace

std::shared_ptr<const ProgramSwap> prepare_swap(std::shared_ptr<const Program> before,
                                                std::shared_ptr<const Program> after) {
  auto swap = std::make_shared<ProgramSwap>();
  swap->rules = by_name(before->rules, after->rules);
  swap->groups = by_name(before->groups, after->groups);
  swap->segments = by_name(before->segments, after->segments);
  std::unordered_map<std::string, int64_t> new_slots;
  for (size_t i = 0; i < after->slot_paths.size(); ++i)
    new_slots.emplace(path_key(after->slot_paths[i]), static_cast<int64_t>(i));
  swap->slots.assign(before->slot_paths.size(), kGone);
  for (size_t i = 0; i < before->slot_paths.size(); ++i) {
    if (const auto it = new_slots.find(path_key(before->slot_paths[i])); it != new_slots.end())
      swap->slots[i] = it->second;
  }
  swap->nodes.resize(before->rules.size());
  for (size_t r = 0; r < before->rules.size(); ++r) {
    if (swap->rules[r] == kGone) continue;
    const CompiledRule& old_rule = before->rules[r];
    const CompiledRule& new_rule = after->rules[static_cast<size_t>(swap->rules[r])];
    if (old_rule.when_fingerprint != new_rule.when_fingerprint || new_rule.disabled) continue;
    const auto old_nodes = condition_nodes(*before, old_rule);
    const auto new_nodes = condition_nodes(*after, new_rule);
    if (old_nodes.size() != new_nodes.size()) continue;
    auto& map = swap->nodes[r].emplace();
    for (size_t i = 0; i < old_nodes.size(); ++i)
      map.emplace(old_nodes[i], new_nodes[i]);
    std::vector<uint32_t> unkept = new_rule.trigger_slots;
    for (const uint32_t kept : old_rule.trigger_slots) {
      if (swap->slots[kept] != kGone) std::erase(unkept, static_cast<uint32_t>(swap->slots[kept]));
    }
    if (!unkept.empty())
      swap->unkept_reads.emplace_back(static_cast<uint32_t>(swap->rules[r]), std::move(unkept));
  }
  swap->before = std::move(before);
  swap->after = std::move(after);
  return swap;
}

SwapCounts Engine::replace_program(std::shared_ptr<const Program> next) {
  return replace_program(*prepare_swap(program_, std::move(next)));
}

SwapCounts Engine::replace_program(const ProgramSwap& swap) {
  assert(swap.before == program_);
  const Program& after = *swap.after;
  SwapCounts counts;
  std::erase_if(numbered_users_, [&](UserState* listed) {
    UserState& u = *listed;
    PendingList kept;
    while (!u.pending.empty()) {
      const PendingMatch::Ptr m = u.pending.take(*u.pending.begin());
      const auto& nodes = swap.nodes[m->rule()];
      if (!nodes) {
        ++counts.pending_dropped;
        continue;
      }
      // Renumbered into the new program's rules, slots and nodes. The new rule reads the
      // same conditions; a trigger property that only its new actions read was not kept
      // and reads as missing (docs/server.md, "Reload").
      PendingContents& c = making_;
      m->decode(c);
      c.rule = static_cast<uint32_t>(swap.rules[c.rule]);
      const std::vector<uint32_t>& reads = after.rules[c.rule].trigger_slots;
      std::erase_if(c.slots, [&](std::pair<uint32_t, Value>& slot) {
        const int64_t now = swap.slots[slot.first];
        slot.first = static_cast<uint32_t>(now);
        return now == kGone || !std::binary_search(reads.begin(), reads.end(), slot.first);
      });
      std::sort(c.slots.begin(), c.slots.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (auto& [node, value] : c.frozen)
        node = nodes->at(node);
      kept.push_back(PendingMatch::make(c, match_bytes_));
      ++counts.pending_kept;
    }
    u.pending = std::move(kept);
    making_.slots.clear();  // no longer keeps the last match's values alive
    making_.frozen.clear();
    if (u.activity) {
      UserActivity& activity = *u.activity;
      remap_times(activity.rule_firings, swap.rules);
      remap_times(activity.group_firings, swap.groups);
      remap_keyed(activity.rule_keyed_firings, swap.rules);
      remap_keyed(activity.group_keyed_firings, swap.groups);
      std::vector<uint32_t> segments;
      for (const uint32_t s : activity.segments) {
        if (swap.segments[s] != kGone) segments.push_back(static_cast<uint32_t>(swap.segments[s]));
      }
      std::sort(segments.begin(), segments.end());
      activity.segments = std::move(segments);
    }
    remap_goals(u.goals, swap.rules, after);
    // The goal events may have changed with the rules: every event looks until the next
    // scan makes the set exact again.
    u.goal_events = u.goals.empty() ? 0 : ~uint32_t{0};
    u.numbered = u.holds_numbers();
    return !u.numbered;
  });

  std::vector<RuleCounts> rule_counts(after.rules.size());
  for (size_t r = 0; r < swap.rules.size(); ++r) {
    if (swap.rules[r] == kGone) continue;
    const auto now = static_cast<size_t>(swap.rules[r]);
    rule_counts[now] = rule_counts_[r];
    // An experiment's figures compare like with like: changed shares, holdouts or goal
    // start them again (docs/server.md, "Reload").
    if (experiment_of(program_->rules[r]) != experiment_of(after.rules[now]))
      rule_counts[now].clear_cohorts();
  }
  rule_counts_ = std::move(rule_counts);
  program_ = swap.after;
  size_scratch();
  return counts;
}

}  // namespace spur
