#!/usr/bin/env bash
# Storage mode disk against memory (issue 18), bounded in time, everything on 127.0.0.1:
#   1. HTTP ingest, memory vs disk with fsync batch: NDJSON batches of 1,000 (4
#      connections) and one event per POST (64 connections), interleaved RUNS times,
#      medians and the ratio of each run;
#   2. disk bytes per event in the log (events of S1, 100 rules);
#   3. recovery of USERS users (default 1,000,000), each with a waiting match: the time
#      from start to `recovered`, from the server's log; once from the log alone, once
#      from checkpoints (the log trimmed behind them);
#   4. bytes per user in a checkpoint: the waiting users of 3, and as many idle users
#      (one event that no rule waits on).
# Rules: S1 with 100 rules for 1 and 2; a one-hour absence rule for 3 and 4.
#
# usage: bench/http/storage.sh [SECONDS=5] [RUNS=5] [USERS=1000000]
#        (needs scripts/build.sh and wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/spur_process.sh
seconds=${1:-5}
runs=${2:-5}
users=${3:-1000000}
command -v wrk >/dev/null || { echo "bench/http/storage.sh needs wrk: apt-get install -y wrk" >&2; exit 2; }
[ -x build/spur ] && [ -x build/bench/gen_s1 ] || { echo "run scripts/build.sh first" >&2; exit 2; }

make_work_dir

mkdir -p "$work/s100"
build/bench/gen_s1 100 100000 "$work/s100" >/dev/null
sed -e 's/"id":"[^"]*",//' -e 's/"time":"[^"]*",//' "$work/s100/s1.ndjson" > "$work/events.ndjson"
export EVENTS="$work/events.ndjson"

# Starts spur serve on rules $1 with storage $2 (a YAML flow map); waits until ready.
start_spur() {
  cat > "$work/spur.yaml" <<YAML
server: {listen: 127.0.0.1:18090}
engine: {rules: [$1], watch: false}
storage: $2
YAML
  build/spur serve --config "$work/spur.yaml" >/dev/null 2>>"$work/spur.log" &
  spur_pid=$!
  wait_ready 18090 60
}
median_ratio() { sort -n | awk '{a[NR] = $1} END {printf "%.2f (%.2f-%.2f)", a[int((NR + 1) / 2)], a[1], a[NR]}'; }
metric() { curl -s http://127.0.0.1:18090/metrics | awk -v m="$1" '$1 == m {print $2}'; }

for run in $(seq "$runs"); do
  for mode in memory disk; do
    rm -rf "$work/data"
    start_spur "$work/s100/s1.rules" "{mode: $mode, path: $work/data, fsync: batch}"
    BATCH=1000 wrk -t2 -c4 -d"${seconds}s" -s bench/http/batch.lua \
      http://127.0.0.1:18090/v1/events > "$work/batch-$mode-$run.txt"
    wrk -t2 -c64 -d"${seconds}s" -s bench/http/single.lua \
      http://127.0.0.1:18090/v1/events > "$work/single-$mode-$run.txt"
    if [ "$mode" = disk ]; then
      accepted=$(metric spur_events_accepted_total)
      bytes=$(du -sb "$work/data" | cut -f1)
      echo $(( bytes / (accepted > 0 ? accepted : 1) )) >> "$work/bytes.list"
    fi
    stop_spur
    awk '/^events_per_second/ {print $2}' "$work/batch-$mode-$run.txt" >> "$work/batch-$mode.list"
    rps "$work/single-$mode-$run.txt" >> "$work/single-$mode.list"
  done
  awk -v d="$(tail -1 "$work/batch-disk.list")" -v m="$(tail -1 "$work/batch-memory.list")" \
    'BEGIN {printf "%.3f\n", d / m}' >> "$work/batch-ratio.list"
  awk -v d="$(tail -1 "$work/single-disk.list")" -v m="$(tail -1 "$work/single-memory.list")" \
    'BEGIN {printf "%.3f\n", d / m}' >> "$work/single-ratio.list"
done

# Recovery: USERS carts, each left waiting for an hour, posted in batches of 10,000.
cat > "$work/wait.rules" <<'RULES'
rule cart_wait "A cart without a purchase within an hour"
when
  add_to_cart as c
  and no purchase within 1h
then
  send log { sku: c.sku }
end
RULES
python3 - "$users" "$work" <<'PY'
import json, os, sys
users, work = int(sys.argv[1]), sys.argv[2]
for kind, event in (("carts", "add_to_cart"), ("idle", "page_view")):
    os.makedirs(f"{work}/{kind}")
    for first in range(0, users, 10000):
        with open(f"{work}/{kind}/{first:09d}.ndjson", "w") as f:
            for u in range(first, min(users, first + 10000)):
                f.write(json.dumps({"event": event, "user": f"{kind}-{u}", "id": f"c{u}",
                                    "properties": {"sku": f"sku-{u % 977}"}}) + "\n")
PY
post_all() {
  for body in "$work/$1"/*.ndjson; do
    curl -sf -o /dev/null -X POST -H 'Content-Type: application/x-ndjson' \
      --data-binary @"$body" http://127.0.0.1:18090/v1/events
  done
}
pending_matches() {
  curl -s http://127.0.0.1:18090/metrics | awk '$1 ~ /^spur_pending_matches/ {n += $2} END {print n}'
}
# Waits until every shard has ended $1 checkpoint passes since the log was emptied.
wait_passes() {
  until [ "$(grep -c '"msg":"checkpoint written"' "$work/spur.log")" -ge $(( $1 * shards )) ]; do
    sleep 0.2
  done
}
# Restarts the server on the folder; sets ready_ms, recovered_ms, restored, after.
restart() {
  stop_spur
  : > "$work/spur.log"
  local start
  start=$(date +%s%N)
  start_spur "$work/wait.rules" "$1"
  ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  recovered_ms=$(grep -o '"msg":"recovered"[^}]*"ms":[0-9]*' "$work/spur.log" | grep -o '[0-9]*$')
  restored=$(grep -o '"msg":"recovered","checkpoints":[0-9]*' "$work/spur.log" | grep -o '[0-9]*$')
  after=$(pending_matches)
}

# From the log alone: checkpoints far apart.
rm -rf "$work/data"
start_spur "$work/wait.rules" "{mode: disk, path: $work/data}"
post_all carts
pending=$(pending_matches)
data_bytes=$(du -sb "$work/data" | cut -f1)
restart "{mode: disk, path: $work/data}"
log_recovered_ms=$recovered_ms log_ready_ms=$ready_ms log_after=$after
stop_spur

# From checkpoints: every 2 s; two passes after the carts, so that the log is trimmed.
checkpointed="{mode: disk, path: $work/data, snapshot_interval: 2s}"
rm -rf "$work/data"
: > "$work/spur.log"
start_spur "$work/wait.rules" "$checkpointed"
shards=$(grep -o '"shards":[0-9]*' "$work/spur.log" | head -1 | grep -o '[0-9]*$')
post_all carts
: > "$work/spur.log"
wait_passes 2
longest_chunk=$(metric spur_checkpoint_longest_chunk_seconds)
restart "$checkpointed"
: > "$work/spur.log"
wait_passes 1
cart_bytes=$(awk '/"msg":"checkpoint written"/ {match($0, /"users":[0-9]+/); u += substr($0, RSTART + 8, RLENGTH - 8); match($0, /"bytes":[0-9]+/); b += substr($0, RSTART + 8, RLENGTH - 8)} END {printf "%d", b / u}' "$work/spur.log")
stop_spur

# Idle users: one page view each, which no rule reads.
rm -rf "$work/data"
: > "$work/spur.log"
start_spur "$work/wait.rules" "$checkpointed"
post_all idle
: > "$work/spur.log"
wait_passes 1
idle_bytes=$(awk '/"msg":"checkpoint written"/ {match($0, /"users":[0-9]+/); u += substr($0, RSTART + 8, RLENGTH - 8); match($0, /"bytes":[0-9]+/); b += substr($0, RSTART + 8, RLENGTH - 8)} END {printf "%d", b / u}' "$work/spur.log")
stop_spur

yes_no() { if awk "BEGIN {exit !($1)}"; then echo yes; else echo no; fi; }
batch_ratio=$(median_ratio < "$work/batch-ratio.list")
single_ratio=$(median_ratio < "$work/single-ratio.list")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(df -T "$work" | awk 'NR == 2 {print $2}') under $work; ${seconds}s per run, medians of $runs (min-max)"
printf '%-62s %-10s %-30s %s\n' "target" "goal" "measured" "met"
printf '%-62s %-10s %-30s %s\n' "batches of 1,000: disk (fsync batch) / memory, events/s" ">= 0.5" \
  "$batch_ratio" "$(yes_no "${batch_ratio%% *} >= 0.5")"
printf '%-62s %-10s %-30s %s\n' "  memory, events/s" "" "$(median < "$work/batch-memory.list")" ""
printf '%-62s %-10s %-30s %s\n' "  disk, events/s" "" "$(median < "$work/batch-disk.list")" ""
printf '%-62s %-10s %-30s %s\n' "single events, 64 clients: disk (fsync batch) / memory" ">= 0.3" \
  "$single_ratio" "$(yes_no "${single_ratio%% *} >= 0.3")"
printf '%-62s %-10s %-30s %s\n' "  memory, req/s" "" "$(median < "$work/single-memory.list")" ""
printf '%-62s %-10s %-30s %s\n' "  disk, req/s" "" "$(median < "$work/single-disk.list")" ""
printf '%-62s %-10s %-30s %s\n' "disk bytes per event (S1, 100 rules; log and outbox)" "(report)" \
  "$(median < "$work/bytes.list")" "-"
row() { printf '%-62s %-10s %-30s %s\n' "$@"; }
row "recovery of $users users, a waiting match each, from the log (ms)" "< 10000" \
  "$log_recovered_ms (ready after $log_ready_ms)" "$(yes_no "$log_recovered_ms < 10000")"
row "  waiting matches before / after the restart" "equal" "$pending / $log_after" \
  "$(yes_no "$pending == $log_after")"
row "  data folder bytes per user" "(report)" "$(( data_bytes / users ))" "-"
row "recovery of the same from checkpoints (ms)" "< 10000" \
  "$recovered_ms (ready after $ready_ms)" "$(yes_no "$recovered_ms < 10000")"
row "  users restored from checkpoints / waiting matches after" "all" "$restored / $after" \
  "$(yes_no "$restored == $users && $after == $pending")"
row "  the most CPU a checkpoint chunk took on its shard (s)" "few ms" "$longest_chunk" "-"
row "checkpoint bytes per user with a waiting match" "(report)" "$cart_bytes" "-"
row "checkpoint bytes per idle user (one event, nothing waiting)" "(report)" "$idle_bytes" "-"
