/*
 * discovery.c - /.well-known/openid-configuration (also served as
 * /.well-known/oauth-authorization-server) and /.well-known/jwks.json.
 *
 * The document advertises only what this build really serves; each feature adds
 * its members when it lands (Pocket ID's full list is reference §2.1). Members are
 * sorted like Pocket ID's. Front-channel URLs use APP_URL, back-channel ones
 * INTERNAL_APP_URL. The bodies never change while the process runs, so they are
 * rendered once, with a strong ETag.
 */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "oidc.h"

struct doc {
	char *body;
	size_t len;
	char etag[24];
};

static struct doc discovery, jwks;

static enum sy_err render(json_t *j, struct doc *d)
{
	d->body = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!d->body)
		return SY_E_INTERNAL;
	d->len = strlen(d->body);
	uint8_t h[32];
	char hex[17];
	SHA256((const uint8_t *)d->body, d->len, h);
	hex_encode(h, 8, hex);
	snprintf(d->etag, sizeof d->etag, "\"%s\"", hex);
	return SY_OK;
}

static char *url(const char *base, const char *path)
{
	size_t n = strlen(base) + strlen(path) + 1;
	char *s = sy_malloc(n);
	snprintf(s, n, "%s%s", base, path);
	return s;
}

static json_t *discovery_json(const struct sy_config *cfg, const struct jws_key *key)
{
	const char *front = cfg->app_url, *back = cfg->internal_app_url;
	char *u[8] = {url(front, "/authorize"),          url(front, "/api/oidc/end-session"),
	              url(back, "/api/oidc/introspect"), url(back, "/.well-known/jwks.json"),
	              url(back, "/api/oidc/revoke"),     url(back, "/api/oidc/token"),
	              url(back, "/api/oidc/userinfo"),   url(back, "/api/oidc/par")};
	/* Pocket ID's members, less the device flow (not offered yet), plus
	 * revocation (RFC 7009), which Pocket ID lacks */
	json_t *j = json_pack(
	        "{s:s, s:b, s:[s,s,s,s,s,s,s,s,s,s,s,s], s:b, s:[s,s], s:s, s:[s,s,s], s:[s], s:s, s:[s,s], s:s, "
	        "s:s, s:[s,s,s,s], s:s, s:[s], s:b, s:b, s:b, s:[s,s,s], s:s, s:[s,s,s], s:[s], s:[s,s,s,s,s], s:s, "
	        "s:[s], s:s, s:[s,s,s], s:s}",
	        "authorization_endpoint", u[0], "authorization_response_iss_parameter_supported", true,
	        "claims_supported", "sub", "given_name", "family_name", "name", "display_name", "email",
	        "email_verified", "preferred_username", "picture", "groups", "auth_time", "amr",
	        "client_id_metadata_document_supported", false, "code_challenge_methods_supported", "plain", "S256",
	        "end_session_endpoint", u[1], "grant_types_supported", "authorization_code", "refresh_token",
	        "client_credentials", "id_token_signing_alg_values_supported", jws_alg_name(key->alg),
	        "introspection_endpoint", u[2], "introspection_endpoint_auth_methods_supported", "client_secret_basic",
	        "Bearer", "issuer", front, "jwks_uri", u[3], "prompt_values_supported", "none", "login", "consent",
	        "select_account", "pushed_authorization_request_endpoint", u[7],
	        "request_object_signing_alg_values_supported", "none", "request_parameter_supported", true,
	        "request_uri_parameter_supported", false, "require_pushed_authorization_requests", false,
	        "response_modes_supported", "query", "fragment", "form_post", "revocation_endpoint", u[4],
	        "revocation_endpoint_auth_methods_supported", "client_secret_basic", "client_secret_post", "none",
	        "response_types_supported", "code", "scopes_supported", "openid", "profile", "email", "groups",
	        "offline_access", "service_documentation", "https://pocket-id.org/docs", "subject_types_supported",
	        "public", "token_endpoint", u[5], "token_endpoint_auth_methods_supported", "client_secret_basic",
	        "client_secret_post", "none", "userinfo_endpoint", u[6]);
	for (int i = 0; i < 8; i++)
		free(u[i]);
	return j;
}

enum sy_err oidc_wellknown_init(const struct sy_config *cfg, const struct jws_key *key)
{
	enum sy_err e = render(discovery_json(cfg, key), &discovery);
	if (e)
		return e;
	return render(json_pack("{s:[o]}", "keys", jwk_public(key)), &jwks);
}

void oidc_wellknown_free(void)
{
	free(discovery.body);
	free(jwks.body);
	discovery.body = jwks.body = NULL;
}

static enum sy_err serve(struct http_req *r, const struct doc *d)
{
	http_header_add(r, "ETag", d->etag);
	if (http_etag_match(http_header_get(r, "If-None-Match"), d->etag))
		return http_reply(r, 304, NULL, "", 0);
	return http_reply(r, 200, "application/json; charset=utf-8", d->body, d->len);
}

enum sy_err oidc_discovery_handler(struct http_req *r)
{
	return serve(r, &discovery);
}

enum sy_err oidc_jwks_handler(struct http_req *r)
{
	return serve(r, &jwks);
}
