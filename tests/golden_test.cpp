// Golden files: tests/golden/parse/*.rules print canonically as their .expected file;
// tests/golden/diagnostics/*.rules give exactly the diagnostics of their .expected file.
// Run with SPUR_UPDATE_GOLDEN=1 to rewrite the .expected files, then review the diff.
#include <doctest/doctest.h>

#include "golden_support.hpp"
#include "test_support.hpp"

namespace spur {

using testing::compare_with_golden;
using testing::golden_cases;
using testing::read_file;

TEST_CASE("golden: every construct prints canonically") {
  const auto files = golden_cases("parse");
  CHECK(files.size() >= 6);
  for (const std::filesystem::path& file : files) {
    const std::string printed = testing::parse_and_print(read_file(file));
    compare_with_golden(file, printed);
    INFO("printing is not a fixed point for " << file.string());
    CHECK(testing::parse_and_print(printed) == printed);
  }
}

TEST_CASE("golden: invalid rules give their diagnostics") {
  const auto files = golden_cases("diagnostics");
  CHECK(files.size() >= 40);
  for (const std::filesystem::path& file : files) {
    const auto f = testing::check_text(read_file(file), file.filename().string());
    INFO("a diagnostics case must produce a diagnostic: " << file.string());
    CHECK(!f.diagnostics.all().empty());
    compare_with_golden(file,
                        f.rendered() + "errors: " + std::to_string(f.diagnostics.error_count()) +
                            ", warnings: " + std::to_string(f.diagnostics.warning_count()) + "\n");
  }
}

}  // namespace spur
