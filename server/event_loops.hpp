// The server's event loops, one thread each (server.threads): they run the HTTP
// connections and the shards alike. A shard lives on one loop and the connections are
// spread over all of them, so an event whose user belongs to a shard of the connection's
// own loop is matched and answered on that thread, with no hand-over between threads;
// other events are posted to their shard's loop. Asio is included by event_loops.cpp and
// http_server.cpp only.
//
// Thread-safety: post() from any thread; a LoopTimer is used on its loop's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace spur::server {

class EventLoops {
 public:
  explicit EventLoops(size_t count);  // the loops, not running yet
  ~EventLoops();                      // stop()
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;

  size_t size() const { return contexts_.size(); }
  // Starts one thread per loop.
  void start();
  // Ends the threads and joins them; what is still posted is dropped.
  void stop();

  // Runs `work` on the loop's thread after what is posted there already, never inline.
  void post(size_t loop, std::function<void()> work);
  boost::asio::io_context& context(size_t loop) { return *contexts_[loop]; }

 private:
  struct Guards;  // keep each loop running while it has nothing to do
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::unique_ptr<Guards> guards_;
  std::vector<std::thread> threads_;
};

// A wall-clock timer on one loop: calls its function there at the time last armed.
class LoopTimer {
 public:
  LoopTimer(EventLoops& loops, size_t loop, std::function<void()> fire);
  ~LoopTimer();  // cancels; REQUIRES: not during a call of its function
  LoopTimer(const LoopTimer&) = delete;
  LoopTimer& operator=(const LoopTimer&) = delete;

  // Replaces any earlier arming. On the loop's thread.
  void arm_at(int64_t wall_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spur::server
