#include "storage/outbox_holds.hpp"

#include <algorithm>

namespace spur::storage {

void OutboxHolds::hold(uint64_t seq) {
  const std::lock_guard lock(mutex_);
  ++held_[seq];
}

void OutboxHolds::release(uint64_t seq) {
  const std::lock_guard lock(mutex_);
  const auto it = held_.find(seq);
  if (it != held_.end() && --it->second == 0) held_.erase(it);
}

uint64_t OutboxHolds::settled_through(uint64_t delivered_through) const {
  const std::lock_guard lock(mutex_);
  if (held_.empty()) return delivered_through;
  return std::min(delivered_through, held_.begin()->first - 1);
}

}  // namespace spur::storage
