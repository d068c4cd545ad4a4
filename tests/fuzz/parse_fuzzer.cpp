// libFuzzer target for the whole front end: parse, check, render every diagnostic, and
// print the AST. Any crash, sanitizer report, or a printed file that does not parse back
// to the same text is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "check/check.hpp"
#include "grammar/parse.hpp"
#include "grammar/printer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  spur::SourceSet sources;
  sources.add("fuzz.rules", std::string(reinterpret_cast<const char*>(data), size));
  spur::Diagnostics diagnostics;
  const spur::CheckedRuleSet rule_set = spur::check_rule_set(sources, diagnostics);
  for (const spur::Diagnostic& d : diagnostics.all())
    (void)spur::render(sources, d);

  // The printer's output must be a fixed point of parse + print.
  for (const spur::ast::File& file : rule_set.files) {
    const std::string printed = spur::print(file);
    spur::SourceSet again;
    again.add("printed.rules", printed);
    spur::Diagnostics reparse_diagnostics;
    const spur::ParsedFile reparsed = spur::parse(again, 0, reparse_diagnostics);
    if (spur::print(reparsed.file) != printed) std::abort();
  }
  return 0;
}
