/*
 * store.h - one thin layer over SQLite and PostgreSQL.
 *
 * SQL is written once with `?` placeholders (rewritten to $n for PostgreSQL) and
 * parameters are always bound, never formatted into the text (at most 128 a
 * statement). DDL differs per dialect and lives in versioned migration files
 * (migrations/<dialect>/NNNN_*.sql).
 * A connection is a single-thread object: each HTTP pool thread gets its own
 * through store_thread().
 */
#ifndef SY_STORE_H
#define SY_STORE_H

#include "../core/core.h"

enum store_kind { STORE_SQLITE, STORE_POSTGRES };
struct store;
struct store_stmt;

/* `conn` is DB_CONNECTION_STRING: postgres:// or postgresql:// selects PostgreSQL,
 * anything else is a SQLite path or file: URI (its folder is created if missing). */
enum sy_err store_open(const char *conn, struct store **out, char *err, size_t errlen) SY_WARN_UNUSED;
void store_close(struct store *s);
enum store_kind store_kind(const struct store *s);
const char *store_kind_name(enum store_kind k);
/* Last error text of the connection, for logs. */
const char *store_errmsg(struct store *s);

/* Runs SQL without parameters; several statements are allowed (migrations). */
enum sy_err store_exec(struct store *s, const char *sql) SY_WARN_UNUSED;
enum sy_err store_prepare(struct store *s, const char *sql, struct store_stmt **out) SY_WARN_UNUSED;
/* Parameters are 1-based. Text and blobs are copied. */
void store_bind_text(struct store_stmt *st, int i, const char *v); /* NULL: SQL NULL */
void store_bind_int(struct store_stmt *st, int i, int64_t v);
void store_bind_null(struct store_stmt *st, int i);
/* BLOB on SQLite, BYTEA on PostgreSQL. */
void store_bind_blob(struct store_stmt *st, int i, const uint8_t *v, size_t n);
/* SY_OK with *row true for a row, false when done; SY_E_CONFLICT on a unique
 * violation; SY_E_STORE otherwise. */
enum sy_err store_step(struct store_stmt *st, bool *row) SY_WARN_UNUSED;
/* Columns are 0-based; valid until the next step or finalize. */
const char *store_col_text(struct store_stmt *st, int i);
int64_t store_col_int(struct store_stmt *st, int i);
bool store_col_null(struct store_stmt *st, int i);
/* BOOLEAN: 0/1 on SQLite, t/f on PostgreSQL. */
bool store_col_bool(struct store_stmt *st, int i);
/* A BLOB/BYTEA column copied into the arena; NULL (n = 0) for NULL, or when
 * the arena is full. */
const uint8_t *store_col_blob(struct store_stmt *st, int i, struct arena *a, size_t *n);
/* A TEXT column copied into the arena; NULL for SQL NULL (or when the arena is full). */
char *store_col_strdup(struct store_stmt *st, int i, struct arena *a);
void store_finalize(struct store_stmt *st);
/* Sends st, bound, along with the next statement the connection runs: on
 * PostgreSQL every queued statement and that one go in one round trip
 * (libpq's pipeline mode; one implicit transaction outside store_begin, so
 * one that fails takes the others' writes along). On SQLite, which has no
 * round trips, st simply runs at its first store_step. Either way the caller
 * then steps st as usual; a statement that writes must be stepped, and
 * finalizing one never stepped may leave it unrun. Reads that do not depend
 * on each other go in one trip this way, instead of one each. */
void store_queue(struct store_stmt *st);

/* Time columns are Pocket ID's: Unix seconds in an INTEGER on SQLite, TIMESTAMPTZ
 * on PostgreSQL. SQL written once uses ts(?) to turn bound Unix seconds into a
 * column value and epoch(col) to read one back as Unix seconds: identity
 * functions on SQLite (registered by sqlite.c), SQL functions on PostgreSQL
 * (created by migration 0002). */

/* One statement with text parameters, stepped once: *row (when row is not
 * NULL) tells whether it produced a row (a DELETE ... RETURNING that found
 * its target). */
enum sy_err store_run(struct store *s, const char *sql, const char *const *args, size_t nargs,
                      bool *row) SY_WARN_UNUSED;

/* BEGIN IMMEDIATE on SQLite (a deferred read-then-write deadlocks at once). */
enum sy_err store_begin(struct store *s) SY_WARN_UNUSED;
enum sy_err store_commit(struct store *s) SY_WARN_UNUSED;
void store_rollback(struct store *s);

/* The connection of the calling thread, opened on first use with the string
 * given to store_thread_setup. NULL (and a logged error) if it cannot open. */
void store_thread_setup(const char *conn);
struct store *store_thread(void);
void store_thread_close(void);

/* migrate.c: applies every pending migration of the dialect in one transaction.
 * A schema newer than this binary is refused unless allow_newer. */
enum sy_err store_migrate(struct store *s, bool allow_newer, char *err, size_t errlen) SY_WARN_UNUSED;
int store_schema_version(struct store *s);

/* kv.c: the `kv` table (instance id, signing key). */
enum sy_err store_kv_get(struct store *s, struct arena *a, const char *key, char **value) SY_WARN_UNUSED;
/* Inserts unless the key exists; SY_E_CONFLICT if it does. */
enum sy_err store_kv_add(struct store *s, const char *key, const char *value) SY_WARN_UNUSED;

#endif
