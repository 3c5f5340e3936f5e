/*
 * audit.c - the audit log (reference §1.10, §8.3): events recorded with the
 * client's address, user agent and location, and the lists users and
 * administrators read.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../http/http.h"
#include "../integrations/integrations.h"
#include "../store/store.h"
#include "admin.h"

#define USER_AGENT_MAX 512

void audit_expire(struct store *s, int64_t before)
{
	struct store_stmt *st;
	bool row;
	if (store_prepare(s, "DELETE FROM audit_logs WHERE created_at < ts(?)", &st))
		return;
	store_bind_int(st, 1, before);
	if (store_step(st, &row))
		log_warn("audit log: cannot delete entries past their retention");
	store_finalize(st);
}

struct store_stmt *audit_record_queue(struct http_req *r, struct store *s, const char *event, const char *user_id,
                                      json_t *data)
{
	char id[37];
	uuid_v4(id);
	if (!data)
		data = json_object();
	char *text = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	const char *ua = http_header_get(r, "User-Agent");
	/* PostgreSQL refuses text that is not UTF-8, and a client chooses this header */
	char *agent = ua ? utf8_clean(&r->arena, ua, USER_AGENT_MAX) : NULL;
	char country[64] = "", city[64] = "";
	if (*r->client_ip)
		geoip_locate(r->client_ip, country, sizeof country, city, sizeof city);
	struct store_stmt *st = NULL;
	if (!text || store_prepare(s,
	                           "INSERT INTO audit_logs (id, created_at, event, ip_address, user_agent, data, "
	                           "user_id, country, city) VALUES (?, ts(?), ?, ?, ?, ?, ?, ?, ?)",
	                           &st)) {
		log_error("audit log: cannot record %s for user %s", event, user_id);
		free(text);
		return NULL;
	}
	store_bind_text(st, 1, id);
	store_bind_int(st, 2, time(NULL));
	store_bind_text(st, 3, event);
	store_bind_text(st, 4, *r->client_ip ? r->client_ip : NULL);
	store_bind_text(st, 5, agent);
	store_bind_text(st, 6, text);
	store_bind_text(st, 7, user_id);
	store_bind_text(st, 8, *country ? country : NULL);
	store_bind_text(st, 9, *city ? city : NULL);
	store_queue(st);
	free(text);
	return st;
}

void audit_record_finish(struct store_stmt *st)
{
	bool row;
	if (st && store_step(st, &row))
		log_error("audit log: cannot record an event");
	store_finalize(st);
}

void audit_record(struct http_req *r, struct store *s, const char *event, const char *user_id, json_t *data)
{
	audit_record_finish(audit_record_queue(r, s, event, user_id, data));
}

#define LOG_COLS                                                                                                       \
	"l.id, epoch(l.created_at), l.event, l.ip_address, l.country, l.city, l.user_agent, l.user_id, l.data, "       \
	"u.username"

static json_t *text_or_null(struct store_stmt *st, int i)
{
	return store_col_null(st, i) ? json_null() : json_string(store_col_text(st, i));
}

static json_t *log_row(struct http_req *r, struct store_stmt *st, bool admin)
{
	char when[32];
	iso8601(store_col_int(st, 1), when);
	json_t *data = json_loads(store_col_null(st, 8) ? "{}" : store_col_text(st, 8), JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(data)) {
		json_decref(data);
		data = json_object();
	}
	const char *ua = store_col_null(st, 6) ? "" : store_col_text(st, 6);
	const char *device = useragent_device(&r->arena, ua);
	json_t *row = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o}", "id", store_col_text(st, 0),
	                        "createdAt", when, "event", store_col_text(st, 2), "ipAddress", text_or_null(st, 3),
	                        "country", text_or_null(st, 4), "city", text_or_null(st, 5), "device",
	                        device ? device : "", "userID", store_col_text(st, 7), "data", data);
	json_t *actor = json_object_get(data, "actorUsername");
	json_object_set(row, "actorUsername", json_is_string(actor) ? actor : json_null());
	if (admin)
		json_object_set_new(row, "username", text_or_null(st, 9));
	return row;
}

static const struct list_column SORTABLE[] = {
        {"createdAt", "l.created_at"}, {"event", "l.event"}, {"ipAddress", "l.ip_address"},
        {"country", "l.country"},      {"city", "l.city"},
};

/* Filters of the global list (reference §1.10); own list: event only. */
/* The clientName member of data, in each engine's JSON syntax. */
static const char *client_name_sql(struct store *s)
{
	return store_kind(s) == STORE_POSTGRES ? "l.data->>'clientName'" : "json_extract(l.data, '$.clientName')";
}

static char *log_filter(struct http_req *r, struct store *s, bool admin, const char *own, const char **args, size_t *n)
{
	char *where = arena_strdup(&r->arena, "1 = 1");
	*n = 0;
	if (own) {
		where = arena_printf(&r->arena, "%s AND l.user_id = ?", where);
		args[(*n)++] = own;
	}
	const char *v;
	if ((v = list_filter(r, "event"))) {
		where = arena_printf(&r->arena, "%s AND l.event = ?", where);
		args[(*n)++] = v;
	}
	if (!admin)
		return where;
	if ((v = list_filter(r, "userID"))) {
		where = arena_printf(&r->arena, "%s AND l.user_id = ?", where);
		args[(*n)++] = v;
	}
	if ((v = list_filter(r, "clientName"))) {
		where = arena_printf(&r->arena, "%s AND %s = ?", where, client_name_sql(s));
		args[(*n)++] = v;
	}
	if ((v = list_filter(r, "location"))) {
		/* Pocket ID stores only "Internal Network": external means anything else */
		where = arena_printf(&r->arena,
		                     strcmp(v, "internal") == 0 ? "%s AND l.country = 'Internal Network'"
		                                                : "%s AND (l.country IS NULL OR l.country <> "
		                                                  "'Internal Network')",
		                     where);
	}
	return where;
}

static enum sy_err log_list(struct http_req *r, bool admin)
{
	struct store *s;
	struct session me;
	struct list_req q;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = admin ? auth_admin(r, s, &me) : auth_user(r, s, &me)) ||
	    (e = list_parse(r, SORTABLE, sizeof SORTABLE / sizeof SORTABLE[0], "l.created_at DESC, l.id", &q)))
		return e;
	const char *args[8];
	size_t n;
	char *where = log_filter(r, s, admin, admin ? NULL : me.user.id, args, &n);
	if (!where)
		return SY_E_TOOBIG;
	struct store_stmt *st;
	bool row;
	if ((e = store_prepare(s, arena_printf(&r->arena, "SELECT count(*) FROM audit_logs l WHERE %s", where), &st)))
		return e;
	for (size_t i = 0; i < n; i++)
		store_bind_text(st, (int)i + 1, args[i]);
	e = store_step(st, &row);
	int64_t total = !e && row ? store_col_int(st, 0) : 0;
	store_finalize(st);
	if (e)
		return e;
	list_clamp(&q, total);
	if ((e = store_prepare(s,
	                       arena_printf(&r->arena,
	                                    "SELECT " LOG_COLS
	                                    " FROM audit_logs l LEFT JOIN users u ON u.id = l.user_id "
	                                    "WHERE %s ORDER BY %s LIMIT ? OFFSET ?",
	                                    where, q.order),
	                       &st)))
		return e;
	for (size_t i = 0; i < n; i++)
		store_bind_text(st, (int)i + 1, args[i]);
	store_bind_int(st, (int)n + 1, q.limit);
	store_bind_int(st, (int)n + 2, q.offset);
	json_t *data = json_array();
	while (!(e = store_step(st, &row)) && row)
		json_array_append_new(data, log_row(r, st, admin));
	store_finalize(st);
	if (e) {
		json_decref(data);
		return e;
	}
	return http_reply_json(r, 200, list_envelope(data, &q));
}

enum sy_err audit_own_handler(struct http_req *r)
{
	return log_list(r, false);
}

enum sy_err audit_all_handler(struct http_req *r)
{
	return log_list(r, true);
}

enum sy_err audit_client_names_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct store_stmt *st;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	const char *col = client_name_sql(s);
	if ((e = store_prepare(s,
	                       arena_printf(&r->arena,
	                                    "SELECT DISTINCT %s FROM audit_logs l WHERE %s IS NOT NULL ORDER BY 1", col,
	                                    col),
	                       &st)))
		return e;
	json_t *names = json_array();
	bool row;
	while (!(e = store_step(st, &row)) && row)
		json_array_append_new(names, json_string(store_col_text(st, 0)));
	store_finalize(st);
	if (e) {
		json_decref(names);
		return e;
	}
	return http_reply_json(r, 200, names);
}

enum sy_err audit_users_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct store_stmt *st;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = store_prepare(s,
	                       "SELECT u.id, u.username FROM users u WHERE EXISTS "
	                       "(SELECT 1 FROM audit_logs l WHERE l.user_id = u.id) ORDER BY u.username",
	                       &st)))
		return e;
	json_t *map = json_object();
	bool row;
	while (!(e = store_step(st, &row)) && row)
		json_object_set_new(map, store_col_text(st, 0), json_string(store_col_text(st, 1)));
	store_finalize(st);
	if (e) {
		json_decref(map);
		return e;
	}
	return http_reply_json(r, 200, map);
}
