#!/usr/bin/env bash
# Compares two builds of engine_bench on a shared, noisy VM: A and B run at the same time,
# one on each core (swapped every run), so that a drift of the host hits both alike; prints
# per benchmark the median of the B/A ratios of events/s, their range, and each median.
#   bench/ab_pair.sh RUNS FILTER BENCH_A BENCH_B
#   bench/ab_pair.sh 4 'BM_S(1/1000|4/10/|4/10000)' /tmp/engine_bench.before build/bench/engine_bench
# Both share the L3 and memory while they run: read the ratio, not the absolute figures.
set -euo pipefail
runs=$1 filter=$2 a=$3 b=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq "$runs"); do
  first=$((i % 2)) second=$(((i + 1) % 2))
  taskset -c "$first" "$a" --benchmark_filter="$filter" --benchmark_min_time=0.5 \
    --benchmark_format=json >"$work/a$i.json" 2>/dev/null &
  taskset -c "$second" "$b" --benchmark_filter="$filter" --benchmark_min_time=0.5 \
    --benchmark_format=json >"$work/b$i.json" 2>/dev/null &
  wait
done
node - "$work" "$runs" <<'JS'
const fs = require('fs');
const [work, runs] = process.argv.slice(2);
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8')).benchmarks;
const pairs = {};
for (let i = 1; i <= Number(runs); ++i) {
  const b = read(`${work}/b${i}.json`);
  read(`${work}/a${i}.json`).forEach((x, k) => {
    (pairs[x.name] ??= []).push([x.items_per_second, b[k].items_per_second]);
  });
}
const median = (xs) => { const s = [...xs].sort((p, q) => p - q); return s[Math.floor(s.length / 2)]; };
for (const [name, ps] of Object.entries(pairs)) {
  const r = ps.map(([x, y]) => y / x).sort((p, q) => p - q);
  const m = (k) => (median(ps.map((p) => p[k])) / 1e6).toFixed(2);
  console.log(`${name.padEnd(32)} B/A ${median(r).toFixed(3)} [${r[0].toFixed(3)}..${r.at(-1).toFixed(3)}]  A ${m(0)}M  B ${m(1)}M`);
}
JS
