#include "cli/rule_loading.hpp"

#include <iostream>

#include "check/check.hpp"
#include "cli/commands.hpp"
#include "engine/compile.hpp"
#include "grammar/load.hpp"
#include "server/scorers.hpp"

namespace spur::cli {

std::shared_ptr<const Program> load_program(const std::vector<std::string>& paths,
                                            const std::string& command, int& status) {
  SourceSet sources;
  const std::vector<std::string> problems = load_rule_files(paths, sources);
  if (!problems.empty()) {
    for (const std::string& problem : problems)
      std::cerr << command << ": " << problem << "\n";
    status = kExitUsage;
    return nullptr;
  }
  Diagnostics diagnostics;
  const CheckedRuleSet rule_set = check_rule_set(sources, diagnostics);
  if (diagnostics.error_count() > 0) {
    for (const Diagnostic& d : diagnostics.all())
      std::cerr << render(sources, d);
    std::cerr << command << ": the rules have " << diagnostics.error_count()
              << " error(s); nothing was run\n";
    status = kExitFailed;
    return nullptr;
  }
  return compile(rule_set);
}

std::optional<EngineConfig> engine_config(const std::string& config_path,
                                          const std::filesystem::path& base,
                                          const std::string& command, int& status,
                                          const std::string& scores_path) {
  try {
    const server::Config config = server::load_config(config_path, server::Secrets::kSkip);
    EngineConfig engine = config.engine;
    engine.wall_clock = false;
    std::shared_ptr<const models::RecordedScores> recorded;
    if (!scores_path.empty()) {
      std::string error;
      auto read = models::RecordedScores::read(scores_path, error);
      if (!read) {
        std::cerr << command << ": --scores " << error << "\n";
        status = kExitUsage;
        return std::nullopt;
      }
      recorded = std::make_shared<const models::RecordedScores>(std::move(*read));
    }
    std::vector<std::string> notes;
    engine.scorers = server::load_scorers(config, base, notes, recorded);
    for (const std::string& note : notes)
      std::cerr << command << ": warning: " << note << "\n";
    return engine;
  } catch (const server::ConfigError& e) {
    std::cerr << command << ": " << e.what() << "\n";
    status = kExitUsage;
    return std::nullopt;
  }
}

}  // namespace spur::cli
