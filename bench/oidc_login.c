/*
 * bench/oidc_login.c - load generator for the OpenID provider: complete
 * authorization-code logins and client_credentials grants per second.
 *
 *   oidc_login -S -s STATE -K API_KEY http://127.0.0.1:PORT     (once, on an empty database)
 *   oidc_login -m login -s STATE [options] http://127.0.0.1:PORT
 *   oidc_login -m cc -s STATE [options] http://127.0.0.1:PORT
 *
 * -S prepares a fresh server: first-user setup (POST /api/signup/setup, whose
 * answer signs the user in: the session cookie every login presents), a
 * confidential client with PKCE required and consent skipped, created through
 * the admin API with the server's STATIC_API_KEY, and one of its secrets; then
 * one login and one client_credentials grant, checked, so that a broken flow
 * fails here with the server's answer rather than as a count of errors. The
 * user id, the client, its secret and the session go to the STATE file.
 *
 * -m login drives, on each keep-alive connection in turn, a complete login of
 * a relying party whose user is already signed in:
 *   GET  /authorize?...&code_challenge=...&code_challenge_method=S256   302 to the callback with code and state
 *   POST /api/oidc/token (authorization_code, client_secret_basic, code_verifier)   200 with access and ID tokens
 *   GET  /api/oidc/userinfo with the access token                        200 with the user's sub
 * -m cc drives POST /api/oidc/token with grant_type=client_credentials.
 * Every answer is checked (status, the code's state, the ID token's nonce, the
 * sub); any other answer is an error, tallied by request and status, the first
 * five printed, never dropped. A login counts when all three answers are right.
 *
 * Given the server's pid (-P), and PostgreSQL's postmaster (-D), it reads
 * their CPU time at the start and the end of the measured window: the CPU of
 * the whole server side per operation. With -B CPU it also reads that CPU's
 * busy time from /proc/stat: what other processes took of the server's core.
 * The last line of the output is "RESULT key=value ..." for bench/run.sh.
 *
 * Why it is written the way it is (as bench/passkey_login.c, whose plumbing it
 * repeats): one epoll loop per thread, connections as small state machines with
 * fixed buffers, no allocation in the hot path, no pipelining; HTTP/1.1 parsed
 * only as far as needed (status, Content-Length, Connection: close, Location,
 * Set-Cookie); JSON searched for the few string fields it needs - the server's
 * own tests check its JSON, this is a load generator.
 *
 * Build: cc -O2 -o oidc_login bench/oidc_login.c $(pkg-config --cflags --libs openssl) -pthread
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
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
#define IN_CAP        (32 * 1024) /* one whole response; the token answer is ~2.5 KiB */
#define OUT_CAP       8192        /* one request; /authorize with the session cookie is ~1.3 KiB */
#define SESSION_MAX   4096        /* access_token cookie value (an RS256 JWT, ~700 characters) */
#define TOKEN_MAX     4096        /* an access token (JWT, ~900 characters) */
#define ID_TOKEN_MAX  8192        /* an ID token with the profile and email claims */
#define CODE_MAX      256         /* an authorization code (~100 characters) */
#define FIELD_MAX     256         /* user id, client id, client secret */
#define RANDOM_MAX    64          /* state, nonce, code verifier as sent */
#define MAX_CONNS     4096
#define MAX_THREADS   64
#define ERROR_SAMPLES 5 /* error answers printed (the first 300 bytes of the body) */

#define COOKIE_SESSION "access_token" /* the session cookie's name for an http:// APP_URL */
#define CLIENT_ID      "symbolon-bench"
#define CALLBACK       "https://rp.example.com/callback"
/* percent-encoded, and with every % doubled: they are pieces of printf formats */
#define CALLBACK_ENC "https%%3A%%2F%%2Frp.example.com%%2Fcallback"
#define SCOPE_ENC    "openid%%20profile%%20email"

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("oidc_login: ", stderr);
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

/* ------------------------------------------------------------------ encodings */
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding; out needs 4*ceil(n/3)+1 bytes. Returns the length written. */
static size_t b64url(const uint8_t *p, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v =
		        (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		size_t chars = n - i >= 3 ? 4 : n - i + 1;
		for (size_t k = 0; k < chars; k++)
			out[o++] = B64URL[v >> (18 - 6 * k) & 63];
	}
	out[o] = '\0';
	return o;
}

/* base64url (unpadded) into out[0..cap); returns the bytes written, or -1 on
 * a character outside the alphabet or an overflow. */
static long b64url_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		const char *at = memchr(B64URL, s[i], 64);
		if (!at || !s[i])
			return -1;
		acc = acc << 6 | (uint32_t)(at - B64URL);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)o;
}

static bool unreserved(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* application/x-www-form-urlencoded value (RFC 6749 §2.3.1 wants it inside Basic too). */
static void form_encode(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s; s++) {
		if (o + 4 > cap)
			die("form_encode: over %zu bytes", cap);
		if (unreserved(*s))
			out[o++] = *s;
		else
			o += (size_t)snprintf(out + o, 4, "%%%02X", (unsigned char)*s);
	}
	out[o] = '\0';
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* Percent-decodes s[0..n) into out (NUL-terminated); false when malformed or over cap-1. */
static bool url_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o + 1 >= cap)
			return false;
		if (s[i] != '%') {
			out[o++] = s[i] == '+' ? ' ' : s[i];
			continue;
		}
		if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
			return false;
		out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
		i += 2;
	}
	out[o] = '\0';
	return true;
}

static EVP_MD *g_sha256; /* fetched once; EVP_MD objects are safe to share between threads */

/* n random bytes as base64url: state, nonce and PKCE verifier values. */
static void random_b64url(size_t n, char *out)
{
	uint8_t raw[RANDOM_MAX];
	if (n > sizeof raw * 3 / 4 || RAND_bytes(raw, (int)n) != 1)
		die("RAND_bytes failed");
	b64url(raw, n, out);
}

/* ------------------------------------------------------------------ HTTP */
struct resp {
	int status;
	size_t head_len; /* status line + headers + the empty line */
	size_t body_len;
	bool close; /* Connection: close */
};

/* The response at the start of buf[0..n): 1 when complete (head and body in
 * buf), 0 when more bytes are needed, -1 when malformed or over cap (*why says). */
static int parse_response(const char *buf, size_t n, size_t cap, struct resp *r, const char **why)
{
	const char *end = memmem(buf, n, "\r\n\r\n", 4);
	if (!end) {
		*why = "response headers over the buffer cap";
		return n >= cap ? -1 : 0;
	}
	*r = (struct resp){0};
	r->head_len = (size_t)(end - buf) + 4;
	if (r->head_len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' || buf[9] < '1' || buf[9] > '5' ||
	    !isdigit((unsigned char)buf[10]) || !isdigit((unsigned char)buf[11])) {
		*why = "malformed status line";
		return -1;
	}
	r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	bool have_len = false;
	for (const char *line = (const char *)memchr(buf, '\n', r->head_len) + 1; line < end;) {
		const char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		size_t len = (size_t)(eol - line);
		if (len > 15 && strncasecmp(line, "content-length:", 15) == 0) {
			const char *v = line + 15;
			while (v < eol && *v == ' ')
				v++;
			if (v == eol || !isdigit((unsigned char)*v)) {
				*why = "bad Content-Length";
				return -1;
			}
			size_t x = 0;
			for (; v < eol && isdigit((unsigned char)*v); v++)
				if ((x = x * 10 + (size_t)(*v - '0')) > cap) {
					*why = "response body over the buffer cap";
					return -1;
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

/* The value of header `name` in the response head: *len bytes at the result, or NULL. */
static const char *header_value(const char *head, size_t head_len, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *end = head + head_len;
	for (const char *p = memmem(head, head_len, "\r\n", 2); p && p + 2 < end;) {
		const char *line = p + 2, *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		if (!eol)
			break;
		if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			while (v < eol && *v == ' ')
				v++;
			*len = (size_t)(eol - v);
			return v;
		}
		p = eol;
	}
	return NULL;
}

/* Copies the value of the cookie `name` set by the response head into out; false when absent or over cap-1. */
static bool set_cookie(const char *head, size_t head_len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *end = head + head_len;
	for (const char *p = head; p < end;) {
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
				if (len == 0 || len >= cap)
					return false;
				memcpy(out, v, len);
				out[len] = '\0';
				return true;
			}
		}
		p = eol + 2;
	}
	return false;
}

/* Finds "key": "value" in p[0..n) and copies value. No escapes expected (the
 * fields read are ids, secrets and JWTs); false when absent, escaped or over cap-1. */
static bool json_str(const char *p, size_t n, const char *key, char *out, size_t cap)
{
	char pat[64];
	int pl = snprintf(pat, sizeof pat, "\"%s\"", key);
	const char *end = p + n;
	for (const char *k = p; (k = memmem(k, (size_t)(end - k), pat, (size_t)pl)); k += pl) {
		const char *v = k + pl;
		while (v < end && isspace((unsigned char)*v))
			v++;
		if (v >= end || *v != ':')
			continue;
		for (v++; v < end && isspace((unsigned char)*v); v++)
			;
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
	return false;
}

/* The query parameter `name` of the URL u[0..n), percent-decoded into out. */
static bool query_param(const char *u, size_t n, const char *name, char *out, size_t cap)
{
	const char *q = memchr(u, '?', n), *end = u + n;
	size_t nl = strlen(name);
	for (const char *p = q ? q + 1 : end; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		if ((size_t)(stop - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=')
			return url_decode(p + nl + 1, (size_t)(stop - p - nl - 1), out, cap);
		p = stop + 1;
	}
	return false;
}

/* ------------------------------------------------------------------ target */
static struct sockaddr_in g_addr; /* where to connect (from the URL) */
static char g_host[256];          /* Host header and origin: localhost:PORT, the server's APP_URL */
static int g_timeout_ms = 10000;  /* per request */

/* What every measured request needs, from the state file. */
static char g_user_id[FIELD_MAX];   /* the signed-in user: userinfo's sub */
static char g_session[SESSION_MAX]; /* the session cookie's value */
static char g_secret[FIELD_MAX];    /* the client's secret */
static char g_basic[2 * FIELD_MAX]; /* "Basic base64(id:secret)" */

static int dial(bool nonblock)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* loopback: a blocking connect returns at once; then switch to non-blocking */
	if (connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr) != 0 ||
	    (nonblock && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* One blocking request and its response into buf (set-up and the smoke test only). */
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

/* ------------------------------------------------------------------ the flows */
/* One login in progress: what it sent and what it got back so far. */
struct flow {
	char state[RANDOM_MAX], nonce[RANDOM_MAX], verifier[RANDOM_MAX], challenge[RANDOM_MAX];
	char code[CODE_MAX];
	char access[TOKEN_MAX];
};

static int fit(int n, size_t cap, const char *what)
{
	if (n < 0 || (size_t)n >= cap)
		die("%s request over %zu bytes", what, cap);
	return n;
}

/* A new login: fresh state, nonce and PKCE pair, then its authorization request. */
static int authorize_request(struct flow *f, char *out, size_t cap)
{
	uint8_t h[32];
	random_b64url(12, f->state);
	random_b64url(12, f->nonce);
	random_b64url(32, f->verifier); /* 43 characters, the least RFC 7636 §4.1 allows */
	if (!EVP_Digest(f->verifier, strlen(f->verifier), h, NULL, g_sha256, NULL))
		die("SHA-256 failed");
	b64url(h, sizeof h, f->challenge);
	return fit(snprintf(out, cap,
	                    "GET /authorize?client_id=" CLIENT_ID "&redirect_uri=" CALLBACK_ENC
	                    "&response_type=code&scope=" SCOPE_ENC "&state=%s&nonce=%s&code_challenge=%s"
	                    "&code_challenge_method=S256 HTTP/1.1\r\nHost: %s\r\nCookie: " COOKIE_SESSION "=%s\r\n\r\n",
	                    f->state, f->nonce, f->challenge, g_host, g_session),
	           cap, "authorize");
}

/* 302 to the callback with our state and a code; NULL when so, else what is wrong. */
static const char *authorize_check(struct flow *f, const char *buf, const struct resp *r)
{
	size_t n;
	const char *loc = header_value(buf, r->head_len, "Location", &n);
	char state[RANDOM_MAX];
	if (r->status != 302)
		return "not a 302";
	if (!loc || n <= sizeof CALLBACK || memcmp(loc, CALLBACK "?", sizeof CALLBACK) != 0)
		return "302 that does not go to the callback with a query";
	if (!query_param(loc, n, "state", state, sizeof state) || strcmp(state, f->state) != 0)
		return "302 to the callback without our state";
	if (!query_param(loc, n, "code", f->code, sizeof f->code) || !f->code[0])
		return "302 to the callback without a code";
	return NULL;
}

static int code_request(const struct flow *f, char *out, size_t cap)
{
	char code[3 * CODE_MAX], body[4 * CODE_MAX + RANDOM_MAX];
	form_encode(f->code, code, sizeof code);
	int bl = fit(snprintf(body, sizeof body,
	                      "grant_type=authorization_code&code=%s&redirect_uri=" CALLBACK_ENC "&code_verifier=%s",
	                      code, f->verifier),
	             sizeof body, "token");
	return fit(snprintf(out, cap,
	                    "POST /api/oidc/token HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
	                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
	                    g_host, g_basic, bl, body),
	           cap, "token");
}

/* 200 with a bearer access token (kept in f when f is given). */
static const char *token_check(struct flow *f, const char *buf, const struct resp *r)
{
	const char *body = buf + r->head_len;
	char type[16], scratch[TOKEN_MAX];
	if (r->status != 200)
		return "not a 200";
	if (!json_str(body, r->body_len, "access_token", f ? f->access : scratch, TOKEN_MAX))
		return "200 without an access_token";
	if (!json_str(body, r->body_len, "token_type", type, sizeof type) || strcasecmp(type, "bearer") != 0)
		return "200 without token_type bearer";
	return NULL;
}

/* ... and, for a login, an ID token that carries our nonce. */
static const char *code_check(struct flow *f, const char *buf, const struct resp *r)
{
	const char *why = token_check(f, buf, r);
	if (why)
		return why;
	char idt[ID_TOKEN_MAX], nonce[RANDOM_MAX];
	uint8_t claims[ID_TOKEN_MAX];
	if (!json_str(buf + r->head_len, r->body_len, "id_token", idt, sizeof idt))
		return "200 without an id_token";
	const char *d1 = strchr(idt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	long n = d2 ? b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), claims, sizeof claims) : -1;
	if (n < 0 || !json_str((const char *)claims, (size_t)n, "nonce", nonce, sizeof nonce) ||
	    strcmp(nonce, f->nonce) != 0)
		return "an id_token without our nonce";
	return NULL;
}

static int userinfo_request(const struct flow *f, char *out, size_t cap)
{
	return fit(snprintf(out, cap, "GET /api/oidc/userinfo HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n",
	                    g_host, f->access),
	           cap, "userinfo");
}

static const char *userinfo_check(const char *buf, const struct resp *r)
{
	char sub[FIELD_MAX];
	if (r->status != 200)
		return "not a 200";
	if (!json_str(buf + r->head_len, r->body_len, "sub", sub, sizeof sub) || strcmp(sub, g_user_id) != 0)
		return "200 whose sub is not the signed-in user's";
	return NULL;
}

static int cc_request(char *out, size_t cap)
{
	static const char body[] = "grant_type=client_credentials";
	return fit(snprintf(out, cap,
	                    "POST /api/oidc/token HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
	                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	                    g_host, g_basic, sizeof body - 1, body),
	           cap, "client_credentials");
}

static void basic_header(void)
{
	char id[3 * FIELD_MAX], secret[3 * FIELD_MAX], pair[6 * FIELD_MAX + 2];
	form_encode(CLIENT_ID, id, sizeof id);
	form_encode(g_secret, secret, sizeof secret);
	int n = snprintf(pair, sizeof pair, "%s:%s", id, secret);
	if ((size_t)n * 4 / 3 + 12 >= sizeof g_basic)
		die("client secret too long");
	memcpy(g_basic, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)g_basic + 6, (const unsigned char *)pair, n);
}

/* ------------------------------------------------------------------ set-up */
static void expect_status(const char *what, const struct resp *r, const char *buf, int want)
{
	if (r->status != want)
		die("%s: HTTP %d, expected %d; body: %.300s", what, r->status, want, buf + r->head_len);
}

static void check_once(const char *what, const char *why, const struct resp *r, const char *buf)
{
	if (why)
		die("%s: %s (HTTP %d); body: %.300s", what, why, r->status, buf + r->head_len);
}

/* One login and one client_credentials grant, blocking: the flows work before they are measured. */
static void smoke_test(void)
{
	static char buf[IN_CAP], req[OUT_CAP];
	static struct flow f;
	struct resp r;
	http_once(req, (size_t)authorize_request(&f, req, sizeof req), buf, sizeof buf, &r);
	check_once("GET /authorize", authorize_check(&f, buf, &r), &r, buf);
	http_once(req, (size_t)code_request(&f, req, sizeof req), buf, sizeof buf, &r);
	check_once("POST /api/oidc/token (authorization_code)", code_check(&f, buf, &r), &r, buf);
	http_once(req, (size_t)userinfo_request(&f, req, sizeof req), buf, sizeof buf, &r);
	check_once("GET /api/oidc/userinfo", userinfo_check(buf, &r), &r, buf);
	http_once(req, (size_t)cc_request(req, sizeof req), buf, sizeof buf, &r);
	check_once("POST /api/oidc/token (client_credentials)", token_check(NULL, buf, &r), &r, buf);
}

/* First-user setup (the session), the client and its secret through the admin API. */
static void prepare(const char *api_key)
{
	static char buf[IN_CAP], req[OUT_CAP];
	static const char setup[] = "{\"username\":\"bench\",\"email\":\"bench@example.com\",\"firstName\":\"Bench\","
	                            "\"lastName\":\"User\"}";
	static const char client[] =
	        "{\"id\":\"" CLIENT_ID "\",\"name\":\"Symbolon bench\",\"callbackURLs\":[\"" CALLBACK
	        "\"],\"skipConsent\":true,\"pkceEnabled\":true}";
	struct resp r;
	int n = fit(snprintf(req, sizeof req,
	                     "POST /api/signup/setup HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\n"
	                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                     g_host, g_host, sizeof setup - 1, setup),
	            sizeof req, "setup");
	http_once(req, (size_t)n, buf, sizeof buf, &r);
	if (r.status == 409)
		die("POST /api/signup/setup: 409, the server already has its first user; start from an empty database");
	expect_status("POST /api/signup/setup", &r, buf, 200);
	if (!set_cookie(buf, r.head_len, COOKIE_SESSION, g_session, sizeof g_session))
		die("POST /api/signup/setup: no %s cookie", COOKIE_SESSION);
	if (!json_str(buf + r.head_len, r.body_len, "id", g_user_id, sizeof g_user_id))
		die("POST /api/signup/setup: no user id in %.300s", buf + r.head_len);

	n = fit(snprintf(req, sizeof req,
	                 "POST /api/oidc/clients HTTP/1.1\r\nHost: %s\r\nX-API-KEY: %s\r\n"
	                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                 g_host, api_key, sizeof client - 1, client),
	        sizeof req, "client");
	http_once(req, (size_t)n, buf, sizeof buf, &r);
	expect_status("POST /api/oidc/clients (is STATIC_API_KEY set to the -K key?)", &r, buf, 201);
	n = fit(snprintf(req, sizeof req,
	                 "POST /api/oidc/clients/" CLIENT_ID "/secrets HTTP/1.1\r\nHost: %s\r\nX-API-KEY: %s\r\n"
	                 "Content-Length: 0\r\n\r\n",
	                 g_host, api_key),
	        sizeof req, "secret");
	http_once(req, (size_t)n, buf, sizeof buf, &r);
	expect_status("POST /api/oidc/clients/" CLIENT_ID "/secrets", &r, buf, 201);
	if (!json_str(buf + r.head_len, r.body_len, "secret", g_secret, sizeof g_secret))
		die("POST /api/oidc/clients/" CLIENT_ID "/secrets: no secret in %.300s", buf + r.head_len);
	basic_header();
}

/* State file: "symbolon-oidc-bench 1", then the user id, the client secret and the session cookie, a line each. */
static void state_save(const char *path)
{
	FILE *f = fopen(path, "wx"); /* never overwrite: first-user setup cannot be done twice */
	if (!f)
		die("cannot create %s: %s", path, strerror(errno));
	fprintf(f, "symbolon-oidc-bench 1\n%s\n%s\n%s\n", g_user_id, g_secret, g_session);
	if (fclose(f) != 0)
		die("cannot write %s", path);
}

static bool read_line(FILE *f, char *out, size_t cap)
{
	if (!fgets(out, (int)cap, f))
		return false;
	size_t n = strlen(out);
	if (n < 2 || out[n - 1] != '\n')
		return false;
	out[n - 1] = '\0';
	return true;
}

static void state_load(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open %s: %s (prepare the server with -S first)", path, strerror(errno));
	char magic[64];
	if (!read_line(f, magic, sizeof magic) || strcmp(magic, "symbolon-oidc-bench 1") != 0 ||
	    !read_line(f, g_user_id, sizeof g_user_id) || !read_line(f, g_secret, sizeof g_secret) ||
	    !read_line(f, g_session, sizeof g_session))
		die("%s is not a state file of this tool", path);
	fclose(f);
	basic_header();
}

/* ------------------------------------------------------------------ statistics */
/* Log-linear latency histogram in microseconds: exact below 1024 µs, then 512
 * buckets per power of two (0.2% resolution). Fixed size, mergeable. */
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
enum { E_AUTHORIZE, E_TOKEN, E_USERINFO, E_TRANSPORT, E_KINDS };
static const char *const kind_name[E_KINDS] = {"GET /authorize", "POST /api/oidc/token", "GET /api/oidc/userinfo",
                                               "transport (connect, reset, timeout, malformed response)"};

struct stats {
	uint64_t ops; /* complete logins, or grants */
	uint64_t errors[E_KINDS];
	uint64_t status[E_KINDS][600]; /* the statuses of wrong answers */
	uint64_t max_us;
	uint32_t hist[HIST_N];
};

static _Atomic int g_phase = PH_WARMUP;
static atomic_int g_samples; /* error samples printed so far */
static bool g_cc;            /* -m cc: client_credentials grants instead of logins */

/* ------------------------------------------------------------------ connections */
enum cstate { C_DOWN, C_AUTHORIZE, C_TOKEN, C_USERINFO, C_CC };

struct conn {
	int fd;
	enum cstate st;
	bool want_out; /* EPOLLOUT registered */
	size_t out_len, out_off, in_len;
	uint64_t t_op;     /* when the operation's first request was queued */
	uint64_t deadline; /* of the request in flight, or the reconnect time when C_DOWN */
	struct flow flow;
	char out[OUT_CAP];
	char in[IN_CAP + 1];
};

struct worker {
	pthread_t tid;
	int epfd;
	struct conn *conns;
	int nconns;
	struct stats st[2]; /* PH_WARMUP, PH_MEASURE */
};

static struct stats *cur_stats(struct worker *w)
{
	return &w->st[atomic_load_explicit(&g_phase, memory_order_relaxed) == PH_WARMUP ? PH_WARMUP : PH_MEASURE];
}

static bool counting(void)
{
	return atomic_load_explicit(&g_phase, memory_order_relaxed) != PH_DONE;
}

static void sample_error(int kind, int status, const char *why, const char *body, size_t n)
{
	if (atomic_fetch_add(&g_samples, 1) >= ERROR_SAMPLES)
		return;
	if (status)
		fprintf(stderr, "oidc_login: error: %s -> HTTP %d, %s: %.*s\n", kind_name[kind], status, why,
		        (int)(n > 300 ? 300 : n), body);
	else
		fprintf(stderr, "oidc_login: error: %s: %s\n", kind_name[kind], why);
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
	if (counting()) {
		cur_stats(w)->errors[E_TRANSPORT]++;
		sample_error(E_TRANSPORT, 0, why, NULL, 0);
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

static void send_request(struct worker *w, struct conn *c, enum cstate st, int len)
{
	c->st = st;
	c->out_len = (size_t)len;
	c->out_off = 0;
	c->in_len = 0;
	c->deadline = now_ns() + (uint64_t)g_timeout_ms * 1000000u;
	conn_flush(w, c);
}

static void begin_op(struct worker *w, struct conn *c)
{
	if (!counting())
		return;
	c->t_op = now_ns();
	if (g_cc)
		send_request(w, c, C_CC, cc_request(c->out, sizeof c->out));
	else
		send_request(w, c, C_AUTHORIZE, authorize_request(&c->flow, c->out, sizeof c->out));
}

static void conn_open(struct worker *w, struct conn *c)
{
	c->fd = dial(true);
	if (c->fd < 0) {
		int e = errno;
		c->st = C_DOWN;
		c->deadline = now_ns() + 100000000u; /* retry in 100 ms */
		if (counting()) {
			cur_stats(w)->errors[E_TRANSPORT]++;
			sample_error(E_TRANSPORT, 0, strerror(e), NULL, 0);
		}
		return;
	}
	c->want_out = false;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
	begin_op(w, c);
}

static void op_done(struct worker *w, struct conn *c)
{
	if (atomic_load_explicit(&g_phase, memory_order_relaxed) == PH_MEASURE) {
		struct stats *s = &w->st[PH_MEASURE];
		uint64_t us = (now_ns() - c->t_op) / 1000;
		s->ops++;
		s->hist[hist_index(us)]++;
		if (us > s->max_us)
			s->max_us = us;
	}
	begin_op(w, c);
}

/* A whole response to the request in flight: check it, then the next step. */
static void on_response(struct worker *w, struct conn *c, const struct resp *r)
{
	const char *why;
	int kind;
	switch (c->st) {
	case C_AUTHORIZE:
		kind = E_AUTHORIZE;
		if (!(why = authorize_check(&c->flow, c->in, r))) {
			send_request(w, c, C_TOKEN, code_request(&c->flow, c->out, sizeof c->out));
			return;
		}
		break;
	case C_TOKEN:
		kind = E_TOKEN;
		if (!(why = code_check(&c->flow, c->in, r))) {
			send_request(w, c, C_USERINFO, userinfo_request(&c->flow, c->out, sizeof c->out));
			return;
		}
		break;
	case C_USERINFO:
		kind = E_USERINFO;
		if (!(why = userinfo_check(c->in, r))) {
			op_done(w, c);
			return;
		}
		break;
	case C_CC:
		kind = E_TOKEN;
		if (!(why = token_check(NULL, c->in, r))) {
			op_done(w, c);
			return;
		}
		break;
	default: transport_error(w, c, "response without a request"); return;
	}
	if (counting()) {
		struct stats *s = cur_stats(w);
		s->errors[kind]++;
		s->status[kind][r->status]++;
		sample_error(kind, r->status, why, c->in + r->head_len, r->body_len);
	}
	begin_op(w, c); /* a failed step abandons the login: the next starts from /authorize */
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
	if (c->in_len == 0) /* a spurious wake-up */
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
		if (counting())
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
	for (int i = 0; i < w->nconns; i++) {
		w->conns[i].fd = -1;
		conn_open(w, &w->conns[i]);
	}
	struct epoll_event evs[256];
	uint64_t next_timer = now_ns() + 100000000u;
	while (counting()) {
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
	return NULL;
}

/* ------------------------------------------------------------------ CPU time */
/* A process's parent and its utime, stime, cutime, cstime from /proc/PID/stat; false when it is gone. */
static bool proc_stat(int pid, unsigned long long *ppid, unsigned long long ticks[4])
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime */
	return p && sscanf(p + 2, "%*s %llu %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu %llu %llu", ppid, &ticks[0],
	                   &ticks[1], &ticks[2], &ticks[3]) == 5;
}

/* utime + stime of a process, in seconds. */
static double proc_cpu_s(int pid)
{
	unsigned long long ppid, t[4];
	if (!proc_stat(pid, &ppid, t))
		die("cannot read /proc/%d/stat", pid);
	return (double)(t[0] + t[1]) / (double)sysconf(_SC_CLK_TCK);
}

/* A PostgreSQL cluster's CPU in seconds: the postmaster, its live children (the
 * backends, the checkpointer, ...) and the children it has reaped. */
static double tree_cpu_s(int root)
{
	unsigned long long ppid, t[4], sum;
	if (!proc_stat(root, &ppid, t))
		die("cannot read /proc/%d/stat", root);
	sum = t[0] + t[1] + t[2] + t[3];
	DIR *d = opendir("/proc");
	if (!d)
		die("cannot list /proc");
	for (struct dirent *e; (e = readdir(d));) {
		int pid = (int)strtol(e->d_name, NULL, 10);
		if (pid > 0 && pid != root && proc_stat(pid, &ppid, t) && ppid == (unsigned long long)root)
			sum += t[0] + t[1];
	}
	closedir(d);
	return (double)sum / (double)sysconf(_SC_CLK_TCK);
}

/* Busy seconds of one CPU so far (user nice system irq softirq steal in /proc/stat). */
static double cpu_busy_s(int cpu)
{
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		die("cannot read /proc/stat");
	char line[512], want[16];
	int wl = snprintf(want, sizeof want, "cpu%d ", cpu);
	unsigned long long v[8] = {0};
	bool found = false;
	while (!found && fgets(line, sizeof line, f))
		found = strncmp(line, want, (size_t)wl) == 0 &&
		        sscanf(line + wl, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
		               &v[5], &v[6], &v[7]) == 8;
	fclose(f);
	if (!found)
		die("no line for CPU %d in /proc/stat", cpu);
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

/* What -P, -D and -B watch, read at the two ends of the measured window. */
struct watch {
	int server, db, cpu; /* 0, 0, -1 when not given */
};
struct sample {
	double server, db, busy, self;
};

static struct sample take_sample(const struct watch *wt)
{
	return (struct sample){
	        .server = wt->server ? proc_cpu_s(wt->server) : 0,
	        .db = wt->db ? tree_cpu_s(wt->db) : 0,
	        .busy = wt->cpu >= 0 ? cpu_busy_s(wt->cpu) : 0,
	        .self = self_cpu_s(),
	};
}

/* ------------------------------------------------------------------ report */
static double percentile_ms(const struct stats *s, double q)
{
	if (s->ops == 0)
		return 0;
	uint64_t want = (uint64_t)(q * (double)s->ops + 0.999999), seen = 0;
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
	into->ops += s->ops;
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

static void report(const char *what, const struct stats *meas, const struct stats *warm, double secs,
                   const struct watch *wt, const struct sample *a, const struct sample *b, int nconns, int nthreads,
                   double warmup)
{
	double rate = (double)meas->ops / secs;
	uint64_t errs = total_errors(meas), werrs = total_errors(warm);
	printf("%s: %" PRIu64 " in %.2f s = %.1f/s (%d connections, %d thread%s, warm-up %.0f s)\n", what, meas->ops,
	       secs, rate, nconns, nthreads, nthreads == 1 ? "" : "s", warmup);
	printf("latency of one (%s): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       g_cc ? "a token request" : "authorize + token + userinfo", percentile_ms(meas, 0.5),
	       percentile_ms(meas, 0.9), percentile_ms(meas, 0.99), (double)meas->max_us / 1000);
	printf("errors: %" PRIu64 " while measuring, %" PRIu64 " during warm-up\n", errs, werrs);
	print_errors("measured", meas);
	print_errors("warm-up", warm);
	double srv = b->server - a->server, db = b->db - a->db, side = srv + db;
	double per = meas->ops ? 1e6 / (double)meas->ops : 0;
	double others = wt->cpu >= 0 ? 100 * (b->busy - a->busy - side) / secs : 0;
	if (others < 0)
		others = 0;
	if (wt->server)
		printf("server CPU: %.2f s (Symbolon %.2f s, PostgreSQL %.2f s) in %.2f s (%.0f%% of a core) = %.1f µs "
		       "per "
		       "operation (PostgreSQL %.1f µs)\n",
		       side, srv, db, secs, 100 * side / secs, side * per, db * per);
	if (wt->cpu >= 0)
		printf("others on CPU %d: %.0f%% of it\n", wt->cpu, others);
	printf("generator CPU: %.0f%% of a core\n", 100 * (b->self - a->self) / secs);
	printf("RESULT mode=%s ops=%" PRIu64 " seconds=%.3f rate=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	       "errors=%" PRIu64 " warmup_errors=%" PRIu64 " server_cpu_s=%.2f db_cpu_s=%.2f us_per_op=%.1f "
	       "db_us_per_op=%.1f server_busy=%.0f others=%.0f client_busy=%.0f connections=%d threads=%d\n",
	       g_cc ? "cc" : "login", meas->ops, secs, rate, percentile_ms(meas, 0.5), percentile_ms(meas, 0.9),
	       percentile_ms(meas, 0.99), (double)meas->max_us / 1000, errs, werrs, srv, db, side * per, db * per,
	       100 * side / secs, others, 100 * (b->self - a->self) / secs, nconns, nthreads);
}

/* ------------------------------------------------------------------ main */
static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr, "usage: oidc_login -S -s FILE -K API_KEY http://IPV4:PORT    prepare an empty server\n"
	                "       oidc_login -m login|cc -s FILE [options] http://IPV4:PORT\n"
	                "  -S        first-user setup, a client and its secret (admin API, STATIC_API_KEY = -K),\n"
	                "            one checked login and grant; saved to the state file -s (must not exist)\n"
	                "  -m MODE   login: authorize + token + userinfo; cc: client_credentials grants\n"
	                "  -c N      connections (default 16)\n"
	                "  -t N      threads (default 1)\n"
	                "  -d SECS   measured duration (default 10)\n"
	                "  -w SECS   warm-up before it, not counted (default 2)\n"
	                "  -o HOST   host:port the server's APP_URL names (default localhost:PORT)\n"
	                "  -P PID    the server's pid: its CPU time per operation over the measured window\n"
	                "  -D PID    PostgreSQL's postmaster: the cluster's CPU time is the server's too\n"
	                "  -B CPU    the server's CPU: how much of it other processes took\n"
	                "  -T MS     per-request timeout (default 10000)\n");
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

static void parse_url(const char *url, const char *host)
{
	char ip[64];
	unsigned port;
	int used = 0;
	if (sscanf(url, "http://%63[0-9.]:%u%n", ip, &port, &used) != 2 ||
	    (url[used] && strcmp(url + used, "/") != 0) || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, ip, &g_addr.sin_addr) != 1)
		usage();
	g_addr.sin_family = AF_INET;
	g_addr.sin_port = htons((uint16_t)port);
	if (host)
		snprintf(g_host, sizeof g_host, "%s", host);
	else
		snprintf(g_host, sizeof g_host, "localhost:%u", port);
	/* it goes into headers verbatim */
	for (const char *q = g_host; *q; q++)
		if (!isalnum((unsigned char)*q) && !strchr(".-:[]", *q))
			die("-o must be host[:port]");
}

int main(int argc, char **argv)
{
	int nconns = 16, nthreads = 1;
	struct watch wt = {0, 0, -1};
	double duration = 10, warmup = 2;
	const char *state = NULL, *host = NULL, *api_key = NULL, *mode = NULL;
	bool prep = false;
	for (int o; (o = getopt(argc, argv, "Sm:c:t:d:w:o:s:K:P:D:B:T:")) != -1;) {
		switch (o) {
		case 'S': prep = true; break;
		case 'm': mode = optarg; break;
		case 'c': nconns = (int)parse_num(optarg, 1, MAX_CONNS); break;
		case 't': nthreads = (int)parse_num(optarg, 1, MAX_THREADS); break;
		case 'd': duration = parse_num(optarg, 0.1, 86400); break;
		case 'w': warmup = parse_num(optarg, 0, 86400); break;
		case 'o': host = optarg; break;
		case 's': state = optarg; break;
		case 'K': api_key = optarg; break;
		case 'P': wt.server = (int)parse_num(optarg, 1, 1 << 30); break;
		case 'D': wt.db = (int)parse_num(optarg, 1, 1 << 30); break;
		case 'B': wt.cpu = (int)parse_num(optarg, 0, 4095); break;
		case 'T': g_timeout_ms = (int)parse_num(optarg, 1, 600000); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !state || prep == !!mode || (prep && !api_key) ||
	    (mode && strcmp(mode, "login") != 0 && strcmp(mode, "cc") != 0))
		usage();
	g_cc = mode && strcmp(mode, "cc") == 0;
	if (nthreads > nconns)
		nthreads = nconns;
	parse_url(argv[optind], host);
	g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!g_sha256)
		die("no SHA-256");

	if (prep) {
		prepare(api_key);
		smoke_test();
		state_save(state);
		fprintf(stderr,
		        "oidc_login: user %s signed in, client " CLIENT_ID " ready; one login and one grant checked\n",
		        g_user_id);
		EVP_MD_free(g_sha256);
		return 0;
	}
	state_load(state);

	struct worker *ws = calloc((size_t)nthreads, sizeof *ws);
	struct conn *cs = calloc((size_t)nconns, sizeof *cs);
	static struct stats warm, meas;
	if (!ws || !cs)
		die("out of memory");
	atomic_store(&g_phase, warmup > 0 ? PH_WARMUP : PH_MEASURE);
	uint64_t t0 = now_ns();
	struct sample a = take_sample(&wt);
	for (int i = 0, off = 0; i < nthreads; i++) {
		ws[i].conns = cs + off;
		ws[i].nconns = nconns / nthreads + (i < nconns % nthreads);
		off += ws[i].nconns;
		if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0)
			die("pthread_create failed");
	}
	if (warmup > 0) {
		sleep_until(t0 + (uint64_t)(warmup * 1e9));
		a = take_sample(&wt);
		t0 = now_ns();
		atomic_store(&g_phase, PH_MEASURE);
	}
	sleep_until(t0 + (uint64_t)(duration * 1e9));
	atomic_store(&g_phase, PH_DONE);
	uint64_t t1 = now_ns();
	struct sample b = take_sample(&wt);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(ws[i].tid, NULL);
		merge(&warm, &ws[i].st[PH_WARMUP]);
		merge(&meas, &ws[i].st[PH_MEASURE]);
	}
	report(g_cc ? "client_credentials grants" : "complete logins", &meas, &warm, (double)(t1 - t0) / 1e9, &wt, &a,
	       &b, nconns, nthreads, warmup);
	free(ws);
	free(cs);
	EVP_MD_free(g_sha256);
	if (meas.ops == 0)
		return 2;
	return total_errors(&meas) ? 1 : 0;
}
