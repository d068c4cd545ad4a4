#!/usr/bin/env bash
# The issue-20 ratio: events/s of BM_S1Experiments/1 and BM_S4Experiments/1 (every rule
# with a split, a holdout and a goal) over /0 (the same rules without them), from RUNS
# invocations of engine_bench, each running /0 then /1. Prints, per workload, the ratio
# of the medians of the times and the ratio of their minimums (the run least disturbed
# by the shared host), and every run's ratio.
#   bench/experiment_ratio.sh [RUNS] [ENGINE_BENCH]
#   bench/experiment_ratio.sh 6 build/bench/engine_bench
set -euo pipefail
runs=${1:-6} bench=${2:-build/bench/engine_bench}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq "$runs"); do
  "$bench" --benchmark_filter='BM_S(1|4)Experiments' --benchmark_min_time=1 \
    --benchmark_format=json >"$work/$i.json" 2>/dev/null
done
python3 - "$work" "$runs" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
times = {}
for i in range(1, runs + 1):
    for b in json.load(open(f"{work}/{i}.json"))["benchmarks"]:
        times.setdefault(b["name"].split("/min_time")[0], []).append(b["real_time"])
for workload in ("BM_S1Experiments", "BM_S4Experiments"):
    plain, options = times[workload + "/0"], times[workload + "/1"]
    each = " ".join(f"{p / o:.3f}" for p, o in zip(plain, options))
    print(f"{workload}: medians {statistics.median(plain) / statistics.median(options):.3f}"
          f"  minimums {min(plain) / min(options):.3f}  runs {each}")
PY
