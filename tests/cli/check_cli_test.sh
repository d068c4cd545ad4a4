#!/usr/bin/env bash
# End-to-end tests of `spur check`: exit statuses, diagnostics, summary, folders, JSON.
# usage: check_cli_test.sh SPUR_BINARY REPO_ROOT
set -u
spur=$1
root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/assert.sh"

# The examples are clean.
err=$("$spur" check "$root/rules/examples" 2>&1 >/dev/null); status=$?
expect "examples exit 0" "$status" 0
[[ "$err" =~ ^[0-9]+\ rules,\ [0-9]+\ segments?,\ 0\ errors,\ 0\ warnings$ ]]
expect "examples summary line" "$?" 0

# A bad file: exit 1, diagnostic with position, source line, caret and hint.
printf 'rule welcome\n  priorty 10\nwhen signup then send email end\n' > "$work/bad.rules"
err=$("$spur" check "$work/bad.rules" 2>&1 >/dev/null); status=$?
expect "bad rules exit 1" "$status" 1
contains "diagnostic position" "$err" "$work/bad.rules:2:3: error: expected \`when\` or a rule option"
contains "caret" "$err" $'  priorty 10\n  ^~~~~~~'
contains "hint" "$err" 'hint: did you mean `priority`?'
contains "summary counts errors" "$err" "0 rules, 0 segments, 1 error, 0 warnings"

# Warnings alone do not fail.
printf 'rule r disabled when a then send log end\n' > "$work/warn.rules"
"$spur" check "$work/warn.rules" 2>/dev/null
expect "warnings exit 0" "$?" 0

# With --config: a send to an adapter the configuration does not list is a warning
# (config.md), with the closest name or the adapters there; token secrets are not needed.
cat > "$work/spur.yaml" <<'YAML'
actions:
  crm: {type: webhook, url: "http://127.0.0.1:9/hook"}
  audit: {type: log, path: audit.ndjson}
auth:
  tokens:
    - {env: SPUR_CHECK_TEST_UNSET_TOKEN, scopes: [ingest]}
YAML
printf 'rule r when signup then send crn { a: 1 } send audit end
rule s when signup then send email end
' > "$work/sends.rules"
err=$("$spur" check --config "$work/spur.yaml" "$work/sends.rules" 2>&1 >/dev/null); status=$?
expect "unknown adapter exit 0" "$status" 0
contains "unknown adapter warning" "$err" "$work/sends.rules:1:30: warning: rule \`r\` sends to \`crn\`, which is not an adapter under \`actions\` in $work/spur.yaml; \`spur serve\` refuses to start with it"
contains "adapter did you mean" "$err" 'hint: did you mean `crm`?'
contains "adapters listed" "$err" 'hint: configure it there, or send to one of `audit`, `crm`'
contains "adapter summary" "$err" "2 rules, 0 segments, 0 errors, 2 warnings"
err=$("$spur" check "$work/sends.rules" 2>&1 >/dev/null)
contains "no config, no adapter warning" "$err" "2 rules, 0 segments, 0 errors, 0 warnings"
printf 'server: {listen: 127.0.0.1:0}\n' > "$work/no_actions.yaml"
err=$("$spur" check --config "$work/no_actions.yaml" "$work/sends.rules" 2>&1 >/dev/null)
contains "no actions: the log adapter takes every send" "$err" "0 errors, 0 warnings"
err=$("$spur" check --config "$work/missing.yaml" "$work/sends.rules" 2>&1); status=$?
expect "unreadable config exit 2" "$status" 2
contains "unreadable config message" "$err" "cannot be read; check the path given to --config"

# Usage errors and unreadable paths exit 2.
"$spur" check 2>/dev/null; expect "no paths exit 2" "$?" 2
"$spur" check --bogus "$work/bad.rules" 2>/dev/null; expect "unknown option exit 2" "$?" 2
err=$("$spur" check "$work/missing.rules" 2>&1); status=$?
expect "missing file exit 2" "$status" 2
contains "missing file message" "$err" "does not exist"
mkdir "$work/empty"
"$spur" check "$work/empty" 2>/dev/null; expect "folder without rules exit 2" "$?" 2

# Folders: recursive, *.rules only, bytewise order of the relative path. The duplicate
# is reported in the file read later: "a.rules" sorts before "a/z.rules" ('.' < '/'),
# and "B.rules" before both.
mkdir -p "$work/set/a"
printf 'rule x when e then send log end\n' > "$work/set/a.rules"
printf 'rule x when e then send log end\n' > "$work/set/a/z.rules"
printf 'rule y when e then send log end\n' > "$work/set/B.rules"
printf 'not rules at all {{{\n' > "$work/set/notes.txt"
err=$("$spur" check "$work/set" 2>&1 >/dev/null); status=$?
expect "folder with duplicate exit 1" "$status" 1
contains "duplicate in the later file" "$err" "$work/set/a/z.rules:1:6: error: duplicate rule \`x\`"
contains "first declaration named" "$err" "the first is declared at $work/set/a.rules:1:6"
contains "folder summary" "$err" "2 rules, 0 segments, 1 error, 0 warnings"

# A file named twice is read twice.
"$spur" check "$work/set/B.rules" "$work/set/B.rules" 2>/dev/null
expect "same file twice exit 1" "$?" 1

# A file given by name is read whatever its extension.
printf 'rule t when e then send log end\n' > "$work/rules.txt"
"$spur" check "$work/rules.txt" 2>/dev/null; expect "explicit non-.rules file exit 0" "$?" 0

# JSON format on stdout.
out=$("$spur" check --format json "$work/bad.rules" 2>/dev/null); status=$?
expect "json exit 1" "$status" 1
contains "json diagnostic" "$out" "\"line\":2,\"column\":3,\"end_line\":2,\"end_column\":10,\"severity\":\"error\""
contains "json hint" "$out" '"hint":"did you mean `priority`?"'
contains "json totals" "$out" '"errors":1,"warnings":0'

# Version and help.
out=$("$spur" --version); expect "version exit 0" "$?" 0
contains "version text" "$out" "spur "
out=$("$spur" help check); expect "help check exit 0" "$?" 0
contains "help check usage" "$out" "usage: spur check"
for command in replay test serve fmt; do
  out=$("$spur" help "$command"); contains "help $command" "$out" "usage: spur $command"
done
"$spur" help nonsense 2>/dev/null; expect "help unknown exit 2" "$?" 2
"$spur" frobnicate 2>/dev/null; expect "unknown command exit 2" "$?" 2

# `spur COMMAND --help` or -h: that command's usage on stdout, exit 0.
for command in check replay test serve fmt; do
  for flag in --help -h; do
    out=$("$spur" "$command" "$flag"); status=$?
    expect "$command $flag exit 0" "$status" 0
    expect "$command $flag usage" "$(echo "$out" | head -1 | cut -d' ' -f1-3)" "usage: spur $command"
  done
done
expect "help after other options" "$("$spur" replay --rules x --help | head -1 | cut -d' ' -f1-3)" "usage: spur replay"
# Every option of replay's is in its usage (formats.md: --conversions and --report).
for option in --profiles --config --scores --until --drain --suppressed --stats --conversions --report; do
  "$spur" replay --help | grep -q -- "$option"; expect "replay usage names $option" "$?" 0
done

# spur fmt: the examples are in canonical form; --check lists what would change and
# writes nothing; fmt rewrites; a file with a syntax error is left as it is.
"$spur" fmt --check "$root/rules/examples" >"$work/out" 2>&1; expect "fmt --check examples exit 0" "$?" 0
mkdir "$work/fmt"
printf '# keep me\nrule  r  when a   and profile.x>1 # and me\nthen send log end\n' > "$work/fmt/messy.rules"
printf 'rule broken when a then\n' > "$work/fmt/broken.rules"
cp "$work/fmt/messy.rules" "$work/messy.before"
"$spur" fmt --check "$work/fmt/messy.rules" >"$work/out" 2>"$work/err"; status=$?
expect "fmt --check messy exit 1" "$status" 1
expect "fmt --check lists the file" "$(cat "$work/out")" "$work/fmt/messy.rules"
cmp -s "$work/fmt/messy.rules" "$work/messy.before"; expect "fmt --check writes nothing" "$?" 0
"$spur" fmt "$work/fmt/messy.rules" 2>"$work/err"; expect "fmt exit 0" "$?" 0
expect "fmt layout and comments" "$(cat "$work/fmt/messy.rules")" "$(printf '# keep me\nrule r\nwhen\n  a\n  and profile.x > 1  # and me\nthen\n  send log\nend')"
"$spur" fmt --check "$work/fmt/messy.rules" >/dev/null 2>&1; expect "fmt is idempotent" "$?" 0
"$spur" fmt "$work/fmt" >/dev/null 2>"$work/err"; expect "fmt with a broken file exit 1" "$?" 1
expect "broken file untouched" "$(cat "$work/fmt/broken.rules")" "rule broken when a then"
contains "broken file named" "$(cat "$work/err")" "1 file has syntax errors and was left as it is"

# serve --rules and --listen override the configuration.
"$spur" serve --listen nonsense >/dev/null 2>"$work/err"; expect "bad --listen exit 1" "$?" 1
contains "bad --listen says so" "$(cat "$work/err")" "--listen must be host:port such as 127.0.0.1:8080, not \`nonsense\`"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$work/only"; printf 'rule only_this when ping then send log end\n' > "$work/only/only.rules"
"$spur" serve --rules "$work/only" --listen "127.0.0.1:$port" >/dev/null 2>"$work/serve.err" &
serve_pid=$!
rules=""
for _ in $(seq 100); do
  rules=$(python3 -c "import json, urllib.request; print(','.join(r['name'] for r in json.load(urllib.request.urlopen('http://127.0.0.1:$port/v1/rules'))['rules']))" 2>/dev/null) && break
  sleep 0.1
done
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null
expect "serve --rules --listen" "$rules" "only_this"

finish
