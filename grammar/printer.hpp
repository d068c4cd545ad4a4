// The canonical text of an AST: what `spur fmt` will write, and what the golden parser
// tests compare. Printing is deterministic; comments are not part of the AST and are not
// printed. parse(print(file)) gives back the same AST (up to spans).
#pragma once

#include <string>

#include "grammar/ast.hpp"

namespace spur {

std::string print(const ast::File& file);
std::string print(const ast::Declaration& declaration);
std::string print(const ast::Expr& expr);

// The words of the language for operators and aggregates: "==", "not in", "count".
const char* operator_text(ast::BinaryOp op);
const char* aggregate_name(ast::AggregateFn fn);

}  // namespace spur
