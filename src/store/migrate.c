/*
 * migrate.c - versioned schema migrations, one timeline per dialect.
 *
 * All pending migrations run in one transaction with the version table, so a
 * failed start-up leaves the schema as it was. On PostgreSQL an advisory lock
 * serialises instances that start at the same time; on SQLite BEGIN IMMEDIATE does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

#define MIGRATION_LOCK_ID "7243516109"

static const char VERSION_TABLE[] = "CREATE TABLE IF NOT EXISTS symbolon_migrations ("
                                    " version INTEGER NOT NULL PRIMARY KEY,"
                                    " name TEXT NOT NULL,"
                                    " applied_at BIGINT NOT NULL)";

int store_schema_version(struct store *s)
{
	struct store_stmt *st;
	bool row;
	int v = -1;
	if (store_prepare(s, "SELECT COALESCE(MAX(version), 0) FROM symbolon_migrations", &st))
		return -1;
	if (!store_step(st, &row) && row)
		v = (int)store_col_int(st, 0);
	store_finalize(st);
	return v;
}

static enum sy_err record(struct store *s, int version, const char *name)
{
	struct store_stmt *st;
	enum sy_err e =
	        store_prepare(s, "INSERT INTO symbolon_migrations (version, name, applied_at) VALUES (?, ?, ?)", &st);
	if (e)
		return e;
	store_bind_int(st, 1, version);
	store_bind_text(st, 2, name);
	store_bind_int(st, 3, (int64_t)time(NULL));
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	return e;
}

static enum sy_err apply(struct store *s, bool allow_newer, char *err, size_t errlen)
{
	bool pg = store_kind(s) == STORE_POSTGRES;
	const struct store_migration *m = pg ? store_migrations_postgres : store_migrations_sqlite;
	size_t count = pg ? store_migrations_postgres_count : store_migrations_sqlite_count;
	if (pg && store_exec(s, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_ID ")"))
		return SY_E_STORE;
	if (store_exec(s, VERSION_TABLE))
		return SY_E_STORE;
	int current = store_schema_version(s);
	if (current < 0)
		return SY_E_STORE;
	if ((size_t)current > count && !allow_newer) {
		snprintf(err, errlen,
		         "the database schema is at version %d but this Symbolon knows only up to %zu; "
		         "run a newer Symbolon, or set ALLOW_DOWNGRADE=true to start anyway",
		         current, count);
		return SY_E_CONFIG;
	}
	for (size_t i = (size_t)current; i < count; i++) {
		if (store_exec(s, m[i].sql) || record(s, (int)i + 1, m[i].name)) {
			snprintf(err, errlen, "migration %s failed: %s", m[i].name, store_errmsg(s));
			return SY_E_STORE;
		}
		log_info("applied database migration %s", m[i].name);
	}
	return SY_OK;
}

enum sy_err store_migrate(struct store *s, bool allow_newer, char *err, size_t errlen)
{
	*err = '\0';
	if (store_begin(s)) {
		snprintf(err, errlen, "cannot start the migration transaction: %s", store_errmsg(s));
		return SY_E_STORE;
	}
	enum sy_err e = apply(s, allow_newer, err, errlen);
	if (e) {
		if (e == SY_E_STORE && !*err)
			snprintf(err, errlen, "database migration failed: %s", store_errmsg(s));
		store_rollback(s);
		return e;
	}
	if (store_commit(s)) {
		snprintf(err, errlen, "cannot commit the migrations: %s", store_errmsg(s));
		store_rollback(s);
		return SY_E_STORE;
	}
	return SY_OK;
}
