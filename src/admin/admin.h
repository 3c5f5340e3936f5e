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

/* list.c: Pocket ID's paginated lists (reference §0.1). */
struct list_column {
	const char *name; /* as the client names it: "createdAt" */
	const char *sql;  /* a fixed SQL expression: "u.created_at" */
};
struct list_req {
	long page, limit;
	int64_t offset, total;
	const char *order; /* "ORDER BY" expression: the asked column, then def_order */
	/* the same order backwards, when def_order is one column (else NULL): a
	 * page past the middle is read from the other end */
	const char *order_reversed;
	const char *search;
};
/* Reads pagination[page|limit], sort[column|direction] (columns outside cols are
 * ignored) and search. def_order is the SQL tiebreak ("u.username, u.id"). */
enum sy_err list_parse(struct http_req *r, const struct list_column *cols, size_t ncols, const char *def_order,
                       struct list_req *out) SY_WARN_UNUSED;
/* filters[field] or filters[field][]; NULL when absent. */
const char *list_filter(struct http_req *r, const char *field);
/* A boolean filter: 1 or 0; -1 when absent, not "true"/"false", or both. */
int list_filter_bool(struct http_req *r, const char *field);
/* "%search%" with LIKE's wildcards escaped (use ESCAPE '\'). */
char *list_like(struct http_req *r, const char *search);
/* Sets total and offset, clamping a page past the end to the last page. */
void list_clamp(struct list_req *q, int64_t total);
/* {"data": data, "pagination": {...}}; takes data. */
json_t *list_envelope(json_t *data, const struct list_req *q);

/* appconfig.c: reference §6. Values are strings, as in Pocket ID: the
 * defaults, then the stored settings (appcfg_load), or with
 * UI_CONFIG_DISABLED=true the environment (validated: a bad value stops
 * start-up naming the variable). Readers need no lock. */
enum sy_err appcfg_init(const struct sy_config *cfg, config_getenv_fn get, char *err, size_t errlen) SY_WARN_UNUSED;
void appcfg_free(void);
const char *appcfg_str(const char *key);
bool appcfg_bool(const char *key);
long appcfg_long(const char *key);
/* The settings stored in the database (table app_config) over the defaults;
 * called at start-up and by the janitor, so that every instance sharing the
 * database follows a change. Does nothing with UI_CONFIG_DISABLED. */
enum sy_err appcfg_load(struct store *s) SY_WARN_UNUSED;
/* GET /api/application-configuration: the public keys. */
enum sy_err appcfg_public_handler(struct http_req *r);
/* GET /api/application-configuration/all and PUT (full replace), admin only. */
enum sy_err appcfg_all_handler(struct http_req *r);
enum sy_err appcfg_put_handler(struct http_req *r);

/* users.c: the `users` table and Pocket ID's UserDto. */
struct user {
	char id[37];
	char *username, *email, *first_name, *last_name, *display_name, *locale, *ldap_id;
	bool is_admin, disabled, email_verified;
};
/* One "@", a local part, a domain with a dot, no spaces or control bytes. */
bool email_valid(const char *s);
/* Loads a user by id into the arena; SY_E_NOTFOUND when there is none. */
enum sy_err user_get(struct store *s, struct arena *a, const char *id, struct user *out) SY_WARN_UNUSED;
/* user_get in two halves, to share a round trip (store_queue): the query
 * queued, then the user read from it (st finalized). */
enum sy_err user_get_queue(struct store *s, const char *id, struct store_stmt **st) SY_WARN_UNUSED;
enum sy_err user_get_read(struct store_stmt *st, struct arena *a, struct user *out) SY_WARN_UNUSED;
/* By username or email (case-insensitive), for the CLI. */
enum sy_err user_find(struct store *s, struct arena *a, const char *name_or_email, struct user *out) SY_WARN_UNUSED;
/* UserDto. relations: customClaims and userGroups read from the database;
 * without, both are empty, as in Pocket ID's sign-in and setup answers (the
 * web app reads /api/users/me next). */
json_t *user_dto(struct store *s, const struct user *u, bool relations);
/* The UserDtos (with relations) of the users whose ids are listed, in that
 * order, in four queries whatever the number: a list page must not cost a
 * database round trip per user. Ids that do not exist are left out. */
enum sy_err users_dto_many(struct store *s, struct arena *a, const json_t *ids, json_t **out) SY_WARN_UNUSED;
/* Validates a UserCreateDto body into u (which keeps id and flags); on a
 * validation failure the response is already prepared (http_fail_field). */
enum sy_err user_read_body(struct http_req *r, const json_t *body, struct user *u) SY_WARN_UNUSED;
/* Inserts u (u->id is set here); SY_E_CONFLICT answered as Pocket ID does. */
enum sy_err user_insert(struct http_req *r, struct store *s, struct user *u) SY_WARN_UNUSED;
/* 409 already_in_use when another user has u's username or email. */
enum sy_err user_conflict(struct http_req *r, struct store *s, const struct user *u) SY_WARN_UNUSED;
/* Writes every field of u (including the admin-only flags). */
enum sy_err user_save(struct http_req *r, struct store *s, const struct user *u) SY_WARN_UNUSED;
enum sy_err users_me_get(struct http_req *r);
enum sy_err users_me_put(struct http_req *r);

/* users_admin.c: the admin routes of reference §1.4. A new user gets the
 * sign-up defaults: the groups given (or signupDefaultUserGroupIDs when
 * groups is not a list) and signupDefaultCustomClaims. */
enum sy_err user_apply_defaults(struct http_req *r, struct store *s, const char *id,
                                const json_t *groups) SY_WARN_UNUSED;
enum sy_err users_list_handler(struct http_req *r);
enum sy_err users_get_handler(struct http_req *r);
enum sy_err users_create_handler(struct http_req *r);
enum sy_err users_update_handler(struct http_req *r);
enum sy_err users_delete_handler(struct http_req *r);
enum sy_err users_groups_handler(struct http_req *r);
enum sy_err users_set_groups_handler(struct http_req *r);

/* apikeys.c: reference §1.11. */
enum sy_err apikeys_list_handler(struct http_req *r);
enum sy_err apikeys_create_handler(struct http_req *r);
enum sy_err apikeys_renew_handler(struct http_req *r);
enum sy_err apikeys_delete_handler(struct http_req *r);

/* signup.c: reference §1.14. */
enum sy_err signup_handler(struct http_req *r);
enum sy_err signup_tokens_create_handler(struct http_req *r);
enum sy_err signup_tokens_list_handler(struct http_req *r);
enum sy_err signup_tokens_delete_handler(struct http_req *r);

/* setup.c: the first administrator (reference §1.14). */
enum sy_err setup_get(struct http_req *r);
enum sy_err setup_post(struct http_req *r);

/* groups.c: user groups (reference §1.5). */
json_t *groups_of_user(struct store *s, const char *user_id, bool counts);
/* Fills the userGroups of every UserDto in users_by_id (id -> UserDto), with
 * the groups' claims, in two queries whatever the number of users. */
enum sy_err groups_attach(struct store *s, struct arena *a, json_t *users_by_id) SY_WARN_UNUSED;
/* Replaces the groups of a user (of_user) or the users of a group; ids that
 * do not exist are skipped. In its own transaction. */
enum sy_err memberships_replace(struct http_req *r, struct store *s, bool of_user, const char *id,
                                const json_t *ids) SY_WARN_UNUSED;
/* RFC 3339 UTC, as Pocket ID's JSON shows times. */
void iso8601(int64_t t, char out[32]);
enum sy_err groups_list_handler(struct http_req *r);
enum sy_err groups_get_handler(struct http_req *r);
enum sy_err groups_create_handler(struct http_req *r);
enum sy_err groups_update_handler(struct http_req *r);
enum sy_err groups_delete_handler(struct http_req *r);
enum sy_err groups_set_users_handler(struct http_req *r);

/* claims.c: custom claims of a user or a group (reference §1.12). */
enum claim_owner { CLAIMS_USER, CLAIMS_GROUP };
json_t *claims_json(struct store *s, enum claim_owner owner, const char *id);
/* Appends the claims of every owner in by_id (id -> an object with a
 * customClaims array) with one query. */
enum sy_err claims_attach(struct store *s, struct arena *a, enum claim_owner owner, json_t *by_id) SY_WARN_UNUSED;
/* "?,?,...,?" with n marks, for an IN list of up to a page of ids; and the
 * keys of by_id bound from parameter first on (returns the next index). */
char *sql_in_list(struct arena *a, size_t n);
int sql_bind_keys(struct store_stmt *st, int first, const json_t *by_id);
/* Replaces the owner's claims with list (already checked), inside the caller's transaction. */
enum sy_err claims_replace(struct store *s, enum claim_owner owner, const char *id, const json_t *list) SY_WARN_UNUSED;
enum sy_err claims_user_handler(struct http_req *r);
enum sy_err claims_group_handler(struct http_req *r);
enum sy_err claims_suggestions_handler(struct http_req *r);

/* audit.c: one row of the audit log with the request's address and user
 * agent. data is a flat object of strings (taken); NULL for none. A failure
 * is logged, never returned: the action it records has already happened. */
void audit_record(struct http_req *r, struct store *s, const char *event, const char *user_id, json_t *data);
/* audit_record in two halves, to share a round trip: the row queued (NULL
 * when it cannot be), then written (st stepped and finalized; a failure logged). */
struct store_stmt *audit_record_queue(struct http_req *r, struct store *s, const char *event, const char *user_id,
                                      json_t *data);
void audit_record_finish(struct store_stmt *st);
/* Deletes entries older than before (Unix seconds). */
void audit_expire(struct store *s, int64_t before);
/* GET /api/audit-logs (own), /all, /filters/client-names, /filters/users. */
enum sy_err audit_own_handler(struct http_req *r);
enum sy_err audit_all_handler(struct http_req *r);
enum sy_err audit_client_names_handler(struct http_req *r);
enum sy_err audit_users_handler(struct http_req *r);

#endif
