#include "server/scorers.hpp"

#include "models/model_file.hpp"

namespace spur::server {

std::shared_ptr<const Scorers> load_scorers(
    const Config& config, const std::filesystem::path& base, std::vector<std::string>& notes,
    const std::shared_ptr<const models::RecordedScores>& recorded,
    const std::shared_ptr<const models::RemoteScores>& remote) {
  auto scorers = std::make_shared<Scorers>();
  for (const auto& [name, settings] : config.scorers) {
    if (settings.type == "http") {
      const Value fallback =
          settings.default_score ? Value::number(*settings.default_score) : Value();
      if (!remote && !recorded) {
        notes.push_back("scorers." + name + ": http scorers are not called here, so score(\"" +
                        name + "\") is its default" +
                        (settings.default_score ? "" : " (none is set: null)") +
                        "; give their scores with --scores FILE");
      }
      scorers->emplace(name, remote ? models::remote_scorer(remote, name, fallback)
                                    : models::recorded_scorer(recorded, name, fallback));
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
