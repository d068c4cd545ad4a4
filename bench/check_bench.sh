#!/usr/bin/env bash
# Times `spur check` on a generated file of 10,000 varied rules: 7 runs, prints each run,
# the median and the min-max, next to the target (< 1 s on the 2-core reference machine).
# usage: bench/check_bench.sh [BUILD_DIR=build] [RULES=10000]
set -euo pipefail
build=${1:-build}
count=${2:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/bench/gen_rules" "$count" 42 > "$work/rules.rules"
echo "input: $count rules, $(wc -l < "$work/rules.rules") lines, $(du -h "$work/rules.rules" | cut -f1)"
"$build/spur" check "$work/rules.rules"   # must be clean
times=()
for run in 1 2 3 4 5 6 7; do
  start=$(date +%s%N)
  "$build/spur" check "$work/rules.rules" 2>/dev/null
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
  echo "run $run: ${times[-1]} ms"
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "spur check, $count rules: median ${sorted[3]} ms (min ${sorted[0]}, max ${sorted[6]}); target < 1000 ms"
