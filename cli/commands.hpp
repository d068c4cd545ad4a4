// The subcommands of `spur` (formats.md, "Command line"). Each takes the arguments after
// its name and returns the process exit status.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace spur::cli {

int check_command(std::span<const std::string> args);
int replay_command(std::span<const std::string> args);
int test_command(std::span<const std::string> args);
int serve_command(std::span<const std::string> args);
int fmt_command(std::span<const std::string> args);
int help_command(std::span<const std::string> args);

// Usage text of one command, or nullptr for an unknown command.
const char* usage(std::string_view command);
// Usage of all commands, for `spur help`.
std::string overview();
// Prints `spur COMMAND: message` and the command's usage on stderr; returns kExitUsage.
int usage_error(std::string_view command, const std::string& message);

// Exit statuses shared by the commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // errors in the input (rules, tests)
inline constexpr int kExitUsage = 2;   // bad arguments or unreadable files

}  // namespace spur::cli
