/*
 * clients_users.c - the apps a person sees (reference §1.6, §2.15): the
 * clients they have authorized (consents, user_authorized_oidc_clients),
 * revoking one, and the clients they may use at all (My Apps: unrestricted
 * ones and those allowed to one of their groups).
 *
 * Revoking an app deletes the consent and every code and token of that
 * (user, client) from oauth2_sessions, in one transaction: the app's next
 * refresh fails and the next sign-in asks for consent again.
 */
#include <stdlib.h>
#include <string.h>

#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

/* filters[hasLaunchURL]: a fixed SQL piece, or "" when absent. */
static const char *launch_filter(struct http_req *r)
{
	switch (list_filter_bool(r, "hasLaunchURL")) {
	case 1: return " AND c.launch_url IS NOT NULL AND c.launch_url <> ''";
	case 0: return " AND (c.launch_url IS NULL OR c.launch_url = '')";
	default: return "";
	}
}

static json_t *time_or_null(struct store_stmt *st, int i)
{
	if (store_col_null(st, i))
		return json_null();
	char when[32];
	iso8601(store_col_int(st, i), when);
	return json_string(when);
}

/* The consent's scope column, a JSON list, as the compact JSON text Pocket
 * ID's AuthorizedOidcClientDto carries in a string. */
static json_t *scope_text(struct store_stmt *st, int i)
{
	json_t *list = store_col_null(st, i) ? NULL : json_loads(store_col_text(st, i), JSON_REJECT_DUPLICATES, NULL);
	char *text = json_is_array(list) ? json_dumps(list, JSON_COMPACT) : NULL;
	json_t *out = json_string(text ? text : "[]");
	free(text);
	json_decref(list);
	return out;
}

/* Runs a list query whose parameters are user_id (nuser times, first) then
 * LIMIT and OFFSET; each row becomes make(row). */
struct page_query {
	const char *count_sql, *page_sql;
	int nuser;
	json_t *(*make)(struct arena *a, struct store_stmt *st);
};

static enum sy_err run_page(struct http_req *r, struct store *s, const char *user_id, const struct page_query *pq,
                            struct list_req *q)
{
	struct store_stmt *st;
	bool row;
	enum sy_err e = pq->count_sql && pq->page_sql ? store_prepare(s, pq->count_sql, &st) : SY_E_TOOBIG;
	if (e)
		return e;
	for (int i = 1; i <= pq->nuser; i++)
		store_bind_text(st, i, user_id);
	e = store_step(st, &row);
	int64_t total = !e && row ? store_col_int(st, 0) : 0;
	store_finalize(st);
	if (e || (e = store_prepare(s, pq->page_sql, &st)))
		return e;
	list_clamp(q, total);
	for (int i = 1; i <= pq->nuser; i++)
		store_bind_text(st, i, user_id);
	store_bind_int(st, pq->nuser + 1, q->limit);
	store_bind_int(st, pq->nuser + 2, q->offset);
	json_t *data = json_array();
	while (!e && !(e = store_step(st, &row)) && row) {
		json_t *one = pq->make(&r->arena, st);
		if (!one)
			e = SY_E_TOOBIG;
		json_array_append_new(data, one);
	}
	store_finalize(st);
	if (e) {
		json_decref(data);
		return e;
	}
	return http_reply_json(r, 200, list_envelope(data, q));
}

/* ---- authorized clients (consents) ---- */

/* AuthorizedOidcClientDto: META_COLS, then a.scope, epoch(a.last_used_at). */
static json_t *authorized_row(struct arena *a, struct store_stmt *st)
{
	json_t *meta = oidc_admin_meta(a, st, 0);
	if (!meta)
		return NULL;
	return json_pack("{s:o, s:o, s:o}", "scope", scope_text(st, 7), "client", meta, "lastUsedAt",
	                 time_or_null(st, 8));
}

static const struct list_column AUTHORIZED_SORT[] = {
        {"lastUsedAt", "a.last_used_at"},
        {"name", "c.name"},
};

static enum sy_err authorized_list(struct http_req *r, struct store *s, const char *user_id)
{
	struct list_req q;
	enum sy_err e =
	        list_parse(r, AUTHORIZED_SORT, sizeof AUTHORIZED_SORT / sizeof AUTHORIZED_SORT[0], "c.name, c.id", &q);
	if (e)
		return e;
	const char *from = arena_printf(&r->arena,
	                                "FROM user_authorized_oidc_clients a JOIN oidc_clients c ON c.id = a.client_id "
	                                "WHERE a.user_id = ?%s",
	                                launch_filter(r));
	struct page_query pq = {
	        .count_sql = from ? arena_printf(&r->arena, "SELECT count(*) %s", from) : NULL,
	        .page_sql = from ? arena_printf(&r->arena,
	                                        "SELECT " OIDC_ADMIN_META_COLS
	                                        ", a.scope, epoch(a.last_used_at) %s ORDER BY %s LIMIT ? OFFSET ?",
	                                        from, q.order)
	                         : NULL,
	        .nuser = 1,
	        .make = authorized_row,
	};
	return run_page(r, s, user_id, &pq, &q);
}

/* GET /api/oidc/users/me/authorized-clients */
enum sy_err oidc_apps_authorized(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)))
		return e;
	return authorized_list(r, s, me.user.id);
}

/* GET /api/oidc/users/:id/authorized-clients (admin); an unknown user has
 * none, as in Pocket ID. */
enum sy_err oidc_apps_authorized_of_user(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	return authorized_list(r, s, http_param(r, "id"));
}

/* DELETE /api/oidc/users/me/authorized-clients/:clientId */
enum sy_err oidc_apps_revoke(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	bool row, consented;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)) || (e = store_begin(s)))
		return e;
	const char *const args[] = {me.user.id, http_param(r, "clientId")};
	if (!(e = store_run(s,
	                    "DELETE FROM user_authorized_oidc_clients WHERE user_id = ? AND client_id = ? "
	                    "RETURNING client_id",
	                    args, 2, &consented)) &&
	    consented)
		e = store_run(s, "DELETE FROM oauth2_sessions WHERE user_id = ? AND client_id = ?", args, 2, &row);
	if (!e && consented)
		e = store_commit(s);
	else
		store_rollback(s);
	if (e)
		return e;
	if (!consented)
		return http_fail_details(r, SY_E_NOTFOUND, "not_found", "Authorized client not found",
		                         json_pack("{s:s}", "resource", "Authorized client"));
	return http_reply_empty(r, 204);
}

/* ---- accessible clients (My Apps) ---- */

/* AccessibleOidcClientDto: META_COLS, then epoch(a.last_used_at). */
static json_t *accessible_row(struct arena *a, struct store_stmt *st)
{
	json_t *meta = oidc_admin_meta(a, st, 0);
	if (meta)
		json_object_set_new(meta, "lastUsedAt", time_or_null(st, 7));
	return meta;
}

/* Never-used clients come last in either direction (NULLS LAST, written so
 * that SQLite and PostgreSQL agree). */
static const struct list_column ACCESSIBLE_SORT[] = {
        {"lastUsedAt", "(a.last_used_at IS NULL), a.last_used_at"},
        {"name", "c.name"},
};

/* GET /api/oidc/users/me/clients: the clients the caller may use. */
enum sy_err oidc_apps_accessible(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct list_req q;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)) ||
	    (e = list_parse(r, ACCESSIBLE_SORT, sizeof ACCESSIBLE_SORT / sizeof ACCESSIBLE_SORT[0], "c.name, c.id",
	                    &q)))
		return e;
	const char *from = arena_printf(
	        &r->arena,
	        "FROM oidc_clients c LEFT JOIN user_authorized_oidc_clients a ON a.client_id = c.id AND a.user_id = ? "
	        "WHERE (NOT c.is_group_restricted OR EXISTS (SELECT 1 FROM oidc_clients_allowed_user_groups g "
	        "JOIN user_groups_users m ON m.user_group_id = g.user_group_id WHERE g.oidc_client_id = c.id "
	        "AND m.user_id = ?))%s",
	        launch_filter(r));
	struct page_query pq = {
	        .count_sql = from ? arena_printf(&r->arena, "SELECT count(*) %s", from) : NULL,
	        .page_sql = from ? arena_printf(&r->arena,
	                                        "SELECT " OIDC_ADMIN_META_COLS
	                                        ", epoch(a.last_used_at) %s ORDER BY %s LIMIT ? OFFSET ?",
	                                        from, q.order)
	                         : NULL,
	        .nuser = 2,
	        .make = accessible_row,
	};
	return run_page(r, s, me.user.id, &pq, &q);
}
