/*
 * sqlite.c - the SQLite backend: WAL, synchronous=NORMAL (a committed write
 * survives a killed process; a power loss may lose the last transactions, never
 * corrupt the file), foreign keys on, a 5 s busy timeout for concurrent writers.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

struct sq_store {
	struct store base;
	sqlite3 *db;
};

struct sq_stmt {
	struct store_stmt base;
	sqlite3_stmt *st;
};

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

static enum sy_err sq_prepare(struct store *s, const char *sql, struct store_stmt **out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v3(db_of(s), sql, -1, 0, &st, NULL) != SQLITE_OK) {
		log_error("sqlite prepare failed: %s", sqlite3_errmsg(db_of(s)));
		return SY_E_STORE;
	}
	struct sq_stmt *w = sy_malloc(sizeof *w);
	w->base.store = s;
	w->st = st;
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

static void sq_finalize(struct store_stmt *st)
{
	sqlite3_finalize(st_of(st));
	free(st);
}

static const char *sq_errmsg(struct store *s)
{
	return sqlite3_errmsg(db_of(s));
}

static void sq_close(struct store *s)
{
	sqlite3_close_v2(db_of(s));
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
	rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", NULL, NULL,
	                  NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up the SQLite database %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close_v2(db);
		return SY_E_STORE;
	}
	/* see store.h: one SQL text for both engines' time columns */
	sqlite3_create_function(db, "ts", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, identity, NULL, NULL);
	sqlite3_create_function(db, "epoch", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, identity, NULL, NULL);
	struct sq_store *s = sy_malloc(sizeof *s);
	s->base.kind = STORE_SQLITE;
	s->base.ops = &SQLITE_OPS;
	s->db = db;
	*out = &s->base;
	return SY_OK;
}
