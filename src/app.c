/*
 * app.c - what `symbolon` does when it serves: open and migrate the database,
 * load (or create) the instance's signing key, build the well-known documents,
 * then hand the route table to the HTTP core.
 */
#include <stdio.h>

#include "app.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "oidc/oidc.h"
#include "store/store.h"

static enum sy_err healthz(struct http_req *r)
{
	return http_reply_empty(r, 204);
}

/* Body limits: none of these routes takes a body yet. */
static const struct http_route ROUTES[] = {
        {HTTP_GET, "/healthz", healthz, 0, 0},
        {HTTP_GET, "/.well-known/openid-configuration", oidc_discovery_handler, 0, HTTP_ROUTE_CORS},
        {HTTP_GET, "/.well-known/oauth-authorization-server", oidc_discovery_handler, 0, HTTP_ROUTE_CORS},
        {HTTP_GET, "/.well-known/jwks.json", oidc_jwks_handler, 0, HTTP_ROUTE_CORS},
};

static enum sy_err prepare(const struct sy_config *cfg, struct jws_key *key, char *err, size_t errlen)
{
	struct store *s;
	enum sy_err e = store_open(cfg->db_connection_string, &s, err, errlen);
	if (e)
		return e;
	log_info("database: %s", store_kind_name(store_kind(s)));
	e = store_migrate(s, cfg->allow_downgrade, err, errlen);
	char instance[64];
	if (!e)
		e = keyring_load(s, cfg->encryption_key, key, instance, sizeof instance, err, errlen);
	if (!e)
		log_info("instance %s, signing key %s (%s)", instance, key->kid, jws_alg_name(key->alg));
	store_close(s);
	return e;
}

int app_serve(const struct sy_config *cfg)
{
	if (cfg->trusted_platform && !cfg->trust_proxy.all && cfg->trust_proxy.n == 0)
		log_warn("TRUSTED_PLATFORM is ignored until TRUST_PROXY names the proxies that set %s",
		         cfg->trusted_platform);
	char err[1024] = "";
	struct jws_key key = {0};
	enum sy_err e = prepare(cfg, &key, err, sizeof err);
	if (!e)
		e = oidc_wellknown_init(cfg, &key);
	if (!e) {
		store_thread_setup(cfg->db_connection_string);
		e = http_serve(cfg, ROUTES, sizeof ROUTES / sizeof ROUTES[0], err, sizeof err);
	}
	if (e)
		fprintf(stderr, "%s\n", *err ? err : sy_err_name(e));
	oidc_wellknown_free();
	jws_key_free(&key);
	return e ? 1 : 0;
}
