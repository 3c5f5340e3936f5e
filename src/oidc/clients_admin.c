/*
 * clients_admin.c - the OIDC client administration API (reference §1.6, §2.4,
 * §2.15): list, create, read, update and delete clients, their allowed user
 * groups and their public metadata; and the route table of the whole API
 * (secrets in clients_secrets.c, logos in clients_logo.c, the users' app
 * lists in clients_users.c).
 *
 * Stored secrets carry their SHA-256; no answer shows one: every secret goes
 * out through oidc_admin_secret_dto. Logos are uploaded, never downloaded: a
 * logoUrl or darkLogoUrl in a body is refused (docs/oidc-clients.md).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

#define KB 1024u

#define MAX_GROUPS 10000

enum sy_err oidc_admin_client_missing(struct http_req *r)
{
	return http_fail_details(r, SY_E_NOTFOUND, "not_found", "OIDC client not found",
	                         json_pack("{s:s}", "resource", "OIDC client"));
}

json_t *oidc_admin_meta(struct arena *a, struct store_stmt *st, int first)
{
	struct oidc_client c = {0};
	c.id = store_col_strdup(st, first, a);
	c.name = store_col_strdup(st, first + 1, a);
	c.description = store_col_strdup(st, first + 2, a);
	c.launch_url = store_col_strdup(st, first + 3, a);
	if (!c.id)
		return NULL;
	c.has_logo = !store_col_null(st, first + 4) && *store_col_text(st, first + 4);
	c.has_dark_logo = !store_col_null(st, first + 5) && *store_col_text(st, first + 5);
	c.requires_reauthentication = store_col_bool(st, first + 6);
	/* the meta DTO is made in one place, client.c, for every endpoint */
	return oidc_client_meta(&c);
}

/* A JSON column that should hold a container of the type of def; def when
 * it is NULL or anything else. */
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

static void set_string_if(json_t *out, const json_t *from, const char *key)
{
	const char *v = json_string_value(json_object_get(from, key));
	if (v && *v)
		json_object_set_new(out, key, json_string(v));
}

/* OidcClientCredentialsDto: federated identities and the secrets' metadata. */
static json_t *credentials_dto(struct store_stmt *st, int i)
{
	json_t *cred = json_col(st, i, json_object()), *fed = json_array(), *secrets = json_array(), *one;
	int64_t now = time(NULL);
	size_t k;
	json_array_foreach(json_object_get(cred, "federatedIdentities"), k, one)
	{
		const char *issuer = json_string_value(json_object_get(one, "issuer"));
		json_t *f = json_pack("{s:s, s:b}", "issuer", issuer ? issuer : "", "replayProtection",
		                      json_is_true(json_object_get(one, "replayProtection")));
		set_string_if(f, one, "subject");
		set_string_if(f, one, "audience");
		set_string_if(f, one, "jwks");
		json_array_append_new(fed, f);
	}
	json_array_foreach(json_object_get(cred, "secrets"), k, one)
	        json_array_append_new(secrets, oidc_admin_secret_dto(one, now));
	json_decref(cred);
	return json_pack("{s:o, s:o}", "federatedIdentities", fed, "secrets", secrets);
}

json_t *oidc_admin_client_dto(struct arena *a, struct store_stmt *st, bool with_count)
{
	json_t *d = oidc_admin_meta(a, st, 0);
	if (!d)
		return NULL;
	json_object_set_new(d, "callbackURLs", json_col(st, 7, json_array()));
	json_object_set_new(d, "logoutCallbackURLs", json_col(st, 8, json_array()));
	json_object_set_new(d, "credentials", credentials_dto(st, 9));
	json_object_set_new(d, "isPublic", json_boolean(store_col_bool(st, 10)));
	json_object_set_new(d, "pkceEnabled", json_boolean(store_col_bool(st, 11)));
	json_object_set_new(d, "pkceSupported", json_boolean(store_col_bool(st, 12)));
	json_object_set_new(d, "requiresPushedAuthorizationRequests", json_boolean(store_col_bool(st, 13)));
	json_object_set_new(d, "skipConsent", json_boolean(store_col_bool(st, 14)));
	json_object_set_new(d, "isGroupRestricted", json_boolean(store_col_bool(st, 15)));
	json_object_set_new(d, "accessTokenDurationMinutes", json_integer(store_col_int(st, 16)));
	json_object_set_new(d, "refreshTokenDurationMinutes", json_integer(store_col_int(st, 17)));
	if (with_count)
		json_object_set_new(d, "allowedUserGroupsCount", json_integer(store_col_int(st, 18)));
	return d;
}

/* OidcClientDto of client id; SY_E_NOTFOUND (not answered) when there is none. */
static enum sy_err client_load(struct http_req *r, struct store *s, const char *id, json_t **out)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "SELECT " OIDC_ADMIN_CLIENT_COLS " FROM oidc_clients c WHERE c.id = ?", &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	bool row;
	e = store_step(st, &row);
	*out = !e && row ? oidc_admin_client_dto(&r->arena, st, false) : NULL;
	store_finalize(st);
	if (e)
		return e;
	return !row ? SY_E_NOTFOUND : *out ? SY_OK : SY_E_TOOBIG;
}

/* The allowed groups, as UserGroupDto with their member count and claims. */
static enum sy_err allowed_groups(struct http_req *r, struct store *s, const char *id, json_t **out)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s,
	                              "SELECT g.id, g.friendly_name, g.name, g.ldap_id, epoch(g.created_at), "
	                              "(SELECT count(*) FROM user_groups_users m WHERE m.user_group_id = g.id) "
	                              "FROM user_groups g JOIN oidc_clients_allowed_user_groups a ON "
	                              "a.user_group_id = g.id WHERE a.oidc_client_id = ? ORDER BY g.name",
	                              &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	json_t *list = json_array(), *by_id = json_object();
	bool row;
	while (!(e = store_step(st, &row)) && row) {
		char when[32];
		iso8601(store_col_int(st, 4), when);
		json_t *g = json_pack("{s:s, s:s, s:s, s:[], s:I, s:o, s:s}", "id", store_col_text(st, 0),
		                      "friendlyName", store_col_text(st, 1), "name", store_col_text(st, 2),
		                      "customClaims", "userCount", (json_int_t)store_col_int(st, 5), "ldapId",
		                      store_col_null(st, 3) ? json_null() : json_string(store_col_text(st, 3)),
		                      "createdAt", when);
		json_array_append(list, g);
		json_object_set_new(by_id, store_col_text(st, 0), g);
	}
	store_finalize(st);
	if (!e)
		e = claims_attach(s, &r->arena, CLAIMS_GROUP, by_id);
	json_decref(by_id);
	if (e) {
		json_decref(list);
		return e;
	}
	*out = list;
	return SY_OK;
}

/* OidcClientWithAllowedUserGroupsDto, answered with status. */
static enum sy_err reply_client(struct http_req *r, struct store *s, const char *id, int status, bool groups)
{
	json_t *d, *g;
	enum sy_err e = client_load(r, s, id, &d);
	if (e == SY_E_NOTFOUND)
		return oidc_admin_client_missing(r);
	if (e)
		return e;
	if (groups) {
		if ((e = allowed_groups(r, s, id, &g))) {
			json_decref(d);
			return e;
		}
		json_object_set_new(d, "allowedUserGroups", g);
	}
	return http_reply_json(r, status, d);
}

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT);
}

static void bind_text_or_null(struct store_stmt *st, int i, const char *v)
{
	if (v)
		store_bind_text(st, i, v);
	else
		store_bind_null(st, i);
}

/* The columns create and update both write, from parameter first on. */
#define INPUT_COLS                                                                                                     \
	"name, description, callback_urls, logout_callback_urls, launch_url, is_public, pkce_enabled, "                \
	"requires_reauthentication, requires_pushed_authorization_requests, skip_consent, is_group_restricted, "       \
	"access_token_duration_minutes, refresh_token_duration_minutes"
#define INPUT_MARKS "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"

static int bind_input(struct store_stmt *st, int i, const struct oidc_client_input *in, char *cb, char *logout)
{
	store_bind_text(st, i++, in->name);
	store_bind_text(st, i++, in->description);
	store_bind_text(st, i++, cb);
	store_bind_text(st, i++, logout);
	bind_text_or_null(st, i++, in->launch_url);
	store_bind_int(st, i++, in->is_public);
	store_bind_int(st, i++, in->pkce);
	store_bind_int(st, i++, in->reauth);
	store_bind_int(st, i++, in->par);
	store_bind_int(st, i++, in->skip_consent);
	store_bind_int(st, i++, in->restricted);
	store_bind_int(st, i++, in->access);
	store_bind_int(st, i++, in->refresh);
	return i;
}

static enum sy_err insert_client(struct store *s, const char *id, const char *creator,
                                 const struct oidc_client_input *in)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(
	        s,
	        "INSERT INTO oidc_clients (id, created_at, created_by_id, credentials, client_type, " INPUT_COLS
	        ") VALUES (?, ts(?), (SELECT id FROM users WHERE id = ?), ?, 'standard', " INPUT_MARKS ")",
	        &st);
	if (e)
		return e;
	char *cb = dump(in->callbacks), *logout = dump(in->logout_callbacks);
	json_t *cred = json_pack("{s:O, s:[]}", "federatedIdentities", in->federated, "secrets");
	char *cred_txt = dump(cred);
	json_decref(cred);
	/* the static API key's admin is no row of users: then no creator */
	store_bind_text(st, 1, id);
	store_bind_int(st, 2, time(NULL));
	store_bind_text(st, 3, creator);
	store_bind_text(st, 4, cred_txt);
	bind_input(st, 5, in, cb, logout);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	free(cb);
	free(logout);
	free(cred_txt);
	return e;
}

/* POST /api/oidc/clients: 201 OidcClientWithAllowedUserGroupsDto. */
static enum sy_err clients_create(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct oidc_client_input in;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	char id[OIDC_CLIENT_ID_MAX + 1];
	if (!(e = oidc_admin_read_input(r, body, true, &in))) {
		if (in.id)
			snprintf(id, sizeof id, "%s", in.id);
		else
			uuid_v4(id);
		e = insert_client(s, id, me.user.id, &in);
	}
	oidc_admin_input_clear(&in);
	json_decref(body);
	if (e == SY_E_CONFLICT)
		return http_fail(r, SY_E_CONFLICT, "client_id_already_exists", "Client ID is already in use");
	return e ? e : reply_client(r, s, id, 201, true);
}

/* Everything an update writes, inside oidc_admin_lock's transaction. */
static enum sy_err update_row(struct store *s, const char *id, const struct oidc_client_input *in, const json_t *cred)
{
	struct store_stmt *st;
	enum sy_err e =
	        store_prepare(s,
	                      "UPDATE oidc_clients SET (" INPUT_COLS ", credentials, pkce_supported) = (" INPUT_MARKS
	                      ", ?, pkce_supported AND ?) WHERE id = ?",
	                      &st);
	if (e)
		return e;
	char *cb = dump(in->callbacks), *logout = dump(in->logout_callbacks), *cred_txt = dump(cred);
	int i = bind_input(st, 1, in, cb, logout);
	store_bind_text(st, i++, cred_txt);
	/* saving without PKCE forgets that the client was seen sending it */
	store_bind_int(st, i++, in->pkce);
	store_bind_text(st, i, id);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	free(cb);
	free(logout);
	free(cred_txt);
	if (!e && !in->restricted)
		e = store_run(s, "DELETE FROM oidc_clients_allowed_user_groups WHERE oidc_client_id = ?",
		              (const char *const[]){id}, 1, &row);
	return e;
}

/* PUT /api/oidc/clients/:id: a full update; the secrets stay (a client made
 * public loses them: it may not have any). */
static enum sy_err clients_update(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct oidc_client_input in;
	json_t *body = NULL, *cred;
	bool was_public;
	enum sy_err e;
	const char *id = http_param(r, "id");
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	if (!(e = oidc_admin_read_input(r, body, false, &in)) && !(e = oidc_admin_lock(r, s, id, &cred, &was_public))) {
		json_object_set(cred, "federatedIdentities", in.federated);
		if (in.is_public || !json_is_array(json_object_get(cred, "secrets")))
			json_object_set_new(cred, "secrets", json_array());
		if ((e = update_row(s, id, &in, cred)))
			store_rollback(s);
		else
			e = store_commit(s);
		json_decref(cred);
	}
	oidc_admin_input_clear(&in);
	json_decref(body);
	return e ? e : reply_client(r, s, id, 200, true);
}

/* ---- read, delete, groups, meta ---- */

/* GET /api/oidc/clients/:id */
static enum sy_err clients_get(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	return reply_client(r, s, http_param(r, "id"), 200, true);
}

/* DELETE /api/oidc/clients/:id: its codes, tokens, consents and groups go
 * with it (ON DELETE CASCADE), then its logos. */
static enum sy_err clients_delete(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct store_stmt *st;
	enum sy_err e;
	const char *id = http_param(r, "id");
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = store_prepare(s, "DELETE FROM oidc_clients WHERE id = ? RETURNING image_type, dark_image_type", &st)))
		return e;
	store_bind_text(st, 1, id);
	bool row;
	e = store_step(st, &row);
	char *light = NULL, *dark = NULL;
	if (!e && row) {
		light = store_col_strdup(st, 0, &r->arena);
		dark = store_col_strdup(st, 1, &r->arena);
	}
	store_finalize(st);
	if (e)
		return e;
	if (!row)
		return oidc_admin_client_missing(r);
	oidc_admin_logo_remove(s, id, false, light);
	oidc_admin_logo_remove(s, id, true, dark);
	return http_reply_empty(r, 204);
}

static enum sy_err replace_groups(struct store *s, const char *id, const json_t *ids)
{
	bool row;
	enum sy_err e = store_run(s, "DELETE FROM oidc_clients_allowed_user_groups WHERE oidc_client_id = ?",
	                          (const char *const[]){id}, 1, &row);
	size_t i;
	json_t *v;
	/* ids that name no group are skipped, as Pocket ID does */
	json_array_foreach(ids, i, v)
	{
		if (e)
			break;
		e = store_run(s,
		              "INSERT INTO oidc_clients_allowed_user_groups (oidc_client_id, user_group_id) "
		              "SELECT ?, id FROM user_groups WHERE id = ? ON CONFLICT DO NOTHING",
		              (const char *const[]){id, json_string_value(v)}, 2, &row);
	}
	return e;
}

/* PUT /api/oidc/clients/:id/allowed-user-groups {"userGroupIds": [...]}:
 * OidcClientDto. */
static enum sy_err clients_set_groups(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *body = NULL, *cred;
	bool is_public;
	enum sy_err e;
	const char *id = http_param(r, "id");
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	json_t *ids = json_object_get(body, "userGroupIds"), *v;
	size_t i;
	bool strings = json_is_array(ids) && json_array_size(ids) <= MAX_GROUPS;
	json_array_foreach(ids, i, v) strings &= json_is_string(v);
	if (!json_is_array(ids))
		e = http_fail_field(r, "userGroupIds", "required", "is required");
	else if (!strings)
		e = http_fail(r, SY_E_BODY, "invalid_request_body", "Expected a list of at most 10000 group ids");
	else if (!(e = oidc_admin_lock(r, s, id, &cred, &is_public))) {
		json_decref(cred);
		if ((e = replace_groups(s, id, ids)))
			store_rollback(s);
		else
			e = store_commit(s);
	}
	json_decref(body);
	return e ? e : reply_client(r, s, id, 200, false);
}

/* GET /api/oidc/clients/:id/meta (public): OidcClientMetaDataDto. */
static enum sy_err clients_meta(struct http_req *r)
{
	struct store *s;
	struct oidc_client c;
	enum sy_err e;
	if ((e = auth_store(r, &s)))
		return e;
	e = oidc_client_get(s, &r->arena, http_param(r, "id"), &c);
	if (e == SY_E_NOTFOUND)
		return oidc_admin_client_missing(r);
	if (e)
		return e;
	json_t *meta = oidc_client_meta(&c);
	oidc_client_clear(&c);
	return http_reply_json(r, 200, meta);
}

/* Logos: up to 2 MiB, in a multipart body with room for the framing. */
#define LOGO_BODY_MAX (3u << 20)

#define C "/api/oidc/clients"
static const struct http_route ROUTES[] = {
        {HTTP_GET, C, oidc_admin_clients_list, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, C, clients_create, 256 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, C "/:id", clients_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, C "/:id", clients_update, 256 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, C "/:id", clients_delete, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, C "/:id/meta", clients_meta, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, C "/:id/allowed-user-groups", clients_set_groups, 1024 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, C "/:id/secrets", oidc_admin_secrets_list, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, C "/:id/secrets", oidc_admin_secrets_create, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, C "/:id/secrets/:secretId", oidc_admin_secrets_delete, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, C "/:id/logo", oidc_admin_logo_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, C "/:id/logo", oidc_admin_logo_put, LOGO_BODY_MAX, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, C "/:id/logo", oidc_admin_logo_delete, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/oidc/users/me/authorized-clients", oidc_apps_authorized, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, "/api/oidc/users/me/authorized-clients/:clientId", oidc_apps_revoke, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/oidc/users/me/clients", oidc_apps_accessible, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/oidc/users/:id/authorized-clients", oidc_apps_authorized_of_user, 0, 0, HTTP_LIMIT_NONE},
};
const struct http_route *const oidc_admin_routes = ROUTES;
const size_t oidc_admin_routes_len = sizeof ROUTES / sizeof ROUTES[0];
