#include "server/shard.hpp"

#include <future>

#include "formats/json_codec.hpp"
#include "models/remote_scores.hpp"
#include "server/log.hpp"
#include "storage/log_writer.hpp"

namespace spur::server {
namespace {

// A logged http score (storage::RecordKind::kScore) back where steps are answered from.
void put_score(models::RemoteScores& scores, const std::string& user, const Value& logged) {
  const Value* model = logged.find("model");
  const Value* value = logged.find("value");
  const Value* fallback = logged.find("default");
  const Value* until = logged.find("until");
  if (model == nullptr || model->kind() != Value::Kind::kString || value == nullptr) return;
  scores.put(model->as_string(), user,
             {*value, fallback != nullptr && fallback->is_true(),
              until != nullptr && until->kind() == Value::Kind::kNumber
                  ? static_cast<int64_t>(until->as_number())
                  : INT64_MIN});
}

// The longest a shard's timer waits (see arm_timer).
constexpr int64_t kMaxWaitMs = 1000;

// The buckets of the http scores' table a shard sweeps of stale entries at each turn
// (models::RemoteScores::forget_stale): a few microseconds under the table's lock.
constexpr size_t kSweptBuckets = 64;

// What a timer step's scores are asked ahead by (Shard::timer_lead_ms_).
int64_t lead_for(const RemoteScoring& scoring) {
  constexpr int64_t kMarginMs = 100;
  int64_t longest = 0;
  if (scoring.settings != nullptr) {
    for (const auto& [name, settings] : *scoring.settings)
      longest = std::max(longest, settings.timeout_ms);
  }
  return longest + kMarginMs;
}

// The kScore record of a user's http score (put_score reads it back).
Value logged_score(const std::string& model, const models::RemoteScores::Entry& entry) {
  return Value::object({{"model", Value::string(model)},
                        {"value", entry.value},
                        {"default", Value::boolean(entry.fallback)},
                        {"until", entry.until_ms == INT64_MIN
                                      ? Value()
                                      : Value::number(static_cast<double>(entry.until_ms))}});
}

}  // namespace

void LastStep::remember(const Event& event, int64_t at_ms) {
  text_.assign(event.id);
  text_ += event.name;
  append_json(text_, event.properties);
  id_size_ = static_cast<uint32_t>(event.id.size());
  name_size_ = static_cast<uint32_t>(event.name.size());
  time_ms_ = event.time_ms;
  at_ms_ = at_ms;
  outcomes.clear();
}

Event LastStep::event(const std::string& user) const {
  Event e{.name = std::string(name()),
          .user = user,
          .id = std::string(id()),
          .time_ms = time_ms_,
          .has_time = true};
  std::string error;
  // The text was written by append_json from a decoded event, which the limits took: it
  // reads back as it was.
  if (auto properties = parse_json_value(std::string_view(text_).substr(id_size_ + name_size_),
                                         error, kMaxJsonDepth))
    e.properties = std::move(*properties);
  return e;
}

namespace {

// A shard's engine runs on the wall clock (language.md section 9).
EngineConfig on_wall_clock(EngineConfig config) {
  config.wall_clock = true;
  return config;
}

}  // namespace

ShardState::ShardState(std::shared_ptr<const Program> program, const EngineConfig& config,
                       FiringSink& sink, Durability durability)
    : sink_(sink),
      durability_(durability),
      engine_(std::move(program), on_wall_clock(config), *this) {}

const UserRecord* ShardState::record(const std::string& user) const {
  const UserState* state = engine_.user(user);
  return state == nullptr ? nullptr : static_cast<const UserRecord*>(state->extension.get());
}

UserRecord& ShardState::record_in(std::unique_ptr<UserExtension>& slot) {
  if (!slot) slot = std::make_unique<UserRecord>();
  return static_cast<UserRecord&>(*slot);
}

bool ShardState::erase_user(const std::string& user) {
  if (const UserRecord* found = record(user)) firing_log_.erase(found->newest_firing);
  if (durable()) commit().erase_user(user);
  return engine_.erase_user(user);
}

void ShardState::write_attributes(const std::string& user, const Value& attributes, bool merge) {
  if (merge) {
    engine_.merge_attributes(user, attributes);
  } else {
    engine_.set_attributes(user, attributes);
  }
  if (!durable()) return;
  const auto kind =
      merge ? storage::RecordKind::kMergeAttributes : storage::RecordKind::kSetAttributes;
  commit().add_attributes(kind, engine_.clock().value_or(0), user, attributes);
}

void ShardState::end_turn() {
  if (!durable()) {
    sink_.flush();
    return;
  }
  if (commit_) durability_.writer->submit(std::move(commit_));
}

void ShardState::advance_to(int64_t ms) {
  const uint64_t before = firings_;
  engine_.advance_to(ms);
  if (firings_ != before && durable() && !replaying_)
    commit().add_tick(*engine_.clock(), durability_.shard, durability_.shards);
}

storage::Commit& ShardState::commit() {
  if (!commit_) commit_ = std::make_unique<storage::Commit>(*durability_.log);
  return *commit_;
}

void ShardState::when_durable(std::function<void(const std::string& error)> done) {
  if (!durable()) return done("");
  commit().on_done(std::move(done));
}

uint64_t ShardState::log_program() {
  if (!durable() || replaying_) return 0;
  return commit().add_program(engine_.clock().value_or(0), engine_.program().version,
                              durability_.shard, durability_.shards);
}

void ShardState::replay(const storage::LogRecord& record) {
  step_seq_ = record.seq;
  engine_.advance_to(record.clock_ms);
  switch (record.kind) {
    case storage::RecordKind::kEvent:
      submit(record.event);
      break;
    case storage::RecordKind::kDecision: {
      Engine::Decision answered;  // given when the request was made
      engine_.decide(record.event, answered);
      break;
    }
    case storage::RecordKind::kSetAttributes:
      engine_.set_attributes(record.user, record.attributes);
      break;
    case storage::RecordKind::kMergeAttributes:
      engine_.merge_attributes(record.user, record.attributes);
      break;
    case storage::RecordKind::kScore:
      if (remote_scores_ != nullptr) put_score(*remote_scores_, record.user, record.attributes);
      break;
    case storage::RecordKind::kCheckpoint: {
      UserState& state = engine_.restore_user(record.user, record.engine_state);
      restore_record(record_in(state.extension), record.server_state);
      break;
    }
    case storage::RecordKind::kTick:
    case storage::RecordKind::kProgram:  // the caller's: it knows the programs
      break;
  }
}

bool ShardState::rederives(std::string_view user) const {
  if (rederive_ == nullptr || !rederive_->steps.contains(step_seq_)) return false;
  const auto checkpoint = rederive_->checkpointed.find(user);
  return checkpoint == rederive_->checkpointed.end() || checkpoint->second < step_seq_;
}

SubmitResult ShardState::submit(Event event) {  // NOLINT(performance-unnecessary-value-param)
  const Engine::Hint hint = Engine::hint_of(event);
  return submit(std::move(event), hint);
}

SubmitResult ShardState::submit(
    Event event, const Engine::Hint& hint) {  // NOLINT(performance-unnecessary-value-param)
  step_event_ = &event;
  step_outcomes_.clear();
  // The event dies with this call, thrown out of or not: no later step may see it.
  struct StepEnd {
    const Event*& step;
    ~StepEnd() { step = nullptr; }
  } end{step_event_};
  if (remote_scores_ != nullptr && durable() && !replaying_) log_scores(event.user);
  SubmitResult result = engine_.submit(event, hint);
  if (remote_scores_ != nullptr)
    remote_scores_->forget_step(event.user, engine_.clock().value_or(event.time_ms));
  // In wall-clock mode a step does not move the clock: it is the one the step ran at.
  if (result.outcome == Outcome::kAccepted && durable() && !replaying_)
    commit().add_event(engine_.clock().value_or(event.time_ms), event);
  if (result.outcome == Outcome::kAccepted) {
    LastStep& last = record_in(*result.extension).last_step;
    last.remember(event, engine_.clock().value_or(event.time_ms));
    std::swap(last.outcomes, step_outcomes_);
  }
  return result;
}

void ShardState::log_scores(const std::string& user) {
  const int64_t at = engine_.clock().value_or(0);
  for (const auto& [model, entry] : remote_scores_->entries(user, at))
    commit().add_attributes(storage::RecordKind::kScore, at, user, logged_score(model, entry));
}

void ShardState::put_timer_score(const std::string& user, const std::string& model,
                                 const models::RemoteScores::Entry& entry) {
  remote_scores_->put(model, user, entry);
  if (durable() && !replaying_) {
    commit().add_attributes(storage::RecordKind::kScore, engine_.clock().value_or(0), user,
                            logged_score(model, entry));
  }
}

SubmitResult ShardState::decide(const Event& request, Engine::Decision& answer) {
  if (remote_scores_ != nullptr && durable() && !replaying_) log_scores(request.user);
  SubmitResult result = engine_.decide(request, answer);
  if (remote_scores_ != nullptr)
    remote_scores_->forget_step(request.user, engine_.clock().value_or(request.time_ms));
  if (result.outcome == Outcome::kAccepted && durable() && !replaying_)
    commit().add_decision(engine_.clock().value_or(request.time_ms), request);
  return result;
}

bool ShardState::in_step(std::string_view trigger, std::string_view user) const {
  return step_event_ != nullptr && trigger == step_event_->id && user == step_event_->user;
}

void ShardState::on_suppressed(const Suppression& s) {
  if (in_step(s.trigger, s.user))
    step_outcomes_.emplace_back(std::string(s.rule), reason_name(s.reason));
}

void ShardState::on_firing(const Firing& firing) {
  if (in_step(firing.trigger, firing.user))
    step_outcomes_.emplace_back(std::string(firing.rule), "fired");
  ++firings_;
  firing_json_.clear();
  append_firing_json(firing_json_, firing);
  if (late_) {
    firing_json_.pop_back();
    firing_json_ += ",\"late\":true}";
  }
  if (!durable()) {
    sink_.deliver(firing, firing_json_);
  } else if (!replaying_ || rederives(firing.user)) {
    const FiringSink::Targets targets = sink_.targets(firing);
    if (!targets.names.empty())
      commit().add_firing(firing.user, targets.names, firing_json_, targets.confirmed_later);
    if (replaying_) {
      commit().mark_rederived();
      ++rederived_;
    }
  }
  UserRecord& record = record_in(*firing.extension);
  record.newest_firing = firing_log_.append(firing_json_, record.newest_firing);
}

Shard::Shard(std::shared_ptr<const Program> program, const EngineConfig& config, FiringSink& sink,
             Metrics& metrics, size_t capacity_events, EventLoops& loops, size_t loop,
             Durability durability, RemoteScoring scoring)
    : state_(std::move(program), config, sink, durability),
      recovering_(durability.log != nullptr),
      metrics_(metrics),
      capacity_events_(capacity_events),
      loops_(loops),
      loop_(loop),
      scoring_(scoring),
      timer_lead_ms_(lead_for(scoring)),
      timer_(loops, loop, [this] { on_timer(); }) {
  state_.use_remote_scores(scoring.scores);
  loops_.post(loop_, [this] { arm_timer(); });
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
    if (drain_posted_ || stopped_) return;
    drain_posted_ = true;
  }
  loops_.post(loop_, [this] { drain(); });
}

void Shard::stop() {
  {
    const std::lock_guard lock(mutex_);
    if (stopped_) return;  // a second stop would wait for a drain that never comes
  }
  std::promise<void> done;
  post([&done](ShardState&) { done.set_value(); });
  done.get_future().wait();
  const std::lock_guard lock(mutex_);
  stopped_ = true;
}

void Shard::drain() {
  {
    const std::lock_guard lock(mutex_);
    draining_.swap(queue_);
    drain_posted_ = false;
  }
  if (!recovering_.load(std::memory_order_acquire)) {
    fetch_timer_scores();
    state_.advance_to(wall_ms());
  }
  for (Item& item : draining_) {
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
  draining_.clear();
  end_turn();
}

void Shard::end_turn() {
  // A pass holds the shard for one chunk at most; the timer brings the next one.
  if (!recovering_.load(std::memory_order_acquire)) state_.checkpoint_some(wall_ms(), metrics_);
  if (scoring_.scores != nullptr) scoring_.scores->forget_stale(wall_ms(), kSweptBuckets);
  state_.end_turn();
  arm_timer();
}

void Shard::handle(EventPart& part) {
  IngestBatch& batch = *part.batch;
  Engine& engine = state_.engine();
  const auto hint = [&part, &engine](size_t i) { return engine.prefetch(part.events[i].second); };
  std::shared_ptr<WaitingPart> waiting;  // made when one of the part's events waits
  size_t waited = 0;  // their room in the queue is given back when they are handled
  submit_hinted(part.events.size(), hint, [&](size_t i, const Engine::Hint& made) {
    auto& [index, event] = part.events[i];
    const int64_t start = steady_ns();
    IngestBatch::Result& out = batch.results[index];
    try {
      if (scoring_.fetcher != nullptr && !recovering_.load(std::memory_order_acquire) &&
          wait_for_scores(index, event, waiting, part.batch)) {
        ++waited;
        return;
      }
      state_.advance_to(wall_ms());
      SubmitResult result = state_.submit(std::move(event), made);
      out = {result.outcome, std::string(result.code), std::move(result.error)};
    } catch (const std::exception& e) {
      // A bug must not take every user of the process down: the event is refused, said.
      log_line("error", "an event failed in its shard", {{"what", e.what()}});
      out = {Outcome::kRejected, "internal_error", std::string("internal error: ") + e.what()};
    }
    metrics_.evaluation.observe(steady_ns() - start);
  });
  queued_events_.fetch_sub(part.events.size() - waited, std::memory_order_relaxed);
  if (!waiting) finish(part.batch);
}

void Shard::finish(const std::shared_ptr<IngestBatch>& batch) {
  state_.when_durable([batch](const std::string& error) {
    if (!error.empty()) batch->not_durable.store(true, std::memory_order_relaxed);
    if (batch->parts_left.fetch_sub(1, std::memory_order_acq_rel) == 1) batch->done(*batch);
  });
}

void Shard::on_timer() {
  armed_ms_ = INT64_MAX;
  {
    const std::lock_guard lock(mutex_);
    if (stopped_) return;
  }
  if (!recovering_.load(std::memory_order_acquire)) {
    fetch_timer_scores();
    state_.advance_to(wall_ms());
  }
  end_turn();
}

// The timer goes off at the engine's next deadline, and at least every kMaxWait, which
// bounds how far a wall clock stepped backwards or forwards (NTP) can delay a timer. It
// is moved only to an earlier time: going off early costs one more arming, while moving
// it on every drain would cost a timer operation per event.
void Shard::arm_timer() {
  const int64_t now = wall_ms();
  int64_t at = now + kMaxWaitMs;
  if (const auto next = state_.engine().next_deadline()) at = std::min(at, *next);
  at = std::min(at, state_.next_chunk_ms());
  if (scoring_.fetcher != nullptr) {
    if (const auto next = state_.engine().next_remote_deadline())
      at = std::min(at, *next - timer_lead_ms_);
  }
  if (armed_ms_ != INT64_MAX && armed_ms_ <= at) return;
  armed_ms_ = at;
  timer_.arm_at(at);
}

}  // namespace spur::server
