// The event ids an engine has handled within the dedup window (language.md section 9: an
// id seen again within `dedup_window` is a duplicate).
//
// One open-addressing hash set for all the engine's users, of 128-bit fingerprints of
// (user, id), forgotten first in, first out: handled times never go backwards, so the
// oldest entry is always the first to leave the window. With a steady rate of events it
// allocates nothing; each entry costs 40 bytes (16 in the table at most half full, 24 in
// the queue). Two independent 64-bit hashes make a false duplicate about as likely as
// 2^-128 per pair of ids.
//
// Thread-safety: none; owned by one engine.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/fifo.hpp"

namespace spur {

class RecentIds {
 public:
  // Forgets the ids handled before `ms`.
  void forget_before(int64_t ms);
  // Remembers (user, id) as handled at `at`; false, remembering nothing, when it already
  // is. One hash and one probe for both (the table is usually far larger than the cache).
  // REQUIRES: `at` is not before the last call's.
  bool insert(std::string_view user, std::string_view id, int64_t at);

 private:
  struct Key {
    uint64_t a = 0, b = 0;  // {0, 0} marks an empty slot
    bool operator==(const Key&) const = default;
  };
  struct Entry {
    int64_t at;
    Key key;
  };
  static Key key_of(std::string_view user, std::string_view id);
  size_t home(const Key& key) const { return key.a & (slots_.size() - 1); }
  size_t find(const Key& key) const;  // the key's slot, or the empty slot that ends its run
  void erase(const Key& key);
  void grow();

  std::vector<Key> slots_;  // size a power of two, at most half full
  size_t size_ = 0;
  Fifo<Entry> order_;  // by handled time
};

}  // namespace spur
