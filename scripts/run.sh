#!/usr/bin/env bash
# The main job: install what is missing, build Release, check the example rules, and run
# `spur serve` on rules/examples with the embedded defaults (127.0.0.1:8080, firings as
# NDJSON on stdout, log lines on stderr). Ctrl-C stops it gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
echo
echo "== spur check rules/examples"
./build/spur check rules/examples
cat <<'HELP'

== spur serve on http://127.0.0.1:8080 (rules/examples, embedded defaults)
Post an event from another terminal; its firings appear below as NDJSON:

  curl -i -X POST http://127.0.0.1:8080/v1/events -H 'Content-Type: application/json' \
    -d '{"event": "signup", "user": "u42", "properties": {"first_name": "Ada"}}'

  curl http://127.0.0.1:8080/v1/users/u42/firings      # what fired for u42
  curl http://127.0.0.1:8080/v1/rules                  # the rules and their counts
  curl -X POST http://127.0.0.1:8080/v1/rules/reload   # after editing rules/examples

HELP
exec ./build/spur serve
