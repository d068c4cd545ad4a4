// The checker over whole rule sets; one-construct cases live in the golden files.
#include <doctest/doctest.h>

#include "test_support.hpp"

namespace spur {

using testing::check_text;

TEST_CASE("a clean rule set counts its declarations") {
  const auto f = check_text(
      "const X = 1\n"
      "group g\n  exclusive\nend\n"
      "segment s when profile.ltv > X end\n"
      "model m features { a: profile.a } end\n"
      "rule r group g when a as e and e.v > X then send log { v: e.v } end\n"
      "rule q when decide home then respond { m: 1 } end\n");
  CHECK(f.rendered() == "");
  CHECK(f.rule_set.counts.rules == 2);
  CHECK(f.rule_set.counts.segments == 1);
  CHECK(f.rule_set.counts.groups == 1);
  CHECK(f.rule_set.counts.models == 1);
  CHECK(f.rule_set.counts.consts == 1);
}

TEST_CASE("names are unique per kind across files") {
  SourceSet sources;
  sources.add("a.rules", "rule r when a then send log end\n");
  sources.add("b.rules", "\nrule r when b then send log end\nsegment r when true end\n");
  Diagnostics diagnostics;
  check_rule_set(sources, diagnostics);
  REQUIRE(diagnostics.error_count() == 1);
  const Diagnostic& d = diagnostics.all().front();
  CHECK(render(sources, d) ==
        "b.rules:2:6: error: duplicate rule `r`\n"
        "rule r when b then send log end\n"
        "     ^\n"
        "hint: the first is declared at a.rules:1:6; names are unique per kind across all loaded "
        "files\n");
}

TEST_CASE("a file read twice reports duplicate declarations") {
  SourceSet sources;
  const std::string text = "rule r when a then send log end\n";
  sources.add("a.rules", text);
  sources.add("a.rules", text);
  Diagnostics diagnostics;
  check_rule_set(sources, diagnostics);
  CHECK(diagnostics.error_count() == 1);
}

TEST_CASE("every error of a file is reported in one run, in source order") {
  const auto f = check_text(
      "rule a when x as e and crat.sku == 1 then send log end\n"
      "rule b when x and lowr(1) == 1 then send log end\n"
      "rule c when x and purchase within 0s then respond { a: 1 } end\n");
  CHECK(f.diagnostics.error_count() == 4);
  const auto& all = f.diagnostics.all();
  for (size_t i = 1; i < all.size(); ++i)
    CHECK(all[i - 1].span.begin <= all[i].span.begin);
}

TEST_CASE("a group whose declaration has a syntax error is not also unknown") {
  const auto f =
      check_text("group email\n  limit per 1d\nend\nrule r group email when a then send log end\n");
  CHECK(f.diagnostics.error_count() == 1);
  CHECK(f.rendered().find("unknown group") == std::string::npos);
}

TEST_CASE("parentheses around a run of ands keep future patterns in the chain") {
  CHECK(check_text("rule r when a and (profile.x and purchase within 1h) then send log end")
            .diagnostics.error_count() == 0);
  CHECK(check_text("rule r when a and (profile.x or purchase within 1h) then send log end")
            .diagnostics.error_count() == 1);
}

TEST_CASE("filters see the candidate's properties, consts, profile and the alias shadow them") {
  const auto f = check_text(
      "const LIMIT = 5\n"
      "rule r when a as cart and purchase[sku == cart.sku and amount > LIMIT and profile.vip] "
      "within 1d\n"
      "then send log end\n");
  CHECK(f.rendered() == "");
}

TEST_CASE("warnings alone leave the rule set installable") {
  const auto f = check_text("rule r disabled when a and profile.ltv > \"500\" then send log end");
  CHECK(f.diagnostics.error_count() == 0);
  CHECK(f.diagnostics.warning_count() == 2);
}

}  // namespace spur
