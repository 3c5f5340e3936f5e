/*
 * groups.c - user groups (reference §1.5): what Tinyauth, openZro and Portabase
 * map to roles through the `groups` claim.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../http/http.h"
#include "../oidc/oidc.h"
#include "../store/store.h"
#include "admin.h"

#define GROUP_COLS                                                                                                     \
	"g.id, g.friendly_name, g.name, g.ldap_id, epoch(g.created_at), "                                              \
	"(SELECT count(*) FROM user_groups_users c WHERE c.user_group_id = g.id)"

void iso8601(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/* One row of GROUP_COLS as UserGroupMinimalDto (claims filled by the caller). */
static json_t *group_row(struct store_stmt *st)
{
	char when[32];
	iso8601(store_col_int(st, 4), when);
	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:o, s:s}", "id", store_col_text(st, 0), "friendlyName",
	                 store_col_text(st, 1), "name", store_col_text(st, 2), "customClaims", json_array(),
	                 "userCount", (json_int_t)store_col_int(st, 5), "ldapId",
	                 store_col_null(st, 3) ? json_null() : json_string(store_col_text(st, 3)), "createdAt", when);
}

static void fill_claims(struct store *s, json_t *list)
{
	size_t i;
	json_t *g;
	json_array_foreach(list, i, g) json_object_set_new(
	        g, "customClaims", claims_json(s, CLAIMS_GROUP, json_string_value(json_object_get(g, "id"))));
}

json_t *groups_of_user(struct store *s, const char *user_id, bool counts)
{
	json_t *list = json_array();
	struct store_stmt *st;
	/* counting members is a scan per group: the groups inside a UserDto leave
	 * userCount at 0, as Pocket ID's do */
	if (store_prepare(
	            s,
	            counts ? "SELECT " GROUP_COLS " FROM user_groups g JOIN user_groups_users m ON "
	                     "m.user_group_id = g.id WHERE m.user_id = ? ORDER BY g.name"
	                   : "SELECT g.id, g.friendly_name, g.name, g.ldap_id, epoch(g.created_at), 0 FROM "
	                     "user_groups g JOIN user_groups_users m ON m.user_group_id = g.id WHERE m.user_id = ? "
	                     "ORDER BY g.name",
	            &st))
		return list;
	store_bind_text(st, 1, user_id);
	bool row;
	while (!store_step(st, &row) && row)
		json_array_append_new(list, group_row(st));
	store_finalize(st);
	fill_claims(s, list);
	return list;
}

enum sy_err groups_attach(struct store *s, struct arena *a, json_t *users_by_id)
{
	size_t n = json_object_size(users_by_id);
	char *in = sql_in_list(a, n);
	if (!n || !in)
		return n ? SY_E_TOOBIG : SY_OK;
	struct store_stmt *st;
	enum sy_err e = store_prepare(
	        s,
	        arena_printf(a,
	                     "SELECT g.id, g.friendly_name, g.name, g.ldap_id, epoch(g.created_at), 0, m.user_id "
	                     "FROM user_groups g JOIN user_groups_users m ON m.user_group_id = g.id "
	                     "WHERE m.user_id IN (%s) ORDER BY g.name",
	                     in),
	        &st);
	if (e)
		return e;
	sql_bind_keys(st, 1, users_by_id);
	/* one object per group, shared by the lists of all its members */
	json_t *groups = json_object();
	bool row;
	while (!(e = store_step(st, &row)) && row) {
		json_t *g = json_object_get(groups, store_col_text(st, 0));
		if (!g)
			json_object_set_new(groups, store_col_text(st, 0), g = group_row(st));
		json_array_append(json_object_get(json_object_get(users_by_id, store_col_text(st, 6)), "userGroups"),
		                  g);
	}
	store_finalize(st);
	if (!e)
		e = claims_attach(s, a, CLAIMS_GROUP, groups);
	json_decref(groups);
	return e;
}

static enum sy_err group_not_found(struct http_req *r)
{
	return http_fail_details(r, SY_E_NOTFOUND, "not_found", "User group not found",
	                         json_pack("{s:s}", "resource", "User group"));
}

/* The clients restricted to this group, as OidcClientMetaDataDto. */
static json_t *allowed_clients(struct store *s, const char *group_id)
{
	json_t *list = json_array();
	struct store_stmt *st;
	if (store_prepare(s,
	                  "SELECT c.id, c.name, c.description, c.launch_url, c.image_type, c.dark_image_type, "
	                  "c.requires_reauthentication FROM oidc_clients c JOIN oidc_clients_allowed_user_groups a "
	                  "ON a.oidc_client_id = c.id WHERE a.user_group_id = ? ORDER BY c.name, c.id",
	                  &st))
		return list;
	store_bind_text(st, 1, group_id);
	bool row;
	while (!store_step(st, &row) && row) {
		struct oidc_client c = {
		        .id = (char *)store_col_text(st, 0),
		        .name = store_col_null(st, 1) ? NULL : (char *)store_col_text(st, 1),
		        .description = (char *)store_col_text(st, 2),
		        .launch_url = store_col_null(st, 3) ? NULL : (char *)store_col_text(st, 3),
		        .has_logo = !store_col_null(st, 4) && *store_col_text(st, 4),
		        .has_dark_logo = !store_col_null(st, 5) && *store_col_text(st, 5),
		        .requires_reauthentication = store_col_bool(st, 6),
		};
		json_array_append_new(list, oidc_client_meta(&c));
	}
	store_finalize(st);
	return list;
}

/* UserGroupDto with its members, claims and allowed clients. */
static enum sy_err group_detail(struct http_req *r, struct store *s, const char *id, json_t **out)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "SELECT " GROUP_COLS " FROM user_groups g WHERE g.id = ?", &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	bool row;
	e = store_step(st, &row);
	json_t *g = !e && row ? group_row(st) : NULL;
	store_finalize(st);
	if (e)
		return e;
	if (!g)
		return group_not_found(r);
	json_object_set_new(g, "customClaims", claims_json(s, CLAIMS_GROUP, id));
	json_t *users = json_array();
	if (!store_prepare(s,
	                   "SELECT m.user_id FROM user_groups_users m JOIN users u ON u.id = m.user_id "
	                   "WHERE m.user_group_id = ? ORDER BY u.username",
	                   &st)) {
		store_bind_text(st, 1, id);
		json_t *ids = json_array();
		while (!store_step(st, &row) && row)
			json_array_append_new(ids, json_string(store_col_text(st, 0)));
		store_finalize(st);
		size_t i;
		json_t *uid;
		json_array_foreach(ids, i, uid)
		{
			struct user u;
			if (!user_get(s, &r->arena, json_string_value(uid), &u))
				json_array_append_new(users, user_dto(s, &u, false));
		}
		json_decref(ids);
	}
	json_object_set_new(g, "users", users);
	json_object_set_new(g, "allowedOidcClients", allowed_clients(s, id));
	*out = g;
	return SY_OK;
}

static const struct list_column SORTABLE[] = {
        {"name", "g.name"},
        {"friendlyName", "g.friendly_name"},
        {"createdAt", "g.created_at"},
        {"userCount", "6"}, /* the count column of GROUP_COLS */
};

enum sy_err groups_list_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct list_req q;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = list_parse(r, SORTABLE, sizeof SORTABLE / sizeof SORTABLE[0], "g.name, g.id", &q)))
		return e;
	const char *where = q.search ? " WHERE lower(g.name) LIKE lower(?) ESCAPE '\\' OR lower(g.friendly_name) LIKE "
	                               "lower(?) ESCAPE '\\'"
	                             : "";
	char *like = q.search ? list_like(r, q.search) : NULL;
	struct store_stmt *st;
	bool row;
	if ((e = store_prepare(s, arena_printf(&r->arena, "SELECT count(*) FROM user_groups g%s", where), &st)))
		return e;
	if (like) {
		store_bind_text(st, 1, like);
		store_bind_text(st, 2, like);
	}
	e = store_step(st, &row);
	int64_t total = !e && row ? store_col_int(st, 0) : 0;
	store_finalize(st);
	if (e)
		return e;
	list_clamp(&q, total);
	if ((e = store_prepare(s,
	                       arena_printf(&r->arena,
	                                    "SELECT " GROUP_COLS " FROM user_groups g%s ORDER BY %s LIMIT ? OFFSET ?",
	                                    where, q.order),
	                       &st)))
		return e;
	int i = 1;
	if (like) {
		store_bind_text(st, i++, like);
		store_bind_text(st, i++, like);
	}
	store_bind_int(st, i++, q.limit);
	store_bind_int(st, i, q.offset);
	json_t *data = json_array();
	while (!(e = store_step(st, &row)) && row)
		json_array_append_new(data, group_row(st));
	store_finalize(st);
	if (e) {
		json_decref(data);
		return e;
	}
	fill_claims(s, data);
	return http_reply_json(r, 200, list_envelope(data, &q));
}

enum sy_err groups_get_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *g;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) || (e = group_detail(r, s, http_param(r, "id"), &g)))
		return e;
	return http_reply_json(r, 200, g);
}

static enum sy_err read_group(struct http_req *r, const json_t *body, const char **name, const char **friendly)
{
	*name = json_string_value(json_object_get(body, "name"));
	*friendly = json_string_value(json_object_get(body, "friendlyName"));
	bool bad = false;
	if (!*friendly || strlen(*friendly) < 2 || strlen(*friendly) > 50)
		bad |= http_fail_field(r, "friendlyName", "length", "must be 2 to 50 characters") != SY_OK;
	if (!*name || strlen(*name) < 2 || strlen(*name) > 255)
		bad |= http_fail_field(r, "name", "length", "must be 2 to 255 characters") != SY_OK;
	return bad ? SY_E_INVALID : SY_OK;
}

static enum sy_err save_group(struct http_req *r, bool create)
{
	struct store *s;
	struct session me;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	const char *name, *friendly;
	if (!json_is_object(body)) {
		json_decref(body);
		return SY_E_BODY;
	}
	if ((e = read_group(r, body, &name, &friendly))) {
		json_decref(body);
		return e;
	}
	char id[37];
	struct store_stmt *st;
	int64_t now = time(NULL);
	if (create) {
		uuid_v4(id);
		e = store_prepare(s,
		                  "INSERT INTO user_groups (id, created_at, updated_at, friendly_name, name) "
		                  "VALUES (?, ts(?), ts(?), ?, ?) RETURNING id",
		                  &st);
	} else {
		snprintf(id, sizeof id, "%s", http_param(r, "id"));
		e = store_prepare(s,
		                  "UPDATE user_groups SET updated_at = ts(?), friendly_name = ?, name = ? WHERE id = ? "
		                  "RETURNING id",
		                  &st);
	}
	if (!e) {
		if (create) {
			store_bind_text(st, 1, id);
			store_bind_int(st, 2, now);
			store_bind_int(st, 3, now);
			store_bind_text(st, 4, friendly);
			store_bind_text(st, 5, name);
		} else {
			store_bind_int(st, 1, now);
			store_bind_text(st, 2, friendly);
			store_bind_text(st, 3, name);
			store_bind_text(st, 4, id);
		}
		bool row;
		e = store_step(st, &row);
		store_finalize(st);
		if (!e && !row)
			e = group_not_found(r);
	}
	json_decref(body);
	if (e == SY_E_CONFLICT)
		return http_fail(r, SY_E_CONFLICT, "already_in_use", "Group name is already in use");
	json_t *g;
	if (e || (e = group_detail(r, s, id, &g)))
		return e;
	return http_reply_json(r, create ? 201 : 200, g);
}

enum sy_err groups_create_handler(struct http_req *r)
{
	return save_group(r, true);
}

enum sy_err groups_update_handler(struct http_req *r)
{
	return save_group(r, false);
}

enum sy_err groups_delete_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	bool row;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = store_run(s, "DELETE FROM user_groups WHERE id = ? RETURNING id",
	                   (const char *const[]){http_param(r, "id")}, 1, &row)))
		return e;
	return row ? http_reply_empty(r, 204) : group_not_found(r);
}

/* Replaces the pairs of one side of user_groups_users: the groups of a user,
 * or the users of a group. Every id must exist. */
enum sy_err memberships_replace(struct http_req *r, struct store *s, bool of_user, const char *id, const json_t *ids)
{
	if (!json_is_array(ids) || json_array_size(ids) > 10000)
		return http_fail(r, SY_E_BODY, "invalid_request_body", "Expected a list of ids");
	struct store_stmt *st;
	bool row;
	enum sy_err e = store_begin(s);
	if (e)
		return e;
	if (!(e = store_prepare(s,
	                        of_user ? "DELETE FROM user_groups_users WHERE user_id = ?"
	                                : "DELETE FROM user_groups_users WHERE user_group_id = ?",
	                        &st))) {
		store_bind_text(st, 1, id);
		e = store_step(st, &row);
		store_finalize(st);
	}
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
	{
		const char *other = json_string_value(v);
		if (e)
			break;
		if (!other) {
			e = http_fail(r, SY_E_BODY, "invalid_request_body", "Expected a list of ids");
			break;
		}
		if ((e = store_prepare(
		             s,
		             of_user ? "INSERT INTO user_groups_users (user_id, user_group_id) SELECT ?, id "
		                       "FROM user_groups WHERE id = ? ON CONFLICT DO NOTHING RETURNING user_id"
		                     : "INSERT INTO user_groups_users (user_group_id, user_id) SELECT ?, id "
		                       "FROM users WHERE id = ? ON CONFLICT DO NOTHING RETURNING user_id",
		             &st)))
			break;
		store_bind_text(st, 1, id);
		store_bind_text(st, 2, other);
		e = store_step(st, &row);
		store_finalize(st);
	}
	if (!e)
		e = store_commit(s);
	if (e)
		store_rollback(s);
	return e;
}

enum sy_err groups_set_users_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *body = NULL, *g;
	enum sy_err e;
	const char *id = http_param(r, "id");
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) || (e = group_detail(r, s, id, &g)))
		return e;
	json_decref(g);
	if ((e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	e = memberships_replace(r, s, false, id, json_object_get(body, "userIds"));
	json_decref(body);
	if (e || (e = group_detail(r, s, id, &g)))
		return e;
	return http_reply_json(r, 200, g);
}
