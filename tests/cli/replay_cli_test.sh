#!/usr/bin/env bash
# End-to-end tests of `spur replay`: golden output, determinism, options, exit statuses.
# usage: replay_cli_test.sh SPUR_BINARY REPO_ROOT [--update]
set -u
spur=$1
root=$2
update=${3:-}
golden=$root/tests/golden/replay
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/assert.sh"

same_file() {  # same_file NAME ACTUAL_FILE GOLDEN_FILE
  if [ "$update" = "--update" ]; then cp "$2" "$3"; fi
  if cmp -s "$2" "$3"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $1: differs from $3"
    diff "$3" "$2" | head -20
  fi
}

cd "$root" || exit 1
arbitration=(--rules tests/golden/replay/arbitration.rules
             --profiles tests/golden/replay/arbitration.profiles.ndjson)

# Golden firings, suppressions and stderr (events/s varies and is left out).
"$spur" replay "${arbitration[@]}" --drain --suppressed tests/golden/replay/arbitration.ndjson \
  > "$work/out" 2> "$work/err"
expect "arbitration exit 0" "$?" 0
sed 's/, events\/s: [0-9]*//' "$work/err" > "$work/err.stable"
same_file "arbitration firings" "$work/out" "$golden/arbitration.expected.ndjson"
same_file "arbitration stderr" "$work/err.stable" "$golden/arbitration.expected.stderr"

# Decision requests in the stream, answered after the firings of their step; a bad one
# reported like a bad event.
"$spur" replay --rules tests/golden/replay/decisions.rules --suppressed \
  tests/golden/replay/decisions.ndjson > "$work/out" 2> "$work/err"
expect "decisions exit 0" "$?" 0
sed 's/, events\/s: [0-9]*//' "$work/err" > "$work/err.stable"
same_file "decisions output" "$work/out" "$golden/decisions.expected.ndjson"
same_file "decisions stderr" "$work/err.stable" "$golden/decisions.expected.stderr"

# --config: the configuration's scorers (a logistic regression file of the examples)
# score the declared model; the score is in the firing. A model file that cannot be read
# is a usage error naming the scorer.
cat > "$work/views.ndjson" <<'EOF'
{"event": "page_view", "user": "u2", "time": "2026-03-01T10:00:00Z", "properties": {"category": "shoes"}}
{"event": "page_view", "user": "u2", "time": "2026-03-02T10:00:00Z", "properties": {"category": "shoes"}}
{"event": "page_view", "user": "u2", "id": "v3", "time": "2026-03-03T10:00:00Z", "properties": {"category": "bags"}}
EOF
echo '{"user": "u2", "attributes": {"ltv": 2000}}' > "$work/ltv.ndjson"
scored=$(cd rules/examples && "$spur" replay --rules . --config scorers.yaml --profiles "$work/ltv.ndjson" \
  "$work/views.ndjson" 2>/dev/null)
expect "scored firing" "$(echo "$scored" | grep -o '"scores":{"propensity":0.8175744761936437}')" \
  '"scores":{"propensity":0.8175744761936437}'
unscored=$("$spur" replay --rules rules/examples --profiles "$work/ltv.ndjson" "$work/views.ndjson" 2>/dev/null)
expect "no scorer, no firing" "$unscored" ""
printf 'scorers:\n  propensity: {type: file, path: missing.json}\n' > "$work/bad.yaml"
"$spur" replay --rules rules/examples --config "$work/bad.yaml" "$work/views.ndjson" > /dev/null 2> "$work/err"
expect "bad scorer exit 2" "$?" 2
expect "bad scorer message" "$(grep -c 'scorers.propensity.path: cannot read the model file missing.json' "$work/err")" 1

# --scores: an http scorer answers, per user, the latest recorded score at or before the
# step; before any (u1 at 09:00, u2 at all) it answers its default, recorded as such.
printf 'model churn\n  features { ltv: profile.ltv }\nend\nrule scored when ping then send log { churn: score("churn") } end\n' > "$work/churn.rules"
printf 'scorers:\n  churn: {type: http, url: "http://127.0.0.1:9/score", default: 0.5}\n' > "$work/http.yaml"
cat > "$work/scores.ndjson" <<'EOF2'
{"user": "u1", "model": "churn", "time": "2026-03-01T10:00:00Z", "score": 0.25}
{"user": "u1", "model": "churn", "time": "2026-03-01T12:00:00Z", "score": 0.75}
EOF2
cat > "$work/pings.ndjson" <<'EOF2'
{"event": "ping", "user": "u1", "id": "p1", "time": "2026-03-01T09:00:00Z"}
{"event": "ping", "user": "u1", "id": "p2", "time": "2026-03-01T10:00:00Z"}
{"event": "ping", "user": "u1", "id": "p3", "time": "2026-03-01T11:59:59Z"}
{"event": "ping", "user": "u1", "id": "p4", "time": "2026-03-01T12:00:00Z"}
{"event": "ping", "user": "u2", "id": "p5", "time": "2026-03-01T12:00:00Z"}
EOF2
out=$("$spur" replay --rules "$work/churn.rules" --config "$work/http.yaml" --scores "$work/scores.ndjson" "$work/pings.ndjson" 2>"$work/err")
expect "recorded scores" "$(echo "$out" | grep -o '"scores":{[^}]*}*' | tr '\n' ' ')" \
  '"scores":{"churn":{"value":0.5,"default":true}} "scores":{"churn":0.25} "scores":{"churn":0.25} "scores":{"churn":0.75} "scores":{"churn":{"value":0.5,"default":true}} '
expect "the payload gets the default's value" "$(echo "$out" | head -1 | grep -o '"payload":{[^}]*}')" '"payload":{"churn":0.5}'
out=$("$spur" replay --rules "$work/churn.rules" --config "$work/http.yaml" "$work/pings.ndjson" 2>"$work/err")
expect "no scores file: every score is the default" "$(echo "$out" | grep -c '"default":true')" 5
expect "no scores file: a warning says so" "$(grep -c 'scorers.churn: http scorers are not called here' "$work/err")" 1
"$spur" replay --rules "$work/churn.rules" --scores "$work/scores.ndjson" "$work/pings.ndjson" >/dev/null 2>&1
expect "--scores without --config exit 2" "$?" 2
echo '{"user": "u1", "model": "churn", "time": "yesterday", "score": 1}' > "$work/bad-scores.ndjson"
"$spur" replay --rules "$work/churn.rules" --config "$work/http.yaml" --scores "$work/bad-scores.ndjson" "$work/pings.ndjson" >/dev/null 2>"$work/err"
expect "bad scores file exit 2" "$?" 2
expect "bad scores file names the line" "$(grep -c 'bad-scores.ndjson:1: needs "time"' "$work/err")" 1

# spur test reads the same scores through `scores:`, next to `config:`.
cat > "$work/churn.test.yaml" <<'EOF2'
rules: [churn.rules]
config: http.yaml
scores: scores.ndjson
tests:
  - name: recorded, then default
    events:
      - {event: ping, user: u1, time: "2026-03-01T10:30:00Z"}
      - {event: ping, user: u2, time: "2026-03-01T10:30:00Z"}
    expect:
      - {rule: scored, user: u1, scores: {churn: 0.25}}
      - {rule: scored, user: u2, scores: {churn: {value: 0.5, default: true}}}
EOF2
expect "spur test with scores" "$("$spur" test "$work/churn.test.yaml" 2>&1 | tail -1)" "1 passed, 0 failed"
# ... or through --config and --scores, as spur replay, for a file that names no config.
grep -v '^config:\|^scores:' "$work/churn.test.yaml" > "$work/bare.test.yaml"
expect "spur test without a config: the default" "$("$spur" test "$work/bare.test.yaml" 2>&1 | tail -1)" "0 passed, 1 failed"
expect "spur test --config --scores" \
  "$("$spur" test --config "$work/http.yaml" --scores "$work/scores.ndjson" "$work/bare.test.yaml" 2>&1 | tail -1)" "1 passed, 0 failed"
expect "a file's own config wins over --config" \
  "$("$spur" test --config "$work/http.yaml" "$work/churn.test.yaml" 2>&1 | tail -1)" "1 passed, 0 failed"
"$spur" test --scores "$work/scores.ndjson" "$work/bare.test.yaml" >/dev/null 2>&1
expect "spur test --scores without --config exit 2" "$?" 2
"$spur" test --config "$work/missing.yaml" "$work/bare.test.yaml" >/dev/null 2>&1
expect "spur test --config unreadable exit 2" "$?" 2
"$spur" test --frobnicate "$work/bare.test.yaml" >/dev/null 2>&1
expect "spur test unknown option exit 2" "$?" 2

# Experiments: conversions interleaved after the step that made them, and the report.
# u1 draws arm 2, u3 arm 1, u2 is held out (experiment.test.yaml); u1 and u2 convert.
cat > "$work/reviews.ndjson" <<'EOF2'
{"event": "order_delivered", "user": "u1", "id": "d1", "time": "2026-03-01T10:00:00Z"}
{"event": "order_delivered", "user": "u2", "id": "d2", "time": "2026-03-01T10:00:00Z"}
{"event": "order_delivered", "user": "u3", "id": "d3", "time": "2026-03-01T10:00:00Z"}
{"event": "review_submitted", "user": "u1", "id": "r1", "time": "2026-03-02T10:00:00Z"}
{"event": "review_submitted", "user": "u2", "id": "r2", "time": "2026-03-15T10:00:00Z"}
{"event": "review_submitted", "user": "u3", "id": "r3", "time": "2026-03-15T10:00:00.001Z"}
EOF2
out=$("$spur" replay --rules rules/examples/experiment.rules --conversions "$work/reviews.ndjson" 2>/dev/null)
expect "conversions in stream order" "$(echo "$out" | sed -n 's/.*"\(rule\|conversion\)":"[a-z_]*","user":"\(u[0-9]\)".*"arm":\([a-z0-9]*\),"holdout":\([a-z]*\)}$/\2 \3 \4/p; s/^{"firing_id".*"user":"\(u[0-9]\)".*/fired \1/p' | tr '\n' ',')" \
  'fired u1,fired u2,fired u3,u1 2 false,u2 null true,'
report=$("$spur" replay --rules rules/examples/experiment.rules --report=json "$work/reviews.ndjson" 2>/dev/null)
expect "report json" "$report" '{"rules":{"review_request_test":{"goal":"review_submitted","arms":{"1":{"firings":1,"conversions":0,"rate":0.0},"2":{"firings":1,"conversions":1,"rate":1.0}},"control":{"firings":0,"conversions":0,"rate":null},"treated":{"firings":2,"conversions":1,"rate":0.5},"held_out":{"firings":1,"conversions":1,"rate":1.0},"lift":{"difference":-0.5,"low":-1.192951912174839,"high":0.19295191217483898}}}}'
"$spur" replay --rules rules/examples/experiment.rules --report "$work/reviews.ndjson" >/dev/null 2>"$work/err"
contains "report table" "$(cat "$work/err")" "  treated             2            1    50.00%"
"$spur" replay --rules rules/examples/experiment.rules --conversions --stats "$work/reviews.ndjson" >/dev/null 2>&1
expect "--conversions with --stats exit 2" "$?" 2

# The demo events through the example rules, drained.
"$spur" replay --rules rules/examples --drain rules/examples/demo-events.ndjson > "$work/demo" 2>/dev/null
same_file "demo firings" "$work/demo" "$golden/demo.expected.ndjson"

# Byte-identical across runs, and the same from stdin (`-` or nothing).
"$spur" replay --rules rules/examples --drain rules/examples/demo-events.ndjson > "$work/demo2" 2>/dev/null
expect "deterministic" "$(cmp -s "$work/demo" "$work/demo2" && echo same)" same
"$spur" replay --rules rules/examples --drain - < rules/examples/demo-events.ndjson > "$work/demo3" 2>/dev/null
expect "stdin with -" "$(cmp -s "$work/demo" "$work/demo3" && echo same)" same
"$spur" replay --rules rules/examples --drain < rules/examples/demo-events.ndjson > "$work/demo4" 2>/dev/null
expect "stdin by default" "$(cmp -s "$work/demo" "$work/demo4" && echo same)" same

# --stats: one JSON object with every rule in declaration order.
stats=$("$spur" replay "${arbitration[@]}" --drain --stats tests/golden/replay/arbitration.ndjson 2>/dev/null)
expect "stats" "$stats" '{"events":9,"rejected":3,"duplicates":1,"firings":9,"suppressed":2,"pending":0,"rules":{"recovery":{"fired":2,"suppressed":0,"pending":0},"promo":{"fired":2,"suppressed":2,"pending":0},"log_all":{"fired":5,"suppressed":0,"pending":0}}}'

# Without --drain, waiting matches stay pending; --until fires the timers due by then.
stats=$("$spur" replay "${arbitration[@]}" --stats tests/golden/replay/arbitration.ndjson 2>/dev/null)
expect "no drain leaves pending" "$(echo "$stats" | grep -o '"pending":[0-9]*' | head -1)" '"pending":2'
out=$("$spur" replay "${arbitration[@]}" --until 2026-01-02T11:00:00Z tests/golden/replay/arbitration.ndjson 2>/dev/null)
expect "until fires due timers" "$(echo "$out" | grep -c '"rule":"recovery"')" 1
out=$("$spur" replay "${arbitration[@]}" --until 2025-01-01T00:00:00Z tests/golden/replay/arbitration.ndjson 2>/dev/null)
expect "until before the clock does nothing" "$(echo "$out" | grep -c '"rule":"recovery"')" 0

# Over many of the reading thread's batches (512 events): firings in the file's order,
# blank lines skipped but counted in line numbers, default ids and errors naming the line.
printf 'rule r when a then send log end\n' > "$work/each.rules"
for i in $(seq 1 1300); do
  if [ $((i % 100)) -eq 0 ]; then echo; continue; fi
  if [ "$i" -eq 1201 ]; then echo '{"event": "a"}'; continue; fi
  if [ "$i" -eq 1101 ]; then echo '{"event":"a","user":"u","time":1767225600000}'; continue; fi
  printf '{"event":"a","user":"u","id":"e%d","time":1767225600000}\n' "$i"
done > "$work/many.ndjson"
"$spur" replay --rules "$work/each.rules" "$work/many.ndjson" > "$work/many.out" 2> "$work/many.err"
expected=$(for i in $(seq 1 1300); do
  [ $((i % 100)) -eq 0 ] || [ "$i" -eq 1201 ] && continue
  if [ "$i" -eq 1101 ]; then echo auto-1101; else echo "e$i"; fi
done)
expect "many batches: firings in file order" \
  "$(grep -o '"trigger":"[^"]*"' "$work/many.out" | cut -d'"' -f4)" "$expected"
contains "many batches: the bad line by number" "$(cat "$work/many.err")" \
  "$work/many.ndjson:1201: \`user\` is required"
contains "many batches: counts" "$(cat "$work/many.err")" "events: 1287, rejected: 1,"

# Usage errors and unreadable files exit 2; rules with errors exit 1.
"$spur" replay tests/golden/replay/arbitration.ndjson 2>/dev/null; expect "no rules exit 2" "$?" 2
"$spur" replay "${arbitration[@]}" --drain --until 2026-01-01T00:00:00Z 2>/dev/null </dev/null
expect "drain and until exit 2" "$?" 2
"$spur" replay "${arbitration[@]}" --suppressed --stats 2>/dev/null </dev/null; expect "suppressed and stats exit 2" "$?" 2
"$spur" replay "${arbitration[@]}" "$work/missing.ndjson" 2>/dev/null; expect "missing events exit 2" "$?" 2
printf 'rule r when a and crat.x then send log end\n' > "$work/bad.rules"
"$spur" replay --rules "$work/bad.rules" 2>/dev/null </dev/null; expect "bad rules exit 1" "$?" 1

finish
