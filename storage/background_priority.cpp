#include "storage/background_priority.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <system_error>

#ifdef __linux__
#include <sched.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdint>
#endif

namespace spur::storage {

#ifdef __linux__
namespace {

constexpr unsigned kCapSysNice = 23;  // linux/capability.h

bool has_cap_sys_nice() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (!line.starts_with("CapEff:")) continue;
    const std::string hex = line.substr(line.find_first_not_of(" \t", 7));
    uint64_t caps = 0;
    if (std::from_chars(hex.data(), hex.data() + hex.size(), caps, 16).ec != std::errc())
      return false;
    return (caps >> kCapSysNice) & 1;
  }
  return false;
}

// Calls `each` with the id of every thread of this process whose name starts with
// "rocksdb:".
template <typename Each>
void for_each_rocksdb_thread(Each each) {
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);  // empty if the thread ended
    if (!name.starts_with("rocksdb:")) continue;
    const std::string id = task.path().filename().string();
    pid_t tid = 0;
    if (std::from_chars(id.data(), id.data() + id.size(), tid).ec != std::errc()) continue;
    each(tid);
  }
}

void set_nice_at_least(pid_t tid) {
  // getpriority returns -1 both as a nice value and as an error: errno tells them apart.
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  if ((nice == -1 && errno != 0) || nice >= kBackgroundNice) return;
  setpriority(PRIO_PROCESS, static_cast<id_t>(tid), kBackgroundNice);
}

}  // namespace

bool can_leave_idle() {
  // The kernel lets a thread leave SCHED_IDLE when it could lower its nice value to the
  // one it has: 20 - nice within RLIMIT_NICE.
  rlimit limit{};
  const bool within_limit = getrlimit(RLIMIT_NICE, &limit) == 0 &&
                            (limit.rlim_cur == RLIM_INFINITY ||
                             limit.rlim_cur >= static_cast<rlim_t>(20 - kBackgroundNice));
  return within_limit || has_cap_sys_nice();
}

BackgroundClass opening_background_class() {
  return can_leave_idle() ? BackgroundClass::kIdle : BackgroundClass::kNice;
}

void set_background_class(BackgroundClass cls) {
  // Two RocksDB threads may report stall changes at once: the last change wins whole.
  static std::mutex serial;
  const std::lock_guard lock(serial);
  const sched_param none{};
  for_each_rocksdb_thread([&](pid_t tid) {
    // Nice first: a thread leaving SCHED_IDLE is then already at its value.
    set_nice_at_least(tid);
    sched_setscheduler(tid, cls == BackgroundClass::kIdle ? SCHED_IDLE : SCHED_OTHER, &none);
  });
}

#else

bool can_leave_idle() {
  return false;
}
BackgroundClass opening_background_class() {
  return BackgroundClass::kNice;
}
void set_background_class(BackgroundClass) {}

#endif

}  // namespace spur::storage
