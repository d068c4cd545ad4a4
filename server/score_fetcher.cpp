#include "server/score_fetcher.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "formats/json_codec.hpp"

namespace spur::server {

ScoreFetcher::ScoreFetcher(const std::map<std::string, ScorerSettings>& scorers, size_t threads) {
  for (const auto& [model, settings] : scorers) {
    if (settings.type != "http") continue;
    try {
      scorers_.emplace(model,
                       Scorer{actions::HttpTarget::parse(settings.url), settings.timeout_ms});
    } catch (const std::invalid_argument& e) {
      throw ConfigError("scorers." + model + ".url: " + e.what());
    }
  }
  if (scorers_.empty()) return;
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i)
    threads_.emplace_back([this] { work(); });
}

ScoreFetcher::~ScoreFetcher() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_)
    thread.join();
  for (Request& request : queue_)
    request.done({std::nullopt, "the server is stopping"});
}

void ScoreFetcher::fetch(std::string model, std::string user, std::vector<Value> features,
                         Done done) {
  {
    const std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back({std::move(model), std::move(user), std::move(features), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done({std::nullopt, "the server is stopping"});
}

void ScoreFetcher::work() {
  std::map<std::string, std::unique_ptr<actions::HttpConnection>> connections;  // by model
  for (;;) {
    Request request;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    Answer answer;
    try {
      answer = ask(connections, request);
    } catch (const std::exception& e) {
      answer = {std::nullopt, e.what()};
    }
    request.done(std::move(answer));
  }
}

ScoreFetcher::Answer ScoreFetcher::ask(
    std::map<std::string, std::unique_ptr<actions::HttpConnection>>& connections,
    const Request& request) const {
  const auto scorer = scorers_.find(request.model);
  if (scorer == scorers_.end()) return {std::nullopt, "not an http scorer"};
  std::unique_ptr<actions::HttpConnection>& connection = connections[request.model];
  if (!connection) {
    connection =
        std::make_unique<actions::HttpConnection>(scorer->second.target, scorer->second.timeout_ms);
  }
  std::string body = R"({"model":)";
  append_json(body, Value::string(request.model));
  body += R"(,"user":)";
  append_json(body, Value::string(request.user));
  body += R"(,"features":)";
  append_json(body, Value::list(request.features));
  body += '}';
  const actions::HttpConnection::Answer answer = connection->post(body, {});
  if (answer.status < 200 || answer.status > 299) return {std::nullopt, answer.error};
  const nlohmann::json parsed = nlohmann::json::parse(answer.body, nullptr, false);
  if (parsed.is_object()) {
    const auto score = parsed.find("score");
    if (score != parsed.end() && score->is_number() && std::isfinite(score->get<double>()))
      return {score->get<double>(), {}};
  }
  return {std::nullopt, "the answer is not {\"score\": <number>}: " + answer.body.substr(0, 200)};
}

}  // namespace spur::server
