#include "server/rule_set.hpp"

#include <cstdio>
#include <unordered_map>
#include <variant>

#include "check/check.hpp"
#include "engine/compile.hpp"
#include "formats/diagnostic_json.hpp"
#include "grammar/load.hpp"

namespace spur::server {
namespace {

RuleSet compile_sources(const SourceSet& sources, int64_t now_ms) {
  RuleSet set;
  set.loaded_ms = now_ms;
  Diagnostics diagnostics;
  const CheckedRuleSet checked = check_rule_set(sources, diagnostics);
  for (const Diagnostic& d : diagnostics.all())
    set.diagnostics.push_back(diagnostic_json(sources, d));
  set.errors = diagnostics.error_count();
  if (set.errors > 0) return set;
  set.program = compile(checked);
  set.version = version_text(set.program->version);
  for (size_t i = 0; i < sources.size(); ++i)
    set.files.emplace_back(sources.file(static_cast<uint32_t>(i)).path(),
                           std::string(sources.file(static_cast<uint32_t>(i)).text()));

  std::unordered_map<std::string_view, const ast::Rule*> declared;
  for (const ast::File& file : checked.files) {
    for (const ast::Declaration& declaration : file.declarations) {
      if (const auto* rule = std::get_if<ast::Rule>(&declaration))
        declared.emplace(rule->name.text, rule);
    }
  }
  for (const CompiledRule& compiled : set.program->rules) {
    RuleInfo& info = set.rules.emplace_back();
    info.name = compiled.name;
    for (const Span& span : compiled.operand_spans) {
      info.conditions.push_back(
          sources.file(span.file).text().substr(span.begin, span.end - span.begin));
    }
    const auto it = declared.find(compiled.name);
    if (it == declared.end()) continue;
    const ast::Rule& rule = *it->second;
    const SourceFile& file = sources.file(rule.span.file);
    info.description = rule.title.value_or("");
    info.file = file.path();
    info.line = file.line_column(rule.span.begin).line;
    info.source = file.text().substr(rule.span.begin, rule.span.end - rule.span.begin);
  }
  return set;
}

}  // namespace

std::string version_text(uint64_t version) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(version));
  return text;
}

int64_t RuleSet::find(std::string_view name) const {
  for (size_t i = 0; i < rules.size(); ++i) {
    if (rules[i].name == name) return static_cast<int64_t>(i);
  }
  return -1;
}

RuleSet load_rule_set(const std::vector<std::string>& paths, int64_t now_ms) {
  SourceSet sources;
  const std::vector<std::string> problems = load_rule_files(paths, sources);
  if (problems.empty()) return compile_sources(sources, now_ms);
  RuleSet set;
  set.loaded_ms = now_ms;
  for (const std::string& problem : problems) {
    set.diagnostics.push_back({{"severity", "error"}, {"message", problem}});
    ++set.errors;
  }
  return set;
}

RuleSet compile_rule_files(const std::vector<std::pair<std::string, std::string>>& files,
                           int64_t now_ms) {
  SourceSet sources;
  for (const auto& [path, text] : files)
    sources.add(path, text);
  return compile_sources(sources, now_ms);
}

RuleSet check_rule_text(std::string text, const std::string& file, int64_t now_ms) {
  SourceSet sources;
  sources.add(file, std::move(text));
  return compile_sources(sources, now_ms);
}

}  // namespace spur::server
