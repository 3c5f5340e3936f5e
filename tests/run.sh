#!/usr/bin/env bash
# `make test`: every test Symbolon has, on a clean clone.
#   1. install what is missing (Debian packages, npm packages for the web app and tests)
#   2. build three ways: normal, ASan+UBSan, and the libFuzzer targets (clang)
#   3. unit tests (cmocka) in the normal and the sanitizer build, against SQLite and
#      a throw-away PostgreSQL
#   4. black-box API tests against the real binary (both builds) on SQLite and PostgreSQL
#   5. the web app in Debian's Chromium (playwright-core), and real relying parties
#      (openid-client, Apache + mod_auth_openidc) signing in to it with a passkey
#   6. every fuzz target replays its seed corpus
# Ends with the line "N passed, N failed" that CI reads; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

bash scripts/deps.sh --test || exit 1
bash scripts/web-deps.sh || exit 1
(cd tests/api && bash ../../scripts/npm-ci.sh) || exit 1
(cd tests/browser && bash ../../scripts/npm-ci.sh) || exit 1
(cd tests/rp && bash ../../scripts/npm-ci.sh) || exit 1
(cd tests/geoip && bash ../../scripts/npm-ci.sh) || echo "tests/geoip: npm ci failed; the real-GeoLite2 test is skipped"

logs=test-logs   # every log of this run; git-ignored
rm -rf "$logs" && mkdir -p "$logs"
passed=0 failed=0
note() { printf '\n=== %s\n' "$*"; }
count_junit() { # junit xml from meson: one testcase per TAP subtest
  read -r p f < <(/usr/bin/python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    cases = ET.parse(sys.argv[1]).getroot().iter('testcase')
except Exception:
    print(0, 1); sys.exit()
p = f = 0
for c in cases:
    if c.find('failure') is not None or c.find('error') is not None: f += 1
    elif c.find('skipped') is None: p += 1
print(p, f)
PY
)
  passed=$((passed + p)); failed=$((failed + f))
}
count_tap() { # node --test with the tap reporter: "# pass N" / "# fail N"
  local p f
  p=$(grep -E '^# pass ' "$1" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail ' "$1" | tail -1 | awk '{print $3}')
  [ -z "$p" ] && { p=0; f=1; tail -40 "$1"; }   # the runner died before its summary
  passed=$((passed + p)); failed=$((failed + ${f:-0}))
  [ "${f:-0}" -gt 0 ] && awk '/^not ok/{show=1} /^ok /{show=0} show' "$1" | head -150
  return 0
}

build() { # dir, meson options...
  local dir=$1; shift
  [ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >"$logs/$dir.setup.log" 2>&1 || { cat "$logs/$dir.setup.log"; return 1; }
  meson compile -C "$dir" -j "$jobs" >"$logs/$dir.compile.log" 2>&1 || { tail -50 "$logs/$dir.compile.log"; return 1; }
}

note "build: normal, sanitizers, fuzz targets"
build build || { echo "0 passed, 1 failed"; exit 1; }
build build-san -Db_sanitize=address,undefined -Db_lundef=false || { echo "0 passed, 1 failed"; exit 1; }
CC=clang build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false || { echo "0 passed, 1 failed"; exit 1; }

pgdir=$(mktemp -d /dev/shm/symbolon-pg.XXXXXX 2>/dev/null || mktemp -d)
trap 'bash tests/pg.sh stop "$pgdir"' EXIT
note "starting a throw-away PostgreSQL"
if ! SY_TEST_PG_URL=$(bash tests/pg.sh start "$pgdir"); then
  cat "$pgdir"/*.log 2>/dev/null; echo "0 passed, 1 failed"; exit 1
fi
export SY_TEST_PG_URL
echo "$SY_TEST_PG_URL"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

for dir in build build-san; do
  note "unit tests ($dir)"
  meson test -C "$dir" --print-errorlogs --num-processes "$jobs" >"$logs/$dir.test.log" 2>&1
  grep -E '^ *[0-9]+/[0-9]+ ' "$logs/$dir.test.log"
  before=$failed
  count_junit "$dir/meson-logs/testlog.junit.xml"
  [ "$failed" -gt "$before" ] && grep -E -B2 -A25 'not ok|FAIL|ERROR' "$logs/$dir.test.log" | head -150
done

# the software authenticator's self-checks use no server, build or database: once is enough
note "API test tools (software authenticator)"
node --test --test-timeout=120000 --test-reporter=tap tests/api/softauthn.test.mjs >"$logs/softauthn.tap" 2>&1
grep -E '^not ok|^# (pass|fail)' "$logs/softauthn.tap"
count_tap "$logs/softauthn.tap"
api_files=$(ls tests/api/*.test.mjs | grep -v '/softauthn.test.mjs$')

for dir in build build-san; do
  for db in sqlite postgres; do
    note "API tests ($dir, $db)"
    log="$logs/$dir.api-$db.tap"
    # shellcheck disable=SC2086 # one argument per file
    SYMBOLON_BIN="$root/$dir/symbolon" JOSE_TOOL="$root/$dir/tests/jose_tool" SY_TEST_DB=$db \
      node --test --test-concurrency=2 --test-timeout=300000 --test-reporter=tap $api_files >"$log" 2>&1
    grep -E '^not ok|^# (pass|fail)' "$log"
    count_tap "$log"
  done
done

note "browser tests (Chromium)"
SYMBOLON_BIN="$root/build/symbolon" node --test --test-timeout=600000 --test-reporter=tap tests/browser/ >$logs/browser.tap 2>&1
grep -E '^not ok|^# (pass|fail)' $logs/browser.tap
count_tap $logs/browser.tap

# Real relying parties (openid-client, Apache + mod_auth_openidc) signing in with a passkey.
for db in sqlite postgres; do
  [ "$db" = postgres ] && [ -z "${SY_TEST_PG_URL:-}" ] && continue
  note "relying-party tests ($db)"
  log="$logs/rp-$db.tap"
  SYMBOLON_BIN="$root/build/symbolon" SY_TEST_DB=$db \
    node --test --test-timeout=300000 --test-reporter=tap tests/rp/ >"$log" 2>&1
  grep -E '^not ok|^# (pass|fail)' "$log"
  count_tap "$log"
done

note "fuzz corpora"
for t in build-fuzz/fuzz/fuzz_*; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  name=$(basename "$t")
  if "$t" -runs=0 "fuzz/corpus/${name#fuzz_}" >"$logs/$name.log" 2>&1; then
    echo "ok $name"; passed=$((passed + 1))
  else
    echo "FAILED $name"; tail -20 "$logs/$name.log"; failed=$((failed + 1))
  fi
done

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
