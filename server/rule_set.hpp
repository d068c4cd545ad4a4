// A rule set as the server runs it: the compiled program plus what the HTTP API shows
// of each rule (GET /v1/rules), or the diagnostics that kept it from loading.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/program.hpp"

namespace spur::server {

struct RuleInfo {
  std::string name;
  std::string description;  // the rule's title, "" when it has none
  std::string file;
  uint32_t line = 0;
  std::string source;                   // the rule's text, `rule` to `end`
  std::vector<std::string> conditions;  // text of each CompiledRule::operands entry
};

struct RuleSet {
  std::shared_ptr<const Program> program;  // null when the set has errors
  std::vector<RuleInfo> rules;             // the order of program->rules
  nlohmann::ordered_json diagnostics = nlohmann::ordered_json::array();  // errors, warnings
  size_t errors = 0;
  std::string version;  // hex fingerprint of the whole set
  int64_t loaded_ms = 0;
  // The files it was compiled from (path, text), so that the data folder can keep them
  // and a recovery compile the same program again.
  std::vector<std::pair<std::string, std::string>> files;

  // Index of the rule named `name` in rules, or -1.
  int64_t find(std::string_view name) const;
};

// A program's version (Program::version) as RuleSet::version shows it: 16 hex digits.
std::string version_text(uint64_t version);

// Reads, checks and compiles the rule files and folders of `paths`. A path that cannot
// be read is an error diagnostic without a position.
RuleSet load_rule_set(const std::vector<std::string>& paths, int64_t now_ms);

// Checks and compiles rule files held in memory (RuleSet::files of a set compiled before).
RuleSet compile_rule_files(const std::vector<std::pair<std::string, std::string>>& files,
                           int64_t now_ms);

// Checks and compiles rule text sent to POST /v1/rules/validate, named `file`.
RuleSet check_rule_text(std::string text, const std::string& file, int64_t now_ms);

}  // namespace spur::server
