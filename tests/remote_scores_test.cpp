// The http scores a shard's steps are answered from (models/remote_scores.hpp): an entry
// for the next step only, a cached one until its time, and the sweep that drops the
// cached entries of users who do not come back.
#include "models/remote_scores.hpp"

#include <doctest/doctest.h>

#include <string>

namespace spur::models {
namespace {

RemoteScores::Entry score(double value, int64_t until_ms) {
  return {Value::number(value), false, until_ms};
}

TEST_CASE("an entry for the next step serves that step only, a cached one until its time") {
  RemoteScores scores;
  scores.put("churn", "once", score(0.5, INT64_MIN));
  scores.put("churn", "cached", score(0.8, 1'000));
  CHECK(scores.fresh("churn", "once", 5'000));
  CHECK(scores.fresh("churn", "cached", 1'000));
  CHECK_FALSE(scores.fresh("churn", "cached", 1'001));
  scores.forget_step("once", 5'000);
  CHECK_FALSE(scores.fresh("churn", "once", 5'000));
}

TEST_CASE("a sweep drops the cached entries of users who never come back, and no others") {
  RemoteScores scores;
  for (int i = 0; i < 1'000; ++i)
    scores.put("churn", "gone" + std::to_string(i), score(0.1, 1'000));
  scores.put("churn", "cached", score(0.8, 10'000));
  scores.put("churn", "waiting", score(0.5, INT64_MIN));  // its step has not run yet
  // Chunk by chunk, as shards sweep at each turn: a few passes visit every user.
  for (int turn = 0; turn < 1'000; ++turn)
    scores.forget_stale(2'000, 64);
  for (int i = 0; i < 1'000; ++i)
    CHECK(scores.entries("gone" + std::to_string(i), 0).empty());
  CHECK(scores.fresh("churn", "cached", 2'000));
  CHECK(scores.fresh("churn", "waiting", 2'000));
}

}  // namespace
}  // namespace spur::models
