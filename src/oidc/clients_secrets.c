/*
 * clients_secrets.c - a confidential client's secrets (reference §1.6, §2.4,
 * §2.5): up to 20, each with an optional expiry, so that a secret can be
 * rotated without downtime.
 *
 * A secret is shown once, in the answer that creates it. What is kept, in
 * credentials.secrets, is {"id", "alg":"sha256", "hash": lowercase hex
 * SHA-256, "prefix": its first 4 characters, "createdAt", "expiresAt"} with
 * RFC 3339 times; client.c checks presented secrets against the hashes. The
 * list is read and written back inside one transaction with the row locked,
 * so that two admins adding secrets at once both keep theirs.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

#define MAX_SECRETS   20
#define GENERATED_LEN 32
#define GIVEN_MIN     16
#define GIVEN_MAX     256
#define PREFIX_LEN    4

/* An unparsable expiry counts as expired, as client.c refuses such a secret. */
static bool active(const json_t *stored, int64_t now)
{
	const char *exp = json_string_value(json_object_get(stored, "expiresAt"));
	int64_t until;
	return !exp || !*exp || (!parse_rfc3339(exp, &until) && until > now);
}

json_t *oidc_admin_secret_dto(const json_t *stored, int64_t now)
{
	const char *id = json_string_value(json_object_get(stored, "id"));
	const char *prefix = json_string_value(json_object_get(stored, "prefix"));
	const char *created = json_string_value(json_object_get(stored, "createdAt"));
	const char *exp = json_string_value(json_object_get(stored, "expiresAt"));
	return json_pack("{s:s, s:s, s:o, s:o, s:b}", "id", id ? id : "", "prefix", prefix ? prefix : "", "createdAt",
	                 created ? json_string(created) : json_null(), "expiresAt",
	                 exp && *exp ? json_string(exp) : json_null(), "isActive", active(stored, now));
}

enum sy_err oidc_admin_lock(struct http_req *r, struct store *s, const char *id, json_t **credentials, bool *is_public)
{
	*credentials = NULL;
	enum sy_err e = store_begin(s);
	if (e)
		return e;
	/* SQLite's BEGIN IMMEDIATE already holds the write lock */
	struct store_stmt *st;
	if ((e = store_prepare(s,
	                       store_kind(s) == STORE_POSTGRES
	                               ? "SELECT credentials, is_public FROM oidc_clients WHERE id = ? FOR UPDATE"
	                               : "SELECT credentials, is_public FROM oidc_clients WHERE id = ?",
	                       &st))) {
		store_rollback(s);
		return e;
	}
	store_bind_text(st, 1, id);
	bool row;
	e = store_step(st, &row);
	if (!e && row) {
		*credentials =
		        store_col_null(st, 0) ? NULL : json_loads(store_col_text(st, 0), JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(*credentials)) {
			json_decref(*credentials);
			*credentials = json_object();
		}
		*is_public = store_col_bool(st, 1);
	}
	store_finalize(st);
	if (!e && !row)
		e = oidc_admin_client_missing(r);
	if (e)
		store_rollback(s);
	return e;
}

enum sy_err oidc_admin_save(struct store *s, const char *id, const json_t *credentials)
{
	char *text = json_dumps(credentials, JSON_COMPACT);
	bool row;
	enum sy_err e = text ? store_run(s, "UPDATE oidc_clients SET credentials = ? WHERE id = ?",
	                                 (const char *const[]){text, id}, 2, &row)
	                     : SY_E_INTERNAL;
	free(text);
	if (!e)
		e = store_commit(s);
	if (e)
		store_rollback(s);
	return e;
}

/* The client's stored secrets (a new reference), for reading only. */
static enum sy_err stored_secrets(struct http_req *r, struct store *s, const char *id, json_t **out)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "SELECT credentials FROM oidc_clients WHERE id = ?", &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	bool row;
	e = store_step(st, &row);
	json_t *cred = !e && row && !store_col_null(st, 0)
	                       ? json_loads(store_col_text(st, 0), JSON_REJECT_DUPLICATES, NULL)
	                       : NULL;
	store_finalize(st);
	if (!e && !row)
		e = oidc_admin_client_missing(r);
	json_t *list = json_object_get(cred, "secrets");
	*out = json_is_array(list) ? json_incref(list) : json_array();
	json_decref(cred);
	if (e) {
		json_decref(*out);
		*out = NULL;
	}
	return e;
}

/* GET /api/oidc/clients/:id/secrets: the secrets' metadata, never a hash. */
enum sy_err oidc_admin_secrets_list(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *list, *one;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = stored_secrets(r, s, http_param(r, "id"), &list)))
		return e;
	json_t *out = json_array();
	int64_t now = time(NULL);
	size_t i;
	json_array_foreach(list, i, one) json_array_append_new(out, oidc_admin_secret_dto(one, now));
	json_decref(list);
	return http_reply_json(r, 200, out);
}

/* A given secret: GIVEN_MIN..GIVEN_MAX printable ASCII characters. */
static enum sy_err check_given(struct http_req *r, const char *secret)
{
	size_t n = strlen(secret);
	if (n < GIVEN_MIN)
		return http_fail_field(r, "secret", "min", "must be at least 16 characters");
	if (n > GIVEN_MAX)
		return http_fail_field(r, "secret", "max", "must be at most 256 characters");
	for (size_t i = 0; i < n; i++)
		if (secret[i] < 0x20 || secret[i] > 0x7e)
			return http_fail_field(r, "secret", "printascii", "must be printable ASCII characters");
	return SY_OK;
}

/* The optional body {"secret", "expiresAt"}: *secret NULL (generate one),
 * *expires 0 (never). */
static enum sy_err read_request(struct http_req *r, json_t **body, const char **secret, int64_t *expires)
{
	*body = NULL;
	*secret = NULL;
	*expires = 0;
	if (r->body_len == 0)
		return SY_OK;
	enum sy_err e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, body);
	if (e)
		return e;
	json_t *sv = json_object_get(*body, "secret"), *ev = json_object_get(*body, "expiresAt");
	if (!json_is_object(*body) || (sv && !json_is_null(sv) && !json_is_string(sv)) ||
	    (ev && !json_is_null(ev) && !json_is_string(ev)))
		return http_fail(r, SY_E_BODY, "invalid_request_body", "Request body is invalid");
	if (json_string_length(sv)) {
		*secret = json_string_value(sv);
		if ((e = check_given(r, *secret)))
			return e;
	}
	const char *exp = json_string_value(ev);
	if (!exp || !*exp)
		return SY_OK;
	if (parse_rfc3339(exp, expires))
		return http_fail_field(r, "expiresAt", "datetime", "must be a date and time (RFC 3339)");
	if (*expires <= time(NULL))
		return http_fail_field(r, "expiresAt", "invalid_value", "must be in the future");
	return SY_OK;
}

/* Appends the stored form of secret to the client's list; *dto gets its
 * DTO. The caller holds the lock. */
static enum sy_err add_secret(struct http_req *r, json_t *cred, const char *secret, int64_t expires, json_t **dto)
{
	json_t *list = json_object_get(cred, "secrets");
	if (!json_is_array(list))
		json_object_set_new(cred, "secrets", list = json_array());
	if (json_array_size(list) >= MAX_SECRETS)
		return http_fail(r, SY_E_INVALID, "validation_failed", "A client can have at most 20 secrets");
	char id[37], hash[65], prefix[PREFIX_LEN + 1], created[32], until[32];
	int64_t now = time(NULL);
	uuid_v4(id);
	sha256_hex(secret, strlen(secret), hash);
	snprintf(prefix, sizeof prefix, "%s", secret);
	iso8601(now, created);
	if (expires)
		iso8601(expires, until);
	json_t *one = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", id, "alg", "sha256", "hash", hash, "prefix",
	                        prefix, "createdAt", created, "expiresAt", expires ? json_string(until) : json_null());
	json_array_append_new(list, one);
	*dto = oidc_admin_secret_dto(one, now);
	return SY_OK;
}

/* POST /api/oidc/clients/:id/secrets: 201 with the secret, this once. */
enum sy_err oidc_admin_secrets_create(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *body, *cred, *dto = NULL;
	const char *given;
	int64_t expires;
	bool is_public;
	enum sy_err e;
	const char *id = http_param(r, "id");
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	if ((e = read_request(r, &body, &given, &expires)) || (e = oidc_admin_lock(r, s, id, &cred, &is_public))) {
		json_decref(body);
		return e;
	}
	char generated[GENERATED_LEN + 1];
	sy_random_string(generated, GENERATED_LEN, SY_ALNUM);
	const char *secret = given ? given : generated;
	if (is_public) {
		store_rollback(s);
		e = http_fail(r, SY_E_INVALID, "validation_failed", "Cannot create a secret for a public client");
	} else if ((e = add_secret(r, cred, secret, expires, &dto))) {
		store_rollback(s);
	} else {
		e = oidc_admin_save(s, id, cred);
	}
	if (!e)
		json_object_set_new(dto, "secret", json_string(secret));
	explicit_bzero(generated, sizeof generated);
	json_decref(cred);
	json_decref(body);
	if (e) {
		json_decref(dto);
		return e;
	}
	return http_reply_json(r, 201, dto);
}

/* DELETE /api/oidc/clients/:id/secrets/:secretId */
enum sy_err oidc_admin_secrets_delete(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *cred, *one;
	bool is_public;
	enum sy_err e;
	const char *id = http_param(r, "id"), *secret_id = http_param(r, "secretId");
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) ||
	    (e = oidc_admin_lock(r, s, id, &cred, &is_public)))
		return e;
	json_t *list = json_object_get(cred, "secrets");
	size_t i, found = (size_t)-1;
	json_array_foreach(list, i, one)
	{
		const char *sid = json_string_value(json_object_get(one, "id"));
		if (sid && strcmp(sid, secret_id) == 0)
			found = i;
	}
	if (found == (size_t)-1) {
		store_rollback(s);
		e = http_fail_details(r, SY_E_NOTFOUND, "not_found", "Client secret not found",
		                      json_pack("{s:s}", "resource", "Client secret"));
	} else {
		json_array_remove(list, found);
		e = oidc_admin_save(s, id, cred);
	}
	json_decref(cred);
	return e ? e : http_reply_empty(r, 204);
}
