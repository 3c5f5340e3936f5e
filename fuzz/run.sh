#!/usr/bin/env bash
# `make fuzz`: build the libFuzzer targets (build-fuzz, clang, ASan+UBSan) and run
# each one for FUZZ_SECONDS, then print a summary. Exits non-zero if any target
# crashed, leaked, timed out or failed to start.
#
# Knobs (environment):
#   FUZZ_SECONDS=60        time per target (-max_total_time)
#   FUZZ_TARGETS="jws jwk"  only these targets (names without fuzz_)
#   FUZZ_JOBS=1            targets run at the same time (one core each)
#   FUZZ_TIMEOUT=10        seconds one input may take before it counts as a hang
#   FUZZ_BUILD=build-fuzz  build directory
#   FUZZ_ARGS="..."        extra libFuzzer flags, e.g. "-max_len=65536"
#
# New inputs go to fuzz/out/corpus/<name>/ (git-ignored), never into the
# committed seeds in fuzz/corpus/<name>/; crashes to fuzz/out/<name>-crash-*,
# logs to fuzz/out/<name>.log. See fuzz/README.md for replaying and minimising.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
timeout=${FUZZ_TIMEOUT:-10}
build=${FUZZ_BUILD:-build-fuzz}
out=fuzz/out

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

mkdir -p "$out"
if [ ! -f "$build/build.ninja" ]; then
	echo "setting up $build"
	CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		>"$out/setup.log" 2>&1 || { cat "$out/setup.log"; exit 1; }
fi
meson compile -C "$build" >"$out/compile.log" 2>&1 || { tail -50 "$out/compile.log"; exit 1; }

if [ -n "${FUZZ_TARGETS:-}" ]; then
	targets=$FUZZ_TARGETS
else
	targets=$(for f in fuzz/fuzz_*.c; do n=${f#fuzz/fuzz_}; echo "${n%.c}"; done)
fi

touch "$out/.started" # artifacts newer than this are from this run

run_one() { # name
	local name=$1 bin="$build/fuzz/fuzz_$1" log="$out/$1.log"
	local -a args=(-max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$out/$name-")
	[ -f "fuzz/dict/$name.dict" ] && args+=(-dict="fuzz/dict/$name.dict")
	# shellcheck disable=SC2206
	args+=(${FUZZ_ARGS:-})
	mkdir -p "$out/corpus/$name"
	if [ ! -x "$bin" ]; then
		echo "missing $bin" >"$log"
		echo 127 >"$out/$name.rc"
		return
	fi
	"$bin" "${args[@]}" "$out/corpus/$name" "fuzz/corpus/$name" >"$log" 2>&1
	echo $? >"$out/$name.rc"
}

running=0
for t in $targets; do
	echo "fuzzing $t for ${seconds}s"
	rm -f "$out/$t.rc"
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

failed=0
echo
printf '%-12s %-6s %12s %9s %7s %7s %8s  %s\n' target result execs exec/s cov ft corpus artifacts
for t in $targets; do
	log="$out/$t.log"
	rc=$(cat "$out/$t.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
	arts=$(find "$out" -maxdepth 1 -type f -name "$t-*" -newer "$out/.started" 2>/dev/null | tr '\n' ' ')
	if [ "$rc" = 0 ]; then
		result=ok
	else
		result=FAIL
		failed=$((failed + 1))
	fi
	printf '%-12s %-6s %12s %9s %7s %7s %8s  %s\n' "$t" "$result" "${execs:--}" "${speed:--}" "${cov:--}" \
		"${ft:--}" "${corp:--}" "${arts:--}"
done
if [ "$failed" -gt 0 ]; then
	echo
	for t in $targets; do
		[ "$(cat "$out/$t.rc" 2>/dev/null || echo 1)" = 0 ] && continue
		echo "=== $t (exit $(cat "$out/$t.rc" 2>/dev/null || echo '?')): $out/$t.log"
		grep -E 'ERROR|invariant failed|SUMMARY|Test unit written|^    #[0-9]+ ' "$out/$t.log" | head -25
	done
	echo
	echo "$failed target(s) failed"
	exit 1
fi
echo
echo "all targets ran ${seconds}s without a finding"
