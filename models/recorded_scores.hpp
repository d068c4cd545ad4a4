// What remote (`http`) scorers answered, read from a scores file for `spur replay
// --scores FILE` and `spur test` (docs/models.md): NDJSON lines
//   {"user": "u1", "model": "churn", "time": "2026-11-23T10:00:00Z", "score": 0.82}
// (`time` RFC 3339 or epoch milliseconds). In a replay an http scorer answers, for a user
// at a step, the latest recorded score at or before the step's time, and its `default`
// when there is none, so that backtests are deterministic.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/scorer.hpp"

namespace spur::models {

class RecordedScores {
 public:
  // The file's scores; nullopt, with `error` naming the line and what is wrong, when it
  // cannot be read.
  static std::optional<RecordedScores> read(const std::string& path, std::string& error);

  // The latest score recorded for (model, user) at or before `time_ms`.
  const Value* at(std::string_view model, std::string_view user, int64_t time_ms) const;

 private:
  // Per model + "\x1f" + user, (time, score) sorted by time; for one time, the file's
  // last line wins.
  std::unordered_map<std::string, std::vector<std::pair<int64_t, Value>>> series_;
};

// The scorer of the http model `model` in a replay: the recorded scores (none: an empty
// set), else `fallback` marked as the default.
std::shared_ptr<const Scorer> recorded_scorer(std::shared_ptr<const RecordedScores> scores,
                                              std::string model, Value fallback);

}  // namespace spur::models
