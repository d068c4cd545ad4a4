// Golden files: tests/golden/parse/*.rules print canonically as their .expected file;
// tests/golden/diagnostics/*.rules give exactly the diagnostics of their .expected file.
// Run with SPUR_UPDATE_GOLDEN=1 to rewrite the .expected files, then review the diff.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_support.hpp"

namespace spur {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<fs::path> cases(const std::string& folder) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(fs::path(SPUR_TEST_DATA) / "golden" / folder)) {
    if (entry.path().extension() == ".rules") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void compare(const fs::path& rules, const std::string& actual) {
  fs::path expected_path = rules;
  expected_path.replace_extension(".expected");
  if (std::getenv("SPUR_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(expected_path, std::ios::binary) << actual;
  }
  INFO("golden file: " << expected_path.string());
  CHECK(actual == read(expected_path));
}

}  // namespace

TEST_CASE("golden: every construct prints canonically") {
  const auto files = cases("parse");
  CHECK(files.size() >= 6);
  for (const fs::path& file : files) {
    const std::string printed = testing::parse_and_print(read(file));
    compare(file, printed);
    INFO("printing is not a fixed point for " << file.string());
    CHECK(testing::parse_and_print(printed) == printed);
  }
}

TEST_CASE("golden: invalid rules give their diagnostics") {
  const auto files = cases("diagnostics");
  CHECK(files.size() >= 40);
  for (const fs::path& file : files) {
    const auto f = testing::check_text(read(file), file.filename().string());
    INFO("a diagnostics case must produce a diagnostic: " << file.string());
    CHECK(!f.diagnostics.all().empty());
    compare(file, f.rendered() + "errors: " + std::to_string(f.diagnostics.error_count()) +
                      ", warnings: " + std::to_string(f.diagnostics.warning_count()) + "\n");
  }
}

}  // namespace spur
