// An immutable hash index from text keys to lists of positions, built once when a
// program is compiled and read by every shard (Program::EqualityIndex).
//
// Flat and open-addressed: one probe usually touches one cache line of slots, where
// std::unordered_map costs a bucket, a node and a division per node visited (measured:
// the index lookup was 60 % of candidate selection at 10,000 rules). A key of up to 12
// bytes (a campaign or country code) and a list of one position are held in the slot
// itself, so that such a lookup costs one cache miss, not three (slot, key, positions).
// A long list is held as a bit set over the positions instead, when that takes fewer
// words than the list has positions: the caller ORs a few words where it would set a bit
// per position (S1 at 1,000 rules: 38 positions an event, 2 words each lookup).
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
  // REQUIRES: keys unique; every position below `universe`.
  KeyIndex(const std::vector<std::pair<std::string, std::vector<uint32_t>>>& entries,
           size_t universe);

  // What a key lists: its positions (ascending), or the same as a bit set of
  // universe / 64 + 1 words (position p is bit p % 64 of word p / 64); the other empty.
  struct Hits {
    std::span<const uint32_t> positions;
    std::span<const uint64_t> bits;
    bool empty() const { return positions.empty() && bits.empty(); }
  };
  // What `key` lists; empty when it lists nothing.
  Hits find(std::string_view key) const;
  // How many positions are listed under all keys.
  size_t positions() const;

 private:
  static constexpr size_t kInlineKey = 12;
  // 32 bytes: two to a cache line.
  struct Slot {
    uint64_t hash = 0;
    // count 0: an empty slot; 1: `first` is the position itself; more than words_:
    // `first` is the offset of the bit set in bits_; else the offset of the list in
    // positions_.
    uint32_t first = 0, count = 0;
    uint32_t key_length = 0;
    // The key when it has at most kInlineKey bytes, else its offset in keys_.
    char key[kInlineKey] = {};
  };
  std::string_view key_of(const Slot& s) const;

  std::vector<Slot> slots_;  // a power of two, at most half full
  std::string keys_;
  std::vector<uint32_t> positions_;
  std::vector<uint64_t> bits_;
  size_t words_ = 0;  // of a bit set
  size_t size_ = 0;
};

}  // namespace spur
