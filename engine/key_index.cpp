#include "engine/key_index.hpp"

#include <bit>

#include "engine/fnv.hpp"

namespace spur {

uint64_t KeyIndex::hash(std::string_view key) {
  uint64_t h = fnv1a(key);  // then a final mix: slots are chosen by the low bits
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 32);
}

KeyIndex::KeyIndex(const std::vector<std::pair<std::string, std::vector<uint32_t>>>& entries)
    : size_(entries.size()) {
  slots_.resize(std::bit_ceil(2 * entries.size() + 1));
  const size_t mask = slots_.size() - 1;
  for (const auto& [key, list] : entries) {
    Slot s;
    s.hash = hash(key);
    s.key_offset = static_cast<uint32_t>(keys_.size());
    s.key_length = static_cast<uint32_t>(key.size());
    s.first = static_cast<uint32_t>(positions_.size());
    s.count = static_cast<uint32_t>(list.size());
    keys_ += key;
    positions_.insert(positions_.end(), list.begin(), list.end());
    size_t i = s.hash & mask;
    while (slots_[i].count != 0)
      i = (i + 1) & mask;
    slots_[i] = s;
  }
}

std::span<const uint32_t> KeyIndex::find(std::string_view key) const {
  if (size_ == 0) return {};
  const uint64_t h = hash(key);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask; slots_[i].count != 0; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.hash == h && std::string_view(keys_).substr(s.key_offset, s.key_length) == key)
      return {positions_.data() + s.first, s.count};
  }
  return {};
}

}  // namespace spur
