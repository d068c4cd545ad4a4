#include "engine/recent_ids.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>

#include "engine/backward_shift.hpp"
#include "engine/text_hash.hpp"

namespace spur {
RecentIds::Key RecentIds::key_of(std::string_view user, std::string_view id) {
  const TextHash128 h = fingerprint_128(user, id);
  Key key{h.low, h.high};
  if (key.a == 0 && key.b < 2) key.b += 2;  // the two marks are not fingerprints
  return key;
}

RecentIds::Table::Table(size_t size)
    : keys_(static_cast<Key*>(std::calloc(size, sizeof(Key)))), size_(size) {
  static_assert(std::is_trivially_copyable_v<Key> && sizeof(Key) == 16);  // zero bytes: kEmpty
  if (!keys_) throw std::bad_alloc();
  // A large table is probed at random, each probe reading before it writes: on 4 KiB
  // pages nearly every probe missed the TLB, and the first write to each page replaced
  // the shared zero page, a fault that flushed the TLB of every thread of the process
  // (perf: 6 % of a loaded server in the kernel's TLB flushes). Transparent huge pages,
  // asked for where the system leaves them to madvise, cut both 512-fold. A hint only:
  // the call fails harmlessly where there are none.
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<uintptr_t>(keys_.get());
  const uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t last = (begin + size * sizeof(Key)) & ~(kHuge - 1);
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

void RecentIds::Table::Free::operator()(Key* keys) const {
  std::free(keys);
}

size_t RecentIds::find(const Table& table, const Key& key) {
  const size_t mask = table.size() - 1;
  size_t i = home(key) & mask;
  while (!(table[i] == kEmpty) && !(table[i] == key))
    i = (i + 1) & mask;
  return i;
}

void RecentIds::prefetch(const Key& key) const {
  if (slots_.empty()) return;
  const uint64_t h = home(key);
  __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
  if (!old_.empty()) __builtin_prefetch(&old_[h & (old_.size() - 1)]);
}

bool RecentIds::insert(const Key& key, int64_t at) {
  if (2 * (size_ + 1) > slots_.size()) grow();
  if (!old_.empty() && old_[find(old_, key)] == key) return false;
  Key& slot = slots_[find(slots_, key)];
  if (slot == key) return false;
  slot = key;
  ++size_;
  order_.push_back({at, key});
  move_old_slots();
  return true;
}

void RecentIds::forget_before(int64_t ms) {
  while (!order_.empty() && order_.front().at < ms) {
    erase(order_.front().key);
    order_.pop_front();
  }
}

bool RecentIds::copy(uint64_t& position, size_t max, std::vector<Entry>& out) const {
  position = std::max(position, order_.popped());
  const uint64_t end = order_.popped() + order_.size();
  const uint64_t last = std::min<uint64_t>(end, position + max);
  for (; position < last; ++position)
    out.push_back(order_[static_cast<size_t>(position - order_.popped())]);
  return position < end;
}

void RecentIds::merge(std::vector<Entry> entries) {
  std::vector<Entry> all;
  all.reserve(order_.size() + entries.size());
  for (size_t i = 0; i < order_.size(); ++i)
    all.push_back(order_[i]);
  all.insert(all.end(), entries.begin(), entries.end());
  std::stable_sort(all.begin(), all.end(),
                   [](const Entry& a, const Entry& b) { return a.at < b.at; });
  *this = RecentIds();
  for (const Entry& entry : all)
    insert(entry.key, entry.at);
}

void RecentIds::erase(const Key& key) {
  if (!old_.empty()) {
    // In the old table a key leaves a mark, not a hole: runs there must stay whole
    // until the table is gone.
    if (Key& slot = old_[find(old_, key)]; slot == key) {
      slot = kGone;
      --size_;
      return;
    }
  }
  const size_t hole = find(slots_, key);
  if (slots_[hole] == kEmpty) return;
  erase_by_backward_shift(
      slots_, hole, [](const Key& k) { return k == kEmpty; }, [](const Key& k) { return home(k); },
      [](Key& k) { k = kEmpty; });
  --size_;
}

void RecentIds::grow() {
  // REQUIRES (kept by kMovesPerInsert): the previous old table is drained by now.
  while (!old_.empty())
    move_old_slots();
  old_ = std::move(slots_);
  old_next_ = 0;
  slots_ = Table(old_.empty() ? 64 : 2 * old_.size());
  move_old_slots();
}

void RecentIds::move_old_slots() {
  if (old_.empty()) return;
  const size_t end = std::min(old_.size(), old_next_ + kMovesPerInsert);
  for (; old_next_ < end; ++old_next_) {
    Key& key = old_[old_next_];
    if (!(key == kEmpty) && !(key == kGone)) slots_[find(slots_, key)] = key;
    if (!(key == kEmpty)) key = kGone;
  }
  if (old_next_ == old_.size()) old_ = Table();
}

}  // namespace spur
