// What http scorers (config.md `scorers`, type http) answered in `spur serve`: the shard
// that owns a user fetches the scores a step may ask before it runs the step
// (Engine::remote_queries, server/score_fetcher.hpp), puts them here, and the model's
// scorer answers the step from here (docs/models.md, "http scorers").
//
// Thread-safety: every call may come from any thread. In practice a user's entries are
// written and read by the thread of the shard that owns the user.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/scorer.hpp"

namespace spur::models {

class RemoteScores {
 public:
  struct Entry {
    Value value;
    bool fallback = false;  // the scorer's default: the model timed out or failed
    // Answered to steps until then (engine ms, the `cache` setting); INT64_MIN: to the
    // next step only (no cache, or a default), which forget_step() then drops.
    int64_t until_ms = INT64_MIN;
  };

  void put(std::string_view model, std::string_view user, Entry entry);
  // The entry for a step at `at_ms`; nullopt when there is none or it is stale.
  std::optional<Entry> get(std::string_view model, std::string_view user, int64_t at_ms) const;
  // Whether a step at `at_ms` would be answered without a fetch.
  bool fresh(std::string_view model, std::string_view user, int64_t at_ms) const {
    return get(model, user, at_ms).has_value();
  }
  // Drops the user's entries that served one step only, and the stale ones.
  void forget_step(std::string_view user, int64_t at_ms);
  // The user's entries that a step at `at_ms` would be answered from, by model.
  std::vector<std::pair<std::string, Entry>> entries(std::string_view user, int64_t at_ms) const;
  // Drops the cached entries past their time at `at_ms` of the users in the next
  // `buckets` buckets of the table, from where the last call stopped: called again and
  // again (a shard does at each turn), it visits every user, so that the entries of users
  // who never come back do not stay. A rehash meanwhile may make a pass skip a user,
  // whom a later pass visits.
  void forget_stale(int64_t at_ms, size_t buckets);

 private:
  using Entries = std::vector<std::pair<std::string, Entry>>;  // per model, a few
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entries> by_user_;
  size_t sweep_bucket_ = 0;  // where forget_stale goes on
};

// The scorer of the http model `model`: what `scores` holds for the step, else `fallback`
// marked as the default (a step that no fetch came before: one a timer or an emitted
// event started).
std::shared_ptr<const Scorer> remote_scorer(std::shared_ptr<const RemoteScores> scores,
                                            std::string model, Value fallback);

}  // namespace spur::models
