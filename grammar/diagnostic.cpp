#include "grammar/diagnostic.hpp"

#include <algorithm>
#include <tuple>

namespace spur {

void Diagnostics::error(Span span, std::string message, std::string hint) {
  items_.push_back({Severity::kError, span, std::move(message), std::move(hint)});
  ++errors_;
}

void Diagnostics::warning(Span span, std::string message, std::string hint) {
  items_.push_back({Severity::kWarning, span, std::move(message), std::move(hint)});
}

void Diagnostics::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.span.file, a.span.begin) < std::tie(b.span.file, b.span.begin);
  });
}

std::string render(const SourceSet& sources, const Diagnostic& d) {
  const SourceFile& file = sources.file(d.span.file);
  const LineColumn at = file.line_column(d.span.begin);
  std::string out = file.path() + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                    (d.severity == Severity::kError ? ": error: " : ": warning: ") + d.message +
                    "\n";
  const std::string_view line = file.line_text(at.line);
  out += line;
  out += '\n';
  // The caret line copies the tabs before the token so the caret stays under it.
  const uint32_t line_start = file.line_offset(at.line);
  const uint32_t caret_at = std::min<uint32_t>(d.span.begin - line_start, line.size());
  for (uint32_t i = 0; i < caret_at; ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if ((c & 0xC0) != 0x80) out += c == '\t' ? '\t' : ' ';
  }
  out += '^';
  // The token's width in code points, clipped to the end of its line.
  const uint32_t token_end = std::min<uint32_t>(d.span.end - line_start, line.size());
  if (token_end > caret_at + 1) {
    const uint32_t width = count_code_points(line.substr(caret_at, token_end - caret_at));
    out.append(width - 1, '~');
  }
  out += '\n';
  if (!d.hint.empty()) out += "hint: " + d.hint + "\n";
  return out;
}

}  // namespace spur
