/*
 * setup.c - creating the first administrator on an empty instance (reference
 * §1.14). Concurrent requests are serialised by the database, so exactly one
 * wins and the others get 409.
 */
#include "../auth/auth.h"
#include "../http/http.h"
#include "../store/store.h"
#include "admin.h"

static enum sy_err count_users(struct store *s, int64_t *n)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "SELECT count(*) FROM users", &st);
	if (e)
		return e;
	bool row;
	e = store_step(st, &row);
	*n = !e && row ? store_col_int(st, 0) : 0;
	store_finalize(st);
	return e;
}

enum sy_err setup_get(struct http_req *r)
{
	struct store *s;
	int64_t n;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = count_users(s, &n)))
		return e;
	if (n > 0)
		return http_fail(r, SY_E_NOTFOUND, "setup_not_available", "Not found");
	return http_reply_empty(r, 204);
}

/* On PostgreSQL a transaction-scoped advisory lock serialises the check and
 * the insert; SQLite's BEGIN IMMEDIATE already does. */
static enum sy_err lock_setup(struct store *s)
{
	if (store_kind(s) != STORE_POSTGRES)
		return SY_OK;
	return store_exec(s, "SELECT pg_advisory_xact_lock(7370601)");
}

enum sy_err setup_post(struct http_req *r)
{
	struct store *s;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)))
		return e;
	if ((e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	struct user u = {.is_admin = true};
	e = user_read_body(r, body, &u);
	json_decref(body);
	if (e)
		return e;
	u.email_verified = appcfg_bool("emailsVerified");
	/* after setup (nearly always) answer without taking the write lock */
	int64_t n = 0;
	if ((e = count_users(s, &n)))
		return e;
	if (n > 0)
		return http_fail(r, SY_E_CONFLICT, "setup_already_completed", "Setup already completed");
	if ((e = store_begin(s)))
		return e;
	if (!(e = lock_setup(s)) && !(e = count_users(s, &n)) && n > 0)
		e = http_fail(r, SY_E_CONFLICT, "setup_already_completed", "Setup already completed");
	if (!e)
		e = user_insert(r, s, &u);
	if (!e)
		e = store_commit(s);
	if (e) {
		store_rollback(s);
		return e;
	}
	if ((e = session_issue(r, &u, "otp")))
		return e;
	return http_reply_json(r, 200, user_dto(s, &u, false));
}
