#!/usr/bin/env bash
# Runs every test: installs what is missing, builds Release, runs ctest (unit, golden
# and end-to-end tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
