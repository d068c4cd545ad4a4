// KeyIndex: every key finds exactly its positions, whether the key and the list are held
// in the slot (up to 12 bytes, one position) or beside it.
#include "engine/key_index.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace spur {

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
  const KeyIndex index(entries);
  size_t listed = 0;
  for (const auto& entry : entries) {
    CAPTURE(entry.first);
    const auto found = index.find(entry.first);
    CHECK(std::vector<uint32_t>(found.begin(), found.end()) == entry.second);
    listed += entry.second.size();
  }
  CHECK(index.positions() == listed);
  // Absent keys, among them prefixes and extensions of present ones.
  for (const std::string& absent :
       std::vector<std::string>{"", "k", "1kk", "12kkkkkkkkkkkx", "2999" + std::string(30, 'k')})
    CHECK(index.find(absent).empty());
  CHECK(KeyIndex().find("1").empty());
}

}  // namespace spur
