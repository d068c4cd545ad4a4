#include "grammar/parse.hpp"

#include <string_view>

#include "grammar/lexical.hpp"
#include "grammar/peg_errors.hpp"
#include "grammar/peg_tree.hpp"
#include "grammar/suggest.hpp"
#include "grammar/syntax_hints.hpp"

namespace spur {
namespace {

namespace peg = grammar::peg;

struct SyntaxError {
  const char* at;
  const char* message;
  const char* hint;
};

// Raises a SyntaxError carrying the failed rule's message; see peg_errors.hpp.
template <typename Rule>
struct control : tao::pegtl::normal<Rule> {
  template <typename ParseInput, typename... States>
  [[noreturn]] static void raise(const ParseInput& in, States&&... /*unused*/) {
    throw SyntaxError{in.current(), peg::error_text<Rule>::message, peg::error_text<Rule>::hint};
  }
};

constexpr std::string_view kDeclarationKeywords[] = {"rule",  "group", "segment",
                                                     "model", "const", "event"};

std::string_view word_at(std::string_view text, size_t offset) {
  size_t end = offset;
  while (end < text.size() && lexical::is_identifier_char(text[end]))
    ++end;
  return text.substr(offset, end - offset);
}

bool starts_declaration(std::string_view text, size_t offset) {
  const std::string_view word = word_at(text, offset);
  // `event.sku ...` is a path, not a declaration: `event` is a keyword only when a name
  // follows it.
  const size_t after = offset + word.size();
  if (word == "event" && (after >= text.size() || (text[after] != ' ' && text[after] != '\t')))
    return false;
  for (const std::string_view keyword : kDeclarationKeywords) {
    if (word == keyword) return true;
  }
  return false;
}

// Where parsing resumes after a syntax error: the first line at or after `from` that
// starts, in column 1, with a declaration keyword; the end of the text if none does.
size_t resume_offset(std::string_view text, size_t from) {
  size_t line_start = text.rfind('\n', from == 0 ? 0 : from - 1);
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  if (line_start != from) {
    line_start = text.find('\n', from);
    if (line_start == std::string_view::npos) return text.size();
    ++line_start;
  }
  while (line_start < text.size()) {
    if (starts_declaration(text, line_start)) return line_start;
    const size_t next = text.find('\n', line_start);
    if (next == std::string_view::npos) return text.size();
    line_start = next + 1;
  }
  return text.size();
}

// The keywords a syntax error message names in backticks, as "did you mean" candidates.
std::vector<std::string> quoted_keywords(std::string_view message) {
  std::vector<std::string> out;
  for (size_t open = message.find('`'); open != std::string_view::npos;
       open = message.find('`', open + 1)) {
    const size_t close = message.find('`', open + 1);
    if (close == std::string_view::npos) break;
    const std::string_view word = message.substr(open + 1, close - open - 1);
    // `event` is a keyword only where a declaration starts (language.md section 15).
    if (lexical::is_keyword(word) || word == "event") out.emplace_back(word);
    open = close;
  }
  return out;
}

// A hint about a keyword found where the error is, or a misspelled one; "" for none.
std::string keyword_hint(std::string_view word, std::string_view message) {
  if (!lexical::is_keyword(word)) {
    const auto close = closest(word, quoted_keywords(message));
    return close.empty() ? std::string() : "did you mean `" + close + "`?";
  }
  const std::string quoted = "`" + std::string(word) + "`";
  const bool names = message.starts_with("expected a name");
  const bool values =
      message.starts_with("expected a condition") || message.starts_with("expected a value");
  // Keywords since conditional actions and experiments (language.md sections 14-15): a
  // file written before them may use them as names.
  const bool new_keyword = word == "if" || word == "else" || word == "goal" || word == "drop";
  if (new_keyword && (names || values)) {
    return quoted +
           " is now a keyword (conditional actions and experiments) and cannot be a name: "
           "rename it, or read a property of that name as `event." +
           std::string(word) + "`";
  }
  if (names) return quoted + " is a keyword and cannot be used as a name";
  if (values) {
    return quoted + " is a keyword; a property of that name is read with a path such as `event." +
           std::string(word) + "`";
  }
  return {};
}

void report(const SourceFile& source, uint32_t file, size_t offset, const char* message,
            std::string hint, Diagnostics& diagnostics) {
  const std::string_view text = source.text();
  // Input that ends too early is reported right after its last token, not on the empty
  // line after the final newline.
  if (text.find_first_not_of(" \t\r\n", offset) == std::string_view::npos) {
    const size_t last = text.find_last_not_of(" \t\r\n");
    offset = last == std::string_view::npos ? 0 : last + 1;
  }
  // A duration written another way (`24hours`) is shown whole, not from where its unit
  // stopped making sense.
  size_t token_start = offset;
  while (token_start > 0 && lexical::is_identifier_char(text[token_start - 1]))
    --token_start;
  const std::string duration = grammar::duration_hint(
      text.substr(token_start, offset - token_start + word_at(text, offset).size()));
  if (!duration.empty()) offset = token_start;
  const std::string_view word = word_at(text, offset);
  Span span{file, static_cast<uint32_t>(offset), static_cast<uint32_t>(offset + word.size())};
  if (word.empty() && offset < text.size()) span.end = span.begin + 1;
  // A hint about what was found beats the rule's general hint.
  if (!duration.empty()) {
    hint = duration;
  } else if (std::string about_word = keyword_hint(word, message); !about_word.empty()) {
    hint = std::move(about_word);
  } else if (std::string habit = grammar::habit_hint(text, offset, message); !habit.empty()) {
    hint = std::move(habit);
  }
  diagnostics.error(span, message, std::move(hint));
}

std::string name_after_keyword(std::string_view text, size_t offset) {
  size_t i = offset + word_at(text, offset).size();
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
    ++i;
  const std::string_view name = word_at(text, i);
  return lexical::is_plain_identifier(name) ? std::string(name) : std::string();
}

}  // namespace

ParsedFile parse(const SourceSet& sources, uint32_t file, Diagnostics& diagnostics) {
  namespace pegtl = tao::pegtl;
  const SourceFile& source = sources.file(file);
  const std::string_view text = source.text();
  ParsedFile parsed;
  parsed.file.source = file;

  if (const size_t bad = find_invalid_utf8(text); bad != text.size()) {
    diagnostics.error(Span{file, static_cast<uint32_t>(bad), static_cast<uint32_t>(bad + 1)},
                      "the file is not valid UTF-8", "save the rule file with UTF-8 encoding");
    return parsed;
  }

  pegtl::memory_input<pegtl::tracking_mode::lazy, pegtl::eol::lf_crlf> in(
      text.data(), text.data() + text.size(), source.path());
  (void)pegtl::parse<peg::leading_layout>(in);
  while (!in.empty()) {
    const size_t start = static_cast<size_t>(in.current() - text.data());
    try {
      const auto root = pegtl::parse_tree::parse<pegtl::must<peg::declaration>, peg::Node,
                                                 peg::selector, pegtl::nothing, control>(in);
      parsed.file.declarations.push_back(
          peg::build_declaration(*root->children.front(), text.data(), file, diagnostics));
      continue;
    } catch (const SyntaxError& e) {
      const size_t at = static_cast<size_t>(e.at - text.data());
      // An unterminated string is reported at its opening quote, not at the line's end.
      size_t where = at;
      if (std::string_view(e.message) == peg::error_text<peg::string_close>::message) {
        where = text.rfind('"', at == 0 ? 0 : at - 1);
      }
      report(source, file, where, e.message, e.hint, diagnostics);
      if (const std::string name = name_after_keyword(text, start); !name.empty()) {
        parsed.broken_names.push_back(name);
      }
      in.iterator() = text.data() + resume_offset(text, std::max(start + 1, at));
    } catch (const pegtl::parse_error& e) {
      // Only limit_depth raises a plain parse_error.
      const size_t at = e.positions().empty() ? start : e.positions().front().byte;
      report(source, file, at, "expression nested too deeply",
             "at most " + std::to_string(peg::kMaxNesting) +
                 " levels of parentheses, lists, objects, calls and `not`; split it up",
             diagnostics);
      in.iterator() = text.data() + resume_offset(text, std::max(start + 1, at));
    }
  }
  return parsed;
}

}  // namespace spur
