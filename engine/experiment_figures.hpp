// An experiment's figures (language.md section 14): firings, conversions and rates per
// cohort, and the lift of the treated over the held out with its 95% interval. Shared by
// `spur replay --report` and GET /v1/rules/{name}; the formula is in docs/language.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace spur {

struct CohortFigures {
  std::string name;  // "arm 1", "control", "held_out", "treated"
  uint64_t firings = 0;
  uint64_t conversions = 0;
  std::optional<double> rate;  // conversions / firings; none without firings
};

// The treated's rate less the held out's, in rate units (0.02 is 2 percentage points),
// with the Wald 95% interval of that difference; none unless both have firings.
struct Lift {
  double difference = 0;
  double low = 0;
  double high = 0;
};
std::optional<Lift> lift(const CohortCounts& treated, const CohortCounts& held_out);

struct ExperimentFigures {
  std::vector<CohortFigures> arms;  // each split arm, then control; or "treated" alone
  CohortFigures treated;            // the split's arms (not control); without one, all not held out
  CohortFigures held_out;
  std::optional<Lift> lift;
};

// The figures of a rule with a goal, split or holdout (CompiledRule::experiment) from its
// counts; `arms` is the number of its split's arms (0: no split).
ExperimentFigures experiment_figures(const RuleCounts& counts, size_t arms);

// The number of arms of the rule's split, 0 without one.
size_t split_arms(const CompiledRule& rule);

}  // namespace spur
