/*
 * bench/passkey_login.c - load generator for passkey logins (issue 3).
 *
 *   passkey_login [options] http://127.0.0.1:PORT
 *
 * Plays a software authenticator and a browser at once: it registers one ES256
 * (P-256) passkey on a fresh server (first-user setup, then register/start and
 * register/finish), then drives GET /api/webauthn/login/start followed by
 * POST /api/webauthn/login/finish, signed with that key, on C keep-alive
 * connections for D seconds, and prints logins/s, the latency of a whole login
 * (start + finish), the errors, and - given the server's pid - the server's CPU
 * time per login (utime + stime from /proc/PID/stat over the measured window).
 *
 * Any response but 200 is an error: counted, its status tallied, the first few
 * printed with their body, never dropped. The last line of the output is one
 * "RESULT key=value ..." line for scripts (bench/run.sh).
 *
 * Why it is written the way it is:
 * - One epoll loop per thread, each connection a small state machine with its
 *   own fixed buffers: no allocation in the hot path and no thread per
 *   connection. Requests are not pipelined: a login is start, then finish.
 * - HTTP/1.1 is parsed by hand and only as far as needed: the status, the
 *   Content-Length framing (the server never sends chunked bodies to us, and a
 *   response without a length is refused as a protocol error), Connection:
 *   close, and Set-Cookie values. JSON is searched for the few string fields we
 *   need ("challenge", "id"); the server's own tests check its JSON, this is a
 *   load generator. Every buffer has a fixed cap and overflows are errors.
 * - The signature counter is always 0, as for synced passkeys (WebAuthn L3
 *   §6.1.1): with many concurrent logins on one credential a growing counter
 *   would race (a login that is signed first may finish second and be refused).
 * - The signature is ECDSA over SHA-256(authenticatorData || SHA-256(clientData)),
 *   hashed here and signed with EVP_PKEY_sign on a context made once per thread,
 *   so the client spends about one P-256 sign per login.
 *
 * Build: cc -O2 -o passkey_login bench/passkey_login.c $(pkg-config --cflags --libs openssl) -pthread
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ limits */
#define IN_CAP        (32 * 1024) /* one whole response (headers + body); UserDto + JWT cookie are ~2 KiB */
#define OUT_CAP       4096        /* one request; login/finish is ~800 bytes */
#define SESSION_MAX   256         /* session cookie value (a sealed ceremony, about 160 characters) */
#define CHALLENGE_MAX 128         /* base64url challenge as sent (32 bytes -> 43 chars) */
#define TOKEN_MAX     8192        /* access_token cookie value (setup only) */
#define FIELD_MAX     512         /* other strings taken from JSON (user.id, rp.id) */
#define CRED_ID_LEN   32
#define MAX_CONNS     4096
#define MAX_THREADS   64
#define ERROR_SAMPLES 5 /* error responses printed in full (first 300 bytes of the body) */

#define COOKIE_SESSION "session" /* cookie names for an http:// APP_URL (no __Host- prefix) */
#define COOKIE_TOKEN   "access_token"

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("passkey_login: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	for (uint64_t n; (n = now_ns()) < t;) {
		uint64_t d = t - n;
		struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
		nanosleep(&ts, NULL);
	}
}

/* base64url without padding; returns the length written (out needs 4*ceil(n/3)+1). */
static size_t b64url(const uint8_t *p, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

static bool is_b64url(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

static EVP_MD *g_sha256; /* fetched once; EVP_MD objects are safe to share between threads */

static void sha256(const void *p, size_t n, uint8_t out[32])
{
	if (!EVP_Digest(p, n, out, NULL, g_sha256, NULL))
		die("SHA-256 failed");
}

/* ------------------------------------------------------------------ HTTP */
struct resp {
	int status;
	size_t head_len; /* status line + headers + the empty line */
	size_t body_len;
	bool close; /* Connection: close */
};

/* Parses the response at the start of buf[0..n). Returns 1 when it is complete
 * (head and body in buf), 0 when more bytes are needed, -1 when it is malformed
 * or over cap (*why says which). */
static int parse_response(const char *buf, size_t n, size_t cap, struct resp *r, const char **why)
{
	const char *end = memmem(buf, n, "\r\n\r\n", 4);
	if (!end) {
		if (n >= cap) {
			*why = "response headers over the buffer cap";
			return -1;
		}
		return 0;
	}
	*r = (struct resp){0};
	r->head_len = (size_t)(end - buf) + 4;
	if (r->head_len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' || buf[9] < '1' || buf[9] > '5' ||
	    buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9') {
		*why = "malformed status line";
		return -1;
	}
	r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	bool have_len = false;
	const char *line = (const char *)memchr(buf, '\n', r->head_len) + 1;
	while (line < end) {
		const char *eol = memchr(line, '\r', (size_t)(end + 2 - line));
		size_t len = (size_t)(eol - line);
		if (len > 15 && strncasecmp(line, "content-length:", 15) == 0) {
			const char *v = line + 15;
			while (v < eol && *v == ' ')
				v++;
			size_t x = 0;
			if (v == eol) {
				*why = "empty Content-Length";
				return -1;
			}
			for (; v < eol && *v >= '0' && *v <= '9'; v++) {
				x = x * 10 + (size_t)(*v - '0');
				if (x > cap) {
					*why = "response body over the buffer cap";
					return -1;
				}
			}
			r->body_len = x;
			have_len = true;
		} else if (len > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0) {
			*why = "Transfer-Encoding is not supported by this load generator (expected Content-Length)";
			return -1;
		} else if (len >= 17 && strncasecmp(line, "connection:", 11) == 0 && memmem(line, len, "close", 5)) {
			r->close = true;
		}
		line = eol + 2;
	}
	if (!have_len && r->status != 204 && r->status != 304) {
		*why = "response without Content-Length";
		return -1;
	}
	if (r->head_len + r->body_len > cap) {
		*why = "response over the buffer cap";
		return -1;
	}
	return n >= r->head_len + r->body_len ? 1 : 0;
}

/* Copies the value of the cookie `name` set by the response head into out
 * (NUL-terminated). False when there is none, it is empty or longer than
 * cap-1. With out NULL, only tells whether the cookie is set (non-empty). */
static bool set_cookie(const char *head, size_t head_len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = head, *end = head + head_len;
	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol)
			break;
		if ((size_t)(eol - p) > 11 && strncasecmp(p, "set-cookie:", 11) == 0) {
			const char *v = p + 11;
			while (v < eol && *v == ' ')
				v++;
			if ((size_t)(eol - v) > nl && memcmp(v, name, nl) == 0 && v[nl] == '=') {
				v += nl + 1;
				const char *semi = memchr(v, ';', (size_t)(eol - v));
				size_t len = (size_t)((semi ? semi : eol) - v);
				if (len == 0 || (out && len >= cap))
					return false;
				if (!out)
					return true;
				memcpy(out, v, len);
				out[len] = '\0';
				return true;
			}
		}
		p = eol + 2;
	}
	return false;
}

/* Finds "key" : "value" in p[0..n) and copies value (no escapes expected: the
 * fields we read are base64url or host names). False when absent, escaped or
 * longer than cap-1. */
static bool json_str(const char *p, size_t n, const char *key, char *out, size_t cap)
{
	char pat[64];
	int pl = snprintf(pat, sizeof pat, "\"%s\"", key);
	const char *end = p + n, *k = p;
	while ((k = memmem(k, (size_t)(end - k), pat, (size_t)pl))) {
		const char *v = k + pl;
		while (v < end && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
			v++;
		if (v < end && *v == ':') {
			v++;
			while (v < end && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
				v++;
			if (v >= end || *v != '"')
				return false;
			v++;
			const char *q = memchr(v, '"', (size_t)(end - v));
			if (!q || (size_t)(q - v) >= cap || memchr(v, '\\', (size_t)(q - v)))
				return false;
			memcpy(out, v, (size_t)(q - v));
			out[q - v] = '\0';
			return true;
		}
		k += pl;
	}
	return false;
}

/* The object that is the value of "key" in p[0..n): *obj and *len, up to its
 * first '}' (the objects we look into, rp and user, hold only strings). */
static bool json_obj(const char *p, size_t n, const char *key, const char **obj, size_t *len)
{
	char pat[64];
	int pl = snprintf(pat, sizeof pat, "\"%s\"", key);
	const char *k = memmem(p, n, pat, (size_t)pl);
	if (!k)
		return false;
	const char *o = memchr(k, '{', (size_t)(p + n - k));
	const char *c = o ? memchr(o, '}', (size_t)(p + n - o)) : NULL;
	if (!c)
		return false;
	*obj = o;
	*len = (size_t)(c - o) + 1;
	return true;
}

/* ------------------------------------------------------------------ target */
static struct sockaddr_in g_addr; /* where to connect (from the URL) */
static char g_origin[256];        /* origin in client data, e.g. http://localhost:1411 */
static char g_host[256];          /* Host header: the origin's host[:port] */
static int g_timeout_ms = 10000;  /* per request */

static int dial(bool nonblock)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* loopback: a blocking connect returns at once; then switch to non-blocking */
	if (connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr) != 0) {
		close(fd);
		return -1;
	}
	if (nonblock && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One blocking request/response (setup only). buf receives the response; *r its framing. */
static void http_once(const char *req, size_t reqlen, char *buf, size_t cap, struct resp *r)
{
	int fd = dial(false);
	if (fd < 0)
		die("cannot connect to %s:%d: %s", inet_ntoa(g_addr.sin_addr), ntohs(g_addr.sin_port), strerror(errno));
	struct timeval tv = {g_timeout_ms / 1000, (g_timeout_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (size_t off = 0; off < reqlen;) {
		ssize_t w = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (w <= 0)
			die("send: %s", strerror(errno));
		off += (size_t)w;
	}
	size_t n = 0;
	const char *why = NULL;
	int st;
	while ((st = parse_response(buf, n, cap - 1, r, &why)) == 0) {
		ssize_t got = recv(fd, buf + n, cap - 1 - n, 0);
		if (got <= 0)
			die("connection closed or timed out before a whole response (%s)",
			    got < 0 ? strerror(errno) : "EOF");
		n += (size_t)got;
	}
	if (st < 0)
		die("bad response: %s", why);
	buf[r->head_len + r->body_len] = '\0';
	close(fd);
}

/* ------------------------------------------------------------------ credential */
struct cred {
	EVP_PKEY *key;
	char id[CRED_ID_LEN * 2];    /* base64url credential id */
	char user_handle[FIELD_MAX]; /* base64url user handle (the user's id) */
	char rp_id[FIELD_MAX];
	uint8_t rp_hash[32];
};

static void expect_status(const char *what, const struct resp *r, const char *buf, int want)
{
	if (r->status != want)
		die("%s: HTTP %d, expected %d; body: %.300s", what, r->status, want, buf + r->head_len);
}

/* Appends n bytes at buf + *len (the callers size buf for what they put). */
static void put(uint8_t *buf, size_t *len, const void *p, size_t n)
{
	memcpy(buf + *len, p, n);
	*len += n;
}

/* First-user setup, then one passkey registration with attestation "none". */
static void cred_register(struct cred *c)
{
	static char buf[IN_CAP], req[2 * OUT_CAP + TOKEN_MAX], token[TOKEN_MAX], session[SESSION_MAX];
	static const char setup[] = "{\"username\":\"bench\",\"email\":\"bench@example.com\",\"firstName\":\"Bench\","
	                            "\"lastName\":\"User\"}";
	struct resp r;
	int n = snprintf(
	        req, sizeof req,
	        "POST /api/signup/setup HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nContent-Type: application/json\r\n"
	        "Content-Length: %zu\r\n\r\n%s",
	        g_host, g_origin, strlen(setup), setup);
	http_once(req, (size_t)n, buf, sizeof buf, &r);
	if (r.status == 409)
		die("POST /api/signup/setup: 409, the server already has its first user; start from an empty database "
		    "or pass -s with the state file of the run that registered the passkey");
	expect_status("POST /api/signup/setup", &r, buf, 200);
	if (!set_cookie(buf, r.head_len, COOKIE_TOKEN, token, sizeof token))
		die("POST /api/signup/setup: no %s cookie", COOKIE_TOKEN);

	n = snprintf(req, sizeof req, "GET /api/webauthn/register/start HTTP/1.1\r\nHost: %s\r\nCookie: %s=%s\r\n\r\n",
	             g_host, COOKIE_TOKEN, token);
	if (n < 0 || (size_t)n >= sizeof req)
		die("request too long");
	http_once(req, (size_t)n, buf, sizeof buf, &r);
	expect_status("GET /api/webauthn/register/start", &r, buf, 200);
	if (!set_cookie(buf, r.head_len, COOKIE_SESSION, session, sizeof session))
		die("GET /api/webauthn/register/start: no %s cookie", COOKIE_SESSION);
	const char *body = buf + r.head_len, *obj;
	size_t objlen;
	char challenge[CHALLENGE_MAX];
	if (!json_str(body, r.body_len, "challenge", challenge, sizeof challenge) ||
	    !json_obj(body, r.body_len, "user", &obj, &objlen) ||
	    !json_str(obj, objlen, "id", c->user_handle, sizeof c->user_handle) ||
	    !json_obj(body, r.body_len, "rp", &obj, &objlen) || !json_str(obj, objlen, "id", c->rp_id, sizeof c->rp_id))
		die("GET /api/webauthn/register/start: no challenge, user.id or rp.id in %.300s", body);

	/* the authenticator: a new P-256 key and a random credential id */
	c->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!c->key)
		die("P-256 key generation failed");
	uint8_t pub[65], id[CRED_ID_LEN];
	size_t publen = 0;
	if (!EVP_PKEY_get_octet_string_param(c->key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &publen) ||
	    publen != 65 || pub[0] != 4)
		die("cannot read the public key as an uncompressed point");
	if (RAND_bytes(id, sizeof id) != 1)
		die("RAND_bytes failed");
	b64url(id, sizeof id, c->id);
	sha256(c->rp_id, strlen(c->rp_id), c->rp_hash);

	/* authenticatorData: rpIdHash, flags UP|UV|AT, counter 0, AAGUID 0, credential id, COSE_Key */
	static const uint8_t flags_counter_aaguid[1 + 4 + 16] = {0x45}; /* UP|UV|AT, then zeros */
	static const uint8_t cred_id_len[2] = {0, CRED_ID_LEN};
	/* COSE_Key EC2: {1: 2, 3: -7, -1: 1, -2: bstr(32) x, -3: bstr(32) y} */
	static const uint8_t cose_head[] = {0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20};
	static const uint8_t cose_y[] = {0x22, 0x58, 0x20};
	uint8_t ad[32 + sizeof flags_counter_aaguid + 2 + CRED_ID_LEN + sizeof cose_head + 32 + sizeof cose_y + 32];
	size_t adlen = 0;
	put(ad, &adlen, c->rp_hash, 32);
	put(ad, &adlen, flags_counter_aaguid, sizeof flags_counter_aaguid);
	put(ad, &adlen, cred_id_len, 2);
	put(ad, &adlen, id, CRED_ID_LEN);
	put(ad, &adlen, cose_head, sizeof cose_head);
	put(ad, &adlen, pub + 1, 32);
	put(ad, &adlen, cose_y, sizeof cose_y);
	put(ad, &adlen, pub + 33, 32);

	/* attestationObject: {"fmt": "none", "attStmt": {}, "authData": ad} (CTAP2 canonical key order) */
	uint8_t ao[sizeof ad + 32];
	static const uint8_t ao_head[] = {0xa3, 0x63, 'f', 'm', 't',  0x64, 'n', 'o', 'n', 'e', 0x67, 'a', 't', 't',
	                                  'S',  't',  'm', 't', 0xa0, 0x68, 'a', 'u', 't', 'h', 'D',  'a', 't', 'a'};
	_Static_assert(sizeof ad < 256, "authData must fit a 1-byte CBOR length");
	const uint8_t ad_head[2] = {0x58, (uint8_t)adlen}; /* bstr with a 1-byte length */
	size_t aolen = 0;
	put(ao, &aolen, ao_head, sizeof ao_head);
	put(ao, &aolen, ad_head, 2);
	put(ao, &aolen, ad, adlen);

	char cd[512], cd64[700], ao64[sizeof ao * 4 / 3 + 4];
	int cdlen =
	        snprintf(cd, sizeof cd,
	                 "{\"type\":\"webauthn.create\",\"challenge\":\"%s\",\"origin\":\"%s\",\"crossOrigin\":false}",
	                 challenge, g_origin);
	if (cdlen < 0 || (size_t)cdlen >= sizeof cd)
		die("client data over %zu bytes", sizeof cd);
	b64url((const uint8_t *)cd, (size_t)cdlen, cd64);
	b64url(ao, aolen, ao64);
	char json[2048];
	int jl = snprintf(
	        json, sizeof json,
	        "{\"id\":\"%s\",\"rawId\":\"%s\",\"type\":\"public-key\",\"response\":{\"clientDataJSON\":\"%s\","
	        "\"attestationObject\":\"%s\",\"transports\":[\"internal\"]},\"clientExtensionResults\":{},"
	        "\"authenticatorAttachment\":\"platform\"}",
	        c->id, c->id, cd64, ao64);
	if (jl < 0 || (size_t)jl >= sizeof json)
		die("registration body too long");
	n = snprintf(req, sizeof req,
	             "POST /api/webauthn/register/finish HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\n"
	             "Content-Type: application/json\r\nCookie: %s=%s; %s=%s\r\nContent-Length: %d\r\n\r\n%s",
	             g_host, g_origin, COOKIE_SESSION, session, COOKIE_TOKEN, token, jl, json);
	if (n < 0 || (size_t)n >= sizeof req)
		die("request too long");
	http_once(req, (size_t)n, buf, sizeof buf, &r);
	expect_status("POST /api/webauthn/register/finish", &r, buf, 200);
}

/* State file: lets a second run (another warm-up, another duration) log in with
 * the passkey registered by the first, since first-user setup works only once.
 *   symbolon-passkey-bench 1 / credential-id / user-handle / rp-id lines, then the PEM key. */
static void cred_save(const struct cred *c, const char *path)
{
	FILE *f = fopen(path, "wx"); /* never overwrite: it is the only key for that server's passkey */
	if (!f)
		die("cannot create %s: %s", path, strerror(errno));
	fprintf(f, "symbolon-passkey-bench 1\n%s\n%s\n%s\n", c->id, c->user_handle, c->rp_id);
	if (!PEM_write_PrivateKey(f, c->key, NULL, NULL, 0, NULL, NULL) || fclose(f) != 0)
		die("cannot write %s", path);
}

static bool read_line(FILE *f, char *out, size_t cap)
{
	if (!fgets(out, (int)cap, f))
		return false;
	size_t n = strlen(out);
	if (n == 0 || out[n - 1] != '\n')
		return false;
	out[n - 1] = '\0';
	return n > 1;
}

static bool cred_load(struct cred *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return false;
		die("cannot open %s: %s", path, strerror(errno));
	}
	char magic[64];
	if (!read_line(f, magic, sizeof magic) || strcmp(magic, "symbolon-passkey-bench 1") != 0 ||
	    !read_line(f, c->id, sizeof c->id) || !read_line(f, c->user_handle, sizeof c->user_handle) ||
	    !read_line(f, c->rp_id, sizeof c->rp_id) || !is_b64url(c->id, strlen(c->id)) ||
	    !is_b64url(c->user_handle, strlen(c->user_handle)) || !(c->key = PEM_read_PrivateKey(f, NULL, NULL, NULL)))
		die("%s is not a state file of this tool", path);
	fclose(f);
	sha256(c->rp_id, strlen(c->rp_id), c->rp_hash);
	return true;
}

/* ------------------------------------------------------------------ statistics */
/* Log-linear latency histogram in microseconds: exact below 1024 µs, then 512
 * buckets per power of two (0.2% resolution), up to 2^41 µs. Fixed size, no
 * allocation per sample, mergeable across threads. */
#define HIST_EXP 31
#define HIST_N   (1024 + HIST_EXP * 512)

static unsigned hist_index(uint64_t us)
{
	if (us < 1024)
		return (unsigned)us;
	unsigned b = 63u - (unsigned)__builtin_clzll(us); /* >= 10 */
	if (b - 10 >= HIST_EXP)
		return HIST_N - 1;
	return 1024 + (b - 10) * 512 + (unsigned)((us >> (b - 9)) - 512);
}

static double hist_value(unsigned i) /* the bucket's midpoint, µs */
{
	if (i < 1024)
		return i;
	unsigned b = (i - 1024) / 512 + 10, m = (i - 1024) % 512 + 512;
	double w = (double)(1ull << (b - 9));
	return (double)m * w + w / 2;
}

enum { PH_WARMUP, PH_MEASURE, PH_DONE };
enum { E_START, E_FINISH, E_TRANSPORT, E_KINDS };
static const char *const kind_name[E_KINDS] = {"GET /api/webauthn/login/start", "POST /api/webauthn/login/finish",
                                               "transport (connect, reset, timeout, malformed response)"};

struct stats {
	uint64_t logins;
	uint64_t errors[E_KINDS];
	uint64_t status[E_KINDS][600]; /* non-200 statuses of start and finish */
	uint64_t max_us;
	uint32_t hist[HIST_N];
};

static _Atomic int g_phase = PH_WARMUP;
static atomic_int g_samples; /* error samples printed so far */

/* ------------------------------------------------------------------ connections */
enum cstate { C_DOWN, C_START, C_FINISH };

struct conn {
	int fd;
	enum cstate st;
	bool want_out; /* EPOLLOUT registered */
	size_t out_len, out_off, in_len;
	uint64_t t_login;  /* when login/start was queued */
	uint64_t deadline; /* of the request in flight, or the reconnect time when C_DOWN */
	char out[OUT_CAP];
	char in[IN_CAP + 1];
};

struct worker {
	pthread_t tid;
	int epfd;
	struct conn *conns;
	int nconns;
	const struct cred *cred;
	EVP_PKEY_CTX *sign; /* EVP_PKEY_sign on a prepared context: no per-login setup */
	char ad64[64];      /* base64url authenticatorData: the same for every login */
	uint8_t ad[37];
	struct stats st[2]; /* PH_WARMUP, PH_MEASURE */
};

static struct stats *cur_stats(struct worker *w)
{
	int ph = atomic_load_explicit(&g_phase, memory_order_relaxed);
	return &w->st[ph == PH_WARMUP ? PH_WARMUP : PH_MEASURE];
}

static void sample_error(int kind, int status, const char *detail, size_t n)
{
	if (atomic_fetch_add(&g_samples, 1) >= ERROR_SAMPLES)
		return;
	if (status)
		fprintf(stderr, "passkey_login: error: %s -> HTTP %d: %.*s\n", kind_name[kind], status,
		        (int)(n > 300 ? 300 : n), detail);
	else
		fprintf(stderr, "passkey_login: error: %s: %s\n", kind_name[kind], detail);
}

static void conn_close(struct worker *w, struct conn *c, uint64_t retry_at)
{
	if (c->fd >= 0) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->st = C_DOWN;
	c->deadline = retry_at;
}

static void transport_error(struct worker *w, struct conn *c, const char *why)
{
	if (atomic_load_explicit(&g_phase, memory_order_relaxed) != PH_DONE) {
		cur_stats(w)->errors[E_TRANSPORT]++;
		sample_error(E_TRANSPORT, 0, why, strlen(why));
	}
	conn_close(w, c, now_ns()); /* reconnect on the next timer pass */
}

/* Writes what is left of c->out; registers for EPOLLOUT only when the socket is full. */
static void conn_flush(struct worker *w, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		transport_error(w, c, n < 0 ? strerror(errno) : "send returned 0");
		return;
	}
	bool want = c->out_off < c->out_len;
	if (want != c->want_out) {
		struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
		epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = want;
	}
}

static void send_request(struct worker *w, struct conn *c, size_t len)
{
	c->out_len = len;
	c->out_off = 0;
	c->in_len = 0;
	c->deadline = now_ns() + (uint64_t)g_timeout_ms * 1000000u;
	conn_flush(w, c);
}

static void begin_login(struct worker *w, struct conn *c)
{
	if (atomic_load_explicit(&g_phase, memory_order_relaxed) == PH_DONE)
		return;
	int n = snprintf(c->out, sizeof c->out, "GET /api/webauthn/login/start HTTP/1.1\r\nHost: %s\r\n\r\n", g_host);
	c->st = C_START;
	c->t_login = now_ns();
	send_request(w, c, (size_t)n);
}

static bool conn_open(struct worker *w, struct conn *c)
{
	c->fd = dial(true);
	if (c->fd < 0) {
		int e = errno;
		c->st = C_DOWN;
		c->deadline = now_ns() + 100000000u; /* retry in 100 ms */
		if (atomic_load_explicit(&g_phase, memory_order_relaxed) != PH_DONE) {
			cur_stats(w)->errors[E_TRANSPORT]++;
			sample_error(E_TRANSPORT, 0, strerror(e), 0);
		}
		return false;
	}
	c->want_out = false;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
	begin_login(w, c);
	return true;
}

/* The login/start answer: sign an assertion over its challenge and send login/finish. */
static void on_start(struct worker *w, struct conn *c, const struct resp *r)
{
	const char *body = c->in + r->head_len;
	char session[SESSION_MAX], challenge[CHALLENGE_MAX];
	if (!set_cookie(c->in, r->head_len, COOKIE_SESSION, session, sizeof session) ||
	    !json_str(body, r->body_len, "challenge", challenge, sizeof challenge) ||
	    !is_b64url(challenge, strlen(challenge))) {
		transport_error(w, c, "login/start: 200 without a session cookie or a base64url challenge");
		return;
	}
	const struct cred *k = w->cred;
	char cd[512], cd64[(sizeof cd) * 4 / 3 + 4];
	int cdlen = snprintf(cd, sizeof cd,
	                     "{\"type\":\"webauthn.get\",\"challenge\":\"%s\",\"origin\":\"%s\",\"crossOrigin\":false}",
	                     challenge, g_origin);
	if (cdlen < 0 || (size_t)cdlen >= sizeof cd) /* cannot happen: challenge and origin are capped */
		die("client data over %zu bytes", sizeof cd);
	/* signed message: authenticatorData || SHA-256(clientDataJSON), ECDSA with SHA-256 */
	uint8_t msg[37 + 32], dgst[32], sig[80];
	memcpy(msg, w->ad, 37);
	sha256(cd, (size_t)cdlen, msg + 37);
	sha256(msg, sizeof msg, dgst);
	size_t siglen = sizeof sig;
	if (EVP_PKEY_sign(w->sign, sig, &siglen, dgst, sizeof dgst) != 1)
		die("ECDSA sign failed");
	char sig64[112];
	b64url(sig, siglen, sig64);
	b64url((const uint8_t *)cd, (size_t)cdlen, cd64);

	char body_out[2048];
	int bl = snprintf(
	        body_out, sizeof body_out,
	        "{\"id\":\"%s\",\"rawId\":\"%s\",\"type\":\"public-key\",\"response\":{\"clientDataJSON\":\"%s\","
	        "\"authenticatorData\":\"%s\",\"signature\":\"%s\",\"userHandle\":\"%s\"}}",
	        k->id, k->id, cd64, w->ad64, sig64, k->user_handle);
	int n = bl < 0 || (size_t)bl >= sizeof body_out
	                ? -1
	                : snprintf(c->out, sizeof c->out,
	                           "POST /api/webauthn/login/finish HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\n"
	                           "Content-Type: application/json\r\nCookie: %s=%s\r\nContent-Length: %d\r\n\r\n%s",
	                           g_host, g_origin, COOKIE_SESSION, session, bl, body_out);
	if (n < 0 || (size_t)n >= sizeof c->out)
		die("login/finish request over %d bytes", OUT_CAP);
	c->st = C_FINISH;
	send_request(w, c, (size_t)n);
}

static void on_response(struct worker *w, struct conn *c, const struct resp *r)
{
	int ph = atomic_load_explicit(&g_phase, memory_order_relaxed);
	struct stats *s = cur_stats(w);
	int kind = c->st == C_START ? E_START : E_FINISH;
	bool ok = r->status == 200;
	if (ok && kind == E_FINISH && !set_cookie(c->in, r->head_len, COOKIE_TOKEN, NULL, 0)) {
		ok = false; /* a login that does not sign the user in is not a login */
		if (ph != PH_DONE) {
			s->errors[E_FINISH]++;
			sample_error(E_FINISH, 200, "200 without an access_token cookie", 34);
		}
	} else if (!ok && ph != PH_DONE) {
		s->errors[kind]++;
		s->status[kind][r->status]++;
		sample_error(kind, r->status, c->in + r->head_len, r->body_len);
	}
	if (ok && kind == E_START) {
		on_start(w, c, r);
	} else {
		if (ok && ph == PH_MEASURE) {
			uint64_t us = (now_ns() - c->t_login) / 1000;
			s->logins++;
			s->hist[hist_index(us)]++;
			if (us > s->max_us)
				s->max_us = us;
		}
		begin_login(w, c);
	}
}

static void conn_read(struct worker *w, struct conn *c)
{
	for (;;) {
		if (c->in_len >= IN_CAP) {
			transport_error(w, c, "response over the buffer cap");
			return;
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, IN_CAP - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		transport_error(w, c, n == 0 ? "the server closed the connection" : strerror(errno));
		return;
	}
	if (c->in_len == 0) /* a spurious wake-up, or an event of a socket closed and reopened in this batch */
		return;
	if (c->st == C_DOWN || c->out_off < c->out_len) {
		transport_error(w, c, "response before the request was sent");
		return;
	}
	struct resp r;
	const char *why = "malformed response";
	int st = parse_response(c->in, c->in_len, IN_CAP, &r, &why);
	if (st == 0)
		return;
	if (st < 0) {
		transport_error(w, c, why);
		return;
	}
	if (c->in_len != r.head_len + r.body_len) { /* we never pipeline: nothing may follow */
		transport_error(w, c, "bytes after the response");
		return;
	}
	c->in[c->in_len] = '\0';
	on_response(w, c, &r);
	if (r.close && c->fd >= 0) { /* the server said Connection: close: reconnect now */
		conn_close(w, c, now_ns());
		if (atomic_load_explicit(&g_phase, memory_order_relaxed) != PH_DONE)
			conn_open(w, c);
	}
}

/* Every 100 ms: time out stuck requests, reconnect closed connections. */
static void conn_timers(struct worker *w)
{
	uint64_t t = now_ns();
	for (int i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];
		if (c->deadline > t)
			continue;
		if (c->st == C_DOWN)
			conn_open(w, c);
		else
			transport_error(w, c, "request timed out");
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		die("epoll_create1: %s", strerror(errno));
	w->sign = EVP_PKEY_CTX_new_from_pkey(NULL, w->cred->key, NULL);
	if (!w->sign || EVP_PKEY_sign_init(w->sign) != 1 || EVP_PKEY_CTX_set_signature_md(w->sign, g_sha256) != 1)
		die("cannot set up ECDSA signing");
	/* authenticatorData for every login: rpIdHash, flags UP|UV, counter 0 (see the top comment) */
	memcpy(w->ad, w->cred->rp_hash, 32);
	w->ad[32] = 0x05;
	memset(w->ad + 33, 0, 4);
	b64url(w->ad, sizeof w->ad, w->ad64);

	for (int i = 0; i < w->nconns; i++) {
		w->conns[i].fd = -1;
		conn_open(w, &w->conns[i]);
	}
	struct epoll_event evs[256];
	uint64_t next_timer = now_ns() + 100000000u;
	while (atomic_load_explicit(&g_phase, memory_order_relaxed) != PH_DONE) {
		int n = epoll_wait(w->epfd, evs, 256, 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->fd < 0)
				continue; /* closed by an earlier event of this batch */
			if (evs[i].events & EPOLLOUT)
				conn_flush(w, c);
			if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				conn_read(w, c);
		}
		uint64_t t = now_ns();
		if (t >= next_timer) {
			conn_timers(w);
			next_timer = t + 100000000u;
		}
	}
	for (int i = 0; i < w->nconns; i++)
		conn_close(w, &w->conns[i], 0);
	close(w->epfd);
	EVP_PKEY_CTX_free(w->sign);
	return NULL;
}

/* ------------------------------------------------------------------ main */
/* utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15). */
static double proc_cpu_s(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot read %s: %s", path, strerror(errno));
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	unsigned long long ut, st;
	if (!p || sscanf(p + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu", &ut, &st) != 2)
		die("cannot parse %s", path);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static double percentile_ms(const struct stats *s, double q)
{
	if (s->logins == 0)
		return 0;
	uint64_t want = (uint64_t)(q * (double)s->logins + 0.999999), seen = 0;
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < HIST_N; i++) {
		seen += s->hist[i];
		if (seen >= want) { /* a bucket's midpoint may lie above the largest sample in it */
			double v = hist_value(i);
			return (v > (double)s->max_us ? (double)s->max_us : v) / 1000.0;
		}
	}
	return (double)s->max_us / 1000.0;
}

static void merge(struct stats *into, const struct stats *s)
{
	into->logins += s->logins;
	for (int k = 0; k < E_KINDS; k++) {
		into->errors[k] += s->errors[k];
		for (int i = 0; i < 600; i++)
			into->status[k][i] += s->status[k][i];
	}
	if (s->max_us > into->max_us)
		into->max_us = s->max_us;
	for (unsigned i = 0; i < HIST_N; i++)
		into->hist[i] += s->hist[i];
}

static uint64_t total_errors(const struct stats *s)
{
	uint64_t n = 0;
	for (int k = 0; k < E_KINDS; k++)
		n += s->errors[k];
	return n;
}

static void print_errors(const char *phase, const struct stats *s)
{
	for (int k = 0; k < E_KINDS; k++) {
		if (!s->errors[k])
			continue;
		printf("  %s errors, %s: %" PRIu64, phase, kind_name[k], s->errors[k]);
		for (int i = 0; i < 600; i++)
			if (s->status[k][i])
				printf(" [HTTP %d x %" PRIu64 "]", i, s->status[k][i]);
		printf("\n");
	}
}

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr, "usage: passkey_login [options] http://IPV4:PORT\n"
	                "  -c N      connections (default 16)\n"
	                "  -t N      threads (default 1)\n"
	                "  -d SECS   measured duration (default 10)\n"
	                "  -w SECS   warm-up before it, not counted (default 2)\n"
	                "  -o ORIGIN origin the server expects (its APP_URL; default http://localhost:PORT)\n"
	                "  -s FILE   state file: log in with the passkey saved there; if FILE does not exist,\n"
	                "            register one (first-user setup) and save it there\n"
	                "  -P PID    the server's pid: report its CPU time per login over the measured window\n"
	                "  -T MS     per-request timeout (default 10000)\n"
	                "  -R        register only (with -s), no logins\n");
	exit(2);
}

static double parse_num(const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= lo && v <= hi))
		usage();
	return v;
}

int main(int argc, char **argv)
{
	int nconns = 16, nthreads = 1, server_pid = 0;
	double duration = 10, warmup = 2;
	const char *state = NULL, *origin = NULL;
	bool register_only = false;
	for (int o; (o = getopt(argc, argv, "c:t:d:w:o:s:P:T:R")) != -1;) {
		switch (o) {
		case 'c': nconns = (int)parse_num(optarg, 1, MAX_CONNS); break;
		case 't': nthreads = (int)parse_num(optarg, 1, MAX_THREADS); break;
		case 'd': duration = parse_num(optarg, 0.1, 86400); break;
		case 'w': warmup = parse_num(optarg, 0, 86400); break;
		case 'o': origin = optarg; break;
		case 's': state = optarg; break;
		case 'P': server_pid = (int)parse_num(optarg, 1, 1 << 30); break;
		case 'T': g_timeout_ms = (int)parse_num(optarg, 1, 600000); break;
		case 'R': register_only = true; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || (register_only && !state))
		usage();
	if (nthreads > nconns)
		nthreads = nconns;

	/* http://IPV4:PORT only: this tool talks plain HTTP/1.1 to a loopback server */
	char ip[64];
	unsigned port;
	int used = 0;
	if (sscanf(argv[optind], "http://%63[0-9.]:%u%n", ip, &port, &used) != 2 ||
	    (argv[optind][used] && strcmp(argv[optind] + used, "/") != 0) || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, ip, &g_addr.sin_addr) != 1)
		usage();
	g_addr.sin_family = AF_INET;
	g_addr.sin_port = htons((uint16_t)port);
	if (origin)
		snprintf(g_origin, sizeof g_origin, "%s", origin);
	else
		snprintf(g_origin, sizeof g_origin, "http://localhost:%u", port);
	/* it goes into JSON and a header verbatim: host name characters only */
	bool origin_ok = strncmp(g_origin, "http://", 7) == 0 && g_origin[7] && strlen(g_origin) < sizeof g_origin - 1;
	for (const char *q = g_origin + 7; origin_ok && *q; q++)
		origin_ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
		            *q == '.' || *q == '-' || *q == ':' || *q == '[' || *q == ']';
	if (!origin_ok)
		die("origin must look like http://HOST[:PORT] (cookie names here are those of an http APP_URL)");
	snprintf(g_host, sizeof g_host, "%s", g_origin + 7);

	g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!g_sha256)
		die("no SHA-256");

	static struct cred cred;
	if (!state || !cred_load(&cred, state)) {
		cred_register(&cred);
		if (state)
			cred_save(&cred, state);
		fprintf(stderr, "passkey_login: registered passkey %s for user handle %s (rp %s)\n", cred.id,
		        cred.user_handle, cred.rp_id);
	}
	if (register_only)
		return 0;

	struct worker *ws = calloc((size_t)nthreads, sizeof *ws);
	struct conn *cs = calloc((size_t)nconns, sizeof *cs);
	static struct stats warm, meas;
	if (!ws || !cs)
		die("out of memory");
	atomic_store(&g_phase, warmup > 0 ? PH_WARMUP : PH_MEASURE);
	uint64_t t_begin = now_ns();
	double cpu0 = 0, self0 = self_cpu_s();
	if (warmup <= 0 && server_pid)
		cpu0 = proc_cpu_s(server_pid);
	for (int i = 0, off = 0; i < nthreads; i++) {
		ws[i].cred = &cred;
		ws[i].conns = cs + off;
		ws[i].nconns = nconns / nthreads + (i < nconns % nthreads);
		off += ws[i].nconns;
		if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0)
			die("pthread_create failed");
	}
	uint64_t t0 = t_begin;
	if (warmup > 0) {
		sleep_until(t_begin + (uint64_t)(warmup * 1e9));
		if (server_pid)
			cpu0 = proc_cpu_s(server_pid);
		self0 = self_cpu_s();
		t0 = now_ns();
		atomic_store(&g_phase, PH_MEASURE);
	}
	sleep_until(t0 + (uint64_t)(duration * 1e9));
	atomic_store(&g_phase, PH_DONE);
	uint64_t t1 = now_ns();
	double cpu1 = server_pid ? proc_cpu_s(server_pid) : 0, self1 = self_cpu_s();
	for (int i = 0; i < nthreads; i++) {
		pthread_join(ws[i].tid, NULL);
		merge(&warm, &ws[i].st[PH_WARMUP]);
		merge(&meas, &ws[i].st[PH_MEASURE]);
	}

	double secs = (double)(t1 - t0) / 1e9, rate = (double)meas.logins / secs;
	uint64_t errs = total_errors(&meas), werrs = total_errors(&warm);
	printf("passkey logins: %" PRIu64 " in %.2f s = %.1f logins/s (%d connections, %d thread%s, warm-up %.0f s)\n",
	       meas.logins, secs, rate, nconns, nthreads, nthreads == 1 ? "" : "s", warmup);
	printf("latency of a login (start + finish): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       percentile_ms(&meas, 0.5), percentile_ms(&meas, 0.9), percentile_ms(&meas, 0.99),
	       (double)meas.max_us / 1000);
	printf("errors: %" PRIu64 " while measuring, %" PRIu64 " during warm-up\n", errs, werrs);
	print_errors("measured", &meas);
	print_errors("warm-up", &warm);
	double srv_us = 0, srv_busy = 0, cli_busy = 100 * (self1 - self0) / secs;
	if (server_pid) {
		srv_busy = 100 * (cpu1 - cpu0) / secs;
		srv_us = meas.logins ? (cpu1 - cpu0) * 1e6 / (double)meas.logins : 0;
		printf("server CPU: %.2f s in %.2f s (%.0f%% of a core) = %.1f µs per login\n", cpu1 - cpu0, secs,
		       srv_busy, srv_us);
	}
	printf("generator CPU: %.0f%% of a core\n", cli_busy);
	printf("RESULT logins=%" PRIu64 " seconds=%.3f rate=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	       "errors=%" PRIu64 " warmup_errors=%" PRIu64 " server_cpu_s=%.2f server_us_per_login=%.1f "
	       "server_busy=%.0f client_busy=%.0f connections=%d threads=%d\n",
	       meas.logins, secs, rate, percentile_ms(&meas, 0.5), percentile_ms(&meas, 0.9),
	       percentile_ms(&meas, 0.99), (double)meas.max_us / 1000, errs, werrs, cpu1 - cpu0, srv_us, srv_busy,
	       cli_busy, nconns, nthreads);
	free(ws);
	free(cs);
	EVP_PKEY_free(cred.key);
	EVP_MD_free(g_sha256);
	if (meas.logins == 0)
		return 2;
	return errs ? 1 : 0;
}
