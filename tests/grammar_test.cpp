// The grammar and the AST: structure of every construct, layout edge cases, recovery.
// Whole files of constructs are covered by the golden tests (golden_test.cpp).
#include <doctest/doctest.h>

#include <tao/pegtl/contrib/analyze.hpp>

#include "grammar/peg_grammar.hpp"
#include "test_support.hpp"

namespace spur {
namespace {

using testing::parse_and_print;

// The condition of the only rule in `text`.
ast::Expr condition_of(const std::string& text) {
  SourceSet sources;
  sources.add("t.rules", "rule r when x as e and " + text + " then send log end");
  Diagnostics diagnostics;
  ParsedFile parsed = parse(sources, 0, diagnostics);
  REQUIRE(diagnostics.all().empty());
  return *std::get<ast::Rule>(parsed.file.declarations.at(0)).condition;
}

}  // namespace

TEST_CASE("the grammar has no cycles without progress") {
  CHECK(tao::pegtl::analyze<grammar::peg::declaration>(-1) == 0);
}

TEST_CASE("precedence: or < and < not < comparison < sum < product") {
  const ast::Expr e = condition_of("e.a or e.b and not e.c > 1 + 2 * 3");
  REQUIRE(e.kind == ast::ExprKind::kBinary);
  CHECK(e.op == ast::BinaryOp::kOr);
  const ast::Expr& conj = e.children[1];
  CHECK(conj.op == ast::BinaryOp::kAnd);
  const ast::Expr& negation = conj.children[1];
  CHECK(negation.kind == ast::ExprKind::kNot);
  const ast::Expr& greater = negation.children[0];
  CHECK(greater.op == ast::BinaryOp::kGt);
  const ast::Expr& sum = greater.children[1];
  CHECK(sum.op == ast::BinaryOp::kAdd);
  CHECK(sum.children[1].op == ast::BinaryOp::kMul);
}

TEST_CASE("arithmetic is left-associative") {
  const ast::Expr e = condition_of("e.a - 1 - 2 > 0");
  const ast::Expr& minus = e.children[0];
  CHECK(minus.op == ast::BinaryOp::kSub);
  CHECK(minus.children[0].op == ast::BinaryOp::kSub);
  CHECK(print(e) == "e.a - 1 - 2 > 0");
  CHECK(print(condition_of("e.a - (1 - 2) > 0")) == "e.a - (1 - 2) > 0");
}

TEST_CASE("literals decode: percent, negative numbers, durations, escapes") {
  CHECK(condition_of("e.a == 10%").children[1].number == doctest::Approx(0.1));
  CHECK(condition_of("e.a == -3").children[1].number == -3);
  CHECK(condition_of("e.a == 1e3").children[1].number == 1000);
  CHECK(condition_of("e.a == 1h30m").children[1].duration.ms == 5'400'000);
  CHECK(condition_of(R"(e.a == "\u00e9\n")").children[1].text == "\xC3\xA9\n");
}

TEST_CASE("patterns: past, future, session, filters, no") {
  const ast::Expr past = condition_of("page_view in last 30m");
  CHECK(past.kind == ast::ExprKind::kPattern);
  CHECK(past.window == ast::WindowKind::kLast);
  CHECK(past.window_length.ms == 1'800'000);
  const ast::Expr future = condition_of("purchase[sku == e.sku] within 24h");
  CHECK(future.is_future_pattern());
  CHECK(future.has_filter);
  CHECK(condition_of("\"Product Added\" in session").event.text == "Product Added");
  const ast::Expr no = condition_of("no purchase within 1d");
  CHECK(no.kind == ast::ExprKind::kNo);
  CHECK(no.children[0].is_future_pattern());
  // `x in list` is a comparison, not a pattern.
  CHECK(condition_of("category in [\"a\"]").op == ast::BinaryOp::kIn);
}

TEST_CASE("keywords are names after a dot and as object keys") {
  CHECK(print(condition_of("e.first == e.limit")) == "e.first == e.limit");
  CHECK(parse_and_print("rule r when x then send log { limit: 1, \"two words\": 2 } end") ==
        "rule r\nwhen\n  x\nthen\n  send log { limit: 1, \"two words\": 2 }\nend\n");
}

TEST_CASE("empty files and files of comments hold no declarations") {
  CHECK(parse_and_print("") == "");
  CHECK(parse_and_print("# only a comment\n\n   # another\n") == "");
  CHECK(parse_and_print("\xEF\xBB\xBF# byte order mark first\n") == "");
  CHECK(parse_and_print("# no newline at the end") == "");
}

TEST_CASE("CRLF, tabs and Unicode parse like LF and spaces") {
  const std::string lf =
      "rule r \"Caf\xC3\xA9\xF0\x9F\x98\x80\"\nwhen\n  x # \xC3\xA9t\xC3\xA9\n  and e.a > "
      "1\nthen\n  send log\nend\n";
  std::string crlf_tabs;
  for (const char c : lf) {
    if (c == '\n')
      crlf_tabs += "\r\n";
    else if (c == ' ')
      crlf_tabs += "\t";
    else
      crlf_tabs += c;
  }
  // `e` is not in scope, but parsing does not care.
  const std::string expected =
      "rule r \"Caf\xC3\xA9\xF0\x9F\x98\x80\"\nwhen\n  x\n  and e.a > 1\nthen\n  send log\nend\n";
  CHECK(parse_and_print(lf) == expected);
  CHECK(parse_and_print(crlf_tabs) == expected);
}

TEST_CASE("a syntax error on a CRLF line is reported with the right column") {
  const std::string out = parse_and_print("rule r\r\nwhen x and e.a = 1\r\nthen send log end\r\n");
  CHECK(out.find("test.rules:2:16: error: expected `and`, `or` or `then`") != std::string::npos);
}

TEST_CASE("recovery: every broken declaration is reported, good ones survive") {
  const std::string out = parse_and_print(
      "rule a when x and then send log end\n"
      "rule b when x then send log end\n"
      "rule c when x and (e.a then send log end\n"
      "group g\n  exclusive\nend\n");
  CHECK(out.find("rule b\n") != std::string::npos);
  CHECK(out.find("group g\n") != std::string::npos);
  CHECK(out.find("test.rules:1:19: error: expected a condition after `and`") != std::string::npos);
  CHECK(out.find("test.rules:3:24: error: expected `)`") != std::string::npos);
}

TEST_CASE("nesting deeper than the limit is an error, not a crash") {
  const std::string deep = std::string(5000, '(') + "1" + std::string(5000, ')');
  const std::string out = parse_and_print("rule r when x and " + deep + " > 0 then send log end\n");
  CHECK(out.find("error: expression nested too deeply") != std::string::npos);
  const std::string nots = "rule r when x and " + [] {
    std::string s;
    for (int i = 0; i < 5000; ++i)
      s += "not ";
    return s;
  }() + "true then send log end\n";
  CHECK(parse_and_print(nots).find("nested too deeply") != std::string::npos);
}

TEST_CASE("a long chain of operators is an error, not a deep tree") {
  std::string sum = "1";
  for (int i = 0; i < 100000; ++i)
    sum += " + 1";
  const auto f = testing::check_text("rule r when x and " + sum + " > 0 then send log end\n");
  CHECK(f.rendered().find("error: expression nested too deeply") != std::string::npos);
  std::string ok = "1";
  for (int i = 0; i < 200; ++i)
    ok += " * 2";
  CHECK(testing::check_text("rule r when x and " + ok + " > 0 then send log end\n")
            .diagnostics.error_count() == 0);
}

TEST_CASE("printing is a fixed point: parse(print(x)) prints as x") {
  const std::string text =
      "const L = [1, -2, \"x\", 3%]\n"
      "rule r \"t\" priority -5 cooldown 90m pending each limit 2 per 7d when a | \"B c\" as e\n"
      " and (e.a > 1 or not e.b) and e.c between 1 and 2 and e.d matches \"^x\"\n"
      " and e.f is not null and count(p[v > 1] in session) >= 2 and -e.g < 3\n"
      " and sum(p.amount in last 1d) > avg(p.x.y in last 2d) and e.@time < now() - 1h\n"
      " and no q within 2h and r[s == e.s] within 1d\n"
      "then send s { a: [1, { b: 2 }], c: e.@id } set profile.x = e.a * (2 + 3)\n"
      " increment profile.n by 2 unset profile.y emit \"Done it\" respond { z: 1 } end\n";
  const std::string once = parse_and_print(text);
  CHECK(once.find("error") == std::string::npos);
  CHECK(parse_and_print(once) == once);
}

}  // namespace spur
