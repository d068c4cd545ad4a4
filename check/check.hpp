// Checking a rule set: names, types and the restrictions of the language
// (language.md sections 3-5, 8-10, 12 and 13).
//
// Lifecycle: load sources -> check_rule_set() -> (later) compile. A rule set with errors
// is never installed; warnings do not stop it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "grammar/ast.hpp"
#include "grammar/diagnostic.hpp"
#include "grammar/source.hpp"

namespace spur {

struct RuleSetCounts {
  size_t rules = 0;
  size_t segments = 0;
  size_t groups = 0;
  size_t models = 0;
  size_t consts = 0;
};

struct CheckedRuleSet {
  std::vector<ast::File> files;  // in declaration order (section 3)
  RuleSetCounts counts;
};

// What the checker is told of the deployment the rules are for (`spur check --config`).
struct CheckContext {
  // The adapters a `send` may name (the configuration's `actions`), when a configuration
  // lists any: without `actions`, the log adapter takes every send (config.md).
  std::optional<std::vector<std::string>> adapters;
  std::string config_path;  // named in the warnings
};

// Parses every file of `sources`, in order, and checks all of them together (names are
// unique across the whole set). Every problem found goes to `diagnostics`, sorted by
// file and position; the result is usable only when diagnostics.error_count() == 0.
CheckedRuleSet check_rule_set(const SourceSet& sources, Diagnostics& diagnostics,
                              const CheckContext& context = {});

}  // namespace spur
