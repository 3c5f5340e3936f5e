#!/usr/bin/env bash
# Installs the Debian 12 packages Symbolon needs to build, run and test.
# As root it runs apt-get itself; otherwise it prints the exact command to run.
# Only packages that are missing are installed, so a second run is quick and quiet.
set -euo pipefail

# Build toolchain and the libraries named in meson.build.
BUILD=(build-essential meson ninja-build pkg-config python3 clang clang-format
       libmicrohttpd-dev libjansson-dev libcbor-dev libssl-dev libsqlite3-dev libpq-dev
       libcurl4-openssl-dev libldap2-dev libmaxminddb-dev zlib1g-dev
       libpng-dev libjpeg-dev libwebp-dev libgif-dev libfreetype-dev fonts-dejavu-core)
# Front end: Node.js and npm (a preinstalled Node from elsewhere is kept when it is new enough).
WEB=(nodejs npm)
# Tests, fuzzing and benchmarks.
TEST=(libcmocka-dev python3-cryptography libclang-rt-14-dev postgresql-15 postgresql-client curl wrk brotli sqlite3
      chromium fonts-liberation apache2 libapache2-mod-auth-openidc)

want=("${BUILD[@]}")
[ "${1:-}" = "--test" ] && want+=("${TEST[@]}")
# Node from another source (nodesource) provides nodejs but not Debian's npm package.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then want+=("${WEB[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd=(apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}")
if [ "$(id -u)" -ne 0 ]; then
  echo "Symbolon needs these Debian packages. Run as root:" >&2
  echo "  apt-get update && ${cmd[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
"${cmd[@]}"
