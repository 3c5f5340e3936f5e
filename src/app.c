/*
 * app.c - what `symbolon` does when it serves: open and migrate the database,
 * load (or create) the instance's signing key, build the well-known documents,
 * then hand the route table to the HTTP core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/images.h"
#include "app.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "integrations/integrations.h"
#include "oidc/oidc.h"
#include "store/store.h"

static const char *getenv_wrapper(const char *name)
{
	return getenv(name);
}

static enum sy_err healthz(struct http_req *r)
{
	return http_reply_empty(r, 204);
}

#define KB 1024u
/* The passkey and session routes, and the protocol endpoints; other modules
 * bring their own tables (TABLES below). Body limits: a passkey response with
 * attestation fits in 256 KiB; forms and names in 16 KiB. */
static const struct http_route ROUTES[] = {
        {HTTP_GET, "/healthz", healthz, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/users/:id/one-time-access-token", code_create_handler, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/one-time-access-token/:token", code_exchange_handler, 16 * KB, 0, HTTP_LIMIT_ONE_TIME_ACCESS},
        {HTTP_GET, "/api/webauthn/register/start", passkey_register_start, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/webauthn/register/finish", passkey_register_finish, 256 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/webauthn/login/start", passkey_login_start, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/webauthn/login/finish", passkey_login_finish, 256 * KB, 0, HTTP_LIMIT_WEBAUTHN_LOGIN},
        {HTTP_POST, "/api/webauthn/logout", passkey_logout, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/webauthn/reauthenticate", passkey_reauthenticate, 256 * KB, 0, HTTP_LIMIT_REAUTHENTICATE},
        {HTTP_GET, "/api/webauthn/credentials", passkey_list, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PATCH, "/api/webauthn/credentials/:id", passkey_rename, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, "/api/webauthn/credentials/:id", passkey_delete, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/users/:id/webauthn-credentials", passkey_admin_list, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, "/api/users/:id/webauthn-credentials/:credentialId", passkey_admin_delete, 0, 0, HTTP_LIMIT_NONE},
};

/* Every module's routes, in one table for the router. The router takes the
 * first pattern that matches, so patterns with fewer :params go first
 * (/api/users/me before /api/users/:id); the order within a module is kept. */
struct route_table {
	const struct http_route *const *routes;
	const size_t *len;
};
static const struct http_route *const core_routes = ROUTES;
static const size_t core_routes_len = sizeof ROUTES / sizeof ROUTES[0];
static const struct route_table TABLES[] = {
        {&core_routes, &core_routes_len},
        {&admin_routes, &admin_routes_len},
        {&images_routes, &images_routes_len},
        {&oidc_routes, &oidc_routes_len},
        {&oidc_admin_routes, &oidc_admin_routes_len},
};

static size_t params_in(const char *pattern)
{
	size_t n = 0;
	for (const char *p = pattern; (p = strstr(p, "/:")); p += 2)
		n++;
	return n;
}

static struct http_route *all_routes(size_t *n)
{
	*n = 0;
	for (size_t t = 0; t < sizeof TABLES / sizeof TABLES[0]; t++)
		*n += *TABLES[t].len;
	struct http_route *all = sy_calloc(*n, sizeof *all);
	size_t k = 0;
	for (size_t t = 0; t < sizeof TABLES / sizeof TABLES[0]; t++)
		for (size_t i = 0; i < *TABLES[t].len; i++) {
			/* insertion sort, stable: after every route with at most as many params */
			struct http_route r = (*TABLES[t].routes)[i];
			size_t at = k, p = params_in(r.pattern);
			while (at > 0 && params_in(all[at - 1].pattern) > p) {
				all[at] = all[at - 1];
				at--;
			}
			all[at] = r;
			k++;
		}
	return all;
}

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
	if (!e && (e = appcfg_load(s)))
		snprintf(err, errlen, "cannot read the application configuration: %s", store_errmsg(s));
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
	enum sy_err e = appcfg_init(cfg, getenv_wrapper, err, sizeof err);
	if (!e)
		e = prepare(cfg, &key, err, sizeof err);
	if (!e)
		e = oidc_wellknown_init(cfg, &key);
	if (!e)
		e = oidc_setup(cfg, &key);
	if (!e) {
		auth_setup(cfg, &key);
		passkeys_setup(cfg->encryption_key);
		/* Pocket ID never limits in its test mode */
		http_ratelimit_setup(!cfg->disable_rate_limiting && strcmp(cfg->app_env, "test") != 0);
		store_thread_setup(cfg->db_connection_string);
		geoip_setup(cfg);
		oidc_federated_start();
		auth_janitor_start(cfg->audit_log_retention_days);
		size_t n;
		struct http_route *routes = all_routes(&n);
		e = http_serve(cfg, routes, n, err, sizeof err);
		auth_janitor_stop();
		oidc_federated_stop();
		geoip_stop();
		free(routes);
	}
	if (e)
		fprintf(stderr, "%s\n", *err ? err : sy_err_name(e));
	oidc_wellknown_free();
	http_ratelimit_free();
	cose_key_cache_clear();
	appcfg_free();
	jws_key_free(&key);
	return e ? 1 : 0;
}
