#include "engine/bound_index.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace spur {
namespace {

// At most this many snapshots per index: memory stays linear in the rules
// (snapshots * words), and the entries set one by one stay under rules / 64.
constexpr size_t kMaxSnapshots = 64;

void set_bit(std::span<uint64_t> bits, uint32_t position) {
  bits[position / 64] |= uint64_t{1} << (position % 64);
}

}  // namespace

BoundIndex::BoundIndex(uint32_t slot, bool upper, const std::vector<Bound>& bounds, size_t rules)
    : slot_(slot), upper_(upper), words_(rules / 64 + 1) {
  std::vector<std::pair<double, uint32_t>> entries;
  entries.reserve(bounds.size());
  for (const Bound& b : bounds) {
    assert(std::isfinite(b.value));  // number constants are (the checker: "out of range")
    const double value = upper_ ? -b.value : b.value;  // x < b is -x > -b
    // x >= b is x > the double just below b: b is finite, so nothing lies between.
    const double threshold =
        b.inclusive ? std::nextafter(value, -std::numeric_limits<double>::infinity()) : value;
    entries.emplace_back(threshold, b.position);
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [threshold, position] : entries) {
    thresholds_.push_back(threshold);
    positions_.push_back(position);
  }
  stride_ = entries.size() / kMaxSnapshots + 1;
  const size_t count = entries.size() / stride_ + 1;
  snapshots_.assign(count * words_, 0);
  std::vector<uint64_t> running(words_, 0);
  for (size_t r = 0; r < rules; ++r)
    set_bit(running, static_cast<uint32_t>(r));
  for (const uint32_t position : positions_)
    running[position / 64] &= ~(uint64_t{1} << (position % 64));
  for (size_t k = 0; k < count; ++k) {
    if (k > 0) {
      for (size_t i = (k - 1) * stride_; i < k * stride_; ++i)
        set_bit(running, positions_[i]);
    }
    std::copy(running.begin(), running.end(),
              snapshots_.begin() + static_cast<ptrdiff_t>(k * words_));
  }
}

size_t BoundIndex::passed(double compared) const {
  // A branch-free lower bound: each halving is a conditional move, not a jump the
  // processor mispredicts half the time on random values. NaN compares false: 0.
  const double* base = thresholds_.data();
  size_t n = thresholds_.size();
  if (n == 0) return 0;
  while (n > 1) {
    const size_t half = n / 2;
    base = passes(compared, base[half]) ? base + half : base;
    n -= half;
  }
  return static_cast<size_t>(base - thresholds_.data()) + (passes(compared, *base) ? 1 : 0);
}

void BoundIndex::narrow(const double* value, std::span<uint64_t> candidates,
                        std::span<uint64_t> scratch) const {
  const size_t prefix = passed(compared(value));
  const size_t k = prefix / stride_;
  std::copy_n(snapshots_.begin() + static_cast<ptrdiff_t>(k * words_), words_, scratch.begin());
  for (size_t i = k * stride_; i < prefix; ++i)
    set_bit(scratch, positions_[i]);
  for (size_t w = 0; w < words_; ++w)
    candidates[w] &= scratch[w];
}

}  // namespace spur
