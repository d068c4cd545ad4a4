// An immutable hash index from text keys to lists of positions, built once when a
// program is compiled and read by every shard (Program::EqualityIndex).
//
// Flat and open-addressed: one probe usually touches one cache line of slots, the keys
// sit together in one string and the positions in one array, so a lookup costs about two
// cache misses where std::unordered_map costs a bucket, a node and a division per node
// visited (measured: the index lookup was 60 % of candidate selection at 10,000 rules).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spur {

class KeyIndex {
 public:
  KeyIndex() = default;
  // REQUIRES: keys unique.
  explicit KeyIndex(const std::vector<std::pair<std::string, std::vector<uint32_t>>>& entries);

  // The positions listed under `key`; empty when there are none.
  std::span<const uint32_t> find(std::string_view key) const;
  size_t positions() const { return positions_.size(); }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_offset = 0, key_length = 0;  // in keys_
    uint32_t first = 0, count = 0;            // in positions_; count 0: an empty slot
  };
  static uint64_t hash(std::string_view key);

  std::vector<Slot> slots_;  // a power of two, at most half full
  std::string keys_;
  std::vector<uint32_t> positions_;
  size_t size_ = 0;
};

}  // namespace spur
