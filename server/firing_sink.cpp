#include "server/firing_sink.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "actions/kafka_adapter.hpp"
#include "actions/webhook_adapter.hpp"
#include "server/log.hpp"

namespace spur::server {

FiringSink::FiringSink(const std::map<std::string, ActionAdapter>& actions) {
  if (actions.empty()) {
    default_ = std::make_unique<actions::LogAdapter>("");
    return;
  }
  std::map<std::string, std::shared_ptr<actions::LogAdapter>> by_path;
  for (const auto& [name, adapter] : actions) {
    try {
      if (adapter.type == "log") {
        auto& log = by_path[adapter.path.empty() ? "-" : adapter.path];
        if (!log) log = std::make_shared<actions::LogAdapter>(adapter.path);
        logs_.emplace(name, log);
        continue;
      }
      auto& dead_letter = dead_letters_.emplace_back(
          std::make_unique<actions::DeadLetter>(name, adapter.dead_letter));
      if (adapter.type == "webhook") {
        queued_.emplace(
            name, std::make_unique<actions::WebhookAdapter>(name, adapter.webhook, *dead_letter));
      } else {
        queued_.emplace(name,
                        std::make_unique<actions::KafkaAdapter>(name, adapter.kafka, *dead_letter));
      }
    } catch (const std::exception& e) {
      throw ConfigError("actions." + name + ": " + e.what());
    }
  }
}

FiringSink::~FiringSink() {
  stop(std::chrono::steady_clock::now());
}

namespace {

// Calls `each(name)` once per distinct adapter name that a `send` of the firing names.
template <class Each>
void for_each_send(const Firing& firing, Each&& each) {
  std::vector<std::string_view> done;
  for (const ActionRecord& action : firing.actions) {
    if (action.op != ActionOp::kSend) continue;
    if (std::find(done.begin(), done.end(), action.name) != done.end()) continue;
    done.push_back(action.name);
    each(action.name);
  }
}

}  // namespace

void FiringSink::deliver(const Firing& firing, const std::string& json) {
  if (firing.holdout) return;  // held out: no adapter gets it (language.md section 14)
  if (default_) {
    default_->write(json);
    return;
  }
  std::vector<const actions::LogAdapter*> written;  // a file shared by names: once
  for_each_send(firing, [&](std::string_view name) {
    const std::string key(name);
    if (const auto log = logs_.find(key); log != logs_.end()) {
      if (std::find(written.begin(), written.end(), log->second.get()) != written.end()) return;
      written.push_back(log->second.get());
      log->second->write(json);
    } else if (const auto queued = queued_.find(key); queued != queued_.end()) {
      queued->second->submit({.user = std::string(firing.user), .json = json, .settled = {}});
    }
  });
}

FiringSink::Targets FiringSink::targets(const Firing& firing) const {
  if (firing.holdout) return {.names = "", .confirmed_later = false};
  if (default_) return {.names = "-", .confirmed_later = false};
  Targets out;
  std::vector<const actions::LogAdapter*> written;
  for_each_send(firing, [&](std::string_view name) {
    const std::string key(name);
    if (const auto log = logs_.find(key); log != logs_.end()) {
      if (std::find(written.begin(), written.end(), log->second.get()) != written.end()) return;
      written.push_back(log->second.get());
    } else if (queued_.contains(key)) {
      out.confirmed_later = true;
    } else {
      return;
    }
    if (!out.names.empty()) out.names += ',';
    out.names += name;
  });
  return out;
}

void FiringSink::deliver_to(std::string_view targets, std::string_view user, std::string_view json,
                            const Hold& hold) {
  if (default_) {
    default_->write(json);
    return;
  }
  while (!targets.empty()) {
    const size_t comma = targets.find(',');
    const std::string name(targets.substr(0, comma));
    targets.remove_prefix(comma == std::string_view::npos ? targets.size() : comma + 1);
    if (const auto log = logs_.find(name); log != logs_.end()) {
      log->second->write(json);
    } else if (const auto queued = queued_.find(name); queued != queued_.end()) {
      queued->second->submit({.user = std::string(user),
                              .json = std::string(json),
                              .settled = hold ? hold() : nullptr});
    }
  }
}

void FiringSink::stop(std::chrono::steady_clock::time_point deadline) {
  for (auto& [name, adapter] : queued_)
    adapter->stop(deadline);
}

std::vector<FiringSink::Figures> FiringSink::figures() const {
  std::vector<Figures> out;
  std::vector<const actions::LogAdapter*> listed;
  const auto add_log = [&](const std::string& name, const actions::LogAdapter* log) {
    if (std::find(listed.begin(), listed.end(), log) != listed.end()) return;
    listed.push_back(log);  // a shared file: under its first name
    out.push_back({.name = name,
                   .confirms_later = false,
                   .delivered = log->delivered(),
                   .failed = log->failed(),
                   .counts = {}});
  };
  if (default_) add_log("stdout", default_.get());
  for (const auto& [name, log] : logs_)
    add_log(name, log.get());
  for (const auto& [name, adapter] : queued_)
    out.push_back({.name = name,
                   .confirms_later = true,
                   .delivered = 0,
                   .failed = 0,
                   .counts = adapter->counts()});
  std::sort(out.begin(), out.end(),
            [](const Figures& a, const Figures& b) { return a.name < b.name; });
  return out;
}

uint64_t FiringSink::delivered() const {
  uint64_t n = 0;
  for (const Figures& f : figures())
    n += f.confirms_later ? f.counts.delivered : f.delivered;
  return n;
}

void FiringSink::flush() {
  const actions::LogAdapter* failing = nullptr;
  if (default_) {
    default_->flush();
    if (default_->failing()) failing = default_.get();
  }
  for (const auto& [name, adapter] : logs_) {
    adapter->flush();  // a file shared by names is flushed again, finding nothing
    if (adapter->failing()) failing = adapter.get();
  }
  // Said once per change, by the shard that saw it first.
  const bool now = failing != nullptr;
  if (failing_.exchange(now, std::memory_order_relaxed) == now) return;
  if (!now) {
    log_line("info", "the action adapters take firings again");
    return;
  }
  log_line("error",
           "an action adapter's output refuses firings: they are counted as failed in "
           "spur_action_deliveries_total and the server keeps serving; check the output",
           {{"path", failing->path()}, {"reason", std::strerror(failing->last_error())}});
}

}  // namespace spur::server
