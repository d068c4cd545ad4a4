// KeyIndex: every key finds exactly its positions, whether the key and the list are held
// in the slot (up to 12 bytes, one position) or beside it.
#include "engine/key_index.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <string>
#include <vector>

namespace spur {
namespace {

// The positions of what a key lists, whichever way they are held.
std::vector<uint32_t> positions_of(const KeyIndex::Hits& hits) {
  std::vector<uint32_t> out(hits.positions.begin(), hits.positions.end());
  for (size_t w = 0; w < hits.bits.size(); ++w) {
    for (uint64_t bits = hits.bits[w]; bits != 0; bits &= bits - 1)
      out.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits))));
  }
  return out;
}

}  // namespace

TEST_CASE("a key index finds each key's positions, short or long, one or many") {
  std::vector<std::pair<std::string, std::vector<uint32_t>>> entries;
  for (uint32_t i = 0; i < 3000; ++i) {
    // Lengths 1 to 30 around the 12 bytes held in a slot; lists of 1 to 3 positions.
    std::string key = std::to_string(i) + std::string(i % 30, 'k');
    std::vector<uint32_t> list;
    for (uint32_t n = 0; n <= i % 3; ++n)
      list.push_back(i * 3 + n);
    entries.emplace_back(std::move(key), std::move(list));
  }
  const KeyIndex index(entries, 9000);
  size_t listed = 0;
  for (const auto& entry : entries) {
    CAPTURE(entry.first);
    const KeyIndex::Hits found = index.find(entry.first);
    CHECK(found.bits.empty());  // no list is longer than a bit set of 141 words
    CHECK(positions_of(found) == entry.second);
    listed += entry.second.size();
  }
  CHECK(index.positions() == listed);
  // Absent keys, among them prefixes and extensions of present ones.
  for (const std::string& absent :
       std::vector<std::string>{"", "k", "1kk", "12kkkkkkkkkkkx", "2999" + std::string(30, 'k')})
    CHECK(index.find(absent).empty());
  CHECK(KeyIndex().find("1").empty());
}

TEST_CASE("a list longer than its bit set is held as one, with the same positions") {
  // Over 200 positions a bit set has 4 words: lists of 1 to 4 stay lists, longer ones
  // (and one reaching the last position) become bit sets.
  std::vector<std::pair<std::string, std::vector<uint32_t>>> entries;
  for (uint32_t length = 1; length <= 12; ++length) {
    std::vector<uint32_t> list;
    for (uint32_t n = 0; n < length; ++n)
      list.push_back(n * 199 / length + (length % 2));
    entries.emplace_back("k" + std::to_string(length), std::move(list));
  }
  entries.emplace_back("edges", std::vector<uint32_t>{0, 63, 64, 127, 128, 191, 192, 199});
  const KeyIndex index(entries, 200);
  for (const auto& entry : entries) {
    CAPTURE(entry.first);
    const std::vector<uint32_t>& list = entry.second;
    const KeyIndex::Hits found = index.find(entry.first);
    CHECK(found.bits.empty() == (list.size() <= 4));
    CHECK(found.positions.empty() == (list.size() > 4));
    if (!found.bits.empty()) CHECK(found.bits.size() == 4);
    CHECK(positions_of(found) == list);
  }
  CHECK(index.positions() == 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 8);
}

}  // namespace spur
