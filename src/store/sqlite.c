/*
 * sqlite.c - the SQLite backend: WAL, synchronous=NORMAL (a committed write
 * survives a killed process; a power loss may lose the last transactions, never
 * corrupt the file), foreign keys on, a 5 s busy timeout for concurrent writers.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* Prepared statements are kept per connection and reused: compiling SQL was
 * a seventh of the server's time in a passkey sign-in (bench/README.md). The
 * SQL texts are string literals, so the cache is small and fixed. */
#define STMT_CACHE 48

struct cached {
	char *sql;
	sqlite3_stmt *st;
	bool busy;
	uint64_t used; /* when it was last handed out, for eviction */
};

struct sq_store {
	struct store base;
	sqlite3 *db;
	struct cached cache[STMT_CACHE];
	uint64_t clock;
};

struct sq_stmt {
	struct store_stmt base;
	sqlite3_stmt *st;
	struct cached *slot; /* NULL: not cached, finalized when done */
	bool writing;        /* holds the write lock for its implicit transaction */
};

/* SQLite lets one connection write at a time; the others get SQLITE_BUSY and
 * their busy handler sleeps (1 ms, then longer) before retrying, leaving the
 * CPU idle while requests wait. Writers in this process queue on a mutex
 * instead: an explicit transaction holds it from store_begin to commit or
 * rollback, a lone write statement for its own implicit transaction. The busy
 * timeout still covers other processes (the CLI). Recursive, so a thread that
 * holds it never waits on itself. */
static pthread_mutex_t write_lock;
static pthread_once_t write_lock_once = PTHREAD_ONCE_INIT;

static void write_lock_init(void)
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&write_lock, &attr);
	pthread_mutexattr_destroy(&attr);
}

void store_sqlite_write_lock(bool take)
{
	pthread_once(&write_lock_once, write_lock_init);
	if (take)
		pthread_mutex_lock(&write_lock);
	else
		pthread_mutex_unlock(&write_lock);
}

static sqlite3 *db_of(struct store *s)
{
	return ((struct sq_store *)s)->db;
}

static sqlite3_stmt *st_of(struct store_stmt *st)
{
	return ((struct sq_stmt *)st)->st;
}

static enum sy_err map(int rc)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return SY_E_CONFLICT;
	return SY_E_STORE;
}

static enum sy_err sq_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(db_of(s), sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? SY_OK : map(sqlite3_extended_errcode(db_of(s)));
}

/* A free cached statement for sql, or the slot to cache it in (NULL: the cache
 * is full, or holds sql busy in an enclosing statement). */
static struct cached *cache_find(struct sq_store *s, const char *sql, bool *hit)
{
	struct cached *empty = NULL, *oldest = NULL;
	*hit = false;
	for (size_t i = 0; i < STMT_CACHE; i++) {
		struct cached *c = &s->cache[i];
		if (!c->sql) {
			if (!empty)
				empty = c;
		} else if (strcmp(c->sql, sql) == 0) {
			*hit = !c->busy;
			return c->busy ? NULL : c;
		} else if (!c->busy && (!oldest || c->used < oldest->used)) {
			oldest = c;
		}
	}
	if (empty || !oldest)
		return empty;
	/* full: the least recently used statement makes room (lists build many
	 * one-off ORDER BY and filter variants, which must not pin the cache) */
	sqlite3_finalize(oldest->st);
	free(oldest->sql);
	oldest->sql = NULL;
	oldest->st = NULL;
	return oldest;
}

static enum sy_err sq_prepare(struct store *base, const char *sql, struct store_stmt **out)
{
	struct sq_store *s = (struct sq_store *)base;
	bool hit;
	struct cached *slot = cache_find(s, sql, &hit);
	sqlite3_stmt *st;
	if (hit) {
		st = slot->st;
	} else if (sqlite3_prepare_v3(s->db, sql, -1, slot ? SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) != SQLITE_OK) {
		log_error("sqlite prepare failed: %s", sqlite3_errmsg(s->db));
		return SY_E_STORE;
	} else if (slot) {
		slot->sql = sy_strdup(sql);
		slot->st = st;
	}
	if (slot) {
		slot->busy = true;
		slot->used = ++s->clock;
	}
	struct sq_stmt *w = sy_malloc(sizeof *w);
	w->base.store = base;
	w->st = st;
	w->slot = slot;
	w->writing = false;
	*out = &w->base;
	return SY_OK;
}

static void sq_bind_text(struct store_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st_of(st), i, v, -1, SQLITE_TRANSIENT);
}

static void sq_bind_int(struct store_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(st_of(st), i, v);
}

static void sq_bind_null(struct store_stmt *st, int i)
{
	sqlite3_bind_null(st_of(st), i);
}

static void sq_bind_blob(struct store_stmt *st, int i, const uint8_t *v, size_t n)
{
	sqlite3_bind_blob64(st_of(st), i, n ? v : (const void *)"", n, SQLITE_TRANSIENT);
}

static enum sy_err sq_step(struct store_stmt *st, bool *row)
{
	struct sq_stmt *w = (struct sq_stmt *)st;
	if (!w->writing && !sqlite3_stmt_readonly(w->st) && sqlite3_get_autocommit(sqlite3_db_handle(w->st)) &&
	    !sqlite3_stmt_busy(w->st)) {
		store_sqlite_write_lock(true);
		w->writing = true;
	}
	int rc = sqlite3_step(st_of(st));
	*row = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return SY_OK;
	sqlite3 *db = sqlite3_db_handle(st_of(st));
	enum sy_err e = map(sqlite3_extended_errcode(db));
	if (e != SY_E_CONFLICT)
		log_error("sqlite step failed: %s", sqlite3_errmsg(db));
	return e;
}

static const char *sq_col_text(struct store_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st_of(st), i);
	return t ? (const char *)t : "";
}

static int64_t sq_col_int(struct store_stmt *st, int i)
{
	return sqlite3_column_int64(st_of(st), i);
}

static bool sq_col_null(struct store_stmt *st, int i)
{
	return sqlite3_column_type(st_of(st), i) == SQLITE_NULL;
}

static const uint8_t *sq_col_blob(struct store_stmt *st, int i, struct arena *a, size_t *n)
{
	const void *p = sqlite3_column_blob(st_of(st), i);
	size_t len = (size_t)sqlite3_column_bytes(st_of(st), i);
	uint8_t *out = arena_alloc(a, len + 1);
	if (!out)
		return NULL;
	if (len)
		memcpy(out, p, len);
	*n = len;
	return out;
}

static void sq_finalize(struct store_stmt *base)
{
	struct sq_stmt *w = (struct sq_stmt *)base;
	if (w->slot) {
		sqlite3_reset(w->st);
		sqlite3_clear_bindings(w->st);
		w->slot->busy = false;
	} else {
		sqlite3_finalize(w->st);
	}
	/* the implicit transaction ended with the reset or finalize above */
	if (w->writing)
		store_sqlite_write_lock(false);
	free(w);
}

static const char *sq_errmsg(struct store *s)
{
	return sqlite3_errmsg(db_of(s));
}

static void sq_close(struct store *base)
{
	struct sq_store *s = (struct sq_store *)base;
	for (size_t i = 0; i < STMT_CACHE; i++) {
		sqlite3_finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
	sqlite3_close_v2(s->db);
	free(s);
}

static const struct store_ops SQLITE_OPS = {
        .exec = sq_exec,
        .prepare = sq_prepare,
        .bind_text = sq_bind_text,
        .bind_int = sq_bind_int,
        .bind_null = sq_bind_null,
        .bind_blob = sq_bind_blob,
        .step = sq_step,
        .col_text = sq_col_text,
        .col_int = sq_col_int,
        .col_null = sq_col_null,
        .col_blob = sq_col_blob,
        .finalize = sq_finalize,
        .errmsg = sq_errmsg,
        .close = sq_close,
};

/* The folder of a plain path (not a file: URI, not :memory:) is created, as a
 * first start with the default data/pocket-id.db must just work. */
static void identity(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_value(ctx, argv[0]);
}

static bool make_parent(const char *path, char *err, size_t errlen)
{
	if (strncmp(path, "file:", 5) == 0 || strcmp(path, ":memory:") == 0)
		return true;
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return true;
	char dir[4096];
	if ((size_t)(slash - path) >= sizeof dir)
		return false;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0750);
		*p = '/';
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the data folder %s: %s", dir, strerror(errno));
		return false;
	}
	return true;
}

enum sy_err store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen)
{
	if (!make_parent(path, err, errlen))
		return SY_E_IO;
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(
	        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the SQLite database %s: %s", path,
		         db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return SY_E_STORE;
	}
	sqlite3_busy_timeout(db, 5000);
	/* wal_autocheckpoint: a checkpoint runs inside the commit that crosses the
	 * threshold, holding the write lock through its fsync; 10,000 pages (40 MB
	 * of WAL) instead of 1,000 makes that ten times rarer, and pages written
	 * again meanwhile (index pages, mostly) are copied once */
	rc = sqlite3_exec(db,
	                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
	                  "PRAGMA wal_autocheckpoint=10000;",
	                  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up the SQLite database %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close_v2(db);
		return SY_E_STORE;
	}
	/* see store.h: one SQL text for both engines' time columns */
	sqlite3_create_function(db, "ts", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, identity, NULL, NULL);
	sqlite3_create_function(db, "epoch", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, identity, NULL, NULL);
	struct sq_store *s = sy_calloc(1, sizeof *s);
	s->base.kind = STORE_SQLITE;
	s->base.ops = &SQLITE_OPS;
	s->db = db;
	*out = &s->base;
	return SY_OK;
}
