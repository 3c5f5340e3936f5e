/*
 * passkeys.c - the WebAuthn routes of reference §1.3: registration and sign-in
 * ceremonies, reauthentication, and the user's own passkeys.
 *
 * A ceremony is a row of webauthn_sessions whose id travels in the `session`
 * cookie. Finishing deletes the row first (DELETE ... RETURNING), so a
 * ceremony can be finished once, even by two racing requests; it also expires
 * 60 seconds after it started.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../crypto/crypto.h"
#include "../http/http.h"
#include "../store/store.h"
#include "auth.h"

#define CEREMONY_TTL   60 /* seconds, as Pocket ID */
#define CHALLENGE_LEN  32
#define REAUTH_TTL     180
#define REAUTH_FRESH   60 /* a passkey sign-in this recent counts as reauthentication */
#define BODY_FIELD_MAX (96u * 1024u)
#define MAX_PASSKEYS   100 /* per user: bounds the lists and the options they go into */

/* pubKeyCredParams, in Pocket ID's order */
static const int ALGS[] = {COSE_ES256, COSE_ES384, COSE_ES512, COSE_RS256, COSE_RS384,
                           COSE_RS512, COSE_PS256, COSE_PS384, COSE_PS512, COSE_EDDSA};
#define NALGS (sizeof ALGS / sizeof ALGS[0])

static enum sy_err invalid_session(struct http_req *r)
{
	return http_fail(r, SY_E_INVALID, "invalid_webauthn_session",
	                 "The passkey request expired or was already used. Please try again");
}

static enum sy_err auth_failed(struct http_req *r, const char *why)
{
	log_msg(LOG_INFO, "passkey sign-in refused (request %s): %s", r->request_id, why);
	return http_fail(r, SY_E_UNAUTH, "webauthn_authentication_failed", "Authentication failed");
}

static const char *uv_policy(void)
{
	return appcfg_str("webauthnUserVerification");
}

static struct webauthn_policy policy(void)
{
	/* UV is checked by the caller, so that its absence gets its own error code */
	return (struct webauthn_policy){auth_rp_id(), auth_app_url(), false, ALGS, NALGS};
}

/* ---- ceremonies ----
 *
 * The ceremony travels in the `session` cookie, sealed (AES-256-GCM under a key
 * derived from ENCRYPTION_KEY): its id, challenge, expiry, user verification
 * policy and, for a registration, the user. Starting one writes nothing, so
 * anonymous GET /api/webauthn/login/start cannot fill the database. Finishing
 * one inserts its id into webauthn_sessions: a second use hits the primary key
 * and is refused, on every instance sharing the database. The janitor deletes
 * rows whose ceremony has expired anyway. */

#define CEREMONY_AAD    "symbolon webauthn ceremony v1"
#define CEREMONY_ID_LEN 16
#define CEREMONY_FIXED  (2 + 8 + CEREMONY_ID_LEN + CHALLENGE_LEN)
#define CEREMONY_MAX    (CEREMONY_FIXED + 36)
#define CEREMONY_COOKIE (((CEREMONY_MAX + GCM_OVERHEAD) * 4 + 2) / 3 + 1)

struct ceremony {
	char id[2 * CEREMONY_ID_LEN + 1];
	uint8_t challenge[CHALLENGE_LEN];
	bool require_uv;
	int64_t expires;
	char user_id[37]; /* "" for sign-in */
};

static uint8_t ceremony_key[32];

void passkeys_setup(const char *encryption_key)
{
	if (hkdf_sha256(encryption_key, strlen(encryption_key), "symbolon webauthn ceremony", ceremony_key,
	                sizeof ceremony_key))
		abort(); /* HKDF-SHA256 with valid arguments cannot fail */
}

static enum sy_err ceremony_start(struct http_req *r, const char *user_id, char **challenge)
{
	size_t ulen = user_id ? strlen(user_id) : 0;
	if (ulen > 36)
		return SY_E_INTERNAL;
	uint8_t plain[CEREMONY_MAX], sealed[CEREMONY_MAX + GCM_OVERHEAD];
	int64_t exp = (int64_t)time(NULL) + CEREMONY_TTL;
	plain[0] = 1; /* format version */
	plain[1] = strcmp(uv_policy(), "required") == 0;
	for (int i = 0; i < 8; i++)
		plain[2 + i] = (uint8_t)((uint64_t)exp >> (56 - 8 * i));
	sy_random(plain + 10, CEREMONY_ID_LEN + CHALLENGE_LEN);
	memcpy(plain + CEREMONY_FIXED, user_id ? user_id : "", ulen);
	size_t n = CEREMONY_FIXED + ulen;
	enum sy_err e = gcm_seal(ceremony_key, CEREMONY_AAD, sizeof CEREMONY_AAD - 1, plain, n, sealed);
	if (e)
		return e;
	*challenge = arena_b64url(&r->arena, plain + 10 + CEREMONY_ID_LEN, CHALLENGE_LEN);
	char *cookie = arena_b64url(&r->arena, sealed, n + GCM_OVERHEAD);
	if (!*challenge || !cookie)
		return SY_E_TOOBIG;
	http_set_cookie(r, auth_cookie_name("session", false), cookie, CEREMONY_TTL, NULL);
	return SY_OK;
}

/* Records the ceremony as used; SY_E_CONFLICT when it already was. */
static enum sy_err ceremony_consume(struct store *s, const struct ceremony *c)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s,
	                              "INSERT INTO webauthn_sessions (id, created_at, challenge, expires_at, "
	                              "user_verification, user_id) VALUES (?, ts(?), ?, ts(?), ?, ?)",
	                              &st);
	if (e)
		return e;
	char challenge[b64url_encoded_len(CHALLENGE_LEN) + 1];
	b64url_encode(c->challenge, CHALLENGE_LEN, challenge);
	store_bind_text(st, 1, c->id);
	store_bind_int(st, 2, time(NULL));
	store_bind_text(st, 3, challenge);
	store_bind_int(st, 4, c->expires);
	store_bind_text(st, 5, c->require_uv ? "required" : "preferred");
	if (*c->user_id)
		store_bind_text(st, 6, c->user_id);
	else
		store_bind_null(st, 6);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	return e;
}

/* Opens the cookie's ceremony: sealed by us, not expired, and started by
 * user_id (NULL: a sign-in ceremony, started by nobody). */
static bool ceremony_open(struct http_req *r, const char *user_id, struct ceremony *out)
{
	const char *cookie = http_cookie(r, auth_cookie_name("session", false));
	uint8_t sealed[CEREMONY_MAX + GCM_OVERHEAD], plain[CEREMONY_MAX + GCM_OVERHEAD];
	size_t n, len;
	if (!cookie || strlen(cookie) >= CEREMONY_COOKIE || b64url_decode(cookie, strlen(cookie), sealed, &n) ||
	    gcm_open(ceremony_key, CEREMONY_AAD, sizeof CEREMONY_AAD - 1, sealed, n, plain, &len) ||
	    len < CEREMONY_FIXED || len > CEREMONY_MAX || plain[0] != 1)
		return false;
	out->require_uv = plain[1] == 1;
	uint64_t exp = 0;
	for (int i = 0; i < 8; i++)
		exp = exp << 8 | plain[2 + i];
	out->expires = (int64_t)exp;
	hex_encode(plain + 10, CEREMONY_ID_LEN, out->id);
	memcpy(out->challenge, plain + 10 + CEREMONY_ID_LEN, CHALLENGE_LEN);
	size_t ulen = len - CEREMONY_FIXED;
	memcpy(out->user_id, plain + CEREMONY_FIXED, ulen);
	out->user_id[ulen] = '\0';
	bool mine = user_id ? strcmp(out->user_id, user_id) == 0 : ulen == 0;
	return mine && out->expires >= time(NULL);
}

/* The ceremony named by the cookie. It is marked used here, unless keep:
 * then the caller marks it with ceremony_consume, on failure at once and on
 * success in the transaction that records the sign-in (one commit instead of
 * two; still only one request can use it). */
static enum sy_err ceremony_take(struct http_req *r, struct store *s, const char *user_id, bool keep,
                                 struct ceremony *out)
{
	bool ok = ceremony_open(r, user_id, out);
	/* the cookie has done its job */
	http_set_cookie(r, auth_cookie_name("session", false), "", 0, NULL);
	if (!ok)
		return invalid_session(r);
	if (keep)
		return SY_OK;
	enum sy_err e = ceremony_consume(s, out);
	return e == SY_E_CONFLICT ? invalid_session(r) : e;
}

/* ---- request bodies ---- */

/* A base64url string member of obj, decoded into the arena; max bytes. */
static bool b64_member(struct http_req *r, const json_t *obj, const char *name, size_t max, uint8_t **out, size_t *n)
{
	json_t *v = json_object_get(obj, name);
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	/* some clients pad base64url; go-webauthn accepts that, so do we */
	while (s && len > 0 && s[len - 1] == '=')
		len--;
	if (!s || len == 0 || len > b64url_encoded_len(max))
		return false;
	return arena_b64url_decode(&r->arena, s, len, out, n) == SY_OK && *n <= max;
}

static enum sy_err read_body(struct http_req *r, json_t **body, json_t **response)
{
	enum sy_err e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, body);
	if (e)
		return e;
	*response = json_object_get(*body, "response");
	if (!json_is_object(*body) || !json_is_object(*response) || !json_is_string(json_object_get(*body, "type")) ||
	    strcmp(json_string_value(json_object_get(*body, "type")), "public-key") != 0) {
		json_decref(*body);
		*body = NULL;
		return http_fail(r, SY_E_BODY, "invalid_request_body", "The passkey response is malformed");
	}
	return SY_OK;
}

/* rawId, and id when present, must both be the credential id. */
static bool read_cred_id(struct http_req *r, const json_t *body, uint8_t **id, size_t *n)
{
	uint8_t *other;
	size_t on;
	if (!b64_member(r, body, "rawId", WEBAUTHN_MAX_CRED_ID, id, n) ||
	    !b64_member(r, body, "id", WEBAUTHN_MAX_CRED_ID, &other, &on))
		return false;
	return bytes_eq(*id, *n, other, on);
}

/* ---- credentials ---- */

static json_t *credential_dto(struct http_req *r, struct store_stmt *st)
{
	size_t n;
	const uint8_t *cid = store_col_blob(st, 2, &r->arena, &n);
	char created[32];
	iso8601(store_col_int(st, 7), created);
	json_t *transport = json_loads(store_col_text(st, 4), JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_array(transport)) {
		json_decref(transport);
		transport = json_array();
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:b, s:s}", "id", store_col_text(st, 0), "name",
	                 store_col_text(st, 1), "credentialID", cid ? arena_b64url(&r->arena, cid, n) : "",
	                 "attestationType", store_col_text(st, 3), "transport", transport, "backupEligible",
	                 store_col_bool(st, 5), "backupState", store_col_bool(st, 6), "createdAt", created);
}

#define CRED_COLS                                                                                                      \
	"id, name, credential_id, attestation_type, transport, backup_eligible, backup_state, epoch(created_at)"

static enum sy_err credentials_of(struct http_req *r, struct store *s, const char *user_id, json_t **out)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s,
	                              "SELECT " CRED_COLS " FROM webauthn_credentials WHERE user_id = ? "
	                              "ORDER BY created_at, id",
	                              &st);
	if (e)
		return e;
	store_bind_text(st, 1, user_id);
	*out = json_array();
	bool row;
	while (!(e = store_step(st, &row)) && row)
		json_array_append_new(*out, credential_dto(r, st));
	store_finalize(st);
	if (e) {
		json_decref(*out);
		*out = NULL;
	}
	return e;
}

/* excludeCredentials: the user's passkeys, so an authenticator that already
 * holds one does not make a second. */
static json_t *exclude_list(struct http_req *r, struct store *s, const char *user_id)
{
	json_t *list = json_array(), *creds = NULL;
	if (credentials_of(r, s, user_id, &creds))
		return list;
	size_t i;
	json_t *c;
	json_array_foreach(creds, i, c)
	{
		json_t *x = json_pack("{s:s, s:O}", "type", "public-key", "id", json_object_get(c, "credentialID"));
		if (json_array_size(json_object_get(c, "transport")))
			json_object_set(x, "transports", json_object_get(c, "transport"));
		json_array_append_new(list, x);
	}
	json_decref(creds);
	return list;
}

/* Refuses a new passkey for a user who already has MAX_PASSKEYS. */
static enum sy_err room_for_passkey(struct http_req *r, struct store *s, const char *user_id)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "SELECT count(*) FROM webauthn_credentials WHERE user_id = ?", &st);
	if (e)
		return e;
	store_bind_text(st, 1, user_id);
	bool row;
	e = store_step(st, &row);
	int64_t n = !e && row ? store_col_int(st, 0) : 0;
	store_finalize(st);
	if (!e && n >= MAX_PASSKEYS)
		e = http_fail(r, SY_E_INVALID, "too_many_passkeys",
		              arena_printf(&r->arena, "You already have %d passkeys; delete one before adding another",
		                           MAX_PASSKEYS));
	return e;
}

enum sy_err passkey_register_start(struct http_req *r)
{
	struct store *s;
	struct session me;
	char *challenge;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_session_only(r, s, &me)) || (e = room_for_passkey(r, s, me.user.id)) ||
	    (e = ceremony_start(r, me.user.id, &challenge)))
		return e;
	json_t *params = json_array();
	for (size_t i = 0; i < NALGS; i++)
		json_array_append_new(params, json_pack("{s:s, s:i}", "type", "public-key", "alg", ALGS[i]));
	json_t *sel = json_pack("{s:b, s:s, s:s}", "requireResidentKey", 1, "residentKey", "required",
	                        "userVerification", uv_policy());
	const char *attach = appcfg_str("webauthnAuthenticatorAttachment");
	if (strcmp(attach, "any") != 0)
		json_object_set_new(sel, "authenticatorAttachment", json_string(attach));
	const char *display = me.user.display_name && *me.user.display_name ? me.user.display_name : me.user.username;
	json_t *o =
	        json_pack("{s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:o, s:i, s:o, s:o, s:{s:b}}", "rp", "name",
	                  appcfg_str("appName"), "id", auth_rp_id(), "user", "id",
	                  arena_b64url(&r->arena, (const uint8_t *)me.user.id, strlen(me.user.id)), "name",
	                  me.user.username, "displayName", display, "challenge", challenge, "pubKeyCredParams", params,
	                  "timeout", CEREMONY_TTL * 1000, "excludeCredentials", exclude_list(r, s, me.user.id),
	                  "authenticatorSelection", sel, "extensions", "credProps", 1);
	return http_reply_json(r, 200, o);
}

/* response.transports: short strings only, kept as the JSON list Pocket ID stores. */
static char *transports_json(const json_t *response)
{
	json_t *in = json_object_get(response, "transports"), *out = json_array(), *t;
	size_t i;
	json_array_foreach(in, i, t)
	{
		if (i >= 8)
			break;
		if (json_is_string(t) && json_string_length(t) > 0 && json_string_length(t) <= 32)
			json_array_append(out, t);
	}
	char *text = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return text;
}

static const char *passkey_name(struct http_req *r, const uint8_t aaguid[16])
{
	const char *model = aaguid_name(aaguid);
	return model ? arena_printf(&r->arena, "%s Passkey", model) : "New Passkey";
}

static enum sy_err store_credential(struct http_req *r, struct store *s, const char *user_id,
                                    const struct webauthn_credential *c, const char *name, const char *transports,
                                    char id[37])
{
	uuid_v4(id);
	struct store_stmt *st;
	enum sy_err e =
	        store_prepare(s,
	                      "INSERT INTO webauthn_credentials (id, created_at, name, credential_id, public_key, "
	                      "attestation_type, transport, user_id, backup_eligible, backup_state, sign_count) "
	                      "VALUES (?, ts(?), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                      &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	store_bind_int(st, 2, time(NULL));
	store_bind_text(st, 3, name);
	store_bind_blob(st, 4, c->id, c->id_len);
	store_bind_blob(st, 5, c->cose_key, c->cose_key_len);
	store_bind_text(st, 6, c->fmt);
	store_bind_text(st, 7, transports);
	store_bind_text(st, 8, user_id);
	store_bind_int(st, 9, c->backup_eligible);
	store_bind_int(st, 10, c->backup_state);
	store_bind_int(st, 11, c->sign_count);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	if (e == SY_E_CONFLICT)
		return http_fail(r, SY_E_CONFLICT, "already_in_use", "This passkey is already registered");
	return e;
}

static enum sy_err credential_reply(struct http_req *r, struct store *s, const char *id, const char *user_id)
{
	struct store_stmt *st;
	enum sy_err e =
	        store_prepare(s, "SELECT " CRED_COLS " FROM webauthn_credentials WHERE id = ? AND user_id = ?", &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	store_bind_text(st, 2, user_id);
	bool row;
	e = store_step(st, &row);
	json_t *dto = !e && row ? credential_dto(r, st) : NULL;
	store_finalize(st);
	if (e)
		return e;
	return dto ? http_reply_json(r, 200, dto) : SY_E_NOTFOUND;
}

enum sy_err passkey_register_finish(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct ceremony c;
	json_t *body = NULL, *resp;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_session_only(r, s, &me)) ||
	    (e = ceremony_take(r, s, me.user.id, false, &c)) || (e = read_body(r, &body, &resp)))
		return e;
	uint8_t *cd, *ao, *raw_id;
	size_t cd_len, ao_len, raw_len;
	if (!read_cred_id(r, body, &raw_id, &raw_len) ||
	    !b64_member(r, resp, "clientDataJSON", WEBAUTHN_MAX_CLIENT_DATA, &cd, &cd_len) ||
	    !b64_member(r, resp, "attestationObject", WEBAUTHN_MAX_ATTESTATION, &ao, &ao_len)) {
		json_decref(body);
		return http_fail(r, SY_E_BODY, "invalid_request_body", "The passkey response is malformed");
	}
	char *transports = transports_json(resp);
	json_decref(body);
	struct webauthn_policy p = policy();
	struct webauthn_credential cred;
	const char *why = NULL;
	e = webauthn_register_verify(&r->arena, &p, c.challenge, sizeof c.challenge, cd, cd_len, ao, ao_len, &cred,
	                             &why);
	if (!e && !bytes_eq(cred.id, cred.id_len, raw_id, raw_len)) {
		e = SY_E_DENIED;
		why = "the credential id does not match the attested one";
	}
	if (e) {
		free(transports);
		log_msg(LOG_INFO, "passkey registration refused (request %s): %s", r->request_id, why);
		return http_fail(
		        r, SY_E_INVALID, "webauthn_registration_failed",
		        arena_printf(&r->arena, "Passkey registration failed: %s", why ? why : "invalid response"));
	}
	if (c.require_uv && !cred.uv) {
		free(transports);
		return http_fail(r, SY_E_INVALID, "passkey_user_verification_required",
		                 "This passkey did not verify you (PIN or biometrics); user verification is required");
	}
	if (cred.backup_eligible && !appcfg_bool("webauthnAllowSyncedPasskeys")) {
		free(transports);
		return http_fail(r, SY_E_INVALID, "synced_passkey_not_allowed",
		                 "Synced passkeys are not allowed here; use a security key or a device-bound passkey");
	}
	const char *name = passkey_name(r, cred.aaguid);
	char id[37];
	if ((e = room_for_passkey(r, s, me.user.id))) {
		free(transports);
		return e;
	}
	e = store_credential(r, s, me.user.id, &cred, name, transports ? transports : "[]", id);
	free(transports);
	if (e)
		return e;
	char *hex = arena_alloc(&r->arena, 2 * cred.id_len + 1);
	if (hex)
		hex_encode(cred.id, cred.id_len, hex);
	audit_record(r, s, "PASSKEY_ADDED", me.user.id,
	             json_pack("{s:s, s:s}", "credentialID", hex ? hex : "", "passkeyName", name));
	return credential_reply(r, s, id, me.user.id);
}

enum sy_err passkey_login_start(struct http_req *r)
{
	struct store *s;
	char *challenge;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = ceremony_start(r, NULL, &challenge)))
		return e;
	return http_reply_json(r, 200,
	                       json_pack("{s:s, s:i, s:s, s:s}", "challenge", challenge, "timeout", CEREMONY_TTL * 1000,
	                                 "rpId", auth_rp_id(), "userVerification", uv_policy()));
}

struct stored_cred {
	char id[37];
	char *user_id;
	const uint8_t *cose_key;
	size_t cose_key_len;
	uint32_t sign_count;
	bool backup_eligible, backup_state;
};

static enum sy_err find_credential(struct http_req *r, struct store *s, const uint8_t *cid, size_t n,
                                   struct stored_cred *out)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s,
	                              "SELECT id, user_id, public_key, sign_count, backup_eligible, backup_state "
	                              "FROM webauthn_credentials WHERE credential_id = ?",
	                              &st);
	if (e)
		return e;
	store_bind_blob(st, 1, cid, n);
	bool row;
	e = store_step(st, &row);
	if (!e && !row)
		e = SY_E_NOTFOUND;
	if (!e) {
		snprintf(out->id, sizeof out->id, "%s", store_col_text(st, 0));
		out->user_id = arena_strdup(&r->arena, store_col_text(st, 1));
		out->cose_key = store_col_blob(st, 2, &r->arena, &out->cose_key_len);
		int64_t count = store_col_int(st, 3);
		out->sign_count = count < 0 || count > UINT32_MAX ? 0 : (uint32_t)count;
		out->backup_eligible = store_col_bool(st, 4);
		out->backup_state = store_col_bool(st, 5);
		if (!out->user_id || !out->cose_key)
			e = SY_E_STORE;
	}
	store_finalize(st);
	return e;
}

/* What a sign-in changes on the stored credential. */
struct cred_touch {
	char id[37];
	uint32_t sign_count;
	bool backup_state, changed;
};

/* Verifies an assertion body against a ceremony; *user is the passkey's
 * owner, *t what to store. Writes nothing. The error is answered as Pocket ID
 * does. */
static enum sy_err verify_assertion(struct http_req *r, struct store *s, const struct ceremony *c, struct user *user,
                                    struct cred_touch *t)
{
	json_t *body = NULL, *resp;
	enum sy_err e = read_body(r, &body, &resp);
	if (e)
		return e;
	uint8_t *cid, *cd, *ad, *sig, *handle;
	size_t cid_len, cd_len, ad_len, sig_len, handle_len;
	bool ok = read_cred_id(r, body, &cid, &cid_len) &&
	          b64_member(r, resp, "clientDataJSON", WEBAUTHN_MAX_CLIENT_DATA, &cd, &cd_len) &&
	          b64_member(r, resp, "authenticatorData", WEBAUTHN_MAX_AUTH_DATA, &ad, &ad_len) &&
	          b64_member(r, resp, "signature", WEBAUTHN_MAX_SIGNATURE, &sig, &sig_len);
	/* discoverable sign-in: the user handle names the account */
	bool have_handle = ok && b64_member(r, resp, "userHandle", 64, &handle, &handle_len);
	json_decref(body);
	if (!ok)
		return http_fail(r, SY_E_BODY, "invalid_request_body", "The passkey response is malformed");
	struct stored_cred sc;
	e = find_credential(r, s, cid, cid_len, &sc);
	if (e == SY_E_NOTFOUND) {
		log_msg(LOG_INFO, "passkey sign-in with an unknown credential (request %s)", r->request_id);
		return http_fail(
		        r, SY_E_UNAUTH, "passkey_not_registered",
		        arena_printf(&r->arena,
		                     "This passkey is not registered with %s. It may belong to another server or "
		                     "have been deleted. Use another passkey, or ask your administrator for a "
		                     "login code",
		                     appcfg_str("appName")));
	}
	if (e)
		return e;
	/* §7.2 step 6: the credential must belong to the user the handle names */
	if (!have_handle || !bytes_eq(handle, handle_len, sc.user_id, strlen(sc.user_id)))
		return auth_failed(r, "the user handle does not own this credential");
	struct webauthn_policy p = policy();
	struct webauthn_assertion out;
	const char *why = NULL;
	e = webauthn_assert_verify(&r->arena, &p, c->challenge, sizeof c->challenge, cd, cd_len, ad, ad_len, sig,
	                           sig_len, sc.cose_key, sc.cose_key_len, sc.sign_count, &out, &why);
	if (e)
		return auth_failed(r, why ? why : "invalid assertion");
	/* §7.2 step 18: backup eligibility is fixed when the credential is made */
	if (out.backup_eligible != sc.backup_eligible)
		return auth_failed(r, "the backup eligibility flag changed");
	if (c->require_uv && !out.uv)
		return http_fail(r, SY_E_INVALID, "passkey_user_verification_required",
		                 "This passkey did not verify you (PIN or biometrics); user verification is required");
	if ((e = user_get(s, &r->arena, sc.user_id, user)))
		return e == SY_E_NOTFOUND ? auth_failed(r, "the credential's user is gone") : e;
	if (user->disabled)
		return http_fail(r, SY_E_DENIED, "user_disabled", "User account is disabled");
	memcpy(t->id, sc.id, sizeof t->id);
	t->sign_count = out.sign_count;
	t->backup_state = out.backup_state;
	/* synced passkeys always count 0: most sign-ins change nothing to store */
	t->changed = out.sign_count != sc.sign_count || out.backup_state != sc.backup_state;
	return SY_OK;
}

/* Stores the new counter, but only over a lower one: two sign-ins verified at
 * once against the same stored count must not let the lower count win, and
 * the later one is refused like any counter that does not increase. Synced
 * passkeys (count 0) only ever change their backup state. */
static enum sy_err credential_touch(struct http_req *r, struct store *s, const struct cred_touch *t)
{
	if (!t->changed)
		return SY_OK;
	struct store_stmt *st;
	enum sy_err e = store_prepare(s,
	                              "UPDATE webauthn_credentials SET sign_count = ?, backup_state = ? "
	                              "WHERE id = ? AND (sign_count < ? OR ? = 0) RETURNING id",
	                              &st);
	if (e)
		return e;
	store_bind_int(st, 1, t->sign_count);
	store_bind_int(st, 2, t->backup_state);
	store_bind_text(st, 3, t->id);
	store_bind_int(st, 4, t->sign_count);
	store_bind_int(st, 5, t->sign_count);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	if (!e && !row)
		return auth_failed(r,
		                   "the signature counter did not increase (a concurrent sign-in stored a higher one)");
	return e;
}

/* A verified assertion: the ceremony is consumed, the credential updated and
 * the event recorded in one transaction. */
static enum sy_err assertion_commit(struct http_req *r, struct store *s, const struct ceremony *c,
                                    const struct cred_touch *t, const char *event, const char *user_id)
{
	enum sy_err e = store_begin(s);
	if (e)
		return e;
	if ((e = ceremony_consume(s, c)) == SY_E_CONFLICT)
		e = invalid_session(r);
	if (!e)
		e = credential_touch(r, s, t);
	if (!e && event)
		audit_record(r, s, event, user_id, NULL);
	if (!e)
		e = store_commit(s);
	if (e)
		store_rollback(s);
	return e;
}

/* Takes a sign-in ceremony and verifies the assertion in the body; whatever
 * the outcome, the ceremony cannot be used again. */
static enum sy_err assertion_finish(struct http_req *r, struct store *s, const char *event, struct user *u)
{
	struct ceremony c;
	struct cred_touch t;
	enum sy_err e = ceremony_take(r, s, NULL, true, &c);
	if (e)
		return e;
	if ((e = verify_assertion(r, s, &c, u, &t))) {
		(void)ceremony_consume(s, &c);
		return e;
	}
	return assertion_commit(r, s, &c, &t, event, u->id);
}

enum sy_err passkey_login_finish(struct http_req *r)
{
	struct store *s;
	struct user u;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = assertion_finish(r, s, "SIGN_IN", &u)) || (e = session_issue(r, &u, "phr")))
		return e;
	return http_reply_json(r, 200, user_dto(s, &u, false));
}

enum sy_err passkey_logout(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)))
		return e;
	http_set_cookie(r, auth_cookie_name("access_token", false), "", 0, NULL);
	return http_reply_empty(r, 204);
}

static enum sy_err reauth_token_issue(struct http_req *r, struct store *s, const char *user_id)
{
	char token[33], hash[65];
	sy_random_string(token, 32, SY_ALNUM);
	sha256_hex(token, 32, hash);
	enum sy_err e = token_insert(s, TOKEN_REAUTH, hash, REAUTH_TTL, user_id);
	if (!e)
		http_set_cookie(r, auth_cookie_name("reauthentication_token", true), token, REAUTH_TTL, NULL);
	return e;
}

enum sy_err auth_reauth_consume(struct http_req *r, struct store *s, const char *user_id)
{
	const char *token = http_cookie(r, auth_cookie_name("reauthentication_token", true));
	if (!token || !*token)
		return SY_E_UNAUTH;
	char hash[65];
	sha256_hex(token, strlen(token), hash);
	struct store_stmt *st;
	/* deleting it is the check: a token serves once, even on two instances at once */
	enum sy_err e = store_prepare(s,
	                              "DELETE FROM reauthentication_tokens WHERE token = ? AND user_id = ? "
	                              "AND expires_at > ts(?) RETURNING id",
	                              &st);
	if (e)
		return e;
	store_bind_text(st, 1, hash);
	store_bind_text(st, 2, user_id);
	store_bind_int(st, 3, time(NULL));
	bool row = false;
	e = store_step(st, &row);
	store_finalize(st);
	if (!e)
		http_set_cookie(r, auth_cookie_name("reauthentication_token", true), "", 0, NULL);
	return e ? e : row ? SY_OK : SY_E_UNAUTH;
}

enum sy_err passkey_reauthenticate(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_session_only(r, s, &me)))
		return e;
	bool empty = r->body_len == 0 || (r->body_len == 2 && memcmp(r->body, "{}", 2) == 0);
	if (empty) {
		/* a passkey sign-in a moment ago already proves presence */
		if (!me.amr || strcmp(me.amr, "phr") != 0 || me.iat + REAUTH_FRESH < time(NULL))
			return http_fail(r, SY_E_UNAUTH, "reauthentication_required",
			                 "Please confirm with your passkey to continue");
	} else {
		struct user u;
		if ((e = assertion_finish(r, s, NULL, &u)))
			return e;
		/* only the signed-in user's own passkey can confirm their presence */
		if (strcmp(u.id, me.user.id) != 0)
			return auth_failed(r, "the passkey belongs to another user");
	}
	if ((e = reauth_token_issue(r, s, me.user.id)))
		return e;
	return http_reply_empty(r, 204);
}

enum sy_err passkey_list(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *list;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)) || (e = credentials_of(r, s, me.user.id, &list)))
		return e;
	return http_reply_json(r, 200, list);
}

static enum sy_err not_found(struct http_req *r)
{
	return http_fail(r, SY_E_NOTFOUND, "not_found", "Passkey not found");
}

enum sy_err passkey_rename(struct http_req *r)
{
	struct store *s;
	struct session me;
	json_t *body = NULL;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)) ||
	    (e = http_json_parse(http_header_get(r, "Content-Type"), r->body, r->body_len, &body)))
		return e;
	json_t *name = json_object_get(body, "name");
	char *value = json_is_string(name) ? arena_strdup(&r->arena, json_string_value(name)) : NULL;
	size_t chars = 0;
	for (const char *p = value; p && *p; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80; /* code points, not bytes */
	json_decref(body);
	if (!value || chars == 0)
		return http_fail_field(r, "name", "required", "is required");
	if (chars > 50)
		return http_fail_field(r, "name", "max", "must be at most 50 characters");
	struct store_stmt *st;
	if ((e = store_prepare(s, "UPDATE webauthn_credentials SET name = ? WHERE id = ? AND user_id = ?", &st)))
		return e;
	store_bind_text(st, 1, value);
	store_bind_text(st, 2, http_param(r, "id"));
	store_bind_text(st, 3, me.user.id);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	if (e)
		return e;
	e = credential_reply(r, s, http_param(r, "id"), me.user.id);
	return e == SY_E_NOTFOUND ? not_found(r) : e;
}

/* Deletes user_id's passkey named by the :credentialId (or :id) parameter;
 * an admin deleting someone else's is named in the audit entry. */
static enum sy_err delete_passkey(struct http_req *r, struct store *s, const char *user_id, const char *cred_id,
                                  const struct user *actor)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(
	        s, "DELETE FROM webauthn_credentials WHERE id = ? AND user_id = ? RETURNING name, credential_id", &st);
	if (e)
		return e;
	store_bind_text(st, 1, cred_id);
	store_bind_text(st, 2, user_id);
	bool row;
	e = store_step(st, &row);
	json_t *data = NULL;
	if (!e && row) {
		size_t n;
		const uint8_t *cid = store_col_blob(st, 1, &r->arena, &n);
		char *hex = cid ? arena_alloc(&r->arena, 2 * n + 1) : NULL;
		if (hex)
			hex_encode(cid, n, hex);
		data = json_pack("{s:s, s:s}", "credentialID", hex ? hex : "", "passkeyName", store_col_text(st, 0));
		if (actor && strcmp(actor->id, user_id) != 0) {
			json_object_set_new(data, "actorUserID", json_string(actor->id));
			json_object_set_new(data, "actorUsername", json_string(actor->username));
		}
	}
	store_finalize(st);
	if (e)
		return e;
	if (!row)
		return not_found(r);
	audit_record(r, s, "PASSKEY_REMOVED", user_id, data);
	return http_reply_empty(r, 204);
}

enum sy_err passkey_delete(struct http_req *r)
{
	struct store *s;
	struct session me;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = auth_user(r, s, &me)))
		return e;
	return delete_passkey(r, s, me.user.id, http_param(r, "id"), NULL);
}

/* The admin's view of another user's passkeys (reference §1.4). */
static enum sy_err admin_target(struct http_req *r, struct store *s, struct session *me, struct user *u)
{
	enum sy_err e = auth_admin(r, s, me);
	if (!e && (e = user_get(s, &r->arena, http_param(r, "id"), u)) == SY_E_NOTFOUND)
		e = http_fail(r, SY_E_NOTFOUND, "user_not_found", "User not found");
	return e;
}

enum sy_err passkey_admin_list(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct user u;
	json_t *list;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = admin_target(r, s, &me, &u)) || (e = credentials_of(r, s, u.id, &list)))
		return e;
	return http_reply_json(r, 200, list);
}

enum sy_err passkey_admin_delete(struct http_req *r)
{
	struct store *s;
	struct session me;
	struct user u;
	enum sy_err e;
	if ((e = auth_store(r, &s)) || (e = admin_target(r, s, &me, &u)))
		return e;
	return delete_passkey(r, s, u.id, http_param(r, "credentialId"), &me.user);
}
