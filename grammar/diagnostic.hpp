// Diagnostics: what is wrong in rule text, where, and how to fix it.
//
// Every problem found in rule text (syntax, names, types, restrictions) becomes a
// Diagnostic; they are all collected so that one run of `spur check` reports every
// error of every file, not only the first (language.md section 12).
#pragma once

#include <string>
#include <vector>

#include "grammar/source.hpp"

namespace spur {

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  Span span;
  std::string message;  // one line, no trailing period
  std::string hint;     // empty when none helps
};

class Diagnostics {
 public:
  void error(Span span, std::string message, std::string hint = {});
  void warning(Span span, std::string message, std::string hint = {});

  const std::vector<Diagnostic>& all() const { return items_; }
  size_t error_count() const { return errors_; }
  size_t warning_count() const { return items_.size() - errors_; }

  // Orders diagnostics by file, position, then the order they were reported in.
  void sort();

 private:
  std::vector<Diagnostic> items_;
  size_t errors_ = 0;
};

// Renders one diagnostic as in language.md section 12:
//   path:line:col: error: message
//   <the source line>
//   <caret under the token: ^~~~>
//   hint: ...
// Tabs of the source line are kept in the caret line so the caret stays aligned.
std::string render(const SourceSet& sources, const Diagnostic& diagnostic);

}  // namespace spur
