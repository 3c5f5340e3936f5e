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
 *   That plumbing, and HTTP/1.1 parsed only as far as needed, is
 *   bench/loadgen.c, shared with bench/oidc_login.c. JSON is searched for the
 *   few string fields we need ("challenge", "id"); the server's own tests
 *   check its JSON, this is a load generator.
 * - The signature counter is always 0, as for synced passkeys (WebAuthn L3
 *   §6.1.1): with many concurrent logins on one credential a growing counter
 *   would race (a login that is signed first may finish second and be refused).
 * - The signature is ECDSA over SHA-256(authenticatorData || SHA-256(clientData)),
 *   hashed here and signed with EVP_PKEY_sign on a context made once per thread,
 *   so the client spends about one P-256 sign per login.
 *
 * Build: cc -O2 -o passkey_login bench/passkey_login.c bench/loadgen.c $(pkg-config --cflags --libs openssl) -pthread
 */
#define _GNU_SOURCE
#include "loadgen.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* ------------------------------------------------------------------ limits */
#define SESSION_MAX   256  /* session cookie value (a sealed ceremony, about 160 characters) */
#define CHALLENGE_MAX 128  /* base64url challenge as sent (32 bytes -> 43 chars) */
#define TOKEN_MAX     8192 /* access_token cookie value (setup only) */
#define FIELD_MAX     512  /* other strings taken from JSON (user.id, rp.id) */
#define CRED_ID_LEN   32

#define COOKIE_SESSION "session" /* cookie names for an http:// APP_URL (no __Host- prefix) */
#define COOKIE_TOKEN   "access_token"

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
		lg_die("SHA-256 failed");
}

/* ------------------------------------------------------------------ JSON */
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
static char g_origin[256]; /* origin in client data, e.g. http://localhost:1411 */

/* ------------------------------------------------------------------ credential */
struct cred {
	EVP_PKEY *key;
	char id[CRED_ID_LEN * 2];    /* base64url credential id */
	char user_handle[FIELD_MAX]; /* base64url user handle (the user's id) */
	char rp_id[FIELD_MAX];
	uint8_t rp_hash[32];
};
/* Appends n bytes at buf + *len (the callers size buf for what they put). */
static void put(uint8_t *buf, size_t *len, const void *p, size_t n)
{
	memcpy(buf + *len, p, n);
	*len += n;
}

/* First-user setup, then one passkey registration with attestation "none". */
static void cred_register(struct cred *c)
{
	static char buf[LG_IN_CAP], req[LG_OUT_CAP + TOKEN_MAX], token[TOKEN_MAX], session[SESSION_MAX];
	static const char setup[] = "{\"username\":\"bench\",\"email\":\"bench@example.com\",\"firstName\":\"Bench\","
	                            "\"lastName\":\"User\"}";
	struct lg_resp r;
	int n = snprintf(
	        req, sizeof req,
	        "POST /api/signup/setup HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nContent-Type: application/json\r\n"
	        "Content-Length: %zu\r\n\r\n%s",
	        lg_host, g_origin, strlen(setup), setup);
	lg_http_once(req, (size_t)n, buf, sizeof buf, &r);
	if (r.status == 409)
		lg_die("POST /api/signup/setup: 409, the server already has its first user; start from an empty "
		       "database "
		       "or pass -s with the state file of the run that registered the passkey");
	lg_expect_status("POST /api/signup/setup", &r, buf, 200);
	if (!lg_set_cookie(buf, r.head_len, COOKIE_TOKEN, token, sizeof token))
		lg_die("POST /api/signup/setup: no %s cookie", COOKIE_TOKEN);

	n = snprintf(req, sizeof req, "GET /api/webauthn/register/start HTTP/1.1\r\nHost: %s\r\nCookie: %s=%s\r\n\r\n",
	             lg_host, COOKIE_TOKEN, token);
	if (n < 0 || (size_t)n >= sizeof req)
		lg_die("request too long");
	lg_http_once(req, (size_t)n, buf, sizeof buf, &r);
	lg_expect_status("GET /api/webauthn/register/start", &r, buf, 200);
	if (!lg_set_cookie(buf, r.head_len, COOKIE_SESSION, session, sizeof session))
		lg_die("GET /api/webauthn/register/start: no %s cookie", COOKIE_SESSION);
	const char *body = buf + r.head_len, *obj;
	size_t objlen;
	char challenge[CHALLENGE_MAX];
	if (!lg_json_str(body, r.body_len, "challenge", challenge, sizeof challenge) ||
	    !json_obj(body, r.body_len, "user", &obj, &objlen) ||
	    !lg_json_str(obj, objlen, "id", c->user_handle, sizeof c->user_handle) ||
	    !json_obj(body, r.body_len, "rp", &obj, &objlen) ||
	    !lg_json_str(obj, objlen, "id", c->rp_id, sizeof c->rp_id))
		lg_die("GET /api/webauthn/register/start: no challenge, user.id or rp.id in %.300s", body);

	/* the authenticator: a new P-256 key and a random credential id */
	c->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!c->key)
		lg_die("P-256 key generation failed");
	uint8_t pub[65], id[CRED_ID_LEN];
	size_t publen = 0;
	if (!EVP_PKEY_get_octet_string_param(c->key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &publen) ||
	    publen != 65 || pub[0] != 4)
		lg_die("cannot read the public key as an uncompressed point");
	if (RAND_bytes(id, sizeof id) != 1)
		lg_die("RAND_bytes failed");
	lg_b64url(id, sizeof id, c->id);
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
		lg_die("client data over %zu bytes", sizeof cd);
	lg_b64url((const uint8_t *)cd, (size_t)cdlen, cd64);
	lg_b64url(ao, aolen, ao64);
	char json[2048];
	int jl = snprintf(
	        json, sizeof json,
	        "{\"id\":\"%s\",\"rawId\":\"%s\",\"type\":\"public-key\",\"response\":{\"clientDataJSON\":\"%s\","
	        "\"attestationObject\":\"%s\",\"transports\":[\"internal\"]},\"clientExtensionResults\":{},"
	        "\"authenticatorAttachment\":\"platform\"}",
	        c->id, c->id, cd64, ao64);
	if (jl < 0 || (size_t)jl >= sizeof json)
		lg_die("registration body too long");
	n = snprintf(req, sizeof req,
	             "POST /api/webauthn/register/finish HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\n"
	             "Content-Type: application/json\r\nCookie: %s=%s; %s=%s\r\nContent-Length: %d\r\n\r\n%s",
	             lg_host, g_origin, COOKIE_SESSION, session, COOKIE_TOKEN, token, jl, json);
	if (n < 0 || (size_t)n >= sizeof req)
		lg_die("request too long");
	lg_http_once(req, (size_t)n, buf, sizeof buf, &r);
	lg_expect_status("POST /api/webauthn/register/finish", &r, buf, 200);
}

/* State file: lets a second run (another warm-up, another duration) log in with
 * the passkey registered by the first, since first-user setup works only once.
 *   symbolon-passkey-bench 1 / credential-id / user-handle / rp-id lines, then the PEM key. */
static void cred_save(const struct cred *c, const char *path)
{
	FILE *f = fopen(path, "wx"); /* never overwrite: it is the only key for that server's passkey */
	if (!f)
		lg_die("cannot create %s: %s", path, strerror(errno));
	fprintf(f, "symbolon-passkey-bench 1\n%s\n%s\n%s\n", c->id, c->user_handle, c->rp_id);
	if (!PEM_write_PrivateKey(f, c->key, NULL, NULL, 0, NULL, NULL) || fclose(f) != 0)
		lg_die("cannot write %s", path);
}

static bool cred_load(struct cred *c, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return false;
		lg_die("cannot open %s: %s", path, strerror(errno));
	}
	char magic[64];
	if (!lg_read_line(f, magic, sizeof magic) || strcmp(magic, "symbolon-passkey-bench 1") != 0 ||
	    !lg_read_line(f, c->id, sizeof c->id) || !lg_read_line(f, c->user_handle, sizeof c->user_handle) ||
	    !lg_read_line(f, c->rp_id, sizeof c->rp_id) || !is_b64url(c->id, strlen(c->id)) ||
	    !is_b64url(c->user_handle, strlen(c->user_handle)) || !(c->key = PEM_read_PrivateKey(f, NULL, NULL, NULL)))
		lg_die("%s is not a state file of this tool", path);
	fclose(f);
	sha256(c->rp_id, strlen(c->rp_id), c->rp_hash);
	return true;
}

/* ------------------------------------------------------------------ connections */
enum { E_START, E_FINISH, E_TRANSPORT, E_KINDS };
static const char *const kind_name[E_KINDS] = {"GET /api/webauthn/login/start", "POST /api/webauthn/login/finish",
                                               "transport (connect, reset, timeout, malformed response)"};
_Static_assert(E_KINDS <= LG_KINDS, "struct lg_stats counts LG_KINDS kinds");

const struct lg_tool lg_tool = {
        .name = "passkey_login",
        .usage = "usage: passkey_login [options] http://IPV4:PORT\n"
                 "  -c N      connections (default 16)\n"
                 "  -t N      threads (default 1)\n"
                 "  -d SECS   measured duration (default 10)\n"
                 "  -w SECS   warm-up before it, not counted (default 2)\n"
                 "  -o ORIGIN origin the server expects (its APP_URL; default http://localhost:PORT)\n"
                 "  -s FILE   state file: log in with the passkey saved there; if FILE does not exist,\n"
                 "            register one (first-user setup) and save it there\n"
                 "  -P PID    the server's pid: report its CPU time per login over the measured window\n"
                 "  -T MS     per-request timeout (default 10000)\n"
                 "  -R        register only (with -s), no logins\n",
        .kinds = E_KINDS,
        .kind_name = kind_name,
};

enum { C_DOWN = LG_DOWN, C_START, C_FINISH };

struct worker {
	struct lg_worker lg;
	struct lg_conn *conns;
	int nconns;
	const struct cred *cred;
	EVP_PKEY_CTX *sign; /* EVP_PKEY_sign on a prepared context: no per-login setup */
	char ad64[64];      /* base64url authenticatorData: the same for every login */
	uint8_t ad[37];
};

static void begin_login(struct worker *w, struct lg_conn *c)
{
	if (!lg_running())
		return;
	int n = snprintf(c->out, sizeof c->out, "GET /api/webauthn/login/start HTTP/1.1\r\nHost: %s\r\n\r\n", lg_host);
	c->t_op = lg_now_ns();
	lg_send(&w->lg, c, C_START, (size_t)n);
}

static void conn_open(struct worker *w, struct lg_conn *c)
{
	if (lg_conn_open(&w->lg, c))
		begin_login(w, c);
}

/* The login/start answer: sign an assertion over its challenge and send login/finish. */
static void on_start(struct worker *w, struct lg_conn *c, const struct lg_resp *r)
{
	const char *body = c->in + r->head_len;
	char session[SESSION_MAX], challenge[CHALLENGE_MAX];
	if (!lg_set_cookie(c->in, r->head_len, COOKIE_SESSION, session, sizeof session) ||
	    !lg_json_str(body, r->body_len, "challenge", challenge, sizeof challenge) ||
	    !is_b64url(challenge, strlen(challenge))) {
		lg_transport_error(&w->lg, c, "login/start: 200 without a session cookie or a base64url challenge");
		return;
	}
	const struct cred *k = w->cred;
	char cd[512], cd64[(sizeof cd) * 4 / 3 + 4];
	int cdlen = snprintf(cd, sizeof cd,
	                     "{\"type\":\"webauthn.get\",\"challenge\":\"%s\",\"origin\":\"%s\",\"crossOrigin\":false}",
	                     challenge, g_origin);
	if (cdlen < 0 || (size_t)cdlen >= sizeof cd) /* cannot happen: challenge and origin are capped */
		lg_die("client data over %zu bytes", sizeof cd);
	/* signed message: authenticatorData || SHA-256(clientDataJSON), ECDSA with SHA-256 */
	uint8_t msg[37 + 32], dgst[32], sig[80];
	memcpy(msg, w->ad, 37);
	sha256(cd, (size_t)cdlen, msg + 37);
	sha256(msg, sizeof msg, dgst);
	size_t siglen = sizeof sig;
	if (EVP_PKEY_sign(w->sign, sig, &siglen, dgst, sizeof dgst) != 1)
		lg_die("ECDSA sign failed");
	char sig64[112];
	lg_b64url(sig, siglen, sig64);
	lg_b64url((const uint8_t *)cd, (size_t)cdlen, cd64);

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
	                           lg_host, g_origin, COOKIE_SESSION, session, bl, body_out);
	if (n < 0 || (size_t)n >= sizeof c->out)
		lg_die("login/finish request over %zu bytes", sizeof c->out);
	lg_send(&w->lg, c, C_FINISH, (size_t)n);
}

static void on_response(struct worker *w, struct lg_conn *c, const struct lg_resp *r)
{
	struct lg_stats *s = lg_stats_now(&w->lg);
	int kind = c->st == C_START ? E_START : E_FINISH;
	bool ok = r->status == 200;
	if (ok && kind == E_FINISH && !lg_set_cookie(c->in, r->head_len, COOKIE_TOKEN, NULL, 0)) {
		ok = false; /* a login that does not sign the user in is not a login */
		if (lg_running()) {
			s->errors[E_FINISH]++;
			lg_sample_error(E_FINISH, 200, NULL, "200 without an access_token cookie", 34);
		}
	} else if (!ok && lg_running()) {
		s->errors[kind]++;
		s->status[kind][r->status]++;
		lg_sample_error(kind, r->status, NULL, c->in + r->head_len, r->body_len);
	}
	if (ok && kind == E_START) {
		on_start(w, c, r);
	} else {
		if (ok && atomic_load_explicit(&lg_phase, memory_order_relaxed) == LG_MEASURE)
			lg_record(s, (lg_now_ns() - c->t_op) / 1000);
		begin_login(w, c);
	}
}

static void conn_read(struct worker *w, struct lg_conn *c)
{
	struct lg_resp r;
	if (lg_conn_read(&w->lg, c, &r) != 1)
		return;
	on_response(w, c, &r);
	if (r.close && c->fd >= 0) { /* the server said Connection: close: reconnect now */
		lg_conn_close(&w->lg, c, lg_now_ns());
		if (lg_running())
			conn_open(w, c);
	}
}

/* Every 100 ms: time out stuck requests, reconnect closed connections. */
static void conn_timers(struct worker *w)
{
	uint64_t t = lg_now_ns();
	for (int i = 0; i < w->nconns; i++) {
		struct lg_conn *c = &w->conns[i];
		if (c->deadline > t)
			continue;
		if (c->st == C_DOWN)
			conn_open(w, c);
		else
			lg_transport_error(&w->lg, c, "request timed out");
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->lg.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->lg.epfd < 0)
		lg_die("epoll_create1: %s", strerror(errno));
	w->sign = EVP_PKEY_CTX_new_from_pkey(NULL, w->cred->key, NULL);
	if (!w->sign || EVP_PKEY_sign_init(w->sign) != 1 || EVP_PKEY_CTX_set_signature_md(w->sign, g_sha256) != 1)
		lg_die("cannot set up ECDSA signing");
	/* authenticatorData for every login: rpIdHash, flags UP|UV, counter 0 (see the top comment) */
	memcpy(w->ad, w->cred->rp_hash, 32);
	w->ad[32] = 0x05;
	memset(w->ad + 33, 0, 4);
	lg_b64url(w->ad, sizeof w->ad, w->ad64);

	for (int i = 0; i < w->nconns; i++) {
		w->conns[i].fd = -1;
		conn_open(w, &w->conns[i]);
	}
	struct epoll_event evs[256];
	uint64_t next_timer = lg_now_ns() + 100000000u;
	while (lg_running()) {
		int n = epoll_wait(w->lg.epfd, evs, 256, 100);
		if (n < 0 && errno != EINTR)
			lg_die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct lg_conn *c = evs[i].data.ptr;
			if (c->fd < 0)
				continue; /* closed by an earlier event of this batch */
			if (evs[i].events & EPOLLOUT)
				lg_conn_flush(&w->lg, c);
			if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				conn_read(w, c);
		}
		uint64_t t = lg_now_ns();
		if (t >= next_timer) {
			conn_timers(w);
			next_timer = t + 100000000u;
		}
	}
	for (int i = 0; i < w->nconns; i++)
		lg_conn_close(&w->lg, &w->conns[i], 0);
	close(w->lg.epfd);
	EVP_PKEY_CTX_free(w->sign);
	return NULL;
}

/* ------------------------------------------------------------------ main */
int main(int argc, char **argv)
{
	int nconns = 16, nthreads = 1, server_pid = 0;
	double duration = 10, warmup = 2;
	const char *state = NULL, *origin = NULL;
	bool register_only = false;
	for (int o; (o = getopt(argc, argv, "c:t:d:w:o:s:P:T:R")) != -1;) {
		switch (o) {
		case 'c': nconns = (int)lg_num(optarg, 1, LG_MAX_CONNS); break;
		case 't': nthreads = (int)lg_num(optarg, 1, LG_MAX_THREADS); break;
		case 'd': duration = lg_num(optarg, 0.1, 86400); break;
		case 'w': warmup = lg_num(optarg, 0, 86400); break;
		case 'o': origin = optarg; break;
		case 's': state = optarg; break;
		case 'P': server_pid = (int)lg_num(optarg, 1, 1 << 30); break;
		case 'T': lg_timeout_ms = (int)lg_num(optarg, 1, 600000); break;
		case 'R': register_only = true; break;
		default: lg_usage();
		}
	}
	if (optind != argc - 1 || (register_only && !state))
		lg_usage();
	if (nthreads > nconns)
		nthreads = nconns;

	unsigned port = lg_parse_url(argv[optind]);
	if (origin)
		snprintf(g_origin, sizeof g_origin, "%s", origin);
	else
		snprintf(g_origin, sizeof g_origin, "http://localhost:%u", port);
	/* it goes into JSON and a header verbatim */
	if (strncmp(g_origin, "http://", 7) != 0 || !g_origin[7] || strlen(g_origin) >= sizeof g_origin - 1 ||
	    !lg_host_ok(g_origin + 7))
		lg_die("origin must look like http://HOST[:PORT] (cookie names here are those of an http APP_URL)");
	snprintf(lg_host, sizeof lg_host, "%s", g_origin + 7);

	g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!g_sha256)
		lg_die("no SHA-256");

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
	struct lg_conn *cs = calloc((size_t)nconns, sizeof *cs);
	static struct lg_stats warm, meas;
	if (!ws || !cs)
		lg_die("out of memory");
	atomic_store(&lg_phase, warmup > 0 ? LG_WARMUP : LG_MEASURE);
	uint64_t t_begin = lg_now_ns();
	double cpu0 = 0, self0 = lg_self_cpu_s();
	if (warmup <= 0 && server_pid)
		cpu0 = lg_proc_cpu_s(server_pid);
	for (int i = 0, off = 0; i < nthreads; i++) {
		ws[i].cred = &cred;
		ws[i].conns = cs + off;
		ws[i].nconns = nconns / nthreads + (i < nconns % nthreads);
		off += ws[i].nconns;
		if (pthread_create(&ws[i].lg.tid, NULL, worker_main, &ws[i]) != 0)
			lg_die("pthread_create failed");
	}
	uint64_t t0 = t_begin;
	if (warmup > 0) {
		lg_sleep_until(t_begin + (uint64_t)(warmup * 1e9));
		if (server_pid)
			cpu0 = lg_proc_cpu_s(server_pid);
		self0 = lg_self_cpu_s();
		t0 = lg_now_ns();
		atomic_store(&lg_phase, LG_MEASURE);
	}
	lg_sleep_until(t0 + (uint64_t)(duration * 1e9));
	atomic_store(&lg_phase, LG_DONE);
	uint64_t t1 = lg_now_ns();
	double cpu1 = server_pid ? lg_proc_cpu_s(server_pid) : 0, self1 = lg_self_cpu_s();
	for (int i = 0; i < nthreads; i++) {
		pthread_join(ws[i].lg.tid, NULL);
		lg_merge(&warm, &ws[i].lg.st[LG_WARMUP]);
		lg_merge(&meas, &ws[i].lg.st[LG_MEASURE]);
	}

	double secs = (double)(t1 - t0) / 1e9, rate = (double)meas.ops / secs;
	uint64_t errs = lg_total_errors(&meas), werrs = lg_total_errors(&warm);
	printf("passkey logins: %" PRIu64 " in %.2f s = %.1f logins/s (%d connections, %d thread%s, warm-up %.0f s)\n",
	       meas.ops, secs, rate, nconns, nthreads, nthreads == 1 ? "" : "s", warmup);
	printf("latency of a login (start + finish): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
	       lg_percentile_ms(&meas, 0.5), lg_percentile_ms(&meas, 0.9), lg_percentile_ms(&meas, 0.99),
	       (double)meas.max_us / 1000);
	printf("errors: %" PRIu64 " while measuring, %" PRIu64 " during warm-up\n", errs, werrs);
	lg_print_errors("measured", &meas);
	lg_print_errors("warm-up", &warm);
	double srv_us = 0, srv_busy = 0, cli_busy = 100 * (self1 - self0) / secs;
	if (server_pid) {
		srv_busy = 100 * (cpu1 - cpu0) / secs;
		srv_us = meas.ops ? (cpu1 - cpu0) * 1e6 / (double)meas.ops : 0;
		printf("server CPU: %.2f s in %.2f s (%.0f%% of a core) = %.1f µs per login\n", cpu1 - cpu0, secs,
		       srv_busy, srv_us);
	}
	printf("generator CPU: %.0f%% of a core\n", cli_busy);
	printf("RESULT logins=%" PRIu64 " seconds=%.3f rate=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	       "errors=%" PRIu64 " warmup_errors=%" PRIu64 " server_cpu_s=%.2f server_us_per_login=%.1f "
	       "server_busy=%.0f client_busy=%.0f connections=%d threads=%d\n",
	       meas.ops, secs, rate, lg_percentile_ms(&meas, 0.5), lg_percentile_ms(&meas, 0.9),
	       lg_percentile_ms(&meas, 0.99), (double)meas.max_us / 1000, errs, werrs, cpu1 - cpu0, srv_us, srv_busy,
	       cli_busy, nconns, nthreads);
	free(ws);
	free(cs);
	EVP_PKEY_free(cred.key);
	EVP_MD_free(g_sha256);
	if (meas.ops == 0)
		return 2;
	return errs ? 1 : 0;
}
