// The Spur server (http-api.md): owns the shards, the current rule set, the firing sink,
// the metrics and the HTTP listener, and runs start, reload and shutdown.
//
// Threads: event loops (HTTP, decoding, routing, and the shards, each on one loop: see
// event_loops.hpp), one control thread (reload compiles), one watch thread (inotify),
// and the main thread, which waits for signals. The rule set is swapped under
// rules_mutex_; everything else shared is a shard queue or an atomic.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "server/config.hpp"
#include "server/firing_sink.hpp"
#include "server/metrics.hpp"
#include "server/rule_set.hpp"
#include "server/shard.hpp"
#include "server/task_thread.hpp"

namespace spur::storage {
class EventLog;
class LogWriter;
}  // namespace spur::storage

namespace spur::server {

class HttpServer;
class RuleWatcher;

// What a reload answers (POST /v1/rules/reload): 200 with the counts, or 422 with the
// diagnostics, the running rules kept.
struct ReloadReport {
  int status = 200;
  nlohmann::ordered_json body;
};

class Server {
 public:
  // Loads the rules and checks them against the configuration; throws ConfigError with
  // what to fix when the server cannot start.
  explicit Server(Config config);
  ~Server();

  // Listens, serves until SIGTERM or SIGINT, drains, and returns the exit status. Call it
  // on the thread that constructed the server (which blocked those signals for its threads).
  int run();

  const Config& config() const { return config_; }
  Metrics& metrics() { return metrics_; }
  const FiringSink& sink() const { return *sink_; }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // Why a write (events, profiles) cannot be taken now ("" when it can): recovering or
  // stopping, or the data folder refusing writes (storage mode disk).
  std::string write_refusal() const;
  // The log writer of storage mode disk; nullptr in mode memory.
  const storage::LogWriter* log_writer() const { return writer_.get(); }
  const storage::EventLog* event_log() const { return log_.get(); }
  std::shared_ptr<const RuleSet> rules() const;

  size_t shard_count() const { return shards_.size(); }
  Shard& shard(size_t i) { return *shards_[i]; }
  size_t shard_of(std::string_view user) const;
  // An id for an event that came without one: unique across restarts of this server.
  std::string next_event_id();

  // Runs `task` on every shard, then `done` with the results in shard order (on the
  // thread of the shard that finished last) and, per shard, what it threw ("" when it
  // did not; its result is then T()). `done` runs whatever the tasks do.
  template <typename T>
  using Gathered = std::function<void(std::vector<T>, std::vector<std::string> failures)>;
  template <typename T>
  void gather(std::function<T(ShardState&)> task, Gathered<T> done);

  // Re-reads the rule paths and swaps the new set into every shard (asynchronous; `done`
  // runs on the control thread). `cause`: "api", "signal" or "watch", for the log.
  void reload(std::string cause, std::function<void(ReloadReport)> done);

 private:
  ReloadReport reload_now(const std::string& cause);
  // A reload in which `shard` threw `what` while switching: every shard back on `before`.
  ReloadReport failed_swap(const std::string& cause, const RuleSet& before, const RuleSet& next,
                           size_t shard, const std::string& what);
  // gather(), waited for (on the control thread only: shards never wait for each other).
  template <typename T>
  std::pair<std::vector<T>, std::vector<std::string>> on_every_shard(
      std::function<T(ShardState&)> task) {
    std::promise<std::pair<std::vector<T>, std::vector<std::string>>> all;
    gather<T>(std::move(task), [&all](std::vector<T> results, std::vector<std::string> failures) {
      all.set_value({std::move(results), std::move(failures)});
    });
    return all.get_future().get();
  }
  // Problems of a rule set that compiles but cannot run here: `send` to an adapter that
  // is not configured.
  std::vector<std::string> unroutable_sends(const Program& program) const;
  void shut_down();
  // Storage mode disk: rebuilds every shard's state from the data folder (server/
  // recovery.cpp), then lets the wall clock fire what fell due while the server was down.
  void recover();
  // Opens the data folder and starts the log writer; throws ConfigError when it cannot.
  void open_storage();
  // Storage mode disk: writes the set's rule files to the data folder and waits until
  // they are durable, before any shard logs that it runs them. "" or the error.
  std::string keep_rule_files(const RuleSet& set);

  Config config_;
  Metrics metrics_;
  std::unique_ptr<FiringSink> sink_;
  // Storage mode disk (null in mode memory): before the shards, which hand it commits.
  std::unique_ptr<storage::EventLog> log_;
  std::unique_ptr<storage::LogWriter> writer_;
  mutable std::mutex rules_mutex_;
  std::shared_ptr<const RuleSet> rules_;  // guarded by rules_mutex_
  // http scorers (docs/models.md): what the shards fetched, which the scorers answer.
  std::shared_ptr<models::RemoteScores> remote_scores_;
  // Before the shards: they run on its loops, which must outlive them.
  std::unique_ptr<HttpServer> http_;
  std::vector<std::unique_ptr<Shard>> shards_;
  // After the shards: destroyed first, its threads answer the shards no more.
  std::unique_ptr<ScoreFetcher> score_fetcher_;
  std::atomic<bool> ready_{false};
  std::string id_prefix_;
  std::atomic<uint64_t> next_id_{0};
  std::unique_ptr<TaskThread> control_;
  std::unique_ptr<RuleWatcher> watcher_;
};

template <typename T>
void Server::gather(std::function<T(ShardState&)> task, Gathered<T> done) {
  // Each shard writes its own element: std::vector<bool> packs them into shared words.
  static_assert(!std::is_same_v<T, bool>, "gather a type other than bool");
  struct Pending {
    std::vector<T> results;
    std::vector<std::string> failures;
    std::atomic<size_t> left;
    Gathered<T> done;
  };
  auto pending = std::make_shared<Pending>();
  pending->results.resize(shards_.size());
  pending->failures.resize(shards_.size());
  pending->left = shards_.size();
  pending->done = std::move(done);
  for (size_t i = 0; i < shards_.size(); ++i) {
    shards_[i]->post([pending, task, i](ShardState& state) {
      // A task that throws still counts as done: whoever waits for `done` must not hang.
      try {
        pending->results[i] = task(state);
      } catch (const std::exception& e) {
        pending->failures[i] = e.what()[0] != '\0' ? e.what() : "unknown error";
      } catch (...) {
        pending->failures[i] = "unknown error";
      }
      if (pending->left.fetch_sub(1, std::memory_order_acq_rel) == 1)
        pending->done(std::move(pending->results), std::move(pending->failures));
    });
  }
}

}  // namespace spur::server
