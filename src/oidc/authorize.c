/*
 * authorize.c - the authorization endpoint (reference §2.6): GET or POST
 * /authorize, the code flow only. A request is checked in the order that
 * decides where an error may go: until the client and its redirect_uri are
 * known, errors go to our own error page, never to a URI the client did not
 * register; after, to the client in the asked response mode. What needs the
 * person (sign-in, account choice, re-authentication, consent) is parked in
 * interaction_sessions and resumed with ?interaction=<id>.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../admin/admin.h"
#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

#define CODE_TTL   900 /* seconds, as Pocket ID */
#define MAX_FIELDS 48

static const char *const KNOWN_SCOPES[] = {"openid", "profile", "email", "groups", "offline_access"};

/* ---- parameters ---- */

static enum sy_err put_param(void *ctx, const char *k, const char *v)
{
	json_t *params = ctx;
	/* RFC 6749 §3.1: a parameter sent twice makes the request invalid */
	if (json_object_get(params, k) || json_object_size(params) >= MAX_FIELDS)
		return SY_E_INVALID;
	return json_object_set_new(params, k, json_string(v)) ? SY_E_INVALID : SY_OK;
}

static bool form_body(struct http_req *r)
{
	const char *ct = http_header_get(r, "Content-Type");
	return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

/* The request's parameters: the query, or for a POST the form body. */
static enum sy_err read_params(struct http_req *r, json_t **out)
{
	*out = json_object();
	if (r->method == HTTP_POST && r->body_len)
		return form_body(r) ? http_form_parse(&r->arena, r->body, r->body_len, MAX_FIELDS, put_param, *out)
		                    : SY_E_INVALID;
	return http_query_each(r, put_param, *out);
}

const char *oidc_param(const json_t *params, const char *k)
{
	const char *v = json_string_value(json_object_get(params, k));
	return v && *v ? v : NULL;
}

enum sy_err oidc_request_object_merge(struct arena *a, json_t *params)
{
	const char *jwt = oidc_param(params, "request");
	if (!jwt) {
		json_object_del(params, "request"); /* an empty one is none */
		return SY_OK;
	}
	const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d2 || d2[1] || strlen(jwt) > JWS_MAX_TOKEN)
		return SY_E_INVALID;
	uint8_t *h, *p;
	size_t hn, pn;
	if (arena_b64url_decode(a, jwt, (size_t)(d1 - jwt), &h, &hn) ||
	    arena_b64url_decode(a, d1 + 1, (size_t)(d2 - d1 - 1), &p, &pn))
		return SY_E_INVALID;
	json_t *header = json_loadb((const char *)h, hn, JSON_REJECT_DUPLICATES, NULL);
	json_t *claims = json_loadb((const char *)p, pn, JSON_REJECT_DUPLICATES, NULL);
	bool ok = json_is_object(header) && json_is_string(json_object_get(header, "alg")) &&
	          strcmp(json_string_value(json_object_get(header, "alg")), "none") == 0 && json_is_object(claims);
	const char *k;
	json_t *v;
	const char *outer = oidc_param(params, "client_id");
	json_t *inner = json_object_get(claims, "client_id");
	if (ok && outer && inner && (!json_is_string(inner) || strcmp(json_string_value(inner), outer) != 0))
		ok = false;
	json_object_foreach(ok ? claims : NULL, k, v)
	{
		if (json_is_string(v))
			json_object_set(params, k, v);
		else if (json_is_integer(v))
			json_object_set_new(params, k, json_string(arena_printf(a, "%lld", json_integer_value(v))));
		else if (!json_is_null(v)) {
			/* e.g. the claims parameter: kept as the JSON text it would have been outside */
			char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			json_object_set_new(params, k, json_string(text ? text : ""));
			free(text);
		}
	}
	json_decref(header);
	json_decref(claims);
	json_object_del(params, "request");
	return ok ? SY_OK : SY_E_INVALID;
}

/* ---- answers ---- */

enum sy_err oidc_error_page(struct http_req *r, const char *message)
{
	http_header_add(r, "Location",
	                arena_printf(&r->arena, "/interaction/error?error=%s", http_url_encode(&r->arena, message)));
	return http_reply_empty(r, 302);
}

static enum sy_err form_post(struct http_req *r, const char *uri, json_t *fields)
{
	char *inputs = "";
	const char *k;
	json_t *v;
	json_object_foreach(fields, k, v) inputs =
	        arena_printf(&r->arena, "%s<input type=\"hidden\" name=\"%s\" value=\"%s\">", inputs,
	                     http_html_escape(&r->arena, k), http_html_escape(&r->arena, json_string_value(v)));
	char *page = arena_printf(&r->arena,
	                          "<!doctype html><html><head><meta charset=\"utf-8\"><title>Signing in</title></head>"
	                          "<body><form method=\"post\" action=\"%s\">%s<noscript><button type=\"submit\">"
	                          "Continue</button></noscript></form><script nonce=\"%s\">"
	                          "document.forms[0].submit()</script></body></html>",
	                          http_html_escape(&r->arena, uri), inputs, r->nonce);
	/* the form goes to the client, another origin: only this page may post
	 * there. The policy names the callback's origin (scheme and authority)
	 * only: a path or query may hold characters (';', ',') that end a CSP
	 * directive. */
	const char *auth = strstr(uri, "://");
	size_t origin = auth ? (size_t)(auth + 3 - uri) + strcspn(auth + 3, "/?#") : strcspn(uri, ":") + 1;
	http_header_add(r, "Content-Security-Policy",
	                arena_printf(&r->arena,
	                             "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action %.*s; "
	                             "script-src 'nonce-%s'",
	                             (int)origin, uri, r->nonce));
	return http_reply(r, 200, "text/html; charset=utf-8", page, strlen(page));
}

enum sy_err oidc_respond(struct http_req *r, const char *redirect_uri, const char *mode, json_t *fields)
{
	if (mode && strcmp(mode, "form_post") == 0) {
		enum sy_err e = form_post(r, redirect_uri, fields);
		json_decref(fields);
		return e;
	}
	bool fragment = mode && strcmp(mode, "fragment") == 0;
	char *q = "";
	const char *k;
	json_t *v;
	json_object_foreach(fields, k, v) q =
	        arena_printf(&r->arena, "%s%s%s=%s", q, *q ? "&" : "", http_url_encode(&r->arena, k),
	                     http_url_encode(&r->arena, json_string_value(v)));
	json_decref(fields);
	size_t base = fragment ? strcspn(redirect_uri, "#") : strlen(redirect_uri);
	const char *sep = !*q ? "" : fragment ? "#" : strchr(redirect_uri, '?') ? "&" : "?";
	http_header_add(r, "Location", arena_printf(&r->arena, "%.*s%s%s", (int)base, redirect_uri, sep, q));
	return http_reply_empty(r, 302);
}

static enum sy_err client_error(struct http_req *r, const struct oidc_request *q, const char *error,
                                const char *description)
{
	if (q->pushed) /* RFC 9126 §2.3: a pushed request hears its errors at once, as JSON */
		return oidc_token_error(r, 400, error, description);
	json_t *f = json_pack("{s:s, s:s}", "error", error, "error_description", description);
	if (q->state)
		json_object_set_new(f, "state", json_string(q->state));
	json_object_set_new(f, "iss", json_string(oidc_config()->app_url));
	return oidc_respond(r, q->redirect_uri, q->response_mode, f);
}

/* ---- checks, in order ---- */

json_t *oidc_scopes_known(const char *scope)
{
	json_t *out = json_array();
	for (const char *p = scope ? scope : ""; *p;) {
		size_t n = strcspn(p, " ");
		for (size_t i = 0; n && i < sizeof KNOWN_SCOPES / sizeof KNOWN_SCOPES[0]; i++)
			if (strlen(KNOWN_SCOPES[i]) == n && strncmp(KNOWN_SCOPES[i], p, n) == 0 &&
			    !oidc_scope_has(out, KNOWN_SCOPES[i]))
				json_array_append_new(out, json_string(KNOWN_SCOPES[i]));
		p += n;
		p += strspn(p, " ");
	}
	return out;
}

bool oidc_prompt_parse(const char *prompt, unsigned *out)
{
	static const char *const NAMES[] = {"none", "login", "consent", "select_account"};
	*out = 0;
	for (const char *p = prompt ? prompt : ""; *p;) {
		size_t n = strcspn(p, " ");
		size_t i = 0;
		while (i < 4 && !(strlen(NAMES[i]) == n && strncmp(NAMES[i], p, n) == 0))
			i++;
		if (i == 4)
			return false;
		*out |= 1u << i;
		p += n;
		p += strspn(p, " ");
	}
	/* "none" cannot be combined (OpenID Connect Core §3.1.2.1) */
	return !(*out & PROMPT_NONE) || *out == PROMPT_NONE;
}

/* An error that must not go to the client: our error page, or for a pushed
 * request the JSON answer of the push. */
static enum sy_err not_for_client(struct http_req *r, const struct oidc_request *q, const char *message)
{
	return q->pushed ? oidc_token_error(r, 400, "invalid_request", message) : oidc_error_page(r, message);
}

/* Client and redirect URI: failures here never reach the client. */
static enum sy_err check_client(struct http_req *r, struct store *s, struct oidc_request *q, bool *answered)
{
	*answered = true;
	const char *cid = oidc_param(q->params, "client_id");
	enum sy_err e = cid ? oidc_client_get(s, &r->arena, cid, &q->client) : SY_E_NOTFOUND;
	if (e == SY_E_NOTFOUND)
		return not_for_client(r, q,
		                      "The client is not known. Check the client ID configured in the application.");
	if (e)
		return e;
	q->loaded = true;
	const char *uri = oidc_param(q->params, "redirect_uri");
	json_t *scope = oidc_scopes_known(oidc_param(q->params, "scope"));
	bool openid = oidc_scope_has(scope, "openid");
	json_decref(scope);
	if (!uri) {
		/* one registered URL may stand for an absent redirect_uri, but not in
		 * an OpenID request, where it is required */
		uri = json_string_value(json_array_get(q->client.callback_urls, 0));
		if (openid || json_array_size(q->client.callback_urls) != 1 || !uri || strchr(uri, '*'))
			return not_for_client(r, q, "The redirect_uri parameter is missing.");
	} else if (!oidc_redirect_match(q->client.callback_urls, uri, oidc_config()->allow_insecure_callback_urls)) {
		return not_for_client(
		        r, q, arena_printf(&r->arena, "The redirect_uri '%s' is not registered for this client.", uri));
	}
	q->redirect_uri = uri;
	*answered = false;
	return SY_OK;
}

/* Everything else RFC 6749 and OpenID Connect Core ask of the request, as
 * errors sent to the client. */
static enum sy_err check_request(struct http_req *r, struct store *s, struct oidc_request *q, bool *answered)
{
	*answered = true;
	q->state = oidc_param(q->params, "state");
	q->response_mode = oidc_param(q->params, "response_mode");
	const char *mode = q->response_mode;
	if (mode && strcmp(mode, "query") != 0 && strcmp(mode, "fragment") != 0 && strcmp(mode, "form_post") != 0) {
		q->response_mode = NULL;
		return client_error(r, q, "invalid_request", "The response_mode is not supported.");
	}
	/* a pushed request's request_uri was replaced by its parameters before this */
	if (oidc_param(q->params, "request_uri"))
		return client_error(
		        r, q, q->pushed ? "invalid_request" : "request_uri_not_supported",
		        "Only request_uri values from the pushed authorization request endpoint are accepted.");
	const char *rt = oidc_param(q->params, "response_type");
	if (!rt)
		return client_error(r, q, "invalid_request", "The response_type parameter is missing.");
	if (strcmp(rt, "code") != 0)
		return client_error(r, q, "unsupported_response_type", "Only the code response type is supported.");
	if (!oidc_prompt_parse(oidc_param(q->params, "prompt"), &q->prompt))
		return client_error(r, q, "invalid_request", "The prompt parameter is invalid.");
	/* Pocket ID's rule since 2.10: clients must send a state of 8 characters or more */
	if (!q->state || strlen(q->state) < 8)
		return client_error(r, q, "invalid_state", "The state is missing or has fewer than 8 characters.");
	q->scope = oidc_scopes_known(oidc_param(q->params, "scope"));
	const char *challenge = oidc_param(q->params, "code_challenge");
	const char *method = oidc_param(q->params, "code_challenge_method");
	if (!challenge && (q->client.is_public || q->client.pkce_enabled))
		return client_error(r, q, "invalid_request", "This client requires PKCE: send a code_challenge.");
	if (challenge && (strlen(challenge) < 43 || strlen(challenge) > 128))
		return client_error(r, q, "invalid_request", "The code_challenge must have 43 to 128 characters.");
	if (method && strcmp(method, "S256") != 0 && strcmp(method, "plain") != 0)
		return client_error(r, q, "invalid_request", "The code_challenge_method must be S256 or plain.");
	if (challenge && !q->client.pkce_enabled && !q->client.pkce_supported) {
		const char *args[] = {q->client.id};
		if (store_run(s, "UPDATE oidc_clients SET pkce_supported = TRUE WHERE id = ?", args, 1, NULL))
			log_warn("client %s: cannot record that it sends PKCE", q->client.id);
	}
	const char *max_age = oidc_param(q->params, "max_age");
	q->max_age = -1;
	if (max_age && parse_long(max_age, 0, 1000000000L, &q->max_age))
		return client_error(r, q, "invalid_request", "The max_age parameter must be a non-negative integer.");
	if (q->client.requires_par && !q->from_par && !q->pushed)
		return client_error(r, q, "invalid_request",
		                    "This client must push its authorization requests first (PAR, RFC 9126).");
	*answered = false;
	return SY_OK;
}

/* The subject of an ID token this server issued (its expiry does not matter:
 * a hint is about who, not about access); NULL when it is not one. */
const char *oidc_id_token_subject(struct http_req *r, const char *jwt, json_t **claims_out)
{
	char *payload;
	size_t plen;
	const struct jws_key *k = oidc_key();
	if (!jwt || strlen(jwt) > JWS_MAX_TOKEN ||
	    jws_verify(&r->arena, jwt, strlen(jwt), k, 1, k->alg, &payload, &plen))
		return NULL;
	json_t *c = json_loadb(payload, plen, JSON_REJECT_DUPLICATES, NULL);
	const char *iss = json_string_value(json_object_get(c, "iss")),
	           *type = json_string_value(json_object_get(c, "type"));
	const char *sub = json_string_value(json_object_get(c, "sub"));
	json_t *iat = json_object_get(c, "iat");
	bool ok = iss && strcmp(iss, oidc_config()->app_url) == 0 && type && strcmp(type, "id-token") == 0 && sub &&
	          json_is_integer(iat) && json_integer_value(iat) <= time(NULL) + 60;
	const char *out = ok ? arena_strdup(&r->arena, sub) : NULL;
	if (ok && claims_out)
		*claims_out = json_incref(c);
	json_decref(c);
	return out;
}

/* ---- consent ---- */

enum sy_err oidc_consent_queue(struct store *s, const char *user_id, const char *client_id, struct store_stmt **st)
{
	enum sy_err e = store_prepare(s,
	                              "SELECT scope, epoch(last_used_at) FROM user_authorized_oidc_clients "
	                              "WHERE user_id = ? AND client_id = ?",
	                              st);
	if (!e) {
		store_bind_text(*st, 1, user_id);
		store_bind_text(*st, 2, client_id);
		store_queue(*st);
	}
	return e;
}

enum sy_err oidc_consent_get(struct store *s, const char *user_id, const char *client_id, struct oidc_consent *out)
{
	struct store_stmt *st;
	enum sy_err e = oidc_consent_queue(s, user_id, client_id, &st);
	if (e) {
		memset(out, 0, sizeof *out);
		return e;
	}
	return oidc_consent_read(st, out);
}

enum sy_err oidc_consent_read(struct store_stmt *st, struct oidc_consent *out)
{
	memset(out, 0, sizeof *out);
	bool row;
	enum sy_err e;
	if (!(e = store_step(st, &row)) && row) {
		out->exists = true;
		out->scope = json_loads(store_col_text(st, 0), JSON_REJECT_DUPLICATES, NULL);
		out->last_used = store_col_int(st, 1);
	}
	store_finalize(st);
	if (e || !json_is_array(out->scope)) {
		json_decref(out->scope);
		/* on failure nothing is held, so that a caller may just return */
		out->scope = e ? NULL : json_array();
	}
	return e;
}

bool oidc_consent_covers(const struct oidc_consent *c, const json_t *scope)
{
	size_t i;
	json_t *v;
	bool covers = c->exists;
	json_array_foreach(scope, i, v) covers = covers && oidc_scope_has(c->scope, json_string_value(v));
	return covers;
}

void oidc_consent_clear(struct oidc_consent *c)
{
	json_decref(c->scope);
	c->scope = NULL;
}

#define LAST_USED_STEP 60 /* seconds: "last used" is a hint, not a write per sign-in */

/* Records (or widens) the consent and its last use; queues the
 * authorization's audit row (*audit, for audit_record_finish). */
static enum sy_err consent_record(struct http_req *r, struct store *s, const struct oidc_request *q,
                                  const char *user_id, const struct oidc_consent *known, struct store_stmt **audit)
{
	*audit = NULL;
	struct oidc_consent loaded;
	enum sy_err e = SY_OK;
	if (!known && (e = oidc_consent_get(s, user_id, q->client.id, &loaded)))
		return e;
	const struct oidc_consent *c = known ? known : &loaded;
	int64_t now = time(NULL);
	if (!oidc_consent_covers(c, q->scope) || now - c->last_used >= LAST_USED_STEP) {
		json_t *scope = json_deep_copy(c->scope);
		size_t i;
		json_t *v;
		json_array_foreach(q->scope, i, v) if (!oidc_scope_has(scope, json_string_value(v)))
		        json_array_append(scope, v);
		char *text = json_dumps(scope, JSON_COMPACT);
		json_decref(scope);
		char when[24];
		snprintf(when, sizeof when, "%lld", (long long)now);
		const char *args[] = {text, user_id, q->client.id, when};
		e = store_run(s,
		              "INSERT INTO user_authorized_oidc_clients (scope, user_id, client_id, last_used_at) "
		              "VALUES (?, ?, ?, ts(CAST(? AS BIGINT))) ON CONFLICT (user_id, client_id) DO UPDATE "
		              "SET scope = excluded.scope, last_used_at = excluded.last_used_at",
		              args, 4, NULL);
		free(text);
	}
	if (!e)
		*audit = audit_record_queue(
		        r, s, c->exists ? "CLIENT_AUTHORIZATION" : "NEW_CLIENT_AUTHORIZATION", user_id,
		        json_pack("{s:s}", "clientName", q->client.name ? q->client.name : q->client.id));
	if (!known)
		oidc_consent_clear(&loaded);
	return e;
}

/* ---- the code ---- */

static enum sy_err issue_code(struct http_req *r, struct store *s, struct oidc_request *q, const struct session *me,
                              int64_t auth_time, const struct oidc_consent *consent)
{
	struct store_stmt *audit;
	enum sy_err e = consent_record(r, s, q, me->user.id, consent, &audit);
	char *code, *sig, request_id[37];
	if (e || (e = oidc_opaque_new(&r->arena, "pocket_id_ac_", &code, &sig))) {
		store_finalize(audit);
		return e;
	}
	uuid_v4(request_id);
	int64_t now = time(NULL);
	struct oidc_grant g = {
	        .request_id = request_id,
	        .client_id = q->client.id,
	        .user_id = (char *)me->user.id,
	        .scope = q->scope,
	        .redirect_uri = (char *)oidc_param(q->params, "redirect_uri"),
	        .nonce = (char *)oidc_param(q->params, "nonce"),
	        .code_challenge = (char *)oidc_param(q->params, "code_challenge"),
	        .code_challenge_method = (char *)oidc_param(q->params, "code_challenge_method"),
	        .amr = (char *)me->amr,
	        .auth_time = auth_time,
	        .requested_at = now,
	};
	if (g.code_challenge && !g.code_challenge_method)
		g.code_challenge_method = "plain";
	struct oidc_grant_row row = {"authorize_code", sig, &g, now + CODE_TTL, NULL};
	e = oidc_grants_store(s, &row, 1); /* the audit row goes in its round trip */
	audit_record_finish(audit);
	if (e)
		return e;
	json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "code", code, "scope", oidc_scope_string(&r->arena, q->scope),
	                      "state", q->state, "iss", oidc_config()->app_url);
	return oidc_respond(r, q->redirect_uri, q->response_mode, f);
}

/* ---- the endpoint ---- */

static enum sy_err to_interaction(struct http_req *r, const char *id)
{
	http_header_add(r, "Location", arena_printf(&r->arena, "/interaction?interaction=%s", id));
	return http_reply_empty(r, 302);
}

/* A signed-in user: what is left to ask, then the code or an interaction.
 * consent_row: the user's consent to the client, queued (finalized here). */
static enum sy_err signed_in(struct http_req *r, struct store *s, struct oidc_request *q, const struct session *me,
                             struct store_stmt *consent_row)
{
	bool allowed, covers = false;
	struct oidc_consent consent;
	enum sy_err e = oidc_consent_read(consent_row, &consent);
	if (e)
		return e;
	if ((e = oidc_client_allows(s, &q->client, me->user.id, &allowed)) || !allowed) {
		oidc_consent_clear(&consent);
		return e ? e : oidc_error_page(r, "You are not allowed to access this service.");
	}
	struct oidc_needs n = {.select_account = q->prompt & PROMPT_SELECT_ACCOUNT};
	const char *hint = oidc_param(q->params, "id_token_hint");
	if (hint) {
		const char *sub = oidc_id_token_subject(r, hint, NULL);
		if (!sub) {
			oidc_consent_clear(&consent);
			return client_error(r, q, "invalid_request",
			                    "The id_token_hint is not an ID token of this server.");
		}
		if (strcmp(sub, me->user.id) != 0)
			n.select_account = true;
	}
	covers = oidc_consent_covers(&consent, q->scope);
	n.consent = (q->prompt & PROMPT_CONSENT) || (!q->client.skip_consent && !covers);
	int64_t now = time(NULL), auth_time = me->iat, reauthenticated_at = 0;
	n.reauthenticate = (q->prompt & PROMPT_LOGIN) || q->client.requires_reauthentication ||
	                   (q->max_age >= 0 && now - me->iat > q->max_age);
	char id[37];
	bool silent = q->prompt & PROMPT_NONE;
	if (silent && n.select_account)
		e = client_error(r, q, "account_selection_required", "Choosing an account needs the user.");
	else if (silent && n.consent)
		e = client_error(r, q, "consent_required", "The user has not consented to this application.");
	else {
		/* a reauthentication the browser already made counts, and is the new
		 * auth_time (spent only now that no other answer can come first) */
		if (n.reauthenticate && !auth_reauth_consume(r, s, me->user.id)) {
			n.reauthenticate = false;
			auth_time = reauthenticated_at = now;
		}
		if (silent && n.reauthenticate)
			e = client_error(r, q, "login_required", "The user must sign in again.");
		else if (n.select_account || n.reauthenticate || n.consent)
			e = (e = oidc_interaction_create(s, q, me->user.id, &n, reauthenticated_at, id))
			            ? e
			            : to_interaction(r, id);
		else
			e = issue_code(r, s, q, me, auth_time, &consent);
	}
	oidc_consent_clear(&consent);
	return e;
}

/* Back from /interaction: the steps done, the same person signed in. */
static enum sy_err resume(struct http_req *r, struct store *s, const char *id, bool cancel)
{
	struct oidc_interaction ix;
	enum sy_err e = oidc_interaction_get(s, &r->arena, id, &ix);
	if (e == SY_E_NOTFOUND)
		return oidc_error_page(r,
		                       "This sign-in request has expired. Go back to the application and try again.");
	if (e)
		return e;
	/* the PAR requirement was met when the request started */
	struct oidc_request q = {.params = ix.params, .from_par = true};
	bool answered;
	struct session me;
	if ((e = check_client(r, s, &q, &answered)) || answered || (e = check_request(r, s, &q, &answered)) || answered)
		goto out;
	enum sy_err se = auth_session_peek(r, s, &me);
	if (se == SY_E_STORE) {
		e = se;
		goto out;
	}
	if (cancel) {
		/* "Deny" on the consent screen, or "Cancel": the client hears
		 * access_denied. Once the request is someone's, only they may */
		if (ix.user_id && (se || strcmp(ix.user_id, me.user.id) != 0))
			e = oidc_error_page(r, "This sign-in request belongs to another account.");
		else if (!(e = oidc_interaction_take(s, id)))
			e = client_error(r, &q, "access_denied", "The user denied the request.");
		else if (e == SY_E_NOTFOUND)
			e = oidc_error_page(
			        r, "This sign-in request was already used. Go back to the application and try again.");
		goto out;
	}
	if (se || !ix.user_id || strcmp(ix.user_id, me.user.id) != 0 || oidc_needs_any(&ix.needs)) {
		/* signed out since, someone else, or steps left: back to the page */
		e = to_interaction(r, id);
		goto out;
	}
	bool allowed;
	if ((e = oidc_client_allows(s, &q.client, me.user.id, &allowed)))
		goto out;
	if (!allowed) {
		e = oidc_error_page(r, "You are not allowed to access this service.");
		goto out;
	}
	/* single use: of two tabs resuming the same request, one gets the code */
	if ((e = oidc_interaction_take(s, id)) == SY_E_NOTFOUND) {
		e = oidc_error_page(r,
		                    "This sign-in request was already used. Go back to the application and try again.");
		goto out;
	}
	if (!e)
		e = issue_code(r, s, &q, &me, ix.reauthenticated_at ? ix.reauthenticated_at : me.iat, NULL);
out:
	oidc_request_clear(&q);
	return e;
}

void oidc_request_clear(struct oidc_request *q)
{
	if (q->loaded)
		oidc_client_clear(&q->client);
	json_decref(q->scope);
	json_decref(q->params);
	q->scope = q->params = NULL;
	q->loaded = false;
}

enum sy_err oidc_request_check(struct http_req *r, struct store *s, struct oidc_request *q, bool *answered)
{
	enum sy_err e = check_client(r, s, q, answered);
	if (!e && !*answered)
		e = check_request(r, s, q, answered);
	return e;
}

enum sy_err oidc_authorize_handler(struct http_req *r)
{
	struct store *s;
	struct store_stmt *me_row = NULL, *consent_row = NULL;
	enum sy_err e = auth_store(r, &s);
	if (e)
		return e;
	struct oidc_request q = {0};
	if (read_params(r, &q.params)) {
		json_decref(q.params);
		return oidc_error_page(
		        r, "The authorization request is malformed (a parameter is repeated or badly encoded).");
	}
	const char *ix = oidc_param(q.params, "interaction");
	if (ix) {
		char *id = arena_strdup(&r->arena, ix);
		const char *cancel = oidc_param(q.params, "cancel");
		bool cancelled = cancel && strcmp(cancel, "true") == 0;
		json_decref(q.params);
		return resume(r, s, id, cancelled);
	}
	bool answered;
	const char *pushed = oidc_param(q.params, "request_uri");
	if (pushed && strncmp(pushed, OIDC_PAR_PREFIX, strlen(OIDC_PAR_PREFIX)) == 0) {
		/* RFC 9126 §4: the pushed parameters, and only they, make the request */
		json_t *params;
		e = oidc_par_take(s, pushed, oidc_param(q.params, "client_id"), &params);
		if (e == SY_E_NOTFOUND)
			e = oidc_error_page(
			        r, "Invalid PAR session: the pushed request is unknown, expired or already used.");
		if (e)
			goto out;
		json_decref(q.params);
		q.params = params;
		q.from_par = true;
	}
	if (oidc_request_object_merge(&r->arena, q.params)) {
		e = oidc_error_page(
		        r, "The request object is invalid: only unsigned request objects (alg none) are accepted.");
		goto out;
	}
	/* the session's user and their consent to this client go in the round
	 * trip of the client's lookup */
	struct session me;
	const char *sub = auth_session_queue(r, s, &me, &me_row), *cid = oidc_param(q.params, "client_id");
	if (sub && cid && (e = oidc_consent_queue(s, sub, cid, &consent_row)))
		goto out;
	if ((e = check_client(r, s, &q, &answered)) || answered || (e = check_request(r, s, &q, &answered)) || answered)
		goto out;
	enum sy_err se = auth_session_read(r, me_row, &me);
	me_row = NULL;
	if (!se && !consent_row)
		se = SY_E_STORE;
	if (se == SY_E_STORE) {
		e = se;
	} else if (!se) {
		e = signed_in(r, s, &q, &me, consent_row);
		consent_row = NULL;
	} else if (q.prompt & PROMPT_NONE) {
		e = client_error(r, &q, "login_required", "The user is not signed in.");
	} else {
		struct oidc_needs n = {.authenticate = true,
		                       .select_account = q.prompt & PROMPT_SELECT_ACCOUNT,
		                       .reauthenticate =
		                               (q.prompt & PROMPT_LOGIN) || q.client.requires_reauthentication,
		                       .consent = q.prompt & PROMPT_CONSENT};
		char id[37];
		if (!(e = oidc_interaction_create(s, &q, NULL, &n, 0, id)))
			e = to_interaction(r, id);
	}
out:
	store_finalize(me_row);
	store_finalize(consent_row);
	oidc_request_clear(&q);
	return e;
}
