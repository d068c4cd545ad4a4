#include "storage/background_priority.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#ifdef __linux__
#include <sys/resource.h>

#include <cerrno>
#endif

namespace spur::storage {

void lower_background_priority() {
#ifdef __linux__
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);  // empty if the thread ended
    if (!name.starts_with("rocksdb:")) continue;
    const std::string id = task.path().filename().string();
    id_t tid = 0;
    if (std::from_chars(id.data(), id.data() + id.size(), tid).ec != std::errc()) continue;
    // getpriority returns -1 both as a nice value and as an error: errno tells them apart.
    errno = 0;
    const int nice = getpriority(PRIO_PROCESS, tid);
    if ((nice == -1 && errno != 0) || nice >= kBackgroundNice) continue;
    setpriority(PRIO_PROCESS, tid, kBackgroundNice);
  }
#endif
}

}  // namespace spur::storage
