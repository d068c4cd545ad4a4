// `spur test PATH...`: run rule tests (*.test.yaml files, or folders of them).
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/rule_tests.hpp"

namespace spur::cli {

int test_command(std::span<const std::string> args) {
  namespace fs = std::filesystem;
  if (args.empty()) {
    std::cerr << "spur test: no test files or folders given\n\n" << usage("test");
    return kExitUsage;
  }
  std::vector<std::string> files;
  for (const std::string& arg : args) {
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
    run_test_file(file, std::cout, std::cerr, totals);
  std::cout << totals.passed << " passed, " << totals.failed << " failed";
  if (totals.broken > 0) std::cout << " (" << totals.broken << " test file(s) could not run)";
  std::cout << "\n";
  return totals.failed == 0 && totals.broken == 0 ? kExitOk : kExitFailed;
}

}  // namespace spur::cli
