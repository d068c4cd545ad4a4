// What the engine decides, as it reports it (formats.md, "Firing" and "Suppressed"):
// views into the engine's and the program's memory, valid only during the listener call
// that receives them, so a firing costs no allocation. FiringRecord is the owned copy for
// listeners that keep firings.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/action_record.hpp"
#include "engine/program.hpp"
#include "engine/value.hpp"

namespace spur {

class UserExtension;

// score("model") as evaluated at firing time.
struct ScoreRecord {
  std::string_view model;
  Value value;
  bool fallback = false;  // the scorer's default (scorer.hpp)
};

// A score as the firing's `scores` shows it: the value, or for a scorer's default
// {"value": v, "default": true} (docs/models.md).
Value recorded_score(const ScoreRecord& score);

struct Firing {
  std::string_view rule;
  std::string_view user;
  int64_t time_ms = 0;
  std::string_view trigger;  // id of the trigger event
  int64_t priority = 0;
  std::span<const ScoreRecord> scores;  // every score() of the rule
  std::span<const ActionRecord> actions;
  // Held out (language.md section 14, `holdout`): no action ran, `actions` is empty, and
  // no adapter gets the firing.
  bool holdout = false;
  // The slot of the application's record of the user (UserState::extension), for a
  // listener that keeps one: no lookup by user id needed.
  std::unique_ptr<UserExtension>* extension = nullptr;
  // Deferred by quiet hours (language.md section 14): the activation's time, which the
  // firing's `deferred` key shows; kNotDeferred otherwise.
  static constexpr int64_t kNotDeferred = INT64_MIN;
  int64_t deferred_ms = kNotDeferred;
};

// Deterministic firing id: 16 hex digits of FNV-1a-64 over (rule, user, trigger id, time).
std::string firing_id(std::string_view rule, std::string_view user, std::string_view trigger,
                      int64_t time_ms);
// The same appended to `out` (no allocation once `out` has the capacity).
void append_firing_id(std::string& out, std::string_view rule, std::string_view user,
                      std::string_view trigger, int64_t time_ms);
// The 64 bits that a firing id writes as 16 lowercase hex digits.
uint64_t firing_hash(std::string_view rule, std::string_view user, std::string_view trigger,
                     int64_t time_ms);
// The same in two parts: the hash state after the rule's name, which a rule computes once
// (CompiledRule::firing_prefix), then the firing's own part.
uint64_t firing_hash_prefix(std::string_view rule);
uint64_t firing_hash_after(uint64_t rule_prefix, std::string_view user, std::string_view trigger,
                           int64_t time_ms);
void write_firing_hex(uint64_t hash, char (&hex)[16]);
// The firing id that 16 hex digits spell, or nullopt for other text.
std::optional<uint64_t> parse_firing_hex(std::string_view hex);
inline std::string firing_id(const Firing& f) {
  return firing_id(f.rule, f.user, f.trigger, f.time_ms);
}

// A firing's conversion (language.md section 14, `goal`): the goal event that came.
struct Conversion {
  std::string_view rule;
  std::string_view user;
  int64_t time_ms = 0;  // the goal event's handled time
  // The converted firing's id as its 64 bits (write_firing_hex spells it).
  uint64_t firing_hash = 0;
  std::string_view trigger;  // the goal event's id
  int32_t arm = -1;          // the firing's split arm; -1: null
  bool holdout = false;
};

// Reported in section 14's order: kQuiet first, then as listed.
enum class SuppressReason : uint8_t {
  kCooldown,
  kLimit,
  kGroupCooldown,
  kGroupLimit,
  kExclusive,
  kQuiet
};
const char* reason_name(SuppressReason reason);

struct Suppression {
  SuppressReason reason = SuppressReason::kCooldown;
  std::string_view rule;
  std::string_view user;
  int64_t time_ms = 0;
  std::string_view trigger;
  int64_t priority = 0;
};

// An owned copy of a firing.
struct FiringRecord {
  struct Action {
    ActionOp op = ActionOp::kSend;
    std::string name;
    Value value;
    Value by;
  };
  explicit FiringRecord(const Firing& f);

  std::string firing_id;
  std::string rule;
  std::string user;
  int64_t time_ms = 0;
  std::string trigger;
  int64_t priority = 0;
  std::vector<std::pair<std::string, Value>> scores;
  std::vector<Action> actions;
  bool holdout = false;
  int64_t deferred_ms = Firing::kNotDeferred;
};

// bucket(kind, name, user) of language.md section 14: FNV-1a-64 of
// kind + "\x1f" + name + "\x1f" + user, modulo 10000.
uint32_t bucket(std::string_view kind, std::string_view name, std::string_view user);
// The same in two parts: the hash state after kind + "\x1f" + name + "\x1f", computed once
// per rule or group (CompiledRule::holdout_prefix...), then the user's part.
uint64_t bucket_prefix(std::string_view kind, std::string_view name);
uint32_t bucket_after(uint64_t prefix, std::string_view user);
// bucket_after of two prefixes over the same user, in one pass over its id: the two
// FNV-1a chains, each waiting on its multiplies, run side by side in about the time of one.
std::array<uint32_t, 2> bucket_pair_after(uint64_t first, uint64_t second, std::string_view user);

}  // namespace spur
