// Parsing rule text into an AST.
//
// parse() reports every syntax error of a file, not only the first: after an error it
// resumes at the next line that starts (in column 1) with a declaration keyword, so the
// declarations after a broken one are still parsed and checked.
#pragma once

#include "grammar/ast.hpp"
#include "grammar/diagnostic.hpp"
#include "grammar/source.hpp"

namespace spur {

struct ParsedFile {
  ast::File file;
  // Names of declarations that had a syntax error and are missing from `file`, so that
  // the checker does not also report them as unknown.
  std::vector<std::string> broken_names;
};

ParsedFile parse(const SourceSet& sources, uint32_t file, Diagnostics& diagnostics);

}  // namespace spur
