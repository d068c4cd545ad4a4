#include "server/event_loops.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/system_timer.hpp>
#include <chrono>

namespace spur::server {

namespace net = boost::asio;

struct EventLoops::Guards {
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
};

EventLoops::EventLoops(size_t count) : guards_(std::make_unique<Guards>()) {
  for (size_t i = 0; i < std::max<size_t>(1, count); ++i) {
    // One thread runs each loop (the hint lets Asio skip work for several).
    contexts_.push_back(std::make_unique<net::io_context>(1));
    guards_->guards.push_back(net::make_work_guard(*contexts_.back()));
  }
}

EventLoops::~EventLoops() {
  stop();
}

void EventLoops::start() {
  for (auto& context : contexts_)
    threads_.emplace_back([&context] { context->run(); });
}

void EventLoops::stop() {
  guards_->guards.clear();
  for (auto& context : contexts_)
    context->stop();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void EventLoops::post(size_t loop, std::function<void()> work) {
  net::post(*contexts_[loop], std::move(work));
}

struct LoopTimer::Impl {
  Impl(net::io_context& context, std::function<void()> f) : timer(context), fire(std::move(f)) {}
  net::system_timer timer;
  std::function<void()> fire;
};

LoopTimer::LoopTimer(EventLoops& loops, size_t loop, std::function<void()> fire)
    : impl_(std::make_unique<Impl>(loops.context(loop), std::move(fire))) {}

LoopTimer::~LoopTimer() = default;

void LoopTimer::arm_at(int64_t wall_ms) {
  impl_->timer.expires_at(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(wall_ms)));
  // A cancelled wait (re-armed, or the timer destroyed) calls with an error and does
  // nothing: the Impl may be gone by then.
  impl_->timer.async_wait([impl = impl_.get()](const boost::system::error_code& ec) {
    if (!ec) impl->fire();
  });
}

}  // namespace spur::server
