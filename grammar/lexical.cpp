#include "grammar/lexical.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "grammar/source.hpp"

namespace spur::lexical {
namespace {

constexpr std::string_view kKeywords[] = {
    "rule",      "group",    "segment", "model",   "const",    "when",      "then",  "end",
    "priority",  "cooldown", "limit",   "per",     "pending",  "latest",    "first", "each",
    "exclusive", "disabled", "and",     "or",      "not",      "no",        "in",    "last",
    "session",   "within",   "as",      "between", "contains", "matches",   "is",    "null",
    "true",      "false",    "send",    "set",     "unset",    "increment", "by",    "emit",
    "respond",   "decide",   "count",   "sum",     "avg",      "min",       "max",   "distinct",
    "quiet",     "holdout",  "split",   "if",      "else",     "goal",      "drop",
};

struct Unit {
  std::string_view suffix;
  int64_t ms;
};
// Decreasing order: the order parts of a duration must follow.
constexpr std::array<Unit, 6> kUnits = {{
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600 * 1000LL},
    {"m", 60 * 1000LL},
    {"s", 1000LL},
    {"ms", 1LL},
}};

std::optional<uint32_t> hex4(std::string_view s) {
  uint32_t v = 0;
  if (s.size() < 4) return std::nullopt;
  const auto r = std::from_chars(s.data(), s.data() + 4, v, 16);
  if (r.ec != std::errc() || r.ptr != s.data() + 4) return std::nullopt;
  return v;
}

}  // namespace

std::span<const std::string_view> keywords() {
  return kKeywords;
}

bool is_keyword(std::string_view word) {
  const auto all = keywords();
  return std::find(all.begin(), all.end(), word) != all.end();
}

bool is_plain_identifier(std::string_view word) {
  return !word.empty() && is_identifier_start(word[0]) &&
         std::all_of(word.begin(), word.end(), is_identifier_char) && !is_keyword(word);
}

std::optional<std::string> unescape(std::string_view body, size_t& error_offset,
                                    std::string& error) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out += body[i];
      continue;
    }
    const size_t at = i;
    const char e = i + 1 < body.size() ? body[++i] : '\0';
    switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        auto cp = hex4(body.substr(i + 1));
        if (!cp) {
          error_offset = at, error = "`\\u` must be followed by four hex digits";
          return std::nullopt;
        }
        i += 4;
        if (*cp >= 0xD800 && *cp <= 0xDBFF) {
          // A high surrogate must be followed by a low one; together they are one code point.
          std::optional<uint32_t> low;
          if (body.substr(i + 1, 2) == "\\u") low = hex4(body.substr(i + 3));
          if (!low || *low < 0xDC00 || *low > 0xDFFF) {
            error_offset = at, error = "unpaired UTF-16 surrogate in `\\u` escape";
            return std::nullopt;
          }
          i += 6;
          *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
        } else if (*cp >= 0xDC00 && *cp <= 0xDFFF) {
          error_offset = at, error = "unpaired UTF-16 surrogate in `\\u` escape";
          return std::nullopt;
        }
        append_utf8(out, *cp);
        break;
      }
      default:
        error_offset = at, error = "unknown escape sequence in string";
        return std::nullopt;
    }
  }
  return out;
}

uint32_t basis_points(double percent) {
  return static_cast<uint32_t>(std::llround(percent * 100));
}

bool whole_basis_points(double percent) {
  return std::abs(percent * 100 - std::round(percent * 100)) < 1e-6;
}

std::string quote_if_needed(std::string_view name) {
  return is_plain_identifier(name) ? std::string(name) : quote(name);
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xF];
          out += kHex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::optional<int64_t> parse_duration(std::string_view text, std::string& error) {
  static constexpr const char* too_long =
      "duration is longer than 36500d (about 100 years), the longest Spur takes; write a "
      "shorter one";
  int64_t total = 0;
  size_t next_unit = 0;  // index in kUnits of the largest unit still allowed
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    const auto r = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (r.ec != std::errc()) {
      error = too_long;
      return std::nullopt;
    }
    i = static_cast<size_t>(r.ptr - text.data());
    size_t unit = kUnits.size();
    for (size_t u = 0; u < kUnits.size(); ++u) {
      const auto suffix = kUnits[u].suffix;
      // `ms` must win over `m`: a longer suffix is tried where it applies.
      if (text.substr(i, suffix.size()) == suffix &&
          !(suffix == "m" && text.substr(i, 2) == "ms")) {
        unit = u;
        break;
      }
    }
    if (unit == kUnits.size()) {
      error = "a duration part needs a unit: ms, s, m, h, d or w";
      return std::nullopt;
    }
    if (unit < next_unit) {
      error = "duration units must go from largest to smallest, each at most once (write `1h30m`)";
      return std::nullopt;
    }
    if (n > kMaxDurationMs / kUnits[unit].ms || total + n * kUnits[unit].ms > kMaxDurationMs) {
      error = too_long;
      return std::nullopt;
    }
    total += n * kUnits[unit].ms;
    next_unit = unit + 1;
    i += kUnits[unit].suffix.size();
  }
  return total;
}

std::string format_duration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) out += '-', ms = -ms;
  for (const Unit& unit : kUnits) {
    if (ms >= unit.ms) {
      out += std::to_string(ms / unit.ms);
      out += unit.suffix;
      ms %= unit.ms;
    }
  }
  return out;
}

std::string format_number(double value) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

}  // namespace spur::lexical
