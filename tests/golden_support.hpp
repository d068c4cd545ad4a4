// Golden files shared by the golden tests (golden_test.cpp, fmt_test.cpp): the `.rules`
// files of a folder under tests/golden, and the comparison with their `.expected` file.
// With SPUR_UPDATE_GOLDEN=1 the `.expected` files are rewritten instead; review the diff.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace spur::testing {

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The `*.rules` files of `folder`, in bytewise order.
inline std::vector<std::filesystem::path> rule_files(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == ".rules") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::filesystem::path> golden_cases(const std::string& folder) {
  return rule_files(std::filesystem::path(SPUR_TEST_DATA) / "golden" / folder);
}

inline void compare_with_golden(const std::filesystem::path& rules, const std::string& actual) {
  std::filesystem::path expected_path = rules;
  expected_path.replace_extension(".expected");
  if (std::getenv("SPUR_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(expected_path, std::ios::binary) << actual;
  }
  INFO("golden file: " << expected_path.string());
  CHECK(actual == read_file(expected_path));
}

}  // namespace spur::testing
