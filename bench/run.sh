#!/usr/bin/env bash
# bench/run.sh - throughput, latency and memory of the hot read-only endpoints,
# passkey logins per second, OpenID Connect logins and client_credentials grants per
# second, and the users list with 100,000 users.
#
#   bash bench/run.sh [path-to-symbolon]      (default: build/symbolon; `make bench`)
#
# Starts the server pinned to one CPU, drives it with wrk pinned to another, once
# with LOG_LEVEL=warn (the headline figures) and once with the default info access
# log written to a file, samples its RSS; then, on a fresh server, drives passkey
# logins (login/start + login/finish) with bench/passkey_login.c and compares the
# CPU cost of a login with one ES256 verify + one RS256 sign from `openssl speed`; then
# (section `oidc`) on SQLite and on PostgreSQL, complete authorization-code logins
# (authorize + token + userinfo) and client_credentials grants with bench/oidc_login.c,
# against RSA-2048 signatures/s from `openssl speed`; then (section `users`,
# bench/users_list.sh) loads 100,000 users into SQLite and PostgreSQL and measures
# GET /api/users latency (first page, deep pages, sorting, searches).
# Checks the targets and writes a Markdown summary to bench/results/latest.md. A
# missed target is printed, not an exit status: this is a measurement, not a test.
# See bench/README.md.
#
# Knobs (environment): SECTIONS ("endpoints passkey oidc users"), DURATION (10s), WARMUP (2s),
# CONNECTIONS (64), THREADS (1), SERVER_CPU (0), CLIENT_CPU (1), SETTLE (3: seconds
# idle before an RSS sample), MODES ("warn info"), PASSKEY_CONNECTIONS (16),
# OPENSSL_SECONDS (3); for `oidc`: OIDC_ENGINES ("sqlite postgres"), OIDC_CONNECTIONS (16);
# for `users`: USERS (100000), USERS_ENGINES ("sqlite postgres"),
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
SECTIONS=${SECTIONS:-endpoints passkey oidc users}
PASSKEY_CONNECTIONS=${PASSKEY_CONNECTIONS:-16}
OPENSSL_SECONDS=${OPENSSL_SECONDS:-3}
OIDC_ENGINES_GIVEN=${OIDC_ENGINES:+1}
OIDC_ENGINES=${OIDC_ENGINES:-sqlite postgres}
OIDC_CONNECTIONS=${OIDC_CONNECTIONS:-16}
OIDC_API_KEY=symbolon-bench-static-api-key-0123456789 # STATIC_API_KEY: the generator creates its client with it
HOST=127.0.0.1 # never anything but loopback
ENDPOINTS=(/.well-known/openid-configuration /.well-known/jwks.json /healthz)
NAMES=(discovery jwks healthz)
EXPECT=(200 200 204)
TARGET_RPS=50000        # discovery and JWKS, one server core
TARGET_IDLE_KIB=$((8 * 1024))
TARGET_CC=0.6    # client_credentials grants/s ÷ RSA-2048 signs/s (one signature per grant)
TARGET_LOGIN=0.4 # complete logins/s ÷ (signs/s ÷ 3): an access and an ID token, and the session signed once
RESULTS=$ROOT/bench/results

die() { echo "bench: $*" >&2; exit 2; }

has_section() { [[ " $SECTIONS " == *" $1 "* ]]; }
for s in $SECTIONS; do
	[[ $s == endpoints || $s == passkey || $s == oidc || $s == users ]] || die "unknown section '$s' in SECTIONS"
done
[[ -x $BIN ]] || die "no executable at $BIN (build first: make build, or meson compile -C build)"
for t in wrk taskset curl; do command -v "$t" >/dev/null || die "$t is not installed"; done
if has_section passkey || has_section oidc; then
	for t in cc pkg-config openssl; do command -v "$t" >/dev/null || die "$t is not installed (passkey and oidc sections)"; done
fi
if has_section oidc; then
	for e in $OIDC_ENGINES; do [[ $e == sqlite || $e == postgres ]] || die "unknown engine '$e' in OIDC_ENGINES"; done
	if [[ " $OIDC_ENGINES " == *" postgres "* ]] && ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
		# asked for: an error; by default: measure SQLite only, and say so
		[[ -z $OIDC_ENGINES_GIVEN ]] || die "PostgreSQL's server binaries are not installed (postgresql-15)"
		echo "bench: WARNING: PostgreSQL is not installed (postgresql-15): the oidc section measures SQLite only" >&2
		OIDC_ENGINES=sqlite
	fi
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
PGDIR= # the oidc section's throw-away PostgreSQL, while it runs
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
	[[ -z $PGDIR ]] || bash "$ROOT/tests/pg.sh" stop "$PGDIR" || true
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

start_server() { # start_server MODE [VAR=VALUE...] -> SERVER_PID, PORT, DIR
	local mode=$1
	DIR=$TMP/$mode
	mkdir -p "$DIR"
	PORT=$(free_port)
	local -a envs=(PATH="$PATH" HOME="$DIR" ENCRYPTION_KEY=symbolon-bench-encryption-key PORT="$PORT"
		HOST="$HOST" APP_URL="http://localhost:$PORT" APP_ENV=production
		# every request comes from 127.0.0.1: the per-IP limits (/api/*, /.well-known/*, login/finish)
		# would answer 429 after a few hundred requests, and we would measure the refusal
		DISABLE_RATE_LIMITING=true)
	[[ $mode == warn || $mode == passkey || $mode == oidc-* ]] && envs+=(LOG_LEVEL=warn)
	envs+=("${@:2}")
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
	cc -O2 -std=c11 -Wall -Wextra -o "$gen" "$ROOT/bench/passkey_login.c" "$ROOT/bench/loadgen.c" \
		$(pkg-config --cflags --libs openssl) -pthread || die "cannot compile bench/passkey_login.c"
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

# ---------------------------------------------------------------- OpenID Connect
# run_oidc: for each engine of OIDC_ENGINES, a fresh server (and for PostgreSQL a throw-away
# cluster pinned to the server's CPU), complete logins then client_credentials grants driven by
# bench/oidc_login.c, then RSA-2048 signatures/s on the same core. Fills O[ENGINE,MODE,KEY] from
# the generator's RESULT lines, O[ENGINE,rsa_sign] and the derived bounds and ratios.
declare -A O
run_oidc() {
	local gen=$TMP/oidc_login engine
	# shellcheck disable=SC2046 # pkg-config's flags are words
	cc -O2 -std=c17 -Wall -Wextra -o "$gen" "$ROOT/bench/oidc_login.c" "$ROOT/bench/loadgen.c" \
		$(pkg-config --cflags --libs openssl) -pthread || die "cannot compile bench/oidc_login.c"
	O[busy_before]=$(machine_busy)
	O[load]=$(cut -d' ' -f1-3 /proc/loadavg)
	for engine in $OIDC_ENGINES; do run_oidc_engine "$gen" "$engine"; done
}

run_oidc_engine() {
	local gen=$1 engine=$2 db_pid='' mode kv
	local -a envs=(STATIC_API_KEY="$OIDC_API_KEY") watch
	if [[ $engine == postgres ]]; then
		PGDIR=$(mktemp -d /dev/shm/symbolon-oidc-pg.XXXXXX 2>/dev/null || mktemp -d)
		local pgurl
		# the postmaster and every backend inherit the server's CPU: the whole server side on one core
		pgurl=$(taskset -c "$SERVER_CPU" bash "$ROOT/tests/pg.sh" start "$PGDIR") || die "cannot start PostgreSQL"
		db_pid=$(head -n 1 "$PGDIR/data/postmaster.pid")
		envs+=(DB_CONNECTION_STRING="$pgurl")
	fi
	start_server "oidc-$engine" "${envs[@]}"
	local url=http://$HOST:$PORT
	echo "== OIDC on $engine: server pid $SERVER_PID on CPU $SERVER_CPU, port $PORT${db_pid:+, postmaster $db_pid}" >&2
	taskset -c "$CLIENT_CPU" "$gen" -S -s "$DIR/oidc.state" -K "$OIDC_API_KEY" "$url" \
		2>"$RESULTS/raw/oidc-$engine-setup.txt" ||
		{ cat "$RESULTS/raw/oidc-$engine-setup.txt" >&2; die "could not prepare the OIDC client (see above)"; }
	watch=(-P "$SERVER_PID" -B "$SERVER_CPU")
	[[ -z $db_pid ]] || watch+=(-D "$db_pid")
	for mode in login cc; do
		local out=$RESULTS/raw/oidc-$engine-$mode.txt err=$RESULTS/raw/oidc-$engine-$mode-errors.txt rc=0
		local -a kvs cmd=("$gen" -m "$mode" -c "$OIDC_CONNECTIONS" -d "$(seconds "$DURATION")"
			-w "$(seconds "$WARMUP")" -s "$DIR/oidc.state" "${watch[@]}" "$url")
		echo "   taskset -c $CLIENT_CPU oidc_login ${cmd[*]:1}" >&2
		in_bg taskset -c "$CLIENT_CPU" "${cmd[@]}" >"$out" 2>"$err" || rc=$?
		# rc 1: it measured, with errors (reported below); 2: it could not measure
		((rc <= 1)) || { cat "$out" "$err" >&2; die "the OIDC load generator failed"; }
		read -r -a kvs < <(awk '$1 == "RESULT" { $1 = ""; print }' "$out")
		for kv in "${kvs[@]}"; do O[$engine,$mode,${kv%%=*}]=${kv#*=}; done
		[[ -n ${O[$engine,$mode,rate]:-} ]] || { cat "$out" >&2; die "no RESULT line from the OIDC load generator"; }
		echo "      $mode: ${O[$engine,$mode,rate]}/s, ${O[$engine,$mode,us_per_op]} µs server-side CPU each" \
			"(PostgreSQL ${O[$engine,$mode,db_us_per_op]}), p50 ${O[$engine,$mode,p50_ms]} ms," \
			"p99 ${O[$engine,$mode,p99_ms]} ms, ${O[$engine,$mode,errors]} errors," \
			"others ${O[$engine,$mode,others]}% of CPU $SERVER_CPU" >&2
	done
	stop_server
	if [[ -n $PGDIR ]]; then bash "$ROOT/tests/pg.sh" stop "$PGDIR"; PGDIR=; fi

	# what the tokens cannot avoid, on the same core with the server stopped: RSA-2048 signatures
	local speed=$RESULTS/raw/oidc-$engine-openssl-speed.txt
	echo "   taskset -c $SERVER_CPU openssl speed -seconds $OPENSSL_SECONDS rsa2048" >&2
	in_bg taskset -c "$SERVER_CPU" openssl speed -seconds "$OPENSSL_SECONDS" rsa2048 >"$speed" 2>/dev/null ||
		die "openssl speed failed"
	O[$engine,rsa_sign]=$(awk '/^rsa 2048 bits/ { print $(NF - 1) }' "$speed")
	[[ -n ${O[$engine,rsa_sign]} ]] || die "cannot parse openssl speed's output ($speed)"
	local sign=${O[$engine,rsa_sign]}
	# per operation: the bound (a core doing nothing but its signatures), measured ÷ bound, and the
	# same from the CPU time alone (what a core spent only on this would do: steadier on a shared VM)
	O[$engine,cc,bound]=$(awk -v s="$sign" 'BEGIN { printf "%.0f", s }')
	O[$engine,login,bound]=$(awk -v s="$sign" 'BEGIN { printf "%.0f", s / 3 }')
	O[$engine,cc,target]=$(awk -v s="$sign" -v t="$TARGET_CC" 'BEGIN { printf "%.0f", s * t }')
	O[$engine,login,target]=$(awk -v s="$sign" -v t="$TARGET_LOGIN" 'BEGIN { printf "%.0f", s / 3 * t }')
	for mode in login cc; do
		O[$engine,$mode,ratio]=$(awk -v r="${O[$engine,$mode,rate]}" -v b="${O[$engine,$mode,bound]}" \
			'BEGIN { printf "%.2f", r / b }')
		O[$engine,$mode,cpu_rate]=$(awk -v u="${O[$engine,$mode,us_per_op]}" 'BEGIN { if (u > 0) printf "%.0f", 1e6 / u; else print 0 }')
		O[$engine,$mode,cpu_ratio]=$(awk -v r="${O[$engine,$mode,cpu_rate]}" -v b="${O[$engine,$mode,bound]}" \
			'BEGIN { printf "%.2f", r / b }')
	done
	echo "      RSA-2048 sign $sign/s: client_credentials ${O[$engine,cc,ratio]} × signs/s (target $TARGET_CC)," \
		"logins ${O[$engine,login,ratio]} × signs/s ÷ 3 (target $TARGET_LOGIN)" >&2
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
has_section oidc && run_oidc
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
	has_section oidc && report_oidc
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
	has_section oidc && targets_oidc
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
	echo "cc -O2 -o passkey_login bench/passkey_login.c bench/loadgen.c \$(pkg-config --cflags --libs openssl) -pthread"
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

oidc_op_label() { if [[ $1 == cc ]]; then echo "client_credentials grants"; else echo "complete logins"; fi; }

report_oidc() {
	echo
	echo "## OpenID Connect, RS256 (server and its database on 1 core, keep-alive, $OIDC_CONNECTIONS connections)"
	echo
	echo '```'
	echo "cd \$(mktemp -d) && taskset -c $SERVER_CPU env -i ENCRYPTION_KEY=... PORT=\$PORT HOST=$HOST \\"
	echo "    APP_URL=http://localhost:\$PORT APP_ENV=production LOG_LEVEL=warn DISABLE_RATE_LIMITING=true \\"
	echo "    STATIC_API_KEY=... [DB_CONNECTION_STRING=postgres://...] $BIN"
	echo "cc -O2 -o oidc_login bench/oidc_login.c bench/loadgen.c \$(pkg-config --cflags --libs openssl) -pthread"
	echo "taskset -c $CLIENT_CPU oidc_login -S -s state -K \$STATIC_API_KEY http://$HOST:\$PORT   # setup, client, secret"
	echo "taskset -c $CLIENT_CPU oidc_login -m login -c $OIDC_CONNECTIONS -d $(seconds "$DURATION") -w $(seconds "$WARMUP") -s state -P \$SERVER_PID -B $SERVER_CPU [-D \$POSTMASTER_PID] http://$HOST:\$PORT"
	echo "taskset -c $CLIENT_CPU oidc_login -m cc    -c $OIDC_CONNECTIONS -d $(seconds "$DURATION") -w $(seconds "$WARMUP") -s state -P \$SERVER_PID -B $SERVER_CPU [-D \$POSTMASTER_PID] http://$HOST:\$PORT"
	echo "taskset -c $SERVER_CPU openssl speed -seconds $OPENSSL_SECONDS rsa2048    # server stopped"
	echo '```'
	echo
	echo "A login is GET /authorize (signed in, consent skipped, PKCE S256) → 302 with a code, POST /api/oidc/token"
	echo "(authorization_code, client_secret_basic, code_verifier) → 200 with access and ID tokens, GET /api/oidc/userinfo"
	echo "→ 200 with the user's sub. A grant is POST /api/oidc/token with grant_type=client_credentials. Server CPU"
	echo "includes PostgreSQL's processes (postmaster and backends, pinned to the server's core)."
	echo
	echo "| engine | operation | per s | p50 ms | p90 ms | p99 ms | errors (warm-up) | server CPU µs each | of which PostgreSQL | server side busy | others on CPU $SERVER_CPU | generator CPU | RSA-2048 sign/s | bound/s | per s ÷ bound | CPU-only ÷ bound |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	local engine mode noisy=0 errs=0
	for engine in $OIDC_ENGINES; do
		for mode in login cc; do
			local k=$engine,$mode
			echo "| $engine | $(oidc_op_label "$mode") | ${O[$k,rate]} | ${O[$k,p50_ms]} | ${O[$k,p90_ms]} | ${O[$k,p99_ms]} | ${O[$k,errors]} (${O[$k,warmup_errors]}) | ${O[$k,us_per_op]} | ${O[$k,db_us_per_op]} | ${O[$k,server_busy]}% | ${O[$k,others]}% | ${O[$k,client_busy]}% | ${O[$engine,rsa_sign]} | ${O[$k,bound]} | **${O[$k,ratio]}** | ${O[$k,cpu_ratio]} |"
			((O[$k,others] <= 10)) || noisy=1
			errs=$((errs + O[$k,errors] + O[$k,warmup_errors]))
		done
	done
	echo
	echo "Bound: what a core doing nothing but the signatures would do, from \`openssl speed\` on CPU $SERVER_CPU right after"
	echo "that engine's runs ($(openssl version | awk '{ print $1, $2 }')): RSA-2048 signs/s for a grant (one access token),"
	echo "signs/s ÷ 3 for a login (an access token and an ID token, and its share of signing the session)."
	echo "CPU-only: 10⁶ ÷ server CPU µs each, what a core spent only on this would do, ÷ the bound; it barely"
	echo "moves when other processes take the core, where per s does."
	echo "Machine busy before the section: ${O[busy_before]}%; load average (1, 5, 15 min): ${O[load]}."
	if ((errs > 0)); then
		echo
		echo "**Errors: $errs.** Failed logins and grants are not counted; see bench/results/raw/oidc-*.txt and"
		echo "oidc-*-errors.txt. The throughput of a row with errors is not a valid figure."
	fi
	if ((noisy || O[busy_before] > 10)); then
		echo
		echo "**Warning: unreliable run.** Other processes took more than 10% of the server's core during at least"
		echo "one run (or the machine was busy before it); per s is then below what the core could do. Re-run on an"
		echo "otherwise idle machine, or compare the CPU-only column."
	fi
}

targets_oidc() {
	local engine ok
	for engine in $OIDC_ENGINES; do
		ok=$(awk -v r="${O[$engine,cc,rate]}" -v t="${O[$engine,cc,target]}" -v e="${O[$engine,cc,errors]}" \
			'BEGIN { print (r >= t && e == 0) ? 1 : 0 }')
		echo "- $(pass "$ok"): $engine, client_credentials grants ≥ $TARGET_CC × RSA-2048 signs/s on one core" \
			"(${O[$engine,cc,target]}/s of ${O[$engine,rsa_sign]}, with no errors): ${O[$engine,cc,rate]}/s," \
			"${O[$engine,cc,ratio]} ×, ${O[$engine,cc,errors]} errors (CPU-only ${O[$engine,cc,cpu_ratio]} ×)"
		ok=$(awk -v r="${O[$engine,login,rate]}" -v t="${O[$engine,login,target]}" -v e="${O[$engine,login,errors]}" \
			'BEGIN { print (r >= t && e == 0) ? 1 : 0 }')
		echo "- $(pass "$ok"): $engine, complete logins ≥ $TARGET_LOGIN × (RSA-2048 signs/s ÷ 3) on one core" \
			"(${O[$engine,login,target]}/s of ${O[$engine,login,bound]}, with no errors): ${O[$engine,login,rate]}/s," \
			"${O[$engine,login,ratio]} ×, ${O[$engine,login,errors]} errors (CPU-only ${O[$engine,login,cpu_ratio]} ×)"
	done
}

report >"$RESULTS/latest.md"
echo
cat "$RESULTS/latest.md"
