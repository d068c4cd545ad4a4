#!/usr/bin/env bash
# S1 with a score() from a file scorer in every rule, against S1 without (issue 19): the
# same 100 rules and 1,000,000 events through `spur replay --stats`, each rule with
# `and score("value") > -1000000` added (always true: the firings are the same), the
# model the XGBoost regression of tests/data/models (100 trees of depth 6) bound by
# --config, its features two profile attributes (missing: every tree is walked to its
# default side) and a count over the event's own history. Runs alternate; medians.
#
# usage: bench/score_s1.sh [RUNS=5]   (needs scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
[ -x build/spur ] && [ -x build/bench/gen_s1 ] || { echo "run scripts/build.sh first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/bench/gen_s1 100 1000000 "$work" >/dev/null
{
  printf 'model value\n  features { ltv: profile.ltv, visits: profile.visits, e0s: count(e0 in last 1h) }\nend\n'
  sed 's/ then send log/ and score("value") > -1000000 then send log/' "$work/s1.rules"
} > "$work/scored.rules"
printf 'scorers:\n  value: {type: file, path: %s}\n' "$PWD/tests/data/models/value_xgb.json" > "$work/spur.yaml"
eps() { grep -o 'events/s: [0-9]*' | cut -d' ' -f2; }
for run in $(seq "$runs"); do
  build/spur replay --rules "$work/s1.rules" --stats "$work/s1.ndjson" 2>&1 >"$work/plain.json" | eps >> "$work/plain.list"
  build/spur replay --rules "$work/scored.rules" --config "$work/spur.yaml" --stats "$work/s1.ndjson" \
    2>&1 >"$work/scored.json" | eps >> "$work/scored.list"
done
cmp -s <(grep -o '"firings":[0-9]*' "$work/plain.json") <(grep -o '"firings":[0-9]*' "$work/scored.json") ||
  { echo "the scored rules fired differently" >&2; exit 1; }
median() { sort -n | awk '{a[NR] = $1} END {printf "%d (%d-%d)", a[int((NR + 1) / 2)], a[1], a[NR]}'; }
echo "machine: $(nproc) cores; 1,000,000 S1 events, 100 rules; medians of $runs (min-max)"
echo "S1 without score(), events/s:          $(median < "$work/plain.list")"
echo "S1, score() in every rule, events/s:   $(median < "$work/scored.list")"
echo "firings per run: $(grep -o '"firings":[0-9]*' "$work/plain.json" | cut -d: -f2)"
