// A first-in, first-out queue in one vector: appends at the back, removals at the front,
// the vector compacted when the removed head outgrows the live part, so each operation
// is amortized constant time and a queue whose length is steady allocates nothing.
// Unlike std::deque (libstdc++ allocates about 600 bytes for an empty one), an empty
// Fifo holds no memory: it is used for per-user state that most users never need.
#pragma once

#include <cstddef>
#include <vector>

namespace spur {

template <typename T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  const T& front() const { return items_[head_]; }
  const T& back() const { return items_.back(); }
  auto begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return items_.end(); }
  auto rbegin() const { return items_.rbegin(); }
  auto rend() const { return items_.rend() - static_cast<std::ptrdiff_t>(head_); }

  void push_back(T item) { items_.push_back(std::move(item)); }
  void pop_front() {
    ++head_;
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= 32 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

 private:
  std::vector<T> items_;
  size_t head_ = 0;  // items_[0, head_) are removed
};

}  // namespace spur
