#include "actions/dead_letter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "time/time_text.hpp"

namespace spur::actions {

DeadLetter::DeadLetter(std::string adapter, const std::string& path)
    : adapter_(std::move(adapter)), path_(path) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error("cannot open the dead letter file " + path_ + " of adapter " +
                             adapter_ + ": " + std::strerror(errno) + "; check actions." +
                             adapter_ + ".dead_letter");
  }
}

DeadLetter::~DeadLetter() {
  ::close(fd_);
}

bool DeadLetter::write(std::string_view firing_json, std::string_view error, int attempts) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string line = "{\"adapter\":" + nlohmann::json(adapter_).dump() + ",\"time\":\"" +
                     format_rfc3339(now) + "\",\"attempts\":" + std::to_string(attempts) +
                     ",\"error\":" +
                     nlohmann::json(std::string(error))
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                     ",\"firing\":";
  line.append(firing_json);
  line += "}\n";
  // One write of an O_APPEND file: lines of several threads never interleave.
  ssize_t n = 0;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(line.size()) || ::fdatasync(fd_) != 0) {
    last_error_.store(n < 0 ? errno : EIO, std::memory_order_relaxed);
    return false;
  }
  return true;
}

}  // namespace spur::actions
