/*
 * logout.c - RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0,
 * reference §2.12). Only a valid id_token_hint of this server, from the user
 * signed in here, for a client they use, can send the browser back to a
 * logout URL that client registered. Anything less shows our own "Sign out?"
 * page (/logout) and never redirects: no open redirect, no forced logout.
 */
#include <string.h>

#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

static enum sy_err to_logout_page(struct http_req *r)
{
	http_header_add(r, "Location", "/logout");
	return http_reply_empty(r, 302);
}

static enum sy_err read_params(struct http_req *r, json_t **out)
{
	if (r->method == HTTP_POST)
		return oidc_form(r, out);
	*out = json_object();
	const char *names[] = {"id_token_hint", "client_id", "post_logout_redirect_uri", "state"};
	for (size_t i = 0; i < 4; i++) {
		const char *v = http_query(r, names[i]);
		if (v)
			json_object_set_new(*out, names[i], json_string(v));
	}
	return SY_OK;
}

static bool has_consent(struct store *s, const char *user_id, const char *client_id)
{
	struct oidc_consent c;
	bool exists = !oidc_consent_get(s, user_id, client_id, &c) && c.exists;
	oidc_consent_clear(&c);
	return exists;
}

/* The tokens this ID token came with (same jti, same user and client): the
 * application is signing out, so its refresh tokens stop. */
static void revoke_session(struct store *s, const char *user_id, const char *client_id, const char *jti)
{
	struct store_stmt *st;
	if (!jti || store_prepare(s,
	                          "SELECT DISTINCT request_id, request_data FROM oauth2_sessions WHERE user_id = ? "
	                          "AND client_id = ? AND kind = 'refresh_token' AND active = TRUE",
	                          &st))
		return;
	store_bind_text(st, 1, user_id);
	store_bind_text(st, 2, client_id);
	json_t *families = json_array();
	bool row;
	while (!store_step(st, &row) && row) {
		json_t *d = json_loads(store_col_text(st, 1), JSON_REJECT_DUPLICATES, NULL);
		const char *j = json_string_value(json_object_get(d, "id_token_jti"));
		if (j && strcmp(j, jti) == 0)
			json_array_append_new(families, json_string(store_col_text(st, 0)));
		json_decref(d);
	}
	store_finalize(st);
	size_t i;
	json_t *v;
	json_array_foreach(families, i, v) if (oidc_family_revoke(s, json_string_value(v)))
	        log_warn("end-session: cannot revoke a token family");
	json_decref(families);
}

enum sy_err oidc_end_session_handler(struct http_req *r)
{
	struct store *s;
	json_t *p, *claims = NULL;
	enum sy_err e = auth_store(r, &s);
	if (e)
		return e;
	if (read_params(r, &p)) {
		json_decref(p);
		return to_logout_page(r);
	}
	const char *sub = oidc_id_token_subject(r, oidc_param(p, "id_token_hint"), &claims);
	json_t *aud = json_object_get(claims, "aud");
	const char *client_id = json_string_value(json_is_array(aud) ? json_array_get(aud, 0) : aud);
	const char *asked = oidc_param(p, "client_id"), *uri = oidc_param(p, "post_logout_redirect_uri");
	struct session me;
	struct oidc_client c;
	bool loaded = false;
	enum sy_err se = sub ? auth_session_peek(r, s, &me) : SY_E_UNAUTH;
	/* every condition of reference §2.12; any failure ends on the confirmation page */
	bool ok = sub && client_id && (!asked || strcmp(asked, client_id) == 0) &&
	          (se == SY_E_UNAUTH || (!se && strcmp(me.user.id, sub) == 0)) && se != SY_E_STORE &&
	          !oidc_client_get(s, &r->arena, client_id, &c);
	loaded = ok;
	ok = ok && has_consent(s, sub, client_id);
	bool registered = ok && json_array_size(c.logout_callback_urls) > 0;
	if (registered && uri)
		registered =
		        oidc_redirect_match(c.logout_callback_urls, uri, oidc_config()->allow_insecure_callback_urls);
	else if (registered)
		uri = json_string_value(json_array_get(c.logout_callback_urls, 0));
	/* a pattern is not a place to go back to */
	if (registered && (!uri || strchr(uri, '*')))
		registered = false;
	if (ok && (registered || !json_array_size(c.logout_callback_urls))) {
		/* the application signs out: its tokens from this sign-in, and our session */
		revoke_session(s, sub, client_id, json_string_value(json_object_get(claims, "jti")));
		http_set_cookie(r, auth_cookie_name("access_token", false), "", 0, NULL);
	}
	if (ok && registered) {
		json_t *f = json_object();
		if (oidc_param(p, "state"))
			json_object_set_new(f, "state", json_string(oidc_param(p, "state")));
		e = oidc_respond(r, uri, "query", f);
	} else {
		e = to_logout_page(r);
	}
	if (loaded)
		oidc_client_clear(&c);
	json_decref(claims);
	json_decref(p);
	return e;
}
