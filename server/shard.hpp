// A shard: an Engine and the users hashed to it (design.md, "Shards"), run on one event
// loop (event_loops.hpp), whose thread alone touches the engine, so matching takes no
// lock; other threads hand work over through the shard's queue, which is the only
// synchronised part. Connections on the same loop hand their events over without a
// thread switch: the queue is drained by a task posted to the loop.
//
// Work is done in queue order: events, profile writes, reads and rule-set swaps are
// steps of one sequence, so a swap happens between two steps and a read sees every
// write queued before it. Between drains, timers due on the wall clock fire.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "engine/engine.hpp"
#include "engine/user_bytes.hpp"
#include "models/remote_scores.hpp"
#include "server/clock.hpp"
#include "server/config.hpp"
#include "server/event_loops.hpp"
#include "server/firing_log.hpp"
#include "server/firing_sink.hpp"
#include "server/metrics.hpp"
#include "server/score_fetcher.hpp"
#include "storage/commit.hpp"

namespace spur::storage {
class LogWriter;
}

namespace spur::server {

// One POST /v1/events while its events are in the shards. Each event index belongs to
// exactly one shard, which alone writes its outcome; the shard that finishes the last
// part calls `done` (on its thread).
struct IngestBatch {
  // Set by a shard whose part could not be written to the log (storage mode disk).
  std::atomic<bool> not_durable{false};
  struct Result {
    Outcome outcome = Outcome::kAccepted;
    std::string code;  // of a rejection: invalid_event, too_early, too_late, internal_error
    std::string error;
  };
  std::vector<Result> results;  // per event of the body
  std::atomic<size_t> parts_left{0};
  std::function<void(IngestBatch&)> done;
};

// A user's latest input step, for GET /v1/users/{user}/explain. The event is kept as
// text in one buffer the record reuses: keeping the decoded event instead meant freeing
// the previous one at each step, its memory cold by then (8 % of a loaded server).
class LastStep {
 public:
  bool taken() const { return !text_.empty(); }
  // Remembers `event`, handled at `at_ms`, with no outcome yet.
  void remember(const Event& event, int64_t at_ms);
  std::string_view id() const { return std::string_view(text_).substr(0, id_size_); }
  std::string_view name() const { return std::string_view(text_).substr(id_size_, name_size_); }
  int64_t at_ms() const { return at_ms_; }
  // The event again, decoded from the text.
  Event event(const std::string& user) const;
  // For checkpoints: the record as bytes (engine/value_bytes.hpp), and back.
  void append_bytes(std::string& out) const;
  void read_bytes(BytesReader& in);

  // Rule name -> "fired", or the suppression reason, in the order they happened.
  std::vector<std::pair<std::string, std::string>> outcomes;

 private:
  std::string text_;  // id, name, then the properties as JSON; empty until a step
  uint32_t id_size_ = 0;
  uint32_t name_size_ = 0;
  int64_t time_ms_ = 0;  // the event's, as handed to the engine
  int64_t at_ms_ = 0;    // the step's, which can be later (language.md section 9)
};

// What the server keeps about a user besides the engine's state, in the engine's state
// (UserExtension): made at the user's first step or firing.
struct UserRecord : UserExtension {
  LastStep last_step;
  uint64_t newest_firing = FiringLog::kNone;  // in the shard's FiringLog
};

// Where a shard's steps go in storage mode `disk`; both null in mode memory.
struct Durability {
  storage::EventLog* log = nullptr;
  storage::LogWriter* writer = nullptr;
  uint32_t shard = 0, shards = 1;           // which shard of how many: program switches name it
  int64_t checkpoint_interval_ms = 60'000;  // storage.snapshot_interval
};

// The shard's own state, handed to tasks on the shard's thread.
class ShardState : private EngineListener {
 public:
  static constexpr size_t kRecentFirings = 100;  // at most, per user, for GET .../firings
  // The shard's FiringLog: about 250,000 firings of 250 bytes.
  static constexpr size_t kFiringLogBytes = size_t{64} << 20;

  ShardState(std::shared_ptr<const Program> program, const EngineConfig& config, FiringSink& sink,
             Durability durability = {});
  Engine& engine() { return engine_; }
  // The server's record of a user (latest step, latest firings); nullptr when none.
  const UserRecord* record(const std::string& user) const;
  // The user's firings still in the shard's log, newest first, at most `limit`; valid
  // until the next step.
  std::vector<std::string_view> recent_firings(const UserRecord& record, size_t limit) const {
    return firing_log_.newest_first(record.newest_firing, limit);
  }
  // Forgets the user entirely (DELETE /v1/profiles/{user}), in the data folder too.
  // False when unknown.
  bool erase_user(const std::string& user);
  // PUT (replace) or PATCH (`merge`) of a user's profile, logged in mode disk.
  void write_attributes(const std::string& user, const Value& attributes, bool merge);
  // Ends the shard's turn: in mode memory, hands the firings written so far to the
  // adapters' files; in mode disk, hands the turn's commit to the log writer.
  void end_turn();
  // Moves the engine's clock to `ms`, firing the timers due (a tick in the log when any
  // fired).
  void advance_to(int64_t ms);

  // Storage mode disk: whether steps are logged, the commit of this turn, and a call
  // made when everything before it in this shard is durable (with "" then) or could not
  // be written (with the error). In mode memory, `done("")` runs at once.
  bool durable() const { return durability_.log != nullptr; }
  storage::Commit& commit();
  void when_durable(std::function<void(const std::string& error)> done);
  // Logs that this shard runs its engine's program from here on (at start, and at
  // each switch of rule sets), so that a recovery replays each step under the program
  // that ran it.
  // Returns the program record's seq (0 in mode memory or while replaying).
  uint64_t log_program();

  // Recovery (storage mode disk): while replaying, firings are kept for GET .../firings
  // but not delivered (their adapters had them, or the outbox has them), except those
  // `rederive` says may not have been delivered (docs/architecture.md, "Firings"),
  // and steps are not logged again; firings made while `late` are marked "late": true.
  struct Rederivation {
    storage::SeqRange steps;  // the steps whose firings may not have been delivered
    // Users whose checkpoint is later than the range's first step, and its seq: steps
    // of theirs before it are replayed from a state the checkpoint replaced, and their
    // firings are in the outbox.
    std::map<std::string, uint64_t, std::less<>> checkpointed;
  };
  void replay(const storage::LogRecord& record);
  void set_replaying(bool on, const Rederivation* rederive = nullptr) {
    replaying_ = on;
    rederive_ = rederive;
  }
  // Firings made again by replay so far.
  uint64_t rederived() const { return rederived_; }
  // Recovery: the dedup window's ids the checkpoints and the steps they cover hold.
  void merge_recent_ids(const std::vector<storage::RecentId>& ids);

  // Checkpoints (mode disk; docs/architecture.md, "Checkpoints"), on the shard's thread
  // between turns: starts a pass when one is due at `now_ms`, then, when the pass under
  // way is not resting, saves one chunk of it (a chunk of the dedup window's ids, or of
  // the users), its time and what it saved counted in `metrics`.
  void checkpoint_some(int64_t now_ms, Metrics& metrics);
  // When the pass under way is due to save its next chunk (wall ms); INT64_MAX without
  // one. A pass rests between chunks (checkpoint.cpp, kCheckpointRest), so that it
  // takes at most a fifth of the thread: running its chunks back to back, a pass took
  // every spare cycle of a busy core for a second or more, and requests queued behind it.
  int64_t next_chunk_ms() const { return pass_ ? pass_->rest_from_ms + pass_->rest_ms : INT64_MAX; }
  void set_late(bool on) { late_ = on; }
  // Handles one input event, remembering the step for explain when it is taken. The
  // event is taken by value so that it is freed here, while it is still in cache.
  SubmitResult submit(Event event);
  // The same with the event's hint made before (Engine::submit).
  SubmitResult submit(Event event, const Engine::Hint& hint);
  // Handles a decision request (POST /v1/decide, Engine::decide), logged in mode disk.
  SubmitResult decide(const Event& request, Engine::Decision& answer);
  // The http scores the shard's users' steps are answered from (null without http
  // scorers): logged before each step that may ask them, and put back by a replay.
  void use_remote_scores(models::RemoteScores* scores) { remote_scores_ = scores; }
  // A score fetched ahead of a timer step (Engine::remote_queries_due), which answers the
  // user's steps through entry.until_ms; logged in mode disk, so that a recovery's timer
  // step reads it too.
  void put_timer_score(const std::string& user, const std::string& model,
                       const models::RemoteScores::Entry& entry);

 private:
  void on_firing(const Firing& firing) override;
  // True for a firing or suppression of the input step being handled.
  bool in_step(std::string_view trigger, std::string_view user) const;
  void on_suppressed(const Suppression& suppression) override;
  // The server counts conversions (the engine's rule counts) and writes none.
  bool wants_conversions() const override { return false; }
  // Mode disk: logs the user's http scores that the step about to run may ask.
  void log_scores(const std::string& user);

  FiringSink& sink_;
  models::RemoteScores* remote_scores_ = nullptr;
  Durability durability_;
  std::unique_ptr<storage::Commit> commit_;  // made when first needed in a turn
  // Whether a replayed firing of `user` goes to the adapters again.
  bool rederives(std::string_view user) const;
  bool replaying_ = false;
  const Rederivation* rederive_ = nullptr;  // while replaying
  uint64_t step_seq_ = 0;                   // of the step being replayed
  uint64_t rederived_ = 0;
  bool late_ = false;
  uint64_t firings_ = 0;  // firings reported so far
  Engine engine_;
  // The record in a user's slot, made when there is none.
  static UserRecord& record_in(std::unique_ptr<UserExtension>& slot);

  // The checkpoint pass under way (see checkpoint_some), and when the next one is due.
  struct Pass {
    uint64_t began_at = 0;    // its seq: the program record that starts it
    uint64_t ids_copied = 0;  // RecentIds::copy's position
    bool ids_done = false;    // then the users
    uint32_t chunks = 0;      // of ids written
    uint64_t users = 0, bytes = 0;
    int64_t started_ns = 0;
    // Resting from its last chunk (next_chunk_ms); over, too, if the wall clock went
    // back before its start.
    int64_t rest_from_ms = 0, rest_ms = 0;
    bool resting(int64_t now_ms) const {
      return now_ms >= rest_from_ms && now_ms < rest_from_ms + rest_ms;
    }
  };
  std::optional<Pass> pass_;
  int64_t next_pass_ms_ = 0;  // 0: at the first turn after recovery
  void save_user(const std::string& user, const UserState& state, Pass& pass);
  // Restores the server's record of a user from a checkpoint's bytes.
  void restore_record(UserRecord& record, std::string_view bytes);
  std::string engine_bytes_, server_bytes_;  // a user being saved; reused

  FiringLog firing_log_{kFiringLogBytes};
  std::string firing_json_;  // the firing being delivered; reused
  // The input step being handled: its event and the outcomes so far, which become its
  // user's record's when the step is taken.
  const Event* step_event_ = nullptr;
  std::vector<std::pair<std::string, std::string>> step_outcomes_;
};

// What a shard needs to fetch http scores before a step (docs/models.md, "http
// scorers"); all null without http scorers. They must outlive the shard's work.
struct RemoteScoring {
  models::RemoteScores* scores = nullptr;
  ScoreFetcher* fetcher = nullptr;
  const std::map<std::string, ScorerSettings>* settings = nullptr;  // config.scorers
};

class Shard {
 public:
  using Task = std::function<void(ShardState&)>;

  // Runs on `loop` of `loops`, which must outlive the shard.
  // With `durability` set (mode disk), the shard starts recovering: its clock stands
  // still, moved by the replayed steps only, until end_recovery().
  Shard(std::shared_ptr<const Program> program, const EngineConfig& config, FiringSink& sink,
        Metrics& metrics, size_t capacity_events, EventLoops& loops, size_t loop,
        Durability durability = {}, RemoteScoring scoring = {});
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Claims room for `n` events in the queue; false (nothing claimed) when it would go
  // over capacity. Every claimed event must then be posted with post_events().
  bool reserve(size_t n);
  // Gives back room claimed by reserve() that will not be used.
  void release(size_t n) { queued_events_.fetch_sub(n, std::memory_order_relaxed); }
  void post_events(std::shared_ptr<IngestBatch> batch,
                   std::vector<std::pair<uint32_t, Event>> events);
  // Control work (reads, profile writes, swaps): always taken, never counted as events.
  void post(Task task);
  // A decision request (POST /v1/decide), for which the caller reserved room for one
  // event (given back when it reaches the loop): `answer` runs it on the loop, in its
  // user's order, once the http scores its decide rules read are fetched (docs/models.md).
  using Decision = std::function<void(ShardState&, const Event& request)>;
  void post_decision(Event request, Decision answer);
  // Finishes every queued item and waits for it; the shard then takes no more work.
  // REQUIRES: the loop is running; not called on it.
  void stop();

  size_t queued_events() const { return queued_events_.load(std::memory_order_relaxed); }
  // The wall clock moves the shard's clock from now on.
  void end_recovery() { recovering_.store(false, std::memory_order_release); }

 private:
  struct EventPart {
    std::shared_ptr<IngestBatch> batch;
    std::vector<std::pair<uint32_t, Event>> events;  // index in the body, event
  };
  using Item = std::variant<EventPart, Task>;

  void push(Item item);
  // On the loop: the items queued so far, then the timers due; re-arms the timer.
  void drain();
  void handle(EventPart& part);
  // The part's events are all handled: answered once they are durable.
  void finish(const std::shared_ptr<IngestBatch>& batch);

  // Input steps that wait for http scores (shard_scores.cpp). A user's events wait in
  // order behind the first whose step asks a score that is not fetched yet; other users
  // go on. A part of a batch is finished when its last waiting event is handled.
  struct WaitingPart {
    std::shared_ptr<IngestBatch> batch;
    size_t events = 0;  // of the part, still waiting
  };
  struct WaitingEvent {
    Event event;
    uint32_t index = 0;  // in the batch's results
    std::shared_ptr<WaitingPart> part;
    Decision decision;  // set for a decision request, which has no part
  };
  struct WaitingUser {
    std::deque<WaitingEvent> events;
    size_t fetches = 0;  // for the first event, not answered yet
  };
  // Queues the event when its user waits, or when its step asks scores not fetched yet
  // (then fetched); false: handle it now.
  bool wait_for_scores(uint32_t index, Event& event, std::shared_ptr<WaitingPart>& part,
                       const std::shared_ptr<IngestBatch>& batch);
  // Fetches what the step of `event` (a decision request's with `decision`) would ask
  // and is not fresh; false when nothing is.
  bool fetch_scores(const Event& event, bool decision, WaitingUser& waiting);
  // The same for a decision request, which is answered whatever happens: false (answer
  // it now, from the cache or the defaults) also when its scores cannot be asked.
  bool fetch_decision_scores(const Event& request, WaitingUser& waiting);
  // On the loop: a decision request, waiting as an event would.
  void decide(Event request, Decision& answer);
  // On the loop: a fetch answered (or gave up).
  void on_score(const std::string& user, const std::string& model, std::optional<double> score,
                const std::string& error);
  // What a fetch's answer puts in the scores, counted in the metrics (a failure warned
  // of in the log): the score, or the scorer's default marked as such.
  models::RemoteScores::Entry entry_of(const std::string& user, const std::string& model,
                                       std::optional<double> score, const std::string& error);
  // Sends the fetch; its answer comes back to the loop as a task running `then`.
  void ask(const std::string& user, Engine::RemoteQuery query,
           std::function<void(ScoreFetcher::Answer)> then);
  // On the loop, before the clock moves: fetches the scores of the timer steps due
  // within timer_lead_ms_ (Engine::remote_queries_due) that are not fresh, so that each
  // step finds its scores when it comes, on time.
  void fetch_timer_scores();
  // On the loop: a timer step's fetch answered. A score answers the user's steps until
  // the timer's deadline at least; a failure puts nothing (the step gets the default).
  void on_timer_score(const std::string& user, const std::string& model, int64_t due_ms,
                      const ScoreFetcher::Answer& answer);
  // Handles the user's waiting events in order until one must wait again.
  void resume(const std::string& user);
  void on_timer();
  // After a drain or a timer: a chunk of checkpoint, the turn's commit, the timer armed.
  void end_turn();
  void arm_timer();

  ShardState state_;
  std::atomic<bool> recovering_;
  Metrics& metrics_;
  const size_t capacity_events_;
  std::atomic<size_t> queued_events_{0};
  EventLoops& loops_;
  const size_t loop_;

  std::mutex mutex_;
  std::vector<Item> queue_;    // guarded by mutex_
  bool drain_posted_ = false;  // guarded by mutex_: a drain is on its way to the loop
  bool stopped_ = false;       // guarded by mutex_

  const RemoteScoring scoring_;
  // How long before a timer step its scores are asked: the longest http timeout and a
  // margin for the answer to reach the loop, so that a score or its timeout comes first.
  const int64_t timer_lead_ms_;

  // On the loop's thread only.
  std::unordered_map<std::string, WaitingUser> waiting_;
  std::vector<Item> draining_;
  LoopTimer timer_;
  int64_t armed_ms_ = INT64_MAX;  // when the timer goes off; INT64_MAX: not armed
};

}  // namespace spur::server
