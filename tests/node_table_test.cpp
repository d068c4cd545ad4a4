// NodeTable (engine/node_table.hpp) against std::unordered_map under random adds and
// erases, with the nodes' addresses checked to stay put.
#include "engine/node_table.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <unordered_map>

namespace spur {

TEST_CASE("a node table finds, adds and erases like a map, and its nodes never move") {
  std::mt19937 rng(3);
  NodeTable<int> table;
  std::unordered_map<std::string, std::pair<int, const void*>> reference;  // value, node
  for (int step = 0; step < 200'000; ++step) {
    // Few keys, so that clusters form and erasing shifts them.
    const std::string key = "u" + std::to_string(rng() % 3000);
    if (rng() % 3 == 0) {
      CHECK(table.erase(key) == (reference.erase(key) == 1));
      continue;
    }
    auto& node = table.get_or_add(key);
    const auto [it, added] = reference.try_emplace(key, 0, &node);
    REQUIRE(node.first == key);
    REQUIRE(it->second.second == &node);  // the same node as when the key was added
    REQUIRE(node.second == it->second.first);
    node.second = it->second.first = step;
  }
  CHECK(table.size() == reference.size());
  size_t visited = 0;
  table.for_each([&](const NodeTable<int>::Node& node) {
    ++visited;
    const auto it = reference.find(node.first);
    REQUIRE(it != reference.end());
    CHECK(it->second.first == node.second);
  });
  CHECK(visited == reference.size());
  for (const auto& [key, entry] : reference)
    CHECK(table.find(key) == entry.second);
  CHECK(table.find("absent") == nullptr);
}

}  // namespace spur

namespace spur {

TEST_CASE("the tables' hash seed is drawn anew by each process") {
  // This test binary, run again (in popen's shell, /proc/self/exe is the shell).
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const auto seed_of_a_new_process = [&self] {
    FILE* child = popen(("'" + self + "' --print-hash-seed").c_str(), "r");
    REQUIRE(child != nullptr);
    unsigned long long seed = 0;
    CHECK(std::fscanf(child, "%llu", &seed) == 1);
    CHECK(pclose(child) == 0);
    return seed;
  };
  const unsigned long long first = seed_of_a_new_process(), second = seed_of_a_new_process();
  CHECK(first != second);
  CHECK(first != hash_seed());
  // Within a process the hash is a function of the text alone.
  CHECK(hash_text("u42") == hash_text(std::string("u4") + "2"));
}

}  // namespace spur
