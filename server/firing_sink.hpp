// Where the shards put firings: the log adapters of the configuration (config.md,
// `actions`). With no adapters configured, every firing goes to one log adapter on
// stdout; otherwise a firing goes to each log adapter that one of its `send` actions
// names.
//
// Thread-safety: deliver() and flush() are called by every shard; the routing is fixed
// at start.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actions/log_adapter.hpp"
#include "engine/firing.hpp"
#include "engine/program.hpp"

namespace spur::server {

class FiringSink {
 public:
  // `log_paths`: adapter name -> file ("" or "-" for stdout); empty: the stdout default.
  explicit FiringSink(const std::map<std::string, std::string>& log_paths);

  virtual ~FiringSink() = default;
  // Virtual for tests that make delivery fail.
  virtual void deliver(const Firing& firing, const std::string& json);
  // Storage mode disk, where a firing waits in the outbox between its step and its
  // delivery: the adapters it goes to, as names separated by commas ("-": the default
  // adapter on stdout; "": none), and its delivery to them. A name that is no longer
  // configured (the firing was made before a restart with another configuration) is
  // skipped.
  std::string targets(const Firing& firing) const;
  void deliver_to(std::string_view targets, std::string_view json);
  // Writes what was delivered; an adapter whose output fails is logged once, when it
  // starts failing, and again when it works again (the count is in /metrics).
  void flush();

  // Every adapter once, with its name ("stdout" for the default; a file shared by several
  // names under the first), for metrics.
  std::vector<std::pair<std::string, const actions::LogAdapter*>> all() const;

 private:
  // Adapter name -> its file; names with the same path share one LogAdapter, so lines
  // to one file never interleave.
  std::map<std::string, std::shared_ptr<actions::LogAdapter>> adapters_;
  std::unique_ptr<actions::LogAdapter> default_;
  std::atomic<bool> failing_{false};  // some adapter's last flush failed
};

}  // namespace spur::server
