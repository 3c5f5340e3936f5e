/*
 * session.c - Pocket ID's own login session (reference §3.5): a JWT signed with
 * the instance key, sent back in an HttpOnly cookie or an Authorization header,
 * and the route guards built on it (reference §0.2).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../crypto/crypto.h"
#include "../http/http.h"
#include "../store/store.h"
#include "auth.h"

#define CLOCK_SKEW 60 /* seconds, as Pocket ID allows */

static const struct sy_config *CFG;
static const struct jws_key *KEY;
static bool https;
static char rp_id[256];

void auth_setup(const struct sy_config *cfg, const struct jws_key *key)
{
	CFG = cfg;
	KEY = key;
	https = strncmp(cfg->app_url, "https://", 8) == 0;
	/* APP_URL is normalised at load: scheme://host[:port], lower case */
	const char *host = strstr(cfg->app_url, "://") + 3;
	size_t n = strcspn(host, ":/");
	if (host[0] == '[') /* an IPv6 literal keeps its brackets out of the RP ID */
		n = strcspn(host, "]") + 1;
	snprintf(rp_id, sizeof rp_id, "%.*s", (int)n, host);
}

const struct sy_config *auth_config(void)
{
	return CFG;
}

const char *auth_app_url(void)
{
	return CFG->app_url;
}

const char *auth_rp_id(void)
{
	return rp_id;
}

const char *auth_cookie_name(const char *base, bool secure_only)
{
	static __thread char name[64];
	if (!https)
		return base;
	snprintf(name, sizeof name, "%s%s", secure_only ? "__Secure-" : "__Host-", base);
	return name;
}

enum sy_err session_issue(struct http_req *r, const struct user *u, const char *amr)
{
	long minutes = appcfg_long("sessionDuration");
	int64_t now = time(NULL);
	char jti[37];
	uuid_v4(jti);
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "sub", u->id, "iss", CFG->app_url, "aud",
	                      CFG->app_url, "iat", (json_int_t)now, "exp", (json_int_t)(now + minutes * 60), "jti", jti,
	                      "type", "access-token");
	if (u->is_admin)
		json_object_set_new(c, "isAdmin", json_true());
	if (amr)
		json_object_set_new(c, "amr", json_pack("[s]", amr));
	char *payload = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	if (!payload)
		return SY_E_INTERNAL;
	char *jwt;
	enum sy_err e = jws_sign(&r->arena, KEY, NULL, payload, strlen(payload), &jwt);
	free(payload);
	if (e)
		return e;
	http_set_cookie(r, auth_cookie_name("access_token", false), jwt, minutes * 60, NULL);
	return SY_OK;
}

/* The token from the cookie, else from "Authorization: <scheme> <token>". */
static const char *token_of(struct http_req *r)
{
	const char *t = http_cookie(r, auth_cookie_name("access_token", false));
	if (t && *t)
		return t;
	const char *h = http_header_get(r, "Authorization");
	const char *sp = h ? strchr(h, ' ') : NULL;
	return sp && sp[1] ? sp + 1 : NULL;
}

static bool str_is(const json_t *j, const char *want)
{
	return json_is_string(j) && strcmp(json_string_value(j), want) == 0;
}

/* SY_OK with the claims checked; SY_E_UNAUTH for anything else. */
static enum sy_err verify(struct http_req *r, const char *token, struct session *out, const char **sub)
{
	char *payload;
	size_t plen;
	if (strlen(token) > JWS_MAX_TOKEN ||
	    jws_verify(&r->arena, token, strlen(token), KEY, 1, KEY->alg, &payload, &plen))
		return SY_E_UNAUTH;
	json_t *c = json_loadb(payload, plen, JSON_REJECT_DUPLICATES, NULL);
	int64_t now = time(NULL);
	json_t *exp = json_object_get(c, "exp"), *iat = json_object_get(c, "iat"), *amr = json_object_get(c, "amr");
	bool ok = json_is_object(c) && str_is(json_object_get(c, "iss"), CFG->app_url) &&
	          str_is(json_object_get(c, "aud"), CFG->app_url) &&
	          str_is(json_object_get(c, "type"), "access-token") && json_is_integer(exp) &&
	          json_integer_value(exp) + CLOCK_SKEW > now && json_is_integer(iat) &&
	          json_integer_value(iat) <= now + CLOCK_SKEW && json_is_string(json_object_get(c, "sub"));
	if (ok) {
		*sub = arena_strdup(&r->arena, json_string_value(json_object_get(c, "sub")));
		out->iat = json_integer_value(iat);
		json_t *m = json_array_get(amr, 0);
		out->amr = json_is_string(m) ? arena_strdup(&r->arena, json_string_value(m)) : NULL;
	}
	json_decref(c);
	return ok && *sub ? SY_OK : SY_E_UNAUTH;
}

enum sy_err auth_store(struct http_req *r, struct store **out)
{
	*out = store_thread();
	if (!*out)
		log_error("request %s: no database connection", r->request_id);
	return *out ? SY_OK : SY_E_STORE;
}

#define STATIC_USER_ID "00000000-0000-0000-0000-000000000000"
#define LAST_USED_STEP 60 /* seconds: last_used_at is a hint, not a write per request */

/* X-API-KEY (reference §0.2, §8.4): STATIC_API_KEY acts as a synthetic admin;
 * other keys are looked up by their SHA-256 and act as their owner. */
static enum sy_err api_key_user(struct http_req *r, struct store *s, struct session *out)
{
	const char *key = http_header_get(r, "X-API-KEY");
	if (!key || !*key || strlen(key) > 256)
		return SY_E_UNAUTH;
	if (CFG->static_api_key && sy_ct_equal(key, strlen(key), CFG->static_api_key, strlen(CFG->static_api_key))) {
		snprintf(out->user.id, sizeof out->user.id, "%s", STATIC_USER_ID);
		out->user.username = "static-api-key";
		out->user.first_name = out->user.last_name = out->user.display_name = "";
		out->user.is_admin = true;
		out->api_key = true;
		return SY_OK;
	}
	char hash[65];
	sha256_hex(key, strlen(key), hash);
	int64_t now = time(NULL);
	struct store_stmt *st;
	enum sy_err e = store_prepare(
	        s, "SELECT user_id, id, epoch(last_used_at) FROM api_keys WHERE key = ? AND expires_at > ts(?)", &st);
	if (e)
		return e;
	store_bind_text(st, 1, hash);
	store_bind_int(st, 2, now);
	bool row;
	e = store_step(st, &row);
	char *owner = !e && row ? arena_strdup(&r->arena, store_col_text(st, 0)) : NULL;
	char *id = !e && row ? arena_strdup(&r->arena, store_col_text(st, 1)) : NULL;
	bool stale = !e && row && (store_col_null(st, 2) || store_col_int(st, 2) + LAST_USED_STEP < now);
	store_finalize(st);
	if (e)
		return e;
	if (!owner || !id)
		return SY_E_UNAUTH;
	if ((e = user_get(s, &r->arena, owner, &out->user)))
		return e == SY_E_NOTFOUND ? SY_E_UNAUTH : e;
	if (out->user.disabled)
		return http_fail(r, SY_E_DENIED, "user_disabled", "User account is disabled");
	out->api_key = true;
	if (stale && !store_prepare(s, "UPDATE api_keys SET last_used_at = ts(?) WHERE id = ?", &st)) {
		store_bind_int(st, 1, now);
		store_bind_text(st, 2, id);
		if (store_step(st, &row))
			log_warn("api key %s: cannot record its use", id);
		store_finalize(st);
	}
	return SY_OK;
}

enum sy_err auth_user(struct http_req *r, struct store *s, struct session *out)
{
	const char *token = token_of(r), *sub = NULL;
	memset(out, 0, sizeof *out);
	/* a missing or invalid session falls back to an API key, as in Pocket ID */
	if (!token || verify(r, token, out, &sub))
		return api_key_user(r, s, out);
	enum sy_err e = user_get(s, &r->arena, sub, &out->user);
	if (e == SY_E_NOTFOUND)
		return SY_E_UNAUTH;
	if (e)
		return e;
	if (out->user.disabled)
		return http_fail(r, SY_E_DENIED, "user_disabled", "User account is disabled");
	return SY_OK;
}

const char *auth_session_queue(struct http_req *r, struct store *s, struct session *out, struct store_stmt **st)
{
	const char *token = http_cookie(r, auth_cookie_name("access_token", false)), *sub = NULL;
	memset(out, 0, sizeof *out);
	*st = NULL;
	if (!token || !*token || verify(r, token, out, &sub) || user_get_queue(s, sub, st))
		return NULL;
	return sub;
}

enum sy_err auth_session_read(struct http_req *r, struct store_stmt *st, struct session *out)
{
	if (!st)
		return SY_E_UNAUTH;
	enum sy_err e = user_get_read(st, &r->arena, &out->user);
	if (e == SY_E_NOTFOUND)
		return SY_E_UNAUTH;
	if (!e && out->user.disabled)
		return SY_E_DENIED;
	return e;
}

enum sy_err auth_session_peek(struct http_req *r, struct store *s, struct session *out)
{
	struct store_stmt *st;
	(void)auth_session_queue(r, s, out, &st);
	return auth_session_read(r, st, out);
}

bool auth_session_verify(struct http_req *r, const char *token, struct session *out, const char **sub)
{
	memset(out, 0, sizeof *out);
	return token && !verify(r, token, out, sub);
}

enum sy_err auth_session_only(struct http_req *r, struct store *s, struct session *out)
{
	enum sy_err e = auth_user(r, s, out);
	if (!e && out->api_key)
		return http_fail(r, SY_E_DENIED, "api_key_auth_not_allowed",
		                 "API key authentication is not allowed for this endpoint");
	if (e == SY_E_UNAUTH && http_header_get(r, "X-API-KEY"))
		return http_fail(r, SY_E_DENIED, "api_key_auth_not_allowed",
		                 "API key authentication is not allowed for this endpoint");
	return e;
}

enum sy_err auth_admin(struct http_req *r, struct store *s, struct session *out)
{
	enum sy_err e = auth_user(r, s, out);
	if (!e && !out->user.is_admin)
		e = SY_E_DENIED;
	return e;
}
