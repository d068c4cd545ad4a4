// The server's two clocks: the wall clock that drives the engine and stamps log lines,
// and a monotonic one for measuring durations (metrics).
#pragma once

#include <chrono>
#include <cstdint>

namespace spur::server {

// Milliseconds since the Unix epoch, from the system clock.
inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Nanoseconds of the steady clock: only differences mean anything.
inline int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace spur::server
