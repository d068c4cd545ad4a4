# Sourced by the HTTP benchmarks: waiting for a `spur serve` they started, and stopping it.
# Uses the caller's $spur_pid and $work/spur.log.

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
