// Compiling a checked rule set into a Program (program.hpp).
#pragma once

#include <memory>

#include "check/check.hpp"
#include "engine/program.hpp"

namespace spur {

struct CompileOptions {
  // Candidate filtering by equality and bound indexes (Program::EventPlan); off only to
  // compare with plain evaluation.
  bool candidate_indexes = true;
};

// REQUIRES: the rule set was checked without errors (check_rule_set()).
std::shared_ptr<const Program> compile(const CheckedRuleSet& rule_set, CompileOptions options = {});

}  // namespace spur
