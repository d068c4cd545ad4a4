#include <iostream>
#include <string>

#include "cli/commands.hpp"

namespace spur::cli {
namespace {

struct Command {
  std::string_view name;
  const char* usage;
};

constexpr Command kCommands[] = {
    {"check",
     "usage: spur check [--format text|json] [--config FILE] PATH...\n"
     "\n"
     "Parse and check rule files and folders (folders recursively, *.rules only, in\n"
     "bytewise path order). Diagnostics go to stderr as `file:line:col: error: message`\n"
     "with the source line, a caret and a hint; `--format json` prints them as JSON on\n"
     "stdout instead. With `--config`, a `send` to an adapter that the configuration's\n"
     "`actions` do not list is a warning (`spur serve` refuses to start with it). Exit 0\n"
     "without errors (warnings allowed), 1 with errors, 2 on a usage error, an\n"
     "unreadable path or a configuration that cannot be read.\n"},
    {"replay",
     "usage: spur replay --rules PATH [--rules PATH]... [--profiles FILE]\n"
     "                   [--config spur.yaml [--scores FILE]]\n"
     "                   [--until TIME | --drain] [--suppressed | --stats]\n"
     "                   [--conversions] [--report[=table|json]] [EVENTS]\n"
     "\n"
     "Run the rules over an NDJSON event file (or stdin, also as `-`) with the clock\n"
     "driven by event times, and print the firings as NDJSON on stdout, in firing order;\n"
     "a summary goes to stderr. --drain: at the end, fire every remaining timer;\n"
     "--until TIME: fire the timers due up to TIME; neither: those due at the last event's\n"
     "time. --profiles FILE: NDJSON {\"user\", \"attributes\"} loaded first. --suppressed:\n"
     "also print suppressed activations. --stats: print one JSON object of counts instead\n"
     "of the firings. --config: the engine settings and scorers of a configuration;\n"
     "--scores FILE: NDJSON {\"user\", \"model\", \"time\", \"score\"}, what its http\n"
     "scorers answer (the latest score at or before each step; else their default).\n"
     "--conversions: also print the conversion records of rules with a `goal`.\n"
     "--report: after the run, firings, conversions, rates and lift per rule with a\n"
     "`goal`, `split` or `holdout`, as a table on stderr; --report=json: as one JSON\n"
     "object on stdout instead of the firings (see docs/cli.md).\n"
     "Malformed lines are reported with their number and skipped. Exit 0,\n"
     "1 when the rules have errors, 2 on usage errors or unreadable files.\n"},
    {"test",
     "usage: spur test [--config spur.yaml [--scores FILE]] PATH...\n"
     "\n"
     "Run rule tests: *.test.yaml files, or folders searched recursively for them. Each\n"
     "case starts from empty state; PASS or FAIL is printed per case, with the expected\n"
     "and actual firings for failures, then `N passed, M failed`. --config and --scores:\n"
     "the engine settings and scorers of the test files that name no `config:` of their\n"
     "own, as in `spur replay`. Exit 0 when all pass, 1 on any failure or broken test\n"
     "file, 2 on usage errors or a configuration that cannot be used.\n"},
    {"serve",
     "usage: spur serve [--config spur.yaml] [--rules PATH]... [--listen HOST:PORT]\n"
     "\n"
     "Run the HTTP server; with no config, safe embedded defaults: rules from ./rules "
     "(or\nrules/examples in a checkout), 127.0.0.1:8080, firings as NDJSON on stdout, log "
     "lines\non stderr. --rules (files or folders, repeatable) and --listen override the\n"
     "configuration's engine.rules and server.listen. SIGHUP reloads the rules; SIGTERM or\n"
     "SIGINT drains and stops.\n"},
    {"fmt",
     "usage: spur fmt [--check] PATH...\n"
     "\n"
     "Rewrite rule files and folders (folders recursively, *.rules only) in the canonical\n"
     "layout, comments kept where they stand. A file with syntax errors is left as it is\n"
     "(exit 1). --check writes nothing: it lists the files that would change on stdout and\n"
     "exits 1 if there are any.\n"},
    {"help",
     "usage: spur help [COMMAND]\n"
     "\n"
     "Show the usage of all commands, or of one.\n"},
};

}  // namespace

const char* usage(std::string_view command) {
  for (const Command& c : kCommands) {
    if (c.name == command) return c.usage;
  }
  return nullptr;
}

int usage_error(std::string_view command, const std::string& message) {
  std::cerr << "spur " << command << ": " << message << "\n\n" << usage(command);
  return kExitUsage;
}

std::string overview() {
  std::string out = "spur " SPUR_VERSION
                    " - rules and triggers for real-time personalization\n"
                    "\n"
                    "usage: spur COMMAND [ARGS]   (spur --version, spur help COMMAND)\n";
  for (const Command& c : kCommands) {
    out += "\n";
    out += c.usage;
  }
  return out;
}

}  // namespace spur::cli
