#include "server/scorers.hpp"

#include "models/model_file.hpp"

namespace spur::server {

std::shared_ptr<const Scorers> load_scorers(const Config& config, const std::filesystem::path& base,
                                            std::vector<std::string>& notes) {
  auto scorers = std::make_shared<Scorers>();
  for (const auto& [name, settings] : config.scorers) {
    if (settings.type != "file") {
      notes.push_back("scorers." + name + ": " + settings.type +
                      " scorers are not in this build yet; score(\"" + name + "\") is null");
      continue;
    }
    std::filesystem::path path = settings.path;
    if (path.is_relative() && !base.empty()) path = base / path;
    std::string error;
    auto scorer = models::load_model_file(path.string(), error);
    if (!scorer) throw ConfigError("scorers." + name + ".path: " + error);
    scorers->emplace(name, std::move(scorer));
  }
  return scorers;
}

}  // namespace spur::server
