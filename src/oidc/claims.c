/*
 * claims.c - the claims a user's tokens and userinfo carry (reference §2.7,
 * §2.8), computed from the database at every issuance: a change of name,
 * email or groups shows at the next refresh or userinfo call.
 */
#include <string.h>

#include "../admin/admin.h"
#include "../store/store.h"
#include "oidc.h"

/* A custom claim's value: JSON when it parses as JSON ("42" is 42, "[1,2]" a
 * list), else the string itself. */
static json_t *claim_value(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	return v ? v : json_string(text);
}

static void add_distinct(json_t *list, json_t *v)
{
	size_t i;
	json_t *have;
	json_array_foreach(list, i, have) if (json_equal(have, v)) return;
	json_array_append(list, v);
}

/* Merges a group's value into what other groups gave for the same key: one
 * value stays as it is; several become one list of the distinct values (a
 * list value contributes its items). Pocket ID keeps whichever group it read
 * first (its issue #1273); a list loses nothing and does not depend on order. */
static void merge_group_value(json_t *claims, json_t *seen_lists, const char *key, json_t *v)
{
	json_t *cur = json_object_get(claims, key);
	if (!cur) {
		json_object_set(claims, key, v);
		return;
	}
	json_t *list = json_object_get(seen_lists, key);
	if (!list) {
		list = json_array();
		if (json_is_array(cur)) {
			size_t i;
			json_t *x;
			json_array_foreach(cur, i, x) add_distinct(list, x);
		} else {
			add_distinct(list, cur);
		}
		json_object_set_new(seen_lists, key, list);
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) add_distinct(list, x);
	} else {
		add_distinct(list, v);
	}
	json_object_set(claims, key, json_array_size(list) == 1 ? json_array_get(list, 0) : list);
}

#define OWN_CLAIMS "SELECT 0, c.key, c.value, '' FROM custom_claims c WHERE c.user_id = ?"
#define GROUP_CLAIMS                                                                                                   \
	"SELECT 1, c.key, c.value, g.name FROM custom_claims c JOIN user_groups g ON g.id = c.user_group_id "          \
	"JOIN user_groups_users m ON m.user_group_id = g.id WHERE m.user_id = ?"
#define GROUP_NAMES                                                                                                    \
	"SELECT 2, '', '', g.name FROM user_groups g JOIN user_groups_users m ON m.user_group_id = g.id "              \
	"WHERE m.user_id = ?"
#define CLAIMS_ORDER " ORDER BY 1, 4, 2"

/* What the scopes need from the database, in one query: the custom claims
 * (the user's own, then their groups' for keys they do not set themselves,
 * groups in name order) and the group names. */
enum sy_err oidc_claims_queue(struct store *s, const char *user_id, const json_t *scope, struct store_stmt **st)
{
	bool custom = oidc_scope_has(scope, "profile"), groups = oidc_scope_has(scope, "groups");
	const char *sql = custom && groups ? OWN_CLAIMS " UNION ALL " GROUP_CLAIMS
	                                                " UNION ALL " GROUP_NAMES CLAIMS_ORDER
	                  : custom ? OWN_CLAIMS " UNION ALL " GROUP_CLAIMS CLAIMS_ORDER
	                           : GROUP_NAMES CLAIMS_ORDER;
	*st = NULL;
	if (!custom && !groups)
		return SY_OK;
	enum sy_err e = store_prepare(s, sql, st);
	if (e)
		return e;
	int nparams = (custom ? 2 : 0) + (groups ? 1 : 0);
	for (int i = 1; i <= nparams; i++)
		store_bind_text(*st, i, user_id);
	store_queue(*st);
	return SY_OK;
}

static void read_claims(struct store_stmt *st, json_t *claims, json_t *names)
{
	if (!st)
		return;
	json_t *own = json_object(), *lists = json_object();
	bool row;
	while (!store_step(st, &row) && row) {
		int kind = (int)store_col_int(st, 0);
		const char *key = store_col_text(st, 1);
		if (kind == 2) {
			json_array_append_new(names, json_string(store_col_text(st, 3)));
			continue;
		}
		json_t *v = claim_value(store_col_text(st, 2));
		if (kind == 0) {
			json_object_set(claims, key, v);
			json_object_set_new(own, key, json_true());
		} else if (!json_object_get(own, key)) {
			merge_group_value(claims, lists, key, v);
		}
		json_decref(v);
	}
	store_finalize(st);
	json_decref(own);
	json_decref(lists);
}

/* Pocket ID's `name`: "First Last" trimmed, else the display name, else the username. */
static char *full_name(struct arena *a, const struct user *u)
{
	const char *f = u->first_name ? u->first_name : "", *l = u->last_name ? u->last_name : "";
	char *n = arena_printf(a, "%s%s%s", f, *f && *l ? " " : "", l);
	if (n && *n)
		return n;
	return arena_strdup(a, u->display_name && *u->display_name ? u->display_name : u->username);
}

json_t *oidc_claims(struct store *s, struct arena *a, const struct user *u, const json_t *scope)
{
	struct store_stmt *st;
	if (oidc_claims_queue(s, u->id, scope, &st))
		st = NULL;
	return oidc_claims_read(st, a, u, scope);
}

json_t *oidc_claims_read(struct store_stmt *st, struct arena *a, const struct user *u, const json_t *scope)
{
	json_t *c = json_object(), *names = json_array();
	bool profile = oidc_scope_has(scope, "profile"), groups = oidc_scope_has(scope, "groups");
	read_claims(st, c, names);
	if (profile) {
		/* the standard claims win over custom ones of the same name */
		json_t *std = json_pack(
		        "{s:s, s:s, s:s, s:s, s:s, s:s}", "given_name", u->first_name ? u->first_name : "",
		        "family_name", u->last_name ? u->last_name : "", "name", full_name(a, u), "display_name",
		        u->display_name ? u->display_name : "", "preferred_username", u->username, "picture",
		        arena_printf(a, "%s/api/users/%s/profile-picture.png", oidc_config()->app_url, u->id));
		json_object_update(c, std);
		json_decref(std);
	}
	if (oidc_scope_has(scope, "email") && u->email && *u->email) {
		json_object_set_new(c, "email", json_string(u->email));
		json_object_set_new(c, "email_verified", json_boolean(u->email_verified));
	}
	if (groups)
		json_object_set(c, "groups", names);
	json_decref(names);
	json_object_set_new(c, "sub", json_string(u->id));
	return c;
}
