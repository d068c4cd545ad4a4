// Asks http scorers (config.md `scorers`, type http) for scores on threads of its own,
// so that no shard waits on a model: POST {"model", "user", "features"} to the scorer's
// url, answered {"score": x} within its `timeout` (docs/models.md, "http scorers").
//
// Thread-safety: fetch() may be called from any thread; `done` runs on a fetcher thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actions/http_client.hpp"
#include "engine/value.hpp"
#include "server/config.hpp"

namespace spur::server {

class ScoreFetcher {
 public:
  struct Answer {
    std::optional<double> score;  // none: the error says why (the scorer's default applies)
    std::string error;
  };
  using Done = std::function<void(Answer)>;

  // Asks the http scorers among `scorers` over `threads` threads, each with a keep-alive
  // connection per scorer. Throws ConfigError for a url that cannot be used.
  ScoreFetcher(const std::map<std::string, ScorerSettings>& scorers, size_t threads);
  // Answers what is still queued with an error, then joins the threads.
  ~ScoreFetcher();
  ScoreFetcher(const ScoreFetcher&) = delete;
  ScoreFetcher& operator=(const ScoreFetcher&) = delete;

  // Whether the configuration has http scorers (else the fetcher has no thread).
  bool any() const { return !scorers_.empty(); }
  // Queues a request; `done` gets the score or the error once, on a fetcher thread.
  void fetch(std::string model, std::string user, std::vector<Value> features, Done done);

 private:
  struct Scorer {
    actions::HttpTarget target;
    int64_t timeout_ms = 0;
  };
  struct Request {
    std::string model, user;
    std::vector<Value> features;
    Done done;
  };
  void work();
  Answer ask(std::map<std::string, std::unique_ptr<actions::HttpConnection>>& connections,
             const Request& request) const;

  std::map<std::string, Scorer> scorers_;  // the http ones, by model
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace spur::server
