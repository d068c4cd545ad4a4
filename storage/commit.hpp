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
  void add_attributes(RecordKind kind, int64_t clock_ms, const std::string& user,
                      const Value& attributes);
  // Shard `shard` of `shards` fired timers at `clock_ms`.
  void add_tick(int64_t clock_ms, uint32_t shard, uint32_t shards);
  // Shard `shard` of `shards` runs program `version` from here on.
  void add_program(int64_t clock_ms, uint64_t version, uint32_t shard, uint32_t shards);
  // The rule files of program `version` (kept for good: recovery compiles them again).
  void add_rules(uint64_t version, const RuleFiles& files);
  // Firings found in the outbox at recovery: delivered again, in their order, not
  // written again.
  static std::unique_ptr<Commit> redelivery(EventLog& log, std::vector<OutboxEntry> firings);
  // A firing to deliver to `targets` (see OutboxEntry) once the batch is durable.
  void add_firing(std::string_view user, std::string_view targets, std::string_view json);
  // Removes every step and undelivered firing of `user` from the folder.
  void erase_user(const std::string& user);
  // Runs on the writer's thread when the batch is durable (error "") or could not be
  // written (the error, for the answer); in the order they were added.
  void on_done(std::function<void(const std::string& error)> done) {
    done_.push_back(std::move(done));
  }

 private:
  friend class EventLog;
  friend class LogWriter;
  // A record to put, or (erase) a user whose records go: key is then the user's prefix
  // (user_prefix) and value the user's id. In the order they happened.
  struct Step {
    std::string key, value;
    bool erase = false;
  };
  bool erases() const;
  EventLog* log_;
  std::vector<Step> steps_;
  std::vector<OutboxEntry> firings_;  // seq set when written
  bool in_outbox_ = false;            // the firings are there already (redelivery)
  std::vector<std::function<void(const std::string&)>> done_;
};

}  // namespace spur::storage
