/*
 * test_store.c - the storage layer on SQLite and, when SY_TEST_PG_URL is set (make
 * test sets it), on PostgreSQL too: the same calls must behave the same way.
 */
#include "test_util.h"

#include <libpq-fe.h>
#include <pthread.h>

#include "admin/admin.h"
#include "auth/auth.h"
#include "store/internal.h"
#include "store/store.h"

struct db {
	char conn[512];
	char dir[64];
	char pgname[64];
};

static char *pg_admin_url(void)
{
	return getenv("SY_TEST_PG_URL");
}

/* A fresh, empty database of the asked kind. */
static void db_new(struct db *d, bool pg)
{
	memset(d, 0, sizeof *d);
	if (!pg) {
		snprintf(d->dir, sizeof d->dir, "/tmp/symbolon-store-XXXXXX");
		assert_non_null(mkdtemp(d->dir));
		snprintf(d->conn, sizeof d->conn, "%s/sub/pocket-id.db", d->dir); /* folder is created */
		return;
	}
	char id[37];
	uuid_v4(id);
	snprintf(d->pgname, sizeof d->pgname, "sy_unit_%.8s", id);
	PGconn *c = PQconnectdb(pg_admin_url());
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	char sql[128];
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", d->pgname);
	PQclear(PQexec(c, sql));
	PQfinish(c);
	/* same URL, other database: replace the path before the query */
	const char *url = pg_admin_url(), *q = strchr(url, '?');
	const char *slash = url + strlen(url);
	while (slash > url && *slash != '/')
		slash--;
	if (q && q < slash)
		fail();
	snprintf(d->conn, sizeof d->conn, "%.*s/%s%s", (int)(slash - url), url, d->pgname, q ? q : "");
}

static void db_drop(struct db *d)
{
	if (d->pgname[0]) {
		PGconn *c = PQconnectdb(pg_admin_url());
		char sql[128];
		snprintf(sql, sizeof sql, "DROP DATABASE %s", d->pgname);
		PQclear(PQexec(c, sql));
		PQfinish(c);
	} else {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", d->dir);
		assert_int_equal(system(cmd), 0);
	}
}

static struct store *open_migrated(struct db *d)
{
	struct store *s;
	char err[512];
	if (store_open(d->conn, &s, err, sizeof err))
		fail_msg("%s", err);
	if (store_migrate(s, false, err, sizeof err))
		fail_msg("%s", err);
	return s;
}

static void each_dialect(void (*fn)(struct store *s, struct db *d))
{
	for (int pg = 0; pg <= 1; pg++) {
		if (pg && !pg_admin_url()) {
			print_message("# SY_TEST_PG_URL unset: PostgreSQL half not run\n"); /* a TAP comment */
			continue;
		}
		struct db d;
		db_new(&d, pg);
		struct store *s = open_migrated(&d);
		assert_int_equal(store_kind(s), pg ? STORE_POSTGRES : STORE_SQLITE);
		fn(s, &d);
		store_close(s);
		db_drop(&d);
	}
}

static void kv_roundtrip(struct store *s, struct db *d)
{
	(void)d;
	struct arena a;
	arena_init(&a, 0);
	char *v;
	assert_int_equal(store_kv_get(s, &a, "instance_id", &v), SY_E_NOTFOUND);
	assert_int_equal(store_kv_add(s, "instance_id", "abc"), SY_OK);
	assert_int_equal(store_kv_get(s, &a, "instance_id", &v), SY_OK);
	assert_string_equal(v, "abc");
	assert_int_equal(store_kv_add(s, "instance_id", "other"), SY_E_CONFLICT);
	assert_int_equal(store_kv_get(s, &a, "instance_id", &v), SY_OK);
	assert_string_equal(v, "abc");
	/* a question mark inside a literal is not a placeholder, and odd text survives */
	assert_int_equal(store_kv_add(s, "what?", "it's \"quoted\" ? and ünïcödé"), SY_OK);
	struct store_stmt *st;
	assert_int_equal(store_prepare(s, "SELECT value FROM kv WHERE key = 'what?' AND key = ?", &st), SY_OK);
	store_bind_text(st, 1, "what?");
	bool row;
	assert_int_equal(store_step(st, &row), SY_OK);
	assert_true(row);
	assert_string_equal(store_col_text(st, 0), "it's \"quoted\" ? and ünïcödé");
	assert_int_equal(store_step(st, &row), SY_OK);
	assert_false(row);
	store_finalize(st);
	arena_release(&a);
}

static void migrations_are_versioned(struct store *s, struct db *d)
{
	int v = store_schema_version(s);
	assert_true(v >= 1);
	char err[512];
	assert_int_equal(store_migrate(s, false, err, sizeof err), SY_OK); /* again: nothing to do */
	assert_int_equal(store_schema_version(s), v);
	/* a second connection sees the same schema */
	struct store *s2;
	assert_int_equal(store_open(d->conn, &s2, err, sizeof err), SY_OK);
	assert_int_equal(store_migrate(s2, false, err, sizeof err), SY_OK);
	assert_int_equal(store_schema_version(s2), v);
	store_close(s2);
	/* a schema from a newer Symbolon is refused, unless allowed */
	assert_int_equal(
	        store_exec(s, "INSERT INTO symbolon_migrations (version, name, applied_at) VALUES (999, 'future', 0)"),
	        SY_OK);
	assert_int_equal(store_migrate(s, false, err, sizeof err), SY_E_CONFIG);
	assert_non_null(strstr(err, "ALLOW_DOWNGRADE"));
	assert_int_equal(store_migrate(s, true, err, sizeof err), SY_OK);
}

static void transactions_roll_back(struct store *s, struct db *d)
{
	(void)d;
	struct arena a;
	arena_init(&a, 0);
	char *v;
	assert_int_equal(store_begin(s), SY_OK);
	assert_int_equal(store_kv_add(s, "temp", "1"), SY_OK);
	store_rollback(s);
	assert_int_equal(store_kv_get(s, &a, "temp", &v), SY_E_NOTFOUND);
	assert_int_equal(store_begin(s), SY_OK);
	assert_int_equal(store_kv_add(s, "kept", "1"), SY_OK);
	assert_int_equal(store_commit(s), SY_OK);
	assert_int_equal(store_kv_get(s, &a, "kept", &v), SY_OK);
	arena_release(&a);
}

static void integers_and_nulls(struct store *s, struct db *d)
{
	(void)d;
	assert_int_equal(store_exec(s, "CREATE TABLE t (id INTEGER PRIMARY KEY, n BIGINT, s TEXT)"), SY_OK);
	struct store_stmt *st;
	bool row;
	assert_int_equal(store_prepare(s, "INSERT INTO t (id, n, s) VALUES (?, ?, ?)", &st), SY_OK);
	store_bind_int(st, 1, 1);
	store_bind_int(st, 2, 9007199254740993LL); /* 2^53 + 1: no float on the way */
	store_bind_null(st, 3);
	assert_int_equal(store_step(st, &row), SY_OK);
	store_finalize(st);
	assert_int_equal(store_prepare(s, "SELECT n, s FROM t WHERE id = ?", &st), SY_OK);
	store_bind_int(st, 1, 1);
	assert_int_equal(store_step(st, &row), SY_OK);
	assert_true(row);
	assert_true(store_col_int(st, 0) == 9007199254740993LL);
	assert_true(store_col_null(st, 1));
	assert_false(store_col_null(st, 0));
	store_finalize(st);
	/* an error is reported: by SQLite at prepare, by PostgreSQL when the statement runs */
	enum sy_err e = store_prepare(s, "SELECT nope FROM missing", &st);
	if (e == SY_OK) {
		e = store_step(st, &row);
		store_finalize(st);
	}
	assert_int_equal(e, SY_E_STORE);
}

/* Bytes of every value survive BLOB/BYTEA both ways, and are found by equality
 * (passkeys are looked up by credential id). */
static void blobs_booleans_and_times(struct store *s, struct db *d)
{
	(void)d;
	struct arena a;
	arena_init(&a, 0);
	uint8_t all[256];
	for (size_t i = 0; i < sizeof all; i++)
		all[i] = (uint8_t)i;
	struct store_stmt *st;
	bool row;
	/* the real tables of migration 0002: their column types are the ones that matter */
	assert_int_equal(store_exec(s, "INSERT INTO users (id, username, first_name, last_name, display_name) "
	                               "VALUES ('u1', 'ann', 'Ann', '', 'Ann')"),
	                 SY_OK);
	assert_int_equal(
	        store_prepare(s,
	                      "INSERT INTO webauthn_credentials (id, created_at, name, credential_id, public_key, "
	                      "attestation_type, user_id, backup_eligible) VALUES ('c1', ts(?), 'k', ?, ?, "
	                      "'none', 'u1', ?)",
	                      &st),
	        SY_OK);
	store_bind_int(st, 1, 1700000000);
	store_bind_blob(st, 2, all, sizeof all);
	store_bind_blob(st, 3, all, 0);
	store_bind_int(st, 4, 1);
	assert_int_equal(store_step(st, &row), SY_OK);
	store_finalize(st);
	assert_int_equal(
	        store_prepare(s,
	                      "SELECT credential_id, public_key, backup_eligible, backup_state, epoch(created_at) "
	                      "FROM webauthn_credentials WHERE credential_id = ? AND created_at < ts(?)",
	                      &st),
	        SY_OK);
	store_bind_blob(st, 1, all, sizeof all);
	store_bind_int(st, 2, 1700000001);
	assert_int_equal(store_step(st, &row), SY_OK);
	assert_true(row);
	size_t n;
	const uint8_t *got = store_col_blob(st, 0, &a, &n);
	assert_int_equal(n, sizeof all);
	assert_memory_equal(got, all, sizeof all);
	assert_non_null(store_col_blob(st, 1, &a, &n));
	assert_int_equal(n, 0);
	assert_true(store_col_bool(st, 2));
	assert_false(store_col_bool(st, 3));
	assert_true(store_col_int(st, 4) == 1700000000);
	store_finalize(st);
	/* one byte different: no match */
	all[255] ^= 1;
	assert_int_equal(store_prepare(s, "SELECT id FROM webauthn_credentials WHERE credential_id = ?", &st), SY_OK);
	store_bind_blob(st, 1, all, sizeof all);
	assert_int_equal(store_step(st, &row), SY_OK);
	assert_false(row);
	store_finalize(st);
	/* usernames are unique without regard to case, on both engines */
	assert_int_equal(store_exec(s, "INSERT INTO users (id, username, first_name, last_name, display_name) "
	                               "VALUES ('u2', 'ANN', 'Ann', '', 'Ann')"),
	                 SY_E_CONFLICT);
	arena_release(&a);
}

static int64_t count(struct store *s, const char *sql)
{
	struct store_stmt *st;
	bool row;
	assert_int_equal(store_prepare(s, sql, &st), SY_OK);
	assert_int_equal(store_step(st, &row), SY_OK);
	int64_t n = store_col_int(st, 0);
	store_finalize(st);
	return n;
}

/* The janitor removes what expired more than its grace period ago, nothing else. */
static void sweep_expired(struct store *s, struct db *d)
{
	(void)d;
	assert_int_equal(store_exec(s, "INSERT INTO users (id, username, first_name, last_name, display_name) "
	                               "VALUES ('u1', 'ann', 'Ann', '', 'Ann')"),
	                 SY_OK);
	static const char *const rows[] = {
	        "INSERT INTO webauthn_sessions (id, created_at, challenge, expires_at, user_verification) "
	        "VALUES ('old', ts(0), 'a', ts(999), 'required'), ('new', ts(0), 'b', ts(1001), 'required')",
	        "INSERT INTO reauthentication_tokens (id, created_at, token, expires_at, user_id) "
	        "VALUES ('old', ts(0), 'a', ts(999), 'u1'), ('new', ts(0), 'b', ts(1001), 'u1')",
	        "INSERT INTO one_time_access_tokens (id, created_at, token, expires_at, user_id) "
	        "VALUES ('old', ts(0), 'a', ts(999), 'u1'), ('new', ts(0), 'b', ts(1001), 'u1')",
	};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(store_exec(s, rows[i]), SY_OK);
	auth_sweep(s, 1600); /* rows are kept 600 s past their expiry */
	assert_int_equal(count(s, "SELECT count(*) FROM webauthn_sessions WHERE id = 'new'"), 1);
	assert_int_equal(count(s, "SELECT count(*) FROM webauthn_sessions"), 1);
	assert_int_equal(count(s, "SELECT count(*) FROM reauthentication_tokens"), 1);
	assert_int_equal(count(s, "SELECT count(*) FROM one_time_access_tokens WHERE id = 'new'"), 1);
	assert_int_equal(count(s, "SELECT count(*) FROM one_time_access_tokens"), 1);
	/* the audit log keeps what is younger than its retention */
	assert_int_equal(store_exec(s, "INSERT INTO audit_logs (id, created_at, event, user_id) VALUES "
	                               "('old', ts(10), 'SIGN_IN', 'u1'), ('new', ts(2000), 'SIGN_IN', 'u1')"),
	                 SY_OK);
	audit_expire(s, 1000);
	assert_int_equal(count(s, "SELECT count(*) FROM audit_logs WHERE id = 'new'"), 1);
	assert_int_equal(count(s, "SELECT count(*) FROM audit_logs"), 1);
}

static void test_sweep(void **state)
{
	(void)state;
	each_dialect(sweep_expired);
}

/* Statements are cached per connection: the same SQL used twice at once (a
 * nested loop) gets a second statement, and a reused one starts clean. */
static void statement_reuse(struct store *s, struct db *d)
{
	(void)d;
	assert_int_equal(store_exec(s, "CREATE TABLE n (v BIGINT)"), SY_OK);
	for (int i = 0; i < 100; i++) {
		struct store_stmt *st;
		bool row;
		assert_int_equal(store_prepare(s, "INSERT INTO n (v) VALUES (?)", &st), SY_OK);
		if (i % 10)
			store_bind_int(st, 1, i);
		else
			store_bind_null(st, 1);
		assert_int_equal(store_step(st, &row), SY_OK);
		store_finalize(st);
	}
	static const char *sql = "SELECT v FROM n WHERE v IS NOT NULL ORDER BY v";
	struct store_stmt *outer, *inner;
	bool row, irow;
	int64_t pairs = 0, sum = 0;
	assert_int_equal(store_prepare(s, sql, &outer), SY_OK);
	while (!store_step(outer, &row) && row) {
		assert_int_equal(store_prepare(s, sql, &inner), SY_OK);
		while (!store_step(inner, &irow) && irow)
			pairs++;
		store_finalize(inner);
		sum += store_col_int(outer, 0);
	}
	store_finalize(outer);
	assert_int_equal(pairs, 90 * 90);
	assert_int_equal(sum, 4950 - 450); /* 0..99 without the multiples of 10 */
	/* more distinct statements than the cache holds: old ones make room, every one still runs */
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 120; i++) {
			char text[64];
			snprintf(text, sizeof text, "SELECT count(*) + %d FROM n", i);
			assert_int_equal(store_prepare(s, text, &outer), SY_OK);
			assert_int_equal(store_step(outer, &row), SY_OK);
			assert_true(row);
			assert_int_equal(store_col_int(outer, 0), 100 + i);
			store_finalize(outer);
		}
}

static void test_statement_reuse(void **state)
{
	(void)state;
	each_dialect(statement_reuse);
}

static struct store_stmt *queued_select(struct store *s, const char *sql, int64_t arg)
{
	struct store_stmt *st;
	assert_int_equal(store_prepare(s, sql, &st), SY_OK);
	store_bind_int(st, 1, arg);
	store_queue(st);
	return st;
}

static int64_t one_int(struct store_stmt *st)
{
	bool row;
	assert_int_equal(store_step(st, &row), SY_OK);
	assert_true(row);
	int64_t v = store_col_int(st, 0);
	assert_int_equal(store_step(st, &row), SY_OK);
	assert_false(row);
	store_finalize(st);
	return v;
}

/* Queued statements run with the next one stepped (one round trip on
 * PostgreSQL): each still reads its own rows, in any order; one that fails
 * tells its own error and leaves the connection usable; one finalized before
 * that trip never runs; more than a trip holds still all run. */
static void queued_statements(struct store *s, struct db *d)
{
	assert_int_equal(store_exec(s, "CREATE TABLE q (k BIGINT PRIMARY KEY, v BIGINT)"), SY_OK);
	const char *args[] = {"1", "10"};
	assert_int_equal(store_run(s, "INSERT INTO q (k, v) VALUES (?, ?)", args, 2, NULL), SY_OK);
	static const char *get = "SELECT v + ? FROM q WHERE k = 1";
	struct store_stmt *a = queued_select(s, get, 1), *b = queued_select(s, get, 2);
	struct store_stmt *c = queued_select(s, "SELECT count(*) + ? FROM q", 100);
	assert_int_equal(one_int(c), 101);
	assert_int_equal(one_int(a), 11);
	assert_int_equal(one_int(b), 12);

	/* the same text twice, a duplicate key, and a read after it */
	struct store_stmt *w, *dup, *after;
	assert_int_equal(store_prepare(s, "INSERT INTO q (k, v) VALUES (?, 0)", &dup), SY_OK);
	store_bind_int(dup, 1, 1);
	a = queued_select(s, get, 3);
	store_queue(dup);
	after = queued_select(s, get, 4);
	assert_int_equal(one_int(a), 13);
	bool row;
	assert_int_equal(store_step(dup, &row), SY_E_CONFLICT);
	store_finalize(dup);
	/* PostgreSQL does not run what follows a failure in the same trip */
	assert_int_equal(store_step(after, &row), store_kind(s) == STORE_POSTGRES ? SY_E_STORE : SY_OK);
	store_finalize(after);
	assert_int_equal(one_int(queued_select(s, get, 5)), 15);

	/* finalized before its trip: never run */
	assert_int_equal(store_prepare(s, "INSERT INTO q (k, v) VALUES (?, 0)", &w), SY_OK);
	store_bind_int(w, 1, 2);
	store_queue(w);
	store_finalize(w);
	assert_int_equal(one_int(queued_select(s, "SELECT count(*) + ? FROM q", 0)), 1);

	/* more than a round trip holds */
	struct store_stmt *many[20];
	for (int i = 0; i < 20; i++)
		many[i] = queued_select(s, i % 2 ? get : "SELECT ? + 0 FROM q", i);
	for (int i = 19; i >= 0; i--)
		assert_int_equal(one_int(many[i]), i % 2 ? 10 + i : i);

	/* in a transaction: queued writes are part of it */
	assert_int_equal(store_begin(s), SY_OK);
	assert_int_equal(store_prepare(s, "INSERT INTO q (k, v) VALUES (?, 7)", &w), SY_OK);
	store_bind_int(w, 1, 3);
	store_queue(w);
	a = queued_select(s, get, 0);
	assert_int_equal(store_step(w, &row), SY_OK);
	store_finalize(w);
	assert_int_equal(one_int(a), 10);
	store_rollback(s);
	assert_int_equal(one_int(queued_select(s, "SELECT count(*) + ? FROM q", 0)), 1);

	/* a connection the server drops under a queued trip: the trip fails, the next one reconnects */
	if (store_kind(s) == STORE_POSTGRES) {
		char pid[24];
		snprintf(pid, sizeof pid, "%lld",
		         (long long)one_int(queued_select(s, "SELECT pg_backend_pid() + ?", 0)));
		struct store *killer;
		char err[256];
		assert_int_equal(store_open(d->conn, &killer, err, sizeof err), SY_OK);
		const char *target[] = {pid};
		assert_int_equal(store_run(killer, "SELECT pg_terminate_backend(CAST(? AS INTEGER))", target, 1, NULL),
		                 SY_OK);
		store_close(killer);
		a = queued_select(s, get, 1);
		b = queued_select(s, get, 2);
		assert_int_equal(store_step(b, &row), SY_E_STORE);
		assert_int_equal(store_step(a, &row), SY_E_STORE);
		store_finalize(a);
		store_finalize(b);
		a = queued_select(s, get, 3);
		assert_int_equal(one_int(queued_select(s, get, 4)), 14);
		assert_int_equal(one_int(a), 13);
	}
}

static void test_queued_statements(void **state)
{
	(void)state;
	each_dialect(queued_statements);
}

struct writer {
	const char *conn;
	int base;
	enum sy_err e;
};

static const char *key_of(int n)
{
	static __thread char key[16];
	snprintf(key, sizeof key, "k%d", n);
	return key;
}

static void *write_rows(void *arg)
{
	struct writer *w = arg;
	char err[256];
	struct store *s;
	w->e = store_open(w->conn, &s, err, sizeof err);
	for (int i = 0; i < 200 && !w->e; i++) {
		if (i % 2 == 0) { /* a transaction, then a lone statement */
			if ((w->e = store_begin(s)))
				break;
			w->e = store_kv_add(s, key_of(w->base + i), "x");
			if (w->e) {
				store_rollback(s);
				break;
			}
			w->e = store_commit(s);
		} else {
			w->e = store_kv_add(s, key_of(w->base + i), "x");
		}
	}
	store_close(s);
	return NULL;
}

/* Two threads, each with its own SQLite connection, write at once: every
 * write lands, none fails with SQLITE_BUSY or deadlocks (sqlite.c queues the
 * writers on a mutex). */
static void test_concurrent_writers(void **state)
{
	(void)state;
	struct db d;
	db_new(&d, false);
	struct store *s = open_migrated(&d);
	struct writer w[2] = {{d.conn, 0, SY_OK}, {d.conn, 1000, SY_OK}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, write_rows, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w[0].e, SY_OK);
	assert_int_equal(w[1].e, SY_OK);
	assert_int_equal(count(s, "SELECT count(*) FROM kv WHERE value = 'x'"), 400);
	store_close(s);
	db_drop(&d);
}

static int64_t count_of(struct store *s, const char *sql, const char *arg)
{
	struct store_stmt *st;
	bool row;
	assert_int_equal(store_prepare(s, sql, &st), SY_OK);
	if (arg)
		store_bind_text(st, 1, arg);
	assert_int_equal(store_step(st, &row), SY_OK);
	assert_true(row);
	int64_t n = store_col_int(st, 0);
	store_finalize(st);
	return n;
}

#define USER_ROW(id, username, email, first, last)                                                                     \
	"INSERT INTO users (id, username, email, first_name, last_name, display_name) VALUES ('" id "', '" username    \
	"', " email ", '" first "', '" last "', '" first " " last "')"

/* Who the SQLite search index finds for a phrase, as the users list asks it. */
static int64_t sqlite_found(struct store *s, const char *phrase)
{
	return count_of(s,
	                "SELECT count(*) FROM users u WHERE u.id IN (SELECT k.user_id FROM users_search_keys k "
	                "WHERE k.seq IN (SELECT rowid FROM users_search WHERE users_search MATCH ?))",
	                phrase);
}

/* Migration 0005 over a database that already has users (an upgrade): the
 * SQLite search index and the PostgreSQL user count start from them, and
 * follow every insert, update and delete after. */
static void upgrade_to_0005(bool pg)
{
	struct db d;
	db_new(&d, pg);
	struct store *s;
	char err[512];
	if (store_open(d.conn, &s, err, sizeof err))
		fail_msg("%s", err);
	const struct store_migration *m = pg ? store_migrations_postgres : store_migrations_sqlite;
	assert_int_equal(store_exec(s, "CREATE TABLE symbolon_migrations (version INTEGER NOT NULL PRIMARY KEY, "
	                               "name TEXT NOT NULL, applied_at BIGINT NOT NULL)"),
	                 SY_OK);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(store_exec(s, m[i].sql), SY_OK);
		char rec[256];
		snprintf(rec, sizeof rec, "INSERT INTO symbolon_migrations VALUES (%d, '%s', 0)", i + 1, m[i].name);
		assert_int_equal(store_exec(s, rec), SY_OK);
	}
	assert_int_equal(store_exec(s, USER_ROW("a", "alice", "'alice@rivera.example'", "Alice", "Rivera")), SY_OK);
	assert_int_equal(store_exec(s, USER_ROW("b", "bob", "NULL", "Bob", "Ødegård")), SY_OK);
	assert_int_equal(store_exec(s, USER_ROW("c", "carol", "'carol@x.example'", "Carol", "Quinn")), SY_OK);
	if (store_migrate(s, false, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(store_schema_version(s),
	                 (int)(pg ? store_migrations_postgres_count : store_migrations_sqlite_count));
	assert_int_equal(count_of(s, "SELECT n FROM users_count", NULL), 3);
	if (pg) {
		assert_int_equal(store_exec(s, USER_ROW("d", "dave", "NULL", "D", "E") ";" USER_ROW("e", "erin", "NULL",
		                                                                                    "E", "F")),
		                 SY_OK);
		assert_int_equal(store_exec(s,
		                            "INSERT INTO users (id, username, first_name, last_name, display_name) "
		                            "SELECT 'x' || g, 'x' || g, 'X', 'Y', 'X Y' FROM generate_series(1, 5) g"),
		                 SY_OK);
		assert_int_equal(count_of(s, "SELECT n FROM users_count", NULL), 10);
		assert_int_equal(store_exec(s, "DELETE FROM users WHERE id LIKE 'x%' OR id = 'a'"), SY_OK);
		assert_int_equal(count_of(s, "SELECT n FROM users_count", NULL), 4);
		/* a failed statement counts nothing */
		assert_int_not_equal(store_exec(s, USER_ROW("f", "bob", "NULL", "B", "C")), SY_OK);
		assert_int_equal(count_of(s, "SELECT n FROM users_count", NULL),
		                 count_of(s, "SELECT count(*) FROM users", NULL));
	} else {
		assert_int_equal(sqlite_found(s, "\"rivera\""), 1);   /* last name and email of one user */
		assert_int_equal(sqlite_found(s, "\"RIV\""), 1);      /* any case */
		assert_int_equal(sqlite_found(s, "\"ødeg\""), 1);     /* and non-ASCII letters */
		assert_int_equal(sqlite_found(s, "\".example\""), 2); /* NULL email indexed as nothing */
		assert_int_equal(store_exec(s, "UPDATE users SET last_name = 'Moreau' WHERE id = 'a'"), SY_OK);
		assert_int_equal(sqlite_found(s, "\"rivera\""), 1); /* still the email */
		assert_int_equal(sqlite_found(s, "\"moreau\""), 1);
		assert_int_equal(store_exec(s, "UPDATE users SET email = NULL WHERE id = 'a'"), SY_OK);
		assert_int_equal(sqlite_found(s, "\"rivera\""), 0);
		assert_int_equal(store_exec(s, "DELETE FROM users WHERE id = 'b'"), SY_OK);
		assert_int_equal(sqlite_found(s, "\"ødeg\""), 0);
		assert_int_equal(count_of(s, "SELECT count(*) FROM users_search_keys", NULL), 2);
		assert_int_equal(store_exec(s, USER_ROW("g", "gina", "NULL", "Gina", "Rivera")), SY_OK);
		assert_int_equal(sqlite_found(s, "\"rivera\""), 1);
		/* the index still agrees with the table after a VACUUM, which may renumber users' rowids */
		assert_int_equal(store_exec(s, "VACUUM"), SY_OK);
		assert_int_equal(count_of(s,
		                          "SELECT count(*) FROM users u WHERE u.id IN (SELECT k.user_id FROM "
		                          "users_search_keys k WHERE k.seq IN (SELECT rowid FROM users_search WHERE "
		                          "users_search MATCH '\"rivera\"')) AND u.first_name = 'Gina'",
		                          NULL),
		                 1);
		assert_int_equal(store_exec(s, "INSERT INTO users_search (users_search) VALUES ('integrity-check')"),
		                 SY_OK);
		assert_int_equal(count_of(s, "SELECT n FROM users_count", NULL), 3);
		assert_int_equal(store_exec(s, "DELETE FROM users"), SY_OK);
		assert_int_equal(count_of(s, "SELECT n FROM users_count", NULL), 0);
	}
	store_close(s);
	db_drop(&d);
}

static void test_upgrade_0005(void **state)
{
	(void)state;
	upgrade_to_0005(false);
	if (pg_admin_url())
		upgrade_to_0005(true);
}

static void test_kv(void **state)
{
	(void)state;
	each_dialect(kv_roundtrip);
}

static void test_migrations(void **state)
{
	(void)state;
	each_dialect(migrations_are_versioned);
}

static void test_transactions(void **state)
{
	(void)state;
	each_dialect(transactions_roll_back);
}

static void test_types(void **state)
{
	(void)state;
	each_dialect(integers_and_nulls);
}

static void test_blobs(void **state)
{
	(void)state;
	each_dialect(blobs_booleans_and_times);
}

static void test_bad_connection(void **state)
{
	(void)state;
	struct store *s;
	char err[512];
	assert_int_equal(store_open("postgres://nobody@127.0.0.1:1/none?connect_timeout=2", &s, err, sizeof err),
	                 SY_E_STORE);
	assert_non_null(strstr(err, "PostgreSQL"));
	assert_int_equal(store_open("/proc/definitely/not/here.db", &s, err, sizeof err) != SY_OK, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_kv),
	        cmocka_unit_test(test_migrations),
	        cmocka_unit_test(test_transactions),
	        cmocka_unit_test(test_types),
	        cmocka_unit_test(test_blobs),
	        cmocka_unit_test(test_sweep),
	        cmocka_unit_test(test_statement_reuse),
	        cmocka_unit_test(test_queued_statements),
	        cmocka_unit_test(test_concurrent_writers),
	        cmocka_unit_test(test_upgrade_0005),
	        cmocka_unit_test(test_bad_connection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
