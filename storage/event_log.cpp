#include "storage/event_log.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>

namespace spur::storage {

struct EventLog::Db {
  std::unique_ptr<rocksdb::DB> db;
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

EventLog::EventLog(const std::string& path) : path_(path), db_(std::make_unique<Db>()) {
  std::error_code ec;
  const bool made_by_rocksdb = std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec);
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_empty(path, ec) &&
      !made_by_rocksdb) {
    throw StorageError("storage.path " + path +
                       " is a folder that Spur did not make (no CURRENT file); point "
                       "storage.path at an empty or new folder");
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  // A log cut short by a crash or a disk error is read up to its last intact record.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // A new manifest at every change, holding only live files: key ranges of files that
  // compaction removed (an erased user's id among them) do not linger in an old one.
  options.max_manifest_file_size = 1;
  options.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  const rocksdb::Status status = rocksdb::DB::Open(options, path, &db);
  if (!status.ok()) throw unreadable(path, status);
  db_->db.reset(db);

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
}

EventLog::~EventLog() = default;

void EventLog::for_each_step(const std::function<void(LogRecord&)>& each) {
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator({}));
  uint64_t max_seq = 0;
  for (const char* tag : {"L", "T"}) {
    const std::string end = prefix_end(tag);
    for (it->Seek(tag); it->Valid() && it->key().compare(end) < 0; it->Next()) {
      std::string error;
      auto record = decode_record(it->key().ToStringView(), it->value().ToStringView(), error);
      if (!record) {
        throw StorageError("the data folder " + path_ + " holds a step Spur cannot read (" + error +
                           "); it is damaged: restore it from a backup or move it aside");
      }
      max_seq = std::max(max_seq, record->seq);
      each(*record);
    }
  }
  if (!it->status().ok()) throw unreadable(path_, it->status());
  next_seq_.store(std::max(next_seq_.load(), max_seq + 1));
}

std::vector<OutboxEntry> EventLog::outbox() {
  std::vector<OutboxEntry> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator({}));
  const std::string end = prefix_end("O");
  for (it->Seek("O"); it->Valid() && it->key().compare(end) < 0; it->Next()) {
    std::string error;
    auto entry = decode_outbox(it->key().ToStringView(), it->value().ToStringView(), error);
    if (!entry) {
      throw StorageError("the data folder " + path_ + " holds a firing Spur cannot read (" + error +
                         "); it is damaged: restore it from a backup or move it aside");
    }
    out.push_back(std::move(*entry));
  }
  if (!it->status().ok()) throw unreadable(path_, it->status());
  if (!out.empty()) next_seq_.store(std::max(next_seq_.load(), out.back().seq + 1));
  return out;
}

std::string EventLog::write(std::vector<Commit*>& commits, bool sync, uint64_t delivered_through) {
  rocksdb::WriteBatch batch;
  if (delivered_through > 0) batch.DeleteRange(outbox_key(0), outbox_key(delivered_through + 1));
  for (Commit* commit : commits) {
    for (const Commit::Step& step : commit->steps_)
      batch.Put(step.key, step.value);
    for (OutboxEntry& firing : commit->firings_) {
      if (commit->in_outbox_) continue;
      firing.seq = next_seq();
      batch.Put(outbox_key(firing.seq), outbox_value(firing.user, firing.targets, firing.json));
    }
    for (const std::string& user : commit->erasures_) {
      const std::string prefix = user_prefix(partition_of(user), user);
      batch.DeleteRange(prefix, prefix_end(prefix));
      for (const OutboxEntry& waiting : outbox()) {
        if (waiting.user == user) batch.Delete(outbox_key(waiting.seq));
      }
    }
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  const rocksdb::Status status = db_->db->Write(options, &batch);
  return status.ok() ? std::string() : status.ToString();
}

std::string EventLog::compact() {
  // The log's memtable first, so that the write-ahead log holding the erased bytes is
  // let go; then every level down to the last, so that range deletions drop what they
  // cover and then themselves.
  if (const auto s = db_->db->Flush({}); !s.ok()) return s.ToString();
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  const auto s = db_->db->CompactRange(options, nullptr, nullptr);
  return s.ok() ? std::string() : s.ToString();
}

uint64_t EventLog::bytes_on_disk() const {
  uint64_t sst = 0, wal = 0;
  db_->db->GetIntProperty("rocksdb.total-sst-files-size", &sst);
  db_->db->GetIntProperty("rocksdb.cur-size-all-mem-tables", &wal);
  return sst + wal;
}

}  // namespace spur::storage
