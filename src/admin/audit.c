/*
 * audit.c - writing the audit log (reference §8.3). Geolocation and the
 * reading side come with the administration pages.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../http/http.h"
#include "../store/store.h"
#include "admin.h"

#define USER_AGENT_MAX 512

void audit_record(struct http_req *r, struct store *s, const char *event, const char *user_id, json_t *data)
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
	struct store_stmt *st;
	if (text &&
	    !store_prepare(s,
	                   "INSERT INTO audit_logs (id, created_at, event, ip_address, user_agent, data, user_id) "
	                   "VALUES (?, ts(?), ?, ?, ?, ?, ?)",
	                   &st)) {
		store_bind_text(st, 1, id);
		store_bind_int(st, 2, time(NULL));
		store_bind_text(st, 3, event);
		if (*r->client_ip)
			store_bind_text(st, 4, r->client_ip);
		else
			store_bind_null(st, 4);
		if (agent)
			store_bind_text(st, 5, agent);
		else
			store_bind_null(st, 5);
		store_bind_text(st, 6, text);
		store_bind_text(st, 7, user_id);
		bool row;
		if (store_step(st, &row))
			log_error("audit log: cannot record %s for user %s", event, user_id);
		store_finalize(st);
	}
	free(text);
}
