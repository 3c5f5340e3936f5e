/*
 * server.c - libmicrohttpd wiring: listeners, the request life cycle, default
 * headers, the access log, read deadlines and graceful shutdown.
 *
 * Life of a request: the first access-handler call (headers complete) creates the
 * http_req and checks Content-Length against the route's limit; later calls
 * collect the body; the last call runs the handler and queues the response (never
 * on the first call, which would cost the keep-alive); NOTIFY_COMPLETED writes the
 * access log line and frees the arena.
 *
 * Slow senders: MHD's timeout only measures silence, so a client dribbling a byte
 * every few seconds would hold a connection forever. Each connection carries a
 * deadline for the request being received; a watchdog shuts down the socket of
 * one that misses it. MHD reports NOTIFY_CLOSED before it closes a socket, and the
 * list is only touched under its lock, so the watchdog never acts on a reused fd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define UNMATCHED_BODY_MAX (64u * 1024u) /* read and dropped before the 404 */
#define HEADER_MEMORY      (64u * 1024u)
#define CONNECTION_LIMIT   4096u
#define PEM_MAX            (256u * 1024u)

struct conn_slot {
	struct conn_slot *prev, *next;
	int fd;
	_Atomic int64_t deadline_ms; /* 0: not receiving a request */
};

static struct {
	const struct sy_config *cfg;
	const struct http_route *routes;
	size_t nroutes;
	int64_t read_timeout_ms;
	pthread_mutex_t lock;
	struct conn_slot list; /* sentinel of the connection list */
	atomic_long inflight;
	atomic_bool stopping;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static struct conn_slot *slot_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn_slot *s = sy_calloc(1, sizeof *s);
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		s->fd = ci ? ci->connect_fd : -1;
		atomic_store(&s->deadline_ms, now_ms() + S.read_timeout_ms);
		pthread_mutex_lock(&S.lock);
		s->next = S.list.next;
		s->prev = &S.list;
		S.list.next->prev = s;
		S.list.next = s;
		pthread_mutex_unlock(&S.lock);
		*ctx = s;
	} else if (*ctx) {
		struct conn_slot *s = *ctx;
		pthread_mutex_lock(&S.lock);
		s->prev->next = s->next;
		s->next->prev = s->prev;
		pthread_mutex_unlock(&S.lock);
		free(s);
		*ctx = NULL;
	}
}

static void *watchdog(void *arg)
{
	(void)arg;
	while (!atomic_load(&S.stopping)) {
		struct timespec pause = {0, 250 * 1000000};
		nanosleep(&pause, NULL);
		int64_t now = now_ms();
		pthread_mutex_lock(&S.lock);
		for (struct conn_slot *s = S.list.next; s != &S.list; s = s->next) {
			int64_t d = atomic_load(&s->deadline_ms);
			if (d && now > d && s->fd >= 0) {
				atomic_store(&s->deadline_ms, 0);
				shutdown(s->fd, SHUT_RDWR);
				log_debug("closed a connection that did not send its request within "
				          "REQUEST_READ_TIMEOUT");
			}
		}
		pthread_mutex_unlock(&S.lock);
	}
	return NULL;
}

static enum http_method parse_method(const char *m, bool *head, const char **name)
{
	static const struct {
		const char *name;
		enum http_method m;
	} M[] = {{"GET", HTTP_GET},     {"HEAD", HTTP_GET},      {"POST", HTTP_POST},      {"PUT", HTTP_PUT},
	         {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}, {"OPTIONS", HTTP_OPTIONS}};
	*head = strcmp(m, "HEAD") == 0;
	*name = "OTHER";
	for (size_t i = 0; i < sizeof M / sizeof M[0]; i++)
		if (strcmp(m, M[i].name) == 0) {
			*name = M[i].name;
			return M[i].m;
		}
	return 0;
}

/* Everything the server itself reads from the request headers, collected in
 * one pass over them. */
struct header_scan {
	struct arena *a;
	int host, content_length, transfer_encoding, real_ip, platform;
	const char *first_length, *xff, *real_ip_value, *platform_value;
	bool lengths_differ, coding_unknown;
};

static enum MHD_Result scan_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct header_scan *h = cls;
	const char *v = value ? value : "";
	if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		h->host++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		h->transfer_encoding++;
		h->coding_unknown |= strcasecmp(v, "chunked") != 0;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (h->content_length++ && strcmp(h->first_length, v) != 0)
			h->lengths_differ = true;
		else
			h->first_length = v;
	} else if (strcasecmp(key, "X-Forwarded-For") == 0) {
		/* a proxy may append its own line instead of extending the client's:
		 * all lines, in order, form one list (RFC 9110 §5.3) */
		h->xff = h->xff ? arena_printf(h->a, "%s,%s", h->xff, v) : v;
		if (!h->xff)
			return MHD_NO;
	} else if (strcasecmp(key, "X-Real-IP") == 0) {
		h->real_ip++;
		h->real_ip_value = v;
	} else if (S.cfg->trusted_platform && strcasecmp(key, S.cfg->trusted_platform) == 0) {
		h->platform++;
		h->platform_value = v;
	}
	return MHD_YES;
}

/* A header naming one address is not believed when it is sent twice. */
static void set_client_ip(struct http_req *r, const struct header_scan *h)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	uint8_t peer[16] = {0};
	bool have = false;
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ci->client_addr;
		peer[10] = peer[11] = 0xff;
		memcpy(peer + 12, &in->sin_addr, 4);
		have = true;
	} else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6) {
		memcpy(peer, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, 16);
		have = true;
	}
	http_client_ip(S.cfg, peer, have, h->platform == 1 ? h->platform_value : NULL, h->xff,
	               h->real_ip == 1 ? h->real_ip_value : NULL, r->client_ip, sizeof r->client_ip);
}

/* CORS belongs to the path: an OPTIONS preflight matches no route's method. */
static bool cors_path(struct http_req *r)
{
	if (r->route)
		return r->route->flags & HTTP_ROUTE_CORS;
	if (!r->path)
		return false;
	struct http_header params[HTTP_MAX_PARAMS];
	size_t np;
	const struct http_route *any = http_route_match(&r->arena, S.routes, S.nroutes, r->path, ~0u, params, &np);
	return any && (any->flags & HTTP_ROUTE_CORS);
}

static struct http_req *req_begin(struct MHD_Connection *c, const char *url, const char *method)
{
	struct http_req *r = sy_calloc(1, sizeof *r);
	r->conn = c;
	r->started_ns = now_ns();
	r->method = parse_method(method, &r->head, &r->method_name);
	uuid_v4(r->request_id);
	uint8_t rnd[16];
	sy_random(rnd, sizeof rnd);
	b64url_encode(rnd, sizeof rnd, r->nonce);
	arena_init(&r->arena, 0);
	r->path = arena_strdup(&r->arena, url);
	if (r->path && r->method)
		r->route = http_route_match(&r->arena, S.routes, S.nroutes, r->path, r->method, r->params, &r->nparams);
	r->cors = cors_path(r);
	r->body_max = r->route ? r->route->body_max : UNMATCHED_BODY_MAX;
	/* room for the body on top of the handler's needs: a chunked body grows by
	 * doubling, and the buffers it leaves behind add up to less than 2x its size */
	r->arena.limit += 3 * r->body_max;
	atomic_fetch_add(&S.inflight, 1);
	return r;
}

static void body_append(struct http_req *r, const char *data, size_t n)
{
	if (r->body_too_big || n > r->body_max - r->body_len) {
		r->body_too_big = true;
		return;
	}
	size_t want = r->body_len + n;
	if (!r->body || want > r->body_cap) {
		/* grow geometrically inside the arena; bounded by body_max */
		size_t newcap = want < 1024 ? 1024 : want * 2;
		if (newcap > r->body_max)
			newcap = r->body_max;
		char *nb = arena_alloc(&r->arena, newcap + 1);
		if (!nb) {
			r->body_too_big = true;
			return;
		}
		if (r->body_len)
			memcpy(nb, r->body, r->body_len);
		r->body = nb;
		r->body_cap = newcap;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
}

static bool is_api_path(const char *p)
{
	return strcmp(p, "/api") == 0 || strncmp(p, "/api/", 5) == 0 || strncmp(p, "/.well-known/", 13) == 0;
}

static enum sy_err unmatched(struct http_req *r)
{
	static const char NOT_FOUND[] = "{\"error\":\"API endpoint not found\"}";
	if (is_api_path(r->path) || r->method != HTTP_GET)
		return http_reply(r, 404, "application/json; charset=utf-8", NOT_FOUND, sizeof NOT_FOUND - 1);
	return http_spa(r);
}

/* Pocket ID's general limit covers the API, the authorization endpoint and the
 * well-known documents, not /healthz and not the web app's files. */
static bool limited(struct http_req *r)
{
	return r->path && (is_api_path(r->path) || strcmp(r->path, "/authorize") == 0);
}

static void dispatch(struct http_req *r)
{
	enum sy_err e;
	if (!r->path)
		e = SY_E_TOOBIG;
	else if (r->body_too_big)
		e = SY_E_TOOBIG;
	else if (r->method == HTTP_OPTIONS && r->cors)
		e = http_reply_empty(r, 204);
	else if (r->method != HTTP_OPTIONS && limited(r) && (e = http_ratelimit_api(r)) != SY_OK)
		;
	else if (r->route && r->route->limit && (e = http_ratelimit(r, r->route->limit)) != SY_OK)
		;
	else if (r->route)
		e = r->route->fn(r);
	else
		e = unmatched(r);
	if (e || !r->replied)
		http_render_error(r, e ? e : SY_E_INTERNAL);
}

static bool handler_set(struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return true;
	return false;
}

static enum MHD_Result send_response(struct http_req *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(r->out_len, (void *)r->out, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	char csp[320];
	snprintf(csp, sizeof csp,
	         "default-src 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; "
	         "img-src * blob:;font-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'nonce-%s'",
	         r->nonce);
	MHD_add_response_header(resp, "X-Request-ID", r->request_id);
	if (!handler_set(r, "Content-Security-Policy"))
		MHD_add_response_header(resp, "Content-Security-Policy", csp);
	if (!handler_set(r, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "private, no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->content_type)
		MHD_add_response_header(resp, "Content-Type", r->content_type);
	if (r->cors) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
		MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Authorization");
		MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST");
	}
	for (size_t i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* RFC 9112 framing rules MHD 0.9.75 does not enforce. A message with both
 * Content-Length and Transfer-Encoding could be framed differently by a proxy in
 * front of us (request smuggling), so it is refused and the connection closed. */
static const char *framing_problem(struct http_req *r, const struct header_scan *f, const char *version)
{
	if (f->host == 0 && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
		return "The Host header is required";
	if (f->host > 1)
		return "Only one Host header is allowed";
	if (f->lengths_differ)
		return "Conflicting Content-Length headers";
	if (f->content_length && f->transfer_encoding)
		return "Content-Length and Transfer-Encoding must not both be sent";
	/* MHD would read any other coding as a body lasting until the connection
	 * closes, swallowing the requests a proxy sends after it */
	if (f->transfer_encoding > 1 || f->coding_unknown)
		return "Only Transfer-Encoding: chunked is supported";
	/* an absolute-form target (GET http://host/...) is for proxies, not for us */
	if (r->path && r->path[0] != '/' && !(r->method == HTTP_OPTIONS && strcmp(r->path, "*") == 0))
		return "The request target must be a path";
	return NULL;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)cls;
	struct http_req *r = *con_cls;
	if (!r) {
		*con_cls = r = req_begin(c, url, method);
		struct header_scan h = {.a = &r->arena};
		MHD_get_connection_values(c, MHD_HEADER_KIND, scan_one, &h);
		set_client_ip(r, &h);
		const char *bad = framing_problem(r, &h, version);
		if (bad) {
			http_render_error(r, http_fail(r, SY_E_INVALID, "bad_request", bad));
			http_header_add(r, MHD_HTTP_HEADER_CONNECTION, "close");
			return send_response(r);
		}
		const char *cl = h.first_length;
		long n;
		if (cl && (parse_long(cl, 0, LONG_MAX, &n) || (size_t)n > r->body_max)) {
			/* refuse before reading the body; MHD closes the connection after */
			r->body_too_big = true;
			dispatch(r);
			return send_response(r);
		}
		if (cl && n > 0 && !r->body) {
			/* the announced size, once: no copies while it arrives */
			r->body = arena_alloc(&r->arena, (size_t)n + 1);
			r->body_cap = r->body ? (size_t)n : 0;
		}
		return MHD_YES;
	}
	if (r->replied)
		return MHD_YES; /* an early refusal: discard what still arrives */
	if (*upload_size) {
		body_append(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	struct conn_slot *s = slot_of(c);
	if (s)
		atomic_store(&s->deadline_ms, 0);
	dispatch(r);
	return send_response(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	struct http_req *r = *con_cls;
	if (!r)
		return;
	struct conn_slot *s = slot_of(c);
	if (s)
		atomic_store(&s->deadline_ms, now_ms() + S.read_timeout_ms);
	if (log_enabled(LOG_INFO)) {
		char status[8], ms[24], bytes[24];
		snprintf(status, sizeof status, "%d", r->replied ? r->status : 0);
		snprintf(ms, sizeof ms, "%.3f", (double)(now_ns() - r->started_ns) / 1e6);
		snprintf(bytes, sizeof bytes, "%zu", r->head ? 0 : r->out_len);
		const char *kv[] = {
		        "method",      r->method_name,
		        "status",      status,
		        "duration_ms", ms,
		        "bytes",       bytes,
		        "ip",          r->client_ip,
		        "request_id",  r->request_id,
		        "completed",   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "true" : "false",
		        "path",        r->path ? r->path : "", /* last: the only long, client-chosen value */
		        NULL};
		log_kv(LOG_INFO, "HTTP request", kv);
	}
	atomic_fetch_sub(&S.inflight, 1);
	json_decref(r->err_details);
	arena_release(&r->arena);
	free(r);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

static unsigned pool_size(void)
{
	cpu_set_t set;
	int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 2;
	/* at least 2: one epoll loop alone stalls under many connections */
	return n < 2 ? 2u : n > 16 ? 16u : (unsigned)n;
}

static char *read_pem(const char *path, char *err, size_t errlen, const char *var)
{
	char *buf;
	size_t n;
	enum sy_err e = file_read(path, PEM_MAX, &buf, &n);
	if (e == SY_E_TOOBIG)
		snprintf(err, errlen,
		         "%s=\"%s\" is larger than 256 KiB; it should hold one PEM certificate chain or key", var,
		         path);
	else if (e)
		snprintf(err, errlen, "%s=\"%s\" cannot be read: %s", var, path, strerror(errno));
	return e ? NULL : buf;
}

static int unix_listener(const struct sy_config *cfg, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(cfg->unix_socket) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "UNIX_SOCKET path is longer than %zu bytes", sizeof sa.sun_path - 1);
		return -1;
	}
	strncpy(sa.sun_path, cfg->unix_socket, sizeof sa.sun_path - 1);
	struct stat st;
	if (lstat(cfg->unix_socket, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(cfg->unix_socket); /* a stale socket from a previous run */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    (cfg->unix_socket_mode >= 0 && chmod(cfg->unix_socket, (mode_t)cfg->unix_socket_mode) != 0) ||
	    listen(fd, SOMAXCONN) != 0) {
		snprintf(err, errlen, "cannot listen on UNIX_SOCKET %s: %s", cfg->unix_socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* systemd socket activation: the first passed descriptor is ours (sd_listen_fds). */
static int systemd_listener(char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long p, n;
	if (!pid || !fds || parse_long(pid, 1, LONG_MAX, &p) || p != (long)getpid() || parse_long(fds, 1, 64, &n)) {
		snprintf(err, errlen,
		         "SYSTEMD_SOCKET is set but systemd passed no socket (LISTEN_PID/LISTEN_FDS); "
		         "start Symbolon from a .socket unit or unset SYSTEMD_SOCKET");
		return -1;
	}
	return 3;
}

static void sd_notify_state(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		log_warn("cannot notify systemd: %s", strerror(errno));
	close(fd);
}

struct listener {
	int fd; /* -1: MHD binds host:port itself */
	struct sockaddr_storage addr;
	bool ipv6;
	char *cert, *key;
};

static bool listener_setup(const struct sy_config *cfg, struct listener *l, char *err, size_t errlen)
{
	memset(l, 0, sizeof *l);
	l->fd = -1;
	if (cfg->unix_socket && (l->fd = unix_listener(cfg, err, errlen)) < 0)
		return false;
	if (cfg->systemd_socket && (l->fd = systemd_listener(err, errlen)) < 0)
		return false;
	if (l->fd < 0) {
		struct sockaddr_in *in = (struct sockaddr_in *)&l->addr;
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&l->addr;
		if (inet_pton(AF_INET, cfg->host, &in->sin_addr) == 1) {
			in->sin_family = AF_INET;
			in->sin_port = htons((uint16_t)cfg->port);
		} else if (inet_pton(AF_INET6, cfg->host, &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons((uint16_t)cfg->port);
			l->ipv6 = true;
		} else {
			snprintf(err, errlen,
			         "config error: HOST=\"%s\" is not an IP address; use e.g. 0.0.0.0, 127.0.0.1 or ::",
			         cfg->host);
			return false;
		}
	}
	if (cfg->tls_cert) {
		l->cert = sy_strdup(cfg->tls_cert);
		l->key = sy_strdup(cfg->tls_key);
	} else if (cfg->tls_cert_file) {
		l->cert = read_pem(cfg->tls_cert_file, err, errlen, "TLS_CERT_FILE");
		l->key = l->cert ? read_pem(cfg->tls_key_file, err, errlen, "TLS_KEY_FILE") : NULL;
		if (!l->key)
			return false;
	}
	if (l->cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "TLS was asked for but this libmicrohttpd has no TLS support");
		return false;
	}
	return true;
}

static void listener_free(const struct sy_config *cfg, struct listener *l)
{
	if (l->key)
		explicit_bzero(l->key, strlen(l->key));
	free(l->cert);
	free(l->key);
	if (cfg->unix_socket)
		unlink(cfg->unix_socket);
}

static struct MHD_Daemon *start_daemon(const struct sy_config *cfg, struct listener *l)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (l->ipv6)
		flags |= MHD_USE_IPv6;
	if (l->cert)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem ops[20];
	size_t n = 0;
#define OPT(o, v, p) ops[n++] = (struct MHD_OptionItem){o, (intptr_t)(v), (void *)(p)}
	OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL); /* first, so MHD's own messages use it */
	OPT(MHD_OPTION_THREAD_POOL_SIZE, pool_size(), NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, cfg->read_timeout, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, HEADER_MEMORY, NULL);
	/* Level 1 would make MHD refuse a missing Host itself, with a malformed
	 * response (0.9.75 sends its error headers twice); we refuse it in
	 * framing_problem() instead. */
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 0, NULL);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL);
	if (l->fd >= 0)
		OPT(MHD_OPTION_LISTEN_SOCKET, l->fd, NULL);
	else
		OPT(MHD_OPTION_SOCK_ADDR, 0, &l->addr);
	if (l->cert) {
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, l->cert);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, l->key);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	return MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_access, NULL, MHD_OPTION_ARRAY, ops,
	                        MHD_OPTION_END);
}

static void drain(struct MHD_Daemon *d, long seconds)
{
	MHD_socket fd = MHD_quiesce_daemon(d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd); /* no new connections from here on */
	int64_t until = now_ms() + seconds * 1000;
	while (atomic_load(&S.inflight) > 0 && now_ms() < until) {
		struct timespec pause = {0, 20 * 1000000};
		nanosleep(&pause, NULL);
	}
	long left = atomic_load(&S.inflight);
	if (left)
		log_warn("stopping with %ld request(s) still in flight after SHUTDOWN_DRAIN_TIMEOUT", left);
}

enum sy_err http_serve(const struct sy_config *cfg, const struct http_route *routes, size_t nroutes, char *err,
                       size_t errlen)
{
	S.cfg = cfg;
	S.routes = routes;
	S.nroutes = nroutes;
	S.read_timeout_ms = cfg->read_timeout * 1000;
	S.list.next = S.list.prev = &S.list;
	atomic_store(&S.stopping, false);

	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* inherited by every thread started below */
	signal(SIGPIPE, SIG_IGN);

	struct listener l;
	if (!listener_setup(cfg, &l, err, errlen)) {
		listener_free(cfg, &l);
		return SY_E_CONFIG;
	}
	struct MHD_Daemon *d = start_daemon(cfg, &l);
	if (!d) {
		snprintf(err, errlen, "cannot listen on %s:%ld (is the port in use? set PORT or HOST)",
		         cfg->unix_socket ? cfg->unix_socket : cfg->host, cfg->port);
		listener_free(cfg, &l);
		return SY_E_IO;
	}
	pthread_t wd;
	pthread_create(&wd, NULL, watchdog, NULL);
	if (cfg->unix_socket)
		log_info("listening on unix:%s", cfg->unix_socket);
	else if (cfg->systemd_socket)
		log_info("listening on the socket passed by systemd");
	else
		log_info("listening on %s://%s:%ld", l.cert ? "https" : "http", cfg->host, cfg->port);
	sd_notify_state("READY=1");

	int sig = 0;
	sigwait(&sigs, &sig);
	log_info("received %s; finishing requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify_state("STOPPING=1");
	drain(d, cfg->drain_timeout);
	MHD_stop_daemon(d);
	atomic_store(&S.stopping, true);
	pthread_join(wd, NULL);
	listener_free(cfg, &l);
	log_info("stopped");
	return SY_OK;
}
