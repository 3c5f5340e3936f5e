#!/usr/bin/env bash
# npm ci in the current folder, skipped while node_modules matches package-lock.json.
set -euo pipefail
stamp=node_modules/.symbolon-lock
[ -f package-lock.json ] || exit 0
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
