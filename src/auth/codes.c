/*
 * codes.c - one-time login codes (reference §1.13, §8.5): the admin's way back
 * in for a user without a working passkey, and the CLI for a locked-out admin.
 *
 * A code is 6 characters when it lives at most 15 minutes, else 12, drawn from
 * an alphabet without look-alikes. Only a keyed hash (HMAC with a key derived
 * from ENCRYPTION_KEY) is stored, so a copy of the database does not reveal
 * codes, not even by trying every 6-character one. A code works once: the
 * exchange deletes its row and only the request that deleted it signs in.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../crypto/crypto.h"
#include "../http/http.h"
#include "../store/store.h"
#include "auth.h"

#define CODE_ALPHABET "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ0123456789"
#define SHORT_TTL     (15 * 60)
#define MAX_TTL       (31L * 24 * 3600)
#define CLI_TTL       3600

/* The stored form of a code: hex HMAC under a key derived from ENCRYPTION_KEY. */
static enum sy_err code_hash(const char *enc_key, const char *code, char out[65])
{
	uint8_t key[32], mac[32];
	enum sy_err e = hkdf_sha256(enc_key, strlen(enc_key), "symbolon login code", key, sizeof key);
	if (!e)
		e = hmac_sha3_256(key, sizeof key, code, strlen(code), mac);
	OPENSSL_cleanse(key, sizeof key);
	if (!e)
		hex_encode(mac, sizeof mac, out);
	return e;
}

enum sy_err token_insert(struct store *s, enum token_kind kind, const char *hash, long ttl, const char *user_id)
{
	static const char *const SQL[] = {
	        [TOKEN_LOGIN_CODE] = "INSERT INTO one_time_access_tokens (id, created_at, token, expires_at, user_id) "
	                             "VALUES (?, ts(?), ?, ts(?), ?)",
	        [TOKEN_REAUTH] = "INSERT INTO reauthentication_tokens (id, created_at, token, expires_at, user_id) "
	                         "VALUES (?, ts(?), ?, ts(?), ?)",
	};
	char id[37];
	uuid_v4(id);
	int64_t now = time(NULL);
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, SQL[kind], &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	store_bind_int(st, 2, now);
	store_bind_text(st, 3, hash);
	store_bind_int(st, 4, now + ttl);
	store_bind_text(st, 5, user_id);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	return e;
}

enum sy_err code_create(struct store *s, const char *enc_key, const char *user_id, long ttl, char code[13])
{
	sy_random_string(code, ttl <= SHORT_TTL ? 6 : 12, CODE_ALPHABET);
	char hash[65];
	enum sy_err e = code_hash(enc_key, code, hash);
	return e ? e : token_insert(s, TOKEN_LOGIN_CODE, hash, ttl, user_id);
}

bool duration_parse(const json_t *v, long max, long *out)
{
	if (!v || json_is_null(v)) {
		*out = 0;
		return true;
	}
	if (json_is_integer(v)) {
		*out = (long)json_integer_value(v);
		return json_integer_value(v) >= 0 && json_integer_value(v) <= max;
	}
	const char *p = json_string_value(v);
	if (!p || !*p || json_string_length(v) > 32)
		return false;
	long total = 0;
	while (*p) {
		if (!isdigit((unsigned char)*p))
			return false;
		long n = 0;
		while (isdigit((unsigned char)*p)) {
			n = n * 10 + (*p++ - '0');
			if (n > max)
				return false;
		}
		long unit = *p == 'h' ? 3600 : *p == 'm' ? 60 : *p == 's' ? 1 : 0;
		if (!unit)
			return false;
		p++;
		total += n * unit;
		if (total > max)
			return false;
	}
	*out = total;
	return true;
}

enum sy_err code_create_handler(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct user target;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	json_t *body = NULL;
	long ttl = 0;
	if (r->body_len) {
		if ((e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
			return e;
		bool ok = json_is_object(body) && duration_parse(json_object_get(body, "ttl"), MAX_TTL, &ttl);
		json_decref(body);
		if (!ok)
			return http_fail_field(r, "ttl", "invalid",
			                       "must be a duration such as 15m or 12h, at most 31 days");
	}
	if (ttl == 0)
		ttl = SHORT_TTL;
	if ((e = user_get(s, &r->arena, http_param(r, "id"), &target)) == SY_E_NOTFOUND)
		return http_fail(r, SY_E_NOTFOUND, "user_not_found", "User not found");
	if (e)
		return e;
	char code[13];
	if ((e = code_create(s, auth_config()->encryption_key, target.id, ttl, code)))
		return e;
	return http_reply_json(r, 201, json_pack("{s:s}", "token", code));
}

static enum sy_err invalid(struct http_req *r)
{
	return http_fail(r, SY_E_UNAUTH, "token_invalid_or_expired", "Token is invalid or expired");
}

enum sy_err code_exchange_handler(struct http_req *r)
{
	struct store *s;
	enum sy_err e;
	if ((e = auth_store(r, &s)))
		return e;
	const char *given = http_param(r, "token");
	size_t n = given ? strlen(given) : 0;
	if (n != 6 && n != 12)
		return invalid(r);
	/* people read codes aloud and type I for 1 and O for 0 */
	char code[13];
	for (size_t i = 0; i < n; i++)
		code[i] = given[i] == 'I' || given[i] == 'i'   ? '1'
		          : given[i] == 'O' || given[i] == 'o' ? '0'
		                                               : given[i];
	code[n] = '\0';
	char hash[65];
	if ((e = code_hash(auth_config()->encryption_key, code, hash)))
		return e;
	struct store_stmt *st;
	if ((e = store_prepare(s, "SELECT user_id FROM one_time_access_tokens WHERE token = ? AND expires_at > ts(?)",
	                       &st)))
		return e;
	store_bind_text(st, 1, hash);
	store_bind_int(st, 2, time(NULL));
	bool row;
	struct user u;
	e = store_step(st, &row);
	char *user_id = !e && row ? arena_strdup(&r->arena, store_col_text(st, 0)) : NULL;
	store_finalize(st);
	if (e)
		return e;
	if (!user_id || user_get(s, &r->arena, user_id, &u))
		return invalid(r);
	/* a disabled user keeps the code for after re-enabling, as in Pocket ID */
	if (u.disabled)
		return http_fail(r, SY_E_DENIED, "user_disabled", "User account is disabled");
	if ((e = store_prepare(s, "DELETE FROM one_time_access_tokens WHERE token = ? RETURNING id", &st)))
		return e;
	store_bind_text(st, 1, hash);
	e = store_step(st, &row);
	store_finalize(st);
	if (e)
		return e;
	if (!row) /* another request used it first */
		return invalid(r);
	if ((e = session_issue(r, &u, "otp")))
		return e;
	audit_record(r, s, "TOKEN_SIGN_IN", u.id, NULL);
	return http_reply_json(r, 200, user_dto(s, &u, false));
}

int code_cli(const struct sy_config *cfg, const char *who)
{
	char err[512] = "";
	struct store *s = NULL;
	struct arena a;
	arena_init(&a, 1 << 20);
	struct user u;
	char code[13];
	enum sy_err e = store_open(cfg->db_connection_string, &s, err, sizeof err);
	if (!e)
		e = store_migrate(s, cfg->allow_downgrade, err, sizeof err);
	if (!e && (e = user_find(s, &a, who, &u)) == SY_E_NOTFOUND)
		snprintf(err, sizeof err, "no user has the username or email \"%s\"", who);
	if (!e)
		e = code_create(s, cfg->encryption_key, u.id, CLI_TTL, code);
	if (e)
		fprintf(stderr, "one-time-access-token: %s\n", *err ? err : sy_err_name(e));
	else
		printf("Use the following URL to sign in once: %s/lc/%s\n", cfg->app_url, code);
	store_close(s);
	arena_release(&a);
	return e ? 1 : 0;
}
