#include "engine/key_index.hpp"

#include <bit>
#include <cstring>

#include "engine/same_text.hpp"
#include "engine/text_hash.hpp"

namespace spur {

KeyIndex::KeyIndex(const std::vector<std::pair<std::string, std::vector<uint32_t>>>& entries,
                   size_t universe)
    : words_(universe / 64 + 1), size_(entries.size()) {
  static_assert(sizeof(Slot) == 32);
  slots_.resize(std::bit_ceil(2 * entries.size() + 1));
  const size_t mask = slots_.size() - 1;
  for (const auto& [key, list] : entries) {
    Slot s;
    s.hash = hash_text(key);
    s.key_length = static_cast<uint32_t>(key.size());
    if (key.size() <= kInlineKey) {
      key.copy(s.key, key.size());
    } else {
      const auto offset = static_cast<uint32_t>(keys_.size());
      std::memcpy(s.key, &offset, sizeof offset);
      keys_ += key;
    }
    s.count = static_cast<uint32_t>(list.size());
    if (list.size() == 1) {
      s.first = list.front();
    } else if (list.size() > words_) {
      s.first = static_cast<uint32_t>(bits_.size());
      bits_.resize(bits_.size() + words_);
      for (const uint32_t p : list)
        bits_[s.first + p / 64] |= uint64_t{1} << (p % 64);
    } else {
      s.first = static_cast<uint32_t>(positions_.size());
      positions_.insert(positions_.end(), list.begin(), list.end());
    }
    size_t i = s.hash & mask;
    while (slots_[i].count != 0)
      i = (i + 1) & mask;
    slots_[i] = s;
  }
}

std::string_view KeyIndex::key_of(const Slot& s) const {
  if (s.key_length <= kInlineKey) return {s.key, s.key_length};
  uint32_t offset = 0;
  std::memcpy(&offset, s.key, sizeof offset);
  return std::string_view(keys_).substr(offset, s.key_length);
}

size_t KeyIndex::positions() const {
  size_t n = 0;
  for (const Slot& s : slots_)
    n += s.count;
  return n;
}

KeyIndex::Hits KeyIndex::find(std::string_view key) const {
  if (size_ == 0) return {};
  const uint64_t h = hash_text(key);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask; slots_[i].count != 0; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.hash != h || !same_text(key_of(s), key)) continue;
    if (s.count == 1) return {{&s.first, 1}, {}};
    if (s.count > words_) return {{}, {bits_.data() + s.first, words_}};
    return {{positions_.data() + s.first, s.count}, {}};
  }
  return {};
}

}  // namespace spur
