#!/usr/bin/env bash
# bench/users_list.sh - latency of GET /api/users with 100,000 users in the database, on
# SQLite and on PostgreSQL: the first page, deep pages, sorting, searches.
#
#   bash bench/users_list.sh [path-to-symbolon]        (default: build/symbolon)
#
# For each engine: start the server once on an empty database (it creates the schema),
# stop it, bulk-load the users (100,000 by default), six groups, ~150,000 memberships and
# 10,000 custom claims straight into the database (sqlite3 CLI; psql \copy), ANALYZE, then
# start the server again pinned to one CPU (PostgreSQL pinned to the same CPU: the whole
# server side on one core, as SQLite is in-process) and drive each query with wrk from the
# other CPU, authenticated by STATIC_API_KEY. Writes a Markdown table to stdout and the
# raw wrk output to bench/results/raw/users-*.txt. Run by bench/run.sh (section `users`);
# see bench/README.md.
#
# Knobs (environment): USERS (100000), ENGINES ("sqlite postgres"), DURATION (10s),
# WARMUP (2s), CONNECTIONS ("1 8": one wrk run per value), SERVER_CPU (0), CLIENT_CPU (1),
# TARGET_P99_MS (20).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-build/symbolon}
[[ $BIN = /* ]] || BIN=$ROOT/$BIN
USERS=${USERS:-100000}
ENGINES_GIVEN=${ENGINES:+1}
ENGINES=${ENGINES:-sqlite postgres}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-1 8}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
TARGET_P99_MS=${TARGET_P99_MS:-20}
HOST=127.0.0.1
KEY=symbolon-bench-static-api-key-0123456789
RAW=$ROOT/bench/results/raw

die() { echo "users_list: $*" >&2; exit 2; }
[[ -x $BIN ]] || die "no executable at $BIN (build first)"
for t in wrk taskset curl awk sqlite3; do command -v "$t" >/dev/null || die "$t is not installed"; done
for e in $ENGINES; do [[ $e == sqlite || $e == postgres ]] || die "unknown engine '$e' in ENGINES"; done
if [[ " $ENGINES " == *" postgres "* ]] && ! { command -v psql && ls -d /usr/lib/postgresql/*/bin; } >/dev/null 2>&1; then
	# asked for: an error; by default: measure SQLite only, and say so
	[[ -z $ENGINES_GIVEN ]] || die "PostgreSQL (psql and the server binaries, postgresql-15) is not installed"
	echo "users_list: WARNING: PostgreSQL is not installed (postgresql-15): SQLite only" >&2
	ENGINES=sqlite
fi
((USERS >= 50000)) || die "USERS must be at least 50000 (the deep pages and searches below assume it)"
(($(nproc) >= 2)) || echo "users_list: WARNING: one CPU only; server and wrk share it" >&2

# name | query (brackets percent-encoded for wrk) | what it exercises
QUERIES=(
	"first page|pagination%5Bpage%5D=1&pagination%5Blimit%5D=20|the admin list as it opens"
	"page 2500 of 20|pagination%5Bpage%5D=2500&pagination%5Blimit%5D=20|deep OFFSET, default order"
	"page 2500 of 20 by username|pagination%5Bpage%5D=2500&pagination%5Blimit%5D=20&sort%5Bcolumn%5D=username&sort%5Bdirection%5D=asc|deep OFFSET on a sorted column"
	"last page of 100 by lastName desc|pagination%5Bpage%5D=$((USERS / 100))&pagination%5Blimit%5D=100&sort%5Bcolumn%5D=lastName&sort%5Bdirection%5D=desc|openZro-size pages, unindexed sort"
	"search=user4242|search=user4242|substring search, 11 matches"
	"search=Rivera|search=Rivera&pagination%5Blimit%5D=20|substring search, $((USERS / 50)) matches (a last name)"
	"filters[disabled]=true|filters%5Bdisabled%5D=true|boolean filter, $((USERS / 100)) matches"
)

TMP=$(mktemp -d /tmp/symbolon-users-bench.XXXXXX)
SERVER_PID=
PGDIR=
CHILD_PID=
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
cleanup() {
	[[ -z $CHILD_PID ]] || kill "$CHILD_PID" 2>/dev/null || true
	stop_server
	[[ -z $PGDIR ]] || bash "$ROOT/tests/pg.sh" stop "$PGDIR" || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		if ! (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then echo "$p"; return; fi
	done
	die "no free port found on $HOST"
}

# start_server DIR [DB_CONNECTION_STRING] -> SERVER_PID, PORT
start_server() {
	local dir=$1 db=${2:-}
	PORT=$(free_port)
	local -a envs=(PATH="$PATH" HOME="$dir" ENCRYPTION_KEY=symbolon-bench-encryption-key PORT="$PORT" HOST="$HOST"
		APP_URL="http://localhost:$PORT" APP_ENV=production DISABLE_RATE_LIMITING=true LOG_LEVEL=warn
		STATIC_API_KEY="$KEY")
	[[ -z $db ]] || envs+=(DB_CONNECTION_STRING="$db")
	(cd "$dir" && exec taskset -c "$SERVER_CPU" env -i "${envs[@]}" "$BIN" >>"$dir/server.log" 2>&1) &
	SERVER_PID=$!
	for _ in $(seq 300); do
		[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$HOST:$PORT/healthz" || true) == 204 ]] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$dir/server.log" >&2; die "the server exited during start-up"; }
		sleep 0.1
	done
	cat "$dir/server.log" >&2
	die "the server did not answer /healthz within 30 s"
}

# The data, as tab-separated rows for a staging table:
#   i, id, username, email, first_name, last_name, display_name, is_admin, disabled, email_verified, created (Unix s), claim id
# user<i>: first names cycle through 20, last names through 50 (so "Rivera" is every 50th user);
# every 100th user is disabled, every 1000th an admin, every 3rd verified.
generate() {
	awk -v n="$USERS" 'BEGIN {
		OFS = "\t"
		nf = split("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen", F, " ")
		nl = split("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts", L, " ")
		for (i = 1; i <= n; i++) {
			f = F[(i % nf) + 1]; l = L[(i % nl) + 1]
			printf "%d\t%08x-0000-4000-8000-%012x\tuser%d\tuser%d@bench.example\t%s\t%s\t%s %s\t%d\t%d\t%d\t%d\t%08x-0000-4000-9000-%012x\n",
				i, i, i, i, i, f, l, f, l, (i % 1000 == 0), (i % 100 == 0), (i % 3 == 0), 1767225600 + i, i, i
		}
	}'
}

STAGING='CREATE TABLE bench_users (i INTEGER, id TEXT, username TEXT, email TEXT, first_name TEXT, last_name TEXT,
	display_name TEXT, is_admin INTEGER, disabled INTEGER, email_verified INTEGER, created BIGINT, claim_id TEXT);'

# load_sql TIME-FUNCTION: the SQL that moves the staging table into Symbolon's tables
# (TIME-FUNCTION turns Unix seconds into the engine's time column value)
load_sql() {
	local t=$1 g=00000000-0000-4000-a000-00000000000
	cat <<-SQL
		INSERT INTO users (id, created_at, updated_at, username, email, first_name, last_name, display_name, is_admin, disabled, email_verified)
		  SELECT id, $t(created), $t(created), username, email, first_name, last_name, display_name, is_admin <> 0, disabled <> 0, email_verified <> 0
		  FROM bench_users;
		INSERT INTO user_groups (id, created_at, friendly_name, name, updated_at) VALUES
		  ('${g}0', $t(1767225600), 'Developers', 'developers', $t(1767225600)),
		  ('${g}1', $t(1767225600), 'Designers', 'designers', $t(1767225600)),
		  ('${g}2', $t(1767225600), 'Operations', 'ops', $t(1767225600)),
		  ('${g}3', $t(1767225600), 'Sales', 'sales', $t(1767225600)),
		  ('${g}4', $t(1767225600), 'Support', 'support', $t(1767225600)),
		  ('${g}9', $t(1767225600), 'Everyone', 'everyone', $t(1767225600));
		INSERT INTO user_groups_users (user_id, user_group_id) SELECT id, '${g}' || (i % 5) FROM bench_users;
		INSERT INTO user_groups_users (user_id, user_group_id) SELECT id, '${g}9' FROM bench_users WHERE i % 2 = 0;
		INSERT INTO custom_claims (id, created_at, key, value, user_id)
		  SELECT claim_id, $t(created), 'department', 'dept-' || (i % 7), id FROM bench_users WHERE i % 10 = 0;
		DROP TABLE bench_users;
		ANALYZE;
	SQL
}

load_sqlite() { # DBFILE TSV
	sqlite3 -batch -bail "$1" <<-SQL
		PRAGMA synchronous = OFF;
		$STAGING
		.mode tabs
		.import $2 bench_users
		BEGIN;
		$(load_sql '')
		COMMIT;
	SQL
	# the server expects an empty WAL after a clean shutdown; checkpoint what the load wrote
	sqlite3 -batch -bail "$1" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
}

load_postgres() { # URL TSV
	psql "$1" -v ON_ERROR_STOP=1 -q <<-SQL
		BEGIN;
		$STAGING
		\copy bench_users FROM '$2'
		$(load_sql to_timestamp)
		COMMIT;
	SQL
	# as autovacuum would have long done on a database that grew to this size: the visibility map
	# makes index-only scans possible (VACUUM cannot run inside the transaction above)
	psql "$1" -v ON_ERROR_STOP=1 -q -c 'VACUUM ANALYZE'
}

# ticks_of PID...: utime+stime of these processes (all threads), in clock ticks
ticks_of() {
	local pid st sum=0
	local -a f
	for pid in "$@"; do
		{ st=$(<"/proc/$pid/stat"); } 2>/dev/null || continue
		read -r -a f <<<"${st##*) }"
		sum=$((sum + f[11] + f[12]))
	done
	echo "$sum"
}

# server_pids: the server, and for PostgreSQL the postmaster and its children (our cluster's only)
server_pids() {
	echo "$SERVER_PID"
	[[ -n $PGDIR && -r $PGDIR/data/postmaster.pid ]] || return 0
	local pm st f
	pm=$(head -n 1 "$PGDIR/data/postmaster.pid")
	echo "$pm"
	for f in /proc/[0-9]*/stat; do
		{ st=$(<"$f"); } 2>/dev/null || continue
		st=${st##*) }
		[[ ${st#* } == "$pm "* ]] && { f=${f#/proc/}; echo "${f%/stat}"; }
	done
}

# cpu_busy N: busy ticks of CPU N so far (user nice system irq softirq steal)
cpu_busy() {
	local -a f
	read -r -a f < <(grep "^cpu$1 " /proc/stat)
	echo $((f[1] + f[2] + f[3] + f[6] + f[7] + f[8]))
}

to_ms() { # wrk latency ("812.00us", "1.23ms", "1.01s") -> milliseconds
	awk -v x="$1" 'BEGIN {
		u = x; sub(/^[0-9.]+/, "", u); v = x + 0
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
		printf "%.2f", v }'
}

# ---------------------------------------------------------------- run
mkdir -p "$RAW"
rm -f "$RAW"/users-*.txt
TSV=$TMP/users.tsv
t0=$(date +%s.%N)
generate >"$TSV"
echo "== generated $USERS users in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >&2

HZ=$(getconf CLK_TCK)
declare -A R LOAD
for engine in $ENGINES; do
	dir=$TMP/$engine
	mkdir -p "$dir"
	db=
	if [[ $engine == postgres ]]; then
		PGDIR=$(mktemp -d /dev/shm/symbolon-users-pg.XXXXXX 2>/dev/null || mktemp -d)
		# the postmaster and every backend inherit the server's CPU
		pgurl=$(taskset -c "$SERVER_CPU" bash "$ROOT/tests/pg.sh" start "$PGDIR") || die "cannot start PostgreSQL"
		psql "$pgurl" -q -c 'CREATE DATABASE bench' || die "cannot create the database"
		db=${pgurl/\/postgres\?/\/bench?}
	fi
	start_server "$dir" "$db" # creates the schema
	stop_server
	t0=$(date +%s.%N)
	if [[ $engine == sqlite ]]; then load_sqlite "$dir/data/pocket-id.db" "$TSV"; else load_postgres "$db" "$TSV"; fi
	LOAD[$engine]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	echo "== $engine: loaded in ${LOAD[$engine]} s" >&2
	start_server "$dir" "$db"
	base=http://$HOST:$PORT/api/users
	total=$(curl -s -H "X-API-KEY: $KEY" "$base?pagination%5Blimit%5D=1" | awk -F'"totalItems":' 'NF > 1 { split($2, a, /[,}]/); print a[1] }')
	[[ $total -ge $USERS ]] || die "$engine: GET /api/users says totalItems=$total, expected at least $USERS (see $dir/server.log)"
	echo "== $engine: server pid $SERVER_PID on CPU $SERVER_CPU, port $PORT, $total users" >&2
	for q in "${QUERIES[@]}"; do
		IFS='|' read -r name query _ <<<"$q"
		url="$base?$query"
		code=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "X-API-KEY: $KEY" "$url")
		[[ $code == 200 ]] || { head -c 300 "$TMP/body" >&2; die "$engine: $name answered $code"; }
		R[$engine,$name,items]=$(awk -F'"totalItems":' 'NF > 1 { split($2, a, /[,}]/); print a[1] }' "$TMP/body")
		R[$engine,$name,bytes]=$(stat -c %s "$TMP/body")
		in_bg taskset -c "$CLIENT_CPU" wrk -t1 -c1 -d"$WARMUP" -H "X-API-KEY: $KEY" "$url" >/dev/null
		for c in $CONNECTIONS; do
			out=$RAW/users-$engine-$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_')-c$c.txt
			mapfile -t pids < <(server_pids)
			s0=$(ticks_of "${pids[@]}") b0=$(cpu_busy "$SERVER_CPU") t0=$(date +%s.%N)
			# --timeout 30s: wrk leaves requests slower than its timeout (2 s by default) out of the latencies
			in_bg taskset -c "$CLIENT_CPU" wrk -t1 -c"$c" -d"$DURATION" --timeout 30s --latency -H "X-API-KEY: $KEY" "$url" >"$out"
			mapfile -t pids < <(server_pids)
			s1=$(ticks_of "${pids[@]}") b1=$(cpu_busy "$SERVER_CPU") t1=$(date +%s.%N)
			# server-side CPU per request (the server, and PostgreSQL's processes), and how much of the
			# server's core other processes took meanwhile (they make the latencies unreliable)
			R[$engine,$name,$c,cpu]=$(awk -v t=$((s1 - s0)) -v hz="$HZ" -v n="$(awk '/requests in/ { print $1 }' "$out")" \
				'BEGIN { if (n > 0) printf "%.1f", t / hz * 1000 / n; else print "-" }')
			R[$engine,$name,$c,others]=$(awk -v b=$((b1 - b0)) -v s=$((s1 - s0)) -v hz="$HZ" -v a="$t0" -v z="$t1" \
				'BEGIN { o = 100 * (b - s) / hz / (z - a); printf "%.0f", o < 0 ? 0 : o }')
			R[$engine,$name,$c,rps]=$(awk '/^Requests\/sec:/ { printf "%.1f", $2 }' "$out")
			R[$engine,$name,$c,n]=$(awk '/requests in/ { print $1 }' "$out")
			for p in 50 99; do
				R[$engine,$name,$c,p$p]=$(to_ms "$(awk -v p="$p%" '$1 == p { print $2 }' "$out")")
				# no request finished within the run: no latency to report, and it fails the target
				((${R[$engine,$name,$c,n]:-0} > 0)) || R[$engine,$name,$c,p$p]=">$DURATION"
			done
			non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
			sockerr=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
			R[$engine,$name,$c,err]=$((${non2xx:-0} + ${sockerr:-0}))
			echo "   $name, $c conn: ${R[$engine,$name,$c,rps]} req/s, p50 ${R[$engine,$name,$c,p50]} ms," \
				"p99 ${R[$engine,$name,$c,p99]} ms, ${R[$engine,$name,$c,cpu]} ms server CPU/req," \
				"others ${R[$engine,$name,$c,others]}% of CPU $SERVER_CPU" >&2
		done
	done
	stop_server
	if [[ -n $PGDIR ]]; then bash "$ROOT/tests/pg.sh" stop "$PGDIR"; PGDIR=; fi
done

# ---------------------------------------------------------------- report
first_c=${CONNECTIONS%% *}
echo "## GET /api/users with $USERS users (server and its database on 1 core, keep-alive)"
echo
loads=
for engine in $ENGINES; do loads+="${loads:+, }${LOAD[$engine]} s into $engine"; done
echo "Data: $USERS users, 6 groups, $((USERS + USERS / 2)) memberships, $((USERS / 10)) custom claims (bulk load: $loads)."
echo "Authentication: \`X-API-KEY\` = \`STATIC_API_KEY\`. Each query: wrk -t1 -c<connections> -d$DURATION --latency"
echo "after $WARMUP of warm-up; raw output in bench/results/raw/users-*.txt."
echo
printf '| engine | query | totalItems | bytes |'
for c in $CONNECTIONS; do printf ' %s conn: requests | req/s | p50 ms | p99 ms | server CPU ms/req | others on CPU %s |' "$c" "$SERVER_CPU"; done
echo ' errors |'
printf '|---|---|---:|---:|'
for _ in $CONNECTIONS; do printf -- '---:|---:|---:|---:|---:|---:|'; done
echo '---:|'
noisy=0
for engine in $ENGINES; do
	for q in "${QUERIES[@]}"; do
		IFS='|' read -r name _ _ <<<"$q"
		printf '| %s | %s | %s | %s |' "$engine" "$name" "${R[$engine,$name,items]}" "${R[$engine,$name,bytes]}"
		errs=0
		for c in $CONNECTIONS; do
			printf ' %s | %s | %s | %s | %s | %s%% |' "${R[$engine,$name,$c,n]}" "${R[$engine,$name,$c,rps]}" "${R[$engine,$name,$c,p50]}" \
				"${R[$engine,$name,$c,p99]}" "${R[$engine,$name,$c,cpu]}" "${R[$engine,$name,$c,others]}"
			((R[$engine,$name,$c,others] <= 10)) || noisy=1
			errs=$((errs + R[$engine,$name,$c,err]))
		done
		echo " $errs |"
	done
done
echo
echo "Server CPU ms/req: CPU time of the server (and of PostgreSQL's processes) per request, the steadiest"
echo "figure on a shared machine. Others on CPU $SERVER_CPU: CPU time other processes took on the server's core"
echo "during the run, in % of it."
if ((noisy)); then
	echo
	echo "**Warning: unreliable run.** Other processes took more than 10% of the server's core during at least"
	echo "one run; its latencies include waiting for them. Re-run on an otherwise idle machine."
fi
echo
for engine in $ENGINES; do
	w=0 wname='' errs=0
	for q in "${QUERIES[@]}"; do
		IFS='|' read -r name _ _ <<<"$q"
		p=${R[$engine,$name,$first_c,p99]}
		[[ $p == ">"* ]] && p=1e12 # unmeasured: slower than the whole run
		if awk -v a="$w" -v b="$p" 'BEGIN { exit !(b > a) }'; then w=$p wname=$name; fi
		errs=$((errs + R[$engine,$name,$first_c,err]))
	done
	ok=$(awk -v w="$w" -v t="$TARGET_P99_MS" -v e="$errs" 'BEGIN { print (w < t && e == 0) ? "PASS" : "FAIL" }')
	if [[ $w == 1e12 ]]; then w="over $DURATION"; else w="$w ms"; fi
	echo "- $ok: $engine, every query p99 < $TARGET_P99_MS ms with $first_c connection(s), no errors: worst p99 $w ($wname), $errs errors"
done
