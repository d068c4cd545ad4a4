// `spur serve [--config spur.yaml] [--rules PATH]... [--listen HOST:PORT]`: run the HTTP
// server (http-api.md, config.md); the options override the configuration's.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "server/log.hpp"
#include "server/server.hpp"

namespace spur::cli {

int serve_command(std::span<const std::string> args) {
  std::string config_path;
  std::vector<std::string> rules;
  std::string listen;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i].starts_with("--config=")) {
      config_path = args[i].substr(9);
    } else if (args[i] == "--rules" && i + 1 < args.size()) {
      rules.push_back(args[++i]);
    } else if (args[i] == "--listen" && i + 1 < args.size()) {
      listen = args[++i];
    } else {
      std::cerr << "spur serve: unexpected argument `" << args[i] << "`\n\n" << usage("serve");
      return kExitUsage;
    }
  }
  try {
    // A closed stdout (`spur serve | head`) or a peer gone must fail one write, which the
    // writer reports, not kill the process and every user's state with it.
    std::signal(SIGPIPE, SIG_IGN);
    server::Config config = server::load_config(config_path);
    if (!rules.empty()) config.rule_paths = rules;
    if (!listen.empty()) server::set_listen(config, listen, "--listen");
    server::Server server(std::move(config));
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
