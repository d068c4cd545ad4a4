// Where the shards put firings: the action adapters of the configuration (config.md,
// `actions`; docs/actions.md). With no adapters configured, every firing goes to one log
// adapter on stdout; otherwise a firing goes to each adapter that one of its `send`
// actions names, once.
//
// Log adapters take a firing at once (flush() writes it). Webhook and Kafka adapters
// confirm later: they take it into a bounded queue of their own and settle it
// (delivered, or dead-lettered) on their own threads, so a slow receiver never stalls
// a shard.
//
// Thread-safety: deliver(), deliver_to() and flush() are called by every shard and the
// log writer; the routing is fixed at start.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actions/dead_letter.hpp"
#include "actions/log_adapter.hpp"
#include "actions/queued_adapter.hpp"
#include "engine/firing.hpp"
#include "server/config.hpp"

namespace spur::server {

class FiringSink {
 public:
  // Starts the adapters of `actions` (empty: the stdout default). Throws ConfigError
  // naming the adapter when one cannot start (a file it cannot open, a URL or a Kafka
  // setting it refuses).
  explicit FiringSink(const std::map<std::string, ActionAdapter>& actions);
  virtual ~FiringSink();

  // Storage mode memory: the firing to its adapters. Virtual for tests that make
  // delivery fail.
  virtual void deliver(const Firing& firing, const std::string& json);

  // Storage mode disk, where a firing waits in the outbox between its step and its
  // delivery: the adapters it goes to, as names separated by commas ("-": the default
  // adapter on stdout; "": none), and whether one of them confirms later.
  struct Targets {
    std::string names;
    bool confirmed_later = false;
  };
  Targets targets(const Firing& firing) const;
  // The delivery to `targets` (see above). For each adapter that confirms later, `hold`
  // is called once as the adapter takes the firing, and returns what the adapter calls
  // when it has settled it. A name that is no longer configured (the firing was made
  // before a restart with another configuration) is skipped.
  using Hold = std::function<std::function<void()>()>;
  void deliver_to(std::string_view targets, std::string_view user, std::string_view json,
                  const Hold& hold);

  // Writes what was delivered to log adapters; an adapter whose output fails is logged
  // once, when it starts failing, and again when it works again (the count is in
  // /metrics).
  void flush();
  // Lets the adapters that confirm later settle what they hold until `deadline`, then
  // stops them. What is left unsettled stays in the outbox (storage mode disk).
  void stop(std::chrono::steady_clock::time_point deadline);

  // Every adapter once, for /metrics: its name ("stdout" for the default; a file shared
  // by several log adapters under the first name) and what it did.
  struct Figures {
    std::string name;
    bool confirms_later = false;
    uint64_t delivered = 0, failed = 0;  // log adapters: lines written, lines refused
    actions::DeliveryCounts counts;      // the others
  };
  std::vector<Figures> figures() const;
  uint64_t delivered() const;

 private:
  // Names with the same path share one LogAdapter, so lines to one file never interleave.
  std::map<std::string, std::shared_ptr<actions::LogAdapter>> logs_;
  // Declared before the adapters that write to them, so that they outlive them.
  std::vector<std::unique_ptr<actions::DeadLetter>> dead_letters_;
  std::map<std::string, std::unique_ptr<actions::QueuedAdapter>> queued_;
  std::unique_ptr<actions::LogAdapter> default_;
  std::atomic<bool> failing_{false};  // some log adapter's last flush failed
};

}  // namespace spur::server
