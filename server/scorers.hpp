// The scorers a configuration binds to model names (config.md, `scorers`), made for the
// engines of `spur serve`, `spur replay --config` and `spur test` (`config:`).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/scorer.hpp"
#include "server/config.hpp"

namespace spur::server {

// Loads every `file` scorer's model; a relative path is taken from `base` (the working
// directory when empty). Throws ConfigError naming the scorer, the file and what is
// wrong. `notes` gets a line per scorer this build does not run (`http`: its score is
// null).
std::shared_ptr<const Scorers> load_scorers(const Config& config, const std::filesystem::path& base,
                                            std::vector<std::string>& notes);

}  // namespace spur::server
