// Recovery at start in storage mode `disk` (docs/server.md, "Durability"): every step in
// the data folder is replayed through the shards at the clock it was handled at, with
// firings kept from the adapters but those of the steps whose firings may not have been
// delivered; the outbox's firings are delivered again; then each shard's clock moves to
// the wall clock, firing what fell due while the server was down, marked late.
#include <algorithm>
#include <chrono>
#include <deque>
#include <iterator>
#include <map>
#include <set>
#include <thread>
#include <variant>

#include "server/failpoint.hpp"
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
// A long recovery says how far it is every this many steps.
constexpr uint64_t kProgressEvery = 1'000'000;

}  // namespace

void Server::recover() {
  const auto start = std::chrono::steady_clock::now();
  log_line(
      "info", "recovering from the data folder; /readyz answers 503 until it is done",
      {{"path", log_->path()}, {"listen", config_.host + ":" + std::to_string(http_->port())}});
  // Per shard, its users' steps and every tick, in the order they were handled: by clock,
  // then by seq (a shard handled its steps in seq order, its clock never going back, and
  // a user's steps were all in one shard's order at a time).
  //
  // A user's steps that its checkpoint holds already come before the checkpoint in that
  // order (their seq is lower, their clock no later): they are replayed, and then the
  // checkpoint replaces the user's state. Those are the steps made since its pass began
  // (the others are trimmed), and their event ids, newer than the pass's copy of the
  // dedup window, go into it that way.
  //
  // The folder is read by one thread per core, each a range of partitions; what each
  // reads goes to its own share, in deques: growing one moves no record (a million
  // records of a few hundred bytes, moved twice over by a vector's growth, were a third
  // of a recovery's time).
  struct Share {
    std::vector<std::deque<storage::LogRecord>> steps;  // per shard
    std::vector<storage::LogRecord> ticks;              // ticks and program switches
    std::set<uint64_t> versions;                        // of the programs records name
    uint64_t checkpoints = 0;
    std::vector<std::pair<std::string, uint64_t>> checkpointed;  // see Rederivation
  };
  const size_t readers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  std::vector<Share> shares(readers);
  for (Share& share : shares)
    share.steps.resize(shards_.size());
  // The dedup window's ids, per shard, as the checkpoint passes copied them.
  std::vector<std::vector<storage::RecentId>> ids(shards_.size());
  auto rederive = std::make_shared<ShardState::Rederivation>();
  rederive->steps = log_->undelivered();
  try {
    for (storage::EventLog::RecentIdsCopy& copy : log_->recent_ids()) {
      for (size_t i = 0; i < shards_.size(); ++i) {
        // Ids of another shard count's shards go to every shard: their users are spread.
        if (copy.pass.shards == shards_.size() && copy.pass.shard != i) continue;
        ids[i].insert(ids[i].end(), copy.ids.begin(), copy.ids.end());
      }
    }
    log_->for_each_step(
        [&](size_t part, storage::LogRecord& record) {
          Share& share = shares[part];
          if (record.user.empty()) {  // a tick or a program switch: every shard's
            if (record.kind == storage::RecordKind::kProgram) share.versions.insert(record.version);
            share.ticks.push_back(std::move(record));
            return;
          }
          if (record.kind == storage::RecordKind::kCheckpoint) {
            share.versions.insert(record.version);
            ++share.checkpoints;
            if (!rederive->steps.empty() && record.seq > rederive->steps.first)
              share.checkpointed.emplace_back(record.user, record.seq);
          }
          share.steps[shard_of(record.user)].push_back(std::move(record));
        },
        readers);
  } catch (const storage::StorageError& e) {
    throw ConfigError(std::string("storage: ") + e.what());
  }
  auto ticks = std::make_shared<std::vector<storage::LogRecord>>();
  std::set<uint64_t> versions;
  uint64_t checkpoints = 0;
  for (Share& share : shares) {
    std::move(share.ticks.begin(), share.ticks.end(), std::back_inserter(*ticks));
    versions.merge(share.versions);
    checkpoints += share.checkpoints;
    rederive->checkpointed.insert(share.checkpointed.begin(), share.checkpointed.end());
  }
  // Sorted as pointers: a record is a few hundred bytes to move.
  std::vector<std::vector<const storage::LogRecord*>> orders(shards_.size());
  uint64_t total = 0;
  uint64_t user_steps = 0;
  for (size_t i = 0; i < shards_.size(); ++i) {
    std::vector<const storage::LogRecord*>& order = orders[i];
    size_t size = ticks->size();
    for (const Share& share : shares)
      size += share.steps[i].size();
    order.reserve(size);
    for (const Share& share : shares) {
      user_steps += share.steps[i].size();
      for (const storage::LogRecord& record : share.steps[i])
        order.push_back(&record);
    }
    for (const storage::LogRecord& tick : *ticks)
      order.push_back(&tick);
    std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
      return a->clock_ms != b->clock_ms ? a->clock_ms < b->clock_ms : a->seq < b->seq;
    });
    total += order.size();
  }
  metrics_.recovery_steps_total.store(total, std::memory_order_relaxed);

  // The programs the steps ran under, compiled again from the rule files the folder kept.
  // One that cannot be (its files missing, or refused by this version's checker) is
  // replaced by the running rules, said in the log.
  auto programs = std::make_shared<std::map<uint64_t, std::shared_ptr<const Program>>>();
  const std::shared_ptr<const Program> running = rules()->program;
  try {
    std::map<uint64_t, storage::RuleFiles> kept = log_->rule_versions();
    for (const uint64_t version : versions) {
      std::shared_ptr<const Program> program = running;
      if (const auto files = kept.find(version); files != kept.end()) {
        RuleSet set = compile_rule_files(files->second, wall_ms());
        if (set.program) program = set.program;
      }
      if (program == running && version != running->version) {
        log_line("warning",
                 "recovery: the rules that ran part of the log cannot be compiled again; "
                 "those steps are replayed under the running rules",
                 {{"version", version_text(version)}});
      }
      programs->emplace(version, std::move(program));
    }
  } catch (const storage::StorageError& e) {
    throw ConfigError(std::string("storage: ") + e.what());
  }

  for (size_t i = 0; i < shards_.size(); ++i) {
    // The records and their order, kept alive by the shard's tasks.
    struct Replay {
      std::vector<std::deque<storage::LogRecord>> steps;  // a share's each
      std::shared_ptr<std::vector<storage::LogRecord>> ticks;
      std::vector<const storage::LogRecord*> order;
    };
    auto replay = std::make_shared<Replay>(Replay{{}, ticks, std::move(orders[i])});
    for (Share& share : shares)
      replay->steps.push_back(std::move(share.steps[i]));
    for (size_t from = 0; from < replay->order.size(); from += kReplayChunk) {
      shards_[i]->post([this, replay, from, programs, rederive, i](ShardState& state) {
        const size_t to = std::min(replay->order.size(), from + kReplayChunk);
        state.set_replaying(true, rederive.get());
        for (size_t r = from; r < to; ++r) {
          const storage::LogRecord& record = *replay->order[r];
          // With as many shards as when they were logged, a shard follows its own ticks and
          // switches only: another shard's tick could fire, silently, a timer whose own
          // tick (and firing) a crash lost. With another shard count, every shard follows
          // all of them (docs/server.md says what that can cost).
          if (record.user.empty() && record.shards == shards_.size() && record.shard != i) continue;
          // A checkpoint is read under the program it was made under: the shard's at that
          // point, but with another shard count perhaps another shard's.
          if (record.kind == storage::RecordKind::kProgram ||
              record.kind == storage::RecordKind::kCheckpoint) {
            const std::shared_ptr<const Program>& program = programs->at(record.version);
            if (&state.engine().program() != program.get()) {
              state.engine().advance_to(record.clock_ms);
              state.engine().replace_program(program);
            }
            if (record.kind == storage::RecordKind::kProgram) continue;
          }
          state.replay(record);
        }
        state.set_replaying(false);
        const uint64_t done =
            metrics_.recovery_steps_done.fetch_add(to - from, std::memory_order_relaxed) +
            (to - from);
        if (done / kProgressEvery != (done - (to - from)) / kProgressEvery) {
          log_line("info", "recovering",
                   {{"steps_done", done},
                    {"steps", metrics_.recovery_steps_total.load(std::memory_order_relaxed)}});
        }
      });
    }
  }
  for (size_t i = 0; i < shards_.size(); ++i) {
    shards_[i]->post(
        [shard_ids = std::move(ids[i])](ShardState& state) { state.merge_recent_ids(shard_ids); });
  }
  std::vector<storage::OutboxEntry> outbox;
  try {
    outbox = log_->outbox();
  } catch (const storage::StorageError& e) {
    throw ConfigError(std::string("storage: ") + e.what());
  }
  const size_t redelivered = outbox.size();
  if (!outbox.empty()) writer_->submit(storage::Commit::redelivery(*log_, std::move(outbox)));
  // Every firing made again goes to the log writer before any new step: until the writer
  // has delivered them, the folder must go on naming the steps they came from.
  uint64_t rederived = 0;
  for (const uint64_t made : on_every_shard<uint64_t>([](ShardState& state) {
                               state.end_turn();
                               return state.rederived();
                             }).first)
    rederived += made;
  // A restart with other rule files is a reload: what fell due while the server was down
  // fires under the rules that set it, then each shard switches to the running rules.
  if (std::string error = keep_rule_files(*rules()); !error.empty())
    throw ConfigError("storage: the data folder refuses writes (" + error + ")");
  on_every_shard<std::monostate>([running](ShardState& state) {
    state.set_late(true);
    state.advance_to(wall_ms());
    state.set_late(false);
    if (&state.engine().program() != running.get()) state.engine().replace_program(running);
    state.log_program();
    state.end_turn();
    return std::monostate();
  });
  // For the end-to-end test of what the server answers while it recovers.
  if (failpoint_hit("slow_recovery")) std::this_thread::sleep_for(std::chrono::seconds(2));
  if (std::string error = log_->end_recovery(); !error.empty())
    log_line("warning", "the data folder is not compacted in the background: " + error);
  for (const auto& shard : shards_)
    shard->end_recovery();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  metrics_.recovery_ms.store(static_cast<uint64_t>(std::max<int64_t>(ms, 1)),
                             std::memory_order_relaxed);
  log_line("info", "recovered",
           {{"checkpoints", checkpoints},
            {"steps", user_steps - checkpoints},
            {"ticks_and_rule_switches", ticks->size()},
            {"partitions", log_->partitions()},
            {"firings_redelivered", redelivered},
            {"firings_made_again", rederived},
            {"ms", ms}});
}

}  // namespace spur::server
