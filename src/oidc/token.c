/*
 * token.c - the token endpoint (reference §2.9, RFC 6749 §4.1.3, §5, §6):
 * authorization_code with PKCE, refresh_token with rotation and replay
 * detection, client_credentials; client authentication by
 * client_secret_basic, client_secret_post or none (public clients).
 */
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "../admin/admin.h"
#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

#define MAX_FIELDS 24

/* ---- RFC 6749 §5.2 errors ---- */

enum sy_err oidc_token_error(struct http_req *r, int status, const char *error, const char *description)
{
	json_t *body = json_pack("{s:s, s:s}", "error", error, "error_description", description);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return SY_E_INTERNAL;
	char *copy = arena_strdup(&r->arena, text);
	free(text);
	http_header_add(r, "Cache-Control", "no-store");
	http_header_add(r, "Pragma", "no-cache");
	if (status == 401)
		http_header_add(r, "WWW-Authenticate", "Basic realm=\"symbolon\"");
	return http_reply(r, status, "application/json;charset=UTF-8", copy, strlen(copy));
}

static enum sy_err token_reply(struct http_req *r, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return SY_E_INTERNAL;
	char *copy = arena_strdup(&r->arena, text);
	free(text);
	http_header_add(r, "Cache-Control", "no-store");
	http_header_add(r, "Pragma", "no-cache");
	return http_reply(r, 200, "application/json;charset=UTF-8", copy, strlen(copy));
}

/* ---- form and client authentication ---- */

static enum sy_err put_field(void *ctx, const char *k, const char *v)
{
	json_t *form = ctx;
	if (json_object_size(form) >= MAX_FIELDS)
		return SY_E_INVALID;
	return json_object_set_new(form, k, json_string(v)) ? SY_E_INVALID : SY_OK;
}

enum sy_err oidc_form_request(struct http_req *r, struct store **s, json_t **form, bool *answered)
{
	*answered = false;
	*form = NULL;
	enum sy_err e = auth_store(r, s);
	if (e || !oidc_form(r, form))
		return e;
	json_decref(*form);
	*form = NULL;
	*answered = true;
	return oidc_token_error(r, 400, "invalid_request",
	                        "The body must be an application/x-www-form-urlencoded form.");
}

enum sy_err oidc_form(struct http_req *r, json_t **out)
{
	*out = json_object();
	const char *ct = http_header_get(r, "Content-Type");
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return SY_E_INVALID;
	return http_form_parse(&r->arena, r->body ? r->body : "", r->body_len, MAX_FIELDS, put_field, *out);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* RFC 6749 §2.3.1: the id and secret inside Basic are form-urlencoded. */
static char *form_unescape(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (s[i] == '%') {
			return NULL;
		} else {
			*o++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

enum sy_err oidc_basic_parse(struct arena *a, const char *h, const char **id, const char **secret)
{
	if (!h || strncasecmp(h, "Basic ", 6) != 0)
		return SY_E_NOTFOUND;
	uint8_t *raw;
	size_t n;
	const char *b64 = h + 6;
	/* standard base64, padded: turned into base64url for the one decoder we have */
	size_t len = strlen(b64);
	while (len && b64[len - 1] == '=')
		len--;
	if (len > 4096)
		return SY_E_INVALID;
	char *url = arena_alloc(a, len + 1);
	if (!url)
		return SY_E_INVALID;
	for (size_t i = 0; i < len; i++)
		url[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i] == '-' || b64[i] == '_' ? '!' : b64[i];
	url[len] = '\0';
	if (arena_b64url_decode(a, url, len, &raw, &n))
		return SY_E_INVALID;
	const char *colon = memchr(raw, ':', n);
	if (!colon || memchr(raw, '\0', n))
		return SY_E_INVALID;
	*id = form_unescape(a, (const char *)raw, (size_t)(colon - (const char *)raw));
	*secret = form_unescape(a, colon + 1, n - (size_t)(colon + 1 - (const char *)raw));
	return *id && *secret ? SY_OK : SY_E_INVALID;
}

enum sy_err oidc_client_authenticate(struct http_req *r, struct store *s, const json_t *form, bool allow_post,
                                     struct oidc_client *c, bool *answered)
{
	if (oidc_param(form, "client_assertion_type") || oidc_param(form, "client_assertion"))
		return oidc_client_assertion_authenticate(r, s, form, c, answered);
	*answered = true;
	const char *id = NULL, *secret = NULL;
	enum sy_err b = oidc_basic_parse(&r->arena, http_header_get(r, "Authorization"), &id, &secret);
	const char *fid = oidc_param(form, "client_id"), *fsecret = oidc_param(form, "client_secret");
	if (b == SY_E_INVALID)
		return oidc_token_error(r, 401, "invalid_client",
		                        "The Authorization header is not valid Basic credentials.");
	if (!b && fsecret)
		return oidc_token_error(r, 400, "invalid_request", "Use one client authentication method, not two.");
	if (!b && fid && strcmp(fid, id) != 0)
		return oidc_token_error(r, 400, "invalid_request",
		                        "The client_id differs from the authenticated client.");
	if (b) {
		id = fid;
		secret = allow_post ? fsecret : NULL;
	}
	static const char FAILED[] = "Client authentication failed (unknown client, no client authentication "
	                             "included, or unsupported authentication method).";
	if (!id)
		return oidc_token_error(r, 401, "invalid_client", FAILED);
	enum sy_err e = oidc_client_get(s, &r->arena, id, c);
	if (e == SY_E_NOTFOUND)
		return oidc_token_error(r, 401, "invalid_client", FAILED);
	if (e)
		return e;
	/* a public client has no secret to show: its client_id is all (method none) */
	if (!c->is_public && !oidc_client_secret_ok(c, secret, time(NULL))) {
		oidc_client_clear(c);
		return oidc_token_error(r, 401, "invalid_client", FAILED);
	}
	*answered = false;
	return SY_OK;
}

/* ---- grants ---- */

static const char INVALID_GRANT[] = "The provided authorization grant or refresh token is invalid, expired, "
                                    "revoked, does not match the redirection URI used in the authorization "
                                    "request, or was issued to another client.";

bool oidc_pkce_ok(const struct oidc_grant *g, const char *verifier)
{
	if (!g->code_challenge)
		return verifier == NULL;
	size_t n = verifier ? strlen(verifier) : 0;
	if (n < 43 || n > 128 ||
	    strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != n)
		return false;
	if (g->code_challenge_method && strcmp(g->code_challenge_method, "S256") == 0) {
		uint8_t h[32];
		char enc[48];
		SHA256((const uint8_t *)verifier, n, h);
		b64url_encode(h, sizeof h, enc);
		return sy_ct_equal(enc, strlen(enc), g->code_challenge, strlen(g->code_challenge));
	}
	return sy_ct_equal(verifier, n, g->code_challenge, strlen(g->code_challenge));
}

/* The user behind a grant may still have it: exists, enabled, allowed.
 * user_row: the user's query (user_get_queue; finalized here). */
static enum sy_err user_still_ok(struct http_req *r, struct store *s, const struct oidc_client *c,
                                 struct store_stmt *user_row, struct user *u, bool *answered)
{
	*answered = true;
	enum sy_err e = user_get_read(user_row, &r->arena, u);
	if (e == SY_E_NOTFOUND)
		return oidc_token_error(r, 400, "invalid_grant", "The user account no longer exists.");
	if (e)
		return e;
	if (u->disabled)
		return oidc_token_error(r, 400, "invalid_grant", "The user account is disabled.");
	bool allowed;
	if ((e = oidc_client_allows(s, c, u->id, &allowed)))
		return e;
	if (!allowed)
		return oidc_token_error(r, 403, "access_denied", "You are not allowed to access this service.");
	*answered = false;
	return SY_OK;
}

/* A spent code or refresh token came back: whoever holds it may have stolen
 * it, so every token of its family goes (RFC 6749 §4.1.2, RFC 9700 §4.14). */
static enum sy_err replayed(struct http_req *r, struct store *s, const struct oidc_grant *g)
{
	if (oidc_family_revoke(s, g->request_id))
		log_warn("cannot revoke the tokens of a replayed grant");
	return oidc_token_error(r, 400, "invalid_grant", INVALID_GRANT);
}

/* The code's binding to the request that made it (RFC 6749 §4.1.3, RFC 7636
 * §4.6): the same redirect_uri, and the PKCE verifier. */
static bool code_request_ok(const struct oidc_client *c, const struct oidc_grant *g, const json_t *form)
{
	const char *uri = oidc_param(form, "redirect_uri");
	if (g->redirect_uri
	            ? !uri || strcmp(uri, g->redirect_uri) != 0
	            : uri && !oidc_redirect_match(c->callback_urls, uri, oidc_config()->allow_insecure_callback_urls))
		return false;
	return oidc_pkce_ok(g, oidc_param(form, "code_verifier"));
}

/* sig: the code's key; code_row: its row's query (oidc_grant_find_queue,
 * sent with the client's lookup; finalized here), NULL for a malformed code. */
static enum sy_err code_grant(struct http_req *r, struct store *s, const struct oidc_client *c, const json_t *form,
                              const char *sig, struct store_stmt *code_row)
{
	struct oidc_grant g;
	bool spent, answered;
	if (!code_row)
		return oidc_token_error(r, 400, "invalid_grant", INVALID_GRANT);
	/* checked before it is spent: a wrong verifier or redirect_uri (someone who
	 * intercepted the code) must not use it up for the client it belongs to */
	enum sy_err e = oidc_grant_find_read(code_row, &r->arena, &g, NULL);
	bool found = !e;
	bool fits = found && g.user_id && strcmp(g.client_id, c->id) == 0 && code_request_ok(c, &g, form);
	char *user_id = fits ? arena_strdup(&r->arena, g.user_id) : NULL;
	struct store_stmt *user_row = NULL, *claims = NULL;
	/* the user and their claims go in the spend's round trip */
	if (fits && !(e = user_get_queue(s, user_id, &user_row)))
		e = oidc_claims_queue(s, user_id, g.scope, &claims);
	oidc_grant_clear(&g);
	if (e && e != SY_E_NOTFOUND)
		goto out;
	if (found && !fits) {
		e = oidc_token_error(r, 400, "invalid_grant", INVALID_GRANT);
		goto out;
	}
	/* not found: spent before (a replay, which the spend tells), expired or unknown */
	e = oidc_grant_spend(s, &r->arena, "authorize_code", sig, c->id, &g, &spent);
	if (e == SY_E_NOTFOUND)
		e = spent ? replayed(r, s, &g) : oidc_token_error(r, 400, "invalid_grant", INVALID_GRANT);
	else if (!e && (!user_row || strcmp(g.user_id ? g.user_id : "", user_id) != 0 || !code_request_ok(c, &g, form)))
		e = oidc_token_error(r, 400, "invalid_grant", INVALID_GRANT); /* the row read again, in the spend */
	else if (!e) {
		struct user u;
		struct store_stmt *row = user_row;
		user_row = NULL;
		if (!(e = user_still_ok(r, s, c, row, &u, &answered)) && !answered) {
			json_t *out;
			/* the tokens stay in the code's family: a later replay of the code revokes them */
			g.code_challenge = g.code_challenge_method = g.redirect_uri = NULL;
			e = oidc_issue(r, s, c, &g, &u, claims, &out);
			claims = NULL;
			if (!e)
				e = token_reply(r, out);
		}
	}
	oidc_grant_clear(&g);
out:
	store_finalize(user_row);
	store_finalize(claims);
	return e;
}

size_t oidc_scope_words(const char *scope)
{
	size_t words = 0;
	for (const char *p = scope ? scope : ""; *p;) {
		size_t n = strcspn(p, " ");
		words += n > 0;
		p += n;
		p += strspn(p, " ");
	}
	return words;
}

/* A narrower scope for this refresh's tokens (RFC 6749 §6); never a wider
 * one, nor one this server does not know. The refresh token keeps the scope
 * granted: it "MUST be identical to that of the refresh token included". */
static void narrow_scope(const json_t *form, struct oidc_grant *g, bool *ok)
{
	*ok = true;
	const char *want = oidc_param(form, "scope");
	if (!want)
		return;
	json_t *asked = oidc_scopes_known(want);
	size_t i;
	json_t *v;
	*ok = json_array_size(asked) == oidc_scope_words(want);
	json_array_foreach(asked, i, v) *ok = *ok && oidc_scope_has(g->scope, json_string_value(v));
	if (*ok) {
		g->refresh_scope = g->scope;
		g->scope = asked;
	} else {
		json_decref(asked);
	}
}

/* The tokens of a refresh its checks allow: the user (read with their
 * claims in one round trip) must still have the grant; the access tokens
 * issued before it stop working. */
static enum sy_err refresh_issue(struct http_req *r, struct store *s, const struct oidc_client *c, struct oidc_grant *g)
{
	struct store_stmt *user_row, *claims;
	enum sy_err e = oidc_claims_queue(s, g->user_id, g->scope, &claims);
	if (e || (e = user_get_queue(s, g->user_id, &user_row))) {
		store_finalize(claims);
		return e;
	}
	struct user u;
	bool answered;
	const char *args[] = {g->request_id};
	json_t *out;
	g->nonce = NULL; /* OpenID Connect Core §12.2: no nonce in a refreshed ID token */
	if ((e = user_still_ok(r, s, c, user_row, &u, &answered)) || answered ||
	    (e = store_run(s,
	                   "UPDATE oauth2_sessions SET active = FALSE WHERE request_id = ? AND kind = 'access_token'",
	                   args, 1, NULL))) {
		store_finalize(claims);
		return e;
	}
	e = oidc_issue(r, s, c, g, &u, claims, &out);
	return e ? e : token_reply(r, out);
}

static enum sy_err refresh_grant(struct http_req *r, struct store *s, const struct oidc_client *c, const json_t *form)
{
	char *sig;
	struct oidc_grant g;
	bool spent, ok;
	if (oidc_opaque_check(&r->arena, "pocket_id_rt_", oidc_param(form, "refresh_token"), &sig))
		return oidc_token_error(r, 400, "invalid_grant", INVALID_GRANT);
	enum sy_err e = oidc_grant_spend(s, &r->arena, "refresh_token", sig, c->id, &g, &spent);
	if (e == SY_E_NOTFOUND)
		return spent ? replayed(r, s, &g) : oidc_token_error(r, 400, "invalid_grant", INVALID_GRANT);
	if (e)
		return e;
	if (strcmp(g.client_id, c->id) != 0 || !g.user_id)
		e = oidc_token_error(r, 400, "invalid_grant", INVALID_GRANT);
	else if (narrow_scope(form, &g, &ok), !ok)
		e = oidc_token_error(r, 400, "invalid_scope", "A refresh cannot widen the granted scope.");
	else
		e = refresh_issue(r, s, c, &g);
	oidc_grant_clear(&g);
	return e;
}

static enum sy_err client_credentials_grant(struct http_req *r, struct store *s, const struct oidc_client *c,
                                            const json_t *form)
{
	if (c->is_public)
		return oidc_token_error(r, 400, "unauthorized_client",
		                        "A public client cannot use client_credentials.");
	/* only the standard scopes may be named, and they mean nothing without a user */
	const char *want = oidc_param(form, "scope");
	json_t *known = oidc_scopes_known(want);
	bool ok = json_array_size(known) == oidc_scope_words(want);
	json_decref(known);
	if (!ok)
		return oidc_token_error(r, 400, "invalid_scope", "Only the standard scopes may be requested.");
	char request_id[37];
	uuid_v4(request_id);
	struct oidc_grant g = {.request_id = request_id,
	                       .client_id = c->id,
	                       .scope = json_array(),
	                       .requested_at = time(NULL),
	                       .auth_time = time(NULL)};
	json_t *out;
	enum sy_err e = oidc_issue(r, s, c, &g, NULL, NULL, &out);
	oidc_grant_clear(&g);
	return e ? e : token_reply(r, out);
}

enum sy_err oidc_token_handler(struct http_req *r)
{
	struct store *s;
	json_t *form;
	bool answered;
	enum sy_err e = oidc_form_request(r, &s, &form, &answered);
	if (e || answered)
		return e;
	const char *grant = oidc_param(form, "grant_type");
	struct oidc_client c;
	/* a code's row is read in the round trip of the client's lookup (and
	 * dropped if the client fails to authenticate) */
	char *code_sig = NULL;
	struct store_stmt *code_row = NULL;
	if (grant && strcmp(grant, "authorization_code") == 0 &&
	    !oidc_opaque_check(&r->arena, "pocket_id_ac_", oidc_param(form, "code"), &code_sig) &&
	    (e = oidc_grant_find_queue(s, "authorize_code", code_sig, &code_row))) {
		json_decref(form);
		return e;
	}
	if (!grant) {
		e = oidc_token_error(r, 400, "invalid_request", "The grant_type parameter is missing.");
	} else if (strcmp(grant, "authorization_code") != 0 && strcmp(grant, "refresh_token") != 0 &&
	           strcmp(grant, "client_credentials") != 0) {
		e = oidc_token_error(r, 400, "unsupported_grant_type", "This grant type is not supported.");
	} else if (!(e = oidc_client_authenticate(r, s, form, true, &c, &answered)) && !answered) {
		if (strcmp(grant, "authorization_code") == 0) {
			e = code_grant(r, s, &c, form, code_sig, code_row);
			code_row = NULL;
		} else if (strcmp(grant, "refresh_token") == 0)
			e = refresh_grant(r, s, &c, form);
		else
			e = client_credentials_grant(r, s, &c, form);
		oidc_client_clear(&c);
	}
	store_finalize(code_row);
	json_decref(form);
	return e;
}
