// `spur fmt [--check] PATH...`: rewrites rule files in the printer's canonical layout,
// their comments where they stood (grammar/printer.hpp, print_with_comments).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "grammar/load.hpp"
#include "grammar/parse.hpp"
#include "grammar/printer.hpp"

namespace spur::cli {
namespace {

// Replaces `path` by `text` through a file beside it and a rename, so that a crash or a
// full disk never leaves a rule file half written.
bool write_atomically(const std::string& path, const std::string& text, std::string& error) {
  const std::string temporary = path + ".spur-fmt.tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      error = "cannot write " + temporary;
      std::filesystem::remove(temporary);
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    error = "cannot replace " + path + ": " + ec.message();
    std::filesystem::remove(temporary);
    return false;
  }
  return true;
}

}  // namespace

int fmt_command(std::span<const std::string> args) {
  bool check_only = false;
  std::vector<std::string> paths;
  for (const std::string& arg : args) {
    if (arg == "--check") {
      check_only = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::cerr << "spur fmt: unknown option `" << arg << "`\n\n" << usage("fmt");
      return kExitUsage;
    } else {
      paths.push_back(arg);
    }
  }
  if (paths.empty()) {
    std::cerr << "spur fmt: no rule files or folders given\n\n" << usage("fmt");
    return kExitUsage;
  }
  SourceSet sources;
  if (const std::vector<std::string> problems = load_rule_files(paths, sources);
      !problems.empty()) {
    for (const std::string& problem : problems)
      std::cerr << "spur fmt: " << problem << "\n";
    return kExitUsage;
  }

  // A file that does not parse is never rewritten: its text past the error is not in
  // the AST.
  Diagnostics diagnostics;
  size_t broken = 0;
  size_t changed = 0;
  bool write_failed = false;
  for (uint32_t index = 0; index < sources.size(); ++index) {
    const SourceFile& source = sources.file(index);
    const size_t errors_before = diagnostics.error_count();
    const ParsedFile parsed = parse(sources, index, diagnostics);
    if (diagnostics.error_count() > errors_before) {
      ++broken;
      continue;
    }
    const std::string formatted = print_with_comments(parsed.file, source.text());
    if (formatted == source.text()) continue;
    ++changed;
    if (check_only) {
      std::cout << source.path() << "\n";
      continue;
    }
    if (std::string error; !write_atomically(source.path(), formatted, error)) {
      std::cerr << "spur fmt: " << error << "\n";
      write_failed = true;
    }
  }
  for (const Diagnostic& d : diagnostics.all())
    std::cerr << render(sources, d);
  if (broken > 0) {
    std::cerr << "spur fmt: "
              << (broken == 1 ? "1 file has syntax errors and was left as it is"
                              : std::to_string(broken) +
                                    " files have syntax errors and were left as they are")
              << "; fix them (spur check) and run spur fmt again\n";
  }
  if (check_only && changed > 0) {
    std::cerr << "spur fmt: " << changed << (changed == 1 ? " file is" : " files are")
              << " not in canonical form; `spur fmt PATH` rewrites them\n";
  }
  if (write_failed) return kExitUsage;
  return broken > 0 || (check_only && changed > 0) ? kExitFailed : kExitOk;
}

}  // namespace spur::cli
