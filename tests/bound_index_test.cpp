// BoundIndex (engine/bound_index.hpp) against the comparisons it stands for, with enough
// bounds for several snapshots and rules outside the index.
#include "engine/bound_index.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace spur {

TEST_CASE(
    "a bound index keeps exactly the rules whose bound a value passes, narrowed or one by one") {
  std::mt19937 rng(7);
  // Sizes for each way of finding the block: none, a few blocks, exactly as many blocks
  // as are counted at once (about 240 bounds), and a binary search over hundreds.
  for (const size_t rules : {0, 20, 300, 5000})
    for (const bool upper : {false, true}) {
      CAPTURE(rules);
      std::vector<BoundIndex::Bound> bounds;
      for (uint32_t position = 0; position < rules; ++position) {
        if (rng() % 5 == 0) continue;  // outside the index: always kept
        bounds.push_back({static_cast<double>(rng() % 200) / 2, rng() % 2 == 0, position});
      }
      const BoundIndex index(3, upper, bounds, rules);
      CHECK(index.size() == bounds.size());
      std::vector<uint64_t> candidates(index.words()), scratch(index.words());
      const double infinity = std::numeric_limits<double>::infinity();
      for (const double value : {-infinity, -1.0, -0.0, 0.0, 0.5, 17.0, 42.5, 99.5, 100.0, 1e9,
                                 infinity, std::nextafter(17.0, 0.0), std::nextafter(17.0, 20.0)}) {
        std::fill(candidates.begin(), candidates.end(), ~uint64_t{0});
        index.narrow(&value, candidates, scratch);
        std::vector<bool> expected(rules, true);
        for (const BoundIndex::Bound& b : bounds) {
          expected[b.position] = upper ? (b.inclusive ? value <= b.value : value < b.value)
                                       : (b.inclusive ? value >= b.value : value > b.value);
        }
        size_t wrong = 0, wrong_one_by_one = 0;
        for (uint32_t p = 0; p < rules; ++p)
          wrong += expected[p] != ((candidates[p / 64] >> (p % 64)) & 1);
        for (size_t i = 0; i < index.size(); ++i) {
          wrong_one_by_one += expected[index.positions()[i]] !=
                              BoundIndex::passes(index.compared(&value), index.thresholds()[i]);
        }
        INFO("upper " << upper << ", value " << value);
        CHECK(wrong == 0);
        CHECK(wrong_one_by_one == 0);
      }
      // Not a number: every rule of the index goes, the others stay.
      std::fill(candidates.begin(), candidates.end(), ~uint64_t{0});
      index.narrow(nullptr, candidates, scratch);
      size_t kept = 0, passed = 0;
      for (uint32_t p = 0; p < rules; ++p)
        kept += (candidates[p / 64] >> (p % 64)) & 1;
      for (const double threshold : index.thresholds())
        passed += BoundIndex::passes(index.compared(nullptr), threshold);
      CHECK(kept == rules - bounds.size());
      CHECK(passed == 0);
    }
}

}  // namespace spur
