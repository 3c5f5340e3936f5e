/*
 * pg.c - the PostgreSQL backend on libpq. Statements use the extended protocol
 * (PQexecParams) so parameters travel separately from the SQL text. A broken
 * connection is reset before the next statement, so a database restart costs
 * the requests in flight, not the process.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PG_MAX_PARAMS 128 /* a page of 100 ids and its filters */

/* Statements prepared on the connection (PQprepare), reused by their text:
 * PostgreSQL then parses and analyses a statement once per connection
 * instead of at every call. */
#define PG_PREPARED 64

struct pg_prepared {
	char *sql; /* NULL: a free slot */
	uint64_t last_used;
	unsigned uses;
	char name[24]; /* "s<n>": never reused, so a DEALLOCATE that failed cannot collide */
};

/* Statements waiting for the next round trip (store_queue); more than this
 * run on their own. */
#define PG_QUEUE 8

struct pg_stmt;

struct pg_store {
	struct store base;
	PGconn *conn;
	struct pg_prepared prepared[PG_PREPARED];
	uint64_t clock, names;
	struct pg_stmt *queue[PG_QUEUE];
	int queued;
};

struct pg_stmt {
	struct store_stmt base;
	char *sql;
	int nparams;
	char *values[PG_MAX_PARAMS];
	PGresult *res;
	int row, nrows;
	bool executed, queued;
	enum sy_err err; /* of a run in a pipeline, told at the first step */
};

static PGconn *conn_of(struct store *s)
{
	return ((struct pg_store *)s)->conn;
}

static void notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("postgres: %s", message);
}

/* A prepared statement's generic plan is made once, from the table sizes of
 * the moment: on a new installation the token tables are empty then, and a
 * plan kept for good would scan them whole long after they have grown
 * (measured: 0.7 ms instead of 0.08 ms per token lookup). Preparing again
 * after this many executions bounds how long such a plan lives; the planner
 * then sees the tables as they are. */
#define PG_REPREPARE 256

static void forget_prepared(struct pg_store *s)
{
	for (int i = 0; i < PG_PREPARED; i++) {
		free(s->prepared[i].sql);
		s->prepared[i].sql = NULL;
	}
}

/* A statement that failed on a dead connection resets it for the next
 * caller; a new connection has none of the prepared statements. */
static void heal(struct pg_store *s)
{
	if (PQstatus(s->conn) == CONNECTION_BAD) {
		log_warn("postgres connection lost; reconnecting");
		PQreset(s->conn);
		forget_prepared(s);
	}
}

static enum sy_err result_error(struct pg_store *s, PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && strcmp(state, "23505") == 0)
		return SY_E_CONFLICT;
	log_error("postgres: %s", PQerrorMessage(s->conn));
	heal(s);
	return SY_E_STORE;
}

static enum sy_err pg_exec(struct store *s, const char *sql)
{
	PGresult *r = PQexec(conn_of(s), sql);
	ExecStatusType st = PQresultStatus(r);
	enum sy_err e = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? SY_OK : result_error((struct pg_store *)s, r);
	PQclear(r);
	return e;
}

/* `?` -> `$n`, outside quoted strings and identifiers. */
static char *rewrite(const char *sql, int *nparams)
{
	size_t n = strlen(sql);
	char *out = sy_malloc(n * 4 + 1);
	size_t o = 0;
	char quote = 0;
	*nparams = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?') {
			if (*nparams == PG_MAX_PARAMS) {
				free(out);
				return NULL;
			}
			o += (size_t)snprintf(out + o, 5, "$%d", ++*nparams); /* at most "$128" */
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	return out;
}

static enum sy_err pg_prepare(struct store *s, const char *sql, struct store_stmt **out)
{
	struct pg_stmt *st = sy_calloc(1, sizeof *st);
	st->base.store = s;
	st->sql = rewrite(sql, &st->nparams);
	if (!st->sql) {
		log_error("a statement has more than %d parameters", PG_MAX_PARAMS);
		free(st);
		return SY_E_INTERNAL;
	}
	*out = &st->base;
	return SY_OK;
}

static void set_param(struct store_stmt *base, int i, char *v)
{
	struct pg_stmt *st = (struct pg_stmt *)base;
	if (i < 1 || i > st->nparams) {
		free(v);
		return;
	}
	free(st->values[i - 1]);
	st->values[i - 1] = v;
}

static void pg_bind_text(struct store_stmt *st, int i, const char *v)
{
	/* NULL binds SQL NULL, as sqlite3_bind_text does */
	set_param(st, i, v ? sy_strdup(v) : NULL);
}

static void pg_bind_int(struct store_stmt *st, int i, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	set_param(st, i, sy_strdup(buf));
}

static void pg_bind_null(struct store_stmt *st, int i)
{
	set_param(st, i, NULL);
}

/* bytea travels in its text form, \\x and hex digits */
static void pg_bind_blob(struct store_stmt *st, int i, const uint8_t *v, size_t n)
{
	char *hex = sy_malloc(2 * n + 3);
	hex[0] = '\\';
	hex[1] = 'x';
	hex_encode(v, n, hex + 2);
	set_param(st, i, hex);
}

/* Only plain DML is prepared; anything else (BEGIN, SET, DDL) runs as is. */
static bool preparable(const char *sql)
{
	static const char *const VERBS[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"};
	for (size_t i = 0; i < sizeof VERBS / sizeof VERBS[0]; i++)
		if (strncasecmp(sql, VERBS[i], strlen(VERBS[i])) == 0)
			return true;
	return false;
}

/* The name of sql's prepared statement, preparing it (and evicting the least
 * recently used one) when needed; NULL when preparing failed. */
static const char *prepared_name(struct pg_store *s, const char *sql, int nparams)
{
	int slot = -1, lru = 0;
	for (int i = 0; i < PG_PREPARED && slot < 0; i++) {
		if (s->prepared[i].sql && strcmp(s->prepared[i].sql, sql) == 0)
			slot = i;
		else if (!s->prepared[i].sql ||
		         (s->prepared[lru].sql && s->prepared[i].last_used < s->prepared[lru].last_used))
			lru = i;
	}
	if (slot >= 0 && s->prepared[slot].uses >= PG_REPREPARE) {
		lru = slot; /* prepared afresh below, in the same slot */
		slot = -1;
	}
	if (slot < 0) {
		struct pg_prepared *p = &s->prepared[lru];
		if (p->sql) {
			char sql_dealloc[48];
			snprintf(sql_dealloc, sizeof sql_dealloc, "DEALLOCATE %s", p->name);
			PQclear(PQexec(s->conn, sql_dealloc));
			free(p->sql);
			p->sql = NULL;
		}
		snprintf(p->name, sizeof p->name, "s%llu", (unsigned long long)++s->names);
		PGresult *r = PQprepare(s->conn, p->name, sql, nparams, NULL);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!ok)
			return NULL;
		p->sql = sy_strdup(sql);
		p->uses = 0;
		slot = lru;
	}
	s->prepared[slot].uses++;
	s->prepared[slot].last_used = ++s->clock;
	return s->prepared[slot].name;
}

/* The prepared name of each statement of a batch, copied: preparing a later
 * one may prepare the same text afresh under a new name (PG_REPREPARE), so a
 * text already named in the batch keeps that name. "" when it cannot be
 * prepared: it runs unprepared, and reports its own error. */
static void batch_names(struct pg_store *s, struct pg_stmt **q, int n, char (*names)[24])
{
	for (int i = 0; i < n; i++) {
		names[i][0] = '\0';
		for (int j = 0; j < i && !names[i][0]; j++)
			if (names[j][0] && strcmp(q[j]->sql, q[i]->sql) == 0)
				memcpy(names[i], names[j], sizeof names[i]);
		const char *name =
		        names[i][0] || !preparable(q[i]->sql) ? NULL : prepared_name(s, q[i]->sql, q[i]->nparams);
		if (name)
			snprintf(names[i], sizeof names[i], "%s", name);
	}
}

/* What a statement's result means for it: its rows, or the error it tells. */
static enum sy_err take_result(struct pg_store *s, struct pg_stmt *st, PGresult *r, bool piped)
{
	st->res = r;
	st->row = -1;
	st->nrows = 0;
	ExecStatusType rs = PQresultStatus(r);
	if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
		st->nrows = rs == PGRES_TUPLES_OK ? PQntuples(r) : 0;
		return SY_OK;
	}
	if (!piped)
		return result_error(s, r);
	/* in a pipeline the connection's message is not this statement's */
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && strcmp(state, "23505") == 0)
		return SY_E_CONFLICT;
	if (rs == PGRES_PIPELINE_ABORTED)
		log_error("postgres: not run, an earlier statement of its round trip failed");
	else
		log_error("postgres: %s", r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
	return SY_E_STORE;
}

/* Runs the queued statements in one round trip: libpq's pipeline mode, one
 * Sync at the end. Each gets its result or error for its first step. */
static void run_queue(struct pg_store *s)
{
	struct pg_stmt *q[PG_QUEUE];
	char names[PG_QUEUE][24];
	int n = s->queued, sent = 0;
	memcpy(q, s->queue, sizeof q);
	s->queued = 0;
	for (int i = 0; i < n; i++)
		q[i]->queued = false, q[i]->executed = true;
	batch_names(s, q, n, names);
	PGconn *c = s->conn;
	if (PQenterPipelineMode(c)) {
		for (; sent < n; sent++) {
			const char *const *v = (const char *const *)q[sent]->values;
			if (!(names[sent][0]
			              ? PQsendQueryPrepared(c, names[sent], q[sent]->nparams, v, NULL, NULL, 0)
			              : PQsendQueryParams(c, q[sent]->sql, q[sent]->nparams, NULL, v, NULL, NULL, 0)))
				break;
		}
		if (!PQpipelineSync(c))
			sent = 0;
		for (int i = 0; i < sent; i++) {
			q[i]->err = take_result(s, q[i], PQgetResult(c), true);
			for (PGresult *z; (z = PQgetResult(c));) /* the NULL that ends a statement's results */
				PQclear(z);
		}
		for (PGresult *z; sent && (z = PQgetResult(c));) { /* the Sync's */
			bool sync = PQresultStatus(z) == PGRES_PIPELINE_SYNC;
			PQclear(z);
			if (sync)
				break;
		}
		if (!PQexitPipelineMode(c)) {
			/* results left unread: no later statement could run on it */
			log_error("postgres: cannot leave pipeline mode (%s); reconnecting", PQerrorMessage(c));
			PQreset(c);
			forget_prepared(s);
		}
	}
	for (int i = sent; i < n; i++) {
		log_error("postgres: cannot send a statement: %s", PQerrorMessage(c));
		q[i]->err = SY_E_STORE;
	}
	heal(s);
}

static void pg_queue(struct store_stmt *base)
{
	struct pg_stmt *st = (struct pg_stmt *)base;
	struct pg_store *s = (struct pg_store *)base->store;
	if (!st->executed && !st->queued && s->queued < PG_QUEUE) {
		st->queued = true;
		s->queue[s->queued++] = st;
	}
}

static void unqueue(struct pg_stmt *st)
{
	struct pg_store *s = (struct pg_store *)st->base.store;
	for (int i = 0; st->queued && i < s->queued; i++)
		if (s->queue[i] == st) {
			memmove(&s->queue[i], &s->queue[i + 1], (size_t)(s->queued - i - 1) * sizeof s->queue[0]);
			s->queued--;
			st->queued = false;
		}
}

static enum sy_err pg_step(struct store_stmt *base, bool *row)
{
	struct pg_stmt *st = (struct pg_stmt *)base;
	struct pg_store *s = (struct pg_store *)base->store;
	PGconn *c = s->conn;
	*row = false;
	if (!st->executed && s->queued && (st->queued || s->queued < PG_QUEUE)) {
		pg_queue(base);
		run_queue(s);
	}
	if (st->err) {
		enum sy_err e = st->err;
		st->err = SY_OK;
		return e;
	}
	if (!st->executed) {
		st->executed = true;
		const char *name = preparable(st->sql) ? prepared_name(s, st->sql, st->nparams) : NULL;
		const char *const *values = (const char *const *)st->values;
		/* a statement that cannot be prepared runs unprepared, and reports its own error */
		enum sy_err e = take_result(s, st,
		                            name ? PQexecPrepared(c, name, st->nparams, values, NULL, NULL, 0)
		                                 : PQexecParams(c, st->sql, st->nparams, NULL, values, NULL, NULL, 0),
		                            false);
		if (e)
			return e;
	}
	if (st->row + 1 < st->nrows) {
		st->row++;
		*row = true;
	}
	return SY_OK;
}

static const char *pg_col_text(struct store_stmt *base, int i)
{
	struct pg_stmt *st = (struct pg_stmt *)base;
	return PQgetvalue(st->res, st->row, i);
}

static int64_t pg_col_int(struct store_stmt *base, int i)
{
	return strtoll(pg_col_text(base, i), NULL, 10);
}

static bool pg_col_null(struct store_stmt *base, int i)
{
	struct pg_stmt *st = (struct pg_stmt *)base;
	return PQgetisnull(st->res, st->row, i);
}

static const uint8_t *pg_col_blob(struct store_stmt *base, int i, struct arena *a, size_t *n)
{
	const char *t = pg_col_text(base, i);
	size_t len = strlen(t);
	if (len < 2 || t[0] != '\\' || t[1] != 'x' || len % 2) {
		log_error("postgres: a bytea value is not in hex form (bytea_output must be hex)");
		return NULL;
	}
	size_t bytes = (len - 2) / 2;
	uint8_t *out = arena_alloc(a, bytes + 1);
	if (!out || hex_decode(t + 2, len - 2, out) != SY_OK)
		return NULL;
	*n = bytes;
	return out;
}

/* PostgreSQL answers COMMIT with ROLLBACK, and libpq with success, when a
 * statement of the transaction failed; and a connection reset by heal() has
 * no transaction left to commit. Either way the caller must hear that its
 * writes did not happen. */
static enum sy_err pg_commit(struct store *s)
{
	PGconn *c = conn_of(s);
	if (PQtransactionStatus(c) != PQTRANS_INTRANS) {
		log_error("postgres: COMMIT refused: the transaction %s",
		          PQtransactionStatus(c) == PQTRANS_INERROR ? "had a failed statement" : "is gone");
		return SY_E_STORE;
	}
	PGresult *r = PQexec(c, "COMMIT");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
	enum sy_err e = ok                                      ? SY_OK
	                : PQresultStatus(r) == PGRES_COMMAND_OK ? SY_E_STORE
	                                                        : result_error((struct pg_store *)s, r);
	if (!ok && e == SY_E_STORE)
		log_error("postgres: COMMIT answered %s", PQcmdStatus(r));
	PQclear(r);
	return e;
}

static void pg_finalize(struct store_stmt *base)
{
	struct pg_stmt *st = (struct pg_stmt *)base;
	unqueue(st);
	PQclear(st->res);
	for (int i = 0; i < st->nparams; i++)
		free(st->values[i]);
	free(st->sql);
	free(st);
}

static const char *pg_errmsg(struct store *s)
{
	return PQerrorMessage(conn_of(s));
}

static void pg_close(struct store *s)
{
	PQfinish(conn_of(s));
	forget_prepared((struct pg_store *)s);
	free(s);
}

static const struct store_ops PG_OPS = {
        .exec = pg_exec,
        .prepare = pg_prepare,
        .bind_text = pg_bind_text,
        .bind_int = pg_bind_int,
        .bind_null = pg_bind_null,
        .bind_blob = pg_bind_blob,
        .step = pg_step,
        .col_text = pg_col_text,
        .col_int = pg_col_int,
        .col_null = pg_col_null,
        .col_blob = pg_col_blob,
        .finalize = pg_finalize,
        .queue = pg_queue,
        .errmsg = pg_errmsg,
        .close = pg_close,
        .commit = pg_commit,
};

enum sy_err store_pg_open(const char *url, struct store **out, char *err, size_t errlen)
{
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		/* the message names host and port but never the password */
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", PQerrorMessage(c));
		for (char *p = err; *p; p++)
			if (*p == '\n')
				*p = ' ';
		PQfinish(c);
		return SY_E_STORE;
	}
	PQsetNoticeProcessor(c, notice, NULL);
	struct pg_store *s = sy_calloc(1, sizeof *s);
	s->base.kind = STORE_POSTGRES;
	s->base.ops = &PG_OPS;
	s->conn = c;
	*out = &s->base;
	return SY_OK;
}
