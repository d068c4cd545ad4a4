// In-process matching benchmarks (issue 4, design.md targets), data from fixed seeds.
//
//   S1 stateless matching: R rules, rule i on event name i mod 10:
//      e.amount > A_i and (e.country == C_i or e.device == D_i); ~18 firings per event at
//      R = 1000.
//   S4 selective rules: rule i on event name i mod 10: e.campaign == "c<i>" and
//      e.amount > A_i; each event carries one campaign, so ~1 rule matches whatever R is.
//
// Events are decoded before timing; the timed loop is Engine::submit, firings counted,
// not printed. Run: build/bench/engine_bench (see docs/performance.md).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "engine/check.hpp"
#include "engine/compile.hpp"
#include "engine/engine.hpp"

namespace {

using spur::Event;
using spur::Value;

constexpr int kEventNames = 10;
constexpr int kUsers = 10'000;
constexpr int kEventsPerBatch = 100'000;
const char* const kCountries[20] = {"FR", "DE", "ES", "IT", "US", "GB", "NL", "BE", "PL", "SE",
                                    "NO", "DK", "FI", "PT", "IE", "AT", "CH", "CZ", "HU", "RO"};
const char* const kDevices[3] = {"mobile", "desktop", "tablet"};

class Counter final : public spur::EngineListener {
 public:
  void on_firing(const spur::Firing&) override { ++firings; }
  void on_suppressed(const spur::Suppression&) override {}
  uint64_t firings = 0;
};

std::shared_ptr<const spur::Program> compile_text(const std::string& text) {
  spur::SourceSet sources;
  sources.add("bench.rules", text);
  spur::Diagnostics diagnostics;
  const auto checked = spur::check_rule_set(sources, diagnostics);
  if (diagnostics.error_count() > 0) std::abort();
  return spur::compile(checked);
}

std::string s1_rules(int count, std::mt19937& rng) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    text += "rule r_" + std::to_string(i) + " priority " + std::to_string(i) + " when e" +
            std::to_string(i % kEventNames) + " as e and e.amount > " +
            std::to_string(rng() % 1000) + " and (e.country == \"" + kCountries[rng() % 20] +
            "\" or e.device == \"" + kDevices[rng() % 3] + "\") then send log {} end\n";
  }
  return text;
}

std::string s4_rules(int count, std::mt19937& rng) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    text += "rule r_" + std::to_string(i) + " when e" + std::to_string(i % kEventNames) +
            " as e and e.campaign == \"c" + std::to_string(i) + "\" and e.amount > " +
            std::to_string(rng() % 1000) + " then send log {} end\n";
  }
  return text;
}

// Events for `users` users, one millisecond apart, each with a unique id.
std::vector<Event> events(int count, int campaigns, std::mt19937& rng) {
  std::vector<Event> out;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    Event e;
    const int campaign =
        campaigns > 0 ? static_cast<int>(rng() % static_cast<unsigned>(campaigns)) : 0;
    e.name = "e" + std::to_string(campaigns > 0 ? campaign % kEventNames
                                                : static_cast<int>(rng() % kEventNames));
    e.user = "u" + std::to_string(rng() % kUsers);
    e.id = "b" + std::to_string(i);
    e.time_ms = 1'767'225'600'000 + i;
    e.has_time = true;
    spur::Object props = {{"amount", Value::number(static_cast<double>(rng() % 1000))},
                          {"country", Value::string(kCountries[rng() % 20])},
                          {"device", Value::string(kDevices[rng() % 3])}};
    if (campaigns > 0)
      props.emplace_back("campaign", Value::string("c" + std::to_string(campaign)));
    e.properties = Value::object(std::move(props));
    out.push_back(std::move(e));
  }
  return out;
}

void run(benchmark::State& state, const std::shared_ptr<const spur::Program>& program,
         int campaigns) {
  std::mt19937 rng(7);
  const std::vector<Event> batch = events(kEventsPerBatch, campaigns, rng);
  uint64_t firings = 0, submitted = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Counter counter;
    auto engine = std::make_unique<spur::Engine>(program, spur::EngineConfig{}, counter);
    state.ResumeTiming();
    for (const Event& e : batch)
      benchmark::DoNotOptimize(engine->submit(e));
    state.PauseTiming();
    engine.reset();  // tearing down 10,000 users is not matching
    state.ResumeTiming();
    firings += counter.firings;
    submitted += batch.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(submitted));
  state.counters["firings_per_event"] =
      static_cast<double>(firings) / static_cast<double>(submitted);
}

void BM_S1(benchmark::State& state) {
  std::mt19937 rng(42);
  run(state, compile_text(s1_rules(static_cast<int>(state.range(0)), rng)), 0);
}
BENCHMARK(BM_S1)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_S4(benchmark::State& state) {
  std::mt19937 rng(42);
  const int rules = static_cast<int>(state.range(0));
  run(state, compile_text(s4_rules(rules, rng)), rules);
}
BENCHMARK(BM_S4)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

void BM_Compile10k(benchmark::State& state) {
  std::mt19937 rng(42);
  const std::string text = s1_rules(10'000, rng);
  for (auto _ : state)
    benchmark::DoNotOptimize(compile_text(text));
}
BENCHMARK(BM_Compile10k)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
