// The step machine of language.md section 7, with the exact rules of section 13.
#include "engine/engine.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <functional>

#include "engine/same_text.hpp"
#include "grammar/lexical.hpp"
#include "time/quiet_hours.hpp"
#include "time/time_text.hpp"

namespace spur {
namespace {

const Value kNull;

// Up to this many candidates, their bounds are tested one by one instead of narrowed.
constexpr size_t kFewCandidates = 8;

// True when more than `n` bits of `bits` are set; stops counting there.
bool more_than(std::span<const uint64_t> bits, size_t n) {
  for (uint64_t word : bits) {
    for (; word != 0; word &= word - 1) {
      if (n-- == 0) return true;
    }
  }
  return false;
}
const Value kOne = Value::number(1);

// The member `name` of `members`, tried first at index `hint`, which is left where it
// was found. Events of one kind keep their members in one order (a backend's JSON, as
// decoded), so one comparison usually finds a slot where a scan compared the members
// before it too; keys are unique, so the member at `hint` is the one a scan finds.
const Value* member_at(const Object& members, std::string_view name, uint32_t& hint) {
  if (hint < members.size() && same_text(members[hint].first, name)) return &members[hint].second;
  for (uint32_t i = 0; i < members.size(); ++i) {
    if (same_text(members[i].first, name)) {
      hint = i;
      return &members[i].second;
    }
  }
  return nullptr;
}

// Firing times still within `keep_ms` of `at` matter to cooldowns and limits.
void trim_firings(FiringTimes& times, int64_t at, int64_t keep_ms) {
  while (!times.empty() && times.front() <= at - keep_ms)
    times.pop_front();
}

// How long a limit looks back at firing times; a limit per session, `session_reach`:
// the longest a session can.
int64_t reach_of(const LimitSpec& limit, int64_t session_reach) {
  return limit.period_ms == LimitSpec::kPerSession ? session_reach : limit.period_ms;
}

// How long the firing times counted per user only (those of the cooldown and limits
// without `by`) are kept.
int64_t unkeyed_keep(const std::optional<int64_t>& cooldown, const std::vector<LimitSpec>& limits,
                     const RestrictionKeys& keys, int64_t session_reach) {
  int64_t keep = keys.cooldown == kNoNode ? cooldown.value_or(0) : 0;
  for (size_t i = 0; i < limits.size(); ++i) {
    if (keys.limit(i) == kNoNode) keep = std::max(keep, reach_of(limits[i], session_reach));
  }
  return keep;
}

// Whether a cooldown over `times` blocks a firing at `at`.
bool cooling(const FiringTimes* times, const std::optional<int64_t>& cooldown, int64_t at) {
  return cooldown && times && !times->empty() && at < times->back() + *cooldown;
}
// Whether a limit over `times` does. `session`: the session a trigger at `at` sees
// (empty when there is none), for a limit per session.
bool limited(const FiringTimes* times, const LimitSpec& l, int64_t at, const Session& session) {
  if (times == nullptr) return false;
  const bool per_session = l.period_ms == LimitSpec::kPerSession;
  const auto in_window = std::count_if(times->begin(), times->end(), [&](int64_t t) {
    return per_session ? t >= session.begin && t <= session.end : t > at - l.period_ms && t <= at;
  });
  return in_window >= l.count;
}

const FiringTimes* keyed_times_of(const std::vector<KeyedFiringTimes>& all, uint32_t owner,
                                  uint32_t restriction, const Value& key) {
  for (const KeyedFiringTimes& k : all) {
    if (k.owner == owner && k.restriction == restriction && equal(k.key, key)) return &k.times;
  }
  return nullptr;
}
FiringTimes& keyed_times_for(std::vector<KeyedFiringTimes>& all, uint32_t owner,
                             uint32_t restriction, Value key) {
  for (KeyedFiringTimes& k : all) {
    if (k.owner == owner && k.restriction == restriction && equal(k.key, key)) return k.times;
  }
  return all.emplace_back(KeyedFiringTimes{owner, restriction, std::move(key), {}}).times;
}

const FiringTimes* times_of(const TimesByOwner& all, uint32_t key) {
  for (const auto& [k, times] : all) {
    if (k == key) return &times;
  }
  return nullptr;
}
FiringTimes& times_for(TimesByOwner& all, uint32_t key) {
  for (auto& [k, times] : all) {
    if (k == key) return times;
  }
  return all.emplace_back(key, FiringTimes()).second;
}

}  // namespace

int64_t history_kept_ms(const Program& program, const Program::EventPlan* plan,
                        const EngineConfig& config, std::string_view name) {
  int64_t keep = plan ? plan->history_ms : -1;
  // A session can be used up to session_gap after its last input event and reaches
  // back session_max before that.
  if (keep >= 0 && program.uses_session)
    keep = std::max(keep, config.session_max_ms + config.session_gap_ms);
  for (const auto& [event, ms] : config.retain) {
    if (event == name) keep = std::max(keep, ms);
  }
  return keep;
}

namespace {

// The actions of `actions` and of every split arm in them: an upper bound of the records
// a firing makes.
size_t action_count(const std::vector<CompiledAction>& actions) {
  size_t n = actions.size();
  for (const CompiledAction& action : actions) {
    for (const std::vector<CompiledAction>& arm : action.arms)
      n += action_count(arm);
  }
  return n;
}

}  // namespace

Engine::Engine(std::shared_ptr<const Program> program, EngineConfig config,
               EngineListener& listener)
    : program_(std::move(program)),
      config_(std::move(config)),
      listener_(listener),
      conversions_(listener.wants_conversions()),
      rule_counts_(program_->rules.size()),
      default_zone_(config_.timezone == "UTC" ? nullptr : zone_named(config_.timezone)) {
  size_scratch();
}

void Engine::use_scorers(std::shared_ptr<const Scorers> scorers) {
  config_.scorers = std::move(scorers);
  bind_scorers();
}

void Engine::bind_scorers() {
  bound_models_ = bind_models(*program_, config_.scorers.get());
  remote_models_ = std::any_of(bound_models_.begin(), bound_models_.end(), [](const BoundModel& m) {
    return m.scorer != nullptr && m.scorer->remote();
  });
  score_cache_.values.assign(program_->models.size(), std::nullopt);
  bind_remote_models();
}

void Engine::size_scratch() {
  bind_scorers();
  slots_.assign(program_->slot_paths.size(), nullptr);
  slot_members_.assign(program_->slot_paths.size(), 0);
  held_slots_.assign(program_->slot_paths.size(), nullptr);
  held_.slots.clear();  // its slot numbers were the old program's
  candidates_.assign(program_->max_rules_per_event / 64 + 1, 0);
  bound_mask_.assign(candidates_.size(), 0);
  size_t most_bounds = 0;
  for (const auto& [name, plan] : program_->event_plans)
    most_bounds = std::max(most_bounds, plan.bounds.size());
  bound_values_.assign(most_bounds, 0);
  size_t most_actions = 0;
  for (const CompiledRule& rule : program_->rules)
    most_actions = std::max(most_actions, action_count(rule.actions));
  action_records_.reserve(most_actions);
  action_values_.reserve(2 * most_actions);  // a value and a `by` per action at most
}

Engine::User& Engine::state(const std::string& user) {
  return users_.get_or_add(user);
}

const UserState* Engine::user(const std::string& id) const {
  const User* found = users_.find(id);
  return found == nullptr ? nullptr : &found->second;
}

size_t Engine::pending_count() const {
  size_t n = 0;
  for (const UserState* u : numbered_users_)
    n += u->pending.size();
  return n;
}

std::vector<size_t> Engine::pending_by_rule() const {
  std::vector<size_t> counts(program_->rules.size(), 0);
  for (const UserState* u : numbered_users_) {
    for (const PendingMatch& m : u->pending)
      ++counts[m.rule()];
  }
  return counts;
}

void Engine::set_attributes(const std::string& user, const Value& attributes) {
  Object members;
  if (attributes.kind() == Value::Kind::kObject) {
    for (const auto& [key, value] : attributes.as_object()) {
      if (!value.is_null()) members.emplace_back(key, value);
    }
  }
  state(user).second.attributes = Value::object(std::move(members));
}

void Engine::merge_attributes(const std::string& user, const Value& patch) {
  UserState& u = state(user).second;
  u.attributes = merge_patch(u.attributes, patch);
}

bool Engine::erase_user(const std::string& user) {
  std::unique_ptr<User> gone = users_.extract(user);
  if (gone == nullptr) return false;
  if (gone->second.numbered) std::erase(numbered_users_, &gone->second);
  // Timers may still point at the node: its state goes now (its matches with it, so
  // those timers are dead), the node itself at the next compaction. Compacting once a
  // quarter of the heap's size in users is erased keeps that amortised O(1) an erasure.
  gone->second = UserState();
  erased_users_.push_back(std::move(gone));
  if (erased_users_.size() * 4 > timers_.size()) compact_timers();
  return true;
}

void Engine::point_slots(const Event& event, const Program& program, const Program::EventPlan& plan,
                         const Value** slots, std::span<uint32_t> member_hints) {
  if (event.properties.kind() != Value::Kind::kObject) {
    for (const uint32_t slot : plan.slots)
      slots[slot] = program.slot_paths[slot].empty() ? &event.properties : nullptr;
    return;
  }
  const Object& members = event.properties.as_object();
  for (const uint32_t slot : plan.slots) {
    const std::vector<std::string>& path = program.slot_paths[slot];
    if (path.empty()) {
      slots[slot] = &event.properties;
      continue;
    }
    const Value* first = member_at(members, path.front(), member_hints[slot]);
    slots[slot] = first == nullptr || path.size() == 1 ? first : find_path(*first, path, 1);
  }
}

TriggerView Engine::unpack(const PendingMatch& match, const User& user) {
  // Only the slots the match holds are set; those of the match decoded before are
  // cleared first, so that no slot points at a value of another trigger.
  for (const auto& [slot, value] : held_.slots)
    held_slots_[slot] = nullptr;
  match.decode(held_);
  held_event_.name = held_.trigger_name.empty() ? program_->rules[held_.rule].triggers.front()
                                                : held_.trigger_name;
  held_event_.user = user.first;
  held_event_.id = held_.trigger_id;
  held_event_.time_ms = held_.trigger_time_ms;
  held_event_.has_time = true;
  for (const auto& [slot, value] : held_.slots)
    held_slots_[slot] = &value;
  return {&held_event_, held_slots_.data()};
}

EvalContext Engine::context(const User& user, TriggerView trigger, int64_t at) const {
  const UserState& u = user.second;
  EvalContext c;
  c.program = program_.get();
  c.user = &u;
  c.user_id = user.first;
  c.trigger = trigger;
  c.window_end_ms = at;
  c.clock_ms = at;
  c.models = bound_models_;
  c.score_cache = &score_cache_;
  if (program_->uses_session)
    c.session = session_at(u, at, config_.session_gap_ms, config_.session_max_ms);
  return c;
}

PendingMatch* Engine::match_of(const Timer& t) const {
  for (PendingMatch& m : t.user->second.pending) {
    if (m.id() == t.match) return &m;
  }
  return nullptr;
}

int64_t Engine::next_deadline_of(const PendingMatch& match) const {
  if (match.deferred()) return match.due_ms();
  const std::vector<FuturePattern>& futures = program_->rules[match.rule()].futures;
  int64_t next = kMaxTimeMs;
  for (size_t p = 0; p < futures.size(); ++p) {
    if (!match.held(p)) next = std::min(next, time_plus(match.trigger_ms(), futures[p].within_ms));
  }
  return next;
}

bool Engine::due_at(const PendingMatch& match, int64_t at) const {
  if (match.deferred()) return match.due_ms() <= at;
  const std::vector<FuturePattern>& futures = program_->rules[match.rule()].futures;
  for (size_t p = 0; p < futures.size(); ++p) {
    if (!match.held(p) && time_plus(match.trigger_ms(), futures[p].within_ms) <= at) return true;
  }
  return false;
}

void Engine::push_timer(const Timer& timer) {
  if (timers_.size() >= timers_limit_) compact_timers();
  timers_.push_back(timer);
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>{});
  if (!remote_models_) return;
  const PendingMatch* match = match_of(timer);
  if (match == nullptr || remote_models_of_[match->rule()].empty()) return;
  remote_timers_.push_back({timer.deadline_ms, timer.match, timer.user->first});
  std::push_heap(remote_timers_.begin(), remote_timers_.end(), std::greater<>{});
}

void Engine::compact_timers() {
  std::erase_if(timers_, [this](const Timer& t) { return match_of(t) == nullptr; });
  std::make_heap(timers_.begin(), timers_.end(), std::greater<>{});
  timers_limit_ = timers_.size() + timers_.size() / 2 + 1024;
  // The capacity is the limit: the heap never reallocates between compactions, and
  // holds no more room than they allow.
  if (timers_.capacity() < timers_limit_ ||
      timers_.capacity() > timers_limit_ + timers_limit_ / 4) {
    std::vector<Timer> sized;
    sized.reserve(timers_limit_);
    sized.assign(timers_.begin(), timers_.end());
    timers_.swap(sized);
  }
  erased_users_.clear();  // no timer points at them now
}

std::optional<int64_t> Engine::next_deadline() {
  // A dead timer never comes alive (matches are never revived), so dropping it changes
  // nothing; a live one whose due pattern was resolved early moves to its next deadline.
  while (!timers_.empty()) {
    const Timer top = timers_.front();
    const PendingMatch* match = match_of(top);
    if (match != nullptr && due_at(*match, top.deadline_ms)) return top.deadline_ms;
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>{});
    timers_.pop_back();
    if (match != nullptr) push_timer({next_deadline_of(*match), top.match, top.user});
  }
  return std::nullopt;
}

Engine::Hint Engine::hint_of(const Event& event) {
  Hint hint;
  hint.user_hash = Users::hash(event.user);
  if (!event.id_unique) hint.dedup = RecentIds::key_of(event.user, event.id);
  return hint;
}

bool Engine::step_time(const Event& event, int64_t& at, SubmitResult& rejected) const {
  if (clock_ && event.time_ms < *clock_ - config_.max_lateness_ms) {
    rejected = {Outcome::kRejected,
                "`time` " + format_rfc3339(event.time_ms) + " is more than max_lateness (" +
                    lexical::format_duration(config_.max_lateness_ms) + ") behind the clock " +
                    format_rfc3339(*clock_) + "; send events sooner or raise engine.max_lateness",
                nullptr, "too_late"};
    return false;
  }
  if (config_.wall_clock && clock_ && event.time_ms > *clock_ + config_.max_lateness_ms) {
    rejected = {Outcome::kRejected,
                "`time` " + format_rfc3339(event.time_ms) + " is more than max_lateness (" +
                    lexical::format_duration(config_.max_lateness_ms) + ") ahead of the clock " +
                    format_rfc3339(*clock_) + "; fix the sender's clock or leave `time` out",
                nullptr, "too_early"};
    return false;
  }
  // With the wall clock, an event from the future is handled now (section 9).
  at = !clock_ ? event.time_ms : config_.wall_clock ? *clock_ : std::max(*clock_, event.time_ms);
  return true;
}

SubmitResult Engine::submit(const Event& event, const Hint& hint) {
  if (!event.has_time) return submit_at_clock(event, hint);
  int64_t at = 0;
  if (SubmitResult rejected; !step_time(event, at, rejected)) return rejected;
  // The members that the plan's slots point at, read once the user is found: for a
  // caller that did not load them ahead (submit_hinted does, through prefetch_members,
  // and this then finds them in cache).
  if (event.properties.kind() == Value::Kind::kObject)
    __builtin_prefetch(event.properties.as_object().data());
  // The user's slot is asked for before the dedup table is read: the two cache misses
  // overlap instead of following each other.
  users_.prefetch(hint.user_hash);
  // A duplicate is an id seen at most dedup_window before (`at` never goes backwards).
  recent_ids_.forget_before(at - config_.dedup_window_ms);
  if (!event.id_unique && !recent_ids_.insert(hint.dedup, at))
    return {Outcome::kDuplicate, "", nullptr, ""};
  if (!clock_ || at > *clock_) {
    fire_timers_through(at, false);
    clock_ = at;
  }
  User& user = users_.get_or_add(event.user, hint.user_hash);
  // The awaited goals are read last in the step (convert_goals): their load overlaps
  // with its matching. A program without goals does not read the node's line for them.
  const bool goals = !program_->goal_events.empty();
  if (goals) user.second.goals.prefetch();
  const uint32_t awaited_before = goals ? user.second.goal_events : 0;
  Cascade cascade;
  cascade.user = &user;
  cascade.step_id = event.id;
  const Program::EventPlan* plan = event_step(user, event, at, true, 0, cascade);
  run_cascade(cascade, at);
  if (awaited_before != 0) convert_goals(user, event, plan, at, awaited_before);
  return {Outcome::kAccepted, "", &user.second.extension, ""};
}

Engine::Hint Engine::prefetch(const Event& upcoming) {
  Hint hint = hint_of(upcoming);
  users_.prefetch(hint.user_hash);
  // The event's members, in two steps: their vector here, its array in prefetch_members().
  if (upcoming.properties.kind() == Value::Kind::kObject) {
    hint.members = &upcoming.properties.as_object();
    __builtin_prefetch(hint.members);
  }
  if (!upcoming.id_unique) recent_ids_.prefetch(hint.dedup);
  // hinted_users_[hints_ % 2]: the user hinted two calls before.
  if (hints_ >= 2) {
    const uint64_t two_before = hinted_users_[hints_ % 2];
    users_.prefetch_node(two_before);
    // With goals in the program, also the node's line of the goals' pointer and
    // goal_events, read at every event (convert_goals), which is not its first.
    if (!program_->goal_events.empty()) {
      if (const Users::Node* node = users_.peek(two_before))
        __builtin_prefetch(&node->second.goals);
    }
  }
  hinted_users_[hints_++ % 2] = hint.user_hash;
  return hint;
}

void Engine::prefetch_members(const Hint& hint) {
  if (hint.members == nullptr || hint.members->empty()) return;
  const char* begin = reinterpret_cast<const char*>(hint.members->data());
  const char* end = reinterpret_cast<const char*>(hint.members->data() + hint.members->size());
  for (const char* line = begin; line < end; line += 64)
    __builtin_prefetch(line);
}

// Apart from submit, so that the copy's storage is not made (zeroed, by GCC) for every
// event.
SubmitResult Engine::submit_at_clock(const Event& input, const Hint& hint) {
  if (!clock_) {
    return {Outcome::kRejected, "the first event needs a `time`: nothing has set the clock yet",
            nullptr, "no_time"};
  }
  Event timed = input;
  timed.time_ms = *clock_;
  timed.has_time = true;
  return submit(timed, hint);
}

SubmitResult Engine::decide(const Event& input, Decision& answer) {
  answer = Decision{};
  if (!input.has_time && !clock_) {
    return {Outcome::kRejected, "the first request needs a `time`: nothing has set the clock yet",
            nullptr, "no_time"};
  }
  Event timed;
  if (!input.has_time) {
    timed = input;
    timed.time_ms = *clock_;
    timed.has_time = true;
  }
  const Event& request = input.has_time ? input : timed;
  int64_t at = 0;
  if (SubmitResult rejected; !step_time(request, at, rejected)) return rejected;
  if (!clock_ || at > *clock_) {
    fire_timers_through(at, false);
    clock_ = at;
  }
  User& user = users_.get_or_add(request.user, Users::hash(request.user));
  Cascade cascade;
  cascade.user = &user;
  cascade.step_id = request.id;
  // The answer is taken from the step's firings until the call ends, thrown out of too.
  struct Deciding {
    Decision*& now;
    ~Deciding() { now = nullptr; }
  } deciding{deciding_ = &answer};
  decide_step(user, request, at, cascade);
  run_cascade(cascade, at);
  return {Outcome::kAccepted, "", &user.second.extension, ""};
}

void Engine::decide_step(User& user, const Event& request, int64_t at, Cascade& cascade) {
  score_cache_.forget();
  activations_.clear();
  const Program::EventPlan* plan = program_->decide_plan(request.name);
  if (plan) {
    trigger_rules(user, request, *plan, at);
    run_agenda(user, at, true, 0, cascade);
    for (const uint32_t slot : plan->slots)
      slots_[slot] = nullptr;
  }
  update_segments(user, at, 0, cascade);
}

void Engine::report(const Firing& firing) {
  if (deciding_ != nullptr && deciding_->rule.empty()) {
    for (const ActionRecord& action : firing.actions) {
      if (action.op != ActionOp::kRespond) continue;
      deciding_->rule = firing.rule;
      deciding_->content = *action.value;
      deciding_->time_ms = firing.time_ms;
      deciding_->trigger = firing.trigger;
      break;
    }
  }
  listener_.on_firing(firing);
}

void Engine::advance_to(int64_t ms) {
  fire_timers_through(ms, true);
  if (!clock_ || ms > *clock_) clock_ = ms;
}

void Engine::fire_timers_through(int64_t ms, bool inclusive) {
  // next_deadline() leaves on top a live timer with a pattern due at its deadline, having
  // dropped the dead ones (their deadlines order nobody, section 13) and moved on those
  // whose due pattern an event resolved.
  while (const auto next = next_deadline()) {
    const int64_t at = *next;
    if (at > ms || (!inclusive && at == ms)) return;
    // One instant: every live due match, in creation order ...
    std::vector<Timer> due;
    while (next_deadline() == at) {
      std::pop_heap(timers_.begin(), timers_.end(), std::greater<>{});
      due.push_back(timers_.back());
      timers_.pop_back();
    }
    clock_ = std::max(clock_.value_or(at), at);
    // ... grouped per user, users in the order of their earliest-created live due match
    // (section 13): a stable sort by the position of the user's first timer.
    std::unordered_map<const User*, size_t> first;
    for (size_t i = 0; i < due.size(); ++i)
      first.try_emplace(due[i].user, i);
    std::stable_sort(due.begin(), due.end(), [&first](const Timer& a, const Timer& b) {
      return first.at(a.user) < first.at(b.user);
    });
    std::vector<Timer> mine;
    for (size_t i = 0; i < due.size();) {
      mine.clear();
      User* user = due[i].user;
      for (; i < due.size() && due[i].user == user; ++i)
        mine.push_back(due[i]);
      timer_step(*user, at, mine);
    }
  }
}

void Engine::timer_step(User& user, int64_t at, std::span<const Timer> due) {
  UserState& u = user.second;
  score_cache_.forget();
  activations_.clear();
  // `due` is in creation order of the matches, each live with a pattern due at `at`.
  for (const Timer& timer : due) {
    PendingMatch* match = match_of(timer);
    assert(match != nullptr);
    const std::vector<FuturePattern>& futures = program_->rules[match->rule()].futures;
    bool failed = false;
    for (size_t p = 0; p < futures.size(); ++p) {
      if (match->held(p) || time_plus(match->trigger_ms(), futures[p].within_ms) > at) continue;
      if (futures[p].absence) {
        match->hold(p);  // nothing came: the absence holds
      } else {
        failed = true;  // the awaited event did not come
      }
    }
    if (failed) {
      u.pending.take(*match);
    } else if (match->all_held(futures.size())) {
      PendingMatch::Ptr done = u.pending.take(*match);
      if (recheck(user, *done, at))
        activations_.emplace_back(done->rule(), done->id(), TriggerView{}, std::move(done));
    } else {
      push_timer({next_deadline_of(*match), match->id(), &user});
    }
  }
  Cascade cascade;
  cascade.user = &user;
  cascade.timer_ms = at;
  run_agenda(user, at, false, 0, cascade);
  update_segments(user, at, 0, cascade);
  run_cascade(cascade, at);
}

void Engine::record(UserState& u, const Event& event, const Program::EventPlan* plan, int64_t at,
                    bool input) {
  if (input) {
    if (u.first_seen_ms == UserState::kNever) u.first_seen_ms = at;
    u.last_seen_ms = at;
    if (program_->uses_session) {
      Fifo<int64_t>& times = u.active().input_times;
      times.push_back(at);
      while (times.front() <= at - config_.session_max_ms - config_.session_gap_ms)
        times.pop_front();
    }
  }
  if (const int64_t keep = history_kept_ms(*program_, plan, config_, event.name); keep >= 0) {
    auto& history = u.active().history;
    auto found = std::find_if(history.begin(), history.end(),
                              [&event](const auto& h) { return h.first == event.name; });
    if (found == history.end())
      found = history.insert(history.end(), {event.name, Fifo<HistoryEntry>()});
    Fifo<HistoryEntry>& entries = found->second;
    entries.push_back({at, event.properties});
    while (entries.front().time_ms <= at - keep)
      entries.pop_front();
  }
  if (same_text(event.name, "identify") && event.properties.kind() == Value::Kind::kObject) {
    for (const auto& [key, value] : event.properties.as_object()) {
      u.attributes = with_member(u.attributes, {key}, 0, value);
    }
  }
}

bool Engine::recheck(const User& user, const PendingMatch& match, int64_t at) {
  EvalContext c = context(user, unpack(match, user), at);
  c.frozen = &held_.frozen;
  const CompiledRule& rule = program_->rules[match.rule()];
  return std::all_of(rule.test_order.begin(), rule.test_order.end(),
                     [&](uint32_t i) { return holds(c, rule.operands[i]); });
}

void Engine::resolve_pending(User& user, const Event& event, int64_t at) {
  UserState& u = user.second;
  for (auto it = u.pending.begin(); it != u.pending.end();) {
    PendingMatch& m = *it;
    ++it;                        // before `m` leaves the list
    if (m.deferred()) continue;  // waits for its time only (quiet hours)
    const CompiledRule& rule = program_->rules[m.rule()];
    bool violated = false;
    TriggerView trigger;  // unpacked when a filter first needs it
    for (size_t p = 0; p < rule.futures.size() && !violated; ++p) {
      const FuturePattern& f = rule.futures[p];
      if (m.held(p) || f.event != event.name || at > time_plus(m.trigger_ms(), f.within_ms))
        continue;
      if (f.filter != kNoNode) {
        if (trigger.event == nullptr) trigger = unpack(m, user);
        EvalContext c = context(user, trigger, at);
        c.candidate = &event.properties;
        if (!holds(c, f.filter)) continue;
      }
      if (f.absence) {
        violated = true;
      } else {
        m.hold(p);
      }
    }
    if (violated) {
      u.pending.take(m);
    } else if (m.all_held(rule.futures.size())) {
      PendingMatch::Ptr done = u.pending.take(m);
      if (recheck(user, *done, at))
        activations_.emplace_back(done->rule(), done->id(), TriggerView{}, std::move(done));
    }
  }
}

void Engine::trigger_rules(User& user, const Event& event, const Program::EventPlan& plan,
                           int64_t at) {
  UserState& u = user.second;
  point_slots(event, *program_, plan, slots_.data(), slot_members_);
  const TriggerView trigger{&event, slots_.data()};
  const EvalContext c = context(user, trigger, at);
  // The candidate rule `index` when it is not fired at once (visit, below).
  const auto consider = [&](uint32_t index) {
    const CompiledRule& rule = program_->rules[index];
    for (size_t k = 0; rule.tests_operands && k < rule.test_order.size(); ++k) {
      const uint32_t i = rule.test_order[k];
      const auto operand = static_cast<int32_t>(i);
      if (operand != rule.indexed_operand && operand != rule.bound_operand &&
          !holds(c, rule.operands[i]))
        return;
    }
    ++rule_counts_[index].triggered;
    if (!rule.waits) {
      // Made in place: a temporary's copy read its fields back across two stores (a
      // failed store-to-load forwarding, perf: most of this function's time at S1).
      activations_.emplace_back(index, next_order_++, trigger, nullptr);
      return;
    }
    // Deferred firings (quiet hours) are not waiting matches: the modes leave them be.
    const auto mine = [index](const PendingMatch& m) { return m.rule() == index && !m.deferred(); };
    if (rule.pending == PendingMode::kFirst &&
        std::any_of(u.pending.begin(), u.pending.end(), mine))
      return;
    if (rule.pending == PendingMode::kLatest) u.pending.erase_if(mine);
    PendingContents& m = making_;
    keep_trigger(rule, trigger, c, at, m);
    m.id = next_order_++;
    m.rule = index;
    m.held.assign((rule.futures.size() + 63) / 64, 0);
    u.pending.push_back(PendingMatch::make(m, match_bytes_));
    int64_t deadline = kMaxTimeMs;
    for (const FuturePattern& f : rule.futures)
      deadline = std::min(deadline, time_plus(at, f.within_ms));
    push_timer({deadline, m.id, &user});
    m.slots.clear();  // no longer keeps the trigger's values alive
    m.frozen.clear();
    note_numbered(u);
  };
  // A rule that may fire at once (RuleHead::at_once), reached before anything was
  // queued, fires as it is met: nothing queued ranks before it (candidates come in agenda
  // order, and a completed match would have been queued first), and its firing changes
  // no state that a later candidate's conditions or firing read (an experiment's counts
  // and awaited goals are read by none). The order and the firings are the agenda's;
  // only the activation and the agenda's pass over it are saved, and a plain rule itself
  // is not read. Kept apart from `consider` so that this path is inlined in the loops
  // below, with no call and no stack frame per candidate; what the plain rules' firings
  // share is written once.
  Firing made{{}, user.first, at, event.id, 0, {}, {}, false, &u.extension};
  const auto visit = [&](uint32_t position) {
    const Program::RuleHead& head = plan.heads[position];
    if (activations_.empty() && head.at_once != Program::AtOnce::kNo) {
      ++rule_counts_[head.rule].triggered;
      if (head.at_once == Program::AtOnce::kPlain) {
        fire_made(made, head);
      } else {
        fire_constant(user, head, trigger, at, Firing::kNotDeferred);
      }
    } else {
      consider(head.rule);
    }
  };
  if (plan.indexes.empty() && plan.bounds.empty()) {
    for (uint32_t position = 0; position < plan.rules.size(); ++position)
      visit(position);
    return;
  }
  // The candidates as a bit set over the plan's positions: the union of the index hits
  // and the rules without a key, less the rules whose bound the event does not pass,
  // visited in agenda order. Only the words in [first, end) can hold a candidate, and
  // only those are read: a selective index costs a word or two at any plan size.
  // Invariant: candidates_ is all zeros between calls (the visits take the words they
  // read; what a throwing listener leaves is cleared before the exception goes on).
  const size_t words = plan.rules.size() / 64 + 1;
  size_t first = words, end = 0;
  // Lists of positions are ascending: the bits of one word are gathered in a register
  // and stored once (setting them one by one in memory chained a load on each store).
  const auto add = [this, &first, &end](std::span<const uint32_t> positions) {
    if (positions.empty()) return;
    first = std::min<size_t>(first, positions.front() / 64);
    end = std::max<size_t>(end, positions.back() / 64 + 1);
    for (size_t i = 0; i < positions.size();) {
      const uint32_t word = positions[i] / 64;
      uint64_t bits = 0;
      for (; i < positions.size() && positions[i] / 64 == word; ++i)
        bits |= uint64_t{1} << (positions[i] % 64);
      candidates_[word] |= bits;
    }
  };
  const auto add_hits = [this, &add, &first, &end](KeyIndex::Hits hits) {
    add(hits.positions);
    if (hits.bits.empty()) return;
    first = 0;
    end = std::max(end, hits.bits.size());
    for (size_t w = 0; w < hits.bits.size(); ++w)
      candidates_[w] |= hits.bits[w];
  };
  add(plan.always);
  for (const Program::EqualityIndex& index : plan.indexes) {
    const Value* value = slots_[index.slot];
    if (value != nullptr && value->kind() == Value::Kind::kString) {
      add_hits(index.texts.find(value->as_string()));
      continue;
    }
    index_key_.clear();
    append_value_key(index_key_, value ? *value : kNull);
    add_hits(index.others.find(index_key_));
  }
  if (first >= end) return;
  const std::span<uint64_t> used(candidates_.data() + first, end - first);
  const bool many = !plan.bounds.empty() && more_than(used, kFewCandidates);
  for (size_t b = 0; b < plan.bounds.size(); ++b) {
    const BoundIndex& bound = plan.bounds[b];
    const Value* value = slots_[bound.slot()];
    const bool numeric = value != nullptr && value->kind() == Value::Kind::kNumber;
    const double number = numeric ? value->as_number() : 0;
    const double* passed = numeric ? &number : nullptr;
    if (many) {
      bound.narrow(passed, std::span(candidates_.data(), words),
                   std::span(bound_mask_.data(), words));
    } else {
      bound_values_[b] = bound.compared(passed);
    }
  }
  // Few candidates (a selective equality index): each one's bound, held in the head
  // that its visit reads anyway, is tested as it comes, cheaper than narrowing's binary
  // search and pass over the whole bit set.
  const bool test_bounds = !many && !plan.bounds.empty();
  const auto passes = [&](uint32_t position) {
    const Program::RuleHead& head = plan.heads[position];
    return head.bound == kNoNode ||
           BoundIndex::passes(bound_values_[head.bound], head.bound_threshold);
  };
  size_t w = first;
  try {
    for (; w < end; ++w) {
      for (uint64_t bits = std::exchange(candidates_[w], 0); bits != 0; bits &= bits - 1) {
        const auto position =
            static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits)));
        if (!test_bounds || passes(position)) visit(position);
      }
    }
  } catch (...) {
    std::fill(candidates_.begin() + static_cast<ptrdiff_t>(w),
              candidates_.begin() + static_cast<ptrdiff_t>(end), 0);
    throw;
  }
}

Session Engine::session_for_limits(const UserState& u, int64_t at) const {
  if (!program_->uses_session) return Session{};
  return session_at(u, at, config_.session_gap_ms, config_.session_max_ms);
}

std::optional<SuppressReason> Engine::blocked(const User& user, const CompiledRule& rule,
                                              TriggerView trigger, int64_t at) const {
  if (!rule.restricted) return std::nullopt;
  const UserActivity* activity = user.second.activity.get();
  if (activity != nullptr) {
    const auto index = static_cast<uint32_t>(&rule - program_->rules.data());
    const Restrictions own{rule.cooldown_ms,
                           rule.limits,
                           rule.keys,
                           index,
                           activity->rule_firings,
                           activity->rule_keyed_firings};
    if (const auto reason = restriction_blocks(user, own, trigger, at)) {
      return *reason == Blocked::kCooldown ? SuppressReason::kCooldown : SuppressReason::kLimit;
    }
    if (rule.group >= 0) {
      const CompiledGroup& group = program_->groups[static_cast<size_t>(rule.group)];
      const Restrictions group_own{group.cooldown_ms,       group.limits,
                                   rule.group_keys,         static_cast<uint32_t>(rule.group),
                                   activity->group_firings, activity->group_keyed_firings};
      if (const auto reason = restriction_blocks(user, group_own, trigger, at)) {
        return *reason == Blocked::kCooldown ? SuppressReason::kGroupCooldown
                                             : SuppressReason::kGroupLimit;
      }
    }
  }
  if (rule.group >= 0 && program_->groups[static_cast<size_t>(rule.group)].exclusive &&
      std::find(fired_groups_.begin(), fired_groups_.end(), rule.group) != fired_groups_.end())
    return SuppressReason::kExclusive;
  return std::nullopt;
}

std::optional<Engine::Blocked> Engine::restriction_blocks(const User& user, const Restrictions& r,
                                                          TriggerView trigger, int64_t at) const {
  // The times restriction `n` (0: the cooldown, i + 1: limit i) counts: the owner's, or
  // with a `by`, those of the key's value at this activation.
  const auto times = [&](uint32_t n, uint32_t key) -> const FiringTimes* {
    if (key == kNoNode) return times_of(r.times, r.owner);
    return keyed_times_of(r.keyed, r.owner, n, evaluate(context(user, trigger, at), key));
  };
  if (r.cooldown_ms && cooling(times(0, r.keys.cooldown), r.cooldown_ms, at))
    return Blocked::kCooldown;
  for (size_t i = 0; i < r.limits.size(); ++i) {
    const FiringTimes* counted = times(static_cast<uint32_t>(i + 1), r.keys.limit(i));
    if (limited(counted, r.limits[i], at, session_for_limits(user.second, at)))
      return Blocked::kLimit;
  }
  return std::nullopt;
}

void Engine::note_firing(User& user, const Activation& a, TriggerView trigger, int64_t at) {
  UserState& u = user.second;
  const CompiledRule& rule = program_->rules[a.rule];
  if (rule.cooldown_ms || !rule.limits.empty()) {
    note_restricted(user,
                    {rule.cooldown_ms, rule.limits, rule.keys, a.rule, u.active().rule_firings,
                     u.active().rule_keyed_firings},
                    trigger, at);
  }
  if (rule.group >= 0) {
    const CompiledGroup& group = program_->groups[static_cast<size_t>(rule.group)];
    if (group.cooldown_ms || !group.limits.empty()) {
      note_restricted(
          user,
          {group.cooldown_ms, group.limits, rule.group_keys, static_cast<uint32_t>(rule.group),
           u.active().group_firings, u.active().group_keyed_firings},
          trigger, at);
    }
    fired_groups_.push_back(rule.group);
  }
  if (u.activity && u.activity->holds_numbers()) note_numbered(u);
}

void Engine::note_restricted(const User& user, const NotedRestrictions& r, TriggerView trigger,
                             int64_t at) {
  const std::optional<int64_t>& cooldown_ms = r.cooldown_ms;
  const std::vector<LimitSpec>& limits = r.limits;
  const RestrictionKeys& keys = r.keys;
  const uint32_t owner = r.owner;
  std::vector<KeyedFiringTimes>& keyed = r.keyed;
  // Firing times are kept only where a cooldown or a limit will look at them.
  const int64_t session_reach = config_.session_max_ms + config_.session_gap_ms;
  if (const int64_t keep = unkeyed_keep(cooldown_ms, limits, keys, session_reach); keep > 0) {
    FiringTimes& owned = times_for(r.times, owner);
    owned.push_back(at);
    trim_firings(owned, at, keep);
  }
  if (!keys.any()) return;
  const auto note_keyed = [&](uint32_t n, uint32_t key) {
    keyed_times_for(keyed, owner, n, evaluate(context(user, trigger, at), key)).push_back(at);
  };
  if (keys.cooldown != kNoNode) note_keyed(0, keys.cooldown);
  for (size_t i = 0; i < limits.size(); ++i) {
    if (keys.limit(i) != kNoNode) note_keyed(static_cast<uint32_t>(i + 1), keys.limit(i));
  }
  // The owner's keys whose times no restriction looks at any more are dropped, so a user
  // keeps one entry per key value fired within the longest cooldown or limit.
  std::erase_if(keyed, [&](KeyedFiringTimes& k) {
    if (k.owner != owner) return false;
    const int64_t keep = k.restriction == 0 ? cooldown_ms.value_or(0)
                         : k.restriction - 1 < limits.size()
                             ? reach_of(limits[k.restriction - 1], session_reach)
                             : 0;
    trim_firings(k.times, at, keep);
    return k.times.empty();
  });
}

void Engine::run_agenda(User& user, int64_t at, bool sorted, int level, Cascade& cascade) {
  if (activations_.empty()) return;
  // Priority (higher first), declaration order, then creation order (section 13).
  const std::vector<uint32_t>& rank = program_->agenda_rank;
  const auto before = [&rank](const Activation& a, const Activation& b) {
    return rank[a.rule] != rank[b.rule] ? rank[a.rule] < rank[b.rule] : a.order < b.order;
  };
  assert(!sorted || std::is_sorted(activations_.begin(), activations_.end(), before));
  if (!sorted) std::sort(activations_.begin(), activations_.end(), before);
  fired_groups_.clear();
  for (const Activation& a : activations_) {
    const CompiledRule& rule = program_->rules[a.rule];
    const TriggerView trigger = a.match ? unpack(*a.match, user) : a.trigger;
    const bool was_deferred = a.match != nullptr && a.match->deferred();
    if (!rule.quiet.empty() && !was_deferred && quieted(user, a, trigger, at)) continue;
    if (const auto reason = blocked(user, rule, trigger, at)) {
      ++rule_counts_[a.rule].suppressed;
      listener_.on_suppressed(
          {*reason, rule.name, user.first, at, trigger.event->id, rule.priority});
      continue;
    }
    if (rule.restricted) note_firing(user, a, trigger, at);
    fire(user, a.rule, trigger, at,
         was_deferred ? a.match->deferred_from_ms() : Firing::kNotDeferred, level, cascade);
  }
}

void Engine::keep_trigger(const CompiledRule& rule, TriggerView trigger, const EvalContext& c,
                          int64_t at, PendingContents& m) const {
  const Event& event = *trigger.event;
  m.trigger_ms = at;
  m.trigger_id = event.id;
  m.trigger_name.clear();
  if (rule.triggers.size() != 1 || rule.triggers.front() != event.name) m.trigger_name = event.name;
  m.trigger_time_ms = event.time_ms;
  m.slots.clear();
  for (const uint32_t slot : rule.trigger_slots) {
    if (trigger.slots[slot] != nullptr) m.slots.emplace_back(slot, *trigger.slots[slot]);
  }
  m.frozen.clear();
  for (const uint32_t operand : rule.operands)
    freeze_past(c, operand, m.frozen);
}

namespace {

// The split arm that bucket b draws (language.md section 14): the first k of 1..arms whose
// cumulative share, end_of(k) in basis points, exceeds b; 0 (the control) when none does.
template <typename EndOf>
size_t drawn_arm(uint32_t b, size_t arms, EndOf end_of) {
  for (size_t k = 1; k <= arms; ++k) {
    if (end_of(k) > b) return k;
  }
  return 0;
}

}  // namespace

void Engine::fire_constant(User& user, const Program::RuleHead& head, TriggerView trigger,
                           int64_t at, int64_t deferred_ms) {
  const CompiledRule& rule = program_->rules[head.rule];
  std::span records = head.records;
  bool holdout = false;
  fired_arm_ = -1;
  if (rule.experiment) {
    const bool split = !rule.constant_arms.empty();
    uint32_t split_bucket = 0;
    if (split && rule.holdout_bp != 0) {
      const auto [held, drawn] =
          bucket_pair_after(rule.holdout_prefix, rule.split_prefix, user.first);
      holdout = held < rule.holdout_bp || group_held_out(rule, user.first);
      split_bucket = drawn;
    } else {
      holdout = held_out(rule, user.first);
      if (split && !holdout) split_bucket = bucket_after(rule.split_prefix, user.first);
    }
    if (holdout) {
      records = {};
    } else if (split) {
      // As the split action of fire()'s general path draws it.
      const size_t k = drawn_arm(split_bucket, rule.constant_arms.size() - 1,
                                 [&](size_t arm) { return rule.constant_arms[arm].end_bp; });
      records = {program_->constant_actions.data() + rule.constant_arms[k].first,
                 rule.constant_arms[k].count};
      fired_arm_ = static_cast<int32_t>(k);
    }
  }
  Firing made{{}, user.first, at, trigger.event->id, 0, {}, {}, holdout, &user.second.extension};
  made.deferred_ms = deferred_ms;
  fire_made(made, {head.name, records, head.priority, head.rule});
  note_experiment(user, head.rule, trigger, at, holdout);
}

void Engine::fire(User& user, uint32_t index, TriggerView trigger, int64_t at, int64_t deferred_ms,
                  int level, Cascade& cascade) {
  UserState& u = user.second;
  const CompiledRule& rule = program_->rules[index];
  if (rule.constant_actions_first != kNoNode) {
    const std::span records(program_->constant_actions.data() + rule.constant_actions_first,
                            rule.constant_actions_count);
    fire_constant(user, {rule.name, records, rule.priority, index}, trigger, at, deferred_ms);
    return;
  }
  ++rule_counts_[index].fired;
  score_records_.clear();
  for (const std::string& model : rule.scores) {
    const Score scored = score(context(user, trigger, at), model);
    score_records_.push_back({model, scored.value, scored.fallback});
  }
  action_records_.clear();
  action_values_.clear();
  fired_arm_ = -1;
  if (held_out(rule, user.first)) {
    // Held out: fired and counted like any firing, but no action runs.
    Firing held{rule.name,      user.first, at,   trigger.event->id,     rule.priority,
                score_records_, {},         true, &user.second.extension};
    held.deferred_ms = deferred_ms;
    report(held);
    note_experiment(user, index, trigger, at, true);
    return;
  }
  // A constant (the empty object too, which a send, emit or respond without a value
  // carries) is shown as it is; anything else is evaluated into action_values_, which
  // was reserved for every value of the largest rule, so its pointers stay valid. The
  // context points at the live user state: each action sees the changes of the ones
  // before it. `otherwise` stands for a value not written (increment's `by`).
  const auto value_of = [&](const CompiledAction& action, const Value* otherwise) -> const Value* {
    if (action.constant) return &*action.constant;
    if (action.value == kNoNode) return otherwise;
    return &keep(evaluate(context(user, trigger, at), action.value));
  };
  const auto run = [&](const auto& self, const std::vector<CompiledAction>& actions) -> void {
    for (const CompiledAction& action : actions) {
      ActionRecord r{action.op, action.target, &kNull, nullptr};
      switch (action.op) {
        case ActionOp::kSend:
        case ActionOp::kRespond:
          r.value = value_of(action, &kNull);
          break;
        case ActionOp::kEmit:
          r.value = value_of(action, &kNull);
          queue_derived(action.target, *r.value, at, level + 1, cascade);
          break;
        case ActionOp::kSet:
        case ActionOp::kUnset:
          if (action.op == ActionOp::kSet) r.value = value_of(action, &kNull);
          u.attributes = with_member(u.attributes, action.path, 0, *r.value);
          score_cache_.forget();  // a feature may read what changed
          break;
        case ActionOp::kSplit: {
          // The first arm whose cumulative share exceeds the user's bucket; none: the
          // control (0), which runs nothing (language.md section 14).
          const size_t k =
              drawn_arm(bucket_after(rule.split_prefix, user.first), action.arms.size(),
                        [&](size_t arm) { return action.arm_ends[arm - 1]; });
          r.value = &action.arm_numbers[k];
          action_records_.push_back(r);
          fired_arm_ = static_cast<int32_t>(k);
          if (k != 0) self(self, action.arms[k - 1]);
          continue;
        }
        case ActionOp::kIf:
          // The first branch whose condition is true (only true is true), evaluated now:
          // it sees what the actions before it changed. Nothing is recorded for the `if`.
          for (size_t branch = 0; branch < action.arms.size(); ++branch) {
            const uint32_t condition = action.conditions[branch];
            if (condition == kNoNode || evaluate(context(user, trigger, at), condition).is_true()) {
              self(self, action.arms[branch]);
              break;
            }
          }
          continue;
        case ActionOp::kIncrement: {
          r.by = value_of(action, &kOne);
          // A missing attribute counts as 0; anything else but a number changes nothing.
          const Value* current = find_path(u.attributes, action.path);
          std::optional<double> base;
          if (current == nullptr || current->is_null()) base = 0;
          if (current && current->kind() == Value::Kind::kNumber) base = current->as_number();
          if (base && r.by->kind() == Value::Kind::kNumber) {
            r.value = &keep(Value::number(*base + r.by->as_number()));
            u.attributes = with_member(u.attributes, action.path, 0, *r.value);
            score_cache_.forget();
          }
          break;
        }
      }
      action_records_.push_back(r);
    }
  };
  run(run, rule.actions);
  Firing made{rule.name,      user.first,      at,    trigger.event->id,     rule.priority,
              score_records_, action_records_, false, &user.second.extension};
  made.deferred_ms = deferred_ms;
  report(made);
  note_experiment(user, index, trigger, at, false);
}

void Engine::fire_made(Firing& firing, const Program::RuleHead& head) {
  ++rule_counts_[head.rule].fired;
  firing.rule = head.name;
  firing.priority = head.priority;
  firing.actions = head.records;
  report(firing);
}

void Engine::queue_derived(std::string name, Value properties, int64_t at, int level,
                           Cascade& cascade) {
  if (level > config_.max_emit_depth) {
    ++dropped_emits_;  // deeper emits are dropped and counted (section 7)
    return;
  }
  if (cascade.timer_ms >= 0 && cascade.timer_id.empty())
    cascade.timer_id = "timer@" + format_rfc3339(cascade.timer_ms);
  Event derived;
  derived.name = std::move(name);
  derived.user = cascade.user->first;
  derived.id = cascade.timer_ms >= 0 ? cascade.timer_id : std::string(cascade.step_id);
  derived.id += '~';
  derived.id += std::to_string(cascade.next_k++);
  derived.time_ms = at;
  derived.has_time = true;
  derived.properties =
      properties.kind() == Value::Kind::kObject ? std::move(properties) : Value::object({});
  cascade.queue.emplace_back(std::move(derived), level);
}

void Engine::update_segments(User& user, int64_t at, int level, Cascade& cascade) {
  if (program_->segments.empty()) return;
  UserState& u = user.second;
  // Every segment against the membership from before, then the changes (section 13).
  EvalContext c = context(user, {}, at);
  std::vector<uint32_t> now_in;
  for (uint32_t s = 0; s < program_->segments.size(); ++s) {
    const auto& operands = program_->segments[s].operands;
    if (std::all_of(operands.begin(), operands.end(), [&](uint32_t o) { return holds(c, o); })) {
      now_in.push_back(s);
    }
  }
  if (std::ranges::equal(now_in, u.segments())) return;
  const std::vector<uint32_t> before = std::exchange(u.active().segments, now_in);
  note_numbered(u);
  for (uint32_t s = 0; s < program_->segments.size(); ++s) {
    const bool was = std::binary_search(before.begin(), before.end(), s);
    const bool is = std::binary_search(now_in.begin(), now_in.end(), s);
    if (was == is) continue;
    queue_derived(is ? "segment_entered" : "segment_exited",
                  Value::object({{"segment", Value::string(program_->segments[s].name)}}), at,
                  level + 1, cascade);
  }
}

const Program::EventPlan* Engine::event_step(User& user, const Event& event, int64_t at, bool input,
                                             int level, Cascade& cascade) {
  UserState& u = user.second;
  const Program::EventPlan* plan = program_->plan(event.name);
  record(u, event, plan, at, input);
  score_cache_.forget();
  activations_.clear();
  resolve_pending(user, event, at);
  // The plan lists its rules in agenda order, so what trigger_rules adds alone is sorted.
  const bool sorted = activations_.empty();
  if (plan && !plan->rules.empty()) trigger_rules(user, event, *plan, at);
  run_agenda(user, at, sorted, level, cascade);
  update_segments(user, at, level, cascade);
  // No slot outlives its step: the next event's are read afresh.
  if (plan) {
    for (const uint32_t slot : plan->slots)
      slots_[slot] = nullptr;
  }
  return plan;
}

void Engine::run_cascade(Cascade& cascade, int64_t at) {
  while (cascade.head < cascade.queue.size()) {
    auto [event, level] = std::move(cascade.queue[cascade.head++]);
    // A derived event is a step of its own: what it queues is named after it.
    cascade.timer_ms = -1;
    cascade.step_id = event.id;
    cascade.next_k = 1;
    event_step(*cascade.user, event, at, false, level, cascade);
  }
}

}  // namespace spur
