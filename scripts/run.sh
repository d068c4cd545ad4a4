#!/usr/bin/env bash
# The main job: install what is missing, build Release, check the example rules and
# summarize them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
echo
echo "== spur check rules/examples"
./build/spur check rules/examples
echo
echo "== the example rule set"
for f in rules/examples/*.rules; do
  printf '  %-32s %s\n' "$(basename "$f")" \
    "$(grep -cE '^rule ' "$f") rules, $(grep -cE '^segment ' "$f") segments, $(grep -cE '^group ' "$f") groups"
done
echo "  demo-events.ndjson               $(wc -l < rules/examples/demo-events.ndjson) events (replayed by \`spur replay\` in a later release)"
