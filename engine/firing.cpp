#include "engine/firing.hpp"

#include <charconv>
#include <cmath>

#include "engine/fnv.hpp"

namespace spur {
std::string firing_id(std::string_view rule, std::string_view user, std::string_view trigger,
                      int64_t time_ms) {
  std::string out;
  append_firing_id(out, rule, user, trigger, time_ms);
  return out;
}

uint64_t firing_hash(std::string_view rule, std::string_view user, std::string_view trigger,
                     int64_t time_ms) {
  return firing_hash_after(firing_hash_prefix(rule), user, trigger, time_ms);
}

uint64_t firing_hash_prefix(std::string_view rule) {
  return fnv1a(std::string_view("\0", 1), fnv1a(rule));
}

uint64_t firing_hash_after(uint64_t rule_prefix, std::string_view user, std::string_view trigger,
                           int64_t time_ms) {
  uint64_t h = rule_prefix;
  for (const std::string_view part : {user, trigger}) {
    h = fnv1a(part, h);
    h = fnv1a(std::string_view("\0", 1), h);
  }
  char digits[24];
  return fnv1a(std::string_view(digits, std::to_chars(digits, digits + sizeof digits, time_ms).ptr),
               h);
}

void write_firing_hex(uint64_t hash, char (&hex)[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i, hash >>= 4)
    hex[i] = kHex[hash & 0xF];
}

std::optional<uint64_t> parse_firing_hex(std::string_view hex) {
  uint64_t hash = 0;
  if (hex.size() != 16) return std::nullopt;
  for (const char c : hex) {
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    hash = hash << 4 | static_cast<uint64_t>(digit);
  }
  return hash;
}

void append_firing_id(std::string& out, std::string_view rule, std::string_view user,
                      std::string_view trigger, int64_t time_ms) {
  char hex[16];
  write_firing_hex(firing_hash(rule, user, trigger, time_ms), hex);
  out.append(hex, sizeof hex);
}

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
    case SuppressReason::kQuiet:
      return "quiet";
  }
  return "?";
}

FiringRecord::FiringRecord(const Firing& f)
    : firing_id(spur::firing_id(f)),
      rule(f.rule),
      user(f.user),
      time_ms(f.time_ms),
      trigger(f.trigger),
      priority(f.priority),
      holdout(f.holdout),
      deferred_ms(f.deferred_ms) {
  for (const ScoreRecord& s : f.scores)
    scores.emplace_back(std::string(s.model), recorded_score(s));
  for (const ActionRecord& a : f.actions)
    actions.push_back({a.op, std::string(a.name), *a.value, a.by ? *a.by : Value()});
}

Value recorded_score(const ScoreRecord& score) {
  if (!score.fallback) return score.value;
  return Value::object({{"value", score.value}, {"default", Value::boolean(true)}});
}

uint32_t bucket(std::string_view kind, std::string_view name, std::string_view user) {
  return bucket_after(bucket_prefix(kind, name), user);
}

uint64_t bucket_prefix(std::string_view kind, std::string_view name) {
  uint64_t hash = fnv1a(kind);
  hash = fnv1a("\x1f", hash);
  hash = fnv1a(name, hash);
  return fnv1a("\x1f", hash);
}

uint32_t bucket_after(uint64_t prefix, std::string_view user) {
  return static_cast<uint32_t>(fnv1a(user, prefix) % 10000);
}

std::array<uint32_t, 2> bucket_pair_after(uint64_t first, uint64_t second, std::string_view user) {
  for (const char c : user) {
    first = (first ^ static_cast<unsigned char>(c)) * kFnvPrime;
    second = (second ^ static_cast<unsigned char>(c)) * kFnvPrime;
  }
  return {static_cast<uint32_t>(first % 10000), static_cast<uint32_t>(second % 10000)};
}

}  // namespace spur
