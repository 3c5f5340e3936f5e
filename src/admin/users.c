/*
 * users.c - the `users` table, Pocket ID's UserDto and the signed-in user's own
 * profile (GET/PUT /api/users/me).
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../http/http.h"
#include "../store/store.h"
#include "admin.h"

#define USER_COLS                                                                                                      \
	"id, username, email, first_name, last_name, display_name, locale, ldap_id, is_admin, disabled, "              \
	"email_verified"

static void read_row(struct store_stmt *st, struct arena *a, struct user *u)
{
	memset(u, 0, sizeof *u);
	snprintf(u->id, sizeof u->id, "%s", store_col_text(st, 0));
	u->username = store_col_strdup(st, 1, a);
	u->email = store_col_strdup(st, 2, a);
	u->first_name = store_col_strdup(st, 3, a);
	u->last_name = store_col_strdup(st, 4, a);
	u->display_name = store_col_strdup(st, 5, a);
	u->locale = store_col_strdup(st, 6, a);
	u->ldap_id = store_col_strdup(st, 7, a);
	u->is_admin = store_col_bool(st, 8);
	u->disabled = store_col_bool(st, 9);
	u->email_verified = store_col_bool(st, 10);
}

static enum sy_err one_user(struct store *s, struct arena *a, const char *sql, const char *arg, struct user *out)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, sql, &st);
	if (e)
		return e;
	store_bind_text(st, 1, arg);
	return user_get_read(st, a, out);
}

enum sy_err user_get(struct store *s, struct arena *a, const char *id, struct user *out)
{
	return one_user(s, a, "SELECT " USER_COLS " FROM users WHERE id = ?", id, out);
}

enum sy_err user_get_queue(struct store *s, const char *id, struct store_stmt **st)
{
	enum sy_err e = store_prepare(s, "SELECT " USER_COLS " FROM users WHERE id = ?", st);
	if (!e) {
		store_bind_text(*st, 1, id);
		store_queue(*st);
	}
	return e;
}

enum sy_err user_get_read(struct store_stmt *st, struct arena *a, struct user *out)
{
	bool row;
	enum sy_err e = store_step(st, &row);
	if (!e && !row)
		e = SY_E_NOTFOUND;
	if (!e)
		read_row(st, a, out);
	store_finalize(st);
	return e;
}

enum sy_err user_find(struct store *s, struct arena *a, const char *who, struct user *out)
{
	enum sy_err e = one_user(s, a, "SELECT " USER_COLS " FROM users WHERE username = ?", who, out);
	if (e == SY_E_NOTFOUND)
		e = one_user(s, a, "SELECT " USER_COLS " FROM users WHERE lower(email) = lower(?)", who, out);
	return e;
}

static json_t *nullable(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *user_dto(struct store *s, const struct user *u, bool relations)
{
	return json_pack("{s:s, s:s, s:o, s:b, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:b}", "id", u->id, "username",
	                 u->username, "email", nullable(u->email), "emailVerified", u->email_verified, "firstName",
	                 u->first_name ? u->first_name : "", "lastName", u->last_name ? u->last_name : "",
	                 "displayName", u->display_name ? u->display_name : "", "isAdmin", u->is_admin, "locale",
	                 nullable(u->locale), "customClaims",
	                 relations ? claims_json(s, CLAIMS_USER, u->id) : json_array(), "userGroups",
	                 relations ? groups_of_user(s, u->id, false) : json_array(), "ldapId", nullable(u->ldap_id),
	                 "disabled", u->disabled);
}

enum sy_err users_dto_many(struct store *s, struct arena *a, const json_t *ids, json_t **out)
{
	*out = json_array();
	size_t n = json_array_size(ids);
	char *in = sql_in_list(a, n);
	if (!n || !in)
		return n ? SY_E_TOOBIG : SY_OK;
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, arena_printf(a, "SELECT " USER_COLS " FROM users WHERE id IN (%s)", in), &st);
	if (e)
		return e;
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) store_bind_text(st, (int)i + 1, json_string_value(id));
	json_t *by_id = json_object();
	bool row;
	while (!(e = store_step(st, &row)) && row) {
		struct user u;
		read_row(st, a, &u);
		json_object_set_new(by_id, u.id, user_dto(s, &u, false));
	}
	store_finalize(st);
	if (!e && !(e = claims_attach(s, a, CLAIMS_USER, by_id)))
		e = groups_attach(s, a, by_id);
	json_array_foreach(ids, i, id)
	{
		json_t *dto = json_object_get(by_id, json_string_value(id));
		if (dto)
			json_array_append(*out, dto);
	}
	json_decref(by_id);
	return e;
}

/* Pocket ID's username rule: ^[a-zA-Z0-9]([a-zA-Z0-9_.@-]*[a-zA-Z0-9])?$ */
static bool username_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 50 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.@-", s[i]))
			return false;
	return true;
}

/* One "@", a local part, a domain with a dot, no spaces or control bytes. */
bool email_valid(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || strlen(s) > 254)
		return false;
	const char *dot = strrchr(at + 1, '.');
	if (!dot || dot == at + 1 || dot[1] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* A string member: absent or null gives "", another type fails. */
static enum sy_err member(struct http_req *r, const json_t *body, const char *name, size_t max, const char **out)
{
	json_t *v = json_object_get(body, name);
	*out = "";
	if (!v || json_is_null(v))
		return SY_OK;
	if (!json_is_string(v))
		return http_fail_field(r, name, "invalid_type", "must be a string");
	size_t chars = 0; /* limits count characters (code points), as Pocket ID's validator does */
	for (const char *p = json_string_value(v); *p; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	if (chars > max)
		return http_fail_field(r, name, "max", arena_printf(&r->arena, "must be at most %zu characters", max));
	*out = json_string_value(v);
	return SY_OK;
}

enum sy_err user_read_body(struct http_req *r, const json_t *body, struct user *u)
{
	const char *username, *email, *first, *last, *display, *locale;
	if (!json_is_object(body))
		return SY_E_BODY;
	/* every field is checked, so one answer lists every problem */
	bool bad = false;
	bad |= member(r, body, "username", 50, &username) != SY_OK;
	bad |= member(r, body, "email", 254, &email) != SY_OK;
	bad |= member(r, body, "firstName", 50, &first) != SY_OK;
	bad |= member(r, body, "lastName", 50, &last) != SY_OK;
	bad |= member(r, body, "displayName", 100, &display) != SY_OK;
	bad |= member(r, body, "locale", 16, &locale) != SY_OK;
	if (!*username)
		bad |= http_fail_field(r, "username", "required", "is required") != SY_OK;
	else if (!username_ok(username))
		bad |= http_fail_field(r, "username", "invalid_format",
		                       "must start and end with a letter or digit and contain only letters, digits, "
		                       "_ . @ -") != SY_OK;
	if (!*email && appcfg_bool("requireUserEmail"))
		bad |= http_fail_field(r, "email", "required", "is required") != SY_OK;
	else if (*email && !email_valid(email))
		bad |= http_fail_field(r, "email", "email", "must be a valid email address") != SY_OK;
	if (!*first)
		bad |= http_fail_field(r, "firstName", "required", "is required") != SY_OK;
	if (bad)
		return SY_E_INVALID;
	u->username = arena_strdup(&r->arena, username);
	u->email = *email ? arena_strdup(&r->arena, email) : NULL;
	u->first_name = arena_strdup(&r->arena, first);
	u->last_name = arena_strdup(&r->arena, last);
	u->display_name = *display ? arena_strdup(&r->arena, display)
	                           : arena_printf(&r->arena, "%s%s%s", first, *last ? " " : "", last);
	u->locale = *locale ? arena_strdup(&r->arena, locale) : NULL;
	return SY_OK;
}

/* Which of username or email is taken by another user: Pocket ID's 409. */
enum sy_err user_conflict(struct http_req *r, struct store *s, const struct user *u)
{
	struct user other;
	if (!one_user(s, &r->arena, "SELECT " USER_COLS " FROM users WHERE username = ?", u->username, &other) &&
	    strcmp(other.id, u->id) != 0)
		return http_fail(r, SY_E_CONFLICT, "already_in_use", "Username is already in use");
	if (u->email &&
	    !one_user(s, &r->arena, "SELECT " USER_COLS " FROM users WHERE lower(email) = lower(?)", u->email,
	              &other) &&
	    strcmp(other.id, u->id) != 0)
		return http_fail(r, SY_E_CONFLICT, "already_in_use", "Email is already in use");
	return SY_OK;
}

static void bind_text_or_null(struct store_stmt *st, int i, const char *v)
{
	if (v)
		store_bind_text(st, i, v);
	else
		store_bind_null(st, i);
}

enum sy_err user_insert(struct http_req *r, struct store *s, struct user *u)
{
	if (!u->id[0])
		uuid_v4(u->id);
	enum sy_err e = user_conflict(r, s, u);
	if (e)
		return e;
	struct store_stmt *st;
	if ((e = store_prepare(s,
	                       "INSERT INTO users (id, created_at, updated_at, username, email, first_name, last_name, "
	                       "display_name, is_admin, locale, disabled, email_verified) "
	                       "VALUES (?, ts(?), ts(?), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                       &st)))
		return e;
	int64_t now = time(NULL);
	store_bind_text(st, 1, u->id);
	store_bind_int(st, 2, now);
	store_bind_int(st, 3, now);
	store_bind_text(st, 4, u->username);
	bind_text_or_null(st, 5, u->email);
	store_bind_text(st, 6, u->first_name);
	store_bind_text(st, 7, u->last_name);
	store_bind_text(st, 8, u->display_name);
	store_bind_int(st, 9, u->is_admin);
	bind_text_or_null(st, 10, u->locale);
	store_bind_int(st, 11, u->disabled);
	store_bind_int(st, 12, u->email_verified);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	if (e == SY_E_CONFLICT) /* lost a race with another insert */
		return http_fail(r, SY_E_CONFLICT, "already_in_use", "Username or email is already in use");
	return e;
}

enum sy_err user_save(struct http_req *r, struct store *s, const struct user *u)
{
	enum sy_err e = user_conflict(r, s, u);
	if (e)
		return e;
	struct store_stmt *st;
	if ((e = store_prepare(s,
	                       "UPDATE users SET updated_at = ts(?), username = ?, email = ?, first_name = ?, "
	                       "last_name = ?, display_name = ?, locale = ?, email_verified = ?, is_admin = ?, "
	                       "disabled = ? WHERE id = ? RETURNING id",
	                       &st)))
		return e;
	store_bind_int(st, 1, time(NULL));
	store_bind_text(st, 2, u->username);
	bind_text_or_null(st, 3, u->email);
	store_bind_text(st, 4, u->first_name);
	store_bind_text(st, 5, u->last_name);
	store_bind_text(st, 6, u->display_name);
	bind_text_or_null(st, 7, u->locale);
	store_bind_int(st, 8, u->email_verified);
	store_bind_int(st, 9, u->is_admin);
	store_bind_int(st, 10, u->disabled);
	store_bind_text(st, 11, u->id);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	if (e == SY_E_CONFLICT)
		return http_fail(r, SY_E_CONFLICT, "already_in_use", "Username or email is already in use");
	if (!e && !row)
		return http_fail(r, SY_E_NOTFOUND, "user_not_found", "User not found");
	return e;
}

enum sy_err users_me_get(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)))
		return e;
	return http_reply_json(r, 200, user_dto(s, &me.user, true));
}

/* Pocket ID: with allowOwnAccountEdit off (or an LDAP-managed account) only the
 * locale changes; a new email address resets emailVerified to emailsVerified. */
enum sy_err users_me_put(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)))
		return e;
	if ((e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	struct user u = me.user;
	e = user_read_body(r, body, &u);
	json_decref(body);
	if (e)
		return e;
	if (!appcfg_bool("allowOwnAccountEdit") || me.user.ldap_id) {
		struct user keep = me.user;
		keep.locale = u.locale;
		u = keep;
	} else if (!(u.email && me.user.email && strcasecmp(u.email, me.user.email) == 0) &&
	           (u.email || me.user.email)) {
		u.email_verified = appcfg_bool("emailsVerified");
	}
	if ((e = user_save(r, s, &u)))
		return e;
	return http_reply_json(r, 200, user_dto(s, &u, true));
}
