/*
 * oidc.h - the OpenID Connect provider (reference §2): discovery and JWKS,
 * clients, callback URL patterns, the authorization and token endpoints,
 * userinfo, introspection, revocation and end-session.
 */
#ifndef SY_OIDC_H
#define SY_OIDC_H

#include <jansson.h>

#include "../crypto/crypto.h"
#include "../http/http.h"

struct store;
struct store_stmt;

/* discovery.c */
enum sy_err oidc_wellknown_init(const struct sy_config *cfg, const struct jws_key *key) SY_WARN_UNUSED;
void oidc_wellknown_free(void);
enum sy_err oidc_discovery_handler(struct http_req *r);
enum sy_err oidc_jwks_handler(struct http_req *r);

/* client.c: one row of oidc_clients, as the protocol endpoints need it. */
struct oidc_client {
	char *id, *name, *description, *launch_url;
	json_t *callback_urls, *logout_callback_urls; /* arrays of patterns (strings) */
	json_t *secrets;                              /* credentials.secrets, an array */
	bool is_public, pkce_enabled, pkce_supported, requires_reauthentication, requires_par;
	bool is_group_restricted, skip_consent, has_logo, has_dark_logo;
	long access_token_minutes, refresh_token_minutes;
	int64_t created_at; /* a token issued before it belongs to a deleted client of the same id */
};
/* Loads a client (strings in a; the JSON held until oidc_client_clear);
 * SY_E_NOTFOUND when there is none. */
enum sy_err oidc_client_get(struct store *s, struct arena *a, const char *id, struct oidc_client *out) SY_WARN_UNUSED;
void oidc_client_clear(struct oidc_client *c);
/* Whether secret is one of the client's unexpired secrets at time now: its
 * SHA-256 compared in constant time with each stored "sha256" hash. */
bool oidc_client_secret_ok(const struct oidc_client *c, const char *secret, int64_t now);
/* Whether the user may use the client: it is unrestricted, or the user is in
 * one of its allowed groups (none allowed: nobody). */
enum sy_err oidc_client_allows(struct store *s, const struct oidc_client *c, const char *user_id,
                               bool *ok) SY_WARN_UNUSED;
/* OidcClientMetaDataDto: id, name, description, hasLogo, hasDarkLogo,
 * launchURL, requiresReauthentication, clientType. */
json_t *oidc_client_meta(const struct oidc_client *c);

/* redirect.c: callback and logout URL patterns (reference §2.14; the rules
 * for admins are docs/oidc-callback-urls.md). */
/* Whether a pattern may be registered: at most 2 KiB, a scheme other than
 * javascript:, data: and vbscript:, no fragment, well-formed [...] in query
 * values, and it parses as strictly as a redirect URI below (but for '*' in
 * the host and ":*"). "*" alone is refused; NULL is false. */
bool oidc_redirect_pattern_valid(const char *pattern);
/* Whether uri matches one of patterns (a JSON array; non-strings are
 * skipped). A uri that does not parse strictly never matches: userinfo, a
 * fragment, a backslash, space, control or non-ASCII byte, '%' in the host, a
 * numeric host that is not a dotted quad, "http(s):" without "//", an empty,
 * "." or ".." segment inside the path, or over 4 KiB. An http uri that is not
 * loopback (localhost, *.localhost, 127/8, [::1]) matches only when
 * allow_insecure is set (ALLOW_INSECURE_CALLBACK_URLS). Then a pattern matches
 * when equal, by the RFC 8252 loopback rule (http, loopback IP, any port), or
 * by Pocket ID's wildcards. The caller handles an empty redirect_uri (one
 * registered URL, not for openid) and redirects to uri, not to the pattern. */
bool oidc_redirect_match(const json_t *patterns, const char *uri, bool allow_insecure);

/* tokens.c: codes, refresh tokens, access and ID tokens (reference §2.11). */
enum sy_err oidc_setup(const struct sy_config *cfg, const struct jws_key *key) SY_WARN_UNUSED;
const struct sy_config *oidc_config(void);
const struct jws_key *oidc_key(void);
/* "<prefix><b64url(32 random bytes)>.<b64url(HMAC-SHA512/256(secret, bytes))>",
 * the secret derived from ENCRYPTION_KEY as Pocket ID derives it; *sig is the
 * part after the dot, the row's key (the token itself is never stored). */
enum sy_err oidc_opaque_new(struct arena *a, const char *prefix, char **token, char **sig) SY_WARN_UNUSED;
/* SY_OK with *sig when token has the prefix and its HMAC checks out. */
enum sy_err oidc_opaque_check(struct arena *a, const char *prefix, const char *token, char **sig) SY_WARN_UNUSED;

/* What a code, refresh token or access token stands for: the row's
 * request_data. request_id names the family (one authorization and every
 * token descended from it). */
struct oidc_grant {
	char *request_id, *client_id, *user_id; /* user_id NULL for client_credentials */
	json_t *scope;                          /* granted scopes, an array (owned) */
	json_t *refresh_scope; /* when narrower tokens are issued: the refresh token's own scope (owned) */
	char *redirect_uri, *nonce, *code_challenge, *code_challenge_method, *amr, *id_token_jti;
	int64_t auth_time, requested_at;
};
json_t *oidc_grant_json(const struct oidc_grant *g);
void oidc_grant_clear(struct oidc_grant *g);
/* A row of oauth2_sessions: kind "authorize_code", "access_token" or
 * "refresh_token", key the token's signature. */
struct oidc_grant_row {
	const char *kind, *key;
	const struct oidc_grant *g;
	int64_t expires_at;
	const char *access_sig; /* for a refresh token: its access token's signature */
};
/* Inserts one or two rows in one statement. */
enum sy_err oidc_grants_store(struct store *s, const struct oidc_grant_row *rows, size_t n) SY_WARN_UNUSED;
/* Marks an active, unexpired row issued to client_id spent and reads it.
 * SY_E_NOTFOUND when there is none; *spent_before then tells a replay of one
 * the client spent before (g->request_id set: the caller revokes its family). */
enum sy_err oidc_grant_spend(struct store *s, struct arena *a, const char *kind, const char *key, const char *client_id,
                             struct oidc_grant *g, bool *spent_before) SY_WARN_UNUSED;
/* An active, unexpired row without spending it; SY_E_NOTFOUND otherwise. */
enum sy_err oidc_grant_find(struct store *s, struct arena *a, const char *kind, const char *key, struct oidc_grant *g,
                            int64_t *expires_at) SY_WARN_UNUSED;
/* oidc_grant_find in two halves, to share a round trip: the query queued,
 * then the grant (st finalized). */
enum sy_err oidc_grant_find_queue(struct store *s, const char *kind, const char *key,
                                  struct store_stmt **st) SY_WARN_UNUSED;
enum sy_err oidc_grant_find_read(struct store_stmt *st, struct arena *a, struct oidc_grant *g,
                                 int64_t *expires_at) SY_WARN_UNUSED;
/* The grant of an access token whose signature and expiry were checked
 * (claims: its payload; sig: its signature segment). A user's token has a
 * row, which must be active. A client_credentials token (sub
 * "client-<client_id>") has none unless it was revoked: no row is valid, an
 * inactive one is not. SY_E_NOTFOUND when it is not honoured. */
enum sy_err oidc_access_grant(struct store *s, struct arena *a, const json_t *claims, const char *sig,
                              struct oidc_grant *g) SY_WARN_UNUSED;
/* oidc_access_grant in two halves, to share a round trip: the row's query
 * queued, then the grant (st finalized). */
enum sy_err oidc_access_queue(struct store *s, const char *sig, struct store_stmt **st) SY_WARN_UNUSED;
enum sy_err oidc_access_read(struct store_stmt *st, struct arena *a, const json_t *claims,
                             struct oidc_grant *g) SY_WARN_UNUSED;
/* Ends one access token: its row made inactive, or for a client_credentials
 * token without one, an inactive row kept until it expires. */
enum sy_err oidc_access_revoke(struct store *s, const json_t *claims, const char *sig,
                               const struct oidc_grant *g) SY_WARN_UNUSED;
/* Deactivates every code and token of a family. */
enum sy_err oidc_family_revoke(struct store *s, const char *request_id) SY_WARN_UNUSED;
bool oidc_scope_has(const json_t *scope, const char *want);
char *oidc_scope_string(struct arena *a, const json_t *scope);
const char *oidc_jwt_signature(const char *jwt);
/* Issues the token response for a grant: an access token always, a refresh
 * token and (with openid) an ID token for a user grant (u not NULL), its
 * claims read from claims (oidc_claims_queue for u and g->scope; finalized
 * here). Sets g->id_token_jti. A user grant's tokens get their rows; a
 * client_credentials access token gets none (oidc_access_grant). */
struct user;
enum sy_err oidc_issue(struct http_req *r, struct store *s, const struct oidc_client *c, struct oidc_grant *g,
                       const struct user *u, struct store_stmt *claims, json_t **out) SY_WARN_UNUSED;

/* claims.c: the claims of a user for the granted scopes (reference §2.7,
 * §2.8), read from the database each time: sub; with profile the custom
 * claims and the profile claims; with email, email and email_verified when
 * the user has one; with groups, the group names. */
json_t *oidc_claims(struct store *s, struct arena *a, const struct user *u, const json_t *scope);
/* oidc_claims in two halves, to share a round trip (store_queue): the query
 * the scope needs queued (*st NULL when it needs none), then the claims (st
 * finalized; NULL reads nothing from the database). */
enum sy_err oidc_claims_queue(struct store *s, const char *user_id, const json_t *scope,
                              struct store_stmt **st) SY_WARN_UNUSED;
json_t *oidc_claims_read(struct store_stmt *st, struct arena *a, const struct user *u, const json_t *scope);

/* clients_admin.c (with clients_input.c, clients_list.c, clients_secrets.c,
 * clients_logo.c, clients_users.c): the client administration API of
 * reference §1.6 and the users' app lists.
 * Admin routes answer 403 forbidden to other users; /meta and /logo GET are
 * public. */
extern const struct http_route *const oidc_admin_routes;
extern const size_t oidc_admin_routes_len;
/* OidcClientMetaDataDto of the OIDC_ADMIN_META_COLS columns of a row, from first on:
 * c.id, c.name, c.description, c.launch_url, c.image_type,
 * c.dark_image_type, c.requires_reauthentication. NULL when a is full. */
#define OIDC_ADMIN_META_COLS                                                                                           \
	"c.id, c.name, c.description, c.launch_url, c.image_type, c.dark_image_type, c.requires_reauthentication"
json_t *oidc_admin_meta(struct arena *a, struct store_stmt *st, int first);
/* Every column of a client (OIDC_ADMIN_META_COLS first), and its OidcClientDto;
 * with_count adds allowedUserGroupsCount (OidcClientWithAllowedGroupsCountDto).
 * NULL when a is full. */
#define OIDC_ADMIN_CLIENT_COLS                                                                                         \
	OIDC_ADMIN_META_COLS                                                                                           \
	", c.callback_urls, c.logout_callback_urls, c.credentials, c.is_public, c.pkce_enabled, "                      \
	"c.pkce_supported, c.requires_pushed_authorization_requests, c.skip_consent, "                                 \
	"c.is_group_restricted, c.access_token_duration_minutes, "                                                     \
	"c.refresh_token_duration_minutes, (SELECT count(*) FROM oidc_clients_allowed_user_groups "                    \
	"n WHERE n.oidc_client_id = c.id)"
json_t *oidc_admin_client_dto(struct arena *a, struct store_stmt *st, bool with_count);
/* 404 not_found "OIDC client not found", answered. */
enum sy_err oidc_admin_client_missing(struct http_req *r);
/* A stored secret as the API shows it, without its hash: id, prefix,
 * createdAt, expiresAt and isActive (unexpired at now). */
json_t *oidc_admin_secret_dto(const json_t *stored, int64_t now);
/* Starts a transaction and reads the client's credentials ({} when NULL; a
 * new reference) and is_public, the row locked until commit or rollback.
 * Answers 404 itself; on any failure the transaction is rolled back. */
enum sy_err oidc_admin_lock(struct http_req *r, struct store *s, const char *id, json_t **credentials,
                            bool *is_public) SY_WARN_UNUSED;
/* Writes credentials back and commits (rolls back on failure). */
enum sy_err oidc_admin_save(struct store *s, const char *id, const json_t *credentials) SY_WARN_UNUSED;
/* Deletes a client's stored logo of extension ext (light, or dark), if any. */
void oidc_admin_logo_remove(struct store *s, const char *id, bool dark, const char *ext);
/* clients_input.c: OidcClientCreateDto / OidcClientUpdateDto, checked.
 * Strings point into the body; the JSON arrays are new references. */
#define OIDC_CLIENT_ID_MAX 128
struct oidc_client_input {
	const char *id, *name, *description, *launch_url; /* id: creation only, NULL for a UUID */
	json_t *callbacks, *logout_callbacks, *federated;
	bool is_public, pkce, reauth, par, skip_consent, restricted;
	json_int_t access, refresh; /* minutes, defaults applied */
};
/* On failure the answer is prepared: every bad field listed, as Pocket ID
 * does (400 validation_failed), or 400 invalid_request_body for a member of
 * the wrong type. Call oidc_admin_input_clear in every case. */
enum sy_err oidc_admin_read_input(struct http_req *r, const json_t *body, bool create,
                                  struct oidc_client_input *in) SY_WARN_UNUSED;
void oidc_admin_input_clear(struct oidc_client_input *in);
enum sy_err oidc_admin_clients_list(struct http_req *r);
enum sy_err oidc_admin_secrets_list(struct http_req *r);
enum sy_err oidc_admin_secrets_create(struct http_req *r);
enum sy_err oidc_admin_secrets_delete(struct http_req *r);
enum sy_err oidc_admin_logo_get(struct http_req *r);
enum sy_err oidc_admin_logo_put(struct http_req *r);
enum sy_err oidc_admin_logo_delete(struct http_req *r);
enum sy_err oidc_apps_authorized(struct http_req *r);
enum sy_err oidc_apps_authorized_of_user(struct http_req *r);
enum sy_err oidc_apps_revoke(struct http_req *r);
enum sy_err oidc_apps_accessible(struct http_req *r);

/* authorize.c: the authorization endpoint (reference §2.6). */
enum { PROMPT_NONE = 1, PROMPT_LOGIN = 2, PROMPT_CONSENT = 4, PROMPT_SELECT_ACCOUNT = 8 };
/* One authorization request being checked. */
struct oidc_request {
	json_t *params; /* every parameter, strings (owned) */
	struct oidc_client client;
	bool loaded; /* client holds a row */
	const char *redirect_uri, *state, *response_mode;
	json_t *scope; /* the known scopes asked for, in order (owned) */
	unsigned prompt;
	long max_age;  /* -1: none */
	bool pushed;   /* being pushed (PAR): errors are JSON answers */
	bool from_par; /* came through a pushed request (or resumes one that did) */
};
/* Client, redirect URI, then the rest of the request, in that order; on a
 * failure the answer is made (*answered): our error page before the redirect
 * URI is known, the client's redirect after. */
enum sy_err oidc_request_check(struct http_req *r, struct store *s, struct oidc_request *q,
                               bool *answered) SY_WARN_UNUSED;
void oidc_request_clear(struct oidc_request *q);
/* The scopes this server knows, from a space-separated list, in its order,
 * without repeats (others are dropped, as Pocket ID drops them). */
json_t *oidc_scopes_known(const char *scope);
/* How many space-separated words a scope parameter has (NULL: none). */
size_t oidc_scope_words(const char *scope);
/* A parameter, NULL when absent or empty. */
const char *oidc_param(const json_t *params, const char *k);
enum sy_err oidc_authorize_handler(struct http_req *r);
/* An unsigned request object (OpenID Connect Core §6.1; alg "none" only, as
 * discovery says) in params["request"]: its members replace the outer
 * parameters (a client_id must agree). SY_E_INVALID for anything else. */
enum sy_err oidc_request_object_merge(struct arena *a, json_t *params) SY_WARN_UNUSED;
/* prompt as PROMPT_* bits; false for an unknown value or "none" with others. */
bool oidc_prompt_parse(const char *prompt, unsigned *out);
/* 302 to /interaction/error?error=<message>: for errors that must not go to a client. */
enum sy_err oidc_error_page(struct http_req *r, const char *message);
/* The authorization response (code or error) in the response mode: query
 * (default), fragment or form_post. Takes fields (an object of strings). */
enum sy_err oidc_respond(struct http_req *r, const char *redirect_uri, const char *mode, json_t *fields);
/* The subject of an ID token this server issued (expiry ignored), else NULL;
 * *claims (if asked) gets its claims. */
const char *oidc_id_token_subject(struct http_req *r, const char *jwt, json_t **claims);
/* A user's consent to a client (user_authorized_oidc_clients). */
struct oidc_consent {
	bool exists;
	json_t *scope; /* the consented scopes, an array (owned) */
	int64_t last_used;
};
enum sy_err oidc_consent_get(struct store *s, const char *user_id, const char *client_id,
                             struct oidc_consent *out) SY_WARN_UNUSED;
/* oidc_consent_get in two halves, to share a round trip: the query queued,
 * then the consent (st finalized). */
enum sy_err oidc_consent_queue(struct store *s, const char *user_id, const char *client_id,
                               struct store_stmt **st) SY_WARN_UNUSED;
enum sy_err oidc_consent_read(struct store_stmt *st, struct oidc_consent *out) SY_WARN_UNUSED;
/* Whether it exists and covers every scope given. */
bool oidc_consent_covers(const struct oidc_consent *c, const json_t *scope);
void oidc_consent_clear(struct oidc_consent *c);

/* interaction.c: requests waiting for the person (interaction_sessions) and
 * the API of the /interaction page (reference §1.1). */
struct oidc_needs {
	bool authenticate, select_account, reauthenticate, consent;
};
bool oidc_needs_any(const struct oidc_needs *n);
struct oidc_interaction {
	char *id, *client_id, *user_id;
	json_t *params; /* owned */
	struct oidc_needs needs;
	int64_t requested_at, reauthenticated_at;
};
/* reauthenticated_at: when a re-authentication was already made for this
 * request (0: none), the auth_time its code will carry. */
enum sy_err oidc_interaction_create(struct store *s, const struct oidc_request *q, const char *user_id,
                                    const struct oidc_needs *n, int64_t reauthenticated_at, char id[37]) SY_WARN_UNUSED;
/* An interaction younger than an hour; SY_E_NOTFOUND otherwise. */
enum sy_err oidc_interaction_get(struct store *s, struct arena *a, const char *id,
                                 struct oidc_interaction *out) SY_WARN_UNUSED;
/* Deletes it; SY_E_NOTFOUND when another request took it first. */
enum sy_err oidc_interaction_take(struct store *s, const char *id) SY_WARN_UNUSED;
enum sy_err oidc_interaction_get_handler(struct http_req *r);
enum sy_err oidc_interaction_complete_handler(struct http_req *r);
enum sy_err oidc_interaction_cancel_handler(struct http_req *r);

/* token.c: POST /api/oidc/token (reference §2.9). */
enum sy_err oidc_token_handler(struct http_req *r);
/* An RFC 6749 §5.2 error: JSON, no-store; 401 adds WWW-Authenticate. */
enum sy_err oidc_token_error(struct http_req *r, int status, const char *error, const char *description);
/* The store and the form body of a protocol POST; a body that is not a form
 * is answered 400 invalid_request (*answered). */
enum sy_err oidc_form_request(struct http_req *r, struct store **s, json_t **form, bool *answered) SY_WARN_UNUSED;
/* An application/x-www-form-urlencoded body as an object of strings. */
enum sy_err oidc_form(struct http_req *r, json_t **out) SY_WARN_UNUSED;
/* An "Authorization: Basic" value: RFC 6749 §2.3.1 form-encoded id and
 * secret (in a). SY_E_NOTFOUND when it is not Basic, SY_E_INVALID when malformed. */
enum sy_err oidc_basic_parse(struct arena *a, const char *header, const char **id, const char **secret) SY_WARN_UNUSED;
/* RFC 7636 §4.6: the verifier against the grant's challenge (none: no verifier). */
bool oidc_pkce_ok(const struct oidc_grant *g, const char *verifier);
/* client_secret_basic, client_secret_post (when allow_post) or none (public
 * clients); on failure answers invalid_client itself (*answered). */
enum sy_err oidc_client_authenticate(struct http_req *r, struct store *s, const json_t *form, bool allow_post,
                                     struct oidc_client *c, bool *answered) SY_WARN_UNUSED;

/* userinfo.c: userinfo, RFC 7662 introspection, RFC 7009 revocation. */
enum sy_err oidc_userinfo_handler(struct http_req *r);
enum sy_err oidc_introspect_handler(struct http_req *r);
enum sy_err oidc_revoke_handler(struct http_req *r);

/* logout.c: GET|POST /api/oidc/end-session (reference §2.12). */
enum sy_err oidc_end_session_handler(struct http_req *r);

/* routes.c: the protocol endpoints. */
extern const struct http_route *const oidc_routes;
extern const size_t oidc_routes_len;

/* par.c: pushed authorization requests (RFC 9126, reference §1.1). */
#define OIDC_PAR_PREFIX "urn:ietf:params:oauth:request_uri:"
enum sy_err oidc_par_handler(struct http_req *r);
/* Spends a pushed request of client_id: *params gets its parameters.
 * SY_E_NOTFOUND when unknown, expired, spent or another client's. */
enum sy_err oidc_par_take(struct store *s, const char *request_uri, const char *client_id,
                          json_t **params) SY_WARN_UNUSED;

/* preview.c: the claims a client would get for a user (admin, reference §1.6). */
enum sy_err oidc_preview_handler(struct http_req *r);

/* federated.c: federated client credentials, JWT client assertions
 * (reference §2.5, RFC 7523 §2.2, §3), with the issuers' keys in a
 * process-wide cache that a worker thread fills (the design is in the file). */
/* client_assertion_type jwt-bearer and client_assertion (client_id optional:
 * the JWT's sub by default), checked against the client's federated identity
 * whose issuer is the JWT's iss: signature with that issuer's keys, sub, aud
 * (the identity's audience, else APP_URL or the token endpoint), exp (30 s of
 * skew), nbf and iat, and with replayProtection a jti used once. Answers
 * itself (*answered): 400 invalid_request with a client secret too, 401
 * invalid_client with the reason otherwise (keys not cached yet: "being
 * fetched", with Retry-After: 1). On success c is loaded (oidc_client_clear). */
enum sy_err oidc_client_assertion_authenticate(struct http_req *r, struct store *s, const json_t *form,
                                               struct oidc_client *c, bool *answered) SY_WARN_UNUSED;
/* The same for an assertion sent as a bearer token with a client_id
 * (introspection, reference §2.10 (c)). */
enum sy_err oidc_client_assertion_bearer(struct http_req *r, struct store *s, const char *assertion,
                                         const char *client_id, struct oidc_client *c, bool *answered) SY_WARN_UNUSED;
/* Asks the worker to fetch (again) the keys of these identities (an array of
 * {issuer, jwks, ...}) now; never waits. For a saved client. */
void oidc_federated_prefetch(const json_t *identities);
/* Starts the worker, which fetches the keys of every client's identities at
 * once and re-reads the clients hourly; stop joins it and empties the cache.
 * Needs store_thread_setup and curl_global_init first. */
void oidc_federated_start(void);
void oidc_federated_stop(void);
/* A JWKS document's signing keys (use "sig" or none; others skipped), into a
 * new array (oidc_jwks_free); an RSA key without alg serves RS256, RS384 and
 * RS512. SY_E_INVALID when it is not {"keys": [...]}, has more than 64 keys or
 * none we can use. */
enum sy_err oidc_jwks_parse(const char *doc, size_t n, struct jws_key **keys, size_t *nkeys) SY_WARN_UNUSED;
void oidc_jwks_free(struct jws_key *keys, size_t nkeys);
/* Seconds until a JWKS is fetched again: Cache-Control max-age clamped to
 * 15 min .. 24 h; 15 min without one, or with no-cache or no-store. */
long oidc_jwks_refresh_secs(const char *cache_control);
/* Whether a JWKS URL may be fetched: https, or http to localhost, 127/8 or [::1]. */
bool oidc_jwks_url_allowed(const char *url);

#endif
