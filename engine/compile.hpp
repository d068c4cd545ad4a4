// Compiling a checked rule set into a Program (program.hpp).
#pragma once

#include <memory>

#include "engine/check.hpp"
#include "engine/program.hpp"

namespace spur {

struct CompileOptions {
  // Hash index on equality tests (Program::dispatch); off only to compare with it.
  bool equality_index = true;
};

// REQUIRES: the rule set was checked without errors (check_rule_set()).
std::shared_ptr<const Program> compile(const CheckedRuleSet& rule_set, CompileOptions options = {});

}  // namespace spur
