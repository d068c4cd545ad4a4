#include "formats/experiment_json.hpp"

#include "engine/experiment_figures.hpp"

namespace spur {
namespace {

nlohmann::ordered_json cohort_json(const CohortFigures& c) {
  return {{"firings", c.firings},
          {"conversions", c.conversions},
          {"rate", c.rate ? nlohmann::ordered_json(*c.rate) : nlohmann::ordered_json(nullptr)}};
}

}  // namespace

nlohmann::ordered_json experiment_json(const CompiledRule& rule, const RuleCounts& counts) {
  const size_t arms = split_arms(rule);
  const ExperimentFigures f = experiment_figures(counts, arms);
  nlohmann::ordered_json entry = {
      {"goal", rule.goal ? nlohmann::ordered_json(rule.goal->event) : nullptr}};
  if (arms > 0) {
    nlohmann::ordered_json by_arm = nlohmann::ordered_json::object();
    for (size_t k = 0; k < arms; ++k)
      by_arm[std::to_string(k + 1)] = cohort_json(f.arms[k]);
    entry["arms"] = by_arm;
    entry["control"] = cohort_json(f.arms.back());
  }
  entry["treated"] = cohort_json(f.treated);
  entry["held_out"] = cohort_json(f.held_out);
  entry["lift"] = f.lift ? nlohmann::ordered_json{{"difference", f.lift->difference},
                                                  {"low", f.lift->low},
                                                  {"high", f.lift->high}}
                         : nlohmann::ordered_json(nullptr);
  return entry;
}

}  // namespace spur
