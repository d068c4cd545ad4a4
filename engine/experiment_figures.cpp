#include "engine/experiment_figures.hpp"

#include <cmath>

namespace spur {
namespace {

// The two-sided 95% quantile of the normal distribution.
constexpr double kZ95 = 1.959963984540054;

CohortFigures figures(std::string name, const CohortCounts& c) {
  CohortFigures out{std::move(name), c.firings, c.conversions, std::nullopt};
  if (c.firings > 0) out.rate = static_cast<double>(c.conversions) / static_cast<double>(c.firings);
  return out;
}

}  // namespace

std::optional<Lift> lift(const CohortCounts& treated, const CohortCounts& held_out) {
  if (treated.firings == 0 || held_out.firings == 0) return std::nullopt;
  const auto n_t = static_cast<double>(treated.firings);
  const auto n_h = static_cast<double>(held_out.firings);
  const double p_t = static_cast<double>(treated.conversions) / n_t;
  const double p_h = static_cast<double>(held_out.conversions) / n_h;
  const double difference = p_t - p_h;
  const double error = std::sqrt(p_t * (1 - p_t) / n_t + p_h * (1 - p_h) / n_h);
  return Lift{difference, difference - kZ95 * error, difference + kZ95 * error};
}

ExperimentFigures experiment_figures(const RuleCounts& counts, size_t arms) {
  ExperimentFigures out;
  CohortCounts treated = counts.cohort(RuleCounts::cohort_of(-1, false));
  if (arms == 0) {
    out.arms.push_back(figures("treated", treated));
  } else {
    for (size_t k = 1; k <= arms; ++k) {
      const CohortCounts arm = counts.cohort(RuleCounts::cohort_of(static_cast<int32_t>(k), false));
      out.arms.push_back(figures("arm " + std::to_string(k), arm));
      treated.firings += arm.firings;
      treated.conversions += arm.conversions;
    }
    out.arms.push_back(figures("control", counts.cohort(RuleCounts::cohort_of(0, false))));
  }
  const CohortCounts held_out = counts.cohort(RuleCounts::cohort_of(-1, true));
  out.treated = figures("treated", treated);
  out.held_out = figures("held_out", held_out);
  out.lift = lift(treated, held_out);
  return out;
}

size_t split_arms(const CompiledRule& rule) {
  for (const CompiledAction& action : rule.actions) {
    if (action.op == ActionOp::kSplit) return action.arms.size();
  }
  return 0;
}

}  // namespace spur
