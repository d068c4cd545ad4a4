// Rule source text and positions in it.
//
// A SourceSet owns the text of every file of a rule set; everything else (AST nodes,
// diagnostics) refers to text through a Span of byte offsets into one of its files, so
// no string_view into the text outlives it. Line and column are computed only when a
// diagnostic is rendered: columns are 1-based and count Unicode code points, so a tab or
// an "é" is one column.
//
// Thread-safety: a SourceSet is not modified after loading; const methods may be called
// from several threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spur {

// A half-open byte range [begin, end) in file `file` of a SourceSet.
struct Span {
  uint32_t file = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
};

// Joins two spans of the same file into the smallest span that covers both.
Span cover(Span a, Span b);

// 1-based line and code-point column of a byte offset.
struct LineColumn {
  uint32_t line = 1;
  uint32_t column = 1;
};

class SourceFile {
 public:
  // `text` is the file's bytes; a UTF-8 byte order mark, if any, is kept in the text but
  // skipped by the parser.
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }

  LineColumn line_column(uint32_t offset) const;
  // The text of 1-based line `line` without its line terminator (\n or \r\n).
  std::string_view line_text(uint32_t line) const;
  // Byte offset of the first byte of 1-based line `line`.
  uint32_t line_offset(uint32_t line) const { return line_starts_[line - 1]; }

 private:
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;  // byte offset of the first byte of each line
};

class SourceSet {
 public:
  // Adds a file and returns its index, the `file` of the spans into it.
  uint32_t add(std::string path, std::string text);

  const SourceFile& file(uint32_t index) const { return files_[index]; }
  size_t size() const { return files_.size(); }

 private:
  std::vector<SourceFile> files_;
};

// Number of Unicode code points in UTF-8 text (continuation bytes are not counted).
uint32_t count_code_points(std::string_view text);

// Offset of the first byte that is not valid UTF-8, or text.size() when all of it is.
size_t find_invalid_utf8(std::string_view text);

// UTF-8 to code points and back. REQUIRES for decode: valid UTF-8.
std::u32string decode_utf8(std::string_view text);
void append_utf8(std::string& out, char32_t code_point);

}  // namespace spur
