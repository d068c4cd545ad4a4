// `spur fmt` (grammar/printer.hpp, print_with_comments): the layout is the printer's,
// every comment stays, formatting twice changes nothing, and the formatted rules compile
// to the same fingerprints. tests/golden/fmt/*.rules format as their .expected file.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "engine/compile.hpp"
#include "golden_support.hpp"
#include "grammar/comments.hpp"
#include "grammar/load.hpp"
#include "test_support.hpp"

namespace spur {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::rule_files;

// The text of `text` formatted; fails the test when it does not parse.
std::string formatted(const std::string& text) {
  SourceSet sources;
  sources.add("test.rules", text);
  Diagnostics diagnostics;
  const ParsedFile parsed = parse(sources, 0, diagnostics);
  REQUIRE(diagnostics.error_count() == 0);
  return print_with_comments(parsed.file, text);
}

std::vector<std::string> comment_texts(const std::string& text) {
  std::vector<std::string> out;
  for (const Comment& c : find_comments(text))
    out.push_back(c.text);
  return out;
}

// Rule name -> fingerprint of every rule of the files, compiled as one set.
std::vector<std::pair<std::string, uint64_t>> fingerprints(const std::vector<std::string>& texts) {
  SourceSet sources;
  for (size_t i = 0; i < texts.size(); ++i)
    sources.add("file" + std::to_string(i) + ".rules", texts[i]);
  Diagnostics diagnostics;
  const CheckedRuleSet checked = check_rule_set(sources, diagnostics);
  REQUIRE(diagnostics.error_count() == 0);
  std::vector<std::pair<std::string, uint64_t>> out;
  const std::shared_ptr<const Program> program = compile(checked);
  for (const CompiledRule& rule : program->rules)
    out.emplace_back(rule.name, rule.fingerprint);
  return out;
}

}  // namespace

TEST_CASE("fmt keeps every comment, is a fixed point and keeps each file's meaning") {
  std::vector<fs::path> files = rule_files(fs::path(SPUR_TEST_DATA) / "golden" / "parse");
  const auto fmt_cases = rule_files(fs::path(SPUR_TEST_DATA) / "golden" / "fmt");
  const auto examples = rule_files(fs::path(SPUR_TEST_DATA) / ".." / "rules" / "examples");
  files.insert(files.end(), fmt_cases.begin(), fmt_cases.end());
  files.insert(files.end(), examples.begin(), examples.end());
  CHECK(files.size() >= 12);
  for (const fs::path& file : files) {
    INFO("file: " << file.string());
    const std::string original = read_file(file);
    const std::string once = formatted(original);
    CHECK(comment_texts(once) == comment_texts(original));
    CHECK(formatted(once) == once);
    // The same AST, up to spans: what the printer writes without comments is the same.
    CHECK(testing::parse_and_print(once) == testing::parse_and_print(original));
  }
}

TEST_CASE("fmt: the examples compile to the same fingerprints once formatted") {
  std::vector<std::string> originals, formatted_texts;
  for (const fs::path& file : rule_files(fs::path(SPUR_TEST_DATA) / ".." / "rules" / "examples")) {
    originals.push_back(read_file(file));
    formatted_texts.push_back(formatted(originals.back()));
  }
  const auto before = fingerprints(originals);
  CHECK(before.size() >= 10);
  CHECK(fingerprints(formatted_texts) == before);
}

TEST_CASE("golden: fmt lays out and keeps comments as the .expected files") {
  for (const fs::path& file : testing::golden_cases("fmt"))
    testing::compare_with_golden(file, formatted(read_file(file)));
}

TEST_CASE("fmt: a comment's place, case by case") {
  // A trailing comment stays on its line; one inside a multi-line expression goes to the
  // end of the line the expression is printed on.
  CHECK(formatted("rule r when a  # why\n  and (profile.x == 1 or  # one\n  profile.y == 2)\n"
                  "then send log end\n") ==
        "rule r\nwhen\n  a  # why\n  and (profile.x == 1 or profile.y == 2)  # one\nthen\n"
        "  send log\nend\n");
  // A `#` inside a string is no comment.
  CHECK(formatted("const A = \"#x\"   # c\n") == "const A = \"#x\"  # c\n");
  // Comments after the last declaration, and a file of comments only.
  CHECK(formatted("const A = 1\n\n# end of file\n") == "const A = 1\n\n# end of file\n");
  CHECK(formatted("# only\n# comments\n") == "# only\n# comments\n");
  // Vertical tabs and form feeds are white space to the grammar, so to comments too: a
  // comment after them on its own line stays on its own line (found by the parse fuzzer).
  CHECK(formatted("# one\n\v  # two\n\f# three\n") == "# one\n# two\n# three\n");
  CHECK(formatted("") == "");
  // Declarations are one empty line apart, with or without comments.
  CHECK(formatted("const A = 1\nconst B = 2\n\n\n\nconst C = 3\n") ==
        "const A = 1\n\nconst B = 2\n\nconst C = 3\n");
}

}  // namespace spur
