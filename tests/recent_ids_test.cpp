// RecentIds (engine/recent_ids.hpp) against a plain map, through several growths with
// ids forgotten while the old table drains, and BlockFifo across many blocks.
#include "engine/recent_ids.hpp"

#include <doctest/doctest.h>

#include <deque>
#include <random>
#include <set>
#include <string>

#include "engine/block_fifo.hpp"

namespace spur {

TEST_CASE("the dedup set answers like a map of ids to times, through growth and expiry") {
  std::mt19937 rng(5);
  RecentIds ids;
  // The ids within the window, and when each was handled, oldest first.
  std::set<int64_t> reference;
  std::deque<std::pair<int64_t, int64_t>> handled;  // time, id
  const auto id = [](int64_t n) { return "e" + std::to_string(n); };
  const auto remember = [&](int64_t n, int64_t at) {
    reference.insert(n);
    handled.emplace_back(at, n);
  };
  size_t duplicates = 0;
  // The window grows with time (half of it), so the set keeps growing while ids leave
  // it: every growth drains its old table while lookups and expiries go on.
  for (int64_t at = 1; at < 400'000; ++at) {
    ids.forget_before(at - at / 2);
    while (!handled.empty() && handled.front().first < at - at / 2) {
      reference.erase(handled.front().second);
      handled.pop_front();
    }
    REQUIRE(ids.insert("u", id(at), at));
    remember(at, at);
    // An id within the window is a duplicate; one forgotten is new again.
    const int64_t probe = static_cast<int64_t>(rng() % static_cast<uint64_t>(at)) + 1;
    const bool held = reference.count(probe) > 0;
    REQUIRE(ids.insert("u", id(probe), at) == !held);
    if (!held) remember(probe, at);
    duplicates += held;
  }
  CHECK(duplicates > 100'000);  // the duplicate path is really taken
}

TEST_CASE("ids are told apart per user: the same ids from many users are all new once") {
  // The fingerprint hashes the id seeded with the user's hash: users whose ids are
  // the same, and users and ids that read alike joined ("u1" + "23", "u12" + "3"), are
  // different pairs.
  RecentIds ids;
  int64_t at = 0;
  for (const bool again : {false, true}) {
    size_t taken = 0;
    for (int user = 0; user < 300; ++user) {
      for (int id = 0; id < 300; ++id)
        taken += ids.insert("u" + std::to_string(user), std::to_string(id), ++at);
    }
    CHECK(taken == (again ? 0 : 300 * 300));
  }
}

TEST_CASE("every id within the window is found at every step while tables drain") {
  // Small enough to ask for all of them after each insert: the keys whose run crosses
  // the draining cursor are asked for at the moment they cross it.
  RecentIds ids;
  for (int64_t at = 1; at < 6'000; ++at) {
    ids.forget_before(at - at / 2);
    REQUIRE(ids.insert("u", std::to_string(at), at));
    for (int64_t held = at - at / 2; held <= at; ++held)
      REQUIRE_FALSE(ids.insert("u", std::to_string(held), at));
  }
}

TEST_CASE("a block FIFO keeps its order across blocks and when emptied") {
  BlockFifo<int, 4> fifo;
  int next_in = 0, next_out = 0;
  std::mt19937 rng(9);
  for (int step = 0; step < 10'000; ++step) {
    if (fifo.empty() || rng() % 3 != 0) {
      fifo.push_back(next_in++);
    } else {
      REQUIRE(fifo.front() == next_out++);
      fifo.pop_front();
    }
    REQUIRE(fifo.size() == static_cast<size_t>(next_in - next_out));
  }
  while (!fifo.empty()) {
    REQUIRE(fifo.front() == next_out++);
    fifo.pop_front();
  }
  fifo.push_back(42);
  CHECK(fifo.front() == 42);
}

}  // namespace spur
