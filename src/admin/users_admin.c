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

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* The search as an FTS5 phrase: quoted, inner quotes doubled. */
static char *fts_phrase(struct http_req *r, const char *search)
{
	size_t n = strlen(search), o = 0;
	char *out = arena_alloc(&r->arena, 2 * n + 3);
	if (!out)
		return NULL;
	out[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (search[i] == '"')
			out[o++] = '"';
		out[o++] = search[i];
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

/* Pocket ID's search is a case-insensitive substring of the email, first,
 * last or user name. PostgreSQL answers ILIKE from the trigram indexes of
 * migration 0003; SQLite from the FTS5 trigram index of migration 0005 when
 * the search has the three characters a trigram needs, else by a LIKE scan
 * (which ignores ASCII case, as the trigram index does for all letters). */
static void search_filter(struct http_req *r, struct store *s, const char *search, struct user_filter *f)
{
	if (store_kind(s) == STORE_SQLITE && utf8_chars(search) >= 3) {
		f->text[f->ntext++] = fts_phrase(r, search);
		f->sql = " AND u.id IN (SELECT k.user_id FROM users_search_keys k WHERE k.seq IN "
		         "(SELECT rowid FROM users_search WHERE users_search MATCH ?))";
		return;
	}
	char *like = list_like(r, search);
	for (int i = 0; i < 4; i++)
		f->text[f->ntext++] = like;
	f->sql = store_kind(s) == STORE_POSTGRES
	                 ? " AND (u.email ILIKE ? ESCAPE '\\' OR u.first_name ILIKE ? ESCAPE '\\' OR "
	                   "u.last_name ILIKE ? ESCAPE '\\' OR u.username::text ILIKE ? ESCAPE '\\')"
	                 : " AND (u.email LIKE ? ESCAPE '\\' OR u.first_name LIKE ? ESCAPE '\\' OR "
	                   "u.last_name LIKE ? ESCAPE '\\' OR u.username LIKE ? ESCAPE '\\')";
}

static void build_filter(struct http_req *r, struct store *s, const struct list_req *q, struct user_filter *f)
{
	memset(f, 0, sizeof *f);
	f->sql = "";
	if (q->search)
		search_filter(r, s, q->search, f);
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

/* The ids of limit users from offset in the given order and, for a search, in
 * the same pass how many match (a window count: the matches are read once,
 * not twice). *total is -1 when the page is empty, which says nothing about
 * the total. On PostgreSQL the matches are gathered first (MATERIALIZED):
 * left to itself the planner walks the sort index and filters the whole
 * table, believing LIMIT ends it early, which the window count forbids. */
static enum sy_err page_ids(struct http_req *r, struct store *s, const struct user_filter *f, const char *order,
                            int64_t limit, int64_t offset, json_t *ids, int64_t *total)
{
	bool counted = f->ntext > 0;
	const char *sql =
	        counted && store_kind(s) == STORE_POSTGRES
	                ? "WITH m AS MATERIALIZED (SELECT * FROM users u WHERE 1 = 1%s) "
	                  "SELECT u.id, count(*) OVER () FROM m u ORDER BY %s LIMIT ? OFFSET ?"
	        : counted ? "SELECT u.id, count(*) OVER () FROM users u WHERE 1 = 1%s ORDER BY %s LIMIT ? OFFSET ?"
	                  : "SELECT u.id, -1 FROM users u WHERE 1 = 1%s ORDER BY %s LIMIT ? OFFSET ?";
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, arena_printf(&r->arena, sql, f->sql, order), &st);
	if (e)
		return e;
	int i = bind_filter(st, f);
	store_bind_int(st, i, limit);
	store_bind_int(st, i + 1, offset);
	*total = -1;
	bool row;
	while (!(e = store_step(st, &row)) && row) {
		json_array_append_new(ids, json_string(store_col_text(st, 0)));
		*total = store_col_int(st, 1);
	}
	store_finalize(st);
	return e;
}

/* How many users the filter keeps. Without one, the count that triggers keep
 * (migration 0005): count(*) reads every index entry, ~4 ms per 100,000 users
 * on SQLite and ~10 ms on PostgreSQL. */
static enum sy_err count_users(struct http_req *r, struct store *s, const struct user_filter *f, int64_t *total)
{
	const char *sql = !*f->sql ? "SELECT n FROM users_count"
	                           : arena_printf(&r->arena, "SELECT count(*) FROM users u WHERE 1 = 1%s", f->sql);
	struct store_stmt *st;
	bool row;
	enum sy_err e = store_prepare(s, sql, &st);
	if (e)
		return e;
	bind_filter(st, f);
	e = store_step(st, &row);
	*total = !e && row ? store_col_int(st, 0) : 0;
	store_finalize(st);
	return e;
}

/* A page of a counted list. Past the middle it is read from the end in the
 * reversed order: OFFSET walks every row it skips, so the last page of
 * 100,000 users costs what the first does. */
static enum sy_err counted_page(struct http_req *r, struct store *s, const struct user_filter *f,
                                const struct list_req *q, json_t *ids)
{
	int64_t unused;
	int64_t back = q->total - q->offset - q->limit; /* rows after the page */
	if (!q->order_reversed || (back < 0 ? 0 : back) >= q->offset)
		return page_ids(r, s, f, q->order, q->limit, q->offset, ids, &unused);
	int64_t limit = back < 0 ? q->limit + back : q->limit;
	json_t *rev = json_array();
	enum sy_err e = page_ids(r, s, f, q->order_reversed, limit, back < 0 ? 0 : back, rev, &unused);
	for (size_t i = json_array_size(rev); i-- > 0;)
		json_array_append(ids, json_array_get(rev, i));
	json_decref(rev);
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
	/* a search reads its matches anyway: count them in the same pass;
	 * otherwise an index-backed count and page are cheaper than a window over
	 * every row */
	if (q.search)
		e = page_ids(r, s, &f, q.order, q.limit, (int64_t)(q.page - 1) * q.limit, ids, &total);
	if (!e && total < 0 && (q.page > 1 || !q.search)) {
		/* no search, or a search past the end (Pocket ID answers the last page) */
		e = count_users(r, s, &f, &total);
		list_clamp(&q, total);
		if (!e && total > 0)
			e = counted_page(r, s, &f, &q, ids);
	}
	list_clamp(&q, total < 0 ? 0 : total);
	json_t *data = NULL;
	if (!e)
		e = users_dto_many(s, &r->arena, ids, &data);
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
