/*
 * apikeys.c - API keys (reference §1.11, §8.4): a user's keys for scripts and
 * integrations such as openZro's user listing. The token is shown once; only
 * its SHA-256 is stored. Creating and renewing need a real session, so a
 * leaked key cannot mint more keys.
 */
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../crypto/crypto.h"
#include "../http/http.h"
#include "../store/store.h"
#include "admin.h"

#define KEY_COLS                                                                                                       \
	"id, name, description, epoch(expires_at), epoch(last_used_at), epoch(created_at), expiration_email_sent"

static json_t *time_or_null(struct store_stmt *st, int i)
{
	if (store_col_null(st, i))
		return json_null();
	char buf[32];
	iso8601(store_col_int(st, i), buf);
	return json_string(buf);
}

static json_t *key_row(struct store_stmt *st)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:b}", "id", store_col_text(st, 0), "name",
	                 store_col_text(st, 1), "description",
	                 store_col_null(st, 2) ? json_null() : json_string(store_col_text(st, 2)), "expiresAt",
	                 time_or_null(st, 3), "lastUsedAt", time_or_null(st, 4), "createdAt", time_or_null(st, 5),
	                 "expirationEmailSent", store_col_bool(st, 6));
}

static enum sy_err key_json(struct store *s, const char *id, json_t **out)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "SELECT " KEY_COLS " FROM api_keys WHERE id = ?", &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	bool row;
	e = store_step(st, &row);
	*out = !e && row ? key_row(st) : NULL;
	store_finalize(st);
	return e ? e : *out ? SY_OK : SY_E_NOTFOUND;
}

static const struct list_column SORTABLE[] = {
        {"name", "name"}, {"expiresAt", "expires_at"}, {"lastUsedAt", "last_used_at"}, {"createdAt", "created_at"}};

enum sy_err apikeys_list_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct list_req q;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)) ||
	    (e = list_parse(r, SORTABLE, sizeof SORTABLE / sizeof SORTABLE[0], "created_at, id", &q)))
		return e;
	struct store_stmt *st;
	bool row;
	if ((e = store_prepare(s, "SELECT count(*) FROM api_keys WHERE user_id = ?", &st)))
		return e;
	store_bind_text(st, 1, me.user.id);
	e = store_step(st, &row);
	int64_t total = !e && row ? store_col_int(st, 0) : 0;
	store_finalize(st);
	if (e)
		return e;
	list_clamp(&q, total);
	if ((e = store_prepare(s,
	                       arena_printf(&r->arena,
	                                    "SELECT " KEY_COLS
	                                    " FROM api_keys WHERE user_id = ? ORDER BY %s LIMIT ? OFFSET ?",
	                                    q.order),
	                       &st)))
		return e;
	store_bind_text(st, 1, me.user.id);
	store_bind_int(st, 2, q.limit);
	store_bind_int(st, 3, q.offset);
	json_t *data = json_array();
	while (!(e = store_step(st, &row)) && row)
		json_array_append_new(data, key_row(st));
	store_finalize(st);
	if (e) {
		json_decref(data);
		return e;
	}
	return http_reply_json(r, 200, list_envelope(data, &q));
}

/* "expiresAt": an RFC 3339 time in the future. */
static enum sy_err read_expiry(struct http_req *r, const json_t *body, int64_t *out)
{
	const char *v = json_string_value(json_object_get(body, "expiresAt"));
	if (!v)
		return http_fail_field(r, "expiresAt", "required", "is required");
	if (parse_rfc3339(v, out))
		return http_fail_field(r, "expiresAt", "datetime", "must be a date and time (RFC 3339)");
	if (*out <= time(NULL))
		return http_fail(r, SY_E_INVALID, "invalid_api_key_expiration",
		                 "API key expiration date must be in the future");
	return SY_OK;
}

/* A new token: 32 letters and digits, and the SHA-256 hex that is stored. */
static void new_token(char token[33], char hash[65])
{
	sy_random_string(token, 32, SY_ALNUM);
	sha256_hex(token, 32, hash);
}

static enum sy_err reply_with_token(struct http_req *r, struct store *s, const char *id, const char *token, int status)
{
	json_t *k;
	enum sy_err e = key_json(s, id, &k);
	if (e)
		return e;
	return http_reply_json(r, status, json_pack("{s:o, s:s}", "apiKey", k, "token", token));
}

enum sy_err apikeys_create_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_session_only(r, s, &me)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *desc = json_string_value(json_object_get(body, "description"));
	int64_t expires = 0;
	if (!name || strlen(name) < 3 || strlen(name) > 50)
		e = http_fail_field(r, "name", "length", "must be 3 to 50 characters");
	else if (desc && strlen(desc) > 250)
		e = http_fail_field(r, "description", "max", "must be at most 250 characters");
	else
		e = read_expiry(r, body, &expires);
	char token[33], hash[65], id[37];
	struct store_stmt *st;
	if (!e &&
	    !(e = store_prepare(s,
	                        "INSERT INTO api_keys (id, name, key, description, expires_at, created_at, user_id) "
	                        "VALUES (?, ?, ?, ?, ts(?), ts(?), ?)",
	                        &st))) {
		new_token(token, hash);
		uuid_v4(id);
		store_bind_text(st, 1, id);
		store_bind_text(st, 2, name);
		store_bind_text(st, 3, hash);
		if (desc)
			store_bind_text(st, 4, desc);
		else
			store_bind_null(st, 4);
		store_bind_int(st, 5, expires);
		store_bind_int(st, 6, time(NULL));
		store_bind_text(st, 7, me.user.id);
		bool row;
		e = store_step(st, &row);
		store_finalize(st);
		if (e == SY_E_CONFLICT)
			e = http_fail(r, SY_E_CONFLICT, "already_in_use", "API key name is already in use");
	}
	json_decref(body);
	return e ? e : reply_with_token(r, s, id, token, 201);
}

static enum sy_err key_not_found(struct http_req *r)
{
	return http_fail(r, SY_E_NOTFOUND, "api_key_not_found", "API key not found");
}

enum sy_err apikeys_renew_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_session_only(r, s, &me)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	int64_t expires = 0;
	e = read_expiry(r, body, &expires);
	json_decref(body);
	if (e)
		return e;
	const char *id = http_param(r, "id");
	struct store_stmt *st;
	bool row;
	if ((e = store_prepare(s, "SELECT epoch(expires_at) FROM api_keys WHERE id = ? AND user_id = ?", &st)))
		return e;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, me.user.id);
	e = store_step(st, &row);
	int64_t old = !e && row ? store_col_int(st, 0) : 0;
	store_finalize(st);
	if (e)
		return e;
	if (!row)
		return key_not_found(r);
	if (old > time(NULL))
		return http_fail(r, SY_E_CONFLICT, "api_key_not_expired", "API key is not expired yet");
	char token[33], hash[65];
	new_token(token, hash);
	if ((e = store_prepare(s,
	                       "UPDATE api_keys SET key = ?, expires_at = ts(?), expiration_email_sent = ? "
	                       "WHERE id = ? AND user_id = ?",
	                       &st)))
		return e;
	store_bind_text(st, 1, hash);
	store_bind_int(st, 2, expires);
	store_bind_int(st, 3, 0);
	store_bind_text(st, 4, id);
	store_bind_text(st, 5, me.user.id);
	e = store_step(st, &row);
	store_finalize(st);
	return e ? e : reply_with_token(r, s, id, token, 200);
}

enum sy_err apikeys_delete_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	bool row;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)) ||
	    (e = store_run(s, "DELETE FROM api_keys WHERE id = ? AND user_id = ? RETURNING id",
	                   (const char *const[]){http_param(r, "id"), me.user.id}, 2, &row)))
		return e;
	return row ? http_reply_empty(r, 204) : key_not_found(r);
}
