#include "actions/log_adapter.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace spur::actions {

namespace {

// Removes a line cut short at the end of the regular file open as `fd` (and readable as
// `readable`): a process killed in the middle of a write can leave one, as the kernel
// stops a write to a file between pages when the writer gets SIGKILL. Nothing may then
// be appended after half a line. Its firing is not lost: in storage mode disk, recovery
// makes the last batch's firings again (docs/server.md, "Durability").
void drop_torn_tail(int fd, const char* readable) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return;
  const int in = ::open(readable, O_RDONLY | O_CLOEXEC);
  if (in < 0) return;
  off_t keep = -1;  // the size up to the last newline
  char block[4096];
  for (off_t end = st.st_size; end > 0 && keep < 0;) {
    const off_t from = std::max<off_t>(0, end - static_cast<off_t>(sizeof block));
    const auto size = static_cast<size_t>(end - from);
    if (::pread(in, block, size, from) != static_cast<ssize_t>(size)) break;
    for (size_t i = size; i-- > 0;) {
      if (block[i] == '\n') {
        keep = from + static_cast<off_t>(i) + 1;
        break;
      }
    }
    if (from == 0 && keep < 0) keep = 0;  // one line, all of it cut short
    end = from;
  }
  ::close(in);
  if (keep < 0 || keep == st.st_size) return;
  // Best effort: a file that cannot be cut keeps its half line, as it did before.
  const int cut = ::ftruncate(fd, keep);
  static_cast<void>(cut);
}

}  // namespace

LogAdapter::LogAdapter(const std::string& path) : path_(path.empty() ? "-" : path) {
  if (path_ == "-") {
    fd_ = STDOUT_FILENO;
    drop_torn_tail(fd_, "/proc/self/fd/1");
    return;
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error("cannot open the log adapter's file " + path_ + ": " +
                             std::strerror(errno) + "; check actions.<name>.path");
  }
  owns_fd_ = true;
  drop_torn_tail(fd_, path_.c_str());
}

LogAdapter::~LogAdapter() {
  flush();
  if (owns_fd_) ::close(fd_);
}

void LogAdapter::write(std::string_view line) {
  const std::lock_guard lock(mutex_);
  buffer_.append(line);
  buffer_.push_back('\n');
  ++queued_;
}

namespace {

// Writes as much of `text` as the file takes; returns how much, and sets `error` to the
// reason when that is not all.
size_t write_some(int fd, std::string_view text, std::atomic<int>& error) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error.store(n < 0 ? errno : EIO, std::memory_order_relaxed);
      break;
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace

bool LogAdapter::flush() {
  const std::lock_guard lock(mutex_);
  if (torn_.empty() && buffer_.empty()) return true;
  // The rest of a torn line first: until it is out, nothing else may follow it.
  if (!torn_.empty()) {
    const size_t done = write_some(fd_, torn_, last_error_);
    torn_.erase(0, done);
    if (torn_.empty()) {
      delivered_.fetch_add(1, std::memory_order_relaxed);
    } else {
      failed_.fetch_add(queued_, std::memory_order_relaxed);
      buffer_.clear();
      queued_ = 0;
      failing_.store(true, std::memory_order_relaxed);
      return false;
    }
  }
  const size_t done = write_some(fd_, buffer_, last_error_);
  const bool ok = done == buffer_.size();
  if (ok) {
    delivered_.fetch_add(queued_, std::memory_order_relaxed);
  } else {
    // Lines are counted only here, on the failure path: the whole buffer went out
    // otherwise (a scan of it on every flush cost 3 % of a loaded server, perf).
    const std::string_view written(buffer_.data(), done);
    const auto whole = static_cast<uint64_t>(std::count(written.begin(), written.end(), '\n'));
    delivered_.fetch_add(whole, std::memory_order_relaxed);
    const size_t last_end = written.rfind('\n');
    const size_t line_start = last_end == std::string_view::npos ? 0 : last_end + 1;
    if (done > line_start) {
      // A line cut off: its rest waits for the next flush; it counts when it is out.
      const size_t line_end = buffer_.find('\n', done) + 1;
      torn_.assign(buffer_, done, line_end - done);
      failed_.fetch_add(queued_ - whole - 1, std::memory_order_relaxed);
    } else {
      failed_.fetch_add(queued_ - whole, std::memory_order_relaxed);
    }
  }
  buffer_.clear();
  queued_ = 0;
  failing_.store(!ok, std::memory_order_relaxed);
  return ok;
}

}  // namespace spur::actions
