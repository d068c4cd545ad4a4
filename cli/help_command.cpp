#include <iostream>

#include "cli/commands.hpp"

namespace spur::cli {

int help_command(std::span<const std::string> args) {
  if (args.empty()) {
    std::cout << overview();
    return kExitOk;
  }
  if (const char* text = usage(args.front())) {
    std::cout << text;
    return kExitOk;
  }
  std::cerr << "spur help: unknown command `" << args.front() << "`\n\n" << overview();
  return kExitUsage;
}

}  // namespace spur::cli
