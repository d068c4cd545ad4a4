#include "storage/event_log.hpp"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <thread>

#include "storage/background_priority.hpp"
#include "storage/stall_listener.hpp"

namespace spur::storage {

namespace {

// RocksDB's warnings and errors, to the server's log instead of a LOG file in the folder:
// on a full disk that file fails too, and RocksDB 7.8 asserts on its next line.
class ForwardingLogger : public rocksdb::Logger {
 public:
  explicit ForwardingLogger(std::function<void(const std::string&)> warn)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), warn_(std::move(warn)) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    warn_(line);
  }

 private:
  std::function<void(const std::string&)> warn_;
};

}  // namespace

struct EventLog::Db {
  std::unique_ptr<rocksdb::DB> db;
  std::shared_ptr<rocksdb::Logger> logger;
  std::atomic<bool> recovered{false};  // compactions wait until then (set by end_recovery)

  rocksdb::Status open(const std::string& path) {
    rocksdb::Options options;
    // A compaction started at open (a folder stopped with many level-0 files) would take
    // a core from the recovery reading the folder: 1-2 s of a 1,000,000-user recovery.
    options.disable_auto_compactions = !recovered;
    options.info_log = logger;
    options.create_if_missing = true;
    options.paranoid_checks = true;
    // A log cut short by a crash or a disk error is read up to its last intact record.
    options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
    // A new manifest at every change, holding only live files: key ranges of files that
    // compaction removed (an erased user's id among them) do not linger in an old one.
    options.max_manifest_file_size = 1;
    options.keep_log_file_num = 2;
    // Steps arrive in no key order (users of every partition at once): a skip list spends
    // most of a write finding each insertion point (perf: a quarter of a loaded server).
    // A vector memtable appends and sorts once, when it is flushed or read; it is read
    // only at recovery and by erasures.
    options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
    options.allow_concurrent_memtable_write = false;
    // Four memtables, not two: RocksDB stops writes when every one is full or waiting
    // for its flush, and a checkpoint pass fills one in a second or two (65 MB for
    // 100,000 users) while a flush in the core's spare time takes longer.
    options.max_write_buffer_number = 4;
    const BackgroundClass background = opening_background_class();
    if (background == BackgroundClass::kIdle) options.listeners.push_back(make_stall_listener());
    rocksdb::DB* opened = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(options, path, &opened);
    db.reset(opened);
    if (status.ok()) set_background_class(background);
    return status;
  }
};

namespace {

// The key just past every key that starts with `prefix`.
std::string prefix_end(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff)
    prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

StorageError unreadable(const std::string& path, const rocksdb::Status& status) {
  if (status.IsCorruption()) {
    return StorageError("the data folder " + path + " is corrupted (" + status.ToString() +
                        "); nothing was started. Restore it from a backup, or move it aside to "
                        "start with an empty folder (every event and timer in it is then lost)");
  }
  return StorageError("the data folder " + path + " cannot be used (" + status.ToString() +
                      "); check that it exists, is writable and is not used by another "
                      "spur serve, or set storage.path");
}

}  // namespace

EventLog::EventLog(const std::string& path, std::function<void(const std::string&)> warn)
    : path_(path), db_(std::make_unique<Db>()) {
  db_->logger = std::make_shared<ForwardingLogger>(std::move(warn));
  std::error_code ec;
  const bool made_by_rocksdb = std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec);
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_empty(path, ec) &&
      !made_by_rocksdb) {
    throw StorageError("storage.path " + path +
                       " is a folder that Spur did not make (no CURRENT file); point "
                       "storage.path at an empty or new folder");
  }
  // Made here, so that RocksDB does not report a missing folder as an error.
  std::filesystem::create_directories(path, ec);
  if (const rocksdb::Status status = db_->open(path); !status.ok()) throw unreadable(path, status);

  std::string format;
  const rocksdb::Status read = db_->db->Get({}, meta_key("format"), &format);
  if (read.IsNotFound()) {
    if (made_by_rocksdb)
      throw StorageError("the data folder " + path +
                         " has no format record; it was not made by "
                         "Spur, or is damaged: move it aside");
    rocksdb::WriteBatch meta;
    meta.Put(meta_key("format"), std::string(kFormatVersion));
    meta.Put(meta_key("partitions"), std::to_string(partitions_));
    rocksdb::WriteOptions sync;
    sync.sync = true;
    if (const auto s = db_->db->Write(sync, &meta); !s.ok()) throw unreadable(path, s);
    return;
  }
  if (!read.ok()) throw unreadable(path, read);
  if (std::ranges::find(kEarlierFormatVersions, format) != std::end(kEarlierFormatVersions)) {
    // Read as it is: its steps are records of one step; a spur-log-2 folder records no
    // undelivered steps, its outbox holding every firing not delivered.
    rocksdb::WriteOptions sync;
    sync.sync = true;
    if (const auto s = db_->db->Put(sync, meta_key("format"), std::string(kFormatVersion)); !s.ok())
      throw unreadable(path, s);
    format = kFormatVersion;
  }
  if (format != kFormatVersion) {
    throw StorageError("the data folder " + path + " was written in format `" + format +
                       "`, and this version of Spur reads `" + std::string(kFormatVersion) +
                       "` only; run the version that wrote it, or move the folder aside");
  }
  std::string partitions;
  const rocksdb::Status p = db_->db->Get({}, meta_key("partitions"), &partitions);
  if (!p.ok()) throw unreadable(path, p);
  try {
    partitions_ = static_cast<uint32_t>(std::stoul(partitions));
  } catch (const std::exception&) {
    partitions_ = 0;
  }
  if (partitions_ == 0 || partitions_ > 65536)
    throw StorageError("the data folder " + path + " records `" + partitions +
                       "` partitions, which is not a count Spur writes: it is damaged");
  std::string undelivered;
  const rocksdb::Status u = db_->db->Get({}, meta_key("undelivered"), &undelivered);
  if (!u.ok() && !u.IsNotFound()) throw unreadable(path, u);
  if (u.ok()) {
    const std::optional<SeqRange> range = decode_seq_range(undelivered);
    if (!range)
      throw StorageError("the data folder " + path +
                         " holds a record of undelivered steps Spur cannot read: it is damaged; "
                         "restore it from a backup or move it aside");
    undelivered_written_ = *range;
  }
  read_passes();
}

EventLog::~EventLog() = default;

void EventLog::for_each_step(const std::function<void(size_t part, LogRecord&)>& each,
                             size_t parts) {
  parts = std::clamp<size_t>(parts, 1, partitions_);
  std::vector<std::exception_ptr> failures(parts);
  const auto read_part = [&](size_t part) {
    try {
      const auto first = static_cast<uint32_t>(partitions_ * part / parts);
      const auto last = static_cast<uint32_t>(partitions_ * (part + 1) / parts);
      std::vector<std::pair<std::string, std::string>> ranges;
      for (const char tag : {'C', 'L'}) {
        ranges.emplace_back(partition_prefix(tag, first), last == partitions_
                                                              ? prefix_end(std::string(1, tag))
                                                              : partition_prefix(tag, last));
      }
      if (part == 0) ranges.emplace_back("T", prefix_end("T"));
      read_steps(ranges, [&each, part](LogRecord& record) { each(part, record); });
    } catch (...) {
      failures[part] = std::current_exception();
    }
  };
  std::vector<std::thread> readers;
  for (size_t part = 1; part < parts; ++part)
    readers.emplace_back(read_part, part);
  read_part(0);
  for (std::thread& reader : readers)
    reader.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
}

void EventLog::read_steps(const std::vector<std::pair<std::string, std::string>>& ranges,
                          const std::function<void(LogRecord&)>& each) {
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator({}));
  uint64_t max_seq = 0;
  std::vector<LogRecord> records;
  for (const auto& [from, end] : ranges) {
    for (it->Seek(from); it->Valid() && it->key().compare(end) < 0; it->Next()) {
      std::string error;
      records.clear();
      if (!decode_records(it->key().ToStringView(), it->value().ToStringView(), records, error)) {
        throw StorageError("the data folder " + path_ + " holds a step Spur cannot read (" + error +
                           "); it is damaged: restore it from a backup or move it aside");
      }
      for (LogRecord& record : records) {
        max_seq = std::max(max_seq, record.seq);
        // A record of steps outlives a trim while its last step is not covered; its steps
        // that are, the checkpoints hold.
        if (record.kind != RecordKind::kCheckpoint && !record.user.empty() &&
            record.seq < trimmed_before_) {
          continue;
        }
        each(record);
      }
    }
    // Before the next Seek, which forgets it: an iterator that met a damaged block ends
    // as if the range ended there.
    if (!it->status().ok()) throw unreadable(path_, it->status());
  }
  uint64_t next = next_seq_.load();
  while (next < max_seq + 1 && !next_seq_.compare_exchange_weak(next, max_seq + 1)) {
  }
}

std::map<uint64_t, RuleFiles> EventLog::rule_versions() {
  std::map<uint64_t, RuleFiles> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator({}));
  const std::string end = prefix_end("V");
  for (it->Seek("V"); it->Valid() && it->key().compare(end) < 0; it->Next()) {
    std::string error;
    auto rules = decode_rules(it->key().ToStringView(), it->value().ToStringView(), error);
    if (!rules) {
      throw StorageError("the data folder " + path_ + " holds rule files Spur cannot read (" +
                         error + "); it is damaged: restore it from a backup or move it aside");
    }
    out.emplace(rules->first, std::move(rules->second));
  }
  if (!it->status().ok()) throw unreadable(path_, it->status());
  return out;
}

std::vector<OutboxEntry> EventLog::outbox() {
  std::vector<OutboxEntry> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator({}));
  const std::string end = prefix_end("O");
  for (it->Seek("O"); it->Valid() && it->key().compare(end) < 0; it->Next()) {
    std::string error;
    if (!decode_outbox(it->key().ToStringView(), it->value().ToStringView(), out, error)) {
      throw StorageError("the data folder " + path_ + " holds firings Spur cannot read (" + error +
                         "); it is damaged: restore it from a backup or move it aside");
    }
  }
  if (!it->status().ok()) throw unreadable(path_, it->status());
  if (!out.empty()) next_seq_.store(std::max(next_seq_.load(), out.back().seq + 1));
  return out;
}

std::string EventLog::write(std::vector<Commit*>& commits, bool sync, uint64_t delivered_through) {
  if (!db_->db) return "the data folder is closed after a failed write; it is opened again";
  // Which firings a recovery could not make again by replaying their steps, and so go
  // to the outbox (docs/architecture.md, "Firings"): those of a batch that holds a
  // checkpoint (it replaces the state their steps were replayed from), and those of a
  // batch that holds a recovery's firings (its steps' seqs are not recorded as
  // undelivered, see below).
  bool checkpoints = false, rederived = false;
  size_t bytes = 0;
  SeqRange fired;
  for (const Commit* commit : commits) {
    rederived = rederived || commit->rederived_;
    for (const Commit::Step& step : commit->steps_) {
      checkpoints =
          checkpoints || (step.kind == Commit::StepKind::kPut && is_checkpoint_key(step.key));
      bytes += step.key.size() + step.value.size() + 16;  // and the record's header
    }
    fired.widen(commit->fired_);
  }
  const bool to_outbox = checkpoints || rederived;
  // The steps whose firings are not yet delivered are this batch's: the writer delivers
  // a batch's firings before it writes the next batch. A recovery's batches leave the
  // range as it is until every firing made again from it is delivered.
  SeqRange undelivered = undelivered_written_;
  if (!rederived) undelivered = to_outbox ? SeqRange{} : fired;
  // Sized once: a batch of a thousand steps grew its buffer a dozen times.
  rocksdb::WriteBatch batch(bytes + 1024);
  if (delivered_through > outbox_trimmed_through_)
    batch.DeleteRange(outbox_key(0), outbox_key(delivered_through + 1));
  if (undelivered != undelivered_written_)
    batch.Put(meta_key("undelivered"), seq_range_value(undelivered));
  std::vector<const std::string*> put;  // keys of checkpoints put in this batch so far
  Rewrites rewritten;
  batch_steps_.resize(partitions_);
  for (std::vector<const Commit::Step*>& steps : batch_steps_)
    steps.clear();
  for (Commit* commit : commits) {
    for (const Commit::Step& step : commit->steps_) {
      switch (step.kind) {
        case Commit::StepKind::kPut:
          batch.Put(step.key, step.value);
          put.push_back(&step.key);
          break;
        case Commit::StepKind::kUserStep:
          batch_steps_[step.partition].push_back(&step);
          break;
        case Commit::StepKind::kErase:
          if (std::string error = erase_user(batch, step.key, step.value, put, rewritten);
              !error.empty())
            return error;
          break;
        case Commit::StepKind::kEndPass:
          end_pass(batch, step.key, step.value);
          break;
      }
    }
    // Firings for an adapter that confirms later go to the outbox whatever the batch: the
    // range of undelivered steps names the last batch's steps only.
    const bool outboxed = commit->confirmed_later_ || (to_outbox && !commit->rederived_);
    if (!outboxed || commit->firings_.empty() || commit->in_outbox_) continue;
    const uint64_t seq = next_seq();
    for (OutboxEntry& firing : commit->firings_)
      firing.seq = seq;
    batch.Put(outbox_key(seq), outbox_value(commit->firings_));
  }
  put_steps(batch);
  for (const auto& [key, value] : rewritten) {
    if (value.empty()) {
      batch.Delete(key);
    } else {
      batch.Put(key, value);
    }
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  const rocksdb::Status status = db_->db->Write(options, &batch);
  if (!status.ok()) {
    // What the batch said of passes did not happen: it is said again when it is retried.
    passes_ = written_passes_;
    trimming_before_ = trimmed_before_;
    return status.ToString();
  }
  written_passes_ = passes_;
  trimmed_before_ = trimming_before_;
  undelivered_written_ = undelivered;
  outbox_trimmed_through_ = std::max(outbox_trimmed_through_, delivered_through);
  uint64_t sst = 0, memory = 0;
  db_->db->GetIntProperty("rocksdb.total-sst-files-size", &sst);
  db_->db->GetIntProperty("rocksdb.cur-size-all-mem-tables", &memory);
  bytes_.store(sst + memory, std::memory_order_relaxed);
  return "";
}

void EventLog::put_steps(rocksdb::WriteBatch& batch) {
  std::vector<StepEntry> entries;
  for (uint32_t partition = 0; partition < partitions_; ++partition) {
    entries.clear();
    uint64_t last = 0;
    for (const Commit::Step* step : batch_steps_[partition]) {
      if (step == nullptr) continue;  // erased later in the batch
      entries.push_back({step->seq, step->key, step->value});
      last = std::max(last, step->seq);
    }
    if (!entries.empty()) batch.Put(steps_from(partition, last), steps_value(entries));
  }
}

std::string EventLog::erase_user(rocksdb::WriteBatch& batch, const std::string& partition,
                                 const std::string& user, std::vector<const std::string*>& put,
                                 Rewrites& rewritten) {
  // Key by key: a range deletion would leave the user's id in the folder, as the bound of
  // the file that held the range (RocksDB 7.8 keeps it in the manifest after compaction
  // has dropped the range). The partition's steps are read through to find the user's:
  // erasures are rare, steps many. A record of steps that holds the user's is written
  // again without them.
  if (!db_->db) return "the data folder is closed after a failed write";
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator({}));
  std::vector<StepEntry> steps;
  for (it->Seek(partition); it->Valid() && it->key().starts_with(partition); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (!is_steps_key(key)) {
      if (user_of_key(key) == user) batch.Delete(it->key());  // a spur-log-3 step
      continue;
    }
    const auto before = rewritten.find(std::string(key));
    std::string error;
    steps.clear();
    if (!decode_steps(before != rewritten.end() ? std::string_view(before->second)
                                                : it->value().ToStringView(),
                      steps, error))
      return "a record of steps cannot be read (" + error + ")";
    if (std::erase_if(steps, [&user](const StepEntry& step) { return step.user == user; }) == 0)
      continue;
    rewritten[std::string(key)] = steps.empty() ? std::string() : steps_value(steps);
  }
  if (!it->status().ok()) return it->status().ToString();
  for (const Commit::Step*& step : batch_steps_[partition_of(user)]) {
    if (step != nullptr && step->key == user) step = nullptr;
  }
  batch.Delete(checkpoint_key(partition_of(user), user));
  for (const std::string*& key : put) {
    if (key != nullptr && user_of_key(*key) == user) {
      batch.Delete(*key);
      key = nullptr;
    }
  }
  // The commits' records that hold a firing of the user are written again without it.
  std::map<uint64_t, std::vector<OutboxEntry>> records;
  bool touched = false;
  for (OutboxEntry& waiting : outbox()) {
    touched = touched || waiting.user == user;
    records[waiting.seq].push_back(std::move(waiting));
  }
  if (!touched) return "";
  for (auto& [seq, firings] : records) {
    const auto kept = std::remove_if(firings.begin(), firings.end(),
                                     [&user](const OutboxEntry& f) { return f.user == user; });
    if (kept == firings.end()) continue;
    firings.erase(kept, firings.end());
    if (firings.empty()) {
      batch.Delete(outbox_key(seq));
    } else {
      batch.Put(outbox_key(seq), outbox_value(firings));
    }
  }
  return "";
}

void EventLog::end_pass(rocksdb::WriteBatch& batch, const std::string& key,
                        const std::string& value) {
  std::string error;
  const std::optional<PassRecord> pass = decode_pass(key, value, error);
  if (!pass) return;  // made by Commit::end_pass: cannot happen
  batch.Put(key, value);
  // The pass's copy of the dedup window replaces the earlier ones.
  batch.DeleteRange(recent_ids_key(pass->shard, 0, 0),
                    recent_ids_key(pass->shard, pass->began_at, 0));
  passes_[pass->shard] = *pass;
  // Once every shard has ended a pass, what they all hold in checkpoints goes: the steps
  // and ticks before the earliest beginning. Passes of a run with more shards go too.
  uint64_t before = UINT64_MAX;
  for (uint32_t shard = 0; shard < pass->shards; ++shard) {
    const auto found = passes_.find(shard);
    if (found == passes_.end() || found->second.shards != pass->shards) return;
    before = std::min(before, found->second.began_at);
  }
  batch.DeleteRange(pass_key(pass->shards), "Q");
  batch.DeleteRange(recent_ids_key(pass->shards, 0, 0), "E");
  std::erase_if(passes_, [&](const auto& p) { return p.first >= pass->shards; });
  if (before <= trimming_before_) return;
  for (uint32_t partition = 0; partition < partitions_; ++partition)
    batch.DeleteRange(steps_from(partition, trimming_before_), steps_from(partition, before));
  batch.DeleteRange(tick_key(trimming_before_), tick_key(before));
  trimming_before_ = before;
}

std::vector<EventLog::RecentIdsCopy> EventLog::recent_ids() {
  std::vector<RecentIdsCopy> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator({}));
  for (const auto& [shard, pass] : passes_) {
    RecentIdsCopy& copy = out.emplace_back();
    copy.pass = pass;
    const std::string from = recent_ids_key(shard, pass.began_at, 0);
    const std::string end = recent_ids_key(shard, pass.began_at + 1, 0);
    for (it->Seek(from); it->Valid() && it->key().compare(end) < 0; it->Next()) {
      std::string error;
      if (!decode_recent_ids(it->value().ToStringView(), copy.ids, error)) {
        throw StorageError("the data folder " + path_ + " holds event ids Spur cannot read (" +
                           error + "); it is damaged: restore it from a backup or move it aside");
      }
    }
    if (!it->status().ok()) throw unreadable(path_, it->status());
  }
  return out;
}

void EventLog::read_passes() {
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator({}));
  const std::string end = prefix_end("P");
  for (it->Seek("P"); it->Valid() && it->key().compare(end) < 0; it->Next()) {
    std::string error;
    const auto pass = decode_pass(it->key().ToStringView(), it->value().ToStringView(), error);
    if (!pass) {
      throw StorageError("the data folder " + path_ +
                         " holds a checkpoint record Spur cannot read (" + error +
                         "); it is damaged: restore it from a backup or move it aside");
    }
    passes_[pass->shard] = *pass;
    next_seq_.store(std::max(next_seq_.load(), pass->began_at + 1));
  }
  if (!it->status().ok()) throw unreadable(path_, it->status());
  written_passes_ = passes_;
  // What the last trim covered: per shard count, the earliest beginning of a complete
  // set of passes (see end_pass).
  std::map<uint32_t, std::pair<uint32_t, uint64_t>> sets;  // shards -> (passes, earliest)
  for (const auto& [shard, pass] : passes_) {
    auto& [count, earliest] = sets.try_emplace(pass.shards, 0, UINT64_MAX).first->second;
    ++count;
    earliest = std::min(earliest, pass.began_at);
  }
  for (const auto& [shards, set] : sets) {
    if (set.first == shards) trimmed_before_ = std::max(trimmed_before_, set.second);
  }
  trimming_before_ = trimmed_before_;
}

std::string EventLog::resume() {
  // Closed and opened again rather than DB::Resume(): RocksDB 7.8 writes on to a log whose
  // last write failed, and its assertions end the process there (fixed in RocksDB 9,
  // pull request 12448). Opening recovers the log up to its last intact record, which
  // holds everything acknowledged.
  db_->db.reset();
  const rocksdb::Status status = db_->open(path_);
  return status.ok() ? std::string() : status.ToString();
}

std::string EventLog::end_recovery() {
  db_->recovered = true;
  if (!db_->db) return "closed";
  const auto s = db_->db->SetOptions({{"disable_auto_compactions", "false"}});
  return s.ok() ? "" : s.ToString();
}

std::string EventLog::compact() {
  if (!db_->db) return "closed";
  // The log's memtable first, so that the write-ahead log holding the erased bytes is
  // let go; then every level down to the last, so that range deletions drop what they
  // cover and then themselves.
  if (const auto s = db_->db->Flush({}); !s.ok()) return s.ToString();
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  if (const auto s = db_->db->CompactRange(options, nullptr, nullptr); !s.ok()) return s.ToString();
  // One more change of the file set, so that the manifest is written anew (see
  // max_manifest_file_size) without the bounds of the files the compaction removed.
  if (const auto s = db_->db->Put({}, meta_key("compacted"), "1"); !s.ok()) return s.ToString();
  const auto s = db_->db->Flush({});
  return s.ok() ? std::string() : s.ToString();
}

}  // namespace spur::storage
