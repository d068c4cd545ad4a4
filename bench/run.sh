#!/usr/bin/env bash
# Every performance target of design.md that bench/ measures, each printed next to its
# measured value (medians of 5 repetitions, min-max):
#   scripts/build.sh && bench/run.sh [BUILD_DIR]
# Takes about 5 minutes. Needs node and npm for the json-rules-engine side-by-side.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== in process (Google Benchmark, 5 repetitions interleaved)" >&2
"$build/bench/engine_bench" --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
  --benchmark_min_time=0.5 --benchmark_format=json >"$work/engine.json" 2>/dev/null

echo "== spur replay --stats, S1 1,000 rules, 1,000,000 events (5 runs)" >&2
"$build/bench/gen_s1" 1000 1000000 "$work"
for _ in 1 2 3 4 5; do
  "$build/spur" replay --rules "$work/s1.rules" --stats "$work/s1.ndjson" 2>&1 >/dev/null |
    sed -n 's/.*events\/s: \([0-9]*\).*/\1/p' >>"$work/replay.txt"
done

echo "== no allocation per event (tests/alloc_test.cpp)" >&2
if "$build/tests/spur_tests" -tc="*allocate nothing*" >/dev/null 2>&1; then
  echo pass >"$work/alloc.txt"
else
  echo FAIL >"$work/alloc.txt"
fi

echo "== side by side with json-rules-engine" >&2
"$here/side_by_side.sh" "$build" 1000 20000 | tee "$work/side.txt" >&2

node - "$work" <<'JS'
const fs = require('fs');
const work = process.argv[2];
const runs = JSON.parse(fs.readFileSync(`${work}/engine.json`, 'utf8')).benchmarks
  .filter((b) => b.run_type === 'iteration');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const stat = (name, field) => {
  const xs = runs.filter((b) => b.run_name.startsWith(name)).map((b) => b[field]);
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
};
const k = (x) => x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`;
const range = (s, f) => `${f(s.median)} (${f(s.min)}-${f(s.max)})`;
const rows = [];
const s1 = stat('BM_S1/1000/', 'items_per_second');
rows.push(['S1 1,000 rules, in process', '>= 2M events/s', range(s1, k), s1.median >= 2e6]);
const s4small = stat('BM_S4/10/', 'items_per_second'), s4big = stat('BM_S4/10000/', 'items_per_second');
const ratio = s4big.median / s4small.median;
rows.push(['S4 10,000 rules / 10 rules', '>= 0.5', `${ratio.toFixed(2)} (${k(s4big.median)} / ${k(s4small.median)})`, ratio >= 0.5]);
const replay = fs.readFileSync(`${work}/replay.txt`, 'utf8').trim().split('\n').map(Number);
const r = { median: median(replay), min: Math.min(...replay), max: Math.max(...replay) };
rows.push(['replay --stats, S1 1,000 rules', '>= 1M events/s', range(r, k), r.median >= 1e6]);
const compile = stat('BM_Compile10k', 'real_time');
rows.push(['compile 10,000 rules', '< 300 ms', range(compile, (x) => `${x.toFixed(0)} ms`), compile.median < 300]);
const mem = runs.find((b) => b.run_name.startsWith('BM_Memory'));
rows.push(['bytes per pending match', '<= 128', mem.bytes_per_pending_match.toFixed(0), mem.bytes_per_pending_match <= 128]);
rows.push(['bytes per idle user, 5 attributes', '<= 512', mem.bytes_per_idle_user.toFixed(0), mem.bytes_per_idle_user <= 512]);
const alloc = fs.readFileSync(`${work}/alloc.txt`, 'utf8').trim();
rows.push(['heap allocations per event, steady state', '0', alloc === 'pass' ? '0' : 'some', alloc === 'pass']);
for (const name of ['BM_S1/10/', 'BM_S1/100/', 'BM_S1/10000/', 'BM_S4/100/', 'BM_S4/1000/', 'BM_S2', 'BM_S3']) {
  rows.push([name.replace(/\/$/, ''), '', range(stat(name, 'items_per_second'), k) + ' events/s', null]);
}
rows.push(['dedup set, longest insert growing to 8M ids', '', range(stat('BM_DedupLongestInsert', 'longest_insert_ms'), (x) => `${x.toFixed(1)} ms`), null]);
console.log('\n| what | target | measured: median (min-max) | met |\n|---|---|---|---|');
for (const [what, target, measured, met] of rows)
  console.log(`| ${what} | ${target} | ${measured} | ${met === null ? '' : met ? 'yes' : 'no'} |`);
JS
