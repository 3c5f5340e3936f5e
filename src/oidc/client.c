/*
 * client.c - OIDC clients as the protocol endpoints read them: the row, its
 * secrets and its group restriction. The administration API is clients_admin.c.
 */
#include <string.h>

#include "../store/store.h"
#include "oidc.h"

#define CLIENT_COLS                                                                                                    \
	"id, name, description, launch_url, callback_urls, logout_callback_urls, credentials, is_public, "             \
	"pkce_enabled, pkce_supported, requires_reauthentication, requires_pushed_authorization_requests, "            \
	"is_group_restricted, skip_consent, image_type, dark_image_type, access_token_duration_minutes, "              \
	"refresh_token_duration_minutes, epoch(created_at)"

/* A JSON column, or def when it is NULL or not of the expected type. */
static json_t *json_col(struct store_stmt *st, int i, json_t *def)
{
	json_t *v = store_col_null(st, i) ? NULL : json_loads(store_col_text(st, i), JSON_REJECT_DUPLICATES, NULL);
	if (v && json_typeof(v) == json_typeof(def)) {
		json_decref(def);
		return v;
	}
	json_decref(v);
	return def;
}

enum sy_err oidc_client_get(struct store *s, struct arena *a, const char *id, struct oidc_client *out)
{
	memset(out, 0, sizeof *out);
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "SELECT " CLIENT_COLS " FROM oidc_clients WHERE id = ?", &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	bool row;
	e = store_step(st, &row);
	if (!e && !row)
		e = SY_E_NOTFOUND;
	if (!e) {
		out->id = store_col_strdup(st, 0, a);
		out->name = store_col_strdup(st, 1, a);
		out->description = store_col_strdup(st, 2, a);
		out->launch_url = store_col_strdup(st, 3, a);
		out->callback_urls = json_col(st, 4, json_array());
		out->logout_callback_urls = json_col(st, 5, json_array());
		json_t *cred = json_col(st, 6, json_object());
		out->secrets = json_incref(json_object_get(cred, "secrets"));
		if (!json_is_array(out->secrets)) {
			json_decref(out->secrets);
			out->secrets = json_array();
		}
		json_decref(cred);
		out->is_public = store_col_bool(st, 7);
		out->pkce_enabled = store_col_bool(st, 8);
		out->pkce_supported = store_col_bool(st, 9);
		out->requires_reauthentication = store_col_bool(st, 10);
		out->requires_par = store_col_bool(st, 11);
		out->is_group_restricted = store_col_bool(st, 12);
		out->skip_consent = store_col_bool(st, 13);
		out->has_logo = !store_col_null(st, 14) && *store_col_text(st, 14);
		out->has_dark_logo = !store_col_null(st, 15) && *store_col_text(st, 15);
		out->access_token_minutes = (long)store_col_int(st, 16);
		out->refresh_token_minutes = (long)store_col_int(st, 17);
		out->created_at = store_col_int(st, 18);
		if (out->access_token_minutes <= 0)
			out->access_token_minutes = 60;
		if (out->refresh_token_minutes <= 0)
			out->refresh_token_minutes = 43200;
	}
	store_finalize(st);
	return e;
}

void oidc_client_clear(struct oidc_client *c)
{
	json_decref(c->callback_urls);
	json_decref(c->logout_callback_urls);
	json_decref(c->secrets);
	c->callback_urls = c->logout_callback_urls = c->secrets = NULL;
}

bool oidc_client_secret_ok(const struct oidc_client *c, const char *secret, int64_t now)
{
	if (!secret || !*secret)
		return false;
	char hex[65];
	sha256_hex(secret, strlen(secret), hex);
	bool ok = false;
	size_t i;
	json_t *one;
	/* every secret is compared, so that the time taken says nothing about which matched */
	json_array_foreach(c->secrets, i, one)
	{
		const char *alg = json_string_value(json_object_get(one, "alg"));
		const char *hash = json_string_value(json_object_get(one, "hash"));
		const char *exp = json_string_value(json_object_get(one, "expiresAt"));
		int64_t until;
		if (!alg || strcmp(alg, "sha256") != 0 || !hash)
			continue;
		if (exp && *exp && (parse_rfc3339(exp, &until) || until <= now))
			continue;
		ok |= sy_ct_equal(hex, 64, hash, strlen(hash));
	}
	return ok;
}

enum sy_err oidc_client_allows(struct store *s, const struct oidc_client *c, const char *user_id, bool *ok)
{
	*ok = !c->is_group_restricted;
	if (*ok)
		return SY_OK;
	struct store_stmt *st;
	enum sy_err e =
	        store_prepare(s,
	                      "SELECT 1 FROM oidc_clients_allowed_user_groups a JOIN user_groups_users m "
	                      "ON m.user_group_id = a.user_group_id WHERE a.oidc_client_id = ? AND m.user_id = ? "
	                      "LIMIT 1",
	                      &st);
	if (e)
		return e;
	store_bind_text(st, 1, c->id);
	store_bind_text(st, 2, user_id);
	e = store_step(st, ok);
	store_finalize(st);
	return e;
}

json_t *oidc_client_meta(const struct oidc_client *c)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:o, s:b, s:s}", "id", c->id, "name", c->name ? c->name : "",
	                 "description", c->description ? c->description : "", "hasLogo", c->has_logo, "hasDarkLogo",
	                 c->has_dark_logo, "launchURL", c->launch_url ? json_string(c->launch_url) : json_null(),
	                 "requiresReauthentication", c->requires_reauthentication, "clientType", "standard");
}
