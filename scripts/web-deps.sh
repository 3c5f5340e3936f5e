#!/usr/bin/env bash
# Installs the front end's npm packages exactly as locked.
set -euo pipefail
cd "$(dirname "$0")/../web"
exec bash ../scripts/npm-ci.sh
