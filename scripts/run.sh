#!/usr/bin/env bash
# `make run`: start the freshly built server from the repository root, so that its
# data folder is ./data. Without an ENCRYPTION_KEY (environment or .env) a random
# development key is created once in ./data and used from then on.
set -euo pipefail
bin=$1
cd "$(dirname "$0")/.."
has_key() {
  [ -n "${ENCRYPTION_KEY:-}" ] || [ -n "${ENCRYPTION_KEY_FILE:-}" ] && return 0
  [ -f .env ] && grep -Eq '^[[:space:]]*(export[[:space:]]+)?ENCRYPTION_KEY(_FILE)?[[:space:]]*[=:]' .env
}
if ! has_key; then
  keyfile=data/.encryption-key
  if [ ! -s "$keyfile" ]; then
    mkdir -p -m 750 data
    (umask 077 && head -c 32 /dev/urandom | base64 > "$keyfile")
    echo "make run: no ENCRYPTION_KEY was set, so a random development key was written to $keyfile." >&2
    echo "make run: keep that file: the database in ./data cannot be used without it." >&2
  else
    echo "make run: using the development key in $keyfile" >&2
  fi
  export ENCRYPTION_KEY_FILE=$keyfile
fi
echo "make run: Symbolon on ${APP_URL:-http://localhost:1411} (stop with Ctrl-C)" >&2
exec "$bin"
