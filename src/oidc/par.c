/*
 * par.c - pushed authorization requests (RFC 9126, reference §1.1): the
 * client posts its authorization parameters with its credentials, gets a
 * request_uri valid 90 seconds and usable once, and sends only that (and its
 * client_id) through the browser. The parameters are checked at the push
 * exactly as /authorize checks them, with errors answered as JSON.
 */
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

#define PAR_TTL 90 /* seconds, as Pocket ID */

/* The row key: the SHA-256 of the request_uri's random part, so that a copy
 * of the database holds no usable request_uri. */
static void par_key(const char *request_uri, char out[65])
{
	const char *rnd = request_uri + strlen(OIDC_PAR_PREFIX);
	sha256_hex(rnd, strlen(rnd), out);
}

static enum sy_err par_store(struct store *s, const char *client_id, const json_t *params, const char *request_uri)
{
	char id[37], request_id[37], key[65], now[24], exp[24];
	uuid_v4(id);
	uuid_v4(request_id);
	par_key(request_uri, key);
	int64_t t = time(NULL);
	snprintf(now, sizeof now, "%lld", (long long)t);
	snprintf(exp, sizeof exp, "%lld", (long long)(t + PAR_TTL));
	json_t *data = json_pack("{s:s, s:O}", "client_id", client_id, "params", params);
	char *text = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	if (!text)
		return SY_E_INTERNAL;
	const char *args[] = {id, now, key, request_id, client_id, text, exp};
	enum sy_err e =
	        store_run(s,
	                  "INSERT INTO oauth2_sessions (id, created_at, kind, key, request_id, client_id, active, "
	                  "request_data, expires_at) VALUES (?, ts(CAST(? AS BIGINT)), 'par', ?, ?, ?, TRUE, ?, "
	                  "ts(CAST(? AS BIGINT)))",
	                  args, 7, NULL);
	free(text);
	return e;
}

enum sy_err oidc_par_take(struct store *s, const char *request_uri, const char *client_id, json_t **params)
{
	*params = NULL;
	if (!client_id || strlen(request_uri) > 256)
		return SY_E_NOTFOUND;
	char key[65];
	par_key(request_uri, key);
	struct store_stmt *st;
	enum sy_err e =
	        store_prepare(s,
	                      "UPDATE oauth2_sessions SET active = FALSE WHERE kind = 'par' AND key = ? "
	                      "AND active = TRUE AND expires_at > ts(?) AND client_id = ? RETURNING request_data",
	                      &st);
	if (e)
		return e;
	store_bind_text(st, 1, key);
	store_bind_int(st, 2, time(NULL));
	store_bind_text(st, 3, client_id);
	bool row;
	if (!(e = store_step(st, &row)) && row) {
		json_t *d = json_loads(store_col_text(st, 0), JSON_REJECT_DUPLICATES, NULL);
		json_t *p = json_object_get(d, "params");
		if (json_is_object(p))
			*params = json_incref(p);
		json_decref(d);
	}
	store_finalize(st);
	return e ? e : *params ? SY_OK : SY_E_NOTFOUND;
}

/* The pushed form as authorization parameters: the client's credentials are
 * not among them (they must not be stored, nor reach the browser's request). */
static json_t *pushed_params(const json_t *form, const char *client_id)
{
	json_t *p = json_deep_copy(form);
	json_object_del(p, "client_secret");
	json_object_del(p, "client_assertion");
	json_object_del(p, "client_assertion_type");
	json_object_set_new(p, "client_id", json_string(client_id));
	return p;
}

enum sy_err oidc_par_handler(struct http_req *r)
{
	struct store *s;
	json_t *form;
	bool answered;
	enum sy_err e = oidc_form_request(r, &s, &form, &answered);
	if (e || answered)
		return e;
	struct oidc_client c;
	if ((e = oidc_client_authenticate(r, s, form, true, &c, &answered)) || answered) {
		json_decref(form);
		return e;
	}
	struct oidc_request q = {.params = pushed_params(form, c.id), .pushed = true};
	char *uri = NULL, *sig;
	if (oidc_param(q.params, "request_uri")) {
		e = oidc_token_error(r, 400, "invalid_request", "A pushed request cannot carry a request_uri.");
	} else if (oidc_request_object_merge(&r->arena, q.params)) {
		e = oidc_token_error(r, 400, "invalid_request_object",
		                     "Only unsigned request objects (alg none) are accepted.");
	} else if (!(e = oidc_request_check(r, s, &q, &answered)) && !answered &&
	           !(e = oidc_opaque_new(&r->arena, OIDC_PAR_PREFIX, &uri, &sig)) &&
	           !(e = par_store(s, c.id, q.params, uri))) {
		http_header_add(r, "Cache-Control", "no-store");
		e = http_reply_json(r, 201, json_pack("{s:s, s:i}", "request_uri", uri, "expires_in", PAR_TTL));
	}
	oidc_request_clear(&q);
	oidc_client_clear(&c);
	json_decref(form);
	return e;
}
