#include "engine/bound_index.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

namespace spur {
namespace {

// About this many snapshots per index at most (65): memory stays linear in the rules
// (snapshots * words), and the entries set one by one, fewer than a stride (a power of
// two), stay under rules / 32.
constexpr size_t kMaxSnapshots = 64;
// Thresholds compared at once: a block, or the block tops of a small index.
constexpr size_t kBlock = 16;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// How many of the kBlock thresholds from `block` on `compared` passes: all compared at
// once (the compiler vectorises the fixed-length loop), with no chain of dependent loads
// and compares as in a binary search (perf: that chain was most of narrowing's time).
size_t passed_in_block(const double* block, double compared) {
  size_t n = 0;
  for (size_t i = 0; i < kBlock; ++i)
    n += BoundIndex::passes(compared, block[i]) ? 1 : 0;
  return n;
}

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
    const double threshold = b.inclusive ? std::nextafter(value, -kInfinity) : value;
    entries.emplace_back(threshold, b.position);
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [threshold, position] : entries) {
    thresholds_.push_back(threshold);
    positions_.push_back(position);
  }
  // Padded with +infinity, which nothing passes, to whole blocks and one past the last
  // threshold at least: the last block top is then never passed.
  thresholds_.resize((entries.size() / kBlock + 1) * kBlock, kInfinity);
  for (size_t top = kBlock - 1; top < thresholds_.size(); top += kBlock)
    block_tops_.push_back(thresholds_[top]);
  if (block_tops_.size() <= kBlock) block_tops_.resize(kBlock, kInfinity);
  stride_shift_ = std::bit_width(entries.size() / kMaxSnapshots);  // a stride of 2^shift
  const size_t count = (entries.size() >> stride_shift_) + 1;
  const size_t stride = size_t{1} << stride_shift_;
  snapshots_.assign(count * words_, 0);
  std::vector<uint64_t> running(words_, 0);
  for (size_t r = 0; r < rules; ++r)
    set_bit(running, static_cast<uint32_t>(r));
  for (const uint32_t position : positions_)
    running[position / 64] &= ~(uint64_t{1} << (position % 64));
  for (size_t k = 0; k < count; ++k) {
    if (k > 0) {
      for (size_t i = (k - 1) * stride; i < k * stride; ++i)
        set_bit(running, positions_[i]);
    }
    std::copy(running.begin(), running.end(),
              snapshots_.begin() + static_cast<ptrdiff_t>(k * words_));
  }
}

size_t BoundIndex::passed(double compared) const {
  // The block of the first threshold not passed is the number of block tops passed:
  // counted at once for a small index, else by a branch-free binary search (each
  // halving a conditional move, not a jump mispredicted half the time). Then the
  // thresholds passed within that block. NaN passes nothing: 0.
  size_t block = 0;
  if (block_tops_.size() == kBlock) {
    block = passed_in_block(block_tops_.data(), compared);
  } else {
    // The last top is +infinity, never passed, so the count is below n: halving on
    // base[half - 1] keeps it in [base, base + n - 1], which is exact at n = 1.
    const double* base = block_tops_.data();
    size_t n = block_tops_.size();
    while (n > 1) {
      const size_t half = n / 2;
      base = passes(compared, base[half - 1]) ? base + half : base;
      n -= half;
    }
    block = static_cast<size_t>(base - block_tops_.data());
  }
  return block * kBlock + passed_in_block(thresholds_.data() + block * kBlock, compared);
}

void BoundIndex::narrow(const double* value, std::span<uint64_t> candidates,
                        std::span<uint64_t> scratch) const {
  const size_t prefix = passed(compared(value));
  const size_t k = prefix >> stride_shift_;
  std::copy_n(snapshots_.begin() + static_cast<ptrdiff_t>(k * words_), words_, scratch.begin());
  for (size_t i = k << stride_shift_; i < prefix; ++i)
    set_bit(scratch, positions_[i]);
  for (size_t w = 0; w < words_; ++w)
    candidates[w] &= scratch[w];
}

}  // namespace spur
