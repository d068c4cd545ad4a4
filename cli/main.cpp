// `spur`: argument dispatch only; each command lives in its own file.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace spur::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << overview();
    return kExitUsage;
  }
  const std::string command = args.front();
  const std::span<const std::string> rest(args.data() + 1, args.size() - 1);
  if (command == "--version" || command == "version") {
    std::cout << "spur " SPUR_VERSION "\n";
    return kExitOk;
  }
  if (command == "help" || command == "--help" || command == "-h") return help_command(rest);
  // `spur COMMAND --help` (or -h) anywhere among its arguments: that command's usage.
  const bool asks_help = std::any_of(rest.begin(), rest.end(), [](const std::string& arg) {
    return arg == "--help" || arg == "-h";
  });
  if (const char* text = usage(command); text != nullptr && asks_help) {
    std::cout << text;
    return kExitOk;
  }
  if (command == "check") return check_command(rest);
  if (command == "replay") return replay_command(rest);
  if (command == "test") return test_command(rest);
  if (command == "serve") return serve_command(rest);
  if (command == "fmt") return fmt_command(rest);
  if (const char* text = usage(command)) {
    std::cerr << "spur " << command << ": not in this build yet\n\n" << text;
    return kExitUsage;
  }
  std::cerr << "spur: unknown command `" << command << "`\n\n" << overview();
  return kExitUsage;
}
