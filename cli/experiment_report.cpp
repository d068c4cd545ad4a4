#include "cli/experiment_report.hpp"

#include <cstdio>

#include "engine/experiment_figures.hpp"
#include "formats/experiment_json.hpp"

namespace spur::cli {
namespace {

std::string percent(std::optional<double> rate) {
  if (!rate) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f%%", *rate * 100);
  return text;
}

std::string points(double difference) {
  char text[32];
  std::snprintf(text, sizeof text, "%+.2f", difference * 100);
  return text;
}

std::string row(const CohortFigures& c) {
  char text[128];
  std::snprintf(text, sizeof text, "  %-10s %10llu %12llu %9s\n", c.name.c_str(),
                static_cast<unsigned long long>(c.firings),
                static_cast<unsigned long long>(c.conversions), percent(c.rate).c_str());
  return text;
}

std::string goal_text(const CompiledRule& rule) {
  if (!rule.goal) return "no goal";
  return "goal " + rule.goal->event + " within " + rule.goal->within_text;
}

}  // namespace

std::string experiment_table(const Engine& engine) {
  std::string out;
  const Program& program = engine.program();
  for (uint32_t r = 0; r < program.rules.size(); ++r) {
    const CompiledRule& rule = program.rules[r];
    if (!rule.experiment) continue;
    const ExperimentFigures f = experiment_figures(engine.counts(r), split_arms(rule));
    out += "rule " + rule.name + " (" + goal_text(rule) + ")\n";
    out += "  cohort        firings  conversions      rate\n";
    for (const CohortFigures& arm : f.arms)
      out += row(arm);
    if (f.arms.size() > 1) out += row(f.treated);
    out += row(f.held_out);
    out += f.lift ? "  lift " + points(f.lift->difference) + " points (95% interval " +
                        points(f.lift->low) + " to " + points(f.lift->high) + ")\n"
                  : "  lift - (needs treated and held-out firings)\n";
  }
  return out.empty() ? "no rule has a goal, split or holdout\n" : out;
}

nlohmann::ordered_json experiment_json(const Engine& engine) {
  nlohmann::ordered_json rules = nlohmann::ordered_json::object();
  const Program& program = engine.program();
  for (uint32_t r = 0; r < program.rules.size(); ++r) {
    const CompiledRule& rule = program.rules[r];
    if (rule.experiment) rules[rule.name] = spur::experiment_json(rule, engine.counts(r));
  }
  return {{"rules", rules}};
}

}  // namespace spur::cli
