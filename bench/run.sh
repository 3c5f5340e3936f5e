#!/usr/bin/env bash
# bench/run.sh - throughput, latency and memory of the hot read-only endpoints,
# passkey logins per second, and the users list with 100,000 users.
#
#   bash bench/run.sh [path-to-symbolon]      (default: build/symbolon; `make bench`)
#
# Starts the server pinned to one CPU, drives it with wrk pinned to another, once
# with LOG_LEVEL=warn (the headline figures) and once with the default info access
# log written to a file, samples its RSS; then, on a fresh server, drives passkey
# logins (login/start + login/finish) with bench/passkey_login.c and compares the
# CPU cost of a login with one ES256 verify + one RS256 sign from `openssl speed`; then
# (section `users`, bench/users_list.sh) loads 100,000 users into SQLite and PostgreSQL and
# measures GET /api/users latency (first page, deep pages, sorting, searches).
# Checks the targets and writes a Markdown summary to bench/results/latest.md. A
# missed target is printed, not an exit status: this is a measurement, not a test.
# See bench/README.md.
#
# Knobs (environment): SECTIONS ("endpoints passkey users"), DURATION (10s), WARMUP (2s),
# CONNECTIONS (64), THREADS (1), SERVER_CPU (0), CLIENT_CPU (1), SETTLE (3: seconds
# idle before an RSS sample), MODES ("warn info"), PASSKEY_CONNECTIONS (16),
# OPENSSL_SECONDS (3); for `users`: USERS (100000), USERS_ENGINES ("sqlite postgres"),
# USERS_CONNECTIONS ("1 8").
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
SECTIONS=${SECTIONS:-endpoints passkey users}
PASSKEY_CONNECTIONS=${PASSKEY_CONNECTIONS:-16}
OPENSSL_SECONDS=${OPENSSL_SECONDS:-3}
HOST=127.0.0.1 # never anything but loopback
ENDPOINTS=(/.well-known/openid-configuration /.well-known/jwks.json /healthz)
NAMES=(discovery jwks healthz)
EXPECT=(200 200 204)
TARGET_RPS=50000        # discovery and JWKS, one server core
TARGET_IDLE_KIB=$((8 * 1024))
RESULTS=$ROOT/bench/results

die() { echo "bench: $*" >&2; exit 2; }

has_section() { [[ " $SECTIONS " == *" $1 "* ]]; }
for s in $SECTIONS; do [[ $s == endpoints || $s == passkey || $s == users ]] || die "unknown section '$s' in SECTIONS"; done
[[ -x $BIN ]] || die "no executable at $BIN (build first: make build, or meson compile -C build)"
for t in wrk taskset curl; do command -v "$t" >/dev/null || die "$t is not installed"; done
if has_section passkey; then
	for t in cc pkg-config openssl; do command -v "$t" >/dev/null || die "$t is not installed (passkey section)"; done
fi
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
		HOST="$HOST" APP_URL="http://localhost:$PORT" APP_ENV=production
		# every request comes from 127.0.0.1: the per-IP limits (/api/*, /.well-known/*, login/finish)
		# would answer 429 after a few hundred requests, and we would measure the refusal
		DISABLE_RATE_LIMITING=true)
	[[ $mode == warn || $mode == passkey ]] && envs+=(LOG_LEVEL=warn)
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

# ---------------------------------------------------------------- passkey logins
# seconds DURATION: wrk-style "10s", "2m" or a bare number -> seconds
seconds() {
	case $1 in
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}

# run_passkey: fills P[...] (from the generator's RESULT line, plus others, top,
# busy_before, load, ecdsa_verify, rsa_sign). A fresh server and database: the
# generator registers its passkey through first-user setup.
declare -A P
run_passkey() {
	local gen=$TMP/passkey_login out=$RESULTS/raw/passkey.txt
	# shellcheck disable=SC2046 # pkg-config's flags are words
	cc -O2 -std=c11 -Wall -Wextra -o "$gen" "$ROOT/bench/passkey_login.c" $(pkg-config --cflags --libs openssl) \
		-pthread || die "cannot compile bench/passkey_login.c"
	P[busy_before]=$(machine_busy)
	P[load]=$(cut -d' ' -f1-3 /proc/loadavg)
	start_server passkey
	local url=http://$HOST:$PORT
	echo "== passkey logins: server pid $SERVER_PID on CPU $SERVER_CPU, port $PORT" >&2
	taskset -c "$CLIENT_CPU" "$gen" -R -s "$DIR/passkey.state" "$url" 2>"$RESULTS/raw/passkey-register.txt" ||
		{ cat "$RESULTS/raw/passkey-register.txt" >&2; die "could not register a passkey (see above)"; }
	local -a cmd=("$gen" -c "$PASSKEY_CONNECTIONS" -d "$(seconds "$DURATION")" -w "$(seconds "$WARMUP")"
		-s "$DIR/passkey.state" -P "$SERVER_PID" "$url")
	echo "   taskset -c $CLIENT_CPU passkey_login ${cmd[*]:1}" >&2
	local rc=0 t0 t1 o
	snap_cpu "$TMP/cpu0"
	t0=$(date +%s.%N)
	in_bg taskset -c "$CLIENT_CPU" "${cmd[@]}" >"$out" 2>"$RESULTS/raw/passkey-errors.txt" || rc=$?
	t1=$(date +%s.%N)
	snap_cpu "$TMP/cpu1"
	# rc 1: it measured, with errors (reported below); 2: it could not measure
	((rc <= 1)) || { cat "$out" "$RESULTS/raw/passkey-errors.txt" >&2; die "the passkey load generator failed"; }
	o=$(others_cpu "$TMP/cpu0" "$TMP/cpu1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		"$SERVER_PID" "$$" "$BASHPID")
	P[others]=${o%% *}
	P[top]=${o#* }
	local kv
	local -a kvs
	read -r -a kvs < <(awk '$1 == "RESULT" { $1 = ""; print }' "$out")
	for kv in "${kvs[@]}"; do P[${kv%%=*}]=${kv#*=}; done
	[[ -n ${P[rate]:-} ]] || { cat "$out" >&2; die "no RESULT line from the passkey load generator"; }
	echo "      ${P[rate]} logins/s, ${P[server_us_per_login]} µs server CPU per login, p50 ${P[p50_ms]} ms," \
		"p99 ${P[p99_ms]} ms, ${P[errors]} errors" >&2
	head -n 20 "$DIR/server.log" >"$RESULTS/raw/passkey-server.log"
	stop_server

	# the crypto a login cannot avoid, on the same core: verify the assertion (ES256), sign the JWT (RS256)
	echo "   taskset -c $SERVER_CPU openssl speed -seconds $OPENSSL_SECONDS ecdsap256 rsa2048" >&2
	in_bg taskset -c "$SERVER_CPU" openssl speed -seconds "$OPENSSL_SECONDS" ecdsap256 rsa2048 \
		>"$RESULTS/raw/openssl-speed.txt" 2>/dev/null || die "openssl speed failed"
	P[ecdsa_verify]=$(awk '/^ *256 bits ecdsa \(nistp256\)/ { print $NF }' "$RESULTS/raw/openssl-speed.txt")
	P[rsa_sign]=$(awk '/^rsa 2048 bits/ { print $(NF - 1) }' "$RESULTS/raw/openssl-speed.txt")
	[[ -n ${P[ecdsa_verify]} && -n ${P[rsa_sign]} ]] || die "cannot parse openssl speed's output (raw/openssl-speed.txt)"
	P[openssl_version]=$(openssl version | awk '{ print $1, $2 }')
	# bound: logins/s of a core that does nothing but the two operations
	P[bound_us]=$(awk -v v="${P[ecdsa_verify]}" -v s="${P[rsa_sign]}" 'BEGIN { printf "%.1f", 1e6 / v + 1e6 / s }')
	P[bound]=$(awk -v u="${P[bound_us]}" 'BEGIN { printf "%.0f", 1e6 / u }')
	P[target]=$(awk -v b="${P[bound]}" 'BEGIN { printf "%.0f", b / 2 }')
	P[ratio]=$(awk -v r="${P[rate]}" -v b="${P[bound]}" 'BEGIN { printf "%.2f", r / b }')
	P[cpu_ratio]=$(awk -v c="${P[server_us_per_login]}" -v u="${P[bound_us]}" \
		'BEGIN { if (c > 0) printf "%.2f", u / c; else print "-" }')
	P[cpu_x]=$(awk -v c="${P[server_us_per_login]}" -v u="${P[bound_us]}" 'BEGIN { printf "%.1f", c / u }')
	echo "      bound ${P[bound]} logins/s (${P[bound_us]} µs: ES256 verify ${P[ecdsa_verify]}/s," \
		"RS256 sign ${P[rsa_sign]}/s); measured/bound ${P[ratio]}" >&2
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
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if has_section endpoints; then
	for mode in $MODES; do run_mode "$mode"; done
fi
has_section passkey && run_passkey
if has_section users; then
	# its own script (also usable alone): a Markdown section on stdout, progress on stderr
	in_bg env USERS="${USERS:-100000}" ENGINES="${USERS_ENGINES:-}" CONNECTIONS="${USERS_CONNECTIONS:-1 8}" \
		DURATION="$DURATION" WARMUP="$WARMUP" SERVER_CPU="$SERVER_CPU" CLIENT_CPU="$CLIENT_CPU" \
		bash "$ROOT/bench/users_list.sh" "$BIN" >"$TMP/users.md" || die "the users-list benchmark failed (see above)"
fi

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
	echo "- Machine busy before the run (all CPUs, 1 s): ${BUSY_BEFORE}%; load average (1, 5, 15 min): $LOAD_BEFORE"
	has_section endpoints && report_endpoints
	has_section passkey && report_passkey
	if has_section users; then
		echo
		# without its target lines and the blank lines they leave at the end
		grep -v -E '^- (PASS|FAIL):' "$TMP/users.md" | awk 'NF { for (; n > 0; n--) print ""; print; next } { n++ }'
	fi
	echo
	echo "## Targets"
	echo
	has_section endpoints && targets_endpoints
	has_section passkey && targets_passkey
	has_section users && grep -E '^- (PASS|FAIL):' "$TMP/users.md"
	echo
	echo "Raw output: bench/results/raw/. Figures vary by about ±10% from run to run on a shared VM; see bench/README.md."
}

report_endpoints() {
	echo
	echo "## Commands"
	echo
	echo '```'
	echo "cd \$(mktemp -d) && taskset -c $SERVER_CPU env -i ENCRYPTION_KEY=... PORT=\$PORT HOST=$HOST \\"
	echo "    APP_URL=http://localhost:\$PORT APP_ENV=production DISABLE_RATE_LIMITING=true [LOG_LEVEL=warn] $BIN 2>server.log"
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
}

targets_endpoints() {
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
}

targets_passkey() {
	local ok
	ok=$(awk -v r="${P[rate]}" -v t="${P[target]}" -v e="${P[errors]}" 'BEGIN { print (r >= t && e == 0) ? 1 : 0 }')
	echo "- $(pass "$ok"): passkey logins ≥ half the crypto bound on one core (${P[target]} logins/s of ${P[bound]}," \
		"with no errors): ${P[rate]} logins/s, ${P[ratio]} × the bound, ${P[errors]} errors"
}

report_passkey() {
	echo
	echo "## Passkey logins (server on 1 core, keep-alive, $PASSKEY_CONNECTIONS connections)"
	echo
	echo '```'
	echo "cd \$(mktemp -d) && taskset -c $SERVER_CPU env -i ENCRYPTION_KEY=... PORT=\$PORT HOST=$HOST \\"
	echo "    APP_URL=http://localhost:\$PORT APP_ENV=production LOG_LEVEL=warn DISABLE_RATE_LIMITING=true $BIN"
	echo "cc -O2 -o passkey_login bench/passkey_login.c \$(pkg-config --cflags --libs openssl) -pthread"
	echo "taskset -c $CLIENT_CPU passkey_login -R -s state http://$HOST:\$PORT    # first-user setup + one passkey"
	echo "taskset -c $CLIENT_CPU passkey_login -c $PASSKEY_CONNECTIONS -d $(seconds "$DURATION") -w $(seconds "$WARMUP") -s state -P \$SERVER_PID http://$HOST:\$PORT"
	echo "taskset -c $SERVER_CPU openssl speed -seconds $OPENSSL_SECONDS ecdsap256 rsa2048    # server stopped"
	echo '```'
	echo
	echo "A login is GET /api/webauthn/login/start then POST /api/webauthn/login/finish with an ES256 assertion"
	echo "signed by the generator's software authenticator; it counts when finish answers 200 with an access_token."
	echo
	echo "| logins/s | p50 ms | p90 ms | p99 ms | errors (warm-up) | server CPU µs/login | server core busy | generator CPU | other processes' CPU | machine busy before | load average |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"
	echo "| ${P[rate]} | ${P[p50_ms]} | ${P[p90_ms]} | ${P[p99_ms]} | ${P[errors]} (${P[warmup_errors]}) | ${P[server_us_per_login]} | ${P[server_busy]}% | ${P[client_busy]}% | ${P[others]}% ${P[top]} | ${P[busy_before]}% | ${P[load]} |"
	echo
	echo "Crypto bound on CPU $SERVER_CPU (${P[openssl_version]}, \`openssl speed -seconds $OPENSSL_SECONDS ecdsap256 rsa2048\`):"
	echo "ES256 verify ${P[ecdsa_verify]}/s, RS256 (RSA-2048) sign ${P[rsa_sign]}/s, so one of each costs ${P[bound_us]} µs:"
	echo "a bound of **${P[bound]} logins/s** per core; the target is half of it, ${P[target]} logins/s."
	echo
	echo "- Throughput: ${P[rate]} logins/s = **${P[ratio]} × the bound**."
	echo "- CPU cost: ${P[server_us_per_login]} µs of server CPU per login = ${P[cpu_x]} × the ${P[bound_us]} µs of the two operations"
	echo "  (a core spent only on logins would do $(awk -v c="${P[server_us_per_login]}" 'BEGIN { if (c > 0) printf "%.0f", 1e6 / c; else print "-" }') logins/s, ${P[cpu_ratio]} × the bound)."
	if ((P[errors] > 0 || P[warmup_errors] > 0)); then
		echo
		echo "**Errors: ${P[errors]} while measuring, ${P[warmup_errors]} during warm-up.** Failed logins are not counted as"
		echo "logins; see bench/results/raw/passkey.txt and passkey-errors.txt. The throughput is not a valid figure."
	fi
	if ((P[others] > 10 || P[busy_before] > 10)); then
		echo
		echo "**Warning: unreliable run.** Other processes used ${P[others]}% of a core during the run, or the machine"
		echo "was ${P[busy_before]}% busy before it. Re-run on an otherwise idle machine."
	elif ((P[server_busy] < 90)); then
		echo
		echo "Note: the server's core was only ${P[server_busy]}% busy: it waited (I/O such as SQLite's fsync, a lock)"
		echo "or the generator was the limit; logins/s is then below what the core could do."
	fi
}

report >"$RESULTS/latest.md"
echo
cat "$RESULTS/latest.md"
