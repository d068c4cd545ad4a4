#!/usr/bin/env bash
# The S1 workload on Spur and on json-rules-engine 7, same rules, same events:
#   bench/side_by_side.sh BUILD_DIR [RULES] [EVENTS]      (defaults: build 1000 20000)
# Prints both rates, the ratio, and checks that the firing counts and the checksums of
# (event id, rule) pairs agree (exit 1 if they do not). Needs node and npm (the npm
# registry, for json-rules-engine, on the first run).
set -euo pipefail
build=${1:-build}
rules=${2:-1000}
events=${3:-20000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$here/jre" && npm ci --silent --no-audit --no-fund >/dev/null)
"$build/bench/gen_s1" "$rules" "$events" "$work"

# Spur: the rate from `replay --stats` (decoding included); the firings printed by a
# second run, for the checksum.
"$build/spur" replay --rules "$work/s1.rules" --stats "$work/s1.ndjson" >/dev/null 2>"$work/stats"
spur_rate=$(sed -n 's/.*events\/s: \([0-9]*\).*/\1/p' "$work/stats")
"$build/spur" replay --rules "$work/s1.rules" "$work/s1.ndjson" >"$work/firings.ndjson" 2>/dev/null
spur=$(node "$here/jre/s1.js" --checksum "$work/firings.ndjson")
jre=$(node "$here/jre/s1.js" "$work/s1.jre.json" "$work/s1.ndjson")

node - "$spur" "$jre" "$spur_rate" "$rules" "$events" <<'JS'
const [spur, jre, spurRate, rules, events] = process.argv.slice(2);
const s = JSON.parse(spur), j = JSON.parse(jre), rate = Number(spurRate);
console.log(`S1, ${rules} rules, ${events} events`);
console.log(`  spur replay --stats   ${rate.toFixed(0).padStart(10)} events/s   firings ${s.firings}   checksum ${s.checksum}`);
console.log(`  json-rules-engine 7   ${j.events_per_second.toFixed(0).padStart(10)} events/s   firings ${j.firings}   checksum ${j.checksum}`);
console.log(`  ratio spur / json-rules-engine: ${(rate / j.events_per_second).toFixed(1)}`);
const same = s.firings === j.firings && s.checksum === j.checksum;
console.log(`  firings and checksum agree: ${same ? 'yes' : 'NO'}`);
process.exit(same ? 0 : 1);
JS
