#!/usr/bin/env bash
# POST /v1/decide (issue 19), bounded in time, everything on 127.0.0.1: the example rules
# (rules/examples: the homepage's exclusive group of three decide rules, among the other
# campaigns), 100,000 users of whom a tenth are high-value, requests for the homepage
# from mobile and desktop, one per POST, keep-alive, 64 connections:
#   1. the peak rate (wrk), RUNS times, median;
#   2. an open-loop load at half of that peak (build/bench/paced_load: request k is due
#      at k / rate, to the nanosecond, and its latency counts from then), RUNS times:
#      median p50, p99 and p99.9 from due time to answer read.
# wrk's own pacing (`delay`, whole milliseconds) sends a burst at every millisecond
# tick and measures the bursts' queueing, not the server's: see docs/performance.md.
# In storage mode disk (the default, fsync batch: a decision does not wait for the disk)
# and in mode memory.
# Each paced run also prints the hypervisor's steal on the server's cores during it: on a
# virtual machine, a run with steal measures the host, not the server. The runs with at
# most STEAL_MS (default 20) ms of it are summed up apart, after each mode's row.
#
# WAIT=spin (the default with LAYOUT=split): paced_load polls epoll without sleeping, so that the latencies it
#   measures do not include its own wake-ups (an interprocessor interrupt on this VM:
#   p50 0.20 ms sleeping, 0.05 ms spinning). WAIT=sleep (the default with LAYOUT=shared,
#   where a spinning generator would take a core from the server): it sleeps between
#   requests.
# LAYOUT=split (default): the server on core 0 with one event loop and one shard, the
#   load generators on core 1, as a client on another host would be; the peak is then
#   the peak of one core.
# LAYOUT=shared: the server with its defaults (a loop and a shard per core) and the load
#   generators on the same cores.
#
# MODES="disk memory" (default): the storage modes to run. SNAPSHOT=60s (default): the
#   checkpoint interval in mode disk; SNAPSHOT=5s puts a checkpoint pass of the 100,000
#   users into every paced run.
# SPUR=build/spur (default): the binary to run.
# usage: bench/http/decide.sh [SECONDS=5] [RUNS=3]   (needs scripts/build.sh and wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/http/spur_process.sh
seconds=${1:-5}
runs=${2:-3}
layout=${LAYOUT:-split}
command -v wrk >/dev/null || { echo "bench/http/decide.sh needs wrk: apt-get install -y wrk" >&2; exit 2; }
spur=${SPUR:-build/spur}
[ -x "$spur" ] && [ -x build/bench/paced_load ] || { echo "run scripts/build.sh first" >&2; exit 2; }
# server_stat: the /proc/stat line of the server's cores (steal_ms reads it).
case "$layout" in
  split) server_cpu=(taskset -c 0) client_cpu=(taskset -c 1) loops=1 wrk_threads=1 wait_mode=${WAIT:-spin} server_stat=cpu0 ;;
  shared) server_cpu=() client_cpu=() loops=0 wrk_threads=2 wait_mode=${WAIT:-sleep} server_stat=cpu ;;
  *) echo "LAYOUT is split or shared, not $layout" >&2; exit 2 ;;
esac

make_work_dir

awk 'BEGIN {
  srand(19);
  for (i = 0; i < 100000; i++) {
    device = (rand() < 0.6) ? "mobile" : "desktop";
    printf "{\"user\":\"u%d\",\"placement\":\"homepage\",\"context\":{\"device\":\"%s\"}}\n", i, device;
  }
}' > "$work/decide.ndjson"
# High-value users (the segment of rules/examples/high_value.rules): a tenth get an ltv
# over 1000 (an identify event) and three purchases.
awk 'BEGIN {
  for (i = 0; i < 100000; i += 10) {
    printf "{\"event\":\"identify\",\"user\":\"u%d\",\"properties\":{\"ltv\":1500}}\n", i;
    for (k = 0; k < 3; k++)
      printf "{\"event\":\"purchase\",\"user\":\"u%d\",\"properties\":{\"amount\":50}}\n", i;
  }
}' > "$work/high_value.ndjson"
split -l 1000 "$work/high_value.ndjson" "$work/high_value.part."

# A percentile of a paced_load line ("rate R/s (asked A/s); latency ms p50 X p90 X p99 X
# p99.9 X max X; N answers, M not 2xx"), $1 its name, from file $2, in microseconds.
paced_us() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) * 1000}' "$2"; }
# The time the hypervisor has given the server's cores to others (steal, the 8th field of
# /proc/stat, in clock ticks), in ms since boot. A paced run's steal is time in which the
# server could not run at all: every request due then waits it out, so a run with more
# than a few ms of it says nothing about the server's tail.
steal_ms() { awk -v cpu="$server_stat" -v hz="$(getconf CLK_TCK)" '$1 == cpu {print int($9 * 1000 / hz)}' /proc/stat; }
# Runs with at most this much steal are summed up apart (STEAL_MS, default 20: two ticks).
steal_limit=${STEAL_MS:-20}
# median of microseconds on stdin, in milliseconds: "median (min-max)".
median_ms() { median | awk '{gsub(/[()-]/, " "); printf "%.2f (%.2f-%.2f)", $1 / 1000, $2 / 1000, $3 / 1000}'; }

export EVENTS="$work/decide.ndjson" TARGET=/v1/decide
connections=64

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); layout $layout; generator $wait_mode; ${seconds}s per run, medians of $runs (min-max); $connections connections"
printf '%-8s %-24s %-16s %-22s %-22s %s\n' "storage" "peak decisions/s" "paced at" "p50 / p99.9 ms" "p99 ms (goal < 1)" "met"
for mode in ${MODES:-disk memory}; do
  rm -rf "$work/data"
  cat > "$work/spur.yaml" <<YAML
server: {listen: 127.0.0.1:18092, threads: $loops}
engine: {rules: [rules/examples], watch: false, shards: $loops}
storage: {mode: $mode, path: $work/data, snapshot_interval: ${SNAPSHOT:-60s}}
YAML
  "${server_cpu[@]}" "$spur" serve --config "$work/spur.yaml" >/dev/null 2>"$work/spur.log" &
  spur_pid=$!
  wait_ready 18092 30
  for part in "$work"/high_value.part.*; do
    curl -sf -H 'Content-Type: application/x-ndjson' --data-binary @"$part" \
      http://127.0.0.1:18092/v1/events >/dev/null
  done
  rm -f "$work"/*.list
  for run in $(seq "$runs"); do
    "${client_cpu[@]}" wrk -t$wrk_threads -c$connections -d"${seconds}s" -s bench/http/single.lua \
      http://127.0.0.1:18092/v1/decide > "$work/peak-$run.txt"
    rps "$work/peak-$run.txt" >> "$work/peak.list"
    if grep -q "Non-2xx" "$work/peak-$run.txt"; then
      echo "  answers other than 2xx:" $(grep -h "Non-2xx" "$work/peak-$run.txt")
    fi
  done
  half=$(( $(median < "$work/peak.list" | cut -d' ' -f1) / 2 ))
  for run in $(seq "$runs"); do
    steal_before=$(steal_ms)
    "${client_cpu[@]}" build/bench/paced_load 18092 /v1/decide "$work/decide.ndjson" "$half" \
      "$seconds" "$connections" "$wait_mode" > "$work/paced.txt"
    steal=$(($(steal_ms) - steal_before))
    for p in p50 p99 p99.9; do paced_us "$p" "$work/paced.txt" >> "$work/$p.list"; done
    run_p99_us=$(tail -1 "$work/p99.list")
    echo "  $mode paced run $run: p99 $(awk -v us="$run_p99_us" 'BEGIN {printf "%.2f", us / 1000}') ms; steal on the server's cores ${steal} ms"
    if [ "$steal" -le "$steal_limit" ]; then echo "$run_p99_us" >> "$work/p99-unstolen.list"; fi
    if ! grep -q ", 0 not 2xx" "$work/paced.txt"; then echo "  paced run: $(cat "$work/paced.txt")"; fi
  done
  p99_us=$(median < "$work/p99.list" | cut -d' ' -f1)
  met=$(awk -v p="$p99_us" 'BEGIN {print (p < 1000) ? "yes" : "no"}')
  printf '%-8s %-24s %-16s %-22s %-22s %s\n' "$mode" "$(median < "$work/peak.list")" "$half/s" \
    "$(median_ms < "$work/p50.list" | cut -d' ' -f1) / $(median_ms < "$work/p99.9.list" | cut -d' ' -f1)" \
    "$(median_ms < "$work/p99.list")" "$met"
  if [ -s "$work/p99-unstolen.list" ]; then
    echo "  $mode, the $(wc -l < "$work/p99-unstolen.list") runs with at most ${steal_limit} ms of steal: p99 $(median_ms < "$work/p99-unstolen.list") ms," \
      "$(awk '$1 < 1000' "$work/p99-unstolen.list" | wc -l) under 1 ms"
  else
    echo "  $mode: no run with at most ${steal_limit} ms of steal"
  fi
  stop_spur
  spur_pid=
done
