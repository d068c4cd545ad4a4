// server::FiringLog: the shard's recent firings in one circular buffer, linked per user.
#include "server/firing_log.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace spur::server {
namespace {

std::vector<std::string> strings(const std::vector<std::string_view>& views) {
  return {views.begin(), views.end()};
}

// Two users' firings, interleaved: ada's "ada 1", "ada 2" and an empty one (a record
// too), bob's "bob 1" and "bob 2".
struct TwoUsers {
  FiringLog log{4096};
  uint64_t ada = FiringLog::kNone, bob = FiringLog::kNone;
  TwoUsers() {
    ada = log.append("ada 1", ada);
    bob = log.append("bob 1", bob);
    ada = log.append("ada 2", ada);
    ada = log.append("", ada);
    bob = log.append("bob 2", bob);
  }
};

}  // namespace

TEST_CASE("a user's firings come back newest first, up to the limit, unmixed with others") {
  const TwoUsers t;
  CHECK(strings(t.log.newest_first(t.ada, 10)) == std::vector<std::string>{"", "ada 2", "ada 1"});
  CHECK(strings(t.log.newest_first(t.bob, 10)) == std::vector<std::string>{"bob 2", "bob 1"});
  CHECK(strings(t.log.newest_first(t.ada, 2)) == std::vector<std::string>{"", "ada 2"});
  CHECK(t.log.newest_first(FiringLog::kNone, 10).empty());
}

TEST_CASE("when full, the shard's oldest firings go first, whoever they belong to") {
  FiringLog log(128);  // 16-byte header: 4 records of 16 bytes of text fit
  uint64_t ada = FiringLog::kNone, bob = FiringLog::kNone;
  ada = log.append("ada-0123456789ab", ada);
  bob = log.append("bob-0123456789ab", bob);
  ada = log.append("ada-1123456789ab", ada);
  ada = log.append("ada-2123456789ab", ada);
  ada = log.append("ada-3123456789ab", ada);  // the first of ada's is dropped
  CHECK(strings(log.newest_first(ada, 10)) ==
        std::vector<std::string>{"ada-3123456789ab", "ada-2123456789ab", "ada-1123456789ab"});
  CHECK(strings(log.newest_first(bob, 10)) == std::vector<std::string>{"bob-0123456789ab"});
  ada = log.append("ada-4123456789ab", ada);  // then bob's
  CHECK(log.newest_first(bob, 10).empty());
  CHECK(log.newest_first(ada, 10).size() == 4);
}

TEST_CASE("a record larger than the whole log is not kept and drops nothing") {
  FiringLog log(64);
  uint64_t ada = log.append("kept", FiringLog::kNone);
  CHECK(log.append(std::string(100, 'x'), ada) == ada);
  CHECK(strings(log.newest_first(ada, 10)) == std::vector<std::string>{"kept"});
}

TEST_CASE("erasing a user overwrites its firings and leaves the others") {
  TwoUsers t;
  t.log.erase(t.ada);
  for (const std::string_view text : t.log.newest_first(t.ada, 10))
    CHECK(text.find("ada") == std::string_view::npos);
  CHECK(strings(t.log.newest_first(t.bob, 10)) == std::vector<std::string>{"bob 2", "bob 1"});
}

TEST_CASE("random lengths across many wraps: what is kept is the newest that fits, intact") {
  std::mt19937 rng(7);
  FiringLog log(1000);
  struct Appended {
    int user;
    std::string text;
  };
  std::vector<Appended> all;
  std::map<int, uint64_t> newest;
  for (int i = 0; i < 5000; ++i) {
    const int user = static_cast<int>(rng() % 5);
    const std::string text = std::to_string(i) + std::string(rng() % 120, 'a' + user);
    auto [it, added] = newest.try_emplace(user, FiringLog::kNone);
    it->second = log.append(text, it->second);
    all.push_back({user, text});
    // Per user, the kept records are its latest, newest first, each as written.
    std::vector<size_t> kept;  // indices in `all`
    size_t bytes = 0;
    for (const auto& [u, handle] : newest) {
      size_t j = all.size();
      for (const std::string_view text_got : log.newest_first(handle, 10'000)) {
        while (all[--j].user != u) {
        }
        REQUIRE(text_got == all[j].text);
        kept.push_back(j);
        bytes += (16 + text_got.size() + 7) / 8 * 8;
      }
    }
    // Together they are the newest appends, and one more would not have fitted (but for
    // the end of the buffer left unused at a wrap: less than the largest record).
    std::sort(kept.begin(), kept.end());
    REQUIRE(!kept.empty());
    REQUIRE(kept.back() == all.size() - 1);
    REQUIRE(kept.back() - kept.front() + 1 == kept.size());
    REQUIRE(bytes <= 1000);
    if (kept.front() > 0) {
      const size_t older = (16 + all[kept.front() - 1].text.size() + 7) / 8 * 8;
      REQUIRE(bytes + older > 1000 - 144);
    }
  }
}

}  // namespace spur::server
