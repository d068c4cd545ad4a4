#include "storage/background_priority.hpp"

#ifdef __linux__
#include <sched.h>
#include <sys/resource.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#endif

namespace spur::storage {

#ifdef __linux__
namespace {

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
  // Tried on a thread of its own, as the pools' threads would do it: capabilities and
  // RLIMIT_NICE can be read, but a user namespace or a sandbox may still refuse.
  static const bool can = [] {
    bool left = false;
    std::thread probe([&left] {
      const sched_param none{};
      setpriority(PRIO_PROCESS, 0, kBackgroundNice);  // 0: the calling thread
      left = sched_setscheduler(0, SCHED_IDLE, &none) == 0 &&
             sched_setscheduler(0, SCHED_OTHER, &none) == 0;
    });
    probe.join();
    return left;
  }();
  return can;
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
