// Recovery at start in storage mode `disk` (docs/server.md, "Durability"): every step in
// the data folder is replayed through the shards at the clock it was handled at, with
// firings kept from the adapters (those of logged steps are in the outbox); then the
// outbox's firings are delivered again; then each shard's clock moves to the wall clock,
// firing what fell due while the server was down, marked late.
#include <algorithm>
#include <chrono>
#include <variant>

#include "server/http_server.hpp"
#include "server/log.hpp"
#include "server/server.hpp"
#include "storage/event_log.hpp"
#include "storage/log_writer.hpp"

namespace spur::server {
namespace {

// Steps a shard replays in one task: reads and metrics queued behind a replay wait at
// most this many steps.
constexpr size_t kReplayChunk = 20'000;

}  // namespace

void Server::recover() {
  const auto start = std::chrono::steady_clock::now();
  log_line(
      "info", "recovering from the data folder; /readyz answers 503 until it is done",
      {{"path", log_->path()}, {"listen", config_.host + ":" + std::to_string(http_->port())}});
  // Per shard, its users' steps and every tick, in the order they were handled: by clock,
  // then by seq (a shard handled its steps in seq order, its clock never going back, and
  // a user's steps were all in one shard's order at a time).
  std::vector<std::vector<storage::LogRecord>> steps(shards_.size());
  std::vector<storage::LogRecord> ticks;
  try {
    log_->for_each_step([&](storage::LogRecord& record) {
      if (record.kind == storage::RecordKind::kTick) {
        ticks.push_back(std::move(record));
      } else {
        steps[shard_of(record.user)].push_back(std::move(record));
      }
    });
  } catch (const storage::StorageError& e) {
    throw ConfigError(std::string("storage: ") + e.what());
  }
  uint64_t total = 0;
  uint64_t user_steps = 0;
  for (auto& shard_steps : steps) {
    user_steps += shard_steps.size();
    shard_steps.insert(shard_steps.end(), ticks.begin(), ticks.end());
    std::sort(shard_steps.begin(), shard_steps.end(), [](const auto& a, const auto& b) {
      return a.clock_ms != b.clock_ms ? a.clock_ms < b.clock_ms : a.seq < b.seq;
    });
    total += shard_steps.size();
  }
  metrics_.recovery_steps_total.store(total, std::memory_order_relaxed);

  for (size_t i = 0; i < shards_.size(); ++i) {
    auto records = std::make_shared<std::vector<storage::LogRecord>>(std::move(steps[i]));
    for (size_t from = 0; from < records->size(); from += kReplayChunk) {
      shards_[i]->post([this, records, from](ShardState& state) {
        const size_t to = std::min(records->size(), from + kReplayChunk);
        state.set_replaying(true);
        for (size_t r = from; r < to; ++r)
          state.replay((*records)[r]);
        state.set_replaying(false);
        metrics_.recovery_steps_done.fetch_add(to - from, std::memory_order_relaxed);
      });
    }
  }
  std::vector<storage::OutboxEntry> outbox;
  try {
    outbox = log_->outbox();
  } catch (const storage::StorageError& e) {
    throw ConfigError(std::string("storage: ") + e.what());
  }
  const size_t redelivered = outbox.size();
  if (!outbox.empty()) writer_->submit(storage::Commit::redelivery(*log_, std::move(outbox)));
  // Queued behind each shard's replay.
  on_every_shard<std::monostate>([](ShardState& state) {
    state.set_late(true);
    state.advance_to(wall_ms());
    state.set_late(false);
    state.end_turn();
    return std::monostate();
  });
  for (const auto& shard : shards_)
    shard->end_recovery();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  metrics_.recovery_ms.store(static_cast<uint64_t>(std::max<int64_t>(ms, 1)),
                             std::memory_order_relaxed);
  log_line("info", "recovered",
           {{"steps", user_steps + ticks.size()},
            {"partitions", log_->partitions()},
            {"firings_redelivered", redelivered},
            {"ms", ms}});
}

}  // namespace spur::server
