// The canonical text of an AST: what `spur fmt` will write, and what the golden parser
// tests compare. Printing is deterministic; comments are not part of the AST: only
// print_with_comments puts them back, from the source text. parse(print(file)) gives back the same
// AST (up to spans).
#pragma once

#include <string>
#include <string_view>

#include "grammar/ast.hpp"

namespace spur {

std::string print(const ast::File& file);
// What `spur fmt` writes: print(file) with the comments of `source` (the text `file` was
// parsed from) where they stood. A comment is never dropped: one inside an expression
// that the layout puts on one line moves to that line's end or to the next line.
std::string print_with_comments(const ast::File& file, std::string_view source);
std::string print(const ast::Declaration& declaration);
std::string print(const ast::Expr& expr);

// The words of the language for operators and aggregates: "==", "not in", "count".
const char* operator_text(ast::BinaryOp op);
const char* aggregate_name(ast::AggregateFn fn);

}  // namespace spur
