// The scorers a configuration binds to model names (config.md, `scorers`), made for the
// engines of `spur serve`, `spur replay --config` and `spur test` (`config:`).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/scorer.hpp"
#include "models/recorded_scores.hpp"
#include "models/remote_scores.hpp"
#include "server/config.hpp"

namespace spur::server {

// Loads every `file` scorer's model; a relative path is taken from `base` (the working
// directory when empty). An `http` scorer answers, in `spur serve`, what the shards
// fetched into `remote`; otherwise from `recorded` (a replay's `--scores`; none: no score
// recorded); and else with its `default` (docs/models.md). Throws ConfigError naming the
// scorer, the file and what is wrong. `notes` gets a line per http scorer that can only
// answer its default.
std::shared_ptr<const Scorers> load_scorers(
    const Config& config, const std::filesystem::path& base, std::vector<std::string>& notes,
    const std::shared_ptr<const models::RecordedScores>& recorded = nullptr,
    const std::shared_ptr<const models::RemoteScores>& remote = nullptr);

}  // namespace spur::server
