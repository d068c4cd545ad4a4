#include "storage/log_writer.hpp"

#include <chrono>

namespace spur::storage {
namespace {

// How long a failed write waits before it is tried again.
constexpr auto kRetryDelay = std::chrono::seconds(1);

}  // namespace

LogWriter::LogWriter(EventLog& log, Fsync fsync, int64_t fsync_interval_ms, Hooks hooks)
    : log_(log),
      fsync_(fsync),
      interval_ms_(fsync_interval_ms),
      hooks_(std::move(hooks)),
      thread_([this] { run(); }) {}

LogWriter::~LogWriter() {
  stop();
}

void LogWriter::submit(std::unique_ptr<Commit> commit) {
  {
    const std::lock_guard lock(mutex_);
    queue_.push_back(std::move(commit));
  }
  wake_.notify_one();
}

void LogWriter::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::string LogWriter::failure() const {
  const std::lock_guard lock(mutex_);
  return failure_;
}

void LogWriter::run() {
  const auto interval = std::chrono::milliseconds(interval_ms_);
  auto last_round = std::chrono::steady_clock::now() - interval;
  for (;;) {
    std::vector<std::unique_ptr<Commit>> round;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      if (!retry_.empty()) {
        wake_.wait_for(lock, kRetryDelay, [this] { return stopping_; });
      } else {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      }
      // Group commit: what comes within the interval since the last round joins this one.
      if (fsync_ == Fsync::kBatch && !stopping_) {
        lock.unlock();
        std::this_thread::sleep_until(last_round + interval);
        lock.lock();
      }
      stopping = stopping_;
      round = std::move(retry_);
      retry_.clear();
      for (auto& commit : queue_)
        round.push_back(std::move(commit));
      queue_.clear();
    }
    last_round = std::chrono::steady_clock::now();
    // Outside the lock: the shards go on handing commits over while the folder reopens.
    if (!writable()) log_.resume();  // a failure of its own shows in the write
    if (!round.empty()) commit_round(std::move(round), fsync_ != Fsync::kNever);
    if (stopping && retry_.empty()) break;
    if (stopping) {
      // The disk refuses still: what was answered 503 stays in memory only, and is lost.
      hooks_.health("stopping with " + std::to_string(retry_.size()) +
                    " batch(es) that the disk refused; their requests were answered 503");
      break;
    }
  }
  // Trims the outbox of what was delivered, synced: a clean restart delivers nothing twice.
  if (hooks_.drain) hooks_.drain();
  write({}, true);
}

std::string LogWriter::write(std::vector<Commit*> commits, bool sync) {
  std::string error = log_.write(commits, sync, holds_.settled_through(delivered_through_));
  if (error.empty() && sync) syncs_.fetch_add(1, std::memory_order_relaxed);
  return error;
}

void LogWriter::commit_round(std::vector<std::unique_ptr<Commit>> round, bool sync) {
  // fsync always: a write and a sync per commit; otherwise one of each per round.
  const size_t group = fsync_ == Fsync::kAlways ? 1 : round.size();
  for (size_t first = 0; first < round.size(); first += group) {
    const size_t last = std::min(round.size(), first + group);
    std::vector<Commit*> commits;
    for (size_t i = first; i < last; ++i)
      commits.push_back(round[i].get());
    const std::string error = write(std::move(commits), sync);
    if (!error.empty()) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      {
        const std::lock_guard lock(mutex_);
        failure_ = error;
      }
      if (writable_.exchange(false, std::memory_order_acq_rel)) hooks_.health(error);
      // Answered now; written, in order, when the disk takes them.
      for (size_t i = first; i < round.size(); ++i) {
        for (auto& done : round[i]->done_)
          done(error);
        round[i]->done_.clear();
        retry_.push_back(std::move(round[i]));
      }
      return;
    }
    std::vector<std::unique_ptr<Commit>> written;
    for (size_t i = first; i < last; ++i)
      written.push_back(std::move(round[i]));
    delivered(written);
  }
  if (!writable_.exchange(true, std::memory_order_acq_rel)) {
    {
      const std::lock_guard lock(mutex_);
      failure_.clear();
    }
    hooks_.health("");
  }
}

void LogWriter::delivered(std::vector<std::unique_ptr<Commit>>& written) {
  bool any_firing = false, any_erasure = false;
  for (const auto& commit : written) {
    for (const OutboxEntry& firing : commit->firings_) {
      hooks_.deliver(firing, holds_);
      delivered_through_ = std::max(delivered_through_, firing.seq);
      any_firing = true;
    }
    any_erasure = any_erasure || commit->erases();
  }
  if (any_firing) hooks_.flush();
  for (const auto& commit : written) {
    for (auto& done : commit->done_)
      done("");
  }
  written_.fetch_add(written.size(), std::memory_order_relaxed);
  if (any_erasure) {
    // The erased user's delivered firings leave the outbox first, then every file is
    // rewritten without the user's bytes.
    write({}, false);
    log_.compact();
  }
}

}  // namespace spur::storage
