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
  // Writes every queued line. False when the file refused some: those are counted as
  // failed and dropped, whole. A line cut off by a failing write is never left half
  // written while the file takes more: its rest is written first at the next flush.
  bool flush();

  const std::string& path() const { return path_; }
  uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }
  // The system's reason for the last write the file refused (errno), 0 when none did.
  int last_error() const { return last_error_.load(std::memory_order_relaxed); }
  // Whether the last flush that had something to write could not write it all.
  bool failing() const { return failing_.load(std::memory_order_relaxed); }

 private:
  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  std::mutex mutex_;
  std::string buffer_;   // guarded by mutex_
  uint64_t queued_ = 0;  // lines in buffer_; guarded by mutex_
  // The rest of a line a failed write cut off, newline included; guarded by mutex_.
  std::string torn_;
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<int> last_error_{0};
  std::atomic<bool> failing_{false};
};

}  // namespace spur::actions
