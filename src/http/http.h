/*
 * http.h - the HTTP core on libmicrohttpd (epoll, a pool of event-loop threads).
 *
 * A handler gets a struct http_req whose arena lives until the response has been
 * sent; everything it allocates comes from there. A handler returns SY_OK after
 * setting a response, or an error that http_send turns into Pocket ID's JSON
 * error body in one place (errors.c). Handlers run on event-loop threads and must
 * never wait on the network: slow work goes to a worker thread.
 */
#ifndef SY_HTTP_H
#define SY_HTTP_H

#include <jansson.h>

#include "../core/core.h"

struct MHD_Connection;
struct http_req;
typedef enum sy_err (*http_handler)(struct http_req *r);

enum http_method {
	HTTP_GET = 1, /* HEAD is served as GET, without the body */
	HTTP_POST = 2,
	HTTP_PUT = 4,
	HTTP_PATCH = 8,
	HTTP_DELETE = 16,
	HTTP_OPTIONS = 32,
};

enum { HTTP_ROUTE_CORS = 1 }; /* Pocket ID's protocol endpoints: CORS for any origin */

/* ratelimit.c: Pocket ID's token buckets per client IP (reference §0.1). */
enum http_limit {
	HTTP_LIMIT_NONE,
	HTTP_LIMIT_WEBAUTHN_LOGIN,
	HTTP_LIMIT_REAUTHENTICATE,
	HTTP_LIMIT_ONE_TIME_ACCESS,
	HTTP_LIMIT_SIGNUP,
	HTTP_LIMIT_COUNT,
};

struct http_route {
	unsigned methods;
	const char *pattern; /* "/api/users/:id" */
	http_handler fn;
	size_t body_max; /* bytes; 0 = no body accepted */
	unsigned flags;
	enum http_limit limit; /* on top of the general API limit */
};

#define HTTP_MAX_PARAMS  8
#define HTTP_MAX_HEADERS 16

struct http_header {
	const char *name, *value;
};

struct http_req {
	struct MHD_Connection *conn;
	struct arena arena;
	enum http_method method;
	const char *method_name; /* for the access log */
	bool head;
	const char *path; /* decoded path, without the query */
	const struct http_route *route;
	bool cors; /* a protocol endpoint: CORS headers, OPTIONS answered */
	struct http_header params[HTTP_MAX_PARAMS];
	size_t nparams;
	char request_id[37];
	char nonce[23]; /* CSP nonce: 16 random bytes, base64url */
	char client_ip[46];
	uint64_t started_ns;

	char *body;
	size_t body_len, body_cap, body_max;
	bool body_too_big;

	/* the response being built */
	int status;
	const char *content_type;
	const void *out;
	size_t out_len;
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	const char *err_code, *err_msg; /* set by http_fail */
	json_t *err_details;            /* owned; rendered as "details" */
	long retry_after;               /* seconds, for a 429 */
	bool replied;
};

/* server.c */
struct sy_config;
/* Listens as configured, serves until SIGTERM/SIGINT, then drains in-flight
 * requests (up to SHUTDOWN_DRAIN_TIMEOUT) and returns. routes must stay valid. */
enum sy_err http_serve(const struct sy_config *cfg, const struct http_route *routes, size_t nroutes, char *err,
                       size_t errlen) SY_WARN_UNUSED;

/* router.c */
/* The route for path and method, with :params copied into the arena; NULL if none
 * (a known path with another method is also NULL: Pocket ID answers those 404). */
const struct http_route *http_route_match(struct arena *a, const struct http_route *routes, size_t n, const char *path,
                                          enum http_method m, struct http_header *params, size_t *nparams);

/* request.c */
const char *http_header_get(struct http_req *r, const char *name);
const char *http_query(struct http_req *r, const char *name);
/* Every value of a repeated query parameter, in order: at most max. */
size_t http_query_all(struct http_req *r, const char *name, const char **out, size_t max);
const char *http_param(struct http_req *r, const char *name);
/* Calls fn for every query argument in order (repeats included); stops at
 * fn's first error and returns it. */
enum sy_err http_query_each(struct http_req *r, enum sy_err (*fn)(void *ctx, const char *k, const char *v),
                            void *ctx) SY_WARN_UNUSED;
/* Percent-encodes all but RFC 3986's unreserved characters (for query
 * strings and form fields); NULL when the arena is full. */
char *http_url_encode(struct arena *a, const char *s);
/* &, <, >, " and ' as entities, for text and attribute values. */
char *http_html_escape(struct arena *a, const char *s);

const char *http_cookie(struct http_req *r, const char *name);
/* Cookie header parser: the value of `name`, or NULL. Bounded; never allocates
 * beyond the arena. */
const char *http_cookie_parse(struct arena *a, const char *header, size_t n, const char *name);
/* application/x-www-form-urlencoded: calls fn for each decoded pair; SY_E_INVALID
 * on a malformed escape, more than max_fields pairs, or a repeated key. */
enum sy_err http_form_parse(struct arena *a, const char *s, size_t n, size_t max_fields,
                            enum sy_err (*fn)(void *ctx, const char *k, const char *v), void *ctx) SY_WARN_UNUSED;

/* multipart.c: multipart/form-data bodies (RFC 7578). A part's data points into
 * the body (not copied, not NUL-terminated); name, filename (NULL when the part
 * has none) and content_type (NULL when absent) are in the arena. */
struct http_part {
	const char *name, *filename, *content_type;
	const uint8_t *data;
	size_t len;
};
#define HTTP_MULTIPART_MAX_PARTS  16
#define HTTP_MULTIPART_MAX_HEADER 8192u /* bytes of one part's header lines */
#define HTTP_MULTIPART_MAX_LINES  16u   /* header lines of one part */
/* Calls fn for each part in order. SY_E_BODY when content_type is not
 * multipart/form-data with a valid boundary, the body is malformed (CRLF line
 * ends, a Content-Disposition: form-data with a name in every part, a close
 * delimiter) or has more than max_parts parts; fn's error is returned as is. */
enum sy_err http_multipart_parse(struct arena *a, const char *content_type, const char *body, size_t n,
                                 size_t max_parts, enum sy_err (*fn)(void *ctx, const struct http_part *p),
                                 void *ctx) SY_WARN_UNUSED;
/* The first part named field with a non-empty filename (Go's FormFile) of the
 * request's body: SY_E_BODY as above, SY_E_NOTFOUND when there is none. */
enum sy_err http_multipart_file(struct http_req *r, const char *field, struct http_part *out) SY_WARN_UNUSED;
/* Is `coding` acceptable in this Accept-Encoding value (listed, and not q=0)? */
bool http_accepts_coding(const char *accept_encoding, const char *coding);
/* JSON request bodies, as Pocket ID binds them: Content-Type application/json or
 * application/x+json; an object or an array (some routes take a list), duplicate
 * members refused. The handler checks the shape it expects. */
enum sy_err http_json_parse(const char *content_type, const char *body, size_t n, json_t **out) SY_WARN_UNUSED;
/* The client address, believing X-Forwarded-For / X-Real-IP / TRUSTED_PLATFORM
 * only from peers inside TRUST_PROXY. */
void http_client_ip(const struct sy_config *cfg, const uint8_t peer[16], bool have_peer, const char *platform_value,
                    const char *xff, const char *xri, char *out, size_t outlen);

/* response.c */
/* If-None-Match against our strong ETag (quoted): a list, W/ tags (weak
 * comparison, RFC 9110 §13.1.2) and "*" all match as they should. */
bool http_etag_match(const char *if_none_match, const char *etag);
void http_header_add(struct http_req *r, const char *name, const char *value);
/* body must stay valid until the response is sent (static data or the arena). */
enum sy_err http_reply(struct http_req *r, int status, const char *content_type, const void *body, size_t n);
/* Serializes and takes the reference. */
enum sy_err http_reply_json(struct http_req *r, int status, json_t *body);
enum sy_err http_reply_empty(struct http_req *r, int status);
/* An error with a code and message other than the enum's default ones. */
enum sy_err http_fail(struct http_req *r, enum sy_err e, const char *code, const char *msg);
/* http_fail with a "details" object (taken), e.g. {"resource": "User group"}. */
enum sy_err http_fail_details(struct http_req *r, enum sy_err e, const char *code, const char *msg, json_t *details);
/* Pocket ID's validation_failed: message "<field> <message>, ..." and
 * details.fields[{field, code, message}]; calling it again adds a field. */
enum sy_err http_fail_field(struct http_req *r, const char *field, const char *code, const char *message);
/* Set-Cookie with the attributes Pocket ID always uses: Path (default "/"),
 * HttpOnly, Secure, SameSite=Lax; Max-Age unless max_age < 0. */
void http_set_cookie(struct http_req *r, const char *name, const char *value, long max_age, const char *path);
/* The status an error maps to (errors.c). */
int http_error_status(enum sy_err e);
/* Fills the error response from r->err_code/err_msg or the table. */
void http_render_error(struct http_req *r, enum sy_err e);

/* ratelimit.c. enabled false (APP_ENV=test or DISABLE_RATE_LIMITING) makes
 * every check pass. */
void http_ratelimit_setup(bool enabled);
void http_ratelimit_free(void);
/* Takes one token of the policy for r's client; SY_E_RATELIMIT (with
 * r->retry_after set) when the bucket is empty. */
enum sy_err http_ratelimit(struct http_req *r, enum http_limit which) SY_WARN_UNUSED;
/* The general API policy: /api/..., /authorize and /.well-known/.... */
enum sy_err http_ratelimit_api(struct http_req *r) SY_WARN_UNUSED;

/* assets.c (generated by tools/embed.py from the Vite build): sorted by path. */
struct http_asset {
	const char *path; /* "/_app/immutable/index-abc.js" */
	const char *mime;
	const char *etag;                    /* strong, quoted */
	const unsigned char *data, *gz, *br; /* gz and br NULL when not smaller */
	size_t len, gz_len, br_len;
	bool immutable;
};
extern const struct http_asset http_assets[];
extern const size_t http_assets_count;
extern const char http_assets_modified[]; /* HTTP date of the build */

/* spa.c: embedded front end and the SPA fallback of Pocket ID. */
enum sy_err http_spa(struct http_req *r);

#endif
