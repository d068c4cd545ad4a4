// The records of the event log and the outbox, as they are laid out in the data folder
// (docs/architecture.md, "Durability"). A stable format: a folder records its version
// (kFormatVersion) and a folder of another version is refused, never misread.
//
// Keys sort so that what a recovery, a trim or a partition's move needs is one range:
//   M<name>                                  meta: format version, partition count, the
//                                            steps whose firings may be undelivered
//   L<partition:2><seq:8>                    the steps (events, profile writes) of one
//                                            partition in one written batch, in seq
//                                            order, keyed by the last one's seq (one key
//                                            a step cost an eighth of batch ingest)
//   C<partition:2><user length:4><user>      a user's checkpoint: its whole state, as of
//                                            the step `seq` its value names
//   T<seq:8>                                 a timer step that fired something (a tick),
//                                            or a shard switching rule sets (a program)
//   D<shard:4><pass:8><chunk:4>              the dedup window's ids, as a checkpoint
//                                            pass of a shard (the seq it began at)
//                                            copied them
//   P<shard:4>                               the shard's last complete checkpoint pass
//   V<version:8>                             the rule files of a program version
//   O<seq:8>                                 the firings of one commit not yet confirmed
//                                            by their adapters, when a recovery could not
//                                            make them again (one key a commit: a key a
//                                            firing cost a quarter of a loaded server)
// Numbers are big-endian, so that byte order is numeric order. `seq` is one counter for
// the whole folder, taken in the order a shard handles its steps. Steps lead with their
// seq inside their partition, so that the steps a checkpoint covers are one range per
// partition, deleted with bounds that name no user: a record of steps goes when its last
// step is covered, so a trim never takes a step that it does not cover.
// Folders of spur-log-2 and spur-log-3 held a record a step,
//   L<partition:2><seq:8><user length:4><user>
// and are read as they are.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/event.hpp"
#include "engine/value.hpp"

namespace spur::storage {

inline constexpr std::string_view kFormatVersion = "spur-log-4";
// Formats this version reads as they are, and marks kFormatVersion when it opens them:
// spur-log-3 wrote a record a step; spur-log-2 too, and put every firing not delivered
// in the outbox, as firings were not yet made again from the log (docs/architecture.md,
// "Firings").
inline constexpr std::string_view kEarlierFormatVersions[] = {"spur-log-2", "spur-log-3"};

enum class RecordKind : uint8_t {
  kEvent = 1,            // an input event, as handed to the engine
  kSetAttributes = 2,    // PUT /v1/profiles/{user}
  kMergeAttributes = 3,  // PATCH /v1/profiles/{user}
  kTick = 4,             // shard `shard` of `shards` fired timers at `clock_ms`
  kProgram = 5,          // shard `shard` of `shards` switched to program `version`
  kCheckpoint = 6,       // the user's whole state after step `seq`, under `version`
  kDecision = 7,         // POST /v1/decide: `event` is the request (name: the placement)
  // What an http scorer answered for the user, logged before the steps that may ask it:
  // `attributes` is {"model", "value", "default": bool, "until": ms or null (one step)}.
  kScore = 8,
};

// One step of the log, decoded.
struct LogRecord {
  RecordKind kind = RecordKind::kEvent;
  uint64_t seq = 0;
  int64_t clock_ms = 0;            // the engine's clock when the step was handled
  std::string user;                // empty for a tick
  Event event;                     // kEvent, kDecision
  Value attributes;                // kSetAttributes, kMergeAttributes
  uint64_t version = 0;            // kProgram: Program::version
  uint32_t shard = 0, shards = 0;  // kTick, kProgram: the shard that logged it, of how many
  // kCheckpoint: the engine's state of the user (engine/user_bytes.hpp) and the server's.
  std::string engine_state, server_state;
};

// A user's partition: a stable hash of the id (the same in every process and version of
// this format) modulo the folder's partition count.
uint32_t partition_of(std::string_view user, uint32_t partitions);

std::string meta_key(std::string_view name);
// The first key of a partition's records of kind `tag` ('L' steps, 'C' checkpoints).
std::string partition_prefix(char tag, uint32_t partition);
// The first key of a partition's steps from `seq` on; also the key of the record of
// steps whose last step is `seq`.
std::string steps_from(uint32_t partition, uint64_t seq);
bool is_steps_key(std::string_view key);
// The user a checkpoint's key, or a spur-log-3 step's, names; nullopt for other keys.
std::optional<std::string_view> user_of_key(std::string_view key);
std::string checkpoint_key(uint32_t partition, std::string_view user);
bool is_checkpoint_key(std::string_view key);
std::string tick_key(uint64_t seq);
std::string outbox_key(uint64_t seq);

// The seqs of the steps, from `first` through `last`, whose firings may not have reached
// their adapters: those of the last batch written (docs/architecture.md, "Firings").
struct SeqRange {
  uint64_t first = 1, last = 0;  // empty when first > last
  bool empty() const { return first > last; }
  bool contains(uint64_t seq) const { return first <= seq && seq <= last; }
  // Makes the range cover `other` too (and what lies between).
  void widen(const SeqRange& other) {
    if (other.empty()) return;
    if (empty()) {
      *this = other;
      return;
    }
    first = std::min(first, other.first);
    last = std::max(last, other.last);
  }
  bool operator==(const SeqRange&) const = default;
};
std::string seq_range_value(const SeqRange& range);
// Nullopt for bytes this format did not write.
std::optional<SeqRange> decode_seq_range(std::string_view value);

// One step in a record of steps: its seq, its user and its value (below).
struct StepEntry {
  uint64_t seq = 0;
  std::string_view user, value;
};
// The record of steps `steps`, in seq order (its key: steps_from(partition, last seq)).
std::string steps_value(const std::vector<StepEntry>& steps);
// Appends the steps of a record of steps to `out` (views into `value`); false, with
// `error` set, for bytes this format did not write.
bool decode_steps(std::string_view value, std::vector<StepEntry>& out, std::string& error);

// The value of a step.
std::string event_value(int64_t clock_ms, const Event& event);
// A decision request, as an event whose name is the placement (Engine::decide).
std::string decision_value(int64_t clock_ms, const Event& request);
std::string attributes_value(RecordKind kind, int64_t clock_ms, const Value& attributes);
std::string tick_value(int64_t clock_ms, uint32_t shard, uint32_t shards);
std::string program_value(int64_t clock_ms, uint64_t version, uint32_t shard, uint32_t shards);
std::string checkpoint_value(uint64_t seq, int64_t clock_ms, uint64_t version,
                             std::string_view engine_state, std::string_view server_state);

// A shard's checkpoint pass: the seq it began at, which names it (every step before it
// that the shard handled is in a checkpoint or in the pass's copy of the dedup window),
// and the shard count then.
struct PassRecord {
  uint32_t shard = 0, shards = 0;
  uint64_t began_at = 0;
};
std::string pass_key(uint32_t shard);
std::string pass_value(const PassRecord& pass);
std::optional<PassRecord> decode_pass(std::string_view key, std::string_view value,
                                      std::string& error);
// The ids of the dedup window (engine/recent_ids.hpp), a chunk at a time.
struct RecentId {
  int64_t at_ms = 0;
  uint64_t a = 0, b = 0;  // RecentIds::Key
};
std::string recent_ids_key(uint32_t shard, uint64_t pass, uint32_t chunk);
std::string recent_ids_value(const std::vector<RecentId>& ids);
// Appends the ids of a chunk to `out`; false, with `error` set, for bytes this format
// did not write.
bool decode_recent_ids(std::string_view value, std::vector<RecentId>& out, std::string& error);

// The rule files (path, text) of a program version.
using RuleFiles = std::vector<std::pair<std::string, std::string>>;
std::string rules_key(uint64_t version);
std::string rules_value(const RuleFiles& files);
// Nullopt, with `error` set, for bytes this format did not write.
std::optional<std::pair<uint64_t, RuleFiles>> decode_rules(std::string_view key,
                                                           std::string_view value,
                                                           std::string& error);

// Decodes a record of one step (a checkpoint, a tick or program switch, or a spur-log-3
// step); nullopt, with `error` saying what is wrong, for bytes this format did not write.
std::optional<LogRecord> decode_record(std::string_view key, std::string_view value,
                                       std::string& error);
// Appends the steps of any record decode_record reads or of a record of steps to `out`;
// false, with `error` set, for bytes this format did not write.
bool decode_records(std::string_view key, std::string_view value, std::vector<LogRecord>& out,
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

}  // namespace spur::storage
