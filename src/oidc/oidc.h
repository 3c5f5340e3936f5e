/*
 * oidc.h - the OpenID Connect provider (reference §2): discovery and JWKS,
 * clients, callback URL patterns, the authorization and token endpoints,
 * userinfo, introspection, revocation and end-session.
 */
#ifndef SY_OIDC_H
#define SY_OIDC_H

#include <jansson.h>

#include "../crypto/crypto.h"
#include "../http/http.h"

struct store;

/* discovery.c */
enum sy_err oidc_wellknown_init(const struct sy_config *cfg, const struct jws_key *key) SY_WARN_UNUSED;
void oidc_wellknown_free(void);
enum sy_err oidc_discovery_handler(struct http_req *r);
enum sy_err oidc_jwks_handler(struct http_req *r);

/* client.c: one row of oidc_clients, as the protocol endpoints need it. */
struct oidc_client {
	char *id, *name, *description, *launch_url;
	json_t *callback_urls, *logout_callback_urls; /* arrays of patterns (strings) */
	json_t *secrets;                              /* credentials.secrets, an array */
	bool is_public, pkce_enabled, pkce_supported, requires_reauthentication, requires_par;
	bool is_group_restricted, skip_consent, has_logo, has_dark_logo;
	long access_token_minutes, refresh_token_minutes;
};
/* Loads a client (strings in a; the JSON held until oidc_client_clear);
 * SY_E_NOTFOUND when there is none. */
enum sy_err oidc_client_get(struct store *s, struct arena *a, const char *id, struct oidc_client *out) SY_WARN_UNUSED;
void oidc_client_clear(struct oidc_client *c);
/* Whether secret is one of the client's unexpired secrets at time now: its
 * SHA-256 compared in constant time with each stored "sha256" hash. */
bool oidc_client_secret_ok(const struct oidc_client *c, const char *secret, int64_t now);
/* Whether the user may use the client: it is unrestricted, or the user is in
 * one of its allowed groups (none allowed: nobody). */
enum sy_err oidc_client_allows(struct store *s, const struct oidc_client *c, const char *user_id,
                               bool *ok) SY_WARN_UNUSED;
/* OidcClientMetaDataDto: id, name, description, hasLogo, hasDarkLogo,
 * launchURL, requiresReauthentication, clientType. */
json_t *oidc_client_meta(const struct oidc_client *c);

/* redirect.c: callback and logout URL patterns (reference §2.14). */
/* Whether a pattern may be registered: it parses as a URL pattern, has a
 * scheme, and is not javascript: or data: (nor vbscript:). */
bool oidc_redirect_pattern_valid(const char *pattern);
/* Whether uri matches one of patterns (a JSON array of strings): exact, the
 * RFC 8252 loopback rule (http, loopback IP, any port), then Pocket ID's
 * wildcards. An http URI that is not loopback or *.localhost matches only
 * when allow_insecure is set (ALLOW_INSECURE_CALLBACK_URLS). The caller
 * handles an empty redirect_uri (one registered URL, not for openid). */
bool oidc_redirect_match(const json_t *patterns, const char *uri, bool allow_insecure);

#endif
