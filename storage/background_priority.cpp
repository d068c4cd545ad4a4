#include "storage/background_priority.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#ifdef __linux__
#include <sys/resource.h>

#include <cerrno>
#endif

namespace spur::storage {

int lower_background_priority() {
#ifdef __linux__
  int changed = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);
    if (!name.starts_with("rocksdb:")) continue;
    id_t tid = 0;
    try {
      tid = static_cast<id_t>(std::stoul(task.path().filename().string()));
    } catch (const std::exception&) {
      continue;
    }
    // getpriority returns -1 both as a nice value and as an error: errno tells them apart.
    errno = 0;
    const int nice = getpriority(PRIO_PROCESS, tid);
    if ((nice == -1 && errno != 0) || nice >= kBackgroundNice) continue;
    if (setpriority(PRIO_PROCESS, tid, kBackgroundNice) == 0) ++changed;
  }
  return changed;
#else
  return 0;
#endif
}

}  // namespace spur::storage
