// The dead letter of an adapter: firings it gave up on, one JSON object per line, for an
// operator to inspect and send again:
//   {"adapter": "email", "time": "<RFC 3339, when given up>", "attempts": 9,
//    "error": "HTTP 500 Internal Server Error", "firing": {...the firing JSON...}}
//
// Thread-safety: write() from any thread; each line is one append, never interleaved.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

namespace spur::actions {

class DeadLetter {
 public:
  // Opens (creates) `path` for appending; throws std::runtime_error naming the path, the
  // system's reason and the setting to change.
  DeadLetter(std::string adapter, const std::string& path);
  ~DeadLetter();
  DeadLetter(const DeadLetter&) = delete;
  DeadLetter& operator=(const DeadLetter&) = delete;

  // Appends the line and syncs the file: a firing leaves the outbox once it is here.
  // False when the file refused it (the reason is in last_error()).
  bool write(std::string_view firing_json, std::string_view error, int attempts);

  const std::string& path() const { return path_; }
  int last_error() const { return last_error_.load(std::memory_order_relaxed); }

 private:
  std::string adapter_;
  std::string path_;
  int fd_ = -1;
  std::atomic<int> last_error_{0};
};

}  // namespace spur::actions
