#include "server/firing_sink.hpp"

#include <algorithm>
#include <cstring>

#include "server/log.hpp"

namespace spur::server {

FiringSink::FiringSink(const std::map<std::string, std::string>& log_paths) {
  if (log_paths.empty()) {
    default_ = std::make_unique<actions::LogAdapter>("");
    return;
  }
  std::map<std::string, std::shared_ptr<actions::LogAdapter>> by_path;
  for (const auto& [name, path] : log_paths) {
    auto& adapter = by_path[path.empty() ? "-" : path];
    if (!adapter) adapter = std::make_shared<actions::LogAdapter>(path);
    adapters_.emplace(name, adapter);
  }
}

namespace {

// Calls `each(name, adapter)` once per adapter that a `send` of the firing names, however
// many of its actions name it.
template <class Each>
void for_each_target(const std::map<std::string, std::shared_ptr<actions::LogAdapter>>& adapters,
                     const Firing& firing, Each&& each) {
  std::vector<const actions::LogAdapter*> done;
  for (const ActionRecord& action : firing.actions) {
    if (action.op != ActionOp::kSend) continue;
    const auto it = adapters.find(std::string(action.name));
    if (it == adapters.end() || std::count(done.begin(), done.end(), it->second.get())) continue;
    each(action.name, *it->second);
    done.push_back(it->second.get());
  }
}

}  // namespace

void FiringSink::deliver(const Firing& firing, const std::string& json) {
  if (default_) {
    default_->write(json);
    return;
  }
  for_each_target(adapters_, firing,
                  [&json](std::string_view, actions::LogAdapter& adapter) { adapter.write(json); });
}

std::string FiringSink::targets(const Firing& firing) const {
  if (default_) return "-";
  std::string out;
  for_each_target(adapters_, firing, [&out](std::string_view name, actions::LogAdapter&) {
    if (!out.empty()) out += ',';
    out += name;
  });
  return out;
}

void FiringSink::deliver_to(std::string_view targets, std::string_view json) {
  if (default_) {
    default_->write(json);
    return;
  }
  while (!targets.empty()) {
    const size_t comma = targets.find(',');
    const std::string name(targets.substr(0, comma));
    targets.remove_prefix(comma == std::string_view::npos ? targets.size() : comma + 1);
    if (const auto it = adapters_.find(name); it != adapters_.end()) it->second->write(json);
  }
}

std::vector<std::pair<std::string, const actions::LogAdapter*>> FiringSink::all() const {
  std::vector<std::pair<std::string, const actions::LogAdapter*>> out;
  if (default_) out.emplace_back("stdout", default_.get());
  for (const auto& [name, adapter] : adapters_) {
    const actions::LogAdapter* file = adapter.get();
    const bool listed = std::any_of(out.begin(), out.end(),
                                    [file](const auto& entry) { return entry.second == file; });
    if (!listed) out.emplace_back(name, file);  // a shared file: under its first name
  }
  return out;
}

void FiringSink::flush() {
  const actions::LogAdapter* failing = nullptr;
  if (default_) {
    default_->flush();
    if (default_->failing()) failing = default_.get();
  }
  for (const auto& [name, adapter] : adapters_) {
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
