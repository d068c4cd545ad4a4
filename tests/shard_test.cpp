// server::Shard: a bounded queue in front of one engine, on an event loop.
#include "server/shard.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <future>

#include "engine/compile.hpp"
#include "formats/json_codec.hpp"
#include "test_support.hpp"
#include "time/time_text.hpp"

namespace spur::server {
namespace {

std::shared_ptr<const Program> ping_rules() {
  const auto f = testing::check_text("rule every when ping then send log {} end");
  REQUIRE(f.diagnostics.error_count() == 0);
  return compile(f.rule_set);
}

}  // namespace

TEST_CASE("a shard's queue takes events up to its capacity, all or nothing") {
  const auto path = testing::process_temp_path("spur-shard-test.ndjson");
  FiringSink sink({{"log", ActionAdapter::log_to(path.string())}});
  Metrics metrics;
  EventLoops loops(1);
  Shard shard(ping_rules(), EngineConfig{}, sink, metrics, 10, loops, 0);
  loops.start();
  // Hold the loop so that nothing leaves the queue while the test fills it.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  shard.post([released](ShardState&) { released.wait(); });

  CHECK(shard.reserve(8));
  CHECK_FALSE(shard.reserve(3));  // 11 > 10: refused, nothing claimed
  CHECK(shard.queued_events() == 8);
  CHECK(shard.reserve(2));
  shard.release(2);
  CHECK(shard.queued_events() == 8);

  auto batch = std::make_shared<IngestBatch>();
  batch->results.resize(8);
  batch->parts_left = 1;
  std::promise<size_t> answered;
  batch->done = [&answered](IngestBatch& b) {
    size_t accepted = 0;
    for (const auto& r : b.results)
      accepted += r.outcome == Outcome::kAccepted;
    answered.set_value(accepted);
  };
  std::vector<std::pair<uint32_t, Event>> events;
  for (uint32_t i = 0; i < 8; ++i) {
    Event e;
    e.name = "ping";
    e.user = "u" + std::to_string(i);
    e.id = "e" + std::to_string(i);
    e.time_ms = wall_ms();
    e.has_time = true;
    events.emplace_back(i, std::move(e));
  }
  shard.post_events(batch, std::move(events));
  release.set_value();
  CHECK(answered.get_future().get() == 8);
  shard.stop();
  loops.stop();
  CHECK(shard.queued_events() == 0);
  CHECK(sink.delivered() == 8);
  std::filesystem::remove(path);
}

}  // namespace spur::server

namespace spur::server {

TEST_CASE("the latest step gives back the event it was given, nested to the deepest limit") {
  std::string deep = "1";
  for (int i = 0; i < kMaxJsonDepth - 2; ++i)
    deep = "[" + deep + "]";
  const std::string json = R"({"event": "view", "user": "u1", "id": "v-1", "time": 5, )"
                           R"("properties": {"note": "\"q\" \u00e9\n", "x": 0.1, "deep": )" +
                           deep + "}}";
  DecodedBody body =
      decode_event_body(json, BodyFormat::kJson, {.max_events = 1, .max_depth = kMaxJsonDepth});
  REQUIRE(body.events.size() == 1);
  REQUIRE(body.events[0].ok);
  const Event& sent = body.events[0].event;
  LastStep step;
  CHECK_FALSE(step.taken());
  step.remember(sent, 7);
  CHECK(step.taken());
  CHECK(step.id() == "v-1");
  CHECK(step.name() == "view");
  CHECK(step.at_ms() == 7);
  const Event back = step.event("u1");
  CHECK(back.user == "u1");
  CHECK(back.time_ms == sent.time_ms);
  CHECK(to_json(back.properties) == to_json(sent.properties));
}

}  // namespace spur::server

namespace spur::server {
namespace {

// Fails the first delivery, as an adapter out of memory would.
class FailingOnceSink : public FiringSink {
 public:
  explicit FailingOnceSink(const std::string& path)
      : FiringSink({{"log", ActionAdapter::log_to(path)}}) {}
  void deliver(const Firing& firing, const std::string& json) override {
    if (!failed_) {
      failed_ = true;
      throw std::runtime_error("delivery failed");
    }
    FiringSink::deliver(firing, json);
  }

 private:
  bool failed_ = false;
};

}  // namespace

TEST_CASE("a step that throws leaves the shard no pointer to its event") {
  const auto path = testing::process_temp_path("spur-shard-throw.ndjson");
  FailingOnceSink sink(path.string());
  const auto f = testing::check_text(
      "rule later when ping and no pong within 1s then send log {} end\n"
      "rule now when ping then send log {} end\n");
  REQUIRE(f.diagnostics.error_count() == 0);
  ShardState state(compile(f.rule_set), EngineConfig{}, sink);
  const int64_t t0 = *parse_rfc3339("2026-01-01T10:00:00Z");
  state.engine().advance_to(t0);
  const std::string user = "a-user-with-a-long-identifier";
  Event event{.name = "ping",
              .user = user,
              .id = "an-event-id-that-is-long-enough",
              .time_ms = t0,
              .has_time = true};
  // Submitted from a frame of its own, which is gone when the timer fires: a read of the
  // dead step's event is then a stack use after return (AddressSanitizer, with the
  // detection main_test.cpp turns on).
  const auto submit_and_return = [&state](Event copy) { return state.submit(std::move(copy)); };
  CHECK_THROWS_AS(submit_and_return(event), std::runtime_error);
  // The timer step of `later` reports a firing for the same user and trigger id: it must
  // not be taken for the dead step's.
  state.engine().advance_to(t0 + 1000);
  state.end_turn();
  const UserRecord* record = state.record(user);
  REQUIRE(record != nullptr);
  CHECK_FALSE(record->last_step.taken());
  CHECK(state.recent_firings(*record, 10).size() == 1);
  // The shard goes on: the next event is taken and remembered.
  event.id = "a-second-event-id-long-enough";
  event.time_ms = t0 + 2000;
  CHECK(state.submit(event).outcome == Outcome::kAccepted);
  CHECK(state.record(user)->last_step.taken());
}

}  // namespace spur::server
