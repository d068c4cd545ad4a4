#include "grammar/syntax_hints.hpp"

#include <cctype>
#include <string>
#include <vector>

#include "grammar/lexical.hpp"

namespace spur::grammar {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return c == ' ' || c == '\t';
}

struct UnitWord {
  std::string_view written;
  std::string_view unit;  // the language's unit; "" for months and years (no fixed length)
};

// Units as people write them, lower case. `M` (months) is matched before lowering.
constexpr UnitWord kUnitWords[] = {
    {"w", "w"},       {"wk", "w"},           {"wks", "w"},           {"week", "w"}, {"weeks", "w"},
    {"d", "d"},       {"day", "d"},          {"days", "d"},          {"h", "h"},    {"hr", "h"},
    {"hrs", "h"},     {"hour", "h"},         {"hours", "h"},         {"m", "m"},    {"min", "m"},
    {"mins", "m"},    {"minute", "m"},       {"minutes", "m"},       {"s", "s"},    {"sec", "s"},
    {"secs", "s"},    {"second", "s"},       {"seconds", "s"},       {"ms", "ms"},  {"msec", "ms"},
    {"millis", "ms"}, {"millisecond", "ms"}, {"milliseconds", "ms"},
};

// The unit after `unit` in `1h30`-style writing: the number without a unit is the next
// smaller one.
std::string_view next_smaller(std::string_view unit) {
  if (unit == "w") return "d";
  if (unit == "d") return "h";
  if (unit == "h") return "m";
  if (unit == "m") return "s";
  return "ms";
}

std::string lower(std::string_view word) {
  std::string out(word);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr const char* kUnits =
    "the units are w (weeks), d (days), h (hours), m (minutes), s (seconds) and ms, each "
    "right after its number";

// `&&`, `||`, `!`, `=`, single quotes and a parenthesised list, seen where the error is.
std::string symbol_hint(std::string_view at, std::string_view message) {
  if (at.starts_with("=") && !at.starts_with("==")) return "use `==` to compare";
  if (at.starts_with("&&")) return "write `and` to join conditions";
  if (at.starts_with("||")) return "write `or` for either condition";
  if (at.starts_with("!") && !at.starts_with("!=")) return "write `not` to negate a condition";
  if (at.starts_with("'")) {
    const size_t close = at.find('\'', 1);
    const std::string inside(close == std::string_view::npos ? "cart" : at.substr(1, close - 1));
    return "text is written in double quotes: `\"" + inside + "\"`";
  }
  if (at.starts_with(",") && message.starts_with("expected `)`"))
    return "a list is written in brackets, as in `x in [\"vip\", \"gold\"]`";
  return {};
}

// `send email template: "cart"`: an action's values without their braces.
std::string braces_hint(std::string_view text, size_t offset, std::string_view message) {
  if (!message.starts_with("expected another action")) return {};
  size_t i = offset;
  while (i < text.size() && lexical::is_identifier_char(text[i]))
    ++i;
  if (i == offset || i >= text.size() || text[i] != ':') return {};
  const size_t line_end = std::min(text.find('\n', offset), text.size());
  std::string_view values = text.substr(offset, line_end - offset);
  while (!values.empty() && (is_space(values.back()) || values.back() == '\r'))
    values.remove_suffix(1);
  return "an action's values are written in braces: `{ " + std::string(values) + " }`";
}

std::string_view word_before(std::string_view text, size_t offset) {
  size_t before = offset;
  while (before > 0 && is_space(text[before - 1]))
    --before;
  if (before == offset) return {};
  size_t start = before;
  while (start > 0 && lexical::is_identifier_char(text[start - 1]))
    --start;
  return text.substr(start, before - start);
}

std::string_view word_after(std::string_view text, size_t end) {
  size_t start = end;
  while (start < text.size() && is_space(text[start]))
    ++start;
  if (start == end) return {};
  size_t stop = start;
  while (stop < text.size() && lexical::is_identifier_char(text[stop]))
    ++stop;
  return text.substr(start, stop - start);
}

bool capitalized(std::string_view word) {
  return !word.empty() && std::isupper(static_cast<unsigned char>(word[0]));
}

// `when Product Added then`, `no Product Viewed within 1h`: an event name with a space,
// unquoted. One of the two words starting with a capital letter tells it from a plain
// mistake such as a missing `and`.
std::string spaced_name_hint(std::string_view text, size_t offset) {
  size_t end = offset;
  while (end < text.size() && lexical::is_identifier_char(text[end]))
    ++end;
  const std::string_view word = text.substr(offset, end - offset);
  if (!lexical::is_plain_identifier(word)) return {};
  for (const auto& [first, second] :
       {std::pair{word_before(text, offset), word}, std::pair{word, word_after(text, end)}}) {
    if (!lexical::is_plain_identifier(first) || !lexical::is_plain_identifier(second) ||
        (!capitalized(first) && !capitalized(second))) {
      continue;
    }
    const std::string spaced = std::string(first) + " " + std::string(second);
    // A declaration's own name cannot be quoted: it is one word, and a title may follow.
    const std::string_view keyword =
        word_before(text, static_cast<size_t>(first.data() - text.data()));
    if (keyword == "rule" || keyword == "group" || keyword == "segment" || keyword == "model") {
      const std::string joined = std::string(first) + "_" + std::string(second);
      return "a " + std::string(keyword) + "'s name is one word, such as `" + joined +
             "`; a title in quotes may follow it: `" + std::string(keyword) + " " + joined + " \"" +
             spaced + "\"`";
    }
    return "a name with a space is written in quotes: `\"" + spaced + "\"`";
  }
  return {};
}

// `cooldown 2 days`: a number, a space, then a unit.
std::string spaced_duration_hint(std::string_view text, size_t offset) {
  size_t start = offset;
  while (start > 0 && is_digit(text[start - 1]))
    --start;
  size_t end = start;
  while (end < text.size() && is_digit(text[end]))
    ++end;
  const std::string_view number = text.substr(start, end - start);
  const std::string_view unit = word_after(text, end);
  if (number.empty() || unit.empty() || is_digit(unit[0])) return {};
  // Only a word that is a unit: `limit 2 then` is another mistake.
  const std::string hint = duration_hint(std::string(number) + std::string(unit));
  if (hint.empty() || hint == kUnits) return {};
  return "no space between a number and its unit; " + hint;
}

}  // namespace

std::string duration_hint(std::string_view token) {
  if (token.empty() || !is_digit(token[0])) return {};
  std::string written;  // the suggestion
  std::string_view last_unit;
  size_t i = 0;
  while (i < token.size()) {
    const size_t number_start = i;
    while (i < token.size() && is_digit(token[i]))
      ++i;
    const std::string_view number = token.substr(number_start, i - number_start);
    const size_t unit_start = i;
    while (i < token.size() && !is_digit(token[i]))
      ++i;
    const std::string_view unit = token.substr(unit_start, i - unit_start);
    if (number.empty()) return {};
    if (unit.empty()) {
      if (last_unit.empty()) return {};  // a bare number is not a duration mistake
      written += std::string(number) + std::string(next_smaller(last_unit));
      break;
    }
    const std::string unit_lower = lower(unit);
    const long long n = std::stoll(std::string(number.substr(0, 12)));
    if (unit == "M" || unit_lower == "mo" || unit_lower.starts_with("month")) {
      return "`" + std::string(unit) +
             "` is not a unit: months have no fixed length, so Spur has none; write days, "
             "such as `" +
             std::to_string(n * 30) + "d` for " + std::string(number) +
             (n == 1 ? " month" : " months") + " of 30 days";
    }
    if (unit_lower == "y" || unit_lower == "yr" || unit_lower.starts_with("year")) {
      return "`" + std::string(unit) + "` is not a unit: write days, such as `" +
             std::to_string(n * 365) + "d` for " + std::string(number) +
             (n == 1 ? " year" : " years") + " of 365 days";
    }
    std::string_view known;
    for (const UnitWord& w : kUnitWords) {
      if (w.written == unit_lower) known = w.unit;
    }
    if (known.empty()) return std::string(kUnits);
    written += std::string(number) + std::string(known);
    last_unit = known;
  }
  if (written == token) return {};
  return "write `" + written + "`: " + std::string(kUnits);
}

std::string habit_hint(std::string_view text, size_t offset, std::string_view message) {
  if (std::string hint = braces_hint(text, offset, message); !hint.empty()) return hint;
  if (std::string hint = spaced_duration_hint(text, offset); !hint.empty()) return hint;
  if (std::string hint = spaced_name_hint(text, offset); !hint.empty()) return hint;
  return symbol_hint(text.substr(offset), message);
}

}  // namespace spur::grammar
