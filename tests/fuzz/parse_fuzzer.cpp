// libFuzzer target for the whole front end: parse, check, render every diagnostic, print
// the AST, and format with comments (`spur fmt`). Any crash, sanitizer report, a printed
// file that does not parse back to the same text, or a formatted file that loses a
// comment, means something else or is no fixed point, is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "check/check.hpp"
#include "grammar/comments.hpp"
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

  // `spur fmt` of a file that parses: the same AST, every comment, a fixed point.
  spur::Diagnostics syntax;
  const spur::ParsedFile parsed = spur::parse(sources, 0, syntax);
  if (syntax.error_count() == 0) {
    const std::string_view text = sources.file(0).text();
    const std::string formatted = spur::print_with_comments(parsed.file, text);
    spur::SourceSet again;
    again.add("formatted.rules", formatted);
    spur::Diagnostics reparse_diagnostics;
    const spur::ParsedFile reparsed = spur::parse(again, 0, reparse_diagnostics);
    if (reparse_diagnostics.error_count() != 0) std::abort();
    if (spur::print(reparsed.file) != spur::print(parsed.file)) std::abort();
    if (spur::find_comments(formatted).size() != spur::find_comments(text).size()) std::abort();
    if (spur::print_with_comments(reparsed.file, formatted) != formatted) std::abort();
  }
  return 0;
}
