#include "formats/diagnostic_json.hpp"

namespace spur {

nlohmann::ordered_json diagnostic_json(const SourceSet& sources, const Diagnostic& d) {
  const SourceFile& file = sources.file(d.span.file);
  const LineColumn begin = file.line_column(d.span.begin);
  const LineColumn end = file.line_column(d.span.end);
  nlohmann::ordered_json out = {
      {"file", file.path()},
      {"line", begin.line},
      {"column", begin.column},
      {"end_line", end.line},
      {"end_column", end.column},
      {"severity", d.severity == Severity::kError ? "error" : "warning"},
      {"message", d.message},
  };
  if (!d.hint.empty()) out["hint"] = d.hint;
  return out;
}

}  // namespace spur
