/*
 * ratelimit.c - token buckets per client address, with Pocket ID's rates
 * (reference §0.1). Each policy has a fixed table, so a flood of addresses
 * costs bounded memory: a new address takes a free slot or evicts the slot in
 * its probe window that was used least recently. The table is allocated on
 * first use; its pages stay untouched until addresses arrive.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

#define SLOTS  4096u /* per policy, a power of two */
#define PROBES 8u

struct slot {
	uint8_t addr[16];
	double tokens;
	int64_t seen_ns; /* 0: free */
};

struct policy {
	double per_sec, burst;
	struct slot *slots;
	pthread_mutex_t lock;
};

/* index HTTP_LIMIT_NONE is the general API policy */
static struct policy P[HTTP_LIMIT_COUNT] = {
        [HTTP_LIMIT_NONE] = {100.0, 300, NULL, PTHREAD_MUTEX_INITIALIZER},
        [HTTP_LIMIT_WEBAUTHN_LOGIN] = {1.0 / 5, 10, NULL, PTHREAD_MUTEX_INITIALIZER},
        [HTTP_LIMIT_REAUTHENTICATE] = {1.0 / 10, 5, NULL, PTHREAD_MUTEX_INITIALIZER},
        [HTTP_LIMIT_ONE_TIME_ACCESS] = {1.0 / 10, 5, NULL, PTHREAD_MUTEX_INITIALIZER},
        [HTTP_LIMIT_SIGNUP] = {2.0 / 60, 10, NULL, PTHREAD_MUTEX_INITIALIZER},
};
static bool on;

void http_ratelimit_setup(bool enabled)
{
	on = enabled;
}

void http_ratelimit_free(void)
{
	for (size_t i = 0; i < HTTP_LIMIT_COUNT; i++) {
		free(P[i].slots);
		P[i].slots = NULL;
	}
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t hash(const uint8_t a[16])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < 16; i++)
		h = (h ^ a[i]) * 16777619u;
	return h;
}

static struct slot *lookup(struct policy *p, const uint8_t addr[16], int64_t now)
{
	uint32_t h = hash(addr);
	struct slot *victim = NULL;
	for (uint32_t i = 0; i < PROBES; i++) {
		struct slot *s = &p->slots[(h + i) & (SLOTS - 1)];
		if (s->seen_ns && memcmp(s->addr, addr, 16) == 0)
			return s;
		if (!victim || s->seen_ns < victim->seen_ns)
			victim = s;
	}
	memcpy(victim->addr, addr, 16);
	victim->tokens = p->burst;
	victim->seen_ns = now;
	return victim;
}

static enum sy_err take(struct http_req *r, struct policy *p)
{
	if (!on)
		return SY_OK;
	uint8_t addr[16] = {0};
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!ip_parse(r->client_ip, strlen(r->client_ip), addr))
		memset(addr, 0xff, sizeof addr); /* UNIX socket peers share one bucket */
	else if (memcmp(addr, v4mapped, sizeof v4mapped) != 0)
		memset(addr + 8, 0, 8); /* an IPv6 client usually has a whole /64: one bucket for it */
	int64_t now = now_ns();
	enum sy_err e = SY_OK;
	pthread_mutex_lock(&p->lock);
	if (!p->slots)
		p->slots = sy_calloc(SLOTS, sizeof *p->slots);
	struct slot *s = lookup(p, addr, now);
	s->tokens += (double)(now - s->seen_ns) / 1e9 * p->per_sec;
	if (s->tokens > p->burst)
		s->tokens = p->burst;
	s->seen_ns = now;
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
	} else {
		r->retry_after = (long)((1.0 - s->tokens) / p->per_sec) + 1;
		e = SY_E_RATELIMIT;
	}
	pthread_mutex_unlock(&p->lock);
	return e;
}

enum sy_err http_ratelimit(struct http_req *r, enum http_limit which)
{
	return take(r, &P[which]);
}

enum sy_err http_ratelimit_api(struct http_req *r)
{
	return take(r, &P[HTTP_LIMIT_NONE]);
}
