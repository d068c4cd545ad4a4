#include "server/huge_pages.hpp"

#include <cerrno>
#include <cstring>

#ifdef __linux__
#include <sys/prctl.h>
#endif

namespace spur::server {

std::string stop_new_huge_pages() {
#ifdef __linux__
  // Sets MMF_DISABLE_THP on the process's memory: page faults and khugepaged then give
  // it 4 KiB pages only, also in ranges jemalloc marked MADV_HUGEPAGE.
  if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) return std::strerror(errno);
#endif
  return {};
}

}  // namespace spur::server
