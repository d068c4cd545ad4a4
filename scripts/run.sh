#!/usr/bin/env bash
# The main job: install what is missing, build Release, check the example rules, replay
# the demo events through them and summarize what fired.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
echo
echo "== spur check rules/examples"
./build/spur check rules/examples
echo
echo "== spur replay rules/examples/demo-events.ndjson (firings in build/demo-firings.ndjson)"
./build/spur replay --rules rules/examples --drain rules/examples/demo-events.ndjson > build/demo-firings.ndjson
echo
echo "== what fired, per rule"
grep -o '"rule":"[^"]*"' build/demo-firings.ndjson | cut -d'"' -f4 | sort | uniq -c | sort -rn
