#include "server/rule_watcher.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace spur::server {
namespace {

constexpr uint32_t kChanges =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF;

bool is_rule_file(std::string_view name) {
  return name.size() > 6 && name.substr(name.size() - 6) == ".rules";
}

}  // namespace

RuleWatcher::RuleWatcher(const std::vector<std::string>& paths, std::chrono::milliseconds debounce,
                         std::function<void()> changed)
    : debounce_(debounce), changed_(std::move(changed)) {
  inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_ < 0 || stop_ < 0)
    throw std::runtime_error(std::string("cannot watch the rule files: ") + std::strerror(errno));
  namespace fs = std::filesystem;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      watch_tree(path);
    } else {
      const fs::path parent = fs::path(path).parent_path();
      ::inotify_add_watch(inotify_, parent.empty() ? "." : parent.c_str(), kChanges);
    }
  }
  thread_ = std::thread([this] { run(); });
}

RuleWatcher::~RuleWatcher() {
  const uint64_t one = 1;
  if (::write(stop_, &one, sizeof one) < 0) {
    // The eventfd cannot be full after one write; nothing else can fail here.
  }
  if (thread_.joinable()) thread_.join();
  ::close(inotify_);
  ::close(stop_);
}

void RuleWatcher::watch_tree(const std::string& directory) {
  const auto watch = [this](const std::string& path) {
    const int wd = ::inotify_add_watch(inotify_, path.c_str(), kChanges);
    if (wd >= 0) folders_[wd] = path;
  };
  watch(directory);
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory, ec)) {
    if (entry.is_directory(ec)) watch(entry.path().string());
  }
}

void RuleWatcher::run() {
  bool dirty = false;
  for (;;) {
    pollfd fds[2] = {{inotify_, POLLIN, 0}, {stop_, POLLIN, 0}};
    const int timeout = dirty ? static_cast<int>(debounce_.count()) : -1;
    const int ready = ::poll(fds, 2, timeout);
    if (ready < 0 && errno == EINTR) continue;
    if (fds[1].revents & POLLIN) return;
    if (ready == 0) {  // quiet for the debounce interval after a change
      dirty = false;
      changed_();
      continue;
    }
    alignas(inotify_event) char buffer[8192];
    for (;;) {
      const ssize_t n = ::read(inotify_, buffer, sizeof buffer);
      if (n <= 0) break;
      for (ssize_t at = 0; at < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        const std::string_view name = event->len ? event->name : "";
        if ((event->mask & IN_ISDIR) && (event->mask & (IN_CREATE | IN_MOVED_TO))) {
          dirty = true;  // a new folder may bring rule files; it is watched from now on
          if (const auto it = folders_.find(event->wd); it != folders_.end())
            watch_tree(it->second + "/" + std::string(name));
        } else if (is_rule_file(name) || (event->mask & IN_DELETE_SELF)) {
          dirty = true;
        }
      }
    }
  }
}

}  // namespace spur::server
