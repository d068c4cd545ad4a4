#include "actions/log_adapter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace spur::actions {

LogAdapter::LogAdapter(const std::string& path) : path_(path.empty() ? "-" : path) {
  if (path_ == "-") {
    fd_ = STDOUT_FILENO;
    return;
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error("cannot open the log adapter's file " + path_ + ": " +
                             std::strerror(errno) + "; check actions.<name>.path");
  }
  owns_fd_ = true;
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

bool LogAdapter::flush() {
  const std::lock_guard lock(mutex_);
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == buffer_.size();
  (ok ? delivered_ : failed_).fetch_add(queued_, std::memory_order_relaxed);
  buffer_.clear();
  queued_ = 0;
  return ok;
}

}  // namespace spur::actions
