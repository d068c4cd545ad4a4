// An experiment's figures as JSON (docs/cli.md, `--report=json`; the `experiment` of
// GET /v1/rules/{name}): {"goal", "arms", "control", "treated", "held_out", "lift"}.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/engine.hpp"

namespace spur {

// Of a rule with a goal, split or holdout (CompiledRule::experiment).
nlohmann::ordered_json experiment_json(const CompiledRule& rule, const RuleCounts& counts);

}  // namespace spur
