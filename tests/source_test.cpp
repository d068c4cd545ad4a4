#include "grammar/source.hpp"

#include <doctest/doctest.h>

#include "grammar/diagnostic.hpp"

namespace spur {

TEST_CASE("columns count code points, not bytes") {
  const SourceFile file("f.rules", "ab\n\xC3\xA9t\xC3\xA9 x\n");
  CHECK(file.line_column(0).line == 1);
  CHECK(file.line_column(3).line == 2);
  CHECK(file.line_column(3).column == 1);
  CHECK(file.line_column(9).column == 5);  // the x after "été "
  CHECK(file.line_text(2) == "\xC3\xA9t\xC3\xA9 x");
}

TEST_CASE("CRLF line ends are not part of the line text") {
  const SourceFile file("f.rules", "one\r\ntwo\r\n");
  CHECK(file.line_text(1) == "one");
  CHECK(file.line_text(2) == "two");
  CHECK(file.line_column(5).line == 2);
  CHECK(file.line_column(5).column == 1);
}

TEST_CASE("the caret line keeps tabs and counts code points") {
  SourceSet sources;
  sources.add("f.rules", "\t\xC3\xA9 bad\n");
  const Diagnostic d{Severity::kError, Span{0, 4, 7}, "oops", "fix it"};
  CHECK(render(sources, d) == "f.rules:1:4: error: oops\n\t\xC3\xA9 bad\n\t  ^~~\nhint: fix it\n");
}

TEST_CASE("a caret at the end of the file still renders") {
  SourceSet sources;
  sources.add("f.rules", "rule");
  const Diagnostic d{Severity::kWarning, Span{0, 4, 4}, "at end", ""};
  CHECK(render(sources, d) == "f.rules:1:5: warning: at end\nrule\n    ^\n");
}

TEST_CASE("invalid UTF-8 is found at its first byte") {
  CHECK(find_invalid_utf8("ok \xC3\xA9") == 5);
  CHECK(find_invalid_utf8("ab\xFF") == 2);
  CHECK(find_invalid_utf8("\xC0\xAF") == 0);          // overlong
  CHECK(find_invalid_utf8("\xED\xA0\x80") == 0);      // surrogate
  CHECK(find_invalid_utf8("x\xE2\x82") == 1);         // truncated
  CHECK(find_invalid_utf8("\xF0\x9F\x98\x80") == 4);  // emoji is fine
}

}  // namespace spur
