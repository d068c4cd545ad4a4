// The data folder of storage mode `disk` (RocksDB): the log of steps, the outbox of
// firings, and what the folder says of itself (format version, partition count).
//
// Thread-safety: next_seq(), partition_of() and bytes_on_disk() from any thread; the
// others from one thread at a time: the readers (steps, outbox) at recovery, before the
// shards make commits, then the LogWriter's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/commit.hpp"
#include "storage/record.hpp"

namespace rocksdb {
class WriteBatch;
}

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
  // RocksDB's warnings and errors go to `warn`, from RocksDB's threads.
  EventLog(const std::string& path, std::function<void(const std::string&)> warn);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  const std::string& path() const { return path_; }
  uint32_t partitions() const { return partitions_; }
  uint32_t partition_of(std::string_view user) const {
    return storage::partition_of(user, partitions_);
  }
  uint64_t next_seq() { return next_seq_.fetch_add(1, std::memory_order_relaxed); }

  // Every checkpoint and step in the folder, read by `parts` threads (the caller's among
  // them), each reading a range of partitions (part 0 also the ticks), in key order:
  // `each` is called from all of them at once, with the part it reads. Throws
  // StorageError when a record cannot be read.
  void for_each_step(const std::function<void(size_t part, LogRecord&)>& each, size_t parts = 1);
  // The rule files of every program version the folder has seen.
  std::map<uint64_t, RuleFiles> rule_versions();
  // The firings still in the outbox, in seq order.
  std::vector<OutboxEntry> outbox();
  // The steps whose firings may not have reached their adapters: a recovery makes them
  // again by replaying those steps, unless they are in the outbox.
  SeqRange undelivered() const { return undelivered_written_; }
  // Per shard, the dedup window's ids as its last complete checkpoint pass copied them.
  struct RecentIdsCopy {
    PassRecord pass;
    std::vector<RecentId> ids;
  };
  std::vector<RecentIdsCopy> recent_ids();

  // Writes `commits` as one batch, with the outbox through `delivered_through` trimmed;
  // `sync`: fsync before returning. Records the batch's steps as undelivered, or puts
  // its firings in the outbox (numbered here) where a recovery could not make them
  // again (docs/architecture.md, "Firings"). The caller delivers the batch's firings
  // before it writes the next one. Returns "" or what failed.
  std::string write(std::vector<Commit*>& commits, bool sync, uint64_t delivered_through);
  // After a write failed: lets writes be tried again (RocksDB stops taking them after
  // an I/O error until told to resume). "" or why it cannot.
  std::string resume();
  // Lets RocksDB compact the folder in the background, which it does not while the
  // folder is read at recovery. "" or why it cannot.
  std::string end_recovery();
  // Compacts the whole folder, so that erased users' bytes leave the files.
  std::string compact();
  // Bytes of the folder's tables and memtables after the last write, for /metrics and
  // the bench.
  uint64_t bytes_on_disk() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  struct Db;
  // Records of steps an erasure wrote again in the batch being made: key, value ("" when
  // no step is left and the record is deleted).
  using Rewrites = std::map<std::string, std::string>;
  // Adds to `batch` the deletion of every record of the user (whose steps are among the
  // keys starting with `partition`, and its checkpoint): in the folder (records of steps
  // that hold some of them in `rewritten`), among this batch's (checkpoints in `put`,
  // steps in batch_steps_; those deleted are set to null), and in the outbox. "" or what
  // failed.
  std::string erase_user(rocksdb::WriteBatch& batch, const std::string& partition,
                         const std::string& user, std::vector<const std::string*>& put,
                         Rewrites& rewritten);
  // Adds to `batch` a record of the batch's steps per partition that has some.
  void put_steps(rocksdb::WriteBatch& batch);
  // Adds to `batch` the end of a checkpoint pass (Commit::end_pass) and the trim it allows.
  void end_pass(rocksdb::WriteBatch& batch, const std::string& key, const std::string& value);
  void read_passes();
  // Calls `each` on the records of the key ranges [from, end), in order.
  void read_steps(const std::vector<std::pair<std::string, std::string>>& ranges,
                  const std::function<void(LogRecord&)>& each);
  std::string path_;
  std::unique_ptr<Db> db_;
  uint32_t partitions_ = kDefaultPartitions;
  std::atomic<uint64_t> next_seq_{1};
  std::atomic<uint64_t> bytes_{0};
  // Checkpoint passes, per shard: the last ended in a batch being made, and the last
  // written; and the seq before which steps and ticks are trimmed, the same two ways.
  std::map<uint32_t, PassRecord> passes_, written_passes_;
  uint64_t trimming_before_ = 0, trimmed_before_ = 0;
  // The steps of the batch being made, per partition, in the order they were added.
  std::vector<std::vector<const Commit::Step*>> batch_steps_;
  // As the folder holds them: the undelivered steps, and the outbox seq trimmed through.
  SeqRange undelivered_written_;
  uint64_t outbox_trimmed_through_ = 0;
};

}  // namespace spur::storage
