/*
 * signup.c - self sign-up (reference §1.14, §8.6): closed, with an
 * administrator's token, or open; and the tokens themselves.
 */
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../http/http.h"
#include "../store/store.h"
#include "admin.h"

#define MAX_TOKEN_TTL (31L * 24 * 3600)

/* Takes one use of a valid token (atomically: the usage count only rises
 * while below the limit); *id its row. SY_E_UNAUTH when there is none to take. */
static enum sy_err token_take(struct store *s, const char *token, char id[37])
{
	struct store_stmt *st;
	enum sy_err e =
	        store_prepare(s,
	                      "UPDATE signup_tokens SET usage_count = usage_count + 1 "
	                      "WHERE token = ? AND expires_at > ts(?) AND usage_count < usage_limit RETURNING id",
	                      &st);
	if (e)
		return e;
	store_bind_text(st, 1, token);
	store_bind_int(st, 2, time(NULL));
	bool row;
	e = store_step(st, &row);
	if (!e && row)
		snprintf(id, 37, "%s", store_col_text(st, 0));
	store_finalize(st);
	return e ? e : row ? SY_OK : SY_E_UNAUTH;
}

/* A failed sign-up gives its use back. */
static void token_release(struct store *s, const char *id)
{
	struct store_stmt *st;
	bool row;
	if (store_prepare(s, "UPDATE signup_tokens SET usage_count = usage_count - 1 WHERE id = ? AND usage_count > 0",
	                  &st))
		return;
	store_bind_text(st, 1, id);
	if (store_step(st, &row))
		log_warn("signup token %s: cannot give back a use", id);
	store_finalize(st);
}

static json_t *token_groups(struct store *s, const char *id)
{
	json_t *ids = json_array();
	struct store_stmt *st;
	if (store_prepare(s, "SELECT user_group_id FROM signup_tokens_user_groups WHERE signup_token_id = ?", &st))
		return ids;
	store_bind_text(st, 1, id);
	bool row;
	while (!store_step(st, &row) && row)
		json_array_append_new(ids, json_string(store_col_text(st, 0)));
	store_finalize(st);
	return ids;
}

enum sy_err signup_handler(struct http_req *r)
{
	struct store *s;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	struct user u = {0};
	const char *given = json_string_value(json_object_get(body, "token"));
	char *token = given ? arena_strdup(&r->arena, given) : NULL;
	char token_id[37] = "";
	if (!json_is_object(body))
		e = SY_E_BODY;
	else if (token && *token) {
		if ((e = token_take(s, token, token_id)) == SY_E_UNAUTH)
			e = http_fail(r, SY_E_UNAUTH, "token_invalid_or_expired", "Token is invalid or expired");
	} else if (strcmp(appcfg_str("allowUserSignups"), "open") != 0) {
		e = http_fail(r, SY_E_DENIED, "open_signup_disabled", "Open user signup is not enabled");
	}
	if (!e && !(e = user_read_body(r, body, &u))) {
		u.email_verified = appcfg_bool("emailsVerified");
		e = user_insert(r, s, &u);
	}
	json_decref(body);
	if (e && *token_id)
		token_release(s, token_id);
	if (e)
		return e;
	/* a token's groups, else the defaults; and the default claims */
	json_t *groups = *token_id ? token_groups(s, token_id) : NULL;
	e = user_apply_defaults(r, s, u.id, groups);
	json_decref(groups);
	if (e || (e = session_issue(r, &u, NULL)))
		return e;
	audit_record(r, s, "ACCOUNT_CREATED", u.id,
	             *token_id ? json_pack("{s:s}", "signupToken", token)
	                       : json_pack("{s:s}", "method", "open_signup"));
	return http_reply_json(r, 201, user_dto(s, &u, false));
}

/* ---- tokens (admin) ---- */

#define TOKEN_COLS "id, token, epoch(expires_at), usage_limit, usage_count, epoch(created_at)"

static json_t *token_row(struct store *s, struct store_stmt *st)
{
	char expires[32], created[32];
	iso8601(store_col_int(st, 2), expires);
	iso8601(store_col_int(st, 5), created);
	json_t *groups = json_array(), *ids = token_groups(s, store_col_text(st, 0));
	size_t i;
	json_t *gid;
	json_array_foreach(ids, i, gid)
	{
		struct store_stmt *g;
		bool row;
		if (store_prepare(s, "SELECT id, friendly_name, name FROM user_groups WHERE id = ?", &g))
			continue;
		store_bind_text(g, 1, json_string_value(gid));
		if (!store_step(g, &row) && row)
			json_array_append_new(groups,
			                      json_pack("{s:s, s:s, s:s}", "id", store_col_text(g, 0), "friendlyName",
			                                store_col_text(g, 1), "name", store_col_text(g, 2)));
		store_finalize(g);
	}
	json_decref(ids);
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:s}", "id", store_col_text(st, 0), "token",
	                 store_col_text(st, 1), "expiresAt", expires, "usageLimit", (json_int_t)store_col_int(st, 3),
	                 "usageCount", (json_int_t)store_col_int(st, 4), "userGroups", groups, "createdAt", created);
}

enum sy_err signup_tokens_create_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	long ttl = 0;
	json_t *limit = json_object_get(body, "usageLimit"), *groups = json_object_get(body, "userGroupIds");
	if (!json_is_object(body))
		e = SY_E_BODY;
	else if (!duration_parse(json_object_get(body, "ttl"), MAX_TOKEN_TTL, &ttl) || ttl <= 0)
		e = http_fail_field(r, "ttl", "invalid", "must be a duration such as 168h, at most 31 days");
	else if (!json_is_integer(limit) || json_integer_value(limit) < 1 || json_integer_value(limit) > 100)
		e = http_fail_field(r, "usageLimit", "range", "must be 1 to 100");
	else if (groups && !json_is_null(groups) && !json_is_array(groups))
		e = http_fail_field(r, "userGroupIds", "invalid", "must be a list of group ids");
	char id[37], token[17];
	int64_t now = time(NULL);
	struct store_stmt *st;
	bool row;
	if (!e && !(e = store_begin(s))) {
		uuid_v4(id);
		sy_random_string(token, 16, SY_ALNUM);
		if (!(e = store_prepare(s,
		                        "INSERT INTO signup_tokens (id, token, expires_at, usage_limit, created_at) "
		                        "VALUES (?, ?, ts(?), ?, ts(?))",
		                        &st))) {
			store_bind_text(st, 1, id);
			store_bind_text(st, 2, token);
			store_bind_int(st, 3, now + ttl);
			store_bind_int(st, 4, json_integer_value(limit));
			store_bind_int(st, 5, now);
			e = store_step(st, &row);
			store_finalize(st);
		}
		size_t i;
		json_t *g;
		json_array_foreach(groups, i, g)
		{
			if (e || !json_is_string(g) ||
			    (e = store_prepare(s,
			                       "INSERT INTO signup_tokens_user_groups (signup_token_id, user_group_id) "
			                       "SELECT ?, id FROM user_groups WHERE id = ? ON CONFLICT DO NOTHING",
			                       &st)))
				continue;
			store_bind_text(st, 1, id);
			store_bind_text(st, 2, json_string_value(g));
			e = store_step(st, &row);
			store_finalize(st);
		}
		if (!e)
			e = store_commit(s);
		if (e)
			store_rollback(s);
	}
	json_decref(body);
	if (e || (e = store_prepare(s, "SELECT " TOKEN_COLS " FROM signup_tokens WHERE id = ?", &st)))
		return e;
	store_bind_text(st, 1, id);
	e = store_step(st, &row);
	json_t *t = !e && row ? token_row(s, st) : NULL;
	store_finalize(st);
	return e ? e : t ? http_reply_json(r, 201, t) : SY_E_INTERNAL;
}

static const struct list_column SORTABLE[] = {{"createdAt", "created_at"},
                                              {"expiresAt", "expires_at"},
                                              {"usageLimit", "usage_limit"},
                                              {"usageCount", "usage_count"}};

enum sy_err signup_tokens_list_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct list_req q;
	struct store_stmt *st;
	bool row;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = list_parse(r, SORTABLE, sizeof SORTABLE / sizeof SORTABLE[0], "created_at DESC, id", &q)) ||
	    (e = store_prepare(s, "SELECT count(*) FROM signup_tokens", &st)))
		return e;
	e = store_step(st, &row);
	int64_t total = !e && row ? store_col_int(st, 0) : 0;
	store_finalize(st);
	if (e)
		return e;
	list_clamp(&q, total);
	if ((e = store_prepare(s,
	                       arena_printf(&r->arena,
	                                    "SELECT " TOKEN_COLS " FROM signup_tokens ORDER BY %s LIMIT ? OFFSET ?",
	                                    q.order),
	                       &st)))
		return e;
	store_bind_int(st, 1, q.limit);
	store_bind_int(st, 2, q.offset);
	json_t *ids = json_array();
	while (!(e = store_step(st, &row)) && row)
		json_array_append_new(ids, json_string(store_col_text(st, 0)));
	store_finalize(st);
	json_t *data = json_array();
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		if (e || (e = store_prepare(s, "SELECT " TOKEN_COLS " FROM signup_tokens WHERE id = ?", &st)))
			continue;
		store_bind_text(st, 1, json_string_value(id));
		if (!(e = store_step(st, &row)) && row)
			json_array_append_new(data, token_row(s, st));
		store_finalize(st);
	}
	json_decref(ids);
	if (e) {
		json_decref(data);
		return e;
	}
	return http_reply_json(r, 200, list_envelope(data, &q));
}

enum sy_err signup_tokens_delete_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	bool row;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = store_run(s, "DELETE FROM signup_tokens WHERE id = ?", (const char *const[]){http_param(r, "id")}, 1,
	                   &row)))
		return e;
	return http_reply_empty(r, 204); /* Pocket ID: 204 also when unknown */
}
