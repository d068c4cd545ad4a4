#include "cli/rule_loading.hpp"

#include <iostream>

#include "cli/commands.hpp"
#include "engine/check.hpp"
#include "engine/compile.hpp"
#include "grammar/load.hpp"

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

}  // namespace spur::cli
