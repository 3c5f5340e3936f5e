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

/* The custom claims of a user: their own, then their groups' for keys they do
 * not set themselves (groups in name order). */
static json_t *custom_claims(struct store *s, const char *user_id)
{
	json_t *claims = json_object(), *lists = json_object();
	struct store_stmt *st;
	if (!store_prepare(s,
	                   "SELECT c.key, c.value, 0, '' FROM custom_claims c WHERE c.user_id = ? "
	                   "UNION ALL SELECT c.key, c.value, 1, g.name FROM custom_claims c "
	                   "JOIN user_groups g ON g.id = c.user_group_id "
	                   "JOIN user_groups_users m ON m.user_group_id = g.id WHERE m.user_id = ? "
	                   "ORDER BY 3, 4, 1",
	                   &st)) {
		store_bind_text(st, 1, user_id);
		store_bind_text(st, 2, user_id);
		json_t *own = json_object();
		bool row;
		while (!store_step(st, &row) && row) {
			const char *key = store_col_text(st, 0);
			json_t *v = claim_value(store_col_text(st, 1));
			if (store_col_int(st, 2) == 0) {
				json_object_set(claims, key, v);
				json_object_set_new(own, key, json_true());
			} else if (!json_object_get(own, key)) {
				merge_group_value(claims, lists, key, v);
			}
			json_decref(v);
		}
		store_finalize(st);
		json_decref(own);
	}
	json_decref(lists);
	return claims;
}

static json_t *group_names(struct store *s, const char *user_id)
{
	json_t *names = json_array();
	struct store_stmt *st;
	if (store_prepare(s,
	                  "SELECT g.name FROM user_groups g JOIN user_groups_users m ON m.user_group_id = g.id "
	                  "WHERE m.user_id = ? ORDER BY g.name",
	                  &st))
		return names;
	store_bind_text(st, 1, user_id);
	bool row;
	while (!store_step(st, &row) && row)
		json_array_append_new(names, json_string(store_col_text(st, 0)));
	store_finalize(st);
	return names;
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
	json_t *c = json_object();
	if (oidc_scope_has(scope, "profile")) {
		json_t *custom = custom_claims(s, u->id);
		json_object_update(c, custom);
		json_decref(custom);
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
	if (oidc_scope_has(scope, "groups"))
		json_object_set_new(c, "groups", group_names(s, u->id));
	json_object_set_new(c, "sub", json_string(u->id));
	return c;
}
