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
	char *jwks_uri = url(cfg->internal_app_url, "/.well-known/jwks.json");
	json_t *j = json_pack("{s:s, s:s, s:[s], s:[s]}", "issuer", cfg->app_url, "jwks_uri", jwks_uri,
	                      "id_token_signing_alg_values_supported", jws_alg_name(key->alg),
	                      "subject_types_supported", "public");
	free(jwks_uri);
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
