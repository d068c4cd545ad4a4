// The event ids an engine has handled within the dedup window (language.md section 9: an
// id seen again within `dedup_window` is a duplicate).
//
// One open-addressing hash set for all the engine's users, of 128-bit fingerprints of
// (user, id), forgotten first in, first out: handled times never go backwards, so the
// oldest entry is always the first to leave the window. With a steady rate of events it
// allocates nothing; each entry costs 40 bytes (16 in the table at most half full, 24 in
// the queue). The fingerprint is a 128-bit hash of the id seeded with the user's 64-bit
// hash, the same in every process (checkpoints keep them): a false duplicate takes a
// 128-bit collision, or two users whose hashes collide (2^-64 per pair of users) sending
// the same id within the window. Slots are found by the fingerprint mixed with the
// process's seed, so that no client can pick ids that pile up in one run.
//
// The table grows without a pause: a full table becomes the old one, and each insert
// moves a few of its slots into the new, twice as large table, so the old one is empty
// long before the new one fills. Copying millions of entries at once stopped a shard for
// hundreds of milliseconds (measured: 400 ms at 4 million ids).
//
// Thread-safety: none; owned by one engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/block_fifo.hpp"
#include "engine/text_hash.hpp"

namespace spur {

class RecentIds {
 public:
  // 128 bits of (user, id). {0, 0} and {0, 1} are never one (they mark slots).
  struct Key {
    uint64_t a = 0, b = 0;
    bool operator==(const Key&) const = default;
  };
  // The key of (user, id): fingerprint_128, the same in every process, so that the keys
  // a checkpoint copied mean the same after a restart.
  static Key key_of(std::string_view user, std::string_view id);

  // Forgets the ids handled before `ms`.
  void forget_before(int64_t ms);
  // Remembers the (user, id) of `key` as handled at `at`; false, remembering nothing,
  // when it already is. One probe for both (the table is usually far larger than the
  // cache). REQUIRES: `at` is not before the last call's.
  bool insert(const Key& key, int64_t at);
  bool insert(std::string_view user, std::string_view id, int64_t at) {
    return insert(key_of(user, id), at);
  }
  // Starts loading the slots insert() will probe first for `key`.
  void prefetch(const Key& key) const;

  // For checkpoints (storage mode disk), which copy the ids a few thousand at a time
  // between steps: an id remembered, and the handled time it is forgotten after.
  struct Entry {
    int64_t at;
    Key key;
  };
  // Appends to `out` at most `max` ids, in the order they were remembered, from the one
  // `position` names (0: the first ever; one forgotten since is skipped) and moves
  // `position` past them. Returns false once every id remembered so far is copied.
  bool copy(uint64_t& position, size_t max, std::vector<Entry>& out) const;
  // Remembers `entries` as well as the ids remembered already, all in the order of
  // their times (equal times: those remembered already first), each once.
  void merge(std::vector<Entry> entries);

 private:
  static constexpr Key kEmpty{0, 0};  // an empty slot
  static constexpr Key kGone{0, 1};   // a slot of the old table moved or erased (its run goes on)
  // Old slots moved per insert while the old table drains: it then holds at most half
  // of its size in keys, so it is empty after size / 8 inserts, long before the new
  // table, twice as large, is half full.
  static constexpr size_t kMovesPerInsert = 8;

  // Keys in memory that calloc hands over zeroed (empty): a large table is fresh pages,
  // which the kernel zeroes at their first touch, spread over the inserts that follow,
  // where writing the zeros at once cost more than the copy (256 MB at 8 million ids).
  class Table {
   public:
    Table() = default;
    explicit Table(size_t size);  // REQUIRES: a power of two
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Key& operator[](size_t i) { return keys_[i]; }
    const Key& operator[](size_t i) const { return keys_[i]; }

   private:
    struct Free {
      void operator()(Key* keys) const;
    };
    std::unique_ptr<Key[], Free> keys_;
    size_t size_ = 0;
  };

  // Where a key's run starts, before masking: its first half mixed with the process's
  // seed, since the keys themselves are the same in every process (hash flooding).
  static uint64_t home(const Key& key) { return mix_seeded(key.a); }
  // In `table`: the key's slot, or the empty slot ending its run.
  static size_t find(const Table& table, const Key& key);
  void erase(const Key& key);
  void grow();
  void move_old_slots();

  Table slots_;             // at most half full
  Table old_;               // the table before the last growth, until drained; or empty
  size_t old_next_ = 0;     // old_ slots below this are moved
  size_t size_ = 0;         // keys in both tables
  BlockFifo<Entry> order_;  // by handled time
};

}  // namespace spur
