/*
 * users_admin.c - the administrators' side of users (reference §1.4): list,
 * create, edit, delete, group memberships.
 */
#include <string.h>

#include "../auth/auth.h"
#include "../http/http.h"
#include "../store/store.h"
#include "admin.h"
#include "images.h"

static enum sy_err user_not_found(struct http_req *r)
{
	return http_fail(r, SY_E_NOTFOUND, "user_not_found", "User not found");
}

static const struct list_column SORTABLE[] = {
        {"firstName", "u.first_name"},
        {"lastName", "u.last_name"},
        {"displayName", "u.display_name"},
        {"username", "u.username"},
        {"email", "u.email"},
        {"isAdmin", "u.is_admin"},
        {"emailVerified", "u.email_verified"},
        {"disabled", "u.disabled"},
        {"createdAt", "u.created_at"},
};

/* The WHERE clause of a list request and its parameters, in order. */
struct user_filter {
	char *sql;
	const char *text[4];
	int flags[3];
	size_t ntext, nflags;
};

static void build_filter(struct http_req *r, struct store *s, const struct list_req *q, struct user_filter *f)
{
	memset(f, 0, sizeof *f);
	f->sql = "";
	if (q->search) {
		char *like = list_like(r, q->search);
		for (int i = 0; i < 4; i++)
			f->text[f->ntext++] = like;
		/* SQLite's LIKE already ignores ASCII case (lower() on every row would double
		 * the scan); PostgreSQL's ILIKE uses the trigram indexes of migration 0003 */
		f->sql = store_kind(s) == STORE_POSTGRES
		                 ? " AND (u.email ILIKE ? ESCAPE '\\' OR u.first_name ILIKE ? ESCAPE '\\' OR "
		                   "u.last_name ILIKE ? ESCAPE '\\' OR u.username::text ILIKE ? ESCAPE '\\')"
		                 : " AND (u.email LIKE ? ESCAPE '\\' OR u.first_name LIKE ? ESCAPE '\\' OR "
		                   "u.last_name LIKE ? ESCAPE '\\' OR u.username LIKE ? ESCAPE '\\')";
	}
	static const struct {
		const char *field, *sql;
	} BOOLS[] = {{"emailVerified", " AND u.email_verified = ?"},
	             {"isAdmin", " AND u.is_admin = ?"},
	             {"disabled", " AND u.disabled = ?"}};
	for (size_t i = 0; i < 3; i++) {
		int v = list_filter_bool(r, BOOLS[i].field);
		if (v < 0)
			continue;
		f->flags[f->nflags++] = v;
		f->sql = arena_printf(&r->arena, "%s%s", f->sql, BOOLS[i].sql);
	}
}

static int bind_filter(struct store_stmt *st, const struct user_filter *f)
{
	int i = 1;
	for (size_t k = 0; k < f->ntext; k++)
		store_bind_text(st, i++, f->text[k]);
	for (size_t k = 0; k < f->nflags; k++)
		store_bind_int(st, i++, f->flags[k]);
	return i;
}

/* The ids of one page and, in the same pass, how many match (a window count):
 * a search scans the table once instead of twice. *total is -1 when the page
 * is empty, which says nothing about the total. */
static enum sy_err page_ids(struct http_req *r, struct store *s, const struct user_filter *f, const struct list_req *q,
                            json_t *ids, int64_t *total)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s,
	                              arena_printf(&r->arena,
	                                           "SELECT u.id, %s FROM users u WHERE 1 = 1%s "
	                                           "ORDER BY %s LIMIT ? OFFSET ?",
	                                           q->search ? "count(*) OVER ()" : "-1", f->sql, q->order),
	                              &st);
	if (e)
		return e;
	int i = bind_filter(st, f);
	store_bind_int(st, i, q->limit);
	store_bind_int(st, i + 1, q->offset);
	*total = -1;
	bool row;
	while (!(e = store_step(st, &row)) && row) {
		json_array_append_new(ids, json_string(store_col_text(st, 0)));
		*total = store_col_int(st, 1);
	}
	store_finalize(st);
	return e;
}

enum sy_err users_list_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct list_req q;
	struct user_filter f;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = list_parse(r, SORTABLE, sizeof SORTABLE / sizeof SORTABLE[0], "u.username", &q)))
		return e;
	build_filter(r, s, &q, &f);
	json_t *ids = json_array();
	int64_t total = -1;
	q.offset = (int64_t)(q.page - 1) * q.limit;
	/* a search scans the table anyway: count in the same pass; otherwise an
	 * index-backed count and page are cheaper than a window over every row */
	if (q.search)
		e = page_ids(r, s, &f, &q, ids, &total);
	if (!e && total < 0 && (q.page > 1 || !q.search)) {
		/* no search, or a search past the end (Pocket ID answers the last page) */
		struct store_stmt *st;
		bool row;
		if (!(e = store_prepare(s, arena_printf(&r->arena, "SELECT count(*) FROM users u WHERE 1 = 1%s", f.sql),
		                        &st))) {
			bind_filter(st, &f);
			e = store_step(st, &row);
			total = !e && row ? store_col_int(st, 0) : 0;
			store_finalize(st);
		}
		list_clamp(&q, total);
		int64_t unused;
		if (!e && total > 0)
			e = page_ids(r, s, &f, &q, ids, &unused);
	}
	list_clamp(&q, total < 0 ? 0 : total);
	json_t *data = json_array();
	size_t k;
	json_t *id;
	json_array_foreach(ids, k, id)
	{
		struct user u;
		if (!e && !(e = user_get(s, &r->arena, json_string_value(id), &u)))
			json_array_append_new(data, user_dto(s, &u, true));
	}
	json_decref(ids);
	if (e) {
		json_decref(data);
		return e;
	}
	return http_reply_json(r, 200, list_envelope(data, &q));
}

static enum sy_err load_target(struct http_req *r, struct store *s, struct user *u)
{
	enum sy_err e = user_get(s, &r->arena, http_param(r, "id"), u);
	return e == SY_E_NOTFOUND ? user_not_found(r) : e;
}

enum sy_err users_get_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct user u;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) || (e = load_target(r, s, &u)))
		return e;
	return http_reply_json(r, 200, user_dto(s, &u, true));
}

/* The admin-only members of UserCreateDto. */
static void read_flags(const json_t *body, struct user *u)
{
	json_t *v;
	if (json_is_boolean(v = json_object_get(body, "isAdmin")))
		u->is_admin = json_is_true(v);
	if (json_is_boolean(v = json_object_get(body, "disabled")))
		u->disabled = json_is_true(v);
	if (json_is_boolean(v = json_object_get(body, "emailVerified")))
		u->email_verified = json_is_true(v);
}

static bool uuid_shaped(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* New users get the sign-up defaults: groups (unless the request names some)
 * and custom claims. */
enum sy_err user_apply_defaults(struct http_req *r, struct store *s, const char *id, const json_t *groups)
{
	enum sy_err e = SY_OK;
	json_t *def_groups = NULL, *claims = json_loads(appcfg_str("signupDefaultCustomClaims"), 0, NULL);
	if (!json_is_array(groups))
		groups = def_groups = json_loads(appcfg_str("signupDefaultUserGroupIDs"), 0, NULL);
	if (json_array_size(groups))
		e = memberships_replace(r, s, true, id, groups);
	if (!e && json_array_size(claims) && !(e = store_begin(s))) {
		e = claims_replace(s, CLAIMS_USER, id, claims);
		if (!e)
			e = store_commit(s);
		if (e)
			store_rollback(s);
	}
	json_decref(def_groups);
	json_decref(claims);
	return e;
}

enum sy_err users_create_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	struct user u = {0};
	const char *id = json_string_value(json_object_get(body, "id"));
	if (id && !uuid_shaped(id))
		e = http_fail_field(r, "id", "uuid", "must be a UUID");
	if (!e && id)
		snprintf(u.id, sizeof u.id, "%s", id);
	if (!e)
		e = user_read_body(r, body, &u);
	if (!e) {
		read_flags(body, &u);
		e = user_insert(r, s, &u);
	}
	if (e == SY_E_CONFLICT && !r->err_code)
		e = http_fail(r, SY_E_CONFLICT, "already_in_use", "User ID is already in use");
	if (!e)
		e = user_apply_defaults(r, s, u.id, json_object_get(body, "userGroupIds"));
	json_decref(body);
	if (e)
		return e;
	return http_reply_json(r, 201, user_dto(s, &u, true));
}

enum sy_err users_update_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct user u;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) || (e = load_target(r, s, &u)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	e = user_read_body(r, body, &u);
	if (!e)
		read_flags(body, &u);
	json_decref(body);
	if (e || (e = user_save(r, s, &u)))
		return e;
	return http_reply_json(r, 200, user_dto(s, &u, true));
}

enum sy_err users_delete_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	bool row;
	const char *id = http_param(r, "id");
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = store_run(s, "DELETE FROM users WHERE id = ? RETURNING id", (const char *const[]){id}, 1, &row)))
		return e;
	if (!row)
		return user_not_found(r);
	/* the picture goes with the user, as in Pocket ID */
	if (images_profile_delete(s, id))
		log_warn("user %s deleted, but not their profile picture", id);
	return http_reply_empty(r, 204);
}

enum sy_err users_groups_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct user u;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) || (e = load_target(r, s, &u)))
		return e;
	return http_reply_json(r, 200, groups_of_user(s, u.id, true));
}

enum sy_err users_set_groups_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct user u;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) || (e = load_target(r, s, &u)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	e = memberships_replace(r, s, true, u.id, json_object_get(body, "userGroupIds"));
	json_decref(body);
	return e ? e : http_reply_json(r, 200, user_dto(s, &u, true));
}
