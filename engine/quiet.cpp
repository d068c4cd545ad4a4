// Quiet hours at run time (language.md section 14, `quiet`): an activation inside a window
// of its rule is suppressed or deferred to the windows' end, held as a waiting match that
// comes due like a timer.
#include <algorithm>

#include "engine/engine.hpp"
#include "time/quiet_hours.hpp"
#include "time/time_text.hpp"

namespace spur {

bool Engine::quieted(User& user, const Activation& a, TriggerView trigger, int64_t at) {
  const CompiledRule& rule = program_->rules[a.rule];
  // At most one deferred firing per rule and user: while one is held, every activation
  // is suppressed, also one at the instant it comes due (events come before timers).
  const PendingList& pending = user.second.pending;
  const bool holding = std::any_of(pending.begin(), pending.end(), [&](const PendingMatch& m) {
    return m.rule() == a.rule && m.deferred();
  });
  bool drop = false;
  const std::optional<int64_t> until =
      holding ? std::optional<int64_t>(at) : quiet_until(user, rule, trigger, at, drop);
  if (!until) return false;
  if (holding || drop || *until == kMaxTimeMs) {
    ++rule_counts_[a.rule].suppressed;
    listener_.on_suppressed(
        {SuppressReason::kQuiet, rule.name, user.first, at, trigger.event->id, rule.priority});
    return true;
  }
  defer(user, a, trigger, at, *until);
  return true;
}

std::optional<int64_t> Engine::quiet_until(const User& user, const CompiledRule& rule,
                                           TriggerView trigger, int64_t at, bool& drop) const {
  // Each window's zone, evaluated at the activation; not a zone name: engine.timezone.
  std::vector<const date::time_zone*> zones;
  for (const QuietSpec& q : rule.quiet) {
    const date::time_zone* zone = default_zone_;
    if (q.zone != kNoNode) {
      const Value name = evaluate(context(user, trigger, at), q.zone);
      if (name.kind() == Value::Kind::kString) {
        if (const date::time_zone* named = zone_named(name.as_string())) zone = named;
      }
    }
    zones.push_back(zone);
  }
  // Windows that cover the whole day between them would defer for ever: past this many
  // rounds the activation is suppressed (kMaxTimeMs).
  constexpr int kMaxRounds = 16;
  std::optional<int64_t> until;
  int64_t t = at;
  for (int round = 0; round < kMaxRounds; ++round) {
    int64_t latest_end = -1;
    for (size_t w = 0; w < rule.quiet.size(); ++w) {
      const QuietSpec& q = rule.quiet[w];
      const QuietWindow window{q.from_minutes, q.to_minutes};
      if (!in_quiet_window(window, zones[w], t)) continue;
      if (q.drop && round == 0) drop = true;
      latest_end = std::max(latest_end, quiet_window_end(window, zones[w], t));
    }
    if (latest_end < 0) return until;
    until = t = latest_end;
  }
  return kMaxTimeMs;
}

void Engine::defer(User& user, const Activation& a, TriggerView trigger, int64_t at, int64_t due) {
  const CompiledRule& rule = program_->rules[a.rule];
  PendingContents& m = making_;
  if (a.match != nullptr) {
    a.match->decode(m);  // a completed waiting match: its trigger and frozen windows
  } else {
    keep_trigger(rule, trigger, context(user, trigger, at), at, m);
  }
  m.id = next_order_++;
  m.rule = a.rule;
  m.held.assign((rule.futures.size() + 63) / 64, ~uint64_t{0});
  m.deferred_from_ms = at;
  m.due_ms = due;
  user.second.pending.push_back(PendingMatch::make(m, match_bytes_));
  push_timer({due, m.id, &user});
  m.deferred_from_ms = PendingContents::kNotDeferred;
  m.slots.clear();  // no longer keeps the trigger's values alive
  m.frozen.clear();
  note_numbered(user.second);
}

}  // namespace spur
