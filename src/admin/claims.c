/*
 * claims.c - custom claims on users and groups (reference §1.12, §2.8): what
 * the ID token and userinfo carry beyond the standard claims. A key the
 * protocol already uses is refused, as is the same key twice in one list.
 */
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../http/http.h"
#include "../store/store.h"
#include "admin.h"

#define MAX_CLAIMS    100
#define MAX_KEY_LEN   64
#define MAX_VALUE_LEN 4096

/* Claims the protocol sets itself (OpenID Connect Core §5.1 and §2, JWT,
 * RFC 9068) or that Pocket ID derives from the account. */
static const char *const RESERVED[] = {
        "acr",
        "address",
        "amr",
        "at_hash",
        "aud",
        "auth_time",
        "azp",
        "birthdate",
        "c_hash",
        "client_id",
        "display_name",
        "email",
        "email_verified",
        "exp",
        "family_name",
        "gender",
        "given_name",
        "groups",
        "iat",
        "iss",
        "jti",
        "locale",
        "middle_name",
        "name",
        "nbf",
        "nickname",
        "nonce",
        "phone_number",
        "phone_number_verified",
        "picture",
        "preferred_username",
        "profile",
        "rat",
        "scope",
        "scp",
        "sid",
        "sub",
        "type",
        "updated_at",
        "website",
        "zoneinfo",
};

static bool reserved(const char *key)
{
	for (size_t i = 0; i < sizeof RESERVED / sizeof RESERVED[0]; i++)
		if (strcmp(RESERVED[i], key) == 0)
			return true;
	return false;
}

json_t *claims_json(struct store *s, enum claim_owner owner, const char *id)
{
	json_t *list = json_array();
	struct store_stmt *st;
	const char *sql = owner == CLAIMS_USER
	                          ? "SELECT key, value FROM custom_claims WHERE user_id = ? ORDER BY key"
	                          : "SELECT key, value FROM custom_claims WHERE user_group_id = ? ORDER BY key";
	if (store_prepare(s, sql, &st))
		return list;
	store_bind_text(st, 1, id);
	bool row;
	while (!store_step(st, &row) && row)
		json_array_append_new(
		        list, json_pack("{s:s, s:s}", "key", store_col_text(st, 0), "value", store_col_text(st, 1)));
	store_finalize(st);
	return list;
}

char *sql_in_list(struct arena *a, size_t n)
{
	char *out = arena_alloc(a, 2 * n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = '?';
		out[2 * i + 1] = ',';
	}
	out[n ? 2 * n - 1 : 0] = '\0';
	return out;
}

int sql_bind_keys(struct store_stmt *st, int first, const json_t *by_id)
{
	const char *id;
	json_t *v;
	json_object_foreach((json_t *)by_id, id, v) store_bind_text(st, first++, id);
	return first;
}

enum sy_err claims_attach(struct store *s, struct arena *a, enum claim_owner owner, json_t *by_id)
{
	size_t n = json_object_size(by_id);
	if (!n)
		return SY_OK;
	char *in = sql_in_list(a, n);
	if (!in)
		return SY_E_TOOBIG;
	struct store_stmt *st;
	const char *col = owner == CLAIMS_USER ? "user_id" : "user_group_id";
	enum sy_err e = store_prepare(
	        s,
	        arena_printf(a, "SELECT %s, key, value FROM custom_claims WHERE %s IN (%s) ORDER BY key", col, col, in),
	        &st);
	if (e)
		return e;
	sql_bind_keys(st, 1, by_id);
	bool row;
	while (!(e = store_step(st, &row)) && row) {
		json_t *list = json_object_get(json_object_get(by_id, store_col_text(st, 0)), "customClaims");
		json_array_append_new(
		        list, json_pack("{s:s, s:s}", "key", store_col_text(st, 1), "value", store_col_text(st, 2)));
	}
	store_finalize(st);
	return e;
}

/* Checks a [{"key","value"}] list; answers the request on failure. */
static enum sy_err check_list(struct http_req *r, const json_t *list)
{
	if (!json_is_array(list) || json_array_size(list) > MAX_CLAIMS)
		return http_fail(
		        r, SY_E_BODY, "invalid_request_body",
		        arena_printf(&r->arena, "Expected a list of at most %d {key, value} objects", MAX_CLAIMS));
	size_t i, j;
	json_t *c, *d;
	json_array_foreach(list, i, c)
	{
		const char *k = json_string_value(json_object_get(c, "key"));
		json_t *v = json_object_get(c, "value");
		if (!json_is_object(c) || !k || !*k || !json_is_string(v))
			return http_fail_field(r, arena_printf(&r->arena, "[%zu].key", i), "required",
			                       "needs a key and a string value");
		if (strlen(k) > MAX_KEY_LEN || json_string_length(v) > MAX_VALUE_LEN)
			return http_fail_field(r, arena_printf(&r->arena, "[%zu]", i), "max", "is too long");
		if (reserved(k))
			return http_fail(r, SY_E_INVALID, "reserved_claim",
			                 arena_printf(&r->arena, "Claim %s is reserved and can't be used", k));
		json_array_foreach(list, j, d)
		{
			if (j >= i)
				break;
			if (strcmp(json_string_value(json_object_get(d, "key")), k) == 0)
				return http_fail(r, SY_E_INVALID, "duplicate_claim",
				                 arena_printf(&r->arena, "Claim %s is already defined", k));
		}
	}
	return SY_OK;
}

enum sy_err claims_replace(struct store *s, enum claim_owner owner, const char *id, const json_t *list)
{
	struct store_stmt *st;
	bool row;
	enum sy_err e = store_prepare(s,
	                              owner == CLAIMS_USER ? "DELETE FROM custom_claims WHERE user_id = ?"
	                                                   : "DELETE FROM custom_claims WHERE user_group_id = ?",
	                              &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	e = store_step(st, &row);
	store_finalize(st);
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c)
	{
		if (e || (e = store_prepare(
		                  s,
		                  owner == CLAIMS_USER
		                          ? "INSERT INTO custom_claims (id, created_at, key, value, user_id) "
		                            "VALUES (?, ts(?), ?, ?, ?)"
		                          : "INSERT INTO custom_claims (id, created_at, key, value, user_group_id) "
		                            "VALUES (?, ts(?), ?, ?, ?)",
		                  &st)))
			break;
		char cid[37];
		uuid_v4(cid);
		store_bind_text(st, 1, cid);
		store_bind_int(st, 2, time(NULL));
		store_bind_text(st, 3, json_string_value(json_object_get(c, "key")));
		store_bind_text(st, 4, json_string_value(json_object_get(c, "value")));
		store_bind_text(st, 5, id);
		e = store_step(st, &row);
		store_finalize(st);
	}
	return e;
}

static bool exists(struct store *s, enum claim_owner owner, const char *id)
{
	struct store_stmt *st;
	bool row = false;
	if (store_prepare(s,
	                  owner == CLAIMS_USER ? "SELECT 1 FROM users WHERE id = ?"
	                                       : "SELECT 1 FROM user_groups WHERE id = ?",
	                  &st))
		return false;
	store_bind_text(st, 1, id);
	if (store_step(st, &row))
		row = false;
	store_finalize(st);
	return row;
}

static enum sy_err put_claims(struct http_req *r, enum claim_owner owner, const char *param)
{
	struct store *s;
	struct session me;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	const char *id = http_param(r, param);
	if (!exists(s, owner, id))
		return owner == CLAIMS_USER ? http_fail(r, SY_E_NOTFOUND, "user_not_found", "User not found")
		                            : http_fail_details(r, SY_E_NOTFOUND, "not_found", "User group not found",
		                                                json_pack("{s:s}", "resource", "User group"));
	if ((e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	if (!(e = check_list(r, body)) && !(e = store_begin(s))) {
		e = claims_replace(s, owner, id, body);
		if (!e)
			e = store_commit(s);
		if (e)
			store_rollback(s);
	}
	json_decref(body);
	return e ? e : http_reply_json(r, 200, claims_json(s, owner, id));
}

enum sy_err claims_user_handler(struct http_req *r)
{
	return put_claims(r, CLAIMS_USER, "userId");
}

enum sy_err claims_group_handler(struct http_req *r)
{
	return put_claims(r, CLAIMS_GROUP, "userGroupId");
}

enum sy_err claims_suggestions_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct store_stmt *st;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = store_prepare(s, "SELECT key FROM custom_claims GROUP BY key ORDER BY count(*) DESC, key LIMIT 100",
	                       &st)))
		return e;
	json_t *list = json_array();
	bool row;
	while (!(e = store_step(st, &row)) && row)
		json_array_append_new(list, json_string(store_col_text(st, 0)));
	store_finalize(st);
	if (e) {
		json_decref(list);
		return e;
	}
	return http_reply_json(r, 200, list);
}
