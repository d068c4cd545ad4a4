// A score from an embedded model file (issue 19: under 5 µs for 100 trees of depth 6):
// the XGBoost regression of tests/data/models (100 trees, depth 6, 4 features) and the
// examples' logistic regression, on random feature vectors with a tenth missing.
//
// usage: build/bench/score_bench   (Google Benchmark's options apply)
#include <benchmark/benchmark.h>

#include <random>

#include "models/model_file.hpp"

namespace {

std::vector<std::vector<spur::Value>> random_rows(size_t features) {
  std::mt19937_64 random(19);
  std::normal_distribution<double> value;
  std::uniform_real_distribution<double> unit;
  std::vector<std::vector<spur::Value>> rows(1024);
  for (auto& row : rows) {
    for (size_t f = 0; f < features; ++f)
      row.push_back(unit(random) < 0.1 ? spur::Value() : spur::Value::number(value(random)));
  }
  return rows;
}

void score_file(benchmark::State& state, const std::string& path, size_t features) {
  std::string error;
  const auto scorer = spur::models::load_model_file(path, error);
  if (!scorer) {
    state.SkipWithError(error.c_str());
    return;
  }
  const auto rows = random_rows(features);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(scorer->score({"u", 0, rows[i++ % rows.size()]}));
  }
}

void BM_XgboostTrees100Depth6(benchmark::State& state) {
  score_file(state, SPUR_SOURCE_DIR "/tests/data/models/value_xgb.json", 4);
}
BENCHMARK(BM_XgboostTrees100Depth6);

void BM_LogisticRegression4(benchmark::State& state) {
  score_file(state, SPUR_SOURCE_DIR "/rules/examples/models/propensity.json", 4);
}
BENCHMARK(BM_LogisticRegression4);

}  // namespace

BENCHMARK_MAIN();
