#include "server/shard.hpp"

#include <chrono>

#include "formats/json_codec.hpp"
#include "server/log.hpp"

namespace spur::server {
namespace {

// The longest a shard sleeps with nothing queued. It wakes for every item and at the next
// timer's deadline anyway; this bounds how far a wall clock stepped backwards or forwards
// (NTP) can delay a timer.
constexpr auto kMaxSleep = std::chrono::seconds(1);

}  // namespace

ShardState::ShardState(std::shared_ptr<const Program> program, const EngineConfig& config,
                       FiringSink& sink)
    : sink_(sink), engine_(std::move(program), config, *this) {}

const UserRecord* ShardState::record(const std::string& user) const {
  const auto* found = records_.find(user);
  return found == nullptr ? nullptr : &found->second;
}

UserRecord& ShardState::record_of(std::string_view user) {
  if (step_user_ != nullptr && user == step_.event.user) return *step_user_;
  return records_.get_or_add(user).second;
}

bool ShardState::erase_user(const std::string& user) {
  const bool had_record = records_.erase(user);
  return engine_.erase_user(user) || had_record;
}

void ShardState::flush_firings() {
  sink_.flush();
}

SubmitResult ShardState::submit(Event event) {
  step_.event = std::move(event);
  step_.outcomes.clear();
  step_user_ = &records_.get_or_add(step_.event.user).second;
  SubmitResult result = engine_.submit(step_.event);
  if (result.outcome == Outcome::kAccepted) {
    step_.at_ms = engine_.clock().value_or(step_.event.time_ms);
    std::swap(step_user_->last_step, step_);
  }
  step_user_ = nullptr;
  return result;
}

void ShardState::on_suppressed(const Suppression& s) {
  if (step_user_ != nullptr && s.trigger == step_.event.id && s.user == step_.event.user)
    step_.outcomes.emplace_back(std::string(s.rule), reason_name(s.reason));
}

void ShardState::on_firing(const Firing& firing) {
  if (step_user_ != nullptr && firing.trigger == step_.event.id && firing.user == step_.event.user)
    step_.outcomes.emplace_back(std::string(firing.rule), "fired");
  std::string json = firing_json(firing);
  sink_.deliver(firing, json);
  record_of(firing.user).firings.push(std::move(json), kRecentFirings);
}

Shard::Shard(std::shared_ptr<const Program> program, const EngineConfig& config, FiringSink& sink,
             Metrics& metrics, size_t capacity_events)
    : state_(std::move(program), config, sink),
      metrics_(metrics),
      capacity_events_(capacity_events),
      thread_([this] { run(); }) {}

Shard::~Shard() {
  stop();
}

bool Shard::reserve(size_t n) {
  size_t queued = queued_events_.load(std::memory_order_relaxed);
  do {
    if (queued + n > capacity_events_) return false;
  } while (!queued_events_.compare_exchange_weak(queued, queued + n, std::memory_order_relaxed));
  return true;
}

void Shard::post_events(std::shared_ptr<IngestBatch> batch,
                        std::vector<std::pair<uint32_t, Event>> events) {
  push(EventPart{std::move(batch), std::move(events)});
}

void Shard::post(Task task) {
  push(std::move(task));
}

void Shard::push(Item item) {
  {
    const std::lock_guard lock(mutex_);
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
}

void Shard::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Shard::handle(EventPart& part) {
  IngestBatch& batch = *part.batch;
  Engine& engine = state_.engine();
  for (auto& [index, event] : part.events) {
    const int64_t start = steady_ns();
    IngestBatch::Result& out = batch.results[index];
    try {
      engine.advance_to(wall_ms());
      SubmitResult result = state_.submit(std::move(event));
      // In serve every event has a time, so lateness is the engine's only reason to refuse.
      out = {result.outcome, result.outcome == Outcome::kRejected ? "too_late" : "",
             std::move(result.error)};
    } catch (const std::exception& e) {
      // A bug must not take every user of the process down: the event is refused, said.
      log_line("error", "an event failed in its shard", {{"what", e.what()}});
      out = {Outcome::kRejected, "internal_error", std::string("internal error: ") + e.what()};
    }
    metrics_.evaluation.observe(steady_ns() - start);
  }
  queued_events_.fetch_sub(part.events.size(), std::memory_order_relaxed);
  if (batch.parts_left.fetch_sub(1, std::memory_order_acq_rel) == 1) batch.done(batch);
}

void Shard::run() {
  std::vector<Item> items;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      const auto next = state_.engine().next_deadline();
      const auto now = std::chrono::system_clock::now();
      auto until = now + kMaxSleep;
      if (next) {
        until = std::min(until,
                         std::chrono::system_clock::time_point(std::chrono::milliseconds(*next)));
      }
      wake_.wait_until(lock, until, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) break;
      items.swap(queue_);
    }
    state_.engine().advance_to(wall_ms());
    for (Item& item : items) {
      if (auto* part = std::get_if<EventPart>(&item)) {
        handle(*part);
      } else {
        try {
          std::get<Task>(item)(state_);
        } catch (const std::exception& e) {
          log_line("error", "a shard task failed", {{"what", e.what()}});
        }
      }
    }
    items.clear();
    state_.flush_firings();
  }
  state_.flush_firings();
}

}  // namespace spur::server
