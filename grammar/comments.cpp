#include "grammar/comments.hpp"

namespace spur {
namespace {

// White space as the grammar's `space` has it (PEGTL: also vertical tab and form feed),
// but for the newline, which ends a line here.
bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

std::vector<Comment> find_comments(std::string_view text) {
  std::vector<Comment> comments;
  bool previous_line_blank = false;
  size_t line = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // a byte order mark is no code
  while (line < text.size()) {
    size_t line_end = text.find('\n', line);
    if (line_end == std::string_view::npos) line_end = text.size();
    bool code = false;
    bool in_string = false;
    for (size_t i = line; i < line_end; ++i) {
      const char c = text[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = code = true;
      } else if (c == '#') {
        size_t stop = line_end;
        while (stop > i && blank(text[stop - 1]))
          --stop;
        comments.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(stop),
                            std::string(text.substr(i, stop - i)), code,
                            !code && previous_line_blank});
        break;
      } else if (!blank(c)) {
        code = true;
      }
    }
    bool line_blank = true;
    for (size_t i = line; i < line_end && line_blank; ++i)
      line_blank = blank(text[i]);
    previous_line_blank = line_blank;
    line = line_end + 1;
  }
  return comments;
}

bool blank_line_between(std::string_view text, size_t from, size_t to) {
  const size_t first_break = text.find('\n', from);
  if (first_break == std::string_view::npos || first_break >= to) return false;
  size_t line = first_break + 1;
  while (line < to) {
    size_t line_end = text.find('\n', line);
    if (line_end == std::string_view::npos || line_end >= to) return false;
    bool empty = true;
    for (size_t i = line; i < line_end && empty; ++i)
      empty = blank(text[i]);
    if (empty) return true;
    line = line_end + 1;
  }
  return false;
}

}  // namespace spur
