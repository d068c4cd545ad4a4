// The step machine of language.md section 7, with the exact rules of section 13.
#include "engine/engine.hpp"

#include <algorithm>
#include <cstdio>

#include "engine/time_text.hpp"
#include "grammar/lexical.hpp"

namespace spur {
namespace {

uint64_t fnv1a(std::string_view text, uint64_t hash) {
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

// Firing times still within `keep_ms` of `at` matter to cooldowns and limits.
void trim_firings(FiringTimes& times, int64_t at, int64_t keep_ms) {
  while (!times.empty() && times.front() <= at - keep_ms)
    times.pop_front();
}

int64_t longest(const std::optional<int64_t>& cooldown, const std::vector<LimitSpec>& limits) {
  int64_t keep = cooldown.value_or(0);
  for (const LimitSpec& l : limits)
    keep = std::max(keep, l.period_ms);
  return keep;
}

// The reason a cooldown or a limit over `times` blocks a firing at `at`, if one does.
bool cooling(const FiringTimes& times, const std::optional<int64_t>& cooldown, int64_t at) {
  return cooldown && !times.empty() && at < times.back() + *cooldown;
}
bool limited(const FiringTimes& times, const std::vector<LimitSpec>& limits, int64_t at) {
  for (const LimitSpec& l : limits) {
    const auto in_window = std::count_if(
        times.begin(), times.end(), [&](int64_t t) { return t > at - l.period_ms && t <= at; });
    if (in_window >= l.count) return true;
  }
  return false;
}

}  // namespace

const char* reason_name(SuppressReason reason) {
  switch (reason) {
    case SuppressReason::kCooldown:
      return "cooldown";
    case SuppressReason::kLimit:
      return "limit";
    case SuppressReason::kGroupCooldown:
      return "group_cooldown";
    case SuppressReason::kGroupLimit:
      return "group_limit";
    case SuppressReason::kExclusive:
      return "exclusive";
  }
  return "?";
}

std::string firing_id(const std::string& rule, const std::string& user, const std::string& trigger,
                      int64_t time_ms) {
  uint64_t h = 14695981039346656037ULL;
  for (const std::string_view part :
       {std::string_view(rule), std::string_view(user), std::string_view(trigger)}) {
    h = fnv1a(part, h);
    h = fnv1a(std::string_view("\0", 1), h);
  }
  h = fnv1a(std::to_string(time_ms), h);
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

Engine::Engine(std::shared_ptr<const Program> program, EngineConfig config,
               EngineListener& listener)
    : program_(std::move(program)),
      config_(config),
      listener_(listener),
      rule_counts_(program_->rules.size()) {}

UserState& Engine::state(const std::string& user) {
  return users_[user];
}

const UserState* Engine::user(const std::string& id) const {
  const auto it = users_.find(id);
  return it == users_.end() ? nullptr : &it->second;
}

size_t Engine::pending_count() const {
  size_t n = 0;
  for (const auto& [id, u] : users_)
    n += u.pending.size();
  return n;
}

size_t Engine::pending_count(uint32_t rule) const {
  size_t n = 0;
  for (const auto& [id, u] : users_) {
    n += static_cast<size_t>(
        std::count_if(u.pending.begin(), u.pending.end(),
                      [rule](const PendingMatch& m) { return m.rule == rule; }));
  }
  return n;
}

void Engine::set_attributes(const std::string& user, const Value& attributes) {
  Object members;
  if (attributes.kind() == Value::Kind::kObject) {
    for (const auto& [key, value] : attributes.as_object()) {
      if (!value.is_null()) members.emplace_back(key, value);
    }
  }
  state(user).attributes = Value::object(std::move(members));
}

std::shared_ptr<const StepEvent> Engine::read_slots(Event event) const {
  auto step = std::make_shared<StepEvent>();
  step->slots.resize(program_->slot_paths.size());
  if (const auto used = program_->slots_by_event.find(event.name);
      used != program_->slots_by_event.end()) {
    for (const uint32_t slot : used->second) {
      step->slots[slot] = lookup(event.properties, program_->slot_paths[slot]);
    }
  }
  step->event = std::move(event);
  return step;
}

EvalContext Engine::context(const UserState& u, const StepEvent* trigger, int64_t at) const {
  EvalContext c;
  c.program = program_.get();
  c.user = &u;
  c.trigger = trigger;
  c.window_end_ms = at;
  c.clock_ms = at;
  c.session = session_at(u, at, config_.session_gap_ms, config_.session_max_ms);
  return c;
}

std::optional<int64_t> Engine::next_deadline() const {
  for (const Timer& t : timers_) {
    const auto u = users_.find(t.user);
    if (u == users_.end()) continue;
    for (const PendingMatch& m : u->second.pending) {
      if (m.id == t.match && !m.held[t.pattern]) return t.deadline_ms;
    }
  }
  return std::nullopt;
}

SubmitResult Engine::submit(Event event) {
  if (!event.has_time) {
    if (!clock_)
      return {Outcome::kRejected, "the first event needs a `time`: nothing has set the clock yet"};
    event.time_ms = *clock_;
  }
  if (clock_ && event.time_ms < *clock_ - config_.max_lateness_ms) {
    return {Outcome::kRejected,
            "`time` " + format_rfc3339(event.time_ms) + " is more than max_lateness (" +
                lexical::format_duration(config_.max_lateness_ms) + ") behind the clock " +
                format_rfc3339(*clock_) + "; send events sooner or raise engine.max_lateness"};
  }
  const int64_t at = clock_ ? std::max(*clock_, event.time_ms) : event.time_ms;
  if (const auto u = users_.find(event.user); u != users_.end()) {
    const auto seen = u->second.recent_ids.find(event.id);
    if (seen != u->second.recent_ids.end() && at - seen->second <= config_.dedup_window_ms) {
      return {Outcome::kDuplicate, ""};
    }
  }
  if (!clock_ || at > *clock_) {
    fire_timers_through(at, false);
    clock_ = at;
  }
  UserState& u = state(event.user);
  u.recent_ids[event.id] = at;
  // Ids older than the dedup window are swept when the map has doubled since the last
  // sweep: amortized constant time per event.
  if (u.recent_ids.size() > u.recent_ids_sweep_at) {
    std::erase_if(u.recent_ids,
                  [&](const auto& entry) { return entry.second < at - config_.dedup_window_ms; });
    u.recent_ids_sweep_at = std::max<size_t>(64, 2 * u.recent_ids.size());
  }
  Cascade cascade;
  cascade.user = event.user;
  cascade.root_id = event.id;
  event_step(u, read_slots(std::move(event)), at, true, 0, cascade);
  run_cascade(u, cascade, at);
  return {Outcome::kAccepted, ""};
}

void Engine::advance_to(int64_t ms) {
  fire_timers_through(ms, true);
  if (!clock_ || ms > *clock_) clock_ = ms;
}

void Engine::fire_timers_through(int64_t ms, bool inclusive) {
  while (!timers_.empty()) {
    const int64_t at = timers_.begin()->deadline_ms;
    if (at > ms || (!inclusive && at == ms)) return;
    // One instant: every due timer, grouped per user, users in the order of their
    // earliest-created due match (section 13).
    std::vector<Timer> due;
    while (!timers_.empty() && timers_.begin()->deadline_ms == at) {
      due.push_back(*timers_.begin());
      timers_.erase(timers_.begin());
    }
    clock_ = std::max(clock_.value_or(at), at);
    std::vector<std::string> order;
    for (const Timer& t : due) {
      if (std::find(order.begin(), order.end(), t.user) == order.end()) order.push_back(t.user);
    }
    for (const std::string& user : order) {
      std::vector<Timer> mine;
      for (const Timer& t : due) {
        if (t.user == user) mine.push_back(t);
      }
      timer_step(user, at, std::move(mine));
    }
  }
}

void Engine::drop_match(UserState& u, size_t index) {
  // Its timers stay in the queue and are skipped when due: a deadline whose match is
  // gone is not a timer.
  u.pending.erase(u.pending.begin() + static_cast<std::ptrdiff_t>(index));
}

void Engine::timer_step(const std::string& user, int64_t at, std::vector<Timer> due) {
  UserState& u = state(user);
  std::vector<Activation> activations;
  bool any = false;
  // `due` is in (match, pattern) order: matches resolve in the order they were created.
  for (size_t i = 0; i < due.size();) {
    const uint64_t match_id = due[i].match;
    auto it = std::find_if(u.pending.begin(), u.pending.end(),
                           [&](const PendingMatch& m) { return m.id == match_id; });
    bool failed = false;
    for (; i < due.size() && due[i].match == match_id; ++i) {
      if (it == u.pending.end() || it->held[due[i].pattern]) continue;
      any = true;
      const FuturePattern& f = program_->rules[it->rule].futures[due[i].pattern];
      if (f.absence) {
        it->held[due[i].pattern] = true;  // nothing came: the absence holds
      } else {
        failed = true;  // the awaited event did not come
      }
    }
    if (it == u.pending.end()) continue;
    const auto index = static_cast<size_t>(it - u.pending.begin());
    if (failed) {
      drop_match(u, index);
    } else if (std::all_of(it->held.begin(), it->held.end(), [](bool h) { return h; })) {
      PendingMatch done = std::move(*it);
      drop_match(u, index);
      if (recheck(u, done, at)) activations.push_back({done.rule, done.id, done.trigger});
    }
  }
  if (!any) return;  // only stale timers: no step
  Cascade cascade;
  cascade.user = user;
  cascade.root_id = "timer@" + format_rfc3339(at);
  run_agenda(u, activations, at, 0, cascade);
  update_segments(u, at, 0, cascade);
  run_cascade(u, cascade, at);
}

void Engine::record(UserState& u, const Event& event, int64_t at, bool input) {
  if (input) {
    if (!u.first_seen_ms) u.first_seen_ms = at;
    u.last_seen_ms = at;
    if (program_->uses_session) {
      u.input_times.push_back(at);
      while (u.input_times.front() <= at - config_.session_max_ms - config_.session_gap_ms) {
        u.input_times.pop_front();
      }
    }
  }
  if (const auto horizon = program_->history_ms.find(event.name);
      horizon != program_->history_ms.end()) {
    auto& entries = u.history[event.name];
    entries.push_back({at, event.properties});
    // A session can be used up to session_gap after its last input event and reaches
    // back session_max before that.
    const int64_t keep =
        std::max(horizon->second,
                 program_->uses_session ? config_.session_max_ms + config_.session_gap_ms : 0);
    while (entries.front().time_ms <= at - keep)
      entries.pop_front();
  }
  if (event.name == "identify" && event.properties.kind() == Value::Kind::kObject) {
    for (const auto& [key, value] : event.properties.as_object()) {
      u.attributes = with_member(u.attributes, {key}, 0, value);
    }
  }
}

bool Engine::recheck(const UserState& u, const PendingMatch& match, int64_t at) const {
  EvalContext c = context(u, match.trigger.get(), at);
  c.frozen = &match.frozen;
  const CompiledRule& rule = program_->rules[match.rule];
  return std::all_of(rule.operands.begin(), rule.operands.end(),
                     [&](uint32_t operand) { return holds(c, operand); });
}

void Engine::resolve_pending(UserState& u, const Event& event, int64_t at,
                             std::vector<Activation>& activations) {
  for (size_t i = 0; i < u.pending.size();) {
    PendingMatch& m = u.pending[i];
    const CompiledRule& rule = program_->rules[m.rule];
    bool violated = false;
    for (size_t p = 0; p < rule.futures.size() && !violated; ++p) {
      const FuturePattern& f = rule.futures[p];
      if (m.held[p] || f.event != event.name || at > m.trigger_ms + f.within_ms) continue;
      if (f.filter != kNoNode) {
        EvalContext c = context(u, m.trigger.get(), at);
        c.candidate = &event.properties;
        if (!holds(c, f.filter)) continue;
      }
      if (f.absence) {
        violated = true;
      } else {
        m.held[p] = true;
      }
    }
    if (violated) {
      drop_match(u, i);
      continue;
    }
    if (std::all_of(m.held.begin(), m.held.end(), [](bool h) { return h; })) {
      PendingMatch done = std::move(m);
      drop_match(u, i);
      if (recheck(u, done, at)) activations.push_back({done.rule, done.id, done.trigger});
      continue;
    }
    ++i;
  }
}

void Engine::trigger_rules(UserState& u, const std::shared_ptr<const StepEvent>& event, int64_t at,
                           std::vector<Activation>& activations) {
  const auto dispatch = program_->dispatch.find(event->event.name);
  if (dispatch == program_->dispatch.end()) return;
  // Candidates in declaration order, so matches are created in the same order with or
  // without the index.
  std::vector<uint32_t> candidates = dispatch->second.always;
  for (const Program::EqualityIndex& index : dispatch->second.indexes) {
    const auto hit = index.rules.find(value_key(event->slots[index.slot]));
    if (hit != index.rules.end())
      candidates.insert(candidates.end(), hit->second.begin(), hit->second.end());
  }
  if (!dispatch->second.indexes.empty()) std::sort(candidates.begin(), candidates.end());
  const EvalContext c = context(u, event.get(), at);
  for (const uint32_t index : candidates) {
    const CompiledRule& rule = program_->rules[index];
    if (rule.disabled) continue;
    const bool hold = std::all_of(rule.operands.begin(), rule.operands.end(),
                                  [&](uint32_t operand) { return holds(c, operand); });
    if (!hold) continue;
    if (rule.futures.empty()) {
      activations.push_back({index, next_order_++, event});
      continue;
    }
    const auto mine = [index](const PendingMatch& m) { return m.rule == index; };
    if (rule.pending == PendingMode::kFirst &&
        std::any_of(u.pending.begin(), u.pending.end(), mine))
      continue;
    if (rule.pending == PendingMode::kLatest) std::erase_if(u.pending, mine);
    PendingMatch m;
    m.id = next_order_++;
    m.rule = index;
    m.trigger = event;
    m.trigger_ms = at;
    m.held.assign(rule.futures.size(), false);
    for (const uint32_t operand : rule.operands)
      freeze_past(c, operand, m.frozen);
    for (uint32_t p = 0; p < rule.futures.size(); ++p) {
      timers_.insert(Timer{at + rule.futures[p].within_ms, m.id, p, event->event.user});
    }
    u.pending.push_back(std::move(m));
  }
}

std::optional<SuppressReason> Engine::blocked(const UserState& u, const CompiledRule& rule,
                                              const std::set<int32_t>& fired_groups,
                                              int64_t at) const {
  static const FiringTimes kNone;
  const auto index = static_cast<uint32_t>(&rule - program_->rules.data());
  const auto own = u.rule_firings.find(index);
  const FiringTimes& times = own == u.rule_firings.end() ? kNone : own->second;
  if (cooling(times, rule.cooldown_ms, at)) return SuppressReason::kCooldown;
  if (limited(times, rule.limits, at)) return SuppressReason::kLimit;
  if (rule.group < 0) return std::nullopt;
  const CompiledGroup& group = program_->groups[static_cast<size_t>(rule.group)];
  const auto shared = u.group_firings.find(static_cast<uint32_t>(rule.group));
  const FiringTimes& group_times = shared == u.group_firings.end() ? kNone : shared->second;
  if (cooling(group_times, group.cooldown_ms, at)) return SuppressReason::kGroupCooldown;
  if (limited(group_times, group.limits, at)) return SuppressReason::kGroupLimit;
  if (group.exclusive && fired_groups.count(rule.group)) return SuppressReason::kExclusive;
  return std::nullopt;
}

void Engine::run_agenda(UserState& u, std::vector<Activation>& activations, int64_t at, int level,
                        Cascade& cascade) {
  // Priority (higher first), declaration order, then creation order (section 13).
  std::sort(
      activations.begin(), activations.end(), [this](const Activation& a, const Activation& b) {
        const int64_t pa = program_->rules[a.rule].priority, pb = program_->rules[b.rule].priority;
        if (pa != pb) return pa > pb;
        if (a.rule != b.rule) return a.rule < b.rule;
        return a.order < b.order;
      });
  std::set<int32_t> fired_groups;
  for (const Activation& a : activations) {
    const CompiledRule& rule = program_->rules[a.rule];
    if (const auto reason = blocked(u, rule, fired_groups, at)) {
      ++rule_counts_[a.rule].suppressed;
      listener_.on_suppressed(
          {*reason, rule.name, a.trigger->event.user, at, a.trigger->event.id, rule.priority});
      continue;
    }
    // Firing times are kept only where a cooldown or a limit will look at them.
    if (const int64_t keep = longest(rule.cooldown_ms, rule.limits); keep > 0) {
      FiringTimes& times = u.rule_firings[a.rule];
      times.push_back(at);
      trim_firings(times, at, keep);
    }
    if (rule.group >= 0) {
      const CompiledGroup& group = program_->groups[static_cast<size_t>(rule.group)];
      if (const int64_t keep = longest(group.cooldown_ms, group.limits); keep > 0) {
        FiringTimes& group_times = u.group_firings[static_cast<uint32_t>(rule.group)];
        group_times.push_back(at);
        trim_firings(group_times, at, keep);
      }
      fired_groups.insert(rule.group);
    }
    fire(u, a, at, level, cascade);
  }
}

void Engine::fire(UserState& u, const Activation& a, int64_t at, int level, Cascade& cascade) {
  const CompiledRule& rule = program_->rules[a.rule];
  ++rule_counts_[a.rule].fired;
  Firing firing;
  firing.rule = rule.name;
  firing.user = a.trigger->event.user;
  firing.time_ms = at;
  firing.trigger = a.trigger->event.id;
  firing.priority = rule.priority;
  firing.firing_id = firing_id(rule.name, firing.user, firing.trigger, at);
  for (const std::string& model : rule.scores)
    firing.scores.emplace_back(model, score(*program_, u, model));
  // The context points at the live user state: each action sees the changes of the ones
  // before it.
  const EvalContext c = context(u, a.trigger.get(), at);
  for (const CompiledAction& action : rule.actions) {
    static const Value kNoPayload = Value::object({});  // immutable, shared by all firings
    ActionRecord r;
    r.op = action.op;
    r.name = action.target;
    switch (action.op) {
      case ActionOp::kSend:
      case ActionOp::kRespond:
        r.value = action.value == kNoNode ? kNoPayload : evaluate(c, action.value);
        break;
      case ActionOp::kEmit:
        r.value = action.value == kNoNode ? kNoPayload : evaluate(c, action.value);
        queue_derived(action.target, r.value, at, level + 1, cascade);
        break;
      case ActionOp::kSet:
      case ActionOp::kUnset:
        if (action.op == ActionOp::kSet) r.value = evaluate(c, action.value);
        u.attributes = with_member(u.attributes, action.path, 0, r.value);
        break;
      case ActionOp::kIncrement: {
        r.by = action.value == kNoNode ? Value::number(1) : evaluate(c, action.value);
        Value current = lookup(u.attributes, action.path);
        if (current.is_null()) current = Value::number(0);
        if (current.kind() == Value::Kind::kNumber && r.by.kind() == Value::Kind::kNumber) {
          r.value = Value::number(current.as_number() + r.by.as_number());
          u.attributes = with_member(u.attributes, action.path, 0, r.value);
        }
        break;
      }
    }
    firing.actions.push_back(std::move(r));
  }
  listener_.on_firing(firing);
}

void Engine::queue_derived(std::string name, Value properties, int64_t at, int level,
                           Cascade& cascade) {
  if (level > config_.max_emit_depth) {
    ++dropped_emits_;  // deeper emits are dropped and counted (section 7)
    return;
  }
  Event derived;
  derived.name = std::move(name);
  derived.user = cascade.user;
  derived.id = cascade.root_id + "~" + std::to_string(cascade.next_k++);
  derived.time_ms = at;
  derived.has_time = true;
  derived.properties =
      properties.kind() == Value::Kind::kObject ? std::move(properties) : Value::object({});
  cascade.queue.emplace_back(std::move(derived), level);
}

void Engine::update_segments(UserState& u, int64_t at, int level, Cascade& cascade) {
  if (program_->segments.empty()) return;
  // Every segment against the membership from before, then the changes (section 13).
  EvalContext c = context(u, nullptr, at);
  std::vector<uint32_t> now_in;
  for (uint32_t s = 0; s < program_->segments.size(); ++s) {
    const auto& operands = program_->segments[s].operands;
    if (std::all_of(operands.begin(), operands.end(), [&](uint32_t o) { return holds(c, o); })) {
      now_in.push_back(s);
    }
  }
  if (now_in == u.segments) return;
  const std::vector<uint32_t> before = std::move(u.segments);
  u.segments = now_in;
  for (uint32_t s = 0; s < program_->segments.size(); ++s) {
    const bool was = std::binary_search(before.begin(), before.end(), s);
    const bool is = std::binary_search(now_in.begin(), now_in.end(), s);
    if (was == is) continue;
    queue_derived(is ? "segment_entered" : "segment_exited",
                  Value::object({{"segment", Value::string(program_->segments[s].name)}}), at,
                  level + 1, cascade);
  }
}

void Engine::event_step(UserState& u, const std::shared_ptr<const StepEvent>& event, int64_t at,
                        bool input, int level, Cascade& cascade) {
  record(u, event->event, at, input);
  std::vector<Activation> activations;
  resolve_pending(u, event->event, at, activations);
  trigger_rules(u, event, at, activations);
  run_agenda(u, activations, at, level, cascade);
  update_segments(u, at, level, cascade);
}

void Engine::run_cascade(UserState& u, Cascade& cascade, int64_t at) {
  while (cascade.head < cascade.queue.size()) {
    auto [event, level] = std::move(cascade.queue[cascade.head++]);
    event_step(u, read_slots(std::move(event)), at, false, level, cascade);
  }
}

}  // namespace spur
