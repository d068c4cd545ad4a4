// The comments of a rule file, which the AST does not keep: `spur fmt` puts them back
// where they stood (printer.hpp, print_with_comments).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spur {

struct Comment {
  uint32_t offset = 0;        // byte offset of its `#`
  uint32_t end = 0;           // byte offset just after its last character
  std::string text;           // from `#` to the line's end, trailing blanks removed
  bool trailing = false;      // code stands before it on its line
  bool blank_before = false;  // an empty line separates it from the line above
};

// Every comment of `text`, in order. A `#` inside a string is not a comment; strings do
// not span lines (language.md section 2).
std::vector<Comment> find_comments(std::string_view text);

// Whether an empty line (blanks only) lies between offsets `from` and `to` of `text`.
bool blank_line_between(std::string_view text, size_t from, size_t to);

}  // namespace spur
