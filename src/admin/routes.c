/* routes.c - the administration module's routes (reference §1.4-§1.14). */
#include "../http/http.h"
#include "admin.h"

#define KB 1024u

static const struct http_route ROUTES[] = {
        {HTTP_GET, "/api/application-configuration", appcfg_public_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/application-configuration/all", appcfg_all_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/application-configuration", appcfg_put_handler, 64 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/signup/setup", setup_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/signup/setup", setup_post, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/users/me", users_me_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/users/me", users_me_put, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/users", users_list_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/users", users_create_handler, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/users/:id", users_get_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/users/:id", users_update_handler, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, "/api/users/:id", users_delete_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/users/:id/groups", users_groups_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/users/:id/user-groups", users_set_groups_handler, 256 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/user-groups", groups_list_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/user-groups", groups_create_handler, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/user-groups/:id", groups_get_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/user-groups/:id", groups_update_handler, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, "/api/user-groups/:id", groups_delete_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/user-groups/:id/users", groups_set_users_handler, 1024 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/api-keys", apikeys_list_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/api-keys", apikeys_create_handler, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/api-keys/:id/renew", apikeys_renew_handler, 16 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, "/api/api-keys/:id", apikeys_delete_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/signup", signup_handler, 16 * KB, 0, HTTP_LIMIT_SIGNUP},
        {HTTP_GET, "/api/signup-tokens", signup_tokens_list_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST, "/api/signup-tokens", signup_tokens_create_handler, 64 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, "/api/signup-tokens/:id", signup_tokens_delete_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/audit-logs", audit_own_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/audit-logs/all", audit_all_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/audit-logs/filters/client-names", audit_client_names_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/audit-logs/filters/users", audit_users_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/custom-claims/suggestions", claims_suggestions_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/custom-claims/user/:userId", claims_user_handler, 512 * KB, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/custom-claims/user-group/:userGroupId", claims_group_handler, 512 * KB, 0, HTTP_LIMIT_NONE},
};
const struct http_route *const admin_routes = ROUTES;
const size_t admin_routes_len = sizeof ROUTES / sizeof ROUTES[0];
