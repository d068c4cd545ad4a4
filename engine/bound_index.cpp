#include "engine/bound_index.hpp"

#include <algorithm>

namespace spur {
namespace {

// At most this many snapshots per index: memory stays linear in the rules
// (snapshots * words), and the entries set one by one stay under rules / 64, or under
// kMinStride for small indexes (the usual size: a plan of 100 rules sets 4 bits on
// average instead of 32).
constexpr size_t kMaxSnapshots = 64;
constexpr size_t kMinStride = 8;

void set_bit(std::span<uint64_t> bits, uint32_t position) {
  bits[position / 64] |= uint64_t{1} << (position % 64);
}

}  // namespace

BoundIndex::BoundIndex(uint32_t slot, bool upper, std::vector<Bound> bounds, size_t rules)
    : slot_(slot), upper_(upper), bounds_(std::move(bounds)), words_(rules / 64 + 1) {
  if (upper_) {
    for (Bound& b : bounds_)
      b.value = -b.value;  // x < b is -x > -b
  }
  std::stable_sort(bounds_.begin(), bounds_.end(), [](const Bound& a, const Bound& b) {
    return a.value < b.value || (a.value == b.value && a.inclusive && !b.inclusive);
  });
  stride_ = std::max(kMinStride, bounds_.size() / kMaxSnapshots + 1);
  const size_t count = bounds_.size() / stride_ + 1;
  snapshots_.assign(count * words_, 0);
  std::vector<uint64_t> running(words_, 0);
  for (size_t r = 0; r < rules; ++r)
    set_bit(running, static_cast<uint32_t>(r));
  for (const Bound& b : bounds_)
    running[b.position / 64] &= ~(uint64_t{1} << (b.position % 64));
  for (size_t k = 0; k < count; ++k) {
    if (k > 0) {
      for (size_t i = (k - 1) * stride_; i < k * stride_; ++i)
        set_bit(running, bounds_[i].position);
    }
    std::copy(running.begin(), running.end(),
              snapshots_.begin() + static_cast<ptrdiff_t>(k * words_));
  }
}

void BoundIndex::narrow(const double* value, std::span<uint64_t> candidates,
                        std::span<uint64_t> scratch) const {
  // The bounds a value passes are a prefix of bounds_: those below it, and those equal
  // to it that are inclusive; not a number (NaN) passes none.
  const double x = compared(value);
  const auto passed = static_cast<size_t>(
      std::partition_point(bounds_.begin(), bounds_.end(),
                           [x](const Bound& b) { return passes(x, b.value, b.inclusive); }) -
      bounds_.begin());
  const size_t k = passed / stride_;
  std::copy_n(snapshots_.begin() + static_cast<ptrdiff_t>(k * words_), words_, scratch.begin());
  for (size_t i = k * stride_; i < passed; ++i)
    set_bit(scratch, bounds_[i].position);
  for (size_t w = 0; w < words_; ++w)
    candidates[w] &= scratch[w];
}

}  // namespace spur
