# Sourced by the HTTP benchmarks: waiting for a `spur serve` they started, stopping it,
# and reading wrk's output. Uses the caller's $spur_pid and $work/spur.log.

# Makes the scratch folder $work and, when the script exits, stops the server of
# $spur_pid (if one runs) and removes the folder.
make_work_dir() {
  work=$(mktemp -d)
  spur_pid=
  trap remove_work_dir EXIT
}
remove_work_dir() {
  [ -n "$spur_pid" ] && kill "$spur_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}

# Waits until the server on port $1 is ready (recovery included), at most $2 seconds.
wait_ready() {
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "spur serve did not start:" >&2
  cat "$work/spur.log" >&2
  exit 1
}

stop_spur() {
  kill -TERM "$spur_pid"
  wait "$spur_pid" 2>/dev/null || true
}

# wrk's "Requests/sec" of the output file $1.
rps() { awk '/^Requests\/sec/ {print int($2)}' "$1"; }
# The latency at percentile $1 (50, 99, ...) of wrk --latency's output file $2, in ms.
latency_ms() {
  awk -v p="$1%" '$1 == p {v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
       m = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v; printf "%.2f", m}' "$2"
}
# The median and min-max of the whole numbers on stdin: "median (min-max)".
median() { sort -n | awk '{a[NR] = $1} END {printf "%d (%d-%d)", a[int((NR + 1) / 2)], a[1], a[NR]}'; }
