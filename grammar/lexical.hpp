// Lexical facts of the rule language (language.md section 2), shared by the parser, the
// printer and the checker.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace spur::lexical {

// The reserved words, in the order of language.md section 2.
std::span<const std::string_view> keywords();
bool is_keyword(std::string_view word);
inline bool is_identifier_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool is_identifier_char(char c) {
  return is_identifier_start(c) || (c >= '0' && c <= '9');
}
// True for a word that may stand as a bare name: identifier-shaped and not a keyword.
bool is_plain_identifier(std::string_view word);

// Decodes the body of a string literal (between the quotes). On a bad escape or a lone
// UTF-16 surrogate, returns nullopt and sets `error_offset` (relative to the body) and
// `error`.
std::optional<std::string> unescape(std::string_view body, size_t& error_offset,
                                    std::string& error);
// Writes `text` as a quoted string literal that unescape() reads back to `text`.
std::string quote(std::string_view text);
// A name as a rule file writes it: bare when it is a plain identifier, quoted otherwise
// (`purchase`, `"Product Added"`).
std::string quote_if_needed(std::string_view name);

// A share written in percent (`12.5%`), in basis points (1250), rounded to the nearest.
uint32_t basis_points(double percent);
// Whether the percent is written with at most two decimals (the checker's rule).
bool whole_basis_points(double percent);

// The longest duration Spur takes: 36500d, about 100 years (docs/language.md). With
// event times bounded too (time/time_text.hpp), no time plus a duration overflows.
constexpr int64_t kMaxDurationMs = int64_t{36'500} * 86'400'000;

// Reads a duration literal (`1h30m`). Units must come in decreasing order, each at most
// once (section 13), and the whole at most kMaxDurationMs; otherwise returns nullopt and
// sets `error`.
std::optional<int64_t> parse_duration(std::string_view text, std::string& error);
// Formats milliseconds in the language's syntax, largest unit first: 5400000 -> "1h30m".
std::string format_duration(int64_t ms);

// Shortest decimal form that reads back to the same double ("3", "2.5", "1e+21").
std::string format_number(double value);

}  // namespace spur::lexical
