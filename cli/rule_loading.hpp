// Loading, checking and compiling rule files for the commands that run rules.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/program.hpp"

namespace spur::cli {

// Loads the rule files and folders of `paths`, checks and compiles them. On failure
// prints the problems (prefixed by `command`) and returns nullptr with `status` set:
// kExitUsage when a path cannot be read, kExitFailed when the rules have errors.
// Warnings are printed only when there are errors too.
std::shared_ptr<const Program> load_program(const std::vector<std::string>& paths,
                                            const std::string& command, int& status);

}  // namespace spur::cli
