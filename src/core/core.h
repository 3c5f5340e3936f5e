/*
 * core.h - the pieces every module uses: the error enum, the per-request arena,
 * logging, encodings, randomness and constant-time comparison.
 *
 * Invariants: 0 is success everywhere (enum sy_err); allocation failure of the
 * system allocator aborts, so callers never unwind on OOM; arena limits are
 * ordinary errors (SY_E_TOOBIG).
 */
#ifndef SY_CORE_H
#define SY_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SY_WARN_UNUSED  __attribute__((warn_unused_result))
#define SY_PRINTF(f, a) __attribute__((format(printf, f, a)))

#ifdef SY_UNITTEST
#define UNITTEST
#else
#define UNITTEST static

#endif

/* err.c */
enum sy_err {
	SY_OK = 0,
	SY_E_INVALID,   /* malformed or unacceptable input */
	SY_E_BODY,      /* request body of the wrong type or unparsable */
	SY_E_TOOBIG,    /* a size limit was hit */
	SY_E_NOTFOUND,  /* the thing asked for does not exist */
	SY_E_UNAUTH,    /* not signed in */
	SY_E_DENIED,    /* signed in but not allowed */
	SY_E_CONFLICT,  /* already exists */
	SY_E_RATELIMIT, /* too many requests */
	SY_E_TIMEOUT,   /* took too long */
	SY_E_CRYPTO,    /* a signature, tag or key did not check out */
	SY_E_STORE,     /* the database failed */
	SY_E_IO,        /* a file or socket failed */
	SY_E_CONFIG,    /* configuration is unusable */
	SY_E_INTERNAL,  /* a bug or an unexpected library failure */
};
const char *sy_err_name(enum sy_err e);

/* alloc.c: allocation that aborts on failure (there is no useful recovery). */
void *sy_malloc(size_t n);
void *sy_calloc(size_t n, size_t size);
void *sy_realloc(void *p, size_t n);
char *sy_strdup(const char *s);
char *sy_strndup(const char *s, size_t n);

/* arena.c */
struct arena_chunk;
struct arena {
	struct arena_chunk *head;
	size_t used;  /* bytes handed out, for the limit */
	size_t limit; /* hard maximum; 0 means ARENA_DEFAULT_LIMIT */
};
#define ARENA_DEFAULT_LIMIT (1u << 20)
void arena_init(struct arena *a, size_t limit);
/* Returns NULL only when the arena's limit would be exceeded. */
void *arena_alloc(struct arena *a, size_t n) SY_WARN_UNUSED;
char *arena_strndup(struct arena *a, const char *s, size_t n) SY_WARN_UNUSED;
char *arena_strdup(struct arena *a, const char *s) SY_WARN_UNUSED;
char *arena_printf(struct arena *a, const char *fmt, ...) SY_PRINTF(2, 3) SY_WARN_UNUSED;
/* Zeroes every byte handed out (secrets may be among them), then frees. */
void arena_release(struct arena *a);

/* log.c */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
void log_setup(enum log_level min, bool json);
bool log_enabled(enum log_level lvl);
/* msg is free text; kv is a NULL-terminated list of key, value string pairs. */
void log_kv(enum log_level lvl, const char *msg, const char *const *kv);
void log_msg(enum log_level lvl, const char *fmt, ...) SY_PRINTF(2, 3);
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* encoding.c: strict codecs. Decoders reject anything not canonical. */
size_t b64_encoded_len(size_t n);                           /* standard, padded, without NUL */
size_t b64url_encoded_len(size_t n);                        /* unpadded, without NUL */
void b64_encode(const uint8_t *in, size_t n, char *out);    /* writes NUL */
void b64url_encode(const uint8_t *in, size_t n, char *out); /* writes NUL */
/* out must hold n*3/4+3 bytes; *outlen receives the decoded length. */
enum sy_err b64_decode(const char *in, size_t n, uint8_t *out, size_t *outlen) SY_WARN_UNUSED;
enum sy_err b64url_decode(const char *in, size_t n, uint8_t *out, size_t *outlen) SY_WARN_UNUSED;
char *arena_b64url(struct arena *a, const uint8_t *in, size_t n) SY_WARN_UNUSED;
enum sy_err arena_b64url_decode(struct arena *a, const char *in, size_t n, uint8_t **out,
                                size_t *outlen) SY_WARN_UNUSED;
void hex_encode(const uint8_t *in, size_t n, char *out); /* lower case, writes NUL */
/* s as valid UTF-8 of at most max bytes, in the arena: each byte that does
 * not start a valid sequence becomes '?', and the cut falls between
 * characters. NULL when the arena is full. */
char *utf8_clean(struct arena *a, const char *s, size_t max) SY_WARN_UNUSED;
/* An RFC 3339 date-time ("2026-11-23T01:02:03Z", fractions and offsets
 * allowed) as Unix seconds; SY_E_INVALID for anything else. */
enum sy_err parse_rfc3339(const char *s, int64_t *out) SY_WARN_UNUSED;
/* n hex digits (either case) into n/2 bytes; SY_E_INVALID on odd n or a non-digit. */
enum sy_err hex_decode(const char *in, size_t n, uint8_t *out) SY_WARN_UNUSED;

/* file.c */
/* Reads all of path into a new NUL-terminated heap buffer (the caller frees it,
 * zeroing it first if it holds a secret). SY_E_IO when it cannot be opened or read
 * (errno says why), SY_E_TOOBIG when it is larger than max bytes. */
enum sy_err file_read(const char *path, size_t max, char **out, size_t *len) SY_WARN_UNUSED;

/* random.c */
void sy_random(void *buf, size_t n); /* aborts if the system RNG fails */
void uuid_v4(char out[37]);
#define SY_ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
/* n characters drawn uniformly from alphabet (rejection sampling, no modulo
 * bias), then a NUL: out has room for n + 1. */
void sy_random_string(char *out, size_t n, const char *alphabet);
/* Equal lengths and equal bytes, in time independent of where they differ. */
bool sy_ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* Exact-length byte equality for non-secret identifiers. */
bool bytes_eq(const void *a, size_t alen, const void *b, size_t blen);
/* Bounded decimal parsers: whole string, no sign unless allowed, in range. */
enum sy_err parse_long(const char *s, long min, long max, long *out) SY_WARN_UNUSED;

/* config.c: one typed table drives parsing, validation, --help and docs. */
struct cidr {
	uint8_t addr[16]; /* IPv4 stored as ::ffff:a.b.c.d */
	unsigned bits;    /* prefix length over the 128-bit form */
};
struct cidr_list {
	bool all; /* TRUST_PROXY=true */
	size_t n;
	struct cidr *v;
};

struct sy_config {
	char *app_env;
	char *app_url;          /* lower case, no trailing slash, no path */
	char *internal_app_url; /* same rules; defaults to app_url */
	char *encryption_key;
	char *db_connection_string;
	struct cidr_list trust_proxy;
	char *trusted_platform;
	char *proxy_protocol;
	long port;
	char *host;
	char *unix_socket;
	long unix_socket_mode; /* -1 when unset */
	bool systemd_socket;
	char *tls_cert, *tls_key, *tls_cert_file, *tls_key_file;
	struct cidr_list local_ipv6_ranges;
	long audit_log_retention_days;
	bool analytics_disabled, version_check_disabled, allow_downgrade;
	bool allow_insecure_callback_urls, ui_config_disabled, disable_rate_limiting;
	char *static_api_key;
	char *file_backend, *upload_path;
	char *s3_bucket, *s3_region, *s3_endpoint, *s3_access_key_id, *s3_secret_access_key;
	bool s3_force_path_style, s3_disable_default_integrity_checks;
	char *maxmind_license_key, *geolite_db_path, *geolite_db_url;
	char *actors_host;
	long actors_port;
	char *log_level;
	bool log_json, log_query_args;
	char *otel_traces_exporter, *otel_metrics_exporter, *otel_logs_exporter;
	long puid, pgid;
	long read_timeout;  /* Symbolon: seconds a client may take to send one request */
	long drain_timeout; /* Symbolon: seconds to finish in-flight requests on SIGTERM */
};

enum cfg_type { CFG_STRING, CFG_BOOL, CFG_INT, CFG_ENUM, CFG_ORIGIN, CFG_KEY, CFG_PROXIES, CFG_CIDRS, CFG_OCTAL };
enum {
	CFG_FILE = 1,      /* NAME_FILE is accepted too (content, trimmed) */
	CFG_SECRET = 2,    /* value never printed */
	CFG_CONTAINER = 4, /* read by the container entrypoint, not the binary */
	CFG_NO_EFFECT = 8, /* accepted for compatibility; documented as doing nothing */
	CFG_SYMBOLON = 16, /* ours, not Pocket ID's */
};
struct cfg_opt {
	const char *name;
	enum cfg_type type;
	const char *def; /* NULL: unset */
	unsigned flags;
	size_t off;
	long min, max;       /* CFG_INT bounds */
	const char *choices; /* CFG_ENUM: "a|b|c" */
	const char *help;
};
extern const struct cfg_opt config_table[];
extern const size_t config_table_len;

/* Reads every variable through get (getenv in production). On failure returns
 * SY_E_CONFIG with one line in err naming the variable, the problem and the fix. */
typedef const char *(*config_getenv_fn)(const char *name);
enum sy_err config_load(struct sy_config *c, config_getenv_fn get, char *err, size_t errlen) SY_WARN_UNUSED;
void config_free(struct sy_config *c);
bool cidr_list_contains(const struct cidr_list *l, const uint8_t addr[16]);
/* Parses an IPv4 or IPv6 literal into the 128-bit form. */
bool ip_parse(const char *s, size_t n, uint8_t out[16]);
void ip_format(const uint8_t addr[16], char *out, size_t outlen);

/* dotenv.c: Pocket ID auto-loads .env from the working directory without
 * overriding variables already set; we do the same. */
enum sy_err dotenv_parse(const char *text, size_t n, void (*set)(void *ctx, const char *key, const char *value),
                         void *ctx, char *err, size_t errlen) SY_WARN_UNUSED;
enum sy_err dotenv_load(const char *path, char *err, size_t errlen) SY_WARN_UNUSED;

#endif
