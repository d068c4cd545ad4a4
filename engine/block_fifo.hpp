// A first-in, first-out queue in fixed blocks, for queues that grow to millions of
// entries (the dedup set's order): growing adds a block and removing empties one, so no
// operation moves the entries already queued, where a queue in one vector copies all of
// them when it grows and again when it compacts (a pause of tens of milliseconds at a
// few million entries). A queue whose length is steady allocates nothing: the block
// emptied at the front is kept for the next one at the back.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace spur {

template <typename T, size_t kBlock = 4096>
class BlockFifo {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // REQUIRES: not empty.
  const T& front() const { return blocks_.front()[head_]; }
  // The i-th entry from the front. REQUIRES: i < size().
  const T& operator[](size_t i) const {
    const size_t at = head_ + i;
    return blocks_[at / kBlock][at % kBlock];
  }
  // Entries removed so far: the entry at the front is the popped()-th ever pushed, so
  // that popped() + i names the i-th entry from the front for as long as it is queued.
  uint64_t popped() const { return popped_; }

  void push_back(const T& item) {
    if (blocks_.empty() || tail_ == kBlock) {
      blocks_.push_back(spare_ ? std::move(spare_) : std::make_unique<T[]>(kBlock));
      tail_ = 0;
    }
    blocks_.back()[tail_++] = item;
    ++size_;
  }

  // REQUIRES: not empty.
  void pop_front() {
    ++popped_;
    ++head_;
    --size_;
    if (head_ == kBlock) {
      spare_ = std::move(blocks_.front());
      blocks_.erase(blocks_.begin());  // moves block pointers only
      head_ = 0;
    } else if (size_ == 0) {
      head_ = tail_ = 0;  // one block left, empty: start it again
    }
  }

 private:
  std::vector<std::unique_ptr<T[]>> blocks_;
  std::unique_ptr<T[]> spare_;
  size_t head_ = 0;  // next to remove, in the front block
  size_t tail_ = 0;  // next to fill, in the back block
  size_t size_ = 0;
  uint64_t popped_ = 0;
};

}  // namespace spur
