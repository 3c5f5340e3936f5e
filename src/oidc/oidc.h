/*
 * oidc.h - the OpenID Connect provider. So far: discovery (RFC 8414 and OpenID
 * Discovery) and the JWKS, both built once at start-up and served from memory.
 */
#ifndef SY_OIDC_H
#define SY_OIDC_H

#include "../crypto/crypto.h"
#include "../http/http.h"

/* discovery.c */
enum sy_err oidc_wellknown_init(const struct sy_config *cfg, const struct jws_key *key) SY_WARN_UNUSED;
void oidc_wellknown_free(void);
enum sy_err oidc_discovery_handler(struct http_req *r);
enum sy_err oidc_jwks_handler(struct http_req *r);

#endif
