// Rule tests (formats.md, "Rule tests"): YAML files of cases, each run on a fresh engine.
#pragma once

#include <iosfwd>
#include <string>

namespace spur {
struct EngineConfig;
}

namespace spur::cli {

struct TestTotals {
  int passed = 0;
  int failed = 0;
  int broken = 0;  // files that could not be read or whose rules have errors
};

// Runs every case of one *.test.yaml file, printing PASS/FAIL lines (with a diff for
// failures) to `out` and problems with the file to `err`. The file's own `config:`
// gives its engine settings and scorers; a file without one uses `fallback`.
void run_test_file(const std::string& path, std::ostream& out, std::ostream& err,
                   TestTotals& totals, const EngineConfig& fallback);

}  // namespace spur::cli
