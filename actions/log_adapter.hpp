// The `log` action adapter (config.md): firings as NDJSON, one JSON object per line, to
// stdout or a file, exactly the firing JSON of formats.md.
//
// Thread-safety: write() and flush() may be called from any thread (every shard writes);
// a line is never split or interleaved with another.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace spur::actions {

class LogAdapter {
 public:
  // Opens `path` for appending ("" or "-": stdout). Throws std::runtime_error naming the
  // path and the system's reason when it cannot.
  explicit LogAdapter(const std::string& path);
  ~LogAdapter();
  LogAdapter(const LogAdapter&) = delete;
  LogAdapter& operator=(const LogAdapter&) = delete;

  // Queues one line (without its newline); it reaches the file at the next flush().
  void write(std::string_view line);
  // Writes every queued line. False when the file refused them (counted as failed).
  bool flush();

  const std::string& path() const { return path_; }
  uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }

 private:
  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  std::mutex mutex_;
  std::string buffer_;   // guarded by mutex_
  uint64_t queued_ = 0;  // lines in buffer_; guarded by mutex_
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failed_{0};
};

}  // namespace spur::actions
