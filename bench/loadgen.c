/*
 * bench/loadgen.c - the plumbing the load generators share (see loadgen.h).
 *
 * HTTP/1.1 is parsed by hand and only as far as they need: the status, the
 * Content-Length framing (the server never sends us chunked bodies, and a
 * response without a length is refused as a protocol error), Connection:
 * close, and Set-Cookie values. JSON is searched for a few string fields; the
 * server's own tests check its JSON, these are load generators. Every buffer
 * has a fixed cap and overflows are errors.
 */
#define _GNU_SOURCE
#include "loadgen.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ERROR_SAMPLES 5 /* error answers printed (the first 300 bytes of the body) */

void lg_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", lg_tool.name);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(2);
}

void lg_usage(void)
{
	fputs(lg_tool.usage, stderr);
	exit(2);
}

double lg_num(const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v >= lo && v <= hi))
		lg_usage();
	return v;
}

uint64_t lg_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void lg_sleep_until(uint64_t t)
{
	for (uint64_t n; (n = lg_now_ns()) < t;) { /* nanosleep may return early */
		uint64_t d = t - n;
		struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
		nanosleep(&ts, NULL);
	}
}

const char lg_b64url_alphabet[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t lg_b64url(const uint8_t *p, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v =
		        (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		size_t chars = n - i >= 3 ? 4 : n - i + 1;
		for (size_t k = 0; k < chars; k++)
			out[o++] = lg_b64url_alphabet[v >> (18 - 6 * k) & 63];
	}
	out[o] = '\0';
	return o;
}

bool lg_read_line(FILE *f, char *out, size_t cap)
{
	if (!fgets(out, (int)cap, f))
		return false;
	size_t n = strlen(out);
	if (n < 2 || out[n - 1] != '\n') /* empty, or cut at cap */
		return false;
	out[n - 1] = '\0';
	return true;
}

/* ------------------------------------------------------------------ HTTP */
struct sockaddr_in lg_addr;
char lg_host[256];
int lg_timeout_ms = 10000;

/* Plain HTTP/1.1 to a loopback server only: no name lookups, no TLS. */
unsigned lg_parse_url(const char *url)
{
	char ip[64];
	unsigned port;
	int used = 0;
	if (sscanf(url, "http://%63[0-9.]:%u%n", ip, &port, &used) != 2 ||
	    (url[used] && strcmp(url + used, "/") != 0) || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, ip, &lg_addr.sin_addr) != 1)
		lg_usage();
	lg_addr.sin_family = AF_INET;
	lg_addr.sin_port = htons((uint16_t)port);
	return port;
}

bool lg_host_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-:[]", *s))
			return false;
	return true;
}

/* The response at the start of buf[0..n): 1 when complete (head and body in
 * buf), 0 when more bytes are needed, -1 when malformed or over cap (*why says). */
int lg_parse_response(const char *buf, size_t n, size_t cap, struct lg_resp *r, const char **why)
{
	const char *end = memmem(buf, n, "\r\n\r\n", 4);
	if (!end) {
		*why = "response headers over the buffer cap";
		return n >= cap ? -1 : 0;
	}
	*r = (struct lg_resp){0};
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
				if ((x = x * 10 + (size_t)(*v - '0')) > cap) { /* also keeps x from overflowing */
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

/* Copies the value of the cookie `name` set by the response head into out
 * (NUL-terminated). False when there is none, it is empty or longer than
 * cap-1. With out NULL, only tells whether the cookie is set (non-empty). */
bool lg_set_cookie(const char *head, size_t head_len, const char *name, char *out, size_t cap)
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
				if (len == 0 || (out && len >= cap))
					return false;
				if (out) {
					memcpy(out, v, len);
					out[len] = '\0';
				}
				return true;
			}
		}
		p = eol + 2;
	}
	return false;
}

/* Finds "key": "value" in p[0..n) and copies value. No escapes expected (the
 * fields read are ids, secrets, challenges, host names and JWTs); false when
 * absent, escaped or over cap-1. */
bool lg_json_str(const char *p, size_t n, const char *key, char *out, size_t cap)
{
	char pat[64];
	int pl = snprintf(pat, sizeof pat, "\"%s\"", key);
	const char *end = p + n;
	for (const char *k = p; (k = memmem(k, (size_t)(end - k), pat, (size_t)pl)); k += pl) {
		const char *v = k + pl;
		while (v < end && isspace((unsigned char)*v))
			v++;
		if (v >= end || *v != ':') /* the key's name as a value, or inside one */
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

static int dial(bool nonblock)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* loopback: a blocking connect returns at once; then switch to non-blocking */
	if (connect(fd, (struct sockaddr *)&lg_addr, sizeof lg_addr) != 0 ||
	    (nonblock && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)) {
		int e = errno; /* the caller reports it */
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* One blocking request and its response into buf (set-up only): any failure ends the program. */
void lg_http_once(const char *req, size_t reqlen, char *buf, size_t cap, struct lg_resp *r)
{
	int fd = dial(false);
	if (fd < 0)
		lg_die("cannot connect to %s:%d: %s", inet_ntoa(lg_addr.sin_addr), ntohs(lg_addr.sin_port),
		       strerror(errno));
	struct timeval tv = {lg_timeout_ms / 1000, (lg_timeout_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (size_t off = 0; off < reqlen;) {
		ssize_t w = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (w <= 0)
			lg_die("send: %s", strerror(errno));
		off += (size_t)w;
	}
	size_t n = 0;
	const char *why = NULL;
	int st;
	while ((st = lg_parse_response(buf, n, cap - 1, r, &why)) == 0) { /* cap - 1: room for the NUL */
		ssize_t got = recv(fd, buf + n, cap - 1 - n, 0);
		if (got <= 0)
			lg_die("connection closed or timed out before a whole response (%s)",
			       got < 0 ? strerror(errno) : "EOF");
		n += (size_t)got;
	}
	if (st < 0)
		lg_die("bad response: %s", why);
	buf[r->head_len + r->body_len] = '\0';
	close(fd);
}

void lg_expect_status(const char *what, const struct lg_resp *r, const char *buf, int want)
{
	if (r->status != want)
		lg_die("%s: HTTP %d, expected %d; body: %.300s", what, r->status, want, buf + r->head_len);
}

/* ------------------------------------------------------------------ statistics */
_Atomic int lg_phase = LG_WARMUP;
static atomic_int samples; /* error samples printed so far */

bool lg_running(void)
{
	return atomic_load_explicit(&lg_phase, memory_order_relaxed) != LG_DONE;
}

static unsigned hist_index(uint64_t us)
{
	if (us < 1024)
		return (unsigned)us;
	unsigned b = 63u - (unsigned)__builtin_clzll(us); /* >= 10 */
	if (b - 10 >= LG_HIST_EXP)
		return LG_HIST_N - 1;
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

void lg_record(struct lg_stats *s, uint64_t us)
{
	s->ops++;
	s->hist[hist_index(us)]++;
	if (us > s->max_us)
		s->max_us = us;
}

double lg_percentile_ms(const struct lg_stats *s, double q)
{
	if (s->ops == 0)
		return 0;
	uint64_t want = (uint64_t)(q * (double)s->ops + 0.999999), seen = 0;
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < LG_HIST_N; i++) {
		seen += s->hist[i];
		if (seen >= want) { /* a bucket's midpoint may lie above the largest sample in it */
			double v = hist_value(i);
			return (v > (double)s->max_us ? (double)s->max_us : v) / 1000.0;
		}
	}
	return (double)s->max_us / 1000.0;
}

void lg_merge(struct lg_stats *into, const struct lg_stats *s)
{
	into->ops += s->ops;
	for (int k = 0; k < LG_KINDS; k++) {
		into->errors[k] += s->errors[k];
		for (int i = 0; i < 600; i++)
			into->status[k][i] += s->status[k][i];
	}
	if (s->max_us > into->max_us)
		into->max_us = s->max_us;
	for (unsigned i = 0; i < LG_HIST_N; i++)
		into->hist[i] += s->hist[i];
}

uint64_t lg_total_errors(const struct lg_stats *s)
{
	uint64_t n = 0;
	for (int k = 0; k < LG_KINDS; k++)
		n += s->errors[k];
	return n;
}

void lg_print_errors(const char *phase, const struct lg_stats *s)
{
	for (int k = 0; k < lg_tool.kinds; k++) {
		if (!s->errors[k])
			continue;
		printf("  %s errors, %s: %" PRIu64, phase, lg_tool.kind_name[k], s->errors[k]);
		for (int i = 0; i < 600; i++)
			if (s->status[k][i])
				printf(" [HTTP %d x %" PRIu64 "]", i, s->status[k][i]);
		printf("\n");
	}
}

void lg_sample_error(int kind, int status, const char *why, const char *body, size_t n)
{
	if (atomic_fetch_add(&samples, 1) >= ERROR_SAMPLES) /* the counts say the rest */
		return;
	int len = (int)(n > 300 ? 300 : n);
	if (status && why)
		fprintf(stderr, "%s: error: %s -> HTTP %d, %s: %.*s\n", lg_tool.name, lg_tool.kind_name[kind], status,
		        why, len, body);
	else if (status)
		fprintf(stderr, "%s: error: %s -> HTTP %d: %.*s\n", lg_tool.name, lg_tool.kind_name[kind], status, len,
		        body);
	else
		fprintf(stderr, "%s: error: %s: %s\n", lg_tool.name, lg_tool.kind_name[kind], why);
}

/* ------------------------------------------------------------------ connections */
struct lg_stats *lg_stats_now(struct lg_worker *w)
{
	return &w->st[atomic_load_explicit(&lg_phase, memory_order_relaxed) == LG_WARMUP ? LG_WARMUP : LG_MEASURE];
}

/* Counted only until the end: closing every connection then is no error. */
static void count_transport(struct lg_worker *w, const char *why)
{
	if (lg_running()) {
		lg_stats_now(w)->errors[lg_tool.kinds - 1]++;
		lg_sample_error(lg_tool.kinds - 1, 0, why, NULL, 0);
	}
}

bool lg_conn_open(struct lg_worker *w, struct lg_conn *c)
{
	c->fd = dial(true);
	if (c->fd < 0) {
		int e = errno;
		c->st = LG_DOWN;
		c->deadline = lg_now_ns() + 100000000u; /* retry in 100 ms */
		count_transport(w, strerror(e));
		return false;
	}
	c->want_out = false;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		lg_die("epoll_ctl: %s", strerror(errno));
	return true;
}

void lg_conn_close(struct lg_worker *w, struct lg_conn *c, uint64_t retry_at)
{
	if (c->fd >= 0) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->st = LG_DOWN;
	c->deadline = retry_at;
}

void lg_transport_error(struct lg_worker *w, struct lg_conn *c, const char *why)
{
	count_transport(w, why);
	lg_conn_close(w, c, lg_now_ns()); /* reconnect on the next timer pass */
}

/* Registers for EPOLLOUT only while the socket is full: most requests go out in one send. */
void lg_conn_flush(struct lg_worker *w, struct lg_conn *c)
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
		lg_transport_error(w, c, n < 0 ? strerror(errno) : "send returned 0");
		return;
	}
	bool want = c->out_off < c->out_len;
	if (want != c->want_out) {
		struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
		epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = want;
	}
}

void lg_send(struct lg_worker *w, struct lg_conn *c, int st, size_t len)
{
	c->st = st;
	c->out_len = len;
	c->out_off = 0;
	c->in_len = 0;
	c->deadline = lg_now_ns() + (uint64_t)lg_timeout_ms * 1000000u;
	lg_conn_flush(w, c);
}

/* Reads what the socket holds: 1 when c->in is one whole response (r its
 * framing, NUL-terminated), 0 when more is to come, -1 when the connection
 * broke (counted and closed). */
int lg_conn_read(struct lg_worker *w, struct lg_conn *c, struct lg_resp *r)
{
	for (;;) {
		if (c->in_len >= LG_IN_CAP) {
			lg_transport_error(w, c, "response over the buffer cap");
			return -1;
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, LG_IN_CAP - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		lg_transport_error(w, c, n == 0 ? "the server closed the connection" : strerror(errno));
		return -1;
	}
	if (c->in_len == 0) /* a spurious wake-up, or an event of a socket closed and reopened in this batch */
		return 0;
	if (c->st == LG_DOWN || c->out_off < c->out_len) {
		lg_transport_error(w, c, "response before the request was sent");
		return -1;
	}
	const char *why = "malformed response";
	int st = lg_parse_response(c->in, c->in_len, LG_IN_CAP, r, &why);
	if (st < 0)
		lg_transport_error(w, c, why);
	if (st <= 0)
		return st;
	if (c->in_len != r->head_len + r->body_len) { /* we never pipeline: nothing may follow */
		lg_transport_error(w, c, "bytes after the response");
		return -1;
	}
	c->in[c->in_len] = '\0';
	return 1;
}

/* ------------------------------------------------------------------ CPU time */
/* A process's parent and its utime, stime, cutime, cstime from /proc/PID/stat; false when it is gone. */
bool lg_proc_stat(int pid, unsigned long long *ppid, unsigned long long ticks[4])
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

double lg_proc_cpu_s(int pid)
{
	unsigned long long ppid, t[4];
	if (!lg_proc_stat(pid, &ppid, t))
		lg_die("cannot read /proc/%d/stat", pid);
	return (double)(t[0] + t[1]) / (double)sysconf(_SC_CLK_TCK);
}

double lg_self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}
