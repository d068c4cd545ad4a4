// Watches the rule paths with inotify and calls back once the files have been quiet for
// a debounce interval after a change (an editor's save is several events; a deploy may
// touch many files).
//
// Threading: one thread of its own; `changed` runs on it.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace spur::server {

class RuleWatcher {
 public:
  // Throws std::runtime_error when inotify cannot watch the paths.
  RuleWatcher(const std::vector<std::string>& paths, std::chrono::milliseconds debounce,
              std::function<void()> changed);
  ~RuleWatcher();
  RuleWatcher(const RuleWatcher&) = delete;
  RuleWatcher& operator=(const RuleWatcher&) = delete;

 private:
  void run();
  void watch_tree(const std::string& directory);

  std::chrono::milliseconds debounce_;
  std::function<void()> changed_;
  int inotify_ = -1;
  int stop_ = -1;                                 // an eventfd that ends run()
  std::unordered_map<int, std::string> folders_;  // watch descriptor -> folder
  std::thread thread_;
};

}  // namespace spur::server
