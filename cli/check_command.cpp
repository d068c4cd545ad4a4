// `spur check PATH...`: parse and check rule files, print diagnostics and a summary.
#include <iostream>
#include <nlohmann/json.hpp>

#include "check/check.hpp"
#include "cli/commands.hpp"
#include "formats/diagnostic_json.hpp"
#include "grammar/load.hpp"
#include "server/config.hpp"

namespace spur::cli {
namespace {

std::string plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

int check_command(std::span<const std::string> args) {
  bool json = false;
  std::vector<std::string> paths;
  std::string config_path;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (arg.starts_with("--config=")) {
      config_path = arg.substr(9);
    } else if (arg == "--format" && i + 1 < args.size() &&
               (args[i + 1] == "json" || args[i + 1] == "text")) {
      json = args[++i] == "json";
    } else if (arg == "--format=json" || arg == "--format=text") {
      json = arg == "--format=json";
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::cerr << "spur check: unknown option `" << arg << "`\n\n" << usage("check");
      return kExitUsage;
    } else {
      paths.push_back(arg);
    }
  }
  if (paths.empty()) {
    std::cerr << "spur check: no rule files or folders given\n\n" << usage("check");
    return kExitUsage;
  }

  SourceSet sources;
  const std::vector<std::string> problems = load_rule_files(paths, sources);
  if (!problems.empty()) {
    for (const std::string& problem : problems)
      std::cerr << "spur check: " << problem << "\n";
    return kExitUsage;
  }

  // With a configuration, sends are checked against its adapters (config.md).
  CheckContext context;
  if (!config_path.empty()) {
    try {
      const server::Config config = server::load_config(config_path, server::Secrets::kSkip);
      if (!config.actions.empty()) {
        context.adapters.emplace();
        for (const auto& entry : config.actions)
          context.adapters->push_back(entry.first);
        context.config_path = config_path;
      }
    } catch (const server::ConfigError& e) {
      std::cerr << "spur check: " << e.what() << "\n";
      return kExitUsage;
    }
  }

  Diagnostics diagnostics;
  const CheckedRuleSet rule_set = check_rule_set(sources, diagnostics, context);
  const size_t errors = diagnostics.error_count();
  const size_t warnings = diagnostics.warning_count();
  if (json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const Diagnostic& d : diagnostics.all())
      list.push_back(diagnostic_json(sources, d));
    const nlohmann::ordered_json report = {
        {"diagnostics", std::move(list)},
        {"files", sources.size()},
        {"rules", rule_set.counts.rules},
        {"segments", rule_set.counts.segments},
        {"errors", errors},
        {"warnings", warnings},
    };
    std::cout << report.dump() << "\n";
  } else {
    for (const Diagnostic& d : diagnostics.all())
      std::cerr << render(sources, d);
    std::cerr << plural(rule_set.counts.rules, "rule") << ", "
              << plural(rule_set.counts.segments, "segment") << ", " << plural(errors, "error")
              << ", " << plural(warnings, "warning") << "\n";
  }
  return errors == 0 ? kExitOk : kExitFailed;
}

}  // namespace spur::cli
