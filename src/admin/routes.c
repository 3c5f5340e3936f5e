/* routes.c - the administration module's routes (reference §1.4-§1.14). */
#include "../http/http.h"
#include "admin.h"

#define KB 1024u

static const struct http_route ROUTES[] = {
        {HTTP_GET, "/api/application-configuration", appcfg_public_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/signup/setup", setup_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/signup/setup", setup_post, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/users/me", users_me_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/users/me", users_me_put, 16 * KB, 0, HTTP_LIMIT_NONE},
};
const struct http_route *const admin_routes = ROUTES;
const size_t admin_routes_len = sizeof ROUTES / sizeof ROUTES[0];
