#include "server/server.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <set>
#include <thread>
#include <variant>

#include "engine/fnv.hpp"
#include "grammar/lexical.hpp"
#include "server/event_loops.hpp"
#include "server/failpoint.hpp"
#include "server/http_server.hpp"
#include "server/huge_pages.hpp"
#include "server/log.hpp"
#include "server/rule_watcher.hpp"
#include "server/score_fetcher.hpp"
#include "server/scorers.hpp"
#include "storage/background_priority.hpp"
#include "storage/event_log.hpp"
#include "storage/log_writer.hpp"
#include "time/time_text.hpp"

namespace spur::server {
namespace {

// Events a shard may hold queued before ingest answers 503.
constexpr size_t kShardQueueEvents = 200'000;
// Threads asking http scorers, each with a keep-alive connection per scorer: requests
// wait on the network, not on a core.
constexpr size_t kScoreFetchThreads = 8;
// How long shutdown waits for requests in flight.
constexpr auto kDrainTimeout = std::chrono::seconds(10);
// How long a stop lets webhook and Kafka adapters deliver what they hold; what is left
// is delivered after the restart (storage mode disk) or lost (memory).
constexpr auto kAdapterDrain = std::chrono::seconds(5);

// The signals the main thread waits for in run(): stop (SIGTERM, SIGINT), reload (SIGHUP).
sigset_t control_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  return signals;
}
constexpr auto kWatchDebounce = std::chrono::milliseconds(200);

unsigned or_cores(unsigned n) {
  return n > 0 ? n : std::max(1u, std::thread::hardware_concurrency());
}

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// The reload warning for a rule that keeps its waiting matches while its new version
// reads trigger properties they did not keep (engine/reload.cpp): null in their firings.
nlohmann::ordered_json unkept_warning(const RuleInfo& rule, const Program& program,
                                      const std::vector<uint32_t>& slots) {
  std::string reads;
  for (const uint32_t slot : slots) {
    if (!reads.empty()) reads += ", ";
    const std::vector<std::string>& path = program.slot_paths[slot];
    if (path.empty()) {
      reads += "all of its properties";
      continue;
    }
    reads += '`';
    for (size_t i = 0; i < path.size(); ++i)
      reads += (i ? "." : "") + path[i];
    reads += '`';
  }
  return {{"file", rule.file},
          {"line", rule.line},
          {"column", 1},
          {"end_line", rule.line},
          {"end_column", 1},
          {"severity", "warning"},
          {"message", "rule `" + rule.name +
                          "` keeps its waiting matches, but now reads the trigger's " + reads +
                          ", which the matches made before this reload did not keep"},
          {"hint",
           "their firings get null there; matches made from now on have it. To drop the old "
           "matches instead, change the rule's `when` part"}};
}

// The reload warnings for added or changed rules of `next` that read history further back
// than `before` kept (http-api.md, reload `warnings`): their answers may be wrong until
// what they read has been kept long enough.
nlohmann::ordered_json short_history_warnings(const RuleSet& before, const RuleSet& next,
                                              const std::set<std::string>& added,
                                              const std::set<std::string>& changed,
                                              const EngineConfig& config, int64_t now_ms) {
  nlohmann::ordered_json warnings = nlohmann::ordered_json::array();
  for (size_t r = 0; r < next.program->rules.size(); ++r) {
    const CompiledRule& rule = next.program->rules[r];
    if (!added.contains(rule.name) && !changed.contains(rule.name)) continue;
    for (const auto& [event, reach] : rule.reaches_back) {
      const int64_t wanted = reach == CompiledRule::kSessionReach ? config.session_max_ms : reach;
      const int64_t kept =
          history_kept_ms(*before.program, before.program->plan(event), config, event);
      if (wanted <= kept) continue;
      const int64_t until = time_plus(now_ms, wanted - std::max<int64_t>(kept, 0));
      const std::string had =
          kept < 0 ? "no `" + event + "` events were kept"
                   : "only " + lexical::format_duration(kept) + " of `" + event + "` was kept";
      const RuleInfo& info = next.rules[r];
      warnings.push_back(
          {{"file", info.file},
           {"line", info.line},
           {"column", 1},
           {"end_line", info.line},
           {"end_column", 1},
           {"severity", "warning"},
           {"message", "rule `" + rule.name + "` reads `" + event + "` back " +
                           lexical::format_duration(wanted) + ", but before this reload " + had +
                           ": its answers may be wrong until " + format_rfc3339(until)},
           {"hint", "keep history ahead of such rules with engine.retain, e.g. {" + event + ": " +
                        lexical::format_duration(wanted) + "}"},
           {"rule", rule.name},
           {"event", event},
           {"until", format_rfc3339(until)}});
    }
  }
  return warnings;
}

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

nlohmann::ordered_json names(const std::set<std::string>& set) {
  return nlohmann::ordered_json(std::vector<std::string>(set.begin(), set.end()));
}

}  // namespace

Server::Server(Config config) : config_(std::move(config)) {
  // SIGTERM, SIGINT and SIGHUP go to run()'s sigwait only. Every thread inherits the mask
  // of the one that starts it, so it is set before the first (the control thread, below):
  // a thread with them unblocked would take a SIGINT by its default action and end the
  // process without draining.
  const sigset_t signals = control_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  if (config_.tls) {
    throw ConfigError(
        "server.tls: TLS is not in this build of Spur yet; terminate TLS in a "
        "proxy in front of it and remove server.tls");
  }
  if (config_.tokens.empty() && !loopback(config_.host)) {
    log_line("warning", "no auth tokens configured: listening on loopback only",
             {{"configured", config_.host}});
    config_.host = "127.0.0.1";
  }
  std::vector<std::string> notes;
  remote_scores_ = std::make_shared<models::RemoteScores>();
  score_fetcher_ = std::make_unique<ScoreFetcher>(config_.scorers, kScoreFetchThreads);
  config_.engine.scorers = load_scorers(config_, {}, notes, nullptr, remote_scores_);
  for (const std::string& note : notes)
    log_line("warning", note);
  RuleSet set = load_rule_set(config_.rule_paths, wall_ms());
  if (set.errors > 0) {
    std::string message = "the rules have errors; nothing was started:";
    for (const auto& d : set.diagnostics) {
      if (d.value("severity", "") != "error") continue;
      message += "\n  " +
                 (d.contains("file") ? d["file"].get<std::string>() + ":" +
                                           std::to_string(d["line"].get<int>()) + ": "
                                     : std::string()) +
                 d["message"].get<std::string>();
    }
    throw ConfigError(message);
  }
  if (const auto problems = unroutable_sends(*set.program); !problems.empty())
    throw ConfigError(problems.front());
  sink_ = std::make_unique<FiringSink>(config_.actions);
  if (config_.storage_mode == "disk") open_storage();
  rules_ = std::make_shared<const RuleSet>(std::move(set));
  // A thread per shard (engine.shards) and server.threads of them taking connections: with
  // the defaults, the same threads.
  const unsigned shards = or_cores(config_.shards);
  http_ = std::make_unique<HttpServer>(*this, config_, or_cores(config_.io_threads), shards);
  for (unsigned i = 0; i < shards; ++i) {
    shards_.push_back(std::make_unique<Shard>(
        rules_->program, config_.engine, *sink_, metrics_, kShardQueueEvents, http_->loops(), i,
        Durability{log_.get(), writer_.get(), i, shards, config_.snapshot_interval_ms},
        score_fetcher_->any()
            ? RemoteScoring{remote_scores_.get(), score_fetcher_.get(), &config_.scorers}
            : RemoteScoring{}));
  }
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "spur-%llx-", static_cast<unsigned long long>(wall_ms()));
  id_prefix_ = prefix;
  control_ = std::make_unique<TaskThread>();
  // Compiling a reload is background work: at the lowest priority it takes the CPU that
  // the shards and I/O threads leave, instead of delaying events (Linux: the nice value
  // of a thread id applies to that thread only). Nice 19 rather than 10: a woken shard
  // preempts it sooner (p99 of events during back-to-back reloads of 10,000 rules 3.5-4.4
  // -> 2.9-3.6 ms, 5 runs each); rather than SCHED_IDLE, which gained 0.5 ms more but
  // would let a saturated server put a reload off without bound.
  control_->post([] { setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19); });
}

Server::~Server() = default;

void Server::open_storage() {
  try {
    log_ = std::make_unique<storage::EventLog>(config_.storage_path, [](const std::string& line) {
      log_line("warning", "rocksdb: " + line);
    });
  } catch (const storage::StorageError& e) {
    throw ConfigError(std::string("storage: ") + e.what());
  }
  const storage::Fsync fsync = config_.storage_fsync == "always"  ? storage::Fsync::kAlways
                               : config_.storage_fsync == "never" ? storage::Fsync::kNever
                                                                  : storage::Fsync::kBatch;
  storage::LogWriter::Hooks hooks{
      .deliver =
          [this](const storage::OutboxEntry& f, storage::OutboxHolds& holds) {
            // For the end-to-end test of a crash between a write and its delivery.
            if (failpoint_hit("exit_before_delivery")) std::_Exit(137);
            sink_->deliver_to(f.targets, f.user, f.json, [&holds, seq = f.seq] {
              holds.hold(seq);
              return [&holds, seq] { holds.release(seq); };
            });
          },
      .flush = [this] { sink_->flush(); },
      .drain = [this] { sink_->stop(std::chrono::steady_clock::now() + kAdapterDrain); },
      .health =
          [this](const std::string& error) {
            if (error.empty()) {
              log_line("info", "the data folder takes writes again; events are accepted",
                       {{"path", config_.storage_path}});
            } else {
              log_line("error",
                       "the data folder refuses writes: events and profile writes are answered "
                       "503 until it takes them again (reads are served); free space or fix "
                       "the disk",
                       {{"path", config_.storage_path}, {"error", error}});
            }
          }};
  writer_ = std::make_unique<storage::LogWriter>(*log_, fsync, config_.fsync_interval_ms,
                                                 std::move(hooks));
}

std::string Server::keep_rule_files(const RuleSet& set) {
  if (!writer_) return "";
  auto commit = std::make_unique<storage::Commit>(*log_);
  commit->add_rules(set.program->version, set.files);
  std::promise<std::string> written;
  commit->on_done([&written](const std::string& error) { written.set_value(error); });
  writer_->submit(std::move(commit));
  return written.get_future().get();
}

std::string Server::write_refusal() const {
  if (!ready())
    return "the server is starting (recovering its state from the data folder) or stopping; "
           "nothing was taken; retry in a moment";
  if (writer_ && !writer_->writable())
    return "the data folder " + config_.storage_path + " refuses writes (" + writer_->failure() +
           "); nothing was taken; retry when the disk has room again";
  return "";
}

std::shared_ptr<const RuleSet> Server::rules() const {
  const std::lock_guard lock(rules_mutex_);
  return rules_;
}

size_t Server::shard_of(std::string_view user) const {
  return fnv1a(user) % shards_.size();
}

std::string Server::next_event_id() {
  return id_prefix_ + std::to_string(next_id_.fetch_add(1, std::memory_order_relaxed));
}

std::vector<std::string> Server::unroutable_sends(const Program& program) const {
  std::vector<std::string> problems;
  if (config_.actions.empty()) return problems;  // the default log adapter takes every firing
  for (const CompiledRule& rule : program.rules) {
    // A split's arms too.
    const auto check = [&](const auto& self, const std::vector<CompiledAction>& actions) -> void {
      for (const CompiledAction& action : actions) {
        for (const std::vector<CompiledAction>& arm : action.arms)
          self(self, arm);
        if (action.op == ActionOp::kSend && !config_.actions.contains(action.target)) {
          problems.push_back("rule `" + rule.name + "` sends to `" + action.target +
                             "`, which is not an adapter under `actions` in " + config_.source +
                             "; configure it or change the rule");
        }
      }
    };
    check(check, rule.actions);
  }
  return problems;
}

void Server::reload(std::string cause, std::function<void(ReloadReport)> done) {
  control_->post(
      [this, cause = std::move(cause), done = std::move(done)] { done(reload_now(cause)); });
}

ReloadReport Server::reload_now(const std::string& cause) {
  const auto started = std::chrono::steady_clock::now();
  const int64_t reload_ms = wall_ms();
  RuleSet set = load_rule_set(config_.rule_paths, reload_ms);
  // Model files are read again with the rules: a retrained model ships with a reload.
  std::shared_ptr<const Scorers> scorers;
  try {
    std::vector<std::string> notes;
    scorers = load_scorers(config_, {}, notes, nullptr, remote_scores_);
  } catch (const ConfigError& e) {
    set.diagnostics.push_back(
        {{"severity", "error"},
         {"message", std::string(e.what()) + "; the running models stay: fix the file and "
                                             "reload"}});
    ++set.errors;
  }
  if (set.errors == 0) {
    for (const std::string& problem : unroutable_sends(*set.program)) {
      set.diagnostics.push_back({{"severity", "error"}, {"message", problem}});
      ++set.errors;
    }
  }
  if (set.errors > 0) {
    metrics_.reloads_failed.fetch_add(1, std::memory_order_relaxed);
    log_line("error", "reload failed: the running rules stay",
             {{"cause", cause}, {"errors", set.errors}, {"diagnostics", set.diagnostics}});
    return {422,
            {{"error",
              {{"code", "rules_invalid"},
               {"message", "the rules have " + std::to_string(set.errors) +
                               " error(s); nothing changed, the running rules stay; fix them and "
                               "reload"},
               {"details", set.diagnostics}}}}};
  }

  const std::shared_ptr<const RuleSet> before = rules();
  std::map<std::string, uint64_t> old_fingerprints;
  for (const CompiledRule& rule : before->program->rules)
    old_fingerprints.emplace(rule.name, rule.fingerprint);
  std::set<std::string> added, changed, unchanged, removed;
  for (const CompiledRule& rule : set.program->rules) {
    const auto it = old_fingerprints.find(rule.name);
    if (it == old_fingerprints.end()) {
      added.insert(rule.name);
    } else {
      (it->second == rule.fingerprint ? unchanged : changed).insert(rule.name);
      old_fingerprints.erase(it);
    }
  }
  for (const auto& [name, fingerprint] : old_fingerprints)
    removed.insert(name);

  // Every shard swaps between two of its steps; the report waits for all of them.
  const double compile_ms = milliseconds_since(started);
  auto next = std::make_shared<const RuleSet>(std::move(set));
  struct Swap {
    SwapCounts counts;
    double ms = 0;  // how long the shard stopped for it
  };
  if (std::string error = keep_rule_files(*next); !error.empty()) {
    metrics_.reloads_failed.fetch_add(1, std::memory_order_relaxed);
    log_line("error", "reload failed: the data folder refuses the new rule files",
             {{"cause", cause}, {"error", error}});
    return {503,
            {{"error",
              {{"code", "storage_unavailable"},
               {"message", "the data folder could not keep the new rule files (" + error +
                               "); nothing changed, the running rules stay; reload again when "
                               "the disk takes writes"}}}}};
  }
  const std::shared_ptr<const ProgramSwap> mapping = prepare_swap(before->program, next->program);
  auto [swaps, failures] = on_every_shard<Swap>([mapping, scorers](ShardState& state) {
    if (failpoint_hit("reload_swap")) throw std::runtime_error("failpoint reload_swap");
    const auto start = std::chrono::steady_clock::now();
    state.engine().use_scorers(scorers);
    const SwapCounts counts = state.engine().replace_program(*mapping);
    state.log_program();
    return Swap{counts, milliseconds_since(start)};
  });
  if (const auto failed = std::find_if(failures.begin(), failures.end(),
                                       [](const std::string& f) { return !f.empty(); });
      failed != failures.end()) {
    return failed_swap(cause, *before, *next, static_cast<size_t>(failed - failures.begin()),
                       *failed);
  }
  SwapCounts total;
  double longest_swap_ms = 0;
  for (const Swap& swap : swaps) {
    total.pending_kept += swap.counts.pending_kept;
    total.pending_dropped += swap.counts.pending_dropped;
    longest_swap_ms = std::max(longest_swap_ms, swap.ms);
  }
  {
    const std::lock_guard lock(rules_mutex_);
    rules_ = next;
  }
  metrics_.reloads_ok.fetch_add(1, std::memory_order_relaxed);
  nlohmann::ordered_json warnings = nlohmann::ordered_json::array();
  for (const auto& d : next->diagnostics)
    warnings.push_back(d);
  for (auto& warning :
       short_history_warnings(*before, *next, added, changed, config_.engine, reload_ms)) {
    log_line("warning", warning["message"].get<std::string>(),
             {{"rule", warning["rule"]}, {"event", warning["event"]}, {"until", warning["until"]}});
    warnings.push_back(std::move(warning));
  }
  for (const auto& [rule, slots] : mapping->unkept_reads) {
    warnings.push_back(unkept_warning(next->rules[rule], *next->program, slots));
    log_line("warning", warnings.back()["message"].get<std::string>(),
             {{"rule", next->rules[rule].name}});
  }
  nlohmann::ordered_json body = {{"version", next->version},
                                 {"added", names(added)},
                                 {"removed", names(removed)},
                                 {"changed", names(changed)},
                                 {"unchanged", names(unchanged)},
                                 {"pending_kept", total.pending_kept},
                                 {"pending_dropped", total.pending_dropped},
                                 {"warnings", warnings}};
  log_line("info", "rules reloaded",
           {{"cause", cause},
            {"version", next->version},
            {"rules", next->rules.size()},
            {"added", added.size()},
            {"removed", removed.size()},
            {"changed", changed.size()},
            {"pending_kept", total.pending_kept},
            {"pending_dropped", total.pending_dropped},
            {"compile_ms", compile_ms},
            {"longest_swap_ms", longest_swap_ms},
            {"ms", milliseconds_since(started)}});
  return {200, std::move(body)};
}

ReloadReport Server::failed_swap(const std::string& cause, const RuleSet& before,
                                 const RuleSet& next, size_t shard, const std::string& what) {
  // The shards that switched go back, so that every shard runs the old set again (state
  // carries over by name both ways; waiting matches of changed rules are gone).
  const std::shared_ptr<const ProgramSwap> back = prepare_swap(next.program, before.program);
  auto [ignored, failures] = on_every_shard<std::monostate>([back](ShardState& state) {
    if (&state.engine().program() == back->before.get()) {
      state.engine().replace_program(*back);
      state.log_program();
    }
    return std::monostate();
  });
  size_t stuck = 0;
  for (const std::string& failure : failures)
    stuck += failure.empty() ? 0 : 1;
  metrics_.reloads_failed.fetch_add(1, std::memory_order_relaxed);
  const std::string message =
      "shard " + std::to_string(shard) + " failed to switch to the new rules (" + what + "); " +
      (stuck == 0 ? "every shard runs the old rules still; nothing changed but the waiting "
                    "matches of changed rules; reload again, and report this if it persists"
                  : std::to_string(stuck) + " shard(s) could not switch back either");
  log_line("error", "reload failed: " + message, {{"cause", cause}, {"version", next.version}});
  return {500, {{"error", {{"code", "reload_failed"}, {"message", message}}}}};
}

int Server::run() {
  const sigset_t signals = control_signals();
  http_->start();
  if (log_) {
    try {
      recover();
    } catch (const std::exception&) {
      shut_down();  // the threads end before the error ends the process
      throw;
    }
  }
  if (config_.watch) {
    watcher_ = std::make_unique<RuleWatcher>(config_.rule_paths, kWatchDebounce, [this] {
      reload("watch", [](const ReloadReport&) {});
    });
  }
  if (const std::string refused = stop_new_huge_pages(); !refused.empty())
    log_line("warning",
             "the kernel may still give the server huge pages, whose first touch "
             "stalls a request (" +
                 refused + "); nothing else changes");
  ready_.store(true, std::memory_order_release);
  const std::shared_ptr<const RuleSet> set = rules();
  log_line("info", "spur serve started",
           {{"listen", config_.host + ":" + std::to_string(http_->port())},
            {"config", config_.source},
            {"rules", set->rules.size()},
            {"rule_paths", config_.rule_paths},
            {"version", set->version},
            {"shards", shards_.size()},
            {"io_threads", or_cores(config_.io_threads)},
            {"threads", http_->loops().size()},
            {"watch", config_.watch},
            {"storage", config_.storage_mode == "disk" ? config_.storage_path : "memory"},
            {"auth", config_.tokens.empty() ? "none" : "bearer"}});
  if (config_.tokens.empty()) {
    log_line("warning",
             "no auth tokens configured: every request is allowed; listening on loopback only");
  }
  if (!log_) {
    log_line("warning", "storage mode memory: nothing survives a restart",
             {{"storage_mode", config_.storage_mode}});
  } else if (!storage::can_leave_idle()) {
    log_line("info",
             "RocksDB's flushes and compactions run at nice 10, where a request can wait up "
             "to a scheduler tick behind one; to run them in the cores' spare time, grant the "
             "server CAP_SYS_NICE or an RLIMIT_NICE of 10 (systemd: LimitNICE=10)");
  }

  for (;;) {
    int signal = 0;
    sigwait(&signals, &signal);
    if (signal == SIGHUP) {
      reload("signal", [](const ReloadReport&) {});
      continue;
    }
    log_line("info", "shutting down", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  shut_down();
  return 0;
}

void Server::shut_down() {
  ready_.store(false, std::memory_order_release);
  http_->stop_accepting();
  watcher_.reset();
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  while (http_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  control_->stop();
  uint64_t queued = 0;
  for (const auto& shard : shards_)
    queued += shard->queued_events();
  for (const auto& shard : shards_)
    shard->stop();
  score_fetcher_.reset();  // what it still fetches goes to stopped shards, unread
  // Writes the shards' last turns, answers them, delivers their firings.
  if (writer_) writer_->stop();
  sink_->flush();
  sink_->stop(std::chrono::steady_clock::now() + kAdapterDrain);
  // The answers to the last requests are on their way out.
  while (http_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  http_->stop();
  log_line("info", "spur serve stopped",
           {{"events_accepted", metrics_.events_accepted.load()},
            {"drained_events", queued},
            {"firings_delivered", sink_->delivered()}});
}

}  // namespace spur::server
