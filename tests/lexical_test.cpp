#include "grammar/lexical.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace spur::lexical {

TEST_CASE("durations read in decreasing unit order, each unit once") {
  std::string error;
  CHECK(parse_duration("500ms", error) == 500);
  CHECK(parse_duration("30s", error) == 30'000);
  CHECK(parse_duration("15m", error) == 900'000);
  CHECK(parse_duration("24h", error) == 86'400'000);
  CHECK(parse_duration("7d", error) == 604'800'000);
  CHECK(parse_duration("2w", error) == 1'209'600'000);
  CHECK(parse_duration("1h30m", error) == 5'400'000);
  CHECK(parse_duration("1d2h3m4s5ms", error) == 93'784'005);
  CHECK(parse_duration("0s", error) == 0);
  CHECK_FALSE(parse_duration("30m1h", error));
  CHECK(error.find("largest to smallest") != std::string::npos);
  CHECK_FALSE(parse_duration("1h1h", error));
  CHECK_FALSE(parse_duration("1s1ms1s", error));
  CHECK_FALSE(parse_duration("99999999999999999999d", error));
}

TEST_CASE("durations format largest unit first") {
  CHECK(format_duration(5'400'000) == "1h30m");
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(1) == "1ms");
  CHECK(format_duration(90 * 86'400'000LL) == "12w6d");
  CHECK(format_duration(-60'000) == "-1m");
}

TEST_CASE("string escapes decode, surrogate pairs are one code point") {
  size_t at = 0;
  std::string error;
  CHECK(unescape(R"(a\"b\\c\nd\te)", at, error) == "a\"b\\c\nd\te");
  CHECK(unescape(R"(\u00e9)", at, error) == "\xC3\xA9");
  CHECK(unescape(R"(\ud83d\ude00)", at, error) == "\xF0\x9F\x98\x80");
  CHECK_FALSE(unescape(R"(x\q)", at, error));
  CHECK(at == 1);
  CHECK_FALSE(unescape(R"(\ud83d)", at, error));
  CHECK(error.find("surrogate") != std::string::npos);
  CHECK_FALSE(unescape(R"(\ude00)", at, error));
  CHECK_FALSE(unescape(R"(\u12)", at, error));
}

TEST_CASE("quote is the inverse of unescape") {
  for (const std::string& text :
       std::vector<std::string>{"plain", "with \"quotes\"", "back\\slash", "line\nbreak\ttab",
                                std::string("\x01\x1f", 2), "Chlo\xC3\xA9"}) {
    const std::string quoted = quote(text);
    size_t at = 0;
    std::string error;
    CHECK(unescape(std::string_view(quoted).substr(1, quoted.size() - 2), at, error) == text);
  }
}

TEST_CASE("keywords are reserved, other words are identifiers") {
  CHECK(keywords().size() == 55);
  CHECK(is_keyword("within"));
  // Since sections 14 and 15: conditional actions, goals, quiet hours that drop.
  CHECK(is_keyword("if"));
  CHECK(is_keyword("else"));
  CHECK(is_keyword("goal"));
  CHECK(is_keyword("drop"));
  CHECK(is_keyword("distinct"));
  CHECK_FALSE(is_keyword("event"));
  CHECK_FALSE(is_keyword("profile"));
  CHECK_FALSE(is_keyword("features"));
  CHECK(is_plain_identifier("add_to_cart"));
  CHECK(is_plain_identifier("_x1"));
  CHECK_FALSE(is_plain_identifier("first"));
  CHECK_FALSE(is_plain_identifier("1x"));
  CHECK_FALSE(is_plain_identifier("Product Added"));
}

TEST_CASE("numbers print in their shortest exact form") {
  CHECK(format_number(3) == "3");
  CHECK(format_number(2.5) == "2.5");
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(-7) == "-7");
  CHECK(format_number(1e21) == "1e+21");
}

}  // namespace spur::lexical
