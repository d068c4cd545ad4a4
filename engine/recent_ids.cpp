#include "engine/recent_ids.hpp"

#include <functional>

#include "engine/fnv.hpp"

namespace spur {
RecentIds::Key RecentIds::key_of(std::string_view user, std::string_view id) {
  // FNV-1a over both with a separator, and the standard library's (Murmur-based) hash:
  // different algorithms, so their collisions are independent.
  const uint64_t a = fnv1a(id, fnv1a(std::string_view("\0", 1), fnv1a(user)));
  const std::hash<std::string_view> h;
  const uint64_t b = h(user) * 0x9E3779B97F4A7C15ULL ^ h(id);
  Key key{a, b};
  if (key == Key{}) key.b = 1;
  return key;
}

size_t RecentIds::find(const Key& key) const {
  const size_t mask = slots_.size() - 1;
  size_t i = home(key);
  while (!(slots_[i] == Key{}) && !(slots_[i] == key))
    i = (i + 1) & mask;
  return i;
}

bool RecentIds::insert(std::string_view user, std::string_view id, int64_t at) {
  if (2 * (size_ + 1) > slots_.size()) grow();
  const Key key = key_of(user, id);
  Key& slot = slots_[find(key)];
  if (slot == key) return false;
  slot = key;
  ++size_;
  order_.push_back({at, key});
  return true;
}

void RecentIds::forget_before(int64_t ms) {
  while (!order_.empty() && order_.front().at < ms) {
    erase(order_.front().key);
    order_.pop_front();
  }
}

void RecentIds::erase(const Key& key) {
  // Linear probing with backward-shift deletion: later members of the run move back so
  // that no search stops early at the hole.
  const size_t mask = slots_.size() - 1;
  size_t hole = find(key);
  if (slots_[hole] == Key{}) return;
  for (size_t i = (hole + 1) & mask; !(slots_[i] == Key{}); i = (i + 1) & mask) {
    const size_t want = home(slots_[i]);
    // Move slots_[i] into the hole unless its home lies cyclically in (hole, i].
    const bool stays = hole <= i ? (hole < want && want <= i) : (hole < want || want <= i);
    if (stays) continue;
    slots_[hole] = slots_[i];
    hole = i;
  }
  slots_[hole] = Key{};
  --size_;
}

void RecentIds::grow() {
  std::vector<Key> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : 2 * old.size(), Key{});
  for (const Key& key : old) {
    if (!(key == Key{})) slots_[find(key)] = key;
  }
}

}  // namespace spur
