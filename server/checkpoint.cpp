// The shard's side of checkpoints (docs/architecture.md, "Checkpoints"): a pass saves the
// dedup window's ids, then every user (the engine's state and the server's record), a
// chunk at a time with rests between them, then says it ended; the writer then trims the
// log behind it.
#include <algorithm>
#include <ctime>

#include "engine/user_bytes.hpp"
#include "server/clock.hpp"
#include "server/log.hpp"
#include "server/shard.hpp"
#include "storage/log_writer.hpp"

namespace spur::server {
namespace {

int64_t thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

// A chunk: this many ids of the dedup window, or this many slots of the user table
// (between a quarter and a half of them users): 1-3 ms each, under 10 ms with every
// core busy (docs/performance.md).
constexpr size_t kIdsPerChunk = 8'192;
constexpr size_t kSlotsPerChunk = 1'024;
// A pass's next chunk is due 1 + kCheckpointRest times the CPU time of the last one after
// that one began (at least 1 ms): a pass takes at most a fifth of its thread
// (ShardState::next_chunk_ms).
constexpr int64_t kCheckpointRest = 4;

}  // namespace

void LastStep::append_bytes(std::string& out) const {
  append_text(out, text_);
  append_varint(out, id_size_);
  append_varint(out, name_size_);
  append_int64(out, time_ms_);
  append_int64(out, at_ms_);
  append_varint(out, outcomes.size());
  for (const auto& [rule, outcome] : outcomes) {
    append_text(out, rule);
    append_text(out, outcome);
  }
}

void LastStep::read_bytes(BytesReader& in) {
  text_ = in.text();
  id_size_ = static_cast<uint32_t>(in.varint());
  name_size_ = static_cast<uint32_t>(in.varint());
  if (size_t{id_size_} + name_size_ > text_.size())
    throw UserBytesError("the latest step's id and name are longer than its text");
  time_ms_ = in.int64();
  at_ms_ = in.int64();
  outcomes.resize(in.count());
  for (auto& [rule, outcome] : outcomes) {
    rule = in.text();
    outcome = in.text();
  }
}

void ShardState::save_user(const std::string& user, const UserState& state, Pass& pass) {
  engine_bytes_.clear();
  append_user_bytes(engine_bytes_, state);
  server_bytes_.clear();
  const auto* record = static_cast<const UserRecord*>(state.extension.get());
  server_bytes_.push_back(record != nullptr ? 1 : 0);
  if (record != nullptr) {
    record->last_step.append_bytes(server_bytes_);
    // The user's firings still in the shard's log, oldest first, so that they are
    // appended again in their order.
    const auto firings = firing_log_.newest_first(record->newest_firing, kRecentFirings);
    append_varint(server_bytes_, firings.size());
    for (auto it = firings.rbegin(); it != firings.rend(); ++it)
      append_text(server_bytes_, *it);
  }
  commit().add_checkpoint(user, engine_.clock().value_or(0), engine_.program().version,
                          engine_bytes_, server_bytes_);
  ++pass.users;
  pass.bytes += engine_bytes_.size() + server_bytes_.size();
}

void ShardState::restore_record(UserRecord& record, std::string_view bytes) {
  BytesReader in(bytes);
  if (in.byte() == 0) return in.finish();
  record.last_step.read_bytes(in);
  for (size_t n = in.count(); n > 0; --n)
    record.newest_firing = firing_log_.append(in.text(), record.newest_firing);
  in.finish();
}

void ShardState::merge_recent_ids(const std::vector<storage::RecentId>& ids) {
  std::vector<RecentIds::Entry> entries;
  entries.reserve(ids.size());
  for (const storage::RecentId& id : ids)
    entries.push_back({id.at_ms, {id.a, id.b}});
  engine_.merge_recent_ids(std::move(entries));
}

void ShardState::checkpoint_some(int64_t now_ms, Metrics& metrics) {
  if (!durable() || replaying_) return;
  if (!pass_) {
    if (next_pass_ms_ == 0) next_pass_ms_ = now_ms + durability_.checkpoint_interval_ms;
    if (now_ms < next_pass_ms_) return;
    // The program record that begins the pass names it: a recovery from this pass's
    // checkpoints replays from there under that program.
    pass_ = Pass{.began_at = log_program(), .started_ns = steady_ns()};
    engine_.begin_save_pass();
  }
  Pass& pass = *pass_;
  if (pass.resting(now_ms)) return;
  // The chunk's time on its thread's CPU: what it costs the shard, without the time the
  // thread waited for a core (on a busy machine, tens of milliseconds either way).
  const int64_t start = thread_cpu_ns();
  bool ended = false;
  if (!pass.ids_done) {
    std::vector<RecentIds::Entry> entries;
    pass.ids_done = !engine_.copy_recent_ids(pass.ids_copied, kIdsPerChunk, entries);
    if (!entries.empty()) {
      std::vector<storage::RecentId> ids;
      ids.reserve(entries.size());
      for (const RecentIds::Entry& e : entries)
        ids.push_back({e.at, e.key.a, e.key.b});
      commit().add_recent_ids(durability_.shard, pass.began_at, pass.chunks++, ids);
      pass.bytes += ids.size() * 24;
    }
  } else {
    ended = engine_.save_some(kSlotsPerChunk,
                              [this, &pass](const std::string& user, const UserState& state) {
                                save_user(user, state, pass);
                              });
  }
  const int64_t chunk_ns = thread_cpu_ns() - start;
  uint64_t longest = metrics.checkpoint_longest_chunk_ns.load(std::memory_order_relaxed);
  while (static_cast<uint64_t>(chunk_ns) > longest &&
         !metrics.checkpoint_longest_chunk_ns.compare_exchange_weak(
             longest, static_cast<uint64_t>(chunk_ns), std::memory_order_relaxed)) {
  }
  if (!ended) {
    pass.rest_from_ms = now_ms;
    pass.rest_ms = std::max<int64_t>(1, (1 + kCheckpointRest) * chunk_ns / 1'000'000);
    return;
  }
  commit().end_pass(
      {.shard = durability_.shard, .shards = durability_.shards, .began_at = pass.began_at});
  metrics.checkpoint_passes.fetch_add(1, std::memory_order_relaxed);
  metrics.checkpoint_users.fetch_add(pass.users, std::memory_order_relaxed);
  metrics.checkpoint_bytes.fetch_add(pass.bytes, std::memory_order_relaxed);
  log_line("info", "checkpoint written",
           {{"shard", durability_.shard},
            {"users", pass.users},
            {"bytes", pass.bytes},
            {"ms", (steady_ns() - pass.started_ns) / 1'000'000}});
  pass_.reset();
  next_pass_ms_ = now_ms + durability_.checkpoint_interval_ms;
}

}  // namespace spur::server
