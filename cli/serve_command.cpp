// `spur serve [--config spur.yaml]`: run the HTTP server (http-api.md, config.md).
#include <csignal>
#include <iostream>

#include "cli/commands.hpp"
#include "server/log.hpp"
#include "server/server.hpp"

namespace spur::cli {

int serve_command(std::span<const std::string> args) {
  std::string config_path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i].starts_with("--config=")) {
      config_path = args[i].substr(9);
    } else {
      std::cerr << "spur serve: unexpected argument `" << args[i] << "`\n\n" << usage("serve");
      return kExitUsage;
    }
  }
  try {
    // A closed stdout (`spur serve | head`) or a peer gone must fail one write, which the
    // writer reports, not kill the process and every user's state with it.
    std::signal(SIGPIPE, SIG_IGN);
    server::Server server(server::load_config(config_path));
    return server.run();
  } catch (const server::ConfigError& e) {
    server::log_line("error", e.what());
    std::cerr << "spur serve: " << e.what() << "\n";
    return kExitFailed;
  } catch (const std::exception& e) {
    server::log_line("error", e.what());
    std::cerr << "spur serve: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace spur::cli
