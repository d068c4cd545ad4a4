#!/usr/bin/env bash
# HTTP benchmarks of `spur serve` (issue 5), bounded in time, everything on 127.0.0.1:
#   1. nginx answering a static 202 (the baseline) and Spur, one event per POST, keep-alive;
#   2. Spur with NDJSON batches of 1,000 events;
#   3. Spur paced at half of its single-event peak: p99 latency;
#   4. the same paced load on S4's 10,000 selective rules (each event matches about one),
#      first alone, then while the rules are reloaded back to back: p99 of each.
# Events are S1's (bench/gen_s1, fixed seed) without `id` and `time`, so that the server
# assigns both; rules: S1 with 100 rules (about 1.8 firings per event) unless said.
#
# Runs 1 and 2 are repeated RUNS times, nginx and Spur interleaved, and their medians
# reported (with min-max); the paced runs 3 and 4 run once each.
#
# usage: bench/http/run.sh [SECONDS=5] [RUNS=5]   (needs scripts/build.sh; wrk and nginx)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/spur_process.sh
seconds=${1:-5}
runs=${2:-5}
for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
    echo "bench/http/run.sh needs $tool: apt-get install -y wrk nginx-light" >&2
    exit 2
  fi
done
[ -x build/spur ] && [ -x build/bench/gen_s1 ] || { echo "run scripts/build.sh first" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/s100" "$work/s10k"
build/bench/gen_s1 100 100000 "$work/s100" >/dev/null
strip() { sed -e 's/"id":"[^"]*",//' -e 's/"time":"[^"]*",//' "$1" > "$2"; }
strip "$work/s100/s1.ndjson" "$work/events.ndjson"
build/bench/gen_s1 10000 100000 "$work/s10k" >/dev/null
strip "$work/s10k/s4.ndjson" "$work/s4-events.ndjson"
export EVENTS="$work/events.ndjson"

sed "s|PREFIX|$work|g" bench/http/nginx.conf > "$work/nginx.conf"
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)

# Starts spur serve on RULES (a file); waits until it is ready.
start_spur() {
  cat > "$work/spur.yaml" <<YAML
server: {listen: 127.0.0.1:18080}
engine: {rules: [$1], watch: false}
storage: {mode: memory}
YAML
  build/spur serve --config "$work/spur.yaml" >/dev/null 2>"$work/spur.log" &
  spur_pid=$!
  pids+=($spur_pid)
  wait_ready 18080 10
}

connections=64

for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:18081/ && break; sleep 0.1; done
start_spur "$work/s100/s1.rules"
for run in $(seq "$runs"); do
  wrk -t2 -c$connections -d"${seconds}s" --latency -s bench/http/single.lua \
    http://127.0.0.1:18081/v1/events > "$work/nginx-$run.txt"
  wrk -t2 -c$connections -d"${seconds}s" --latency -s bench/http/single.lua \
    http://127.0.0.1:18080/v1/events > "$work/single-$run.txt"
  BATCH=1000 wrk -t2 -c4 -d"${seconds}s" -s bench/http/batch.lua \
    http://127.0.0.1:18080/v1/events > "$work/batch-$run.txt"
  rps "$work/nginx-$run.txt" >> "$work/nginx.list"
  rps "$work/single-$run.txt" >> "$work/single.list"
  awk '/^events_per_second/ {print $2}' "$work/batch-$run.txt" >> "$work/batch.list"
  awk -v s="$(rps "$work/single-$run.txt")" -v n="$(rps "$work/nginx-$run.txt")" \
    'BEGIN {printf "%d\n", 100 * s / n}' >> "$work/ratio.list"
  cat "$work/batch-$run.txt" >> "$work/batch.txt"
done
peak=$(median < "$work/single.list" | cut -d' ' -f1)
# Half of the peak: each connection waits so that all of them together send peak/2 per s.
pace=$(( connections * 1000 * 2 / (peak > 0 ? peak : 1) ))
PACE_MS=$pace wrk -t2 -c$connections -d"${seconds}s" --latency -s bench/http/single.lua \
  http://127.0.0.1:18080/v1/events > "$work/half.txt"
stop_spur

start_spur "$work/s10k/s4.rules"
export EVENTS="$work/s4-events.ndjson"
PACE_MS=$pace wrk -t2 -c$connections -d"${seconds}s" --latency -s bench/http/single.lua \
  http://127.0.0.1:18080/v1/events > "$work/calm.txt"
PACE_MS=$pace wrk -t2 -c$connections -d"${seconds}s" --latency -s bench/http/single.lua \
  http://127.0.0.1:18080/v1/events > "$work/reload.txt" &
wrk_pid=$!
sleep 0.5
reloads=0
while kill -0 "$wrk_pid" 2>/dev/null; do
  curl -s -o /dev/null -X POST http://127.0.0.1:18080/v1/rules/reload && reloads=$((reloads + 1))
done
wait "$wrk_pid"
reload_ms=$(grep -o '"ms":[0-9.]*' "$work/spur.log" | cut -d: -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
stop_spur

ratio=$(median < "$work/ratio.list")
batch_eps=$(median < "$work/batch.list")
errors=$(awk '/^non_2xx/ {n += $2} END {print n + 0}' "$work/batch.txt")
yes_no() { if awk "BEGIN {exit !($1)}"; then echo yes; else echo no; fi; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); ${seconds}s per run, medians of $runs (min-max); wrk -t2 -c$connections"
printf '%-58s %-16s %-34s %s\n' "target" "goal" "measured" "met"
printf '%-58s %-16s %-34s %s\n' "single event/POST, Spur/nginx static 202 (keep-alive, %)" ">= 50" \
  "$ratio" "$(yes_no "${ratio%% *} >= 50")"
printf '%-58s %-16s %-34s %s\n' "  Spur single event/POST (req/s)" "" "$(median < "$work/single.list")" ""
printf '%-58s %-16s %-34s %s\n' "  nginx static 202 (req/s)" "" "$(median < "$work/nginx.list")" ""
printf '%-58s %-16s %-34s %s\n' "NDJSON batches of 1,000 (events/s; non-2xx: $errors)" ">= 500000" "$batch_eps" \
  "$(yes_no "${batch_eps%% *} >= 500000")"
printf '%-58s %-16s %-34s %s\n' "p99 latency at half of peak ($((peak / 2)) req/s asked)" "(report)" \
  "$(latency_ms 99 "$work/half.txt") ms at $(rps "$work/half.txt") req/s" "-"
printf '%-58s %-16s %-34s %s\n' "p99 at that load on 10,000 S4 rules, no reload" "(report)" \
  "$(latency_ms 99 "$work/calm.txt") ms at $(rps "$work/calm.txt") req/s" "-"
printf '%-58s %-16s %-34s %s\n' "p99 during back-to-back reloads of 10,000 rules" "< 5 ms" \
  "$(latency_ms 99 "$work/reload.txt") ms ($reloads reloads, median ${reload_ms} ms each)" \
  "$(yes_no "$(latency_ms 99 "$work/reload.txt") < 5")"
