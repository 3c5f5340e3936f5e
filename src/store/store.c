/* store.c - dispatch to the backend, the per-thread connection, and kv access. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum sy_err store_open(const char *conn, struct store **out, char *err, size_t errlen)
{
	if (strncmp(conn, "postgres://", 11) == 0 || strncmp(conn, "postgresql://", 13) == 0)
		return store_pg_open(conn, out, err, errlen);
	return store_sqlite_open(conn, out, err, errlen);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

enum store_kind store_kind(const struct store *s)
{
	return s->kind;
}

const char *store_kind_name(enum store_kind k)
{
	return k == STORE_POSTGRES ? "postgres" : "sqlite";
}

const char *store_errmsg(struct store *s)
{
	return s->ops->errmsg(s);
}

enum sy_err store_exec(struct store *s, const char *sql)
{
	return s->ops->exec(s, sql);
}

enum sy_err store_prepare(struct store *s, const char *sql, struct store_stmt **out)
{
	return s->ops->prepare(s, sql, out);
}

void store_bind_text(struct store_stmt *st, int i, const char *v)
{
	st->store->ops->bind_text(st, i, v);
}

void store_bind_int(struct store_stmt *st, int i, int64_t v)
{
	st->store->ops->bind_int(st, i, v);
}

void store_bind_null(struct store_stmt *st, int i)
{
	st->store->ops->bind_null(st, i);
}

void store_bind_blob(struct store_stmt *st, int i, const uint8_t *v, size_t n)
{
	st->store->ops->bind_blob(st, i, v, n);
}

enum sy_err store_step(struct store_stmt *st, bool *row)
{
	return st->store->ops->step(st, row);
}

const char *store_col_text(struct store_stmt *st, int i)
{
	return st->store->ops->col_text(st, i);
}

int64_t store_col_int(struct store_stmt *st, int i)
{
	return st->store->ops->col_int(st, i);
}

bool store_col_null(struct store_stmt *st, int i)
{
	return st->store->ops->col_null(st, i);
}

bool store_col_bool(struct store_stmt *st, int i)
{
	const char *t = store_col_text(st, i);
	return t && (t[0] == 't' || t[0] == '1');
}

char *store_col_strdup(struct store_stmt *st, int i, struct arena *a)
{
	return store_col_null(st, i) ? NULL : arena_strdup(a, store_col_text(st, i));
}

const uint8_t *store_col_blob(struct store_stmt *st, int i, struct arena *a, size_t *n)
{
	*n = 0;
	if (store_col_null(st, i))
		return NULL;
	return st->store->ops->col_blob(st, i, a, n);
}

void store_queue(struct store_stmt *st)
{
	if (st->store->ops->queue)
		st->store->ops->queue(st);
}

void store_finalize(struct store_stmt *st)
{
	if (st)
		st->store->ops->finalize(st);
}

enum sy_err store_run(struct store *s, const char *sql, const char *const *args, size_t nargs, bool *row)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, sql, &st);
	if (e)
		return e;
	for (size_t i = 0; i < nargs; i++)
		store_bind_text(st, (int)i + 1, args[i]);
	bool ignored;
	e = store_step(st, row ? row : &ignored);
	store_finalize(st);
	return e;
}

/* A statement without parameters or rows, through prepare so that SQLite's
 * statement cache spares parsing it at every transaction. */
static enum sy_err run(struct store *s, const char *sql)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, sql, &st);
	if (e)
		return e;
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	return e;
}

enum sy_err store_begin(struct store *s)
{
	if (s->kind != STORE_SQLITE)
		return run(s, "BEGIN");
	store_sqlite_write_lock(true);
	enum sy_err e = run(s, "BEGIN IMMEDIATE");
	if (e)
		store_sqlite_write_lock(false);
	return e;
}

enum sy_err store_commit(struct store *s)
{
	enum sy_err e = s->ops->commit ? s->ops->commit(s) : run(s, "COMMIT");
	/* a failed COMMIT leaves the transaction open for the caller's rollback */
	if (s->kind == STORE_SQLITE && !e)
		store_sqlite_write_lock(false);
	return e;
}

void store_rollback(struct store *s)
{
	if (store_exec(s, "ROLLBACK"))
		log_warn("rollback failed: %s", store_errmsg(s));
	if (s->kind == STORE_SQLITE)
		store_sqlite_write_lock(false);
}

/* --- one connection per thread ---------------------------------------------- */

static char *thread_conn;
static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

/* Pool threads end when the daemon stops; their connections close with them. */
static void thread_destroy(void *p)
{
	store_close(p);
}

static void thread_key_make(void)
{
	if (pthread_key_create(&thread_key, thread_destroy) != 0)
		abort();
}

void store_thread_setup(const char *conn)
{
	pthread_once(&thread_once, thread_key_make);
	free(thread_conn);
	thread_conn = sy_strdup(conn);
}

struct store *store_thread(void)
{
	struct store *s = pthread_getspecific(thread_key);
	if (s)
		return s;
	char err[512];
	if (store_open(thread_conn, &s, err, sizeof err)) {
		log_error("%s", err);
		return NULL;
	}
	pthread_setspecific(thread_key, s);
	return s;
}

void store_thread_close(void)
{
	store_close(pthread_getspecific(thread_key));
	pthread_setspecific(thread_key, NULL);
}

/* --- kv ----------------------------------------------------------------------- */

enum sy_err store_kv_get(struct store *s, struct arena *a, const char *key, char **value)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "SELECT value FROM kv WHERE key = ?", &st);
	if (e)
		return e;
	store_bind_text(st, 1, key);
	bool row;
	e = store_step(st, &row);
	if (!e && !row)
		e = SY_E_NOTFOUND;
	if (!e && !(*value = arena_strdup(a, store_col_null(st, 0) ? "" : store_col_text(st, 0))))
		e = SY_E_TOOBIG;
	store_finalize(st);
	return e;
}

enum sy_err store_kv_add(struct store *s, const char *key, const char *value)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "INSERT INTO kv (key, value) VALUES (?, ?)", &st);
	if (e)
		return e;
	store_bind_text(st, 1, key);
	store_bind_text(st, 2, value);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	return e;
}
