// The data folder of storage mode `disk` (RocksDB): the log of steps, the outbox of
// firings, and what the folder says of itself (format version, partition count).
//
// Thread-safety: next_seq() and partition_of() from any thread; write() from the one
// LogWriter thread; the readers (steps, outbox) before the writer starts.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/commit.hpp"
#include "storage/record.hpp"

namespace spur::storage {

// A folder that cannot be used: the message names the folder, what is wrong and what to do.
struct StorageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class EventLog {
 public:
  // The partition count of a folder made by this version.
  static constexpr uint32_t kDefaultPartitions = 256;

  // Opens the folder at `path`, making it (with kDefaultPartitions) when it does not
  // exist. Throws StorageError for a folder of another format or a corrupted one.
  explicit EventLog(const std::string& path);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  const std::string& path() const { return path_; }
  uint32_t partitions() const { return partitions_; }
  uint32_t partition_of(std::string_view user) const {
    return storage::partition_of(user, partitions_);
  }
  uint64_t next_seq() { return next_seq_.fetch_add(1, std::memory_order_relaxed); }

  // Every step in the folder, in key order (by partition and user, then seq). Throws
  // StorageError when a record cannot be read.
  void for_each_step(const std::function<void(LogRecord&)>& each);
  // The firings still in the outbox, in seq order.
  std::vector<OutboxEntry> outbox();

  // Writes `commits` (their outbox entries numbered here) as one batch, with the outbox
  // through `delivered_through` trimmed; `sync`: fsync before returning. Returns "" or
  // what failed.
  std::string write(std::vector<Commit*>& commits, bool sync, uint64_t delivered_through);
  // Compacts the whole folder, so that erased users' bytes leave the files.
  std::string compact();
  // Bytes of the folder's live files, for /metrics and the bench.
  uint64_t bytes_on_disk() const;

 private:
  struct Db;
  std::string path_;
  std::unique_ptr<Db> db_;
  uint32_t partitions_ = kDefaultPartitions;
  std::atomic<uint64_t> next_seq_{1};
};

}  // namespace spur::storage
