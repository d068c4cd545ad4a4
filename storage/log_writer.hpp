// The thread that makes the shards' work durable (storage mode `disk`): it writes their
// commits to the EventLog with group commit, then delivers their firings and answers
// their requests (Commit::on_done), in the order the commits came.
//
// fsync `batch`: one sync per round, at most one round per fsync_interval, every commit
// queued meanwhile in it; `always`: one write and sync per commit; `never`: written, the
// OS syncing when it likes. A write that fails is answered with its error, and kept: it
// is tried again every second, ahead of everything after it, until the disk takes it,
// so that what a shard holds in memory reaches the disk in order. Meanwhile writable()
// is false, and the server refuses new writes.
//
// Thread-safety: submit(), writable(), failure() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage/commit.hpp"
#include "storage/event_log.hpp"
#include "storage/outbox_holds.hpp"

namespace spur::storage {

enum class Fsync : uint8_t { kBatch, kAlways, kNever };

class LogWriter {
 public:
  struct Hooks {
    // Delivers one firing to its adapters; `flush` then makes what was delivered reach
    // them. Once flushed, the firing leaves the outbox, unless an adapter that confirms
    // later holds it in `holds` (released when it settles the firing).
    std::function<void(const OutboxEntry& firing, OutboxHolds& holds)> deliver;
    std::function<void()> flush;
    // At stop, before the last trim of the outbox: lets those adapters settle what they
    // hold (within a deadline of their own).
    std::function<void()> drain;
    // Told when writes start failing (the error) and when they succeed again ("").
    std::function<void(const std::string& error)> health;
  };

  LogWriter(EventLog& log, Fsync fsync, int64_t fsync_interval_ms, Hooks hooks);
  ~LogWriter();  // stop()
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  void submit(std::unique_ptr<Commit> commit);
  // Writes what is queued, delivers and trims the outbox, syncs, and ends the thread.
  void stop();

  bool writable() const { return writable_.load(std::memory_order_acquire); }
  // What the last failed write said ("" when none failed since the last success).
  std::string failure() const;
  uint64_t commits_written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  uint64_t write_failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  void run();
  // Writes `commits` as one batch, with the outbox trimmed of what was delivered; "" or
  // the error.
  std::string write(std::vector<Commit*> commits, bool sync);
  // Writes `round` per the fsync mode, then delivers and answers (or answers the error
  // and keeps what failed for the retry).
  void commit_round(std::vector<std::unique_ptr<Commit>> round, bool sync);
  void delivered(std::vector<std::unique_ptr<Commit>>& written);

  EventLog& log_;
  const Fsync fsync_;
  const int64_t interval_ms_;
  Hooks hooks_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Commit>> queue_;  // guarded by mutex_
  bool stopping_ = false;                      // guarded by mutex_
  std::string failure_;                        // guarded by mutex_

  // On the writer's thread only.
  std::vector<std::unique_ptr<Commit>> retry_;  // written once, failed, answered
  uint64_t delivered_through_ = 0;              // outbox seq delivered and flushed
  OutboxHolds holds_;                           // of what is delivered, what is not settled
  bool compact_due_ = false;                    // an erasure awaits its compaction

  std::atomic<bool> writable_{true};
  std::atomic<uint64_t> written_{0}, syncs_{0}, failures_{0};
  std::thread thread_;
};

}  // namespace spur::storage
