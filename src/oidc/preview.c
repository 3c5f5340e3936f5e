/*
 * preview.c - GET /api/oidc/clients/:id/preview/:userId?scopes=... (reference
 * §1.6): what a client would receive for a user, for the admin page: the
 * claims of the ID token, the access token and userinfo, built as at a
 * sign-in but never signed.
 */
#include <string.h>
#include <time.h>

#include "../admin/admin.h"
#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

enum sy_err oidc_preview_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct oidc_client c;
	struct user u;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	if ((e = oidc_client_get(s, &r->arena, http_param(r, "id"), &c)))
		return e == SY_E_NOTFOUND ? oidc_admin_client_missing(r) : e;
	bool allowed = false;
	if ((e = user_get(s, &r->arena, http_param(r, "userId"), &u)) == SY_E_NOTFOUND)
		e = http_fail(r, SY_E_NOTFOUND, "user_not_found", "User not found");
	else if (!e && !(e = oidc_client_allows(s, &c, u.id, &allowed)) && !allowed)
		e = http_fail(r, SY_E_DENIED, "oidc_access_denied", "The user is not allowed to use this client");
	if (e) {
		oidc_client_clear(&c);
		return e;
	}
	const char *asked = http_query(r, "scopes");
	json_t *scope = oidc_scopes_known(asked ? asked : "openid profile email");
	int64_t now = time(NULL);
	const char *iss = oidc_config()->app_url;
	json_t *userinfo = oidc_claims(s, &r->arena, &u, scope);
	json_t *id = oidc_claims(s, &r->arena, &u, scope);
	json_t *std = json_pack("{s:s, s:[s], s:I, s:I, s:I, s:s}", "iss", iss, "aud", c.id, "iat", (json_int_t)now,
	                        "exp", (json_int_t)(now + 3600), "auth_time", (json_int_t)now, "type", "id-token");
	json_object_update(id, std);
	json_decref(std);
	json_t *aud = json_pack("[s]", c.id);
	if (oidc_scope_has(scope, "openid") || oidc_scope_has(scope, "profile") || oidc_scope_has(scope, "email") ||
	    oidc_scope_has(scope, "groups"))
		json_array_append_new(aud, json_string(iss));
	json_t *access = json_pack("{s:s, s:s, s:o, s:s, s:s, s:O, s:I, s:I}", "iss", iss, "sub", u.id, "aud", aud,
	                           "client_id", c.id, "scope", oidc_scope_string(&r->arena, scope), "scp", scope, "iat",
	                           (json_int_t)now, "exp", (json_int_t)(now + c.access_token_minutes * 60));
	json_decref(scope);
	oidc_client_clear(&c);
	return http_reply_json(
	        r, 200, json_pack("{s:o, s:o, s:o}", "idToken", id, "accessToken", access, "userInfo", userinfo));
}
