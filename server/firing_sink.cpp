#include "server/firing_sink.hpp"

#include <algorithm>

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

void FiringSink::deliver(const Firing& firing, const std::string& json) {
  if (default_) {
    default_->write(json);
    return;
  }
  // Once per adapter, however many of the firing's actions name it.
  std::vector<actions::LogAdapter*> done;
  for (const ActionRecord& action : firing.actions) {
    if (action.op != ActionOp::kSend) continue;
    const auto it = adapters_.find(std::string(action.name));
    if (it == adapters_.end() || std::count(done.begin(), done.end(), it->second.get())) continue;
    it->second->write(json);
    done.push_back(it->second.get());
  }
}

std::vector<std::pair<std::string, const actions::LogAdapter*>> FiringSink::all() const {
  std::vector<std::pair<std::string, const actions::LogAdapter*>> out;
  if (default_) out.emplace_back("stdout", default_.get());
  for (const auto& [name, adapter] : adapters_) {
    const bool listed = std::any_of(
        out.begin(), out.end(), [&](const auto& entry) { return entry.second == adapter.get(); });
    if (!listed) out.emplace_back(name, adapter.get());  // a shared file: under its first name
  }
  return out;
}

void FiringSink::flush() {
  if (default_) default_->flush();
  for (const auto& [name, adapter] : adapters_)
    adapter->flush();  // a file shared by names is flushed again, finding nothing
}

}  // namespace spur::server
