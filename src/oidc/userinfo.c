/*
 * userinfo.c - what a holder of a token may ask about it: userinfo (OpenID
 * Connect Core §5.3), introspection (RFC 7662, reference §2.10) and
 * revocation (RFC 7009, which Pocket ID lacks).
 */
#include <string.h>
#include <time.h>

#include "../admin/admin.h"
#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

/* ---- access tokens ---- */

/* The claims of a JWT that is an access token of this server: signature,
 * typ at+jwt, not expired; NULL otherwise. Whether it is still honoured is
 * the database's to say (oidc_access_grant). */
static json_t *access_token_claims(struct http_req *r, const char *jwt)
{
	const struct jws_key *k = oidc_key();
	char *payload;
	size_t plen;
	const char *dot = jwt ? strchr(jwt, '.') : NULL;
	uint8_t *h;
	size_t hn;
	if (!dot || strlen(jwt) > JWS_MAX_TOKEN || arena_b64url_decode(&r->arena, jwt, (size_t)(dot - jwt), &h, &hn) ||
	    jws_verify(&r->arena, jwt, strlen(jwt), k, 1, k->alg, &payload, &plen))
		return NULL;
	json_t *header = json_loadb((const char *)h, hn, JSON_REJECT_DUPLICATES, NULL);
	const char *typ = json_string_value(json_object_get(header, "typ"));
	bool ok = typ && strcmp(typ, "at+jwt") == 0;
	json_decref(header);
	json_t *c = ok ? json_loadb(payload, plen, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *exp = json_object_get(c, "exp");
	if (!json_is_integer(exp) || json_integer_value(exp) <= time(NULL)) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* An access token this server issued and still honours: *claims gets the
 * JWT claims, *g the grant. */
static bool access_token_valid(struct http_req *r, struct store *s, const char *jwt, json_t **claims,
                               struct oidc_grant *g)
{
	*claims = access_token_claims(r, jwt);
	if (*claims && !oidc_access_grant(s, &r->arena, *claims, oidc_jwt_signature(jwt), g))
		return true;
	json_decref(*claims);
	*claims = NULL;
	return false;
}

/* Whether an access token of c's id was issued to c, not to a client of the
 * same id deleted before c was created (the deletion took the rows of its
 * users' tokens along; a client_credentials token has none). */
static bool issued_to(const json_t *claims, const struct oidc_client *c)
{
	return json_integer_value(json_object_get(claims, "iat")) >= c->created_at;
}

static bool aud_has(const json_t *claims, const char *want)
{
	json_t *aud = json_object_get(claims, "aud");
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	size_t i;
	json_t *v;
	json_array_foreach(aud, i, v) if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) return true;
	return false;
}

/* RFC 6750 §3: the error in WWW-Authenticate as well as in the body. */
static enum sy_err bearer_error(struct http_req *r, int status, const char *error, const char *description)
{
	http_header_add(r, "WWW-Authenticate",
	                arena_printf(&r->arena, "Bearer error=\"%s\", error_description=\"%s\"", error, description));
	return http_reply_json(r, status, json_pack("{s:s, s:s}", "error", error, "error_description", description));
}

/* The bearer token: the Authorization header, or (RFC 6750 §2.2) a form
 * field of a POST; never both. */
static enum sy_err bearer_token(struct http_req *r, const char **token)
{
	const char *h = http_header_get(r, "Authorization");
	*token = h && strncasecmp(h, "Bearer ", 7) == 0 ? h + 7 : NULL;
	json_t *form = NULL;
	if (r->method == HTTP_POST && r->body_len && !oidc_form(r, &form)) {
		const char *f = oidc_param(form, "access_token");
		if (f && *token) {
			json_decref(form);
			return SY_E_INVALID;
		}
		if (f)
			*token = arena_strdup(&r->arena, f);
	}
	json_decref(form);
	return SY_OK;
}

/* A user's row and the claims of scope, queued (*user_row, *user_claims). */
static enum sy_err queue_user(struct store *s, const char *user_id, const json_t *scope, struct store_stmt **user_row,
                              struct store_stmt **user_claims)
{
	*user_row = *user_claims = NULL;
	enum sy_err e = user_get_queue(s, user_id, user_row);
	if (!e && (e = oidc_claims_queue(s, user_id, scope, user_claims))) {
		store_finalize(*user_row);
		*user_row = NULL;
	}
	return e;
}

/* The answer for a user still there and enabled: the claims of scope (both
 * statements finalized). */
static enum sy_err reply_claims(struct http_req *r, struct store_stmt *user_row, struct store_stmt *user_claims,
                                const json_t *scope)
{
	struct user u;
	enum sy_err e = user_get_read(user_row, &r->arena, &u);
	if (!e && !u.disabled)
		return http_reply_json(r, 200, oidc_claims_read(user_claims, &r->arena, &u, scope));
	store_finalize(user_claims);
	if (e && e != SY_E_NOTFOUND)
		return e;
	return bearer_error(r, 401, "invalid_token", "The user account no longer exists or is disabled.");
}

enum sy_err oidc_userinfo_handler(struct http_req *r)
{
	struct store *s;
	const char *token;
	enum sy_err e = auth_store(r, &s);
	if (e)
		return e;
	if (bearer_token(r, &token))
		return bearer_error(r, 400, "invalid_request",
		                    "Send the access token once, in the header or the body.");
	if (!token || !*token)
		return bearer_error(r, 401, "invalid_request", "No access token was sent.");
	json_t *claims = access_token_claims(r, token);
	if (!claims)
		return bearer_error(r, 401, "invalid_token", "The access token is invalid, expired or revoked.");
	/* the token's row, its user and their claims in one round trip: the
	 * signed sub and scp say which user and which claims */
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	json_t *scp = json_object_get(claims, "scp");
	struct store_stmt *row, *user_row = NULL, *user_claims = NULL;
	struct oidc_grant g = {0};
	if (!(e = oidc_access_queue(s, oidc_jwt_signature(token), &row)) && sub && oidc_scope_has(scp, "openid") &&
	    (e = queue_user(s, sub, scp, &user_row, &user_claims)))
		store_finalize(row);
	bool valid = !e && !oidc_access_read(row, &r->arena, claims, &g);
	bool fit = valid && g.user_id && aud_has(claims, oidc_config()->app_url) && oidc_scope_has(g.scope, "openid");
	if (fit && !(user_row && strcmp(g.user_id, sub) == 0 && json_equal(g.scope, scp))) {
		/* not the row the JWT promised (one another server wrote): read now */
		store_finalize(user_row);
		store_finalize(user_claims);
		e = queue_user(s, g.user_id, g.scope, &user_row, &user_claims);
	}
	json_decref(claims);
	if (!e && !valid)
		e = bearer_error(r, 401, "invalid_token", "The access token is invalid, expired or revoked.");
	else if (!e && !fit)
		e = bearer_error(r, 403, "access_denied",
		                 "The access token was not granted the openid scope for this server.");
	else if (!e) {
		e = reply_claims(r, user_row, user_claims, g.scope);
		user_row = user_claims = NULL;
	}
	store_finalize(user_row);
	store_finalize(user_claims);
	oidc_grant_clear(&g);
	return e;
}

/* ---- introspection ---- */

static json_t *inactive(void)
{
	return json_pack("{s:b}", "active", false);
}

/* The answer for a token of `client`; {"active": false} for anything else. */
static json_t *introspect(struct http_req *r, struct store *s, const struct oidc_client *client, const char *token)
{
	struct oidc_grant g = {0};
	json_t *claims = NULL, *out;
	char *sig;
	int64_t exp = 0;
	bool found = false;
	if (access_token_valid(r, s, token, &claims, &g))
		found = true, exp = json_integer_value(json_object_get(claims, "exp"));
	else if (!oidc_opaque_check(&r->arena, "pocket_id_rt_", token, &sig))
		found = !oidc_grant_find(s, &r->arena, "refresh_token", sig, &g, &exp);
	struct user u;
	bool allowed = true;
	/* active means usable (RFC 7662 §2.2): not for a user who is gone, is
	 * disabled, or has left the client's allowed groups */
	if (found && g.user_id)
		found = !user_get(s, &r->arena, g.user_id, &u) && !u.disabled &&
		        !oidc_client_allows(s, client, u.id, &allowed) && allowed;
	if (!found || strcmp(g.client_id, client->id) != 0 || (claims && !issued_to(claims, client))) {
		out = inactive();
	} else {
		json_t *aud = claims ? json_incref(json_object_get(claims, "aud")) : json_pack("[s]", client->id);
		const char *sub = g.user_id ? g.user_id : arena_printf(&r->arena, "client-%s", client->id);
		out = json_pack(
		        "{s:b, s:o, s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "active", true, "aud", aud, "client_id",
		        client->id, "exp", (json_int_t)exp, "iat",
		        (json_int_t)(claims ? json_integer_value(json_object_get(claims, "iat")) : g.requested_at),
		        "iss", oidc_config()->app_url, "scope", oidc_scope_string(&r->arena, g.scope), "sub", sub,
		        "username", sub);
		json_object_set_new(out, "token_type", json_string(claims ? "access_token" : "refresh_token"));
	}
	json_decref(claims);
	oidc_grant_clear(&g);
	return out;
}

enum sy_err oidc_introspect_handler(struct http_req *r)
{
	struct store *s;
	json_t *form;
	bool answered;
	enum sy_err e = oidc_form_request(r, &s, &form, &answered);
	if (e || answered)
		return e;
	struct oidc_client c;
	bool loaded = false;
	const char *h = http_header_get(r, "Authorization");
	if (h && strncasecmp(h, "Bearer ", 7) == 0 && oidc_param(form, "client_id")) {
		/* reference §2.10 (c): a federated client assertion for that client */
		e = oidc_client_assertion_bearer(r, s, h + 7, oidc_param(form, "client_id"), &c, &answered);
		loaded = !e && !answered;
	} else if (h && strncasecmp(h, "Bearer ", 7) == 0) {
		/* an access token of the calling client stands for its credentials */
		json_t *claims;
		struct oidc_grant g;
		if (!access_token_valid(r, s, h + 7, &claims, &g)) {
			e = oidc_token_error(r, 401, "request_unauthorized", "The bearer token is invalid.");
		} else {
			e = oidc_client_get(s, &r->arena, g.client_id, &c);
			loaded = !e && issued_to(claims, &c);
			if (!e && !loaded)
				oidc_client_clear(&c);
			if (e == SY_E_NOTFOUND || (!e && !loaded))
				e = oidc_token_error(r, 401, "request_unauthorized", "The bearer token is invalid.");
			json_decref(claims);
			oidc_grant_clear(&g);
		}
	} else if (!h || strncasecmp(h, "Basic ", 6) != 0) {
		/* reference §2.10 (a): real credentials only, never a client_id alone */
		e = oidc_token_error(r, 401, "request_unauthorized", "Authenticate with the client's credentials.");
	} else if (!(e = oidc_client_authenticate(r, s, form, false, &c, &answered)) && !answered) {
		loaded = !c.is_public;
		if (c.is_public) {
			oidc_client_clear(&c);
			e = oidc_token_error(r, 401, "invalid_client",
			                     "A public client has no credentials to introspect with.");
		}
	}
	if (loaded) {
		const char *token = oidc_param(form, "token");
		e = !token ? oidc_token_error(r, 400, "invalid_request", "The token parameter is missing.")
		           : http_reply_json(r, 200, introspect(r, s, &c, token));
		oidc_client_clear(&c);
	}
	json_decref(form);
	return e;
}

/* ---- revocation ---- */

/* RFC 7009 §2.1: a refresh token takes its whole family along; an access
 * token goes alone. A token of another client, or none at all, changes
 * nothing, and the answer is the same 200 either way. */
static enum sy_err revoke(struct http_req *r, struct store *s, const struct oidc_client *c, const char *token)
{
	struct oidc_grant g = {0};
	json_t *claims = NULL;
	char *sig;
	enum sy_err e = SY_OK;
	if (access_token_valid(r, s, token, &claims, &g)) {
		if (strcmp(g.client_id, c->id) == 0 && issued_to(claims, c))
			e = oidc_access_revoke(s, claims, oidc_jwt_signature(token), &g);
	} else if (!oidc_opaque_check(&r->arena, "pocket_id_rt_", token, &sig) &&
	           !oidc_grant_find(s, &r->arena, "refresh_token", sig, &g, NULL) && strcmp(g.client_id, c->id) == 0) {
		e = oidc_family_revoke(s, g.request_id);
	}
	json_decref(claims);
	oidc_grant_clear(&g);
	return e;
}

enum sy_err oidc_revoke_handler(struct http_req *r)
{
	struct store *s;
	json_t *form;
	bool answered;
	enum sy_err e = oidc_form_request(r, &s, &form, &answered);
	if (e || answered)
		return e;
	struct oidc_client c;
	const char *token = oidc_param(form, "token");
	if (!(e = oidc_client_authenticate(r, s, form, true, &c, &answered)) && !answered) {
		if (!token)
			e = oidc_token_error(r, 400, "invalid_request", "The token parameter is missing.");
		else if (!(e = revoke(r, s, &c, token)))
			e = http_reply(r, 200, "application/json;charset=UTF-8", "{}", 2);
		oidc_client_clear(&c);
	}
	json_decref(form);
	return e;
}
