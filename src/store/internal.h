/* internal.h - the two backends behind store.h; not for use outside src/store. */
#ifndef SY_STORE_INTERNAL_H
#define SY_STORE_INTERNAL_H

#include "store.h"

struct store_ops {
	enum sy_err (*exec)(struct store *s, const char *sql);
	enum sy_err (*prepare)(struct store *s, const char *sql, struct store_stmt **out);
	void (*bind_text)(struct store_stmt *st, int i, const char *v);
	void (*bind_int)(struct store_stmt *st, int i, int64_t v);
	void (*bind_null)(struct store_stmt *st, int i);
	void (*bind_blob)(struct store_stmt *st, int i, const uint8_t *v, size_t n);
	enum sy_err (*step)(struct store_stmt *st, bool *row);
	const char *(*col_text)(struct store_stmt *st, int i);
	int64_t (*col_int)(struct store_stmt *st, int i);
	bool (*col_null)(struct store_stmt *st, int i);
	const uint8_t *(*col_blob)(struct store_stmt *st, int i, struct arena *a, size_t *n);
	void (*finalize)(struct store_stmt *st);
	/* NULL: statements run at their first step */
	void (*queue)(struct store_stmt *st);
	const char *(*errmsg)(struct store *s);
	void (*close)(struct store *s);
	/* NULL: COMMIT as a plain statement */
	enum sy_err (*commit)(struct store *s);
};

struct store {
	enum store_kind kind;
	const struct store_ops *ops;
};

struct store_stmt {
	struct store *store;
};

/* sqlite.c: the process-wide SQLite write lock (see there). */
void store_sqlite_write_lock(bool take);
enum sy_err store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen);
enum sy_err store_pg_open(const char *url, struct store **out, char *err, size_t errlen);

/* The migration files, embedded at build time (generated). */
struct store_migration {
	const char *name; /* "0001_kv.sql" */
	const char *sql;
};
extern const struct store_migration store_migrations_sqlite[];
extern const size_t store_migrations_sqlite_count;
extern const struct store_migration store_migrations_postgres[];
extern const size_t store_migrations_postgres_count;

#endif
