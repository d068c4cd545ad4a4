// Helpers shared by the tests: run the front end on text held in memory.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "check/check.hpp"
#include "grammar/diagnostic.hpp"
#include "grammar/parse.hpp"
#include "grammar/printer.hpp"

namespace spur::testing {

struct FrontEnd {
  SourceSet sources;
  Diagnostics diagnostics;
  CheckedRuleSet rule_set;

  // Every diagnostic rendered as `spur check` prints it.
  std::string rendered() const {
    std::string out;
    for (const Diagnostic& d : diagnostics.all())
      out += render(sources, d);
    return out;
  }
};

// A path in the temporary directory that no other test process uses: ctest runs the cases
// of one binary as parallel processes, so a fixed name would be written by two at once.
inline std::filesystem::path process_temp_path(const std::string& stem) {
  return std::filesystem::temp_directory_path() / (stem + "." + std::to_string(::getpid()));
}

// Parses and checks `text` as one file named `name`.
inline FrontEnd check_text(const std::string& text, const std::string& name = "test.rules") {
  FrontEnd f;
  f.sources.add(name, text);
  f.rule_set = check_rule_set(f.sources, f.diagnostics);
  return f;
}

// Parses `text` (no checking) and prints it canonically; syntax errors are appended.
inline std::string parse_and_print(const std::string& text) {
  SourceSet sources;
  sources.add("test.rules", text);
  Diagnostics diagnostics;
  const ParsedFile parsed = parse(sources, 0, diagnostics);
  std::string out = print(parsed.file);
  for (const Diagnostic& d : diagnostics.all())
    out += render(sources, d);
  return out;
}

}  // namespace spur::testing
