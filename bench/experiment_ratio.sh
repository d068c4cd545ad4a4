#!/usr/bin/env bash
# The issue-20 ratio: events/s of BM_S1Experiments/1 and BM_S4Experiments/1 (every rule
# with a split, a holdout and a goal) over /0 (the same rules without them). One
# invocation of engine_bench runs RUNS repetitions of each, /0 and /1 interleaved in a
# random order (Google Benchmark's random interleaving), so that the host's drifts,
# larger on this VM than the ratio's last tenth, hit both alike. Prints per workload the
# ratio of the median times, of the minimums, and each repetition's time; then the same
# ratio of the median CPU times, which leave out the time the hypervisor gave this VM's
# core to others (steal: its paravirtual clock takes it out of a thread's run time).
#   bench/experiment_ratio.sh [RUNS] [ENGINE_BENCH] [FILTER]
#   bench/experiment_ratio.sh 12 build/bench/engine_bench
#   bench/experiment_ratio.sh 12 build/bench/engine_bench BM_S4Experiments   # S4 alone
set -euo pipefail
runs=${1:-12} bench=${2:-build/bench/engine_bench} filter=${3:-'BM_S(1|4)Experiments'}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bench" --benchmark_filter="$filter" --benchmark_min_time=0.5 \
  --benchmark_repetitions="$runs" --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=false --benchmark_format=json >"$work/runs.json" 2>/dev/null
python3 - "$work/runs.json" <<'PY'
import json, statistics, sys
times, cpu = {}, {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type") == "iteration":
        name = b["name"].split("/min_time")[0]
        times.setdefault(name, []).append(b["real_time"])
        cpu.setdefault(name, []).append(b["cpu_time"])
for workload in ("BM_S1Experiments", "BM_S4Experiments"):
    if workload + "/0" not in times:
        continue
    plain, options = times[workload + "/0"], times[workload + "/1"]
    print(f"{workload}: ratio of medians {statistics.median(plain) / statistics.median(options):.3f}"
          f"  of minimums {min(plain) / min(options):.3f}  ({len(plain)} repetitions each)")
    print(f"  /0 ms: {' '.join(f'{t:.0f}' for t in plain)}")
    print(f"  /1 ms: {' '.join(f'{t:.0f}' for t in options)}")
    cpu_plain, cpu_options = cpu[workload + "/0"], cpu[workload + "/1"]
    print(f"  CPU time: ratio of medians "
          f"{statistics.median(cpu_plain) / statistics.median(cpu_options):.3f}")
PY
