/*
 * admin.h - what administrators manage: the application configuration (the
 * settings Pocket ID keeps in its database and edits in the UI), users and the
 * first-admin setup.
 */
#ifndef SY_ADMIN_H
#define SY_ADMIN_H

#include <jansson.h>

#include "../core/core.h"

struct http_req;
struct http_route;
struct store;
struct store_stmt;

/* routes.c: this module's routes, merged with the others' by app.c. */
extern const struct http_route *const admin_routes;
extern const size_t admin_routes_len;

/* appconfig.c: reference §6. Values are strings, as in Pocket ID. Loaded once
 * at start-up: the defaults, or with UI_CONFIG_DISABLED=true the environment
 * (validated: a bad value stops start-up naming the variable). Read-only
 * afterwards, so readers need no lock. */
enum sy_err appcfg_init(const struct sy_config *cfg, config_getenv_fn get, char *err, size_t errlen) SY_WARN_UNUSED;
void appcfg_free(void);
const char *appcfg_str(const char *key);
bool appcfg_bool(const char *key);
long appcfg_long(const char *key);
/* GET /api/application-configuration: the public keys. */
enum sy_err appcfg_public_handler(struct http_req *r);

/* users.c: the `users` table and Pocket ID's UserDto. */
struct user {
	char id[37];
	char *username, *email, *first_name, *last_name, *display_name, *locale, *ldap_id;
	bool is_admin, disabled, email_verified;
};
/* Loads a user by id into the arena; SY_E_NOTFOUND when there is none. */
enum sy_err user_get(struct store *s, struct arena *a, const char *id, struct user *out) SY_WARN_UNUSED;
/* By username or email (case-insensitive), for the CLI. */
enum sy_err user_find(struct store *s, struct arena *a, const char *name_or_email, struct user *out) SY_WARN_UNUSED;
/* UserDto. relations: customClaims and userGroups read from the database;
 * without, both are empty, as in Pocket ID's sign-in and setup answers (the
 * web app reads /api/users/me next). */
json_t *user_dto(struct store *s, const struct user *u, bool relations);
/* Validates a UserCreateDto body into u (which keeps id and flags); on a
 * validation failure the response is already prepared (http_fail_field). */
enum sy_err user_read_body(struct http_req *r, const json_t *body, struct user *u) SY_WARN_UNUSED;
/* Inserts u (u->id is set here); SY_E_CONFLICT answered as Pocket ID does. */
enum sy_err user_insert(struct http_req *r, struct store *s, struct user *u) SY_WARN_UNUSED;
enum sy_err users_me_get(struct http_req *r);
enum sy_err users_me_put(struct http_req *r);

/* setup.c: the first administrator (reference §1.14). */
enum sy_err setup_get(struct http_req *r);
enum sy_err setup_post(struct http_req *r);

/* audit.c: one row of the audit log with the request's address and user
 * agent. data is a flat object of strings (taken); NULL for none. A failure
 * is logged, never returned: the action it records has already happened. */
void audit_record(struct http_req *r, struct store *s, const char *event, const char *user_id, json_t *data);

#endif
