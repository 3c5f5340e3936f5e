/*
 * tokens.c - what the provider hands out (reference §2.11): opaque codes and
 * refresh tokens built as Pocket ID builds them, RFC 9068 access tokens and ID
 * tokens signed with the instance key, and their rows in oauth2_sessions.
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

#define OPAQUE_RANDOM 32 /* bytes: 256 bits, twice what the conformance suite asks of a code */
#define ID_TOKEN_TTL  3600

static uint8_t GLOBAL_SECRET[32];
static const struct jws_key *KEY;
static const struct sy_config *CFG;

enum sy_err oidc_setup(const struct sy_config *cfg, const struct jws_key *key)
{
	CFG = cfg;
	KEY = key;
	/* the same secret as Pocket ID's, so that codes and refresh tokens it
	 * issued keep their meaning after a migration */
	return hkdf_sha256(cfg->encryption_key, strlen(cfg->encryption_key), "pocketid/fosite_global_secret",
	                   GLOBAL_SECRET, sizeof GLOBAL_SECRET);
}

const struct sy_config *oidc_config(void)
{
	return CFG;
}

const struct jws_key *oidc_key(void)
{
	return KEY;
}

enum sy_err oidc_opaque_new(struct arena *a, const char *prefix, char **token, char **sig)
{
	uint8_t raw[OPAQUE_RANDOM], mac[32];
	sy_random(raw, sizeof raw);
	enum sy_err e = hmac_sha512_256(GLOBAL_SECRET, 32, raw, sizeof raw, mac);
	if (e)
		return e;
	char *k = arena_b64url(a, raw, sizeof raw);
	*sig = arena_b64url(a, mac, sizeof mac);
	*token = k && *sig ? arena_printf(a, "%s%s.%s", prefix, k, *sig) : NULL;
	return *token ? SY_OK : SY_E_TOOBIG;
}

enum sy_err oidc_opaque_check(struct arena *a, const char *prefix, const char *token, char **sig)
{
	size_t pn = strlen(prefix);
	if (!token || strncmp(token, prefix, pn) != 0 || strlen(token) > 256)
		return SY_E_INVALID;
	const char *k = token + pn, *dot = strchr(k, '.');
	uint8_t *raw, mac[32];
	size_t n;
	if (!dot || arena_b64url_decode(a, k, (size_t)(dot - k), &raw, &n) || n != OPAQUE_RANDOM ||
	    hmac_sha512_256(GLOBAL_SECRET, 32, raw, n, mac))
		return SY_E_INVALID;
	char *want = arena_b64url(a, mac, sizeof mac);
	if (!want || !sy_ct_equal(want, strlen(want), dot + 1, strlen(dot + 1)))
		return SY_E_INVALID;
	*sig = want;
	return SY_OK;
}

/* ---- grants: what a code or refresh token stands for (request_data) ---- */

json_t *oidc_grant_json(const struct oidc_grant *g)
{
	json_t *j = json_pack("{s:s, s:O, s:I, s:I}", "client_id", g->client_id, "granted_scope", g->scope, "auth_time",
	                      (json_int_t)g->auth_time, "requested_at", (json_int_t)g->requested_at);
	const struct {
		const char *k, *v;
	} opt[] = {{"subject", g->user_id},
	           {"redirect_uri", g->redirect_uri},
	           {"nonce", g->nonce},
	           {"code_challenge", g->code_challenge},
	           {"code_challenge_method", g->code_challenge_method},
	           {"amr", g->amr},
	           {"id_token_jti", g->id_token_jti}};
	for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
		if (opt[i].v)
			json_object_set_new(j, opt[i].k, json_string(opt[i].v));
	return j;
}

static char *member(struct arena *a, const json_t *j, const char *k)
{
	const char *v = json_string_value(json_object_get(j, k));
	return v ? arena_strdup(a, v) : NULL;
}

/* The first value of a member of fosite's stored form (url.Values: name -> [values]). */
static char *form_member(struct arena *a, const json_t *form, const char *k)
{
	const char *v = json_string_value(json_array_get(json_object_get(form, k), 0));
	return v && *v ? arena_strdup(a, v) : NULL;
}

/* A time as this server writes it (Unix seconds) or as Pocket ID's Go code
 * does (RFC 3339). */
static int64_t time_member(const json_t *j, const char *k)
{
	json_t *v = json_object_get(j, k);
	int64_t t = 0;
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v) && parse_rfc3339(json_string_value(v), &t))
		t = 0;
	return t;
}

/* The grant of a row: request_data as this server writes it, or as Pocket ID
 * (fosite) wrote it, so that codes and refresh tokens of a migrated Pocket ID
 * database keep working. false when it is neither. */
static bool grant_read(struct arena *a, const char *data, struct oidc_grant *g)
{
	json_t *j = json_loads(data, JSON_REJECT_DUPLICATES, NULL);
	json_t *scope = json_object_get(j, "granted_scope");
	bool ok = json_is_object(j) && json_is_array(scope) && json_is_string(json_object_get(j, "client_id"));
	if (ok) {
		json_t *session = json_object_get(j, "session"), *idc = json_object_get(session, "id_token_claims");
		json_t *form = json_object_get(j, "form");
		g->client_id = member(a, j, "client_id");
		g->user_id = member(a, j, "subject");
		if (!g->user_id)
			g->user_id = member(a, session, "subject");
		if (g->user_id && !*g->user_id)
			g->user_id = NULL;
		g->redirect_uri = member(a, j, "redirect_uri");
		if (!g->redirect_uri)
			g->redirect_uri = form_member(a, form, "redirect_uri");
		g->nonce = member(a, j, "nonce");
		if (!g->nonce)
			g->nonce = member(a, idc, "nonce");
		g->code_challenge = member(a, j, "code_challenge");
		if (!g->code_challenge)
			g->code_challenge = form_member(a, form, "code_challenge");
		g->code_challenge_method = member(a, j, "code_challenge_method");
		if (!g->code_challenge_method)
			g->code_challenge_method = form_member(a, form, "code_challenge_method");
		g->amr = member(a, j, "amr");
		if (!g->amr)
			g->amr = json_is_string(json_array_get(json_object_get(idc, "amr"), 0))
			                 ? arena_strdup(
			                           a, json_string_value(json_array_get(json_object_get(idc, "amr"), 0)))
			                 : NULL;
		g->id_token_jti = member(a, j, "id_token_jti");
		if (!g->id_token_jti)
			g->id_token_jti = member(a, idc, "jti");
		g->auth_time =
		        json_object_get(j, "auth_time") ? time_member(j, "auth_time") : time_member(idc, "auth_time");
		g->requested_at = time_member(j, "requested_at");
		/* fosite scopes may repeat or hold ones this server does not know */
		g->scope = oidc_scopes_known(NULL);
		size_t i;
		json_t *v;
		json_array_foreach(scope, i, v)
		{
			json_t *one = oidc_scopes_known(json_string_value(v));
			json_array_extend(g->scope, one);
			json_decref(one);
		}
		json_t *dedup = oidc_scopes_known(NULL);
		json_array_foreach(g->scope, i, v) if (!oidc_scope_has(dedup, json_string_value(v)))
		        json_array_append(dedup, v);
		json_decref(g->scope);
		g->scope = dedup;
	}
	json_decref(j);
	return ok;
}

void oidc_grant_clear(struct oidc_grant *g)
{
	json_decref(g->scope);
	json_decref(g->refresh_scope);
	g->scope = g->refresh_scope = NULL;
}

enum sy_err oidc_grants_store(struct store *s, const struct oidc_grant_row *rows, size_t n)
{
	/* one statement for the rows of one answer: one round trip, one commit */
	static const char *const SQL[] = {
	        "INSERT INTO oauth2_sessions (id, created_at, kind, key, request_id, client_id, "
	        "access_token_signature, "
	        "active, request_data, expires_at, user_id) VALUES (?, ts(?), ?, ?, ?, ?, ?, TRUE, ?, ts(?), ?)",
	        "INSERT INTO oauth2_sessions (id, created_at, kind, key, request_id, client_id, "
	        "access_token_signature, "
	        "active, request_data, expires_at, user_id) VALUES (?, ts(?), ?, ?, ?, ?, ?, TRUE, ?, ts(?), ?), "
	        "(?, ts(?), ?, ?, ?, ?, ?, TRUE, ?, ts(?), ?)"};
	if (n < 1 || n > 2)
		return SY_E_INTERNAL;
	char *data[2] = {NULL, NULL};
	enum sy_err e = SY_OK;
	for (size_t i = 0; i < n && !e; i++) {
		json_t *j = oidc_grant_json(rows[i].g);
		if (!(data[i] = json_dumps(j, JSON_COMPACT)))
			e = SY_E_INTERNAL;
		json_decref(j);
	}
	struct store_stmt *st;
	if (!e && !(e = store_prepare(s, SQL[n - 1], &st))) {
		int64_t now = time(NULL);
		for (size_t i = 0; i < n; i++) {
			const struct oidc_grant_row *w = &rows[i];
			char id[37];
			int b = (int)i * 10;
			uuid_v4(id);
			store_bind_text(st, b + 1, id);
			store_bind_int(st, b + 2, now);
			store_bind_text(st, b + 3, w->kind);
			store_bind_text(st, b + 4, w->key);
			store_bind_text(st, b + 5, w->g->request_id);
			store_bind_text(st, b + 6, w->g->client_id);
			store_bind_text(st, b + 7, w->access_sig ? w->access_sig : "");
			store_bind_text(st, b + 8, data[i]);
			store_bind_int(st, b + 9, w->expires_at);
			store_bind_text(st, b + 10, w->g->user_id);
		}
		bool row;
		e = store_step(st, &row);
		store_finalize(st);
	}
	free(data[0]);
	free(data[1]);
	return e;
}

/* The statement for the live (active, unexpired) row of (kind, key) that sql
 * selects or updates, returning request_id, request_data, epoch(expires_at). */
static enum sy_err live_bind(struct store *s, const char *sql, const char *kind, const char *key, const char *client_id,
                             struct store_stmt **st)
{
	enum sy_err e = store_prepare(s, sql, st);
	if (e)
		return e;
	store_bind_text(*st, 1, kind);
	store_bind_text(*st, 2, key);
	store_bind_int(*st, 3, time(NULL));
	if (client_id)
		store_bind_text(*st, 4, client_id);
	return SY_OK;
}

/* The grant of that row (st finalized). */
static enum sy_err live_read(struct store_stmt *st, struct arena *a, struct oidc_grant *g, int64_t *expires_at)
{
	memset(g, 0, sizeof *g);
	bool row;
	enum sy_err e = store_step(st, &row);
	if (!e && !row)
		e = SY_E_NOTFOUND;
	if (!e) {
		g->request_id = arena_strdup(a, store_col_text(st, 0));
		if (expires_at)
			*expires_at = store_col_int(st, 2);
		if (!grant_read(a, store_col_text(st, 1), g))
			e = SY_E_NOTFOUND;
	}
	store_finalize(st);
	return e;
}

static enum sy_err live_row(struct store *s, struct arena *a, const char *sql, const char *kind, const char *key,
                            const char *client_id, struct oidc_grant *g, int64_t *expires_at)
{
	struct store_stmt *st;
	memset(g, 0, sizeof *g);
	enum sy_err e = live_bind(s, sql, kind, key, client_id, &st);
	return e ? e : live_read(st, a, g, expires_at);
}

enum sy_err oidc_grant_spend(struct store *s, struct arena *a, const char *kind, const char *key, const char *client_id,
                             struct oidc_grant *g, bool *spent_before)
{
	*spent_before = false;
	/* the update is the check: of two concurrent uses exactly one wins; and
	 * only the client it was issued to can spend it, so another client
	 * holding it can neither use it up nor set off the replay revocation */
	enum sy_err e =
	        live_row(s, a,
	                 "UPDATE oauth2_sessions SET active = FALSE WHERE kind = ? AND key = ? AND active = TRUE "
	                 "AND expires_at > ts(?) AND client_id = ? RETURNING request_id, request_data, "
	                 "epoch(expires_at)",
	                 kind, key, client_id, g, NULL);
	if (e != SY_E_NOTFOUND)
		return e;
	/* not usable: spent before by its client (a replay: the caller revokes
	 * its family), or expired, unknown, or another client's */
	struct store_stmt *st;
	bool row;
	if ((e = store_prepare(
	             s, "SELECT request_id, active FROM oauth2_sessions WHERE kind = ? AND key = ? AND client_id = ?",
	             &st)))
		return e;
	store_bind_text(st, 1, kind);
	store_bind_text(st, 2, key);
	store_bind_text(st, 3, client_id);
	if (!(e = store_step(st, &row)) && row && !store_col_bool(st, 1)) {
		*spent_before = true;
		g->request_id = arena_strdup(a, store_col_text(st, 0));
	}
	store_finalize(st);
	return e ? e : SY_E_NOTFOUND;
}

#define FIND_SQL                                                                                                       \
	"SELECT request_id, request_data, epoch(expires_at) FROM oauth2_sessions "                                     \
	"WHERE kind = ? AND key = ? AND active = TRUE AND expires_at > ts(?)"

enum sy_err oidc_grant_find(struct store *s, struct arena *a, const char *kind, const char *key, struct oidc_grant *g,
                            int64_t *expires_at)
{
	return live_row(s, a, FIND_SQL, kind, key, NULL, g, expires_at);
}

enum sy_err oidc_grant_find_queue(struct store *s, const char *kind, const char *key, struct store_stmt **st)
{
	enum sy_err e = live_bind(s, FIND_SQL, kind, key, NULL, st);
	if (!e)
		store_queue(*st);
	return e;
}

enum sy_err oidc_grant_find_read(struct store_stmt *st, struct arena *a, struct oidc_grant *g, int64_t *expires_at)
{
	return live_read(st, a, g, expires_at);
}

/* A client_credentials token: its subject is "client-" and its client's id. A
 * user's id is a UUID, so no user's token reads as one. */
static bool client_token(const json_t *claims)
{
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	const char *cid = json_string_value(json_object_get(claims, "client_id"));
	return sub && cid && strncmp(sub, "client-", 7) == 0 && strcmp(sub + 7, cid) == 0;
}

enum sy_err oidc_access_queue(struct store *s, const char *sig, struct store_stmt **st)
{
	enum sy_err e = store_prepare(
	        s,
	        "SELECT request_id, request_data, active FROM oauth2_sessions WHERE kind = 'access_token' AND key = ?",
	        st);
	if (!e) {
		store_bind_text(*st, 1, sig);
		store_queue(*st);
	}
	return e;
}

enum sy_err oidc_access_read(struct store_stmt *st, struct arena *a, const json_t *claims, struct oidc_grant *g)
{
	memset(g, 0, sizeof *g);
	bool row;
	enum sy_err e = store_step(st, &row);
	if (!e && row) {
		g->request_id = arena_strdup(a, store_col_text(st, 0));
		if (!store_col_bool(st, 2) || !grant_read(a, store_col_text(st, 1), g))
			e = SY_E_NOTFOUND;
	} else if (!e) {
		/* not stored: a client's grant carries nothing the JWT does not say */
		json_t *scp = json_object_get(claims, "scp");
		json_t *iat = json_object_get(claims, "iat");
		if (!client_token(claims) || !json_is_array(scp) || !json_is_integer(iat)) {
			e = SY_E_NOTFOUND;
		} else {
			g->request_id = arena_strdup(a, json_string_value(json_object_get(claims, "jti")));
			g->client_id = arena_strdup(a, json_string_value(json_object_get(claims, "client_id")));
			g->scope = json_incref(scp);
			g->requested_at = g->auth_time = json_integer_value(iat);
		}
	}
	store_finalize(st);
	return e;
}

enum sy_err oidc_access_grant(struct store *s, struct arena *a, const json_t *claims, const char *sig,
                              struct oidc_grant *g)
{
	struct store_stmt *st;
	memset(g, 0, sizeof *g);
	enum sy_err e = oidc_access_queue(s, sig, &st);
	return e ? e : oidc_access_read(st, a, claims, g);
}

enum sy_err oidc_access_revoke(struct store *s, const json_t *claims, const char *sig, const struct oidc_grant *g)
{
	json_t *j = oidc_grant_json(g);
	char *data = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!data)
		return SY_E_INTERNAL;
	/* a user's token has its row; a client's gets one, inactive, which the
	 * janitor deletes once the token has expired anyway */
	struct store_stmt *st;
	enum sy_err e = store_prepare(
	        s,
	        "INSERT INTO oauth2_sessions (id, created_at, kind, key, request_id, client_id, active, request_data, "
	        "expires_at) VALUES (?, ts(?), 'access_token', ?, ?, ?, FALSE, ?, ts(?)) "
	        "ON CONFLICT (kind, key) DO UPDATE SET active = FALSE",
	        &st);
	if (!e) {
		char id[37];
		uuid_v4(id);
		store_bind_text(st, 1, id);
		store_bind_int(st, 2, time(NULL));
		store_bind_text(st, 3, sig);
		store_bind_text(st, 4, g->request_id);
		store_bind_text(st, 5, g->client_id);
		store_bind_text(st, 6, data);
		store_bind_int(st, 7, json_integer_value(json_object_get(claims, "exp")));
		bool row;
		e = store_step(st, &row);
		store_finalize(st);
	}
	free(data);
	return e;
}

enum sy_err oidc_family_revoke(struct store *s, const char *request_id)
{
	const char *args[] = {request_id};
	return store_run(s, "UPDATE oauth2_sessions SET active = FALSE WHERE request_id = ?", args, 1, NULL);
}

/* ---- signed tokens ---- */

bool oidc_scope_has(const json_t *scope, const char *want)
{
	size_t i;
	json_t *v;
	json_array_foreach(scope, i, v) if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) return true;
	return false;
}

char *oidc_scope_string(struct arena *a, const json_t *scope)
{
	size_t i, n = 1;
	json_t *v;
	json_array_foreach(scope, i, v) n += strlen(json_string_value(v)) + 1;
	char *out = arena_alloc(a, n), *p = out;
	if (!out)
		return NULL;
	*out = '\0';
	json_array_foreach(scope, i, v)
	{
		size_t k = strlen(json_string_value(v));
		if (p != out)
			*p++ = ' ';
		memcpy(p, json_string_value(v), k + 1);
		p += k;
	}
	return out;
}

static enum sy_err sign_claims(struct arena *a, const char *typ, json_t *claims, char **jwt)
{
	char *payload = json_dumps(claims, JSON_COMPACT);
	json_decref(claims);
	if (!payload)
		return SY_E_INTERNAL;
	enum sy_err e = jws_sign(a, KEY, typ, payload, strlen(payload), jwt);
	free(payload);
	return e;
}

/* at_hash (OpenID Connect Core §3.1.3.6): the left half of the access token's
 * hash with the ID token's hash function, base64url. */
static char *at_hash(struct arena *a, const char *access_token)
{
	const char *md = jws_alg_digest(KEY->alg);
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!EVP_Digest(access_token, strlen(access_token), h, &n, EVP_get_digestbyname(md ? md : "SHA512"), NULL))
		return NULL;
	return arena_b64url(a, h, n / 2);
}

static bool identity_scope(const json_t *scope)
{
	return oidc_scope_has(scope, "openid") || oidc_scope_has(scope, "profile") || oidc_scope_has(scope, "email") ||
	       oidc_scope_has(scope, "groups");
}

/* The JWT signature segment: the key of an access token's row. */
const char *oidc_jwt_signature(const char *jwt)
{
	const char *dot = strrchr(jwt, '.');
	return dot ? dot + 1 : jwt;
}

static enum sy_err access_token(struct http_req *r, const struct oidc_client *c, const struct oidc_grant *g,
                                int64_t now, char **jwt, int64_t *exp)
{
	char jti[37];
	uuid_v4(jti);
	*exp = now + (int64_t)c->access_token_minutes * 60;
	json_t *aud = json_pack("[s]", c->id);
	if (g->user_id && identity_scope(g->scope))
		json_array_append_new(aud, json_string(CFG->app_url));
	char *sub = g->user_id ? (char *)g->user_id : arena_printf(&r->arena, "client-%s", c->id);
	json_t *claims = json_pack("{s:s, s:s, s:o, s:s, s:s, s:O, s:s, s:I, s:I}", "iss", CFG->app_url, "sub", sub,
	                           "aud", aud, "client_id", c->id, "scope", oidc_scope_string(&r->arena, g->scope),
	                           "scp", g->scope, "jti", jti, "iat", (json_int_t)now, "exp", (json_int_t)*exp);
	return sign_claims(&r->arena, "at+jwt", claims, jwt);
}

static enum sy_err id_token(struct http_req *r, const struct oidc_grant *g, const struct user *u,
                            struct store_stmt *user_claims, const char *access, int64_t now, char **jwt)
{
	json_t *claims = oidc_claims_read(user_claims, &r->arena, u, g->scope);
	json_t *std = json_pack("{s:s, s:s, s:[s], s:I, s:I, s:I, s:I, s:s, s:s}", "iss", CFG->app_url, "sub", u->id,
	                        "aud", g->client_id, "exp", (json_int_t)(now + ID_TOKEN_TTL), "iat", (json_int_t)now,
	                        "rat", (json_int_t)g->requested_at, "auth_time", (json_int_t)g->auth_time, "jti",
	                        g->id_token_jti, "type", "id-token");
	json_object_update(claims, std);
	json_decref(std);
	if (g->nonce)
		json_object_set_new(claims, "nonce", json_string(g->nonce));
	if (g->amr)
		json_object_set_new(claims, "amr", json_pack("[s]", g->amr));
	char *h = at_hash(&r->arena, access);
	if (h)
		json_object_set_new(claims, "at_hash", json_string(h));
	return sign_claims(&r->arena, "JWT", claims, jwt);
}

enum sy_err oidc_issue(struct http_req *r, struct store *s, const struct oidc_client *c, struct oidc_grant *g,
                       const struct user *u, struct store_stmt *claims, json_t **out)
{
	int64_t now = time(NULL), exp;
	char *access, *refresh = NULL, *refresh_sig, *idt = NULL, jti[37];
	uuid_v4(jti);
	g->id_token_jti = arena_strdup(&r->arena, jti);
	enum sy_err e = access_token(r, c, g, now, &access, &exp);
	/* a refresh token for every user grant, as Pocket ID (offline_access is not required) */
	if (!e && u)
		e = oidc_opaque_new(&r->arena, "pocket_id_rt_", &refresh, &refresh_sig);
	if (!e && u && oidc_scope_has(g->scope, "openid")) {
		e = id_token(r, g, u, claims, access, now, &idt);
		claims = NULL;
	}
	store_finalize(claims);
	if (e)
		return e;
	/* stored once everything is signed: no row for tokens that were never
	 * handed out, and none for a client's access token, which has no family
	 * to revoke with and says all it stands for itself (a revocation adds a
	 * row: oidc_access_revoke) */
	struct oidc_grant kept = *g;
	if (g->refresh_scope)
		kept.scope = g->refresh_scope;
	struct oidc_grant_row rows[2] = {
	        {"access_token", oidc_jwt_signature(access), g, exp, NULL},
	        {"refresh_token", refresh_sig, &kept, now + (int64_t)c->refresh_token_minutes * 60,
	         oidc_jwt_signature(access)},
	};
	if (u && (e = oidc_grants_store(s, rows, 2)))
		return e;
	*out = json_pack("{s:s, s:I, s:s, s:s}", "access_token", access, "expires_in", (json_int_t)(exp - now), "scope",
	                 u ? oidc_scope_string(&r->arena, g->scope) : "", "token_type", "bearer");
	if (idt)
		json_object_set_new(*out, "id_token", json_string(idt));
	if (refresh)
		json_object_set_new(*out, "refresh_token", json_string(refresh));
	return SY_OK;
}
