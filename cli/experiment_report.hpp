// `spur replay --report` (formats.md, "Experiments"): per rule with a goal, split or
// holdout, its cohorts' firings, conversions and rates and the lift of the treated over
// the held out, as a table for people or one JSON object (keys in docs/cli.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/engine.hpp"

namespace spur::cli {

std::string experiment_table(const Engine& engine);
nlohmann::ordered_json experiment_json(const Engine& engine);

}  // namespace spur::cli
