// What one shard did in one turn (one drain of its queue, or one timer), to be written
// to the log as one atomic batch: its steps, the firings they made (for the outbox), and
// the erasures asked for. Built on the shard's thread, then handed to the LogWriter,
// which owns it from then on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/event.hpp"
#include "engine/value.hpp"
#include "storage/record.hpp"

namespace spur::storage {

class EventLog;

class Commit {
 public:
  // `log` numbers the steps (its seq) and places users in partitions.
  explicit Commit(EventLog& log) : log_(&log) {}

  bool empty() const { return steps_.empty() && firings_.empty(); }
  size_t firing_count() const { return firings_.size(); }

  void add_event(int64_t clock_ms, const Event& event);
  // A decision request (Engine::decide), handled at `clock_ms`.
  void add_decision(int64_t clock_ms, const Event& request);
  void add_attributes(RecordKind kind, int64_t clock_ms, const std::string& user,
                      const Value& attributes);
  // Shard `shard` of `shards` fired timers at `clock_ms`.
  void add_tick(int64_t clock_ms, uint32_t shard, uint32_t shards);
  // Shard `shard` of `shards` runs program `version` from here on. Returns the step's seq.
  uint64_t add_program(int64_t clock_ms, uint64_t version, uint32_t shard, uint32_t shards);
  // The rule files of program `version` (kept for good: recovery compiles them again).
  void add_rules(uint64_t version, const RuleFiles& files);
  // Firings found in the outbox at recovery: delivered again, in their order, not
  // written again.
  static std::unique_ptr<Commit> redelivery(EventLog& log, std::vector<OutboxEntry> firings);
  // A firing to deliver to `targets` (see OutboxEntry) once the batch is durable.
  // `confirmed_later`: one of them is an adapter that confirms later (webhook, Kafka), so
  // the firing goes to the outbox and stays there until it is settled.
  void add_firing(std::string_view user, std::string_view targets, std::string_view json,
                  bool confirmed_later);
  // Marks the commit as one of a recovery's: its firings were made again by replaying
  // steps whose firings may not have been delivered. Until every such commit is
  // delivered, the folder keeps saying which steps those were (docs/architecture.md,
  // "Firings").
  void mark_rederived() { rederived_ = true; }
  // Removes every step, checkpoint and undelivered firing of `user` from the folder.
  void erase_user(const std::string& user);

  // Checkpoints (docs/architecture.md, "Checkpoints"). The user's whole state as of now,
  // under program `version`: replaces the user's checkpoint, its place in the shard's
  // steps a seq of its own.
  void add_checkpoint(const std::string& user, int64_t clock_ms, uint64_t version,
                      std::string_view engine_state, std::string_view server_state);
  // A chunk of the dedup window's ids, copied by pass `pass` of shard `shard`.
  void add_recent_ids(uint32_t shard, uint64_t pass, uint32_t chunk,
                      const std::vector<RecentId>& ids);
  // The end of a shard's pass: every user it had when the pass began is in a checkpoint,
  // the dedup window's ids in the pass's chunks. Once every shard has ended one, the
  // steps and ticks before the earliest of their beginnings leave the folder.
  void end_pass(const PassRecord& pass);
  // Runs on the writer's thread when the batch is durable (error "") or could not be
  // written (the error, for the answer); in the order they were added.
  void on_done(std::function<void(const std::string& error)> done) {
    done_.push_back(std::move(done));
  }

 private:
  friend class EventLog;
  friend class LogWriter;
  // A record to put; or a user's step (key: the user's id), which the writer puts with
  // the batch's other steps of its partition; or a user whose records go (key: the prefix
  // of the partition's steps, value: the user's id); or the end of a checkpoint pass (the
  // pass record). In the order they happened.
  enum class StepKind : uint8_t { kPut, kUserStep, kErase, kEndPass };
  struct Step {
    std::string key, value;
    StepKind kind = StepKind::kPut;
    uint64_t seq = 0;        // kUserStep
    uint32_t partition = 0;  // kUserStep
  };
  bool erases() const;
  // An event, decision or profile write of `user`: a step that can fire, so its seq
  // widens fired_.
  void add_user_step(const std::string& user, std::string value);
  EventLog* log_;
  std::vector<Step> steps_;
  SeqRange fired_;                    // the seqs of the steps that can fire
  std::vector<OutboxEntry> firings_;  // seq set when written
  bool in_outbox_ = false;            // the firings are there already (redelivery)
  bool rederived_ = false;            // see mark_rederived()
  bool confirmed_later_ = false;      // see add_firing()
  std::vector<std::function<void(const std::string&)>> done_;
};

}  // namespace spur::storage
