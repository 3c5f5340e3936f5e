/*
 * routes.c - the protocol endpoints (reference §1.1, §1.2). CORS for any
 * origin where Pocket ID has it: browsers of single-page apps call them.
 */
#include "oidc.h"

#define KB 1024u

static const struct http_route ROUTES[] = {
        {HTTP_GET, "/.well-known/openid-configuration", oidc_discovery_handler, 0, HTTP_ROUTE_CORS, HTTP_LIMIT_NONE},
        {HTTP_GET, "/.well-known/oauth-authorization-server", oidc_discovery_handler, 0, HTTP_ROUTE_CORS,
         HTTP_LIMIT_NONE},
        {HTTP_GET, "/.well-known/jwks.json", oidc_jwks_handler, 0, HTTP_ROUTE_CORS, HTTP_LIMIT_NONE},
        {HTTP_GET | HTTP_POST, "/authorize", oidc_authorize_handler, 64 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/oidc/token", oidc_token_handler, 16 * KB, HTTP_ROUTE_CORS, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/oidc/par", oidc_par_handler, 64 * KB, HTTP_ROUTE_CORS, HTTP_LIMIT_NONE},
        {HTTP_GET | HTTP_POST, "/api/oidc/userinfo", oidc_userinfo_handler, 16 * KB, HTTP_ROUTE_CORS, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/oidc/introspect", oidc_introspect_handler, 16 * KB, HTTP_ROUTE_CORS, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/oidc/revoke", oidc_revoke_handler, 16 * KB, HTTP_ROUTE_CORS, HTTP_LIMIT_NONE},
        {HTTP_GET | HTTP_POST, "/api/oidc/end-session", oidc_end_session_handler, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/oidc/interactions/:id", oidc_interaction_get_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/oidc/clients/:id/preview/:userId", oidc_preview_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/oidc/interactions/:id/complete", oidc_interaction_complete_handler, 16 * KB, 0,
         HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/oidc/interactions/:id/cancel", oidc_interaction_cancel_handler, 16 * KB, 0, HTTP_LIMIT_NONE},
};

const struct http_route *const oidc_routes = ROUTES;
const size_t oidc_routes_len = sizeof ROUTES / sizeof ROUTES[0];
