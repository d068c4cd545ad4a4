#!/usr/bin/env bash
# The TextMate grammar (editors/spur.tmLanguage.json) through vscode-textmate, the
# tokenizer of VS Code. Needs Node.js and npm: without them, or when npm cannot reach its
# registry, the test is skipped (exit 77) with a message saying why.
#
# usage: textmate_test.sh BUILD_DIR SOURCE_ROOT
set -u
build=$1
root=$2
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: Node.js and npm are not installed; install them (apt-get install nodejs npm) to test editors/spur.tmLanguage.json"
  exit 77
fi
work="$build/textmate-test"
mkdir -p "$work"
cp "$root/tests/editors/package.json" "$work/package.json"
if [ ! -f "$work/node_modules/vscode-textmate/package.json" ]; then
  if ! (cd "$work" && npm install --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1); then
    echo "SKIP: npm could not install vscode-textmate and vscode-oniguruma (see $work/npm.log)"
    exit 77
  fi
fi
exec node "$root/tests/editors/textmate_test.js" "$root" "$work/node_modules"
