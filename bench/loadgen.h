/*
 * bench/loadgen.h - what the load generators bench/passkey_login.c and
 * bench/oidc_login.c share: the HTTP/1.1 keep-alive client over non-blocking
 * sockets, response parsing, the latency histogram, CPU time and options.
 *
 * Each generator is one program built from its own file and loadgen.c; it
 * defines lg_tool (below), which names it in messages and lists what it counts.
 */
#ifndef SYMBOLON_BENCH_LOADGEN_H
#define SYMBOLON_BENCH_LOADGEN_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LG_IN_CAP      (32 * 1024) /* one whole response (head and body); the largest, the token answer, is ~2.5 KiB */
#define LG_OUT_CAP     8192        /* one request; /authorize with its session cookie is ~1.3 KiB */
#define LG_MAX_CONNS   4096
#define LG_MAX_THREADS 64
#define LG_KINDS       4 /* request kinds a generator may count errors of; the last of its own is transport */

/* Defined by each generator: the library reports and exits on its behalf. */
struct lg_tool {
	const char *name;  /* the prefix of every message on stderr */
	const char *usage; /* printed by lg_usage */
	int kinds;         /* request kinds (at most LG_KINDS), the last of them transport errors */
	const char *const *kind_name;
};
extern const struct lg_tool lg_tool;

void lg_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void lg_usage(void) __attribute__((noreturn));
double lg_num(const char *s, double lo, double hi); /* an option's number in [lo, hi], else lg_usage */

uint64_t lg_now_ns(void);
void lg_sleep_until(uint64_t t);

size_t lg_b64url(const uint8_t *p, size_t n, char *out); /* unpadded; out needs 4*ceil(n/3)+1 bytes */
extern const char lg_b64url_alphabet[65];

bool lg_read_line(FILE *f, char *out, size_t cap); /* one non-empty line of a state file, without its '\n' */

/* ------------------------------------------------------------------ HTTP */
extern struct sockaddr_in lg_addr; /* where to connect */
extern char lg_host[256];          /* the Host header */
extern int lg_timeout_ms;          /* per request */

unsigned lg_parse_url(const char *url); /* http://IPV4:PORT[/] into lg_addr; its port */
bool lg_host_ok(const char *s);         /* only characters of host[:port], since it goes into headers verbatim */

struct lg_resp {
	int status;
	size_t head_len; /* status line + headers + the empty line */
	size_t body_len;
	bool close; /* Connection: close */
};

int lg_parse_response(const char *buf, size_t n, size_t cap, struct lg_resp *r, const char **why);
bool lg_set_cookie(const char *head, size_t head_len, const char *name, char *out, size_t cap);
bool lg_json_str(const char *p, size_t n, const char *key, char *out, size_t cap);

void lg_http_once(const char *req, size_t reqlen, char *buf, size_t cap, struct lg_resp *r);
void lg_expect_status(const char *what, const struct lg_resp *r, const char *buf, int want);

/* ------------------------------------------------------------------ statistics */
/* Log-linear latency histogram in microseconds: exact below 1024 µs, then 512
 * buckets per power of two (0.2% resolution), up to 2^41 µs. Fixed size, no
 * allocation per sample, mergeable across threads. */
#define LG_HIST_EXP 31
#define LG_HIST_N   (1024 + LG_HIST_EXP * 512)

struct lg_stats {
	uint64_t ops; /* operations that completed right */
	uint64_t errors[LG_KINDS];
	uint64_t status[LG_KINDS][600]; /* the statuses of wrong answers */
	uint64_t max_us;
	uint32_t hist[LG_HIST_N];
};

enum { LG_WARMUP, LG_MEASURE, LG_DONE };
extern _Atomic int lg_phase;

bool lg_running(void); /* not LG_DONE: errors still count, connections still reopen */
void lg_record(struct lg_stats *s, uint64_t us);
double lg_percentile_ms(const struct lg_stats *s, double q);
void lg_merge(struct lg_stats *into, const struct lg_stats *s);
uint64_t lg_total_errors(const struct lg_stats *s);
void lg_print_errors(const char *phase, const struct lg_stats *s);
/* Prints the first few errors on stderr; why or body may be NULL. */
void lg_sample_error(int kind, int status, const char *why, const char *body, size_t n);

/* ------------------------------------------------------------------ connections */
/* One epoll loop per thread, each connection a state machine with fixed
 * buffers, never pipelined. A generator's worker holds an lg_worker; epoll
 * events carry the lg_conn, so a connection struct with more must start with it. */
struct lg_worker {
	pthread_t tid;
	int epfd;
	struct lg_stats st[2]; /* LG_WARMUP, LG_MEASURE */
};

enum { LG_DOWN }; /* lg_conn.st while not connected; the other states are the generator's */

struct lg_conn {
	int fd;
	int st;
	bool want_out; /* EPOLLOUT registered */
	size_t out_len, out_off, in_len;
	uint64_t t_op;     /* when the operation's first request was queued */
	uint64_t deadline; /* of the request in flight, or the reconnect time when LG_DOWN */
	char out[LG_OUT_CAP];
	char in[LG_IN_CAP + 1];
};

struct lg_stats *lg_stats_now(struct lg_worker *w);
bool lg_conn_open(struct lg_worker *w, struct lg_conn *c); /* false: counted, retried in 100 ms */
void lg_conn_close(struct lg_worker *w, struct lg_conn *c, uint64_t retry_at);
void lg_transport_error(struct lg_worker *w, struct lg_conn *c, const char *why);
void lg_send(struct lg_worker *w, struct lg_conn *c, int st, size_t len);
void lg_conn_flush(struct lg_worker *w, struct lg_conn *c);
int lg_conn_read(struct lg_worker *w, struct lg_conn *c, struct lg_resp *r); /* 1 when a whole response is in */

/* ------------------------------------------------------------------ CPU time */
bool lg_proc_stat(int pid, unsigned long long *ppid, unsigned long long ticks[4]);
double lg_proc_cpu_s(int pid); /* utime + stime of a process, in seconds */
double lg_self_cpu_s(void);

#endif
