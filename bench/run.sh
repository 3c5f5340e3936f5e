#!/usr/bin/env bash
# bench/run.sh - throughput, latency and memory of the hot read-only endpoints.
#
#   bash bench/run.sh [path-to-symbolon]      (default: build/symbolon; `make bench`)
#
# Starts the server pinned to one CPU, drives it with wrk pinned to another, once
# with LOG_LEVEL=warn (the headline figures) and once with the default info access
# log written to a file, samples its RSS, checks the targets and writes a Markdown
# summary to bench/results/latest.md. A missed target is printed, not an exit
# status: this is a measurement, not a test. See bench/README.md.
#
# Knobs (environment): DURATION (10s), WARMUP (2s), CONNECTIONS (64), THREADS (1),
# SERVER_CPU (0), CLIENT_CPU (1), SETTLE (3: seconds idle before an RSS sample),
# MODES ("warn info").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-build/symbolon}
[[ $BIN = /* ]] || BIN=$ROOT/$BIN
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
SETTLE=${SETTLE:-3}
MODES=${MODES:-warn info}
HOST=127.0.0.1 # never anything but loopback
ENDPOINTS=(/.well-known/openid-configuration /.well-known/jwks.json /healthz)
NAMES=(discovery jwks healthz)
EXPECT=(200 200 204)
TARGET_RPS=50000        # discovery and JWKS, one server core
TARGET_IDLE_KIB=$((8 * 1024))
RESULTS=$ROOT/bench/results

die() { echo "bench: $*" >&2; exit 2; }

[[ -x $BIN ]] || die "no executable at $BIN (build first: make build, or meson compile -C build)"
for t in wrk taskset curl; do command -v "$t" >/dev/null || die "$t is not installed"; done
NCPU=$(nproc)
if ((NCPU < 2)); then
	echo "bench: WARNING: only $NCPU CPU; server and wrk share it, the figures are not comparable" >&2
	SERVER_CPU=0 CLIENT_CPU=0
fi

# ---------------------------------------------------------------- state, cleanup
TMP=$(mktemp -d /tmp/symbolon-bench.XXXXXX)
SERVER_PID=
SAMPLER_PID=
CHILD_PID=
# run a command in the background and wait for it: a signal's trap then runs at
# once instead of after a 10 s wrk run
in_bg() {
	"$@" &
	CHILD_PID=$!
	local rc=0
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=
	return "$rc"
}
stop_server() {
	local pid=$SERVER_PID
	SERVER_PID=
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
stop_sampler() {
	local pid=$SAMPLER_PID
	SAMPLER_PID=
	[[ -n $pid ]] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	[[ -z $CHILD_PID ]] || kill "$CHILD_PID" 2>/dev/null || true
	stop_sampler
	stop_server
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers
free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		if ! (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then echo "$p"; return; fi
	done
	die "no free port found on $HOST"
}

# status_kib PID FIELD: a VmRSS/VmHWM-style field of /proc/PID/status, in KiB
status_kib() {
	local k v _
	while read -r k v _; do
		[[ $k == "$2:" ]] && { echo "$v"; return; }
	done <"/proc/$1/status"
	echo 0
}

# cpu_ticks PID: utime+stime of the whole process (all threads), in clock ticks
cpu_ticks() {
	local s
	s=$(<"/proc/$1/stat")
	s=${s##*) } # drop "pid (comm) "; the fields from 3 on remain
	local -a f
	read -r -a f <<<"$s"
	echo $((f[11] + f[12])) # fields 14 and 15: utime, stime
}

# snap_cpu FILE: "pid ticks comm" of every process, to see who else used the CPUs
# during a run (other jobs on a shared machine make the figures unreliable)
snap_cpu() {
	local f line rest comm
	local -a x
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		comm=${line#*(}
		comm=${comm%)*}
		rest=${line##*) }
		read -r -a x <<<"$rest"
		echo "${line%% *} $((x[11] + x[12])) ${comm// /_}"
	done >"$1"
}

# others_cpu BEFORE AFTER SECONDS EXCLUDE-PIDS...: "<% of one core> <top process>"
others_cpu() {
	local before=$1 after=$2 secs=$3
	shift 3
	awk -v hz="$(getconf CLK_TCK)" -v secs="$secs" -v ex=" $* " '
		NR == FNR { t[$1] = $2; next }
		index(ex, " " $1 " ") == 0 {
			d = $2 - ($1 in t ? t[$1] : 0)
			if (d > 0) { sum += d; if (d > best) { best = d; who = $3 } }
		}
		END { printf "%.0f %s\n", 100 * sum / hz / secs, (who == "" ? "-" : who "(" sprintf("%.0f", 100 * best / hz / secs) "%)") }
	' "$before" "$after"
}

# sampler PID OUT: every 100 ms, the largest VmRSS seen so far (KiB) into OUT.
# Pure bash builtins, no fork per sample; it runs on the client CPU.
sampler() {
	local pid=$1 out=$2 max=0 v k _ tick
	exec {tick}<> <(:) # a pipe that never has data: `read -t` on it is a fork-free sleep
	while [[ -r /proc/$pid/status ]]; do
		v=0
		while read -r k v _; do [[ $k == VmRSS: ]] && break; done <"/proc/$pid/status" 2>/dev/null || break
		if ((v > max)); then max=$v; echo "$max" >"$out"; fi
		read -r -t 0.1 -u "$tick" _ || true
	done
}

start_server() { # start_server MODE -> SERVER_PID, PORT, DIR
	local mode=$1
	DIR=$TMP/$mode
	mkdir -p "$DIR"
	PORT=$(free_port)
	local -a envs=(PATH="$PATH" HOME="$DIR" ENCRYPTION_KEY=symbolon-bench-encryption-key PORT="$PORT"
		HOST="$HOST" APP_URL="http://localhost:$PORT" APP_ENV=production)
	[[ $mode == warn ]] && envs+=(LOG_LEVEL=warn)
	# env -i: nothing from the caller's environment (DB_CONNECTION_STRING, ...) leaks in
	(cd "$DIR" && exec taskset -c "$SERVER_CPU" env -i "${envs[@]}" "$BIN" >"$DIR/server.log" 2>&1) &
	SERVER_PID=$!
	local i ready=0
	for i in $(seq 150); do
		if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$HOST:$PORT/healthz" || true) == 204 ]]; then
			ready=1
			break
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DIR/server.log" >&2; die "the server exited during start-up"; }
		sleep 0.1
	done
	((ready)) || { cat "$DIR/server.log" >&2; die "the server did not answer /healthz within 15 s"; }
	# the server process itself (taskset and env exec into it)
	[[ $(readlink "/proc/$SERVER_PID/exe") == "$(readlink -f "$BIN")" ]] ||
		die "pid $SERVER_PID is not $BIN"
}

to_ms() { # wrk latency ("812.00us", "1.23ms", "1.01s") -> milliseconds
	awk -v x="$1" 'BEGIN {
		u = x; sub(/^[0-9.]+/, "", u); v = x + 0
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
		printf "%.3f", v }'
}

kib_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

WRK=(wrk -t"$THREADS" -c"$CONNECTIONS" --latency)

# ---------------------------------------------------------------- one mode
# run_mode MODE: fills R[MODE,ENDPOINT,{rps,p50,p75,p90,p99,err,cpu,util,others,top}]
# and M[MODE,{fresh,idle,threads,pss,uss,anon,load,hwm,after,loglines,logbytes}]
declare -A R M
run_mode() {
	local mode=$1 i name url out
	start_server "$mode"
	echo "== mode $mode: server pid $SERVER_PID on CPU $SERVER_CPU, port $PORT" >&2
	for i in "${!ENDPOINTS[@]}"; do
		local code
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$HOST:$PORT${ENDPOINTS[i]}")
		[[ $code == "${EXPECT[i]}" ]] || die "${ENDPOINTS[i]} answered $code, expected ${EXPECT[i]}"
	done
	sleep "$SETTLE"
	M[$mode,fresh]=$(status_kib "$SERVER_PID" VmRSS)

	for i in "${!ENDPOINTS[@]}"; do # warm-up: every endpoint, result discarded
		in_bg taskset -c "$CLIENT_CPU" "${WRK[@]}" -d"$WARMUP" "http://$HOST:$PORT${ENDPOINTS[i]}" >/dev/null
	done
	sleep "$SETTLE"
	M[$mode,idle]=$(status_kib "$SERVER_PID" VmRSS)
	M[$mode,threads]=$(status_kib "$SERVER_PID" Threads)
	M[$mode,pss]=$(awk '/^Pss:/ { print $2 }' "/proc/$SERVER_PID/smaps_rollup")
	M[$mode,uss]=$(awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' "/proc/$SERVER_PID/smaps_rollup")
	M[$mode,anon]=$(awk '/^Anonymous:/ { print $2 }' "/proc/$SERVER_PID/smaps_rollup")
	# idle RSS by mapping (file name, or [heap]/[stack]/[anon]), largest first
	awk '/^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "" ? "[anon]" : $6) }
		/^Rss:/ { rss[name] += $2 } /^Anonymous:/ { anon[name] += $2 }
		END { for (n in rss) if (rss[n] > 0) printf "%d %d %s\n", rss[n], anon[n], n }' \
		"/proc/$SERVER_PID/smaps" | sort -rn >"$TMP/$mode.maps"

	local peak=$TMP/$mode.peak
	echo 0 >"$peak"
	taskset -c "$CLIENT_CPU" bash -c "$(declare -f sampler); sampler $SERVER_PID $peak" &
	SAMPLER_PID=$!
	for i in "${!ENDPOINTS[@]}"; do
		name=${NAMES[i]}
		url=http://$HOST:$PORT${ENDPOINTS[i]}
		out=$RESULTS/raw/$mode-$name.txt
		echo "   $name: ${WRK[*]} -d$DURATION $url" >&2
		local c0 c1 t0 t1 o
		snap_cpu "$TMP/cpu0"
		c0=$(cpu_ticks "$SERVER_PID")
		t0=$(date +%s.%N)
		in_bg taskset -c "$CLIENT_CPU" "${WRK[@]}" -d"$DURATION" "$url" >"$out"
		t1=$(date +%s.%N)
		c1=$(cpu_ticks "$SERVER_PID")
		snap_cpu "$TMP/cpu1"
		o=$(others_cpu "$TMP/cpu0" "$TMP/cpu1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
			"$SERVER_PID" "$SAMPLER_PID" "$$" "$BASHPID")
		R[$mode,$name,others]=${o%% *}
		R[$mode,$name,top]=${o#* }
		local rps reqs non2xx sockerr
		rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
		reqs=$(awk '/requests in/ { print $1 }' "$out")
		non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
		sockerr=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
		R[$mode,$name,rps]=${rps:-0}
		for p in 50 75 90 99; do
			R[$mode,$name,p$p]=$(to_ms "$(awk -v p="$p%" '$1 == p { print $2 }' "$out")")
		done
		R[$mode,$name,err]=$((${non2xx:-0} + ${sockerr:-0}))
		# server CPU per request (µs) and the share of its core it used
		R[$mode,$name,cpu]=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="${reqs:-0}" \
			'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "-" }')
		R[$mode,$name,util]=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v a="$t0" -v b="$t1" \
			'BEGIN { printf "%.0f", 100 * t / hz / (b - a) }')
		echo "      ${R[$mode,$name,rps]} req/s, p50 ${R[$mode,$name,p50]} ms, p99 ${R[$mode,$name,p99]} ms" >&2
	done
	stop_sampler
	M[$mode,load]=$(<"$peak")
	M[$mode,hwm]=$(status_kib "$SERVER_PID" VmHWM)
	sleep "$SETTLE"
	M[$mode,after]=$(status_kib "$SERVER_PID" VmRSS)
	if [[ $mode != warn ]]; then
		M[$mode,loglines]=$(wc -l <"$DIR/server.log")
		M[$mode,logbytes]=$(stat -c %s "$DIR/server.log")
	fi
	head -n 20 "$DIR/server.log" >"$RESULTS/raw/$mode-server.log" # the access log is large: its start only
	stop_server
}

# ---------------------------------------------------------------- run
mkdir -p "$RESULTS/raw"
rm -f "$RESULTS"/raw/*.txt "$RESULTS"/raw/*.log # raw output of this run only
# Is the machine otherwise idle? (1 s of /proc/stat; other jobs make throughput unreliable)
machine_busy() {
	local a b
	read -r -a a < <(grep '^cpu ' /proc/stat)
	sleep 1
	read -r -a b < <(grep '^cpu ' /proc/stat)
	local busy=$(((b[1] + b[2] + b[3] + b[6] + b[7] + b[8]) - (a[1] + a[2] + a[3] + a[6] + a[7] + a[8])))
	local idle=$(((b[4] + b[5]) - (a[4] + a[5])))
	echo $((100 * busy / (busy + idle > 0 ? busy + idle : 1)))
}
BUSY_BEFORE=$(machine_busy)
if ((BUSY_BEFORE > 10)); then
	echo "bench: WARNING: the machine is already ${BUSY_BEFORE}% busy (of all CPUs) before the benchmark;" \
		"throughput will be unreliable" >&2
fi
STARTED=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
for mode in $MODES; do run_mode "$mode"; done

# ---------------------------------------------------------------- report
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $COMMIT != unknown ]] && ! git -C "$ROOT" diff --quiet HEAD -- src meson.build 2>/dev/null; then
	COMMIT="$COMMIT (with uncommitted changes in src/ or meson.build)"
fi
STALE=
if [[ -d $ROOT/src && -n $(find "$ROOT/src" "$ROOT/meson.build" -newer "$BIN" -print -quit 2>/dev/null) ]]; then
	STALE=" (**older than files in src/**: rebuild to measure the current tree)"
fi
BUILD_TYPE=
if [[ -r $(dirname "$BIN")/meson-info/intro-buildoptions.json ]] && command -v python3 >/dev/null; then
	BUILD_TYPE=$(python3 -c 'import json, sys
o = {x["name"]: x["value"] for x in json.load(open(sys.argv[1]))}
print(" (Meson buildtype=%s, optimization=%s, b_sanitize=%s)" % (o.get("buildtype"), o.get("optimization"), o.get("b_sanitize")))' \
		"$(dirname "$BIN")/meson-info/intro-buildoptions.json" 2>/dev/null || true)
fi
WRK_VERSION=$( (wrk --version 2>&1 || true) | awk 'NR == 1 { print $1, $2 }')
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
pass() { if [[ $1 == 1 ]]; then echo PASS; else echo FAIL; fi; }
mode_label() { [[ $1 == warn ]] && echo "LOG_LEVEL=warn" || echo "access log on (info → file)"; }

report() {
	echo "# Symbolon benchmark"
	echo
	echo "- Date: $STARTED"
	echo "- Commit: $COMMIT"
	echo "- Binary: \`$BIN\`$BUILD_TYPE, built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')$STALE"
	echo "- Machine: $NCPU CPUs, $CPU_MODEL, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
	echo "- Load generator: $WRK_VERSION"
	echo "- Machine busy before the run (all CPUs, 1 s): ${BUSY_BEFORE}%"
	echo
	echo "## Commands"
	echo
	echo '```'
	echo "cd \$(mktemp -d) && taskset -c $SERVER_CPU env -i ENCRYPTION_KEY=... PORT=\$PORT HOST=$HOST \\"
	echo "    APP_URL=http://localhost:\$PORT APP_ENV=production [LOG_LEVEL=warn] $BIN 2>server.log"
	echo "taskset -c $CLIENT_CPU ${WRK[*]} -d$WARMUP http://$HOST:\$PORT<endpoint>    # warm-up, each endpoint"
	echo "taskset -c $CLIENT_CPU ${WRK[*]} -d$DURATION http://$HOST:\$PORT<endpoint>   # measured"
	echo '```'
	echo
	echo "## Throughput and latency (server on 1 core, keep-alive, $CONNECTIONS connections)"
	echo
	echo "| mode | endpoint | req/s | p50 ms | p75 ms | p90 ms | p99 ms | errors | server CPU µs/req | server core busy | other processes' CPU |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	local mode name
	for mode in $MODES; do
		for name in "${NAMES[@]}"; do
			echo "| $(mode_label "$mode") | $name | ${R[$mode,$name,rps]} | ${R[$mode,$name,p50]} | ${R[$mode,$name,p75]} | ${R[$mode,$name,p90]} | ${R[$mode,$name,p99]} | ${R[$mode,$name,err]} | ${R[$mode,$name,cpu]} | ${R[$mode,$name,util]}% | ${R[$mode,$name,others]}% ${R[$mode,$name,top]} |"
		done
	done
	local noisy=0 idle_rows=
	for mode in $MODES; do
		for name in "${NAMES[@]}"; do
			local oth=${R[$mode,$name,others]} busy=${R[$mode,$name,util]}
			if ((oth > 10)); then
				noisy=1
			elif ((busy < 90)); then
				idle_rows+="${idle_rows:+, }$(mode_label "$mode") $name"
			fi
		done
	done
	if ((noisy || BUSY_BEFORE > 10)); then
		echo
		echo "**Warning: unreliable run.** Other processes used more than 10% of a core during at least one"
		echo "run (or the machine was busy before it started). Re-run on an otherwise idle machine before"
		echo "comparing these throughput figures."
	fi
	if [[ -n $idle_rows ]]; then
		echo
		echo "Note: the server's core was less than 90% busy, with the machine otherwise quiet, in: $idle_rows."
		echo "The server was waiting rather than computing there (blocking I/O, a lock) or wrk was the limit."
	fi
	echo
	echo "## Memory (VmRSS of the server, MiB)"
	echo
	echo "| mode | threads | idle after start-up | idle after warm-up | max under load (100 ms samples) | VmHWM at end | idle after load |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for mode in $MODES; do
		echo "| $(mode_label "$mode") | ${M[$mode,threads]} | $(kib_mib "${M[$mode,fresh]}") | $(kib_mib "${M[$mode,idle]}") | $(kib_mib "${M[$mode,load]}") | $(kib_mib "${M[$mode,hwm]}") | $(kib_mib "${M[$mode,after]}") |"
	done
	local hm0
	hm0=$(echo "$MODES" | awk '{ print $1 }')
	echo
	echo "VmRSS counts every resident page mapped, shared library code included. At idle after warm-up"
	echo "($(mode_label "$hm0")): anonymous $(kib_mib "${M[$hm0,anon]}") MiB, private to the process (USS)"
	echo "$(kib_mib "${M[$hm0,uss]}") MiB, proportional share (PSS) $(kib_mib "${M[$hm0,pss]}") MiB. Largest mappings:"
	echo
	echo "| mapping | RSS KiB | of which anonymous (relocated data, heap) KiB |"
	echo "|---|---:|---:|"
	head -n 12 "$TMP/$hm0.maps" | while read -r rss anon name; do echo "| \`${name##*/}\` | $rss | $anon |"; done
	awk 'NR > 12 { r += $1; a += $2; n++ } END { if (n) printf "| %d more | %d | %d |\n", n, r, a }' "$TMP/$hm0.maps"
	for mode in $MODES; do
		[[ $mode == warn ]] && continue
		echo
		local kib=${M[$mode,logbytes]}
		echo "Access log in mode $mode: ${M[$mode,loglines]} lines, $(kib_mib $((kib / 1024))) MiB written to a file on $(df -T "$TMP" | awk 'NR == 2 { print $2 }')."
	done
	echo
	echo "## Targets"
	echo
	local hm
	hm=$(echo "$MODES" | awk '{ print $1 }') # the headline mode: warn unless MODES says otherwise
	for name in discovery jwks; do
		local v=${R[$hm,$name,rps]}
		echo "- $(pass $((v >= TARGET_RPS))): $name ≥ $TARGET_RPS req/s on one core ($(mode_label "$hm")): $v"
		for mode in $MODES; do
			[[ $mode == "$hm" ]] && continue
			local w=${R[$mode,$name,rps]}
			echo "  - with $(mode_label "$mode"), for information: $w req/s ($(pass $((w >= TARGET_RPS))))"
		done
	done
	local idle=${M[$hm,idle]}
	echo "- $(pass $((idle <= TARGET_IDLE_KIB))): idle RSS ≤ 8 MiB (after warm-up, $(mode_label "$hm")): $(kib_mib "$idle") MiB ($(kib_mib "${M[$hm,fresh]}") MiB right after start-up)"
	echo
	echo "Raw wrk output: bench/results/raw/. Figures vary by about ±10% from run to run on a shared VM; see bench/README.md."
}

report >"$RESULTS/latest.md"
echo
cat "$RESULTS/latest.md"
