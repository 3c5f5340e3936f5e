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
 * Why it is written the way it is (as bench/passkey_login.c, whose plumbing,
 * bench/loadgen.c, it shares): one epoll loop per thread, connections as small
 * state machines with fixed buffers, no allocation in the hot path, no
 * pipelining; HTTP/1.1 parsed only as far as needed (status, Content-Length,
 * Connection: close, Location, Set-Cookie); JSON searched for the few string
 * fields it needs - the server's own tests check its JSON, this is a load
 * generator.
 *
 * Build: cc -O2 -o oidc_login bench/oidc_login.c bench/loadgen.c $(pkg-config --cflags --libs openssl) -pthread
 */
#define _GNU_SOURCE
#include "loadgen.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

/* ------------------------------------------------------------------ limits */
#define SESSION_MAX  4096 /* access_token cookie value (an RS256 JWT, ~700 characters) */
#define TOKEN_MAX    4096 /* an access token (JWT, ~900 characters) */
#define ID_TOKEN_MAX 8192 /* an ID token with the profile and email claims */
#define CODE_MAX     256  /* an authorization code (~100 characters) */
#define FIELD_MAX    256  /* user id, client id, client secret */
#define RANDOM_MAX   64   /* state, nonce, code verifier as sent */

#define COOKIE_SESSION "access_token" /* the session cookie's name for an http:// APP_URL */
#define CLIENT_ID      "symbolon-bench"
#define CALLBACK       "https://rp.example.com/callback"
/* percent-encoded, and with every % doubled: they are pieces of printf formats */
#define CALLBACK_ENC "https%%3A%%2F%%2Frp.example.com%%2Fcallback"
#define SCOPE_ENC    "openid%%20profile%%20email"

/* ------------------------------------------------------------------ encodings */
/* base64url (unpadded) into out[0..cap); returns the bytes written, or -1 on
 * a character outside the alphabet or an overflow. */
static long b64url_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		const char *at = memchr(lg_b64url_alphabet, s[i], 64);
		if (!at || !s[i])
			return -1;
		acc = acc << 6 | (uint32_t)(at - lg_b64url_alphabet);
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
			lg_die("form_encode: over %zu bytes", cap);
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
		lg_die("RAND_bytes failed");
	lg_b64url(raw, n, out);
}

/* ------------------------------------------------------------------ HTTP */
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
/* What every measured request needs, from the state file. */
static char g_user_id[FIELD_MAX];   /* the signed-in user: userinfo's sub */
static char g_session[SESSION_MAX]; /* the session cookie's value */
static char g_secret[FIELD_MAX];    /* the client's secret */
static char g_basic[2 * FIELD_MAX]; /* "Basic base64(id:secret)" */

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
		lg_die("%s request over %zu bytes", what, cap);
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
		lg_die("SHA-256 failed");
	lg_b64url(h, sizeof h, f->challenge);
	return fit(snprintf(out, cap,
	                    "GET /authorize?client_id=" CLIENT_ID "&redirect_uri=" CALLBACK_ENC
	                    "&response_type=code&scope=" SCOPE_ENC "&state=%s&nonce=%s&code_challenge=%s"
	                    "&code_challenge_method=S256 HTTP/1.1\r\nHost: %s\r\nCookie: " COOKIE_SESSION "=%s\r\n\r\n",
	                    f->state, f->nonce, f->challenge, lg_host, g_session),
	           cap, "authorize");
}

/* 302 to the callback with our state and a code; NULL when so, else what is wrong. */
static const char *authorize_check(struct flow *f, const char *buf, const struct lg_resp *r)
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
	                    lg_host, g_basic, bl, body),
	           cap, "token");
}

/* 200 with a bearer access token (kept in f when f is given). */
static const char *token_check(struct flow *f, const char *buf, const struct lg_resp *r)
{
	const char *body = buf + r->head_len;
	char type[16], scratch[TOKEN_MAX];
	if (r->status != 200)
		return "not a 200";
	if (!lg_json_str(body, r->body_len, "access_token", f ? f->access : scratch, TOKEN_MAX))
		return "200 without an access_token";
	if (!lg_json_str(body, r->body_len, "token_type", type, sizeof type) || strcasecmp(type, "bearer") != 0)
		return "200 without token_type bearer";
	return NULL;
}

/* ... and, for a login, an ID token that carries our nonce. */
static const char *code_check(struct flow *f, const char *buf, const struct lg_resp *r)
{
	const char *why = token_check(f, buf, r);
	if (why)
		return why;
	char idt[ID_TOKEN_MAX], nonce[RANDOM_MAX];
	uint8_t claims[ID_TOKEN_MAX];
	if (!lg_json_str(buf + r->head_len, r->body_len, "id_token", idt, sizeof idt))
		return "200 without an id_token";
	const char *d1 = strchr(idt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	long n = d2 ? b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), claims, sizeof claims) : -1;
	if (n < 0 || !lg_json_str((const char *)claims, (size_t)n, "nonce", nonce, sizeof nonce) ||
	    strcmp(nonce, f->nonce) != 0)
		return "an id_token without our nonce";
	return NULL;
}

static int userinfo_request(const struct flow *f, char *out, size_t cap)
{
	return fit(snprintf(out, cap, "GET /api/oidc/userinfo HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n",
	                    lg_host, f->access),
	           cap, "userinfo");
}

static const char *userinfo_check(const char *buf, const struct lg_resp *r)
{
	char sub[FIELD_MAX];
	if (r->status != 200)
		return "not a 200";
	if (!lg_json_str(buf + r->head_len, r->body_len, "sub", sub, sizeof sub) || strcmp(sub, g_user_id) != 0)
		return "200 whose sub is not the signed-in user's";
	return NULL;
}

static int cc_request(char *out, size_t cap)
{
	static const char body[] = "grant_type=client_credentials";
	return fit(snprintf(out, cap,
	                    "POST /api/oidc/token HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
	                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
	                    lg_host, g_basic, sizeof body - 1, body),
	           cap, "client_credentials");
}

static void basic_header(void)
{
	char id[3 * FIELD_MAX], secret[3 * FIELD_MAX], pair[6 * FIELD_MAX + 2];
	form_encode(CLIENT_ID, id, sizeof id);
	form_encode(g_secret, secret, sizeof secret);
	int n = snprintf(pair, sizeof pair, "%s:%s", id, secret);
	if ((size_t)n * 4 / 3 + 12 >= sizeof g_basic)
		lg_die("client secret too long");
	memcpy(g_basic, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)g_basic + 6, (const unsigned char *)pair, n);
}

/* ------------------------------------------------------------------ set-up */
static void check_once(const char *what, const char *why, const struct lg_resp *r, const char *buf)
{
	if (why)
		lg_die("%s: %s (HTTP %d); body: %.300s", what, why, r->status, buf + r->head_len);
}

/* One login and one client_credentials grant, blocking: the flows work before they are measured. */
static void smoke_test(void)
{
	static char buf[LG_IN_CAP], req[LG_OUT_CAP];
	static struct flow f;
	struct lg_resp r;
	lg_http_once(req, (size_t)authorize_request(&f, req, sizeof req), buf, sizeof buf, &r);
	check_once("GET /authorize", authorize_check(&f, buf, &r), &r, buf);
	lg_http_once(req, (size_t)code_request(&f, req, sizeof req), buf, sizeof buf, &r);
	check_once("POST /api/oidc/token (authorization_code)", code_check(&f, buf, &r), &r, buf);
	lg_http_once(req, (size_t)userinfo_request(&f, req, sizeof req), buf, sizeof buf, &r);
	check_once("GET /api/oidc/userinfo", userinfo_check(buf, &r), &r, buf);
	lg_http_once(req, (size_t)cc_request(req, sizeof req), buf, sizeof buf, &r);
	check_once("POST /api/oidc/token (client_credentials)", token_check(NULL, buf, &r), &r, buf);
}

/* First-user setup (the session), the client and its secret through the admin API. */
static void prepare(const char *api_key)
{
	static char buf[LG_IN_CAP], req[LG_OUT_CAP];
	static const char setup[] = "{\"username\":\"bench\",\"email\":\"bench@example.com\",\"firstName\":\"Bench\","
	                            "\"lastName\":\"User\"}";
	static const char client[] =
	        "{\"id\":\"" CLIENT_ID "\",\"name\":\"Symbolon bench\",\"callbackURLs\":[\"" CALLBACK
	        "\"],\"skipConsent\":true,\"pkceEnabled\":true}";
	struct lg_resp r;
	int n = fit(snprintf(req, sizeof req,
	                     "POST /api/signup/setup HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\n"
	                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                     lg_host, lg_host, sizeof setup - 1, setup),
	            sizeof req, "setup");
	lg_http_once(req, (size_t)n, buf, sizeof buf, &r);
	if (r.status == 409)
		lg_die("POST /api/signup/setup: 409, the server already has its first user; start from an empty "
		       "database");
	lg_expect_status("POST /api/signup/setup", &r, buf, 200);
	if (!lg_set_cookie(buf, r.head_len, COOKIE_SESSION, g_session, sizeof g_session))
		lg_die("POST /api/signup/setup: no %s cookie", COOKIE_SESSION);
	if (!lg_json_str(buf + r.head_len, r.body_len, "id", g_user_id, sizeof g_user_id))
		lg_die("POST /api/signup/setup: no user id in %.300s", buf + r.head_len);

	n = fit(snprintf(req, sizeof req,
	                 "POST /api/oidc/clients HTTP/1.1\r\nHost: %s\r\nX-API-KEY: %s\r\n"
	                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                 lg_host, api_key, sizeof client - 1, client),
	        sizeof req, "client");
	lg_http_once(req, (size_t)n, buf, sizeof buf, &r);
	lg_expect_status("POST /api/oidc/clients (is STATIC_API_KEY set to the -K key?)", &r, buf, 201);
	n = fit(snprintf(req, sizeof req,
	                 "POST /api/oidc/clients/" CLIENT_ID "/secrets HTTP/1.1\r\nHost: %s\r\nX-API-KEY: %s\r\n"
	                 "Content-Length: 0\r\n\r\n",
	                 lg_host, api_key),
	        sizeof req, "secret");
	lg_http_once(req, (size_t)n, buf, sizeof buf, &r);
	lg_expect_status("POST /api/oidc/clients/" CLIENT_ID "/secrets", &r, buf, 201);
	if (!lg_json_str(buf + r.head_len, r.body_len, "secret", g_secret, sizeof g_secret))
		lg_die("POST /api/oidc/clients/" CLIENT_ID "/secrets: no secret in %.300s", buf + r.head_len);
	basic_header();
}

/* State file: "symbolon-oidc-bench 1", then the user id, the client secret and the session cookie, a line each. */
static void state_save(const char *path)
{
	FILE *f = fopen(path, "wx"); /* never overwrite: first-user setup cannot be done twice */
	if (!f)
		lg_die("cannot create %s: %s", path, strerror(errno));
	fprintf(f, "symbolon-oidc-bench 1\n%s\n%s\n%s\n", g_user_id, g_secret, g_session);
	if (fclose(f) != 0)
		lg_die("cannot write %s", path);
}

static void state_load(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		lg_die("cannot open %s: %s (prepare the server with -S first)", path, strerror(errno));
	char magic[64];
	if (!lg_read_line(f, magic, sizeof magic) || strcmp(magic, "symbolon-oidc-bench 1") != 0 ||
	    !lg_read_line(f, g_user_id, sizeof g_user_id) || !lg_read_line(f, g_secret, sizeof g_secret) ||
	    !lg_read_line(f, g_session, sizeof g_session))
		lg_die("%s is not a state file of this tool", path);
	fclose(f);
	basic_header();
}

/* ------------------------------------------------------------------ connections */
enum { E_AUTHORIZE, E_TOKEN, E_USERINFO, E_TRANSPORT, E_KINDS };
static const char *const kind_name[E_KINDS] = {"GET /authorize", "POST /api/oidc/token", "GET /api/oidc/userinfo",
                                               "transport (connect, reset, timeout, malformed response)"};
_Static_assert(E_KINDS <= LG_KINDS, "struct lg_stats counts LG_KINDS kinds");

const struct lg_tool lg_tool = {
        .name = "oidc_login",
        .usage = "usage: oidc_login -S -s FILE -K API_KEY http://IPV4:PORT    prepare an empty server\n"
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
                 "  -T MS     per-request timeout (default 10000)\n",
        .kinds = E_KINDS,
        .kind_name = kind_name,
};

static bool g_cc; /* -m cc: client_credentials grants instead of logins */

enum { C_DOWN = LG_DOWN, C_AUTHORIZE, C_TOKEN, C_USERINFO, C_CC };

struct conn {
	struct lg_conn io; /* first: epoll hands back &io, which is the conn */
	struct flow flow;
};

struct worker {
	struct lg_worker lg;
	struct conn *conns;
	int nconns;
};

static void begin_op(struct worker *w, struct conn *c)
{
	if (!lg_running())
		return;
	c->io.t_op = lg_now_ns();
	if (g_cc)
		lg_send(&w->lg, &c->io, C_CC, (size_t)cc_request(c->io.out, sizeof c->io.out));
	else
		lg_send(&w->lg, &c->io, C_AUTHORIZE, (size_t)authorize_request(&c->flow, c->io.out, sizeof c->io.out));
}

static void conn_open(struct worker *w, struct conn *c)
{
	if (lg_conn_open(&w->lg, &c->io))
		begin_op(w, c);
}

static void op_done(struct worker *w, struct conn *c)
{
	if (atomic_load_explicit(&lg_phase, memory_order_relaxed) == LG_MEASURE)
		lg_record(&w->lg.st[LG_MEASURE], (lg_now_ns() - c->io.t_op) / 1000);
	begin_op(w, c);
}

/* A whole response to the request in flight: check it, then the next step. */
static void on_response(struct worker *w, struct conn *c, const struct lg_resp *r)
{
	const char *why, *in = c->io.in;
	char *out = c->io.out;
	int kind;
	switch (c->io.st) {
	case C_AUTHORIZE:
		kind = E_AUTHORIZE;
		if (!(why = authorize_check(&c->flow, in, r))) {
			lg_send(&w->lg, &c->io, C_TOKEN, (size_t)code_request(&c->flow, out, sizeof c->io.out));
			return;
		}
		break;
	case C_TOKEN:
		kind = E_TOKEN;
		if (!(why = code_check(&c->flow, in, r))) {
			lg_send(&w->lg, &c->io, C_USERINFO, (size_t)userinfo_request(&c->flow, out, sizeof c->io.out));
			return;
		}
		break;
	case C_USERINFO:
		kind = E_USERINFO;
		if (!(why = userinfo_check(in, r))) {
			op_done(w, c);
			return;
		}
		break;
	case C_CC:
		kind = E_TOKEN;
		if (!(why = token_check(NULL, in, r))) {
			op_done(w, c);
			return;
		}
		break;
	default: lg_transport_error(&w->lg, &c->io, "response without a request"); return;
	}
	if (lg_running()) {
		struct lg_stats *s = lg_stats_now(&w->lg);
		s->errors[kind]++;
		s->status[kind][r->status]++;
		lg_sample_error(kind, r->status, why, in + r->head_len, r->body_len);
	}
	begin_op(w, c); /* a failed step abandons the login: the next starts from /authorize */
}

static void conn_read(struct worker *w, struct conn *c)
{
	struct lg_resp r;
	if (lg_conn_read(&w->lg, &c->io, &r) != 1)
		return;
	on_response(w, c, &r);
	if (r.close && c->io.fd >= 0) { /* the server said Connection: close: reconnect now */
		lg_conn_close(&w->lg, &c->io, lg_now_ns());
		if (lg_running())
			conn_open(w, c);
	}
}

/* Every 100 ms: time out stuck requests, reconnect closed connections. */
static void conn_timers(struct worker *w)
{
	uint64_t t = lg_now_ns();
	for (int i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];
		if (c->io.deadline > t)
			continue;
		if (c->io.st == C_DOWN)
			conn_open(w, c);
		else
			lg_transport_error(&w->lg, &c->io, "request timed out");
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->lg.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->lg.epfd < 0)
		lg_die("epoll_create1: %s", strerror(errno));
	for (int i = 0; i < w->nconns; i++) {
		w->conns[i].io.fd = -1;
		conn_open(w, &w->conns[i]);
	}
	struct epoll_event evs[256];
	uint64_t next_timer = lg_now_ns() + 100000000u;
	while (lg_running()) {
		int n = epoll_wait(w->lg.epfd, evs, 256, 100);
		if (n < 0 && errno != EINTR)
			lg_die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c->io.fd < 0)
				continue; /* closed by an earlier event of this batch */
			if (evs[i].events & EPOLLOUT)
				lg_conn_flush(&w->lg, &c->io);
			if (c->io.fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				conn_read(w, c);
		}
		uint64_t t = lg_now_ns();
		if (t >= next_timer) {
			conn_timers(w);
			next_timer = t + 100000000u;
		}
	}
	for (int i = 0; i < w->nconns; i++)
		lg_conn_close(&w->lg, &w->conns[i].io, 0);
	close(w->lg.epfd);
	return NULL;
}

/* ------------------------------------------------------------------ CPU time */

/* A PostgreSQL cluster's CPU in seconds: the postmaster, its live children (the
 * backends, the checkpointer, ...) and the children it has reaped. */
static double tree_cpu_s(int root)
{
	unsigned long long ppid, t[4], sum;
	if (!lg_proc_stat(root, &ppid, t))
		lg_die("cannot read /proc/%d/stat", root);
	sum = t[0] + t[1] + t[2] + t[3];
	DIR *d = opendir("/proc");
	if (!d)
		lg_die("cannot list /proc");
	for (struct dirent *e; (e = readdir(d));) {
		int pid = (int)strtol(e->d_name, NULL, 10);
		if (pid > 0 && pid != root && lg_proc_stat(pid, &ppid, t) && ppid == (unsigned long long)root)
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
		lg_die("cannot read /proc/stat");
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
		lg_die("no line for CPU %d in /proc/stat", cpu);
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
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
	        .server = wt->server ? lg_proc_cpu_s(wt->server) : 0,
	        .db = wt->db ? tree_cpu_s(wt->db) : 0,
	        .busy = wt->cpu >= 0 ? cpu_busy_s(wt->cpu) : 0,
	        .self = lg_self_cpu_s(),
	};
}

/* ------------------------------------------------------------------ report */
static void report(const char *what, const struct lg_stats *meas, const struct lg_stats *warm, double secs,
                   const struct watch *wt, const struct sample *a, const struct sample *b, int nconns, int nthreads,
                   double warmup)
{
	double rate = (double)meas->ops / secs;
	uint64_t errs = lg_total_errors(meas), werrs = lg_total_errors(warm);
	printf("%s: %" PRIu64 " in %.2f s = %.1f/s (%d connections, %d thread%s, warm-up %.0f s)\n", what, meas->ops,
	       secs, rate, nconns, nthreads, nthreads == 1 ? "" : "s", warmup);
	printf("latency of one (%s): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       g_cc ? "a token request" : "authorize + token + userinfo", lg_percentile_ms(meas, 0.5),
	       lg_percentile_ms(meas, 0.9), lg_percentile_ms(meas, 0.99), (double)meas->max_us / 1000);
	printf("errors: %" PRIu64 " while measuring, %" PRIu64 " during warm-up\n", errs, werrs);
	lg_print_errors("measured", meas);
	lg_print_errors("warm-up", warm);
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
	       g_cc ? "cc" : "login", meas->ops, secs, rate, lg_percentile_ms(meas, 0.5), lg_percentile_ms(meas, 0.9),
	       lg_percentile_ms(meas, 0.99), (double)meas->max_us / 1000, errs, werrs, srv, db, side * per, db * per,
	       100 * side / secs, others, 100 * (b->self - a->self) / secs, nconns, nthreads);
}

/* ------------------------------------------------------------------ main */
static void parse_url(const char *url, const char *host)
{
	unsigned port = lg_parse_url(url);
	if (host)
		snprintf(lg_host, sizeof lg_host, "%s", host);
	else
		snprintf(lg_host, sizeof lg_host, "localhost:%u", port);
	if (!lg_host_ok(lg_host))
		lg_die("-o must be host[:port]");
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
		case 'c': nconns = (int)lg_num(optarg, 1, LG_MAX_CONNS); break;
		case 't': nthreads = (int)lg_num(optarg, 1, LG_MAX_THREADS); break;
		case 'd': duration = lg_num(optarg, 0.1, 86400); break;
		case 'w': warmup = lg_num(optarg, 0, 86400); break;
		case 'o': host = optarg; break;
		case 's': state = optarg; break;
		case 'K': api_key = optarg; break;
		case 'P': wt.server = (int)lg_num(optarg, 1, 1 << 30); break;
		case 'D': wt.db = (int)lg_num(optarg, 1, 1 << 30); break;
		case 'B': wt.cpu = (int)lg_num(optarg, 0, 4095); break;
		case 'T': lg_timeout_ms = (int)lg_num(optarg, 1, 600000); break;
		default: lg_usage();
		}
	}
	if (optind != argc - 1 || !state || prep == !!mode || (prep && !api_key) ||
	    (mode && strcmp(mode, "login") != 0 && strcmp(mode, "cc") != 0))
		lg_usage();
	g_cc = mode && strcmp(mode, "cc") == 0;
	if (nthreads > nconns)
		nthreads = nconns;
	parse_url(argv[optind], host);
	g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!g_sha256)
		lg_die("no SHA-256");

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
	static struct lg_stats warm, meas;
	if (!ws || !cs)
		lg_die("out of memory");
	atomic_store(&lg_phase, warmup > 0 ? LG_WARMUP : LG_MEASURE);
	uint64_t t0 = lg_now_ns();
	struct sample a = take_sample(&wt);
	for (int i = 0, off = 0; i < nthreads; i++) {
		ws[i].conns = cs + off;
		ws[i].nconns = nconns / nthreads + (i < nconns % nthreads);
		off += ws[i].nconns;
		if (pthread_create(&ws[i].lg.tid, NULL, worker_main, &ws[i]) != 0)
			lg_die("pthread_create failed");
	}
	if (warmup > 0) {
		lg_sleep_until(t0 + (uint64_t)(warmup * 1e9));
		a = take_sample(&wt);
		t0 = lg_now_ns();
		atomic_store(&lg_phase, LG_MEASURE);
	}
	lg_sleep_until(t0 + (uint64_t)(duration * 1e9));
	atomic_store(&lg_phase, LG_DONE);
	uint64_t t1 = lg_now_ns();
	struct sample b = take_sample(&wt);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(ws[i].lg.tid, NULL);
		lg_merge(&warm, &ws[i].lg.st[LG_WARMUP]);
		lg_merge(&meas, &ws[i].lg.st[LG_MEASURE]);
	}
	report(g_cc ? "client_credentials grants" : "complete logins", &meas, &warm, (double)(t1 - t0) / 1e9, &wt, &a,
	       &b, nconns, nthreads, warmup);
	free(ws);
	free(cs);
	EVP_MD_free(g_sha256);
	if (meas.ops == 0)
		return 2;
	return lg_total_errors(&meas) ? 1 : 0;
}
