// Loading, checking and compiling rule files for the commands that run rules.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "engine/program.hpp"

namespace spur::cli {

// Loads the rule files and folders of `paths`, checks and compiles them. On failure
// prints the problems (prefixed by `command`) and returns nullptr with `status` set:
// kExitUsage when a path cannot be read, kExitFailed when the rules have errors.
// Warnings are printed only when there are errors too.
std::shared_ptr<const Program> load_program(const std::vector<std::string>& paths,
                                            const std::string& command, int& status);

// The usage errors of --config and --scores, which replay and test share.
inline constexpr const char* kConfigNeedsFile = "--config needs a configuration file (spur.yaml)";
inline constexpr const char* kScoresNeedsFile =
    "--scores needs a scores file (NDJSON of user, model, time, score)";
inline constexpr const char* kScoresNeedsConfig =
    "--scores needs --config: the configuration names the http scorers";

// The engine settings and scorers of the configuration at `config_path` (config.md),
// for a replay or a rule test: the clock driven by event times, `file` scorers loaded
// with relative paths taken from `base` (the working directory when empty), `http`
// scorers answering from the scores file at `scores_path` (none: their default).
// Nullopt, with the error on stderr and `status` set to kExitUsage, when it cannot be
// used; notes (scorers that answer only their default) go to stderr too.
std::optional<EngineConfig> engine_config(const std::string& config_path,
                                          const std::filesystem::path& base,
                                          const std::string& command, int& status,
                                          const std::string& scores_path = {});

}  // namespace spur::cli
