/*
 * federated.c - federated client credentials (reference §2.5, RFC 7523 §2.2,
 * §3): a client proves who it is with a JWT that an issuer it trusts signed (a
 * CI system's or a cloud's workload identity) instead of with a secret.
 *
 * The issuer's keys come from a JWKS URL, and handlers run on the HTTP event
 * loops, which must never wait on the network (docs/development.md). So the
 * keys live in a process-wide cache, URL -> key set, that one worker thread
 * fills with libcurl; a handler only ever looks into it:
 *  - keys that are there are used at once. A key set is immutable and
 *    reference-counted: a refresh swaps the cache's pointer, and the old set
 *    is freed by whoever drops its last reference, never under a reader;
 *  - keys that are not there yet are asked for, and the request is answered
 *    401 invalid_client "... being fetched; retry in a moment" with
 *    Retry-After: 1. There is no wait, not even a short one: the HTTP core
 *    does not suspend connections, so any wait would stall every connection of
 *    that event loop.
 * That answer is rare, because the worker fetches every federated identity's
 * keys when it starts (it reads the clients itself: oidc_federated_start) and
 * whenever an administrator saves a client (oidc_federated_prefetch). Each set
 * is refreshed after the response's Cache-Control max-age, clamped to 15 min
 * .. 24 h as Pocket ID's cache does; a failed fetch is retried after a minute,
 * and the keys fetched before stay in use meanwhile. The cache holds at most
 * MAX_ENTRIES URLs (the least recently used one goes first), and every hour the
 * worker re-reads the clients, forgets the URLs no client names any more and
 * deletes expired oauth2_jtis rows.
 *
 * A fetch: https, or http to a loopback address (localhost, 127/8, [::1]);
 * redirects only to https; 5 s to connect and 10 s in all; at most 256 KiB.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../store/store.h"
#include "oidc.h"

#define JWT_BEARER     "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define SKEW           30             /* seconds of clock difference allowed on exp, nbf and iat */
#define MAX_TIME       253402300799.0 /* 9999-12-31: exp beyond it is no time a database stores */
#define MAX_JTI        1024           /* bytes of a jti */
#define MAX_ENTRIES    256            /* URLs in the cache */
#define MAX_JWKS_BYTES (256L * 1024)
#define MAX_JWKS_KEYS  64   /* keys in one JWKS document */
#define URL_BUF        2400 /* an issuer (at most 2048 bytes when saved through the API) and the JWKS path */
#define REFRESH_MIN    (15L * 60)
#define REFRESH_MAX    (24L * 3600)
#define RETRY_SECS     60L
#define SYNC_SECS      3600L
#define CONNECT_SECS   5L
#define FETCH_SECS     10L

static const char FAILED[] = "Client authentication failed (unknown client, no client authentication included, "
                             "or unsupported authentication method).";

/* ---- JWKS documents ---- */

/* One JWK of a set as 0 to 3 keys in out: none when it is not for signatures
 * or not a key we can use; an RSA key that names no algorithm serves RS256,
 * RS384 and RS512 (the assertion's header then picks). */
static size_t import_one(const json_t *jwk, struct jws_key *out)
{
	const json_t *use = json_object_get(jwk, "use");
	if ((use && (!json_is_string(use) || strcmp(json_string_value(use), "sig") != 0)) ||
	    jwk_import(jwk, false, out))
		return 0;
	if (json_object_get(jwk, "alg") || out->alg != JWS_RS256)
		return 1;
	static const enum jws_alg MORE[] = {JWS_RS384, JWS_RS512};
	for (size_t i = 0; i < 2; i++) {
		out[i + 1] = out[0];
		out[i + 1].alg = MORE[i];
		EVP_PKEY_up_ref(out[0].pkey);
	}
	return 3;
}

enum sy_err oidc_jwks_parse(const char *doc, size_t n, struct jws_key **keys, size_t *nkeys)
{
	*keys = NULL;
	*nkeys = 0;
	json_t *root = json_loadb(doc, n, JSON_REJECT_DUPLICATES, NULL);
	json_t *list = json_object_get(root, "keys"), *one;
	if (!json_is_array(list) || json_array_size(list) > MAX_JWKS_KEYS) {
		json_decref(root);
		return SY_E_INVALID;
	}
	struct jws_key *out = sy_calloc(3 * json_array_size(list) + 1, sizeof *out);
	size_t k = 0, i;
	json_array_foreach(list, i, one) k += import_one(one, out + k);
	json_decref(root);
	if (k == 0) {
		free(out);
		return SY_E_INVALID;
	}
	*keys = out;
	*nkeys = k;
	return SY_OK;
}

void oidc_jwks_free(struct jws_key *keys, size_t nkeys)
{
	for (size_t i = 0; i < nkeys; i++)
		jws_key_free(&keys[i]);
	free(keys);
}

long oidc_jwks_refresh_secs(const char *cache_control)
{
	long secs = REFRESH_MIN;
	for (const char *p = cache_control; p && *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, ",");
		if ((n >= 8 && strncasecmp(p, "no-cache", 8) == 0) || (n >= 8 && strncasecmp(p, "no-store", 8) == 0))
			return REFRESH_MIN;
		if (n > 8 && strncasecmp(p, "max-age=", 8) == 0 && p[8] >= '0' && p[8] <= '9') {
			long v = 0;
			for (size_t i = 8; i < n && p[i] >= '0' && p[i] <= '9' && v <= REFRESH_MAX; i++)
				v = v * 10 + (p[i] - '0');
			secs = v < REFRESH_MIN ? REFRESH_MIN : v > REFRESH_MAX ? REFRESH_MAX : v;
		}
		p += n;
	}
	return secs;
}

static bool loopback(const char *host)
{
	uint8_t a[16];
	static const uint8_t V4_LOOPBACK[13] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127};
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return true;
	return ip_parse(host, strlen(host), a) && memcmp(a, V4_LOOPBACK, sizeof V4_LOOPBACK) == 0;
}

bool oidc_jwks_url_allowed(const char *url)
{
	if (!url || strlen(url) >= URL_BUF)
		return false;
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	          curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	          curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
	ok = ok && (strcmp(scheme, "https") == 0 || (strcmp(scheme, "http") == 0 && loopback(host)));
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* ---- the cache ---- */

struct keyset {
	atomic_uint refs;
	size_t n;
	struct jws_key *keys;
};

static void keyset_release(struct keyset *ks)
{
	if (ks && atomic_fetch_sub_explicit(&ks->refs, 1, memory_order_acq_rel) == 1) {
		oidc_jwks_free(ks->keys, ks->n);
		free(ks);
	}
}

struct entry {
	char *url;           /* NULL: a free slot */
	struct keyset *keys; /* NULL until a fetch succeeds; holds one reference */
	int64_t due;         /* when the worker fetches it (again) */
	int64_t used;        /* last lookup or prefetch: the least recent is evicted */
	bool fetching;       /* the worker is on it now */
	bool failed;         /* the last fetch failed */
	bool named;          /* a client names it (found by the current re-reading of the clients) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct entry cache[MAX_ENTRIES]; /* guarded by lock */
static pthread_t worker;
static bool running, stopped; /* guarded by lock */
static atomic_bool stopping;  /* also read by a transfer's progress callback */

static struct entry *find(const char *url)
{
	for (size_t i = 0; i < MAX_ENTRIES; i++)
		if (cache[i].url && strcmp(cache[i].url, url) == 0)
			return &cache[i];
	return NULL;
}

static void entry_clear(struct entry *e)
{
	free(e->url);
	keyset_release(e->keys);
	memset(e, 0, sizeof *e);
}

/* The entry of url, made (due now) in a free slot or the least recently used
 * one when there is none. Under lock. */
static struct entry *ensure(const char *url, int64_t now)
{
	struct entry *e = find(url), *victim = &cache[0];
	if (e)
		return e;
	for (size_t i = 0; i < MAX_ENTRIES && victim->url; i++)
		if (!cache[i].url || cache[i].used < victim->used)
			victim = &cache[i];
	entry_clear(victim);
	victim->url = sy_strdup(url);
	victim->due = now;
	victim->used = now;
	victim->named = true;
	return victim;
}

/* The JWKS URL of a federated identity: its jwks, or <issuer>/.well-known/jwks.json. */
static bool jwks_url(const json_t *identity, char out[URL_BUF])
{
	const char *jwks = json_string_value(json_object_get(identity, "jwks"));
	const char *iss = json_string_value(json_object_get(identity, "issuer"));
	int n;
	if (jwks && *jwks)
		n = snprintf(out, URL_BUF, "%s", jwks);
	else if (iss && *iss)
		n = snprintf(out, URL_BUF, "%.*s/.well-known/jwks.json",
		             (int)(strlen(iss) - (iss[strlen(iss) - 1] == '/')), iss);
	else
		return false;
	return n > 0 && n < URL_BUF;
}

static void worker_ensure(void);

/* Marks the URLs of identities named; force makes them due now. */
static void want(const json_t *identities, int64_t now, bool force)
{
	size_t i;
	json_t *one;
	char url[URL_BUF];
	pthread_mutex_lock(&lock);
	json_array_foreach(identities, i, one)
	{
		if (!jwks_url(one, url))
			continue;
		struct entry *e = ensure(url, now);
		e->named = true;
		if (force) {
			e->due = now;
			e->used = now;
		}
	}
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
}

void oidc_federated_prefetch(const json_t *identities)
{
	worker_ensure();
	want(identities, time(NULL), true);
}

/* The keys of url (a reference) when cached; otherwise the worker is asked for
 * them and *failed tells whether the last attempt failed (and no new one is due). */
static struct keyset *keys_get(const char *url, bool *failed)
{
	worker_ensure();
	int64_t now = time(NULL);
	pthread_mutex_lock(&lock);
	struct entry *e = ensure(url, now);
	struct keyset *ks = e->keys;
	e->used = now;
	if (ks)
		atomic_fetch_add_explicit(&ks->refs, 1, memory_order_relaxed);
	*failed = e->failed && !e->fetching && e->due > now;
	if (e->due <= now && !e->fetching)
		pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	return ks;
}

/* ---- the worker ---- */

struct body {
	char *p;
	size_t n;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	if (b->n + n > (size_t)MAX_JWKS_BYTES)
		return 0;
	b->p = sy_realloc(b->p, b->n + n + 1);
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)arg, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return atomic_load(&stopping) ? 1 : 0;
}

/* GET url: the body (the caller frees it), and the refresh interval its Cache-Control asks for. */
static enum sy_err http_get(const char *url, struct body *b, long *refresh, char *err, size_t errlen)
{
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "cannot start a transfer");
		return SY_E_INTERNAL;
	}
	char curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *accept = curl_slist_append(NULL, "Accept: application/jwk-set+json, application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_SECS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, FETCH_SECS);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_JWKS_BYTES);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Symbolon/" SY_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, accept);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	struct curl_header *cc = NULL;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK && curl_easy_header(c, "Cache-Control", 0, CURLH_HEADER, -1, &cc) != CURLHE_OK)
		cc = NULL;
	*refresh = oidc_jwks_refresh_secs(cc ? cc->value : NULL);
	curl_easy_cleanup(c);
	curl_slist_free_all(accept);
	enum sy_err e = SY_OK;
	if (rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(err, errlen, "the document is larger than %ld KiB", MAX_JWKS_BYTES / 1024), e = SY_E_TOOBIG;
	else if (rc != CURLE_OK)
		snprintf(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc)), e = SY_E_IO;
	else if (status != 200)
		snprintf(err, errlen, "the server answered HTTP %ld", status), e = SY_E_IO;
	return e;
}

static struct keyset *fetch_keys(const char *url, long *refresh, char *err, size_t errlen)
{
	*refresh = REFRESH_MIN;
	if (!oidc_jwks_url_allowed(url)) {
		snprintf(err, errlen, "only https URLs, or http to a loopback address, are fetched");
		return NULL;
	}
	struct body b = {0};
	struct keyset *ks = NULL;
	struct jws_key *keys;
	size_t n;
	if (!http_get(url, &b, refresh, err, errlen)) {
		if (oidc_jwks_parse(b.p ? b.p : "", b.n, &keys, &n))
			snprintf(err, errlen, "not a JWKS document with a usable signing key");
		else {
			ks = sy_calloc(1, sizeof *ks);
			atomic_init(&ks->refs, 1);
			ks->keys = keys;
			ks->n = n;
		}
	}
	free(b.p);
	return ks;
}

/* A fetch's outcome into url's entry, if it is still cached. Under lock. */
static void install(const char *url, struct keyset *ks, long refresh, const char *err)
{
	struct entry *e = find(url);
	int64_t now = time(NULL);
	if (ks)
		log_info("federated credentials: %zu keys from %s, refreshed in %ld s", ks->n, url, refresh);
	else
		log_warn("federated credentials: cannot fetch the keys at %s: %s%s", url, err,
		         e && e->keys ? " (the keys fetched before stay in use)" : "");
	if (!e) {
		keyset_release(ks);
		return;
	}
	e->fetching = false;
	e->failed = !ks;
	e->due = now + (ks ? refresh : RETRY_SECS);
	if (ks) {
		keyset_release(e->keys);
		e->keys = ks;
	}
}

/* Every identity the clients name is wanted; the URLs none names are dropped
 * (only after a complete reading). Expired jtis go too. Off the lock. */
static void sync_clients(int64_t now)
{
	struct store *s = store_thread();
	struct store_stmt *st;
	bool row, complete = false;
	if (!s)
		return;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < MAX_ENTRIES; i++)
		cache[i].named = false;
	pthread_mutex_unlock(&lock);
	if (!store_prepare(s, "SELECT credentials FROM oidc_clients WHERE credentials IS NOT NULL", &st)) {
		enum sy_err e;
		while (!(e = store_step(st, &row)) && row) {
			json_t *cred = json_loads(store_col_text(st, 0), JSON_REJECT_DUPLICATES, NULL);
			want(json_object_get(cred, "federatedIdentities"), now, false);
			json_decref(cred);
		}
		complete = !e;
		store_finalize(st);
	}
	pthread_mutex_lock(&lock);
	for (size_t i = 0; complete && i < MAX_ENTRIES; i++)
		if (cache[i].url && !cache[i].named && !cache[i].fetching)
			entry_clear(&cache[i]);
	pthread_mutex_unlock(&lock);
	if (!complete)
		log_warn("federated credentials: cannot read the clients: %s", store_errmsg(s));
	if (store_prepare(s, "DELETE FROM oauth2_jtis WHERE expires_at < ts(?)", &st))
		return;
	store_bind_int(st, 1, now);
	if (store_step(st, &row))
		log_warn("federated credentials: cannot delete expired jtis: %s", store_errmsg(s));
	store_finalize(st);
}

/* The entry due first: *wait_until when none is due before it. Under lock. */
static struct entry *next_due(int64_t now, int64_t *wait_until)
{
	for (size_t i = 0; i < MAX_ENTRIES; i++) {
		if (!cache[i].url)
			continue;
		if (cache[i].due <= now)
			return &cache[i];
		if (cache[i].due < *wait_until)
			*wait_until = cache[i].due;
	}
	return NULL;
}

static void *run(void *arg)
{
	(void)arg;
	int64_t next_sync = 0;
	pthread_mutex_lock(&lock);
	while (!atomic_load(&stopping)) {
		int64_t now = time(NULL), until = next_sync;
		if (now >= next_sync) {
			next_sync = now + SYNC_SECS;
			pthread_mutex_unlock(&lock);
			sync_clients(now);
			pthread_mutex_lock(&lock);
			continue;
		}
		struct entry *e = next_due(now, &until);
		if (!e) {
			pthread_cond_timedwait(&wake, &lock, &(struct timespec){.tv_sec = (time_t)until});
			continue;
		}
		char *url = sy_strdup(e->url), err[CURL_ERROR_SIZE + 64] = "";
		long refresh;
		e->fetching = true;
		pthread_mutex_unlock(&lock);
		struct keyset *ks = fetch_keys(url, &refresh, err, sizeof err);
		pthread_mutex_lock(&lock);
		install(url, ks, refresh, err);
		free(url);
	}
	pthread_mutex_unlock(&lock);
	store_thread_close();
	return NULL;
}

static void worker_ensure(void)
{
	pthread_mutex_lock(&lock);
	if (!running && !stopped) {
		/* SIGTERM and SIGINT belong to the thread that waits for them */
		sigset_t sigs, old;
		sigemptyset(&sigs);
		sigaddset(&sigs, SIGTERM);
		sigaddset(&sigs, SIGINT);
		pthread_sigmask(SIG_BLOCK, &sigs, &old);
		running = pthread_create(&worker, NULL, run, NULL) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!running) {
			stopped = true;
			log_error("federated credentials: cannot start a thread; client assertions cannot be checked");
		}
	}
	pthread_mutex_unlock(&lock);
}

void oidc_federated_start(void)
{
	worker_ensure();
}

void oidc_federated_stop(void)
{
	pthread_mutex_lock(&lock);
	bool join = running;
	stopped = true;
	atomic_store(&stopping, true);
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	if (join)
		pthread_join(worker, NULL);
	pthread_mutex_lock(&lock);
	running = false;
	for (size_t i = 0; i < MAX_ENTRIES; i++)
		entry_clear(&cache[i]);
	pthread_mutex_unlock(&lock);
}

/* ---- checking an assertion ---- */

/* One assertion being checked. A step returns SY_E_DENIED with why set for a
 * refusal, another error for a failure of ours. */
struct check {
	struct http_req *r;
	struct store *s;
	const char *jwt, *client_id, *iss, *sub, *why;
	enum jws_alg alg;
	json_t *claims, *identity; /* owned */
	bool retry;                /* the keys are being fetched */
};

static enum sy_err deny(struct check *k, const char *why)
{
	k->why = why;
	return SY_E_DENIED;
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* Header and claims, read before the signature is checked: enough to find
 * the identity whose keys check it. */
static enum sy_err parse(struct check *k)
{
	const char *d1 = strchr(k->jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	uint8_t *h, *p;
	size_t hn, pn;
	if (strlen(k->jwt) > JWS_MAX_TOKEN || !d2 ||
	    arena_b64url_decode(&k->r->arena, k->jwt, (size_t)(d1 - k->jwt), &h, &hn) ||
	    arena_b64url_decode(&k->r->arena, d1 + 1, (size_t)(d2 - d1 - 1), &p, &pn))
		return deny(k, "The client_assertion is not a signed JWT.");
	json_t *header = json_loadb((const char *)h, hn, JSON_REJECT_DUPLICATES, NULL);
	const char *alg = json_string_value(json_object_get(header, "alg"));
	bool known = alg && jws_alg_parse(alg, &k->alg);
	json_decref(header);
	if (!known)
		return deny(k, "The client_assertion's algorithm is not supported (\"none\" never is).");
	k->claims = json_loadb((const char *)p, pn, JSON_REJECT_DUPLICATES, NULL);
	k->iss = json_string_value(json_object_get(k->claims, "iss"));
	k->sub = json_string_value(json_object_get(k->claims, "sub"));
	if (!json_is_object(k->claims) || !k->iss || !k->sub)
		return deny(k, "The client_assertion needs the claims iss and sub.");
	if (!k->client_id)
		k->client_id = k->sub;
	return SY_OK;
}

/* The client's federated identity whose issuer is the assertion's. */
static enum sy_err identity(struct check *k)
{
	struct store_stmt *st;
	bool row;
	enum sy_err e = store_prepare(k->s, "SELECT credentials FROM oidc_clients WHERE id = ?", &st);
	if (e)
		return e;
	store_bind_text(st, 1, k->client_id);
	json_t *cred = NULL, *one;
	if (!(e = store_step(st, &row)) && row && !store_col_null(st, 0))
		cred = json_loads(store_col_text(st, 0), JSON_REJECT_DUPLICATES, NULL);
	store_finalize(st);
	size_t i;
	json_array_foreach(json_object_get(cred, "federatedIdentities"), i, one)
	{
		if (strcmp(str(one, "issuer"), k->iss) == 0) {
			k->identity = json_incref(one);
			break;
		}
	}
	json_decref(cred);
	if (e)
		return e;
	return k->identity ? SY_OK : deny(k, "No federated identity of the client has the client_assertion's issuer.");
}

static enum sy_err signature(struct check *k)
{
	char url[URL_BUF];
	bool failed;
	if (!jwks_url(k->identity, url))
		return deny(k, "The federated identity has no usable JWKS URL.");
	struct keyset *ks = keys_get(url, &failed);
	if (!ks) {
		k->retry = !failed;
		return deny(k, failed ? "The issuer's keys could not be fetched; the server log says why."
		                      : "The issuer's keys are being fetched; retry in a moment.");
	}
	char *payload;
	size_t plen;
	enum sy_err e = jws_verify(&k->r->arena, k->jwt, strlen(k->jwt), ks->keys, ks->n, k->alg, &payload, &plen);
	keyset_release(ks);
	return e ? deny(k, "The client_assertion's signature does not verify with the issuer's keys.") : SY_OK;
}

static bool aud_has(const json_t *claims, const char *want)
{
	json_t *aud = json_object_get(claims, "aud"), *v;
	size_t i;
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	json_array_foreach(aud, i, v) if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) return true;
	return false;
}

/* A time claim: absent (when optional), or a number up to MAX_TIME. */
static bool time_claim(const json_t *claims, const char *name, bool required, double *out)
{
	json_t *v = json_object_get(claims, name);
	*out = v ? json_number_value(v) : 0;
	return v ? json_is_number(v) && *out >= 0 && *out <= MAX_TIME : !required;
}

static enum sy_err claims(struct check *k, int64_t now)
{
	const char *sub = str(k->identity, "subject"), *aud = str(k->identity, "audience");
	const char *app = oidc_config()->app_url, *endpoint = arena_printf(&k->r->arena, "%s/api/oidc/token", app);
	double exp, nbf, iat;
	if (!endpoint)
		return SY_E_TOOBIG;
	if (strcmp(k->sub, *sub ? sub : k->client_id) != 0)
		return deny(k, "The client_assertion's subject is not the one expected.");
	if (*aud ? !aud_has(k->claims, aud) : !aud_has(k->claims, app) && !aud_has(k->claims, endpoint))
		return deny(k, "The client_assertion's audience is not this server.");
	if (!time_claim(k->claims, "exp", true, &exp) || !time_claim(k->claims, "nbf", false, &nbf) ||
	    !time_claim(k->claims, "iat", false, &iat))
		return deny(k, "The client_assertion needs an exp, and its times must be numbers.");
	if (exp + SKEW < (double)now)
		return deny(k, "The client_assertion has expired.");
	if (nbf - SKEW > (double)now || iat - SKEW > (double)now)
		return deny(k, "The client_assertion is not valid yet.");
	return SY_OK;
}

/* With replayProtection, the jti is spent: recorded until the assertion
 * expires, in one statement, so that two concurrent uses cannot both pass. A
 * row whose assertion has expired is taken over. The row holds the SHA-256
 * of the issuer and the jti: bounded, and jtis of different issuers apart. */
static enum sy_err replay(struct check *k, int64_t now)
{
	if (!json_is_true(json_object_get(k->identity, "replayProtection")))
		return SY_OK;
	const char *jti = json_string_value(json_object_get(k->claims, "jti"));
	if (!jti || !*jti || strlen(jti) > MAX_JTI)
		return deny(k,
		            "The client_assertion needs a jti: the client's federated identity has replay protection.");
	char id[37], hash[65], *both = arena_printf(&k->r->arena, "%s\n%s", k->iss, jti);
	struct store_stmt *st;
	bool fresh;
	if (!both)
		return SY_E_TOOBIG;
	sha256_hex(both, strlen(both), hash);
	uuid_v4(id);
	enum sy_err e =
	        store_prepare(k->s,
	                      "INSERT INTO oauth2_jtis (id, created_at, jti, expires_at) VALUES (?, ts(?), ?, ts(?)) "
	                      "ON CONFLICT (jti) DO UPDATE SET id = excluded.id, created_at = excluded.created_at, "
	                      "expires_at = excluded.expires_at WHERE oauth2_jtis.expires_at < excluded.created_at "
	                      "RETURNING id",
	                      &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	store_bind_int(st, 2, now);
	store_bind_text(st, 3, hash);
	store_bind_int(st, 4, (int64_t)json_number_value(json_object_get(k->claims, "exp")) + SKEW);
	e = store_step(st, &fresh);
	store_finalize(st);
	if (e)
		return e;
	return fresh ? SY_OK : deny(k, "The client_assertion was used before (its jti is spent).");
}

/* Every check, in an order where a refused assertion never spends its jti. */
static enum sy_err run_checks(struct check *k, struct oidc_client *c)
{
	int64_t now = time(NULL);
	enum sy_err e;
	if ((e = parse(k)) || (e = identity(k)) || (e = signature(k)) || (e = claims(k, now)))
		return e;
	if ((e = oidc_client_get(k->s, &k->r->arena, k->client_id, c)))
		return e == SY_E_NOTFOUND ? deny(k, "The client does not exist.") : e;
	if ((e = replay(k, now)))
		oidc_client_clear(c);
	return e;
}

enum sy_err oidc_client_assertion_authenticate(struct http_req *r, struct store *s, const json_t *form,
                                               struct oidc_client *c, bool *answered)
{
	*answered = true;
	const char *type = oidc_param(form, "client_assertion_type"), *id, *secret;
	struct check k = {.r = r,
	                  .s = s,
	                  .jwt = oidc_param(form, "client_assertion"),
	                  .client_id = oidc_param(form, "client_id")};
	if (oidc_param(form, "client_secret") ||
	    oidc_basic_parse(&r->arena, http_header_get(r, "Authorization"), &id, &secret) != SY_E_NOTFOUND)
		return oidc_token_error(r, 400, "invalid_request", "Use one client authentication method, not two.");
	enum sy_err e = !type || strcmp(type, JWT_BEARER) != 0
	                        ? deny(&k, "The client_assertion_type must be " JWT_BEARER ".")
	                : !k.jwt ? deny(&k, "The client_assertion is missing.")
	                         : run_checks(&k, c);
	json_decref(k.claims);
	json_decref(k.identity);
	if (e != SY_E_DENIED) {
		*answered = e != SY_OK;
		return e;
	}
	if (k.retry)
		http_header_add(r, "Retry-After", "1");
	const char *description = arena_printf(&r->arena, "%s %s", FAILED, k.why);
	return oidc_token_error(r, 401, "invalid_client", description ? description : FAILED);
}

enum sy_err oidc_client_assertion_bearer(struct http_req *r, struct store *s, const char *assertion,
                                         const char *client_id, struct oidc_client *c, bool *answered)
{
	json_t *form = json_pack("{s:s, s:s, s:s}", "client_assertion_type", JWT_BEARER, "client_assertion", assertion,
	                         "client_id", client_id);
	enum sy_err e = oidc_client_assertion_authenticate(r, s, form, c, answered);
	json_decref(form);
	return e;
}
