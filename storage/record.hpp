// The records of the event log and the outbox, as they are laid out in the data folder
// (docs/architecture.md, "Durability"). A stable format: a folder records its version
// (kFormatVersion) and a folder of another version is refused, never misread.
//
// Keys sort so that the records a recovery or an erasure needs are one range each:
//   M<name>                                  meta: format version, partition count
//   L<partition:2><user length:4><user><seq:8>   a user's step: event or profile write
//   T<seq:8>                                 a timer step that fired something (a tick),
//                                            or a shard switching rule sets (a program)
//   V<version:8>                             the rule files of a program version
//   O<seq:8>                                 the firings of one commit not yet confirmed
//                                            by their adapters (one key a commit: a key
//                                            a firing cost a quarter of a loaded server)
// Numbers are big-endian, so that byte order is numeric order. `seq` is one counter for
// the whole folder, taken in the order a shard handles its steps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/event.hpp"
#include "engine/value.hpp"

namespace spur::storage {

inline constexpr std::string_view kFormatVersion = "spur-log-1";

enum class RecordKind : uint8_t {
  kEvent = 1,            // an input event, as handed to the engine
  kSetAttributes = 2,    // PUT /v1/profiles/{user}
  kMergeAttributes = 3,  // PATCH /v1/profiles/{user}
  kTick = 4,             // shard `shard` of `shards` fired timers at `clock_ms`
  kProgram = 5,          // shard `shard` of `shards` switched to program `version`
};

// One step of the log, decoded.
struct LogRecord {
  RecordKind kind = RecordKind::kEvent;
  uint64_t seq = 0;
  int64_t clock_ms = 0;            // the engine's clock when the step was handled
  std::string user;                // empty for a tick
  Event event;                     // kEvent
  Value attributes;                // kSetAttributes, kMergeAttributes
  uint64_t version = 0;            // kProgram: Program::version
  uint32_t shard = 0, shards = 0;  // kTick, kProgram: the shard that logged it, of how many
};

// A user's partition: a stable hash of the id (the same in every process and version of
// this format) modulo the folder's partition count.
uint32_t partition_of(std::string_view user, uint32_t partitions);

std::string meta_key(std::string_view name);
// The prefix of every key of one user's steps.
std::string user_prefix(uint32_t partition, std::string_view user);
std::string user_key(uint32_t partition, std::string_view user, uint64_t seq);
std::string tick_key(uint64_t seq);
std::string outbox_key(uint64_t seq);

// The value of a step record.
std::string event_value(int64_t clock_ms, const Event& event);
std::string attributes_value(RecordKind kind, int64_t clock_ms, const Value& attributes);
std::string tick_value(int64_t clock_ms, uint32_t shard, uint32_t shards);
std::string program_value(int64_t clock_ms, uint64_t version, uint32_t shard, uint32_t shards);

// The rule files (path, text) of a program version.
using RuleFiles = std::vector<std::pair<std::string, std::string>>;
std::string rules_key(uint64_t version);
std::string rules_value(const RuleFiles& files);
// Nullopt, with `error` set, for bytes this format did not write.
std::optional<std::pair<uint64_t, RuleFiles>> decode_rules(std::string_view key,
                                                           std::string_view value,
                                                           std::string& error);

// Decodes a step record; nullopt, with `error` saying what is wrong, for bytes this
// format did not write.
std::optional<LogRecord> decode_record(std::string_view key, std::string_view value,
                                       std::string& error);

// A firing waiting in the outbox: the seq of its commit's record, whose it is (for
// erasure), the adapters it goes to (names, comma-separated; "-" is the default adapter
// on stdout), and its JSON line.
struct OutboxEntry {
  uint64_t seq = 0;
  std::string user;
  std::string targets;
  std::string json;
};
// The record of a commit's firings, in order (their seq is the record's).
std::string outbox_value(const std::vector<OutboxEntry>& firings);
// Appends the firings of the record at `key` to `out`; false, with `error` set, for bytes
// this format did not write.
bool decode_outbox(std::string_view key, std::string_view value, std::vector<OutboxEntry>& out,
                   std::string& error);

// The seq of a key written by user_key, tick_key or outbox_key.
uint64_t seq_of_key(std::string_view key);

}  // namespace spur::storage
