#include "server/failpoint.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace spur::server {
namespace {

struct Armed {
  std::mutex mutex;
  std::vector<std::string> names;  // guarded by mutex; each leaves once hit
  std::atomic<bool> any{false};

  Armed() {
    const char* list = std::getenv("SPUR_FAILPOINTS");
    std::string_view rest = list == nullptr ? "" : list;
    while (!rest.empty()) {
      const size_t comma = std::min(rest.find(','), rest.size());
      if (comma > 0) names.emplace_back(rest.substr(0, comma));
      rest.remove_prefix(std::min(rest.size(), comma + 1));
    }
    any = !names.empty();
  }
};

Armed& armed() {
  static Armed points;
  return points;
}

}  // namespace

bool failpoint_hit(std::string_view name) {
  Armed& points = armed();
  if (!points.any.load(std::memory_order_relaxed)) return false;
  const std::lock_guard lock(points.mutex);
  const auto it = std::find(points.names.begin(), points.names.end(), name);
  if (it == points.names.end()) return false;
  points.names.erase(it);
  return true;
}

}  // namespace spur::server
