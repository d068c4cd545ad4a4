#include "engine/user_bytes.hpp"

#include <cstdint>
#include <tuple>
#include <vector>

#include "engine/firing.hpp"
#include "engine/value_bytes.hpp"

namespace spur {
namespace {

// Which optional parts follow the pending matches. Parts added later are flagged and
// written last, so that the bytes of earlier versions read the same.
constexpr uint8_t kHasActivity = 1;
constexpr uint8_t kHasKeyedTimes = 2;  // firing times per `by` key (in the activity)
constexpr uint8_t kHasDeferrals = 4;   // deferred firings among the matches (quiet hours)
constexpr uint8_t kHasGoals = 8;       // firings awaiting their goal (UserState::goals)

void append_times(std::string& out, const Fifo<int64_t>& times) {
  append_varint(out, times.size());
  for (const int64_t t : times)
    append_int64(out, t);
}

void append_numbered_times(std::string& out,
                           const std::vector<std::pair<uint32_t, FiringTimes>>& all) {
  append_varint(out, all.size());
  for (const auto& [number, times] : all) {
    append_varint(out, number);
    append_times(out, times);
  }
}

void append_keyed_times(std::string& out, const std::vector<KeyedFiringTimes>& all) {
  append_varint(out, all.size());
  for (const KeyedFiringTimes& k : all) {
    append_varint(out, k.owner);
    append_varint(out, k.restriction);
    append_value_bytes(out, k.key);
    append_times(out, k.times);
  }
}

void append_match(std::string& out, const PendingContents& m) {
  append_varint(out, m.id);
  append_varint(out, m.rule);
  append_int64(out, m.trigger_ms);
  append_text(out, m.trigger_id);
  append_text(out, m.trigger_name);
  append_int64(out, m.trigger_time_ms);
  append_varint(out, m.held.size());
  for (const uint64_t word : m.held)
    append_varint(out, word);
  append_varint(out, m.slots.size());
  for (const auto& [slot, value] : m.slots) {
    append_varint(out, slot);
    append_value_bytes(out, value);
  }
  append_varint(out, m.frozen.size());
  for (const auto& [node, value] : m.frozen) {
    append_varint(out, node);
    append_value_bytes(out, value);
  }
}

void read_times(BytesReader& in, Fifo<int64_t>& out) {
  for (size_t n = in.count(); n > 0; --n)
    out.push_back(in.int64());
}

void read_numbered_times(BytesReader& in, std::vector<std::pair<uint32_t, FiringTimes>>& out) {
  out.resize(in.count());
  for (auto& [number, times] : out) {
    number = in.number();
    read_times(in, times);
  }
}

void read_keyed_times(BytesReader& in, std::vector<KeyedFiringTimes>& out) {
  out.resize(in.count());
  for (KeyedFiringTimes& k : out) {
    k.owner = in.number();
    k.restriction = in.number();
    k.key = in.value();
    read_times(in, k.times);
  }
}

void read_match(BytesReader& in, PendingContents& m) {
  m.id = in.varint();
  m.rule = in.number();
  m.trigger_ms = in.int64();
  m.trigger_id = in.text();
  m.trigger_name = in.text();
  m.trigger_time_ms = in.int64();
  m.held.resize(in.count());
  for (uint64_t& word : m.held)
    word = in.varint();
  m.slots.resize(in.count());
  for (auto& [slot, value] : m.slots) {
    slot = in.number();
    value = in.value();
  }
  m.frozen.resize(in.count());
  for (auto& [node, value] : m.frozen) {
    node = in.number();
    value = in.value();
  }
}

}  // namespace

uint32_t BytesReader::number() {
  const uint64_t n = varint();
  if (n > UINT32_MAX) throw UserBytesError("a rule, group, segment or node number is too large");
  return static_cast<uint32_t>(n);
}

size_t BytesReader::count() {
  const uint64_t n = varint();
  if (n > static_cast<uint64_t>(end_ - p_))
    throw UserBytesError("a count is larger than the bytes left");
  return static_cast<size_t>(n);
}

void BytesReader::finish() const {
  if (p_ != end_) throw UserBytesError("bytes follow the end of the user's state");
}

void append_user_bytes(std::string& out, const UserState& user) {
  append_value_bytes(out, user.attributes);
  append_int64(out, user.first_seen_ms);
  append_int64(out, user.last_seen_ms);
  append_varint(out, user.pending.size());
  PendingContents contents;
  // (position among the matches, activation time, due time) of the deferred ones.
  std::vector<std::tuple<size_t, int64_t, int64_t>> deferrals;
  size_t position = 0;
  for (const PendingMatch& match : user.pending) {
    match.decode(contents);
    if (contents.deferred_from_ms != PendingContents::kNotDeferred)
      deferrals.emplace_back(position, contents.deferred_from_ms, contents.due_ms);
    append_match(out, contents);
    ++position;
  }
  const UserActivity* a = user.activity.get();
  const bool keyed =
      a != nullptr && (!a->rule_keyed_firings.empty() || !a->group_keyed_firings.empty());
  const bool goals = !user.goals.empty();
  out.push_back(static_cast<char>((a != nullptr ? kHasActivity : 0) | (keyed ? kHasKeyedTimes : 0) |
                                  (deferrals.empty() ? 0 : kHasDeferrals) |
                                  (goals ? kHasGoals : 0)));
  if (a != nullptr) {
    append_varint(out, a->segments.size());
    for (const uint32_t segment : a->segments)
      append_varint(out, segment);
    append_times(out, a->input_times);
    append_varint(out, a->history.size());
    for (const auto& [name, entries] : a->history) {
      append_text(out, name);
      append_varint(out, entries.size());
      for (const HistoryEntry& entry : entries) {
        append_int64(out, entry.time_ms);
        append_value_bytes(out, entry.properties);
      }
    }
    append_numbered_times(out, a->rule_firings);
    append_numbered_times(out, a->group_firings);
  }
  if (keyed) {
    append_keyed_times(out, a->rule_keyed_firings);
    append_keyed_times(out, a->group_keyed_firings);
  }
  if (goals) {
    append_varint(out, user.goals.size());
    for (const AwaitedGoal& g : user.goals) {
      append_varint(out, g.rule);
      append_int64(out, g.fired_ms);
      char hex[16];
      write_firing_hex(user.goals.firing_hash(g), hex);
      append_text(out, std::string_view(hex, sizeof hex));
      append_varint(out, static_cast<uint64_t>(g.arm + 1));  // -1 (none) is 0
      out.push_back(static_cast<char>(g.holdout ? 1 : 0));
    }
  }
  if (!deferrals.empty()) {
    append_varint(out, deferrals.size());
    for (const auto& [position, from_ms, due_ms] : deferrals) {
      append_varint(out, position);
      append_int64(out, from_ms);
      append_int64(out, due_ms);
    }
  }
}

void read_user_bytes(std::string_view bytes, UserState& user, std::string& scratch) {
  BytesReader in(bytes);
  user.attributes = in.value();
  user.first_seen_ms = in.int64();
  user.last_seen_ms = in.int64();
  // The matches are made once the deferrals, written after everything else, are known.
  std::vector<PendingContents> matches(in.count());
  for (PendingContents& match : matches)
    read_match(in, match);
  const uint8_t parts = in.byte();
  if ((parts & kHasActivity) != 0) {
    UserActivity& a = user.active();
    a.segments.resize(in.count());
    for (uint32_t& segment : a.segments)
      segment = in.number();
    read_times(in, a.input_times);
    a.history.resize(in.count());
    for (auto& [name, entries] : a.history) {
      name = in.text();
      for (size_t n = in.count(); n > 0; --n) {
        const int64_t time_ms = in.int64();
        entries.push_back({time_ms, in.value()});
      }
    }
    read_numbered_times(in, a.rule_firings);
    read_numbered_times(in, a.group_firings);
  }
  if ((parts & kHasKeyedTimes) != 0) {
    UserActivity& a = user.active();
    read_keyed_times(in, a.rule_keyed_firings);
    read_keyed_times(in, a.group_keyed_firings);
  }
  if ((parts & kHasGoals) != 0) {
    for (size_t n = in.count(); n > 0; --n) {
      AwaitedGoal g;
      g.rule = in.number();
      g.fired_ms = in.int64();
      const std::optional<uint64_t> hash = parse_firing_hex(in.text());
      if (!hash) throw UserBytesError("an awaited goal's firing id is not 16 hex digits");
      g.arm = static_cast<int16_t>(static_cast<int32_t>(in.number()) - 1);
      g.holdout = in.byte() != 0;
      // 0: not kept when saved (a listener that writes no conversion), and not kept now.
      if (*hash != 0) {
        user.goals.push_back(g, *hash);
      } else {
        user.goals.push_back(g);
      }
    }
    user.goal_events = ~uint32_t{0};  // every event looks until the first scan
  }
  if ((parts & kHasDeferrals) != 0) {
    for (size_t n = in.count(); n > 0; --n) {
      const size_t position = in.count();
      if (position >= matches.size()) throw UserBytesError("a deferral names no match");
      matches[position].deferred_from_ms = in.int64();
      matches[position].due_ms = in.int64();
    }
  }
  in.finish();
  for (const PendingContents& match : matches)
    user.pending.push_back(PendingMatch::make(match, scratch));
}

}  // namespace spur
