// `spur test PATH...`: run rule tests (*.test.yaml files, or folders of them).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/rule_loading.hpp"
#include "cli/rule_tests.hpp"

namespace spur::cli {

int test_command(std::span<const std::string> args) {
  namespace fs = std::filesystem;
  std::string config_path, scores_path;
  std::vector<std::string> paths;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--config" || arg == "--scores") {
      if (i + 1 == args.size()) {
        return usage_error("test", arg == "--config" ? kConfigNeedsFile : kScoresNeedsFile);
      }
      (arg == "--config" ? config_path : scores_path) = args[++i];
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("test", "unknown option `" + arg + "`");
    } else {
      paths.push_back(arg);
    }
  }
  if (paths.empty()) return usage_error("test", "no test files or folders given");
  if (!scores_path.empty() && config_path.empty()) return usage_error("test", kScoresNeedsConfig);
  // For the test files that name no `config:` of their own.
  EngineConfig fallback;
  if (!config_path.empty()) {
    int status = kExitOk;
    auto configured = engine_config(config_path, {}, "spur test", status, scores_path);
    if (!configured) return status;
    fallback = std::move(*configured);
  }
  std::vector<std::string> files;
  for (const std::string& arg : paths) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(arg, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() > 10 && name.ends_with(".test.yaml"))
          found.push_back(it->path().generic_string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        std::cerr << "spur test: no *.test.yaml files under `" << arg << "`\n";
        return kExitUsage;
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(arg, ec)) {
      files.push_back(arg);
    } else {
      std::cerr << "spur test: `" << arg << "` does not exist\n";
      return kExitUsage;
    }
  }
  TestTotals totals;
  for (const std::string& file : files)
    run_test_file(file, std::cout, std::cerr, totals, fallback);
  std::cout << totals.passed << " passed, " << totals.failed << " failed";
  if (totals.broken > 0) std::cout << " (" << totals.broken << " test file(s) could not run)";
  std::cout << "\n";
  return totals.failed == 0 && totals.broken == 0 ? kExitOk : kExitFailed;
}

}  // namespace spur::cli
