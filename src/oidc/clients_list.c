/*
 * clients_list.c - GET /api/oidc/clients (reference §0.1, §1.6): a page of
 * OidcClientWithAllowedGroupsCountDto with Pocket ID's search on the name,
 * its boolean and clientType filters and its sorts, allowedUserGroupsCount
 * included. Sort columns and filters come from the tables below, so no
 * client text reaches the SQL but as a bound parameter.
 */
#include <string.h>

#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

#define COUNT_POSITION "19" /* 1-based position of the count in OIDC_ADMIN_CLIENT_COLS, for ORDER BY */

static const struct list_column SORTABLE[] = {
        {"name", "c.name"},
        {"createdAt", "c.created_at"},
        {"isPublic", "c.is_public"},
        {"pkceEnabled", "c.pkce_enabled"},
        {"pkceSupported", "c.pkce_supported"},
        {"requiresReauthentication", "c.requires_reauthentication"},
        {"requiresPushedAuthorizationRequests", "c.requires_pushed_authorization_requests"},
        {"skipConsent", "c.skip_consent"},
        {"isGroupRestricted", "c.is_group_restricted"},
        {"clientType", "c.client_type"},
        {"allowedUserGroupsCount", COUNT_POSITION},
};

static const struct {
	const char *field, *sql;
} BOOL_FILTERS[] = {
        {"pkceEnabled", " AND c.pkce_enabled = ?"},
        {"pkceSupported", " AND c.pkce_supported = ?"},
        {"requiresReauthentication", " AND c.requires_reauthentication = ?"},
        {"requiresPushedAuthorizationRequests", " AND c.requires_pushed_authorization_requests = ?"},
        {"skipConsent", " AND c.skip_consent = ?"},
        {"isGroupRestricted", " AND c.is_group_restricted = ?"},
};
#define NBOOL           (sizeof BOOL_FILTERS / sizeof BOOL_FILTERS[0])
#define MAX_TYPE_VALUES 8

/* The WHERE clause of a list request (fixed SQL pieces) and its parameters. */
struct client_filter {
	char *sql;
	const char *like;
	int flags[NBOOL];
	const char *types[MAX_TYPE_VALUES];
	size_t nflags, ntypes;
};

static enum sy_err filter_read(struct http_req *r, const struct list_req *q, struct client_filter *f)
{
	memset(f, 0, sizeof *f);
	f->sql = arena_strdup(&r->arena, " WHERE 1 = 1");
	if (q->search) {
		f->like = list_like(r, q->search);
		f->sql = arena_printf(&r->arena, "%s AND lower(c.name) LIKE lower(?) ESCAPE '\\'", f->sql);
	}
	for (size_t i = 0; i < NBOOL && f->sql; i++) {
		int v = list_filter_bool(r, BOOL_FILTERS[i].field);
		if (v < 0)
			continue;
		f->flags[f->nflags++] = v;
		f->sql = arena_printf(&r->arena, "%s%s", f->sql, BOOL_FILTERS[i].sql);
	}
	/* a repeated clientType matches any of its values */
	size_t n = http_query_all(r, "filters[clientType]", f->types, MAX_TYPE_VALUES / 2);
	n += http_query_all(r, "filters[clientType][]", f->types + n, MAX_TYPE_VALUES / 2);
	f->ntypes = n;
	const char *marks = n ? sql_in_list(&r->arena, n) : NULL;
	if (n && f->sql)
		f->sql = marks ? arena_printf(&r->arena, "%s AND COALESCE(c.client_type, 'standard') IN (%s)", f->sql,
		                              marks)
		               : NULL;
	return f->sql && (!q->search || f->like) ? SY_OK : SY_E_TOOBIG;
}

static int filter_bind(struct store_stmt *st, const struct client_filter *f)
{
	int i = 1;
	if (f->like)
		store_bind_text(st, i++, f->like);
	for (size_t k = 0; k < f->nflags; k++)
		store_bind_int(st, i++, f->flags[k]);
	for (size_t k = 0; k < f->ntypes; k++)
		store_bind_text(st, i++, f->types[k]);
	return i;
}

static enum sy_err count_clients(struct store *s, struct http_req *r, const struct client_filter *f, int64_t *total)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, arena_printf(&r->arena, "SELECT count(*) FROM oidc_clients c%s", f->sql), &st);
	if (e)
		return e;
	filter_bind(st, f);
	bool row;
	e = store_step(st, &row);
	*total = !e && row ? store_col_int(st, 0) : 0;
	store_finalize(st);
	return e;
}

/* GET /api/oidc/clients: OidcClientWithAllowedGroupsCountDto pages. */
enum sy_err oidc_admin_clients_list(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct list_req q;
	struct client_filter f;
	int64_t total;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = list_parse(r, SORTABLE, sizeof SORTABLE / sizeof SORTABLE[0], "c.name, c.id", &q)) ||
	    (e = filter_read(r, &q, &f)) || (e = count_clients(s, r, &f, &total)))
		return e;
	list_clamp(&q, total);
	struct store_stmt *st;
	const char *sql = arena_printf(
	        &r->arena, "SELECT " OIDC_ADMIN_CLIENT_COLS " FROM oidc_clients c%s ORDER BY %s LIMIT ? OFFSET ?",
	        f.sql, q.order);
	if (!sql)
		return SY_E_TOOBIG;
	if ((e = store_prepare(s, sql, &st)))
		return e;
	int i = filter_bind(st, &f);
	store_bind_int(st, i++, q.limit);
	store_bind_int(st, i, q.offset);
	json_t *data = json_array();
	bool row;
	while (!e && !(e = store_step(st, &row)) && row) {
		json_t *d = oidc_admin_client_dto(&r->arena, st, true);
		if (!d)
			e = SY_E_TOOBIG;
		json_array_append_new(data, d);
	}
	store_finalize(st);
	if (e) {
		json_decref(data);
		return e;
	}
	return http_reply_json(r, 200, list_envelope(data, &q));
}
