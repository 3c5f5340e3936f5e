/*
 * geoip.c - the audit log's country and city of a client address: Pocket ID's
 * labels for internal addresses, then a GeoLite2 City database (libmaxminddb).
 *
 * The database is an immutable, reference-counted handle. A lookup takes a
 * reference under a mutex held for two instructions and drops it afterwards;
 * a reload opens the new file first (outside that mutex), swaps the pointer,
 * and the old handle is closed by whoever drops its last reference. So lookups
 * never wait for a reload, and no handle is closed under a reader.
 *
 * One worker thread does everything slow: every minute it compares the file
 * with the loaded one (device, inode, size, modification time) and reloads it
 * when it changed, and, when downloads are on, fetches the database when it is
 * missing or older than 14 days (retrying hourly). Downloads go to a temporary
 * file next to GEOLITE_DB_PATH, are checked with MMDB_open and renamed over the
 * old file, so readers of the old mapping keep a complete file.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "integrations.h"

#define MAX_DB_BYTES   (300L * 1024 * 1024) /* download and decompressed size limit */
#define DOWNLOAD_SECS  600L                 /* whole transfer */
#define CONNECT_SECS   30L
#define MAX_AGE_SECS   (14L * 24 * 3600) /* refresh a database older than this */
#define JITTER_SECS    (30L * 60)        /* +- on MAX_AGE, as Pocket ID's scheduler */
#define RETRY_SECS     3600L             /* after a failed download */
#define CHECK_SECS     60                /* the worker's period */
#define DB_FILE_IN_TAR "GeoLite2-City.mmdb"

/* --- the loaded database ------------------------------------------------- */

struct geodb {
	MMDB_s mmdb;
	atomic_uint refs;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

static pthread_mutex_t cur_lock = PTHREAD_MUTEX_INITIALIZER;
static struct geodb *cur; /* guarded by cur_lock; holds one reference */

static struct geodb *db_acquire(void)
{
	pthread_mutex_lock(&cur_lock);
	struct geodb *d = cur;
	if (d)
		atomic_fetch_add_explicit(&d->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&cur_lock);
	return d;
}

static void db_release(struct geodb *d)
{
	if (d && atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) == 1) {
		MMDB_close(&d->mmdb);
		free(d);
	}
}

/* Installs d (may be NULL) as the current database; drops the old one's reference. */
static void db_swap(struct geodb *d)
{
	pthread_mutex_lock(&cur_lock);
	struct geodb *old = cur;
	cur = d;
	pthread_mutex_unlock(&cur_lock);
	db_release(old);
}

static bool same_file(const struct geodb *d, const struct stat *st)
{
	return d->dev == st->st_dev && d->ino == st->st_ino && d->size == st->st_size &&
	       d->mtime.tv_sec == st->st_mtim.tv_sec && d->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* --- settings (written by geoip_setup before any lookup, read-only after) -- */

static struct {
	char *path;
	char *url; /* with the licence key in it; NULL when downloads are off */
	struct cidr_list local_ipv6;
	long max_age;
	bool set_up;
} g;

/* The worker's own state. */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER; /* one reload at a time */
static struct stat failed_st;                                   /* a file that did not open; guarded by reload_lock */
static bool failed_valid, missing_logged;                       /* guarded by reload_lock */

static pthread_t worker;
static pthread_mutex_t wk_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wk_wake = PTHREAD_COND_INITIALIZER;
static bool wk_running;
static atomic_bool stopping; /* also read by a download's progress callback */

/* --- labels -------------------------------------------------------------- */

struct range {
	uint8_t addr[16];
	unsigned bits; /* over the 128-bit form; IPv4 ranges are ::ffff:a.b.c.d/96+n */
};

#define V4(a, b, c, d, n)                                                                                              \
	{                                                                                                              \
		{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d}, 96 + (n)                                       \
	}

static const struct range TAILSCALE = V4(100, 64, 0, 0, 10);

/* Go's IsLoopback, IsPrivate, IsLinkLocalUnicast, IsLinkLocalMulticast and
 * IsUnspecified, which Pocket ID calls "private". */
static const struct range PRIVATE[] = {
        V4(10, 0, 0, 0, 8),
        V4(172, 16, 0, 0, 12),
        V4(192, 168, 0, 0, 16),
        V4(127, 0, 0, 0, 8),
        V4(169, 254, 0, 0, 16),
        V4(224, 0, 0, 0, 24),
        V4(0, 0, 0, 0, 32),
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128}, /* ::1 */
        {{0}, 128},                                              /* :: */
        {{0xfc}, 7},                                             /* unique local */
        {{0xfe, 0x80}, 10},                                      /* link-local */
        {{0xff, 0x02}, 16},                                      /* link-local multicast */
};

static bool in_range(const uint8_t a[16], const struct range *r)
{
	unsigned full = r->bits / 8, rest = r->bits % 8;
	if (memcmp(a, r->addr, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((a[full] & mask) != (r->addr[full] & mask))
			return false;
	}
	return true;
}

static bool is_v4(const uint8_t a[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a, mapped, 12) == 0;
}

/* --- strings out of the database ------------------------------------------- */

/* Length of the valid UTF-8 character at s (n bytes left), 0 if invalid. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Copies n bytes of s into out as valid UTF-8 without control characters: an
 * invalid byte or a control character becomes '?', and the copy stops before
 * a character that would not fit. */
static void copy_text(char *out, size_t outlen, const char *s, size_t n)
{
	size_t k = 0;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_char(p + i, n - i);
		const unsigned char *src = p + i;
		unsigned char q = '?';
		if (len == 0 || (len == 1 && (*src < 0x20 || *src == 0x7f))) {
			src = &q;
			i += len ? len : 1;
			len = 1;
		} else
			i += len;
		if (k + len >= outlen)
			break;
		memcpy(out + k, src, len);
		k += len;
	}
	out[k] = '\0';
}

static void get_name(MMDB_entry_s *e, const char *field, char *out, size_t outlen)
{
	if (!out || outlen == 0)
		return;
	MMDB_entry_data_s d;
	if (MMDB_get_value(e, &d, field, "names", "en", NULL) == MMDB_SUCCESS && d.has_data &&
	    d.type == MMDB_DATA_TYPE_UTF8_STRING)
		copy_text(out, outlen, d.utf8_string, d.data_size);
}

static void set(char *out, size_t outlen, const char *s)
{
	if (out && outlen)
		snprintf(out, outlen, "%s", s);
}

void geoip_locate(const char *ip, char *country, size_t country_len, char *city, size_t city_len)
{
	set(country, country_len, "");
	set(city, city_len, "");
	uint8_t a[16];
	if (!ip || !ip_parse(ip, strnlen(ip, 64), a))
		return;
	bool v4 = is_v4(a);
	if (!v4 && cidr_list_contains(&g.local_ipv6, a)) {
		set(country, country_len, GEOIP_INTERNAL_NETWORK);
		set(city, city_len, GEOIP_LAN);
		return;
	}
	if (in_range(a, &TAILSCALE)) {
		set(country, country_len, GEOIP_INTERNAL_NETWORK);
		set(city, city_len, GEOIP_TAILSCALE);
		return;
	}
	for (size_t i = 0; i < sizeof PRIVATE / sizeof PRIVATE[0]; i++)
		if (in_range(a, &PRIVATE[i])) {
			set(country, country_len, GEOIP_INTERNAL_NETWORK);
			set(city, city_len, GEOIP_LAN);
			return;
		}

	struct geodb *d = db_acquire();
	if (!d)
		return;
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} sa;
	memset(&sa, 0, sizeof sa);
	if (v4) {
		sa.in4.sin_family = AF_INET;
		memcpy(&sa.in4.sin_addr, a + 12, 4);
	} else {
		sa.in6.sin6_family = AF_INET6;
		memcpy(&sa.in6.sin6_addr, a, 16);
	}
	int mmerr = MMDB_SUCCESS;
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&d->mmdb, &sa.sa, &mmerr);
	if (mmerr == MMDB_SUCCESS && r.found_entry) {
		get_name(&r.entry, "country", country, country_len);
		get_name(&r.entry, "city", city, city_len);
	}
	db_release(d);
}

bool geoip_available(void)
{
	struct geodb *d = db_acquire();
	db_release(d);
	return d != NULL;
}

/* --- loading --------------------------------------------------------------- */

static void describe(const struct geodb *d, char *out, size_t outlen)
{
	char built[32] = "?";
	time_t t = (time_t)d->mmdb.metadata.build_epoch;
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(built, sizeof built, "%Y-%m-%d", &tm);
	snprintf(out, outlen, "%s, built %s", d->mmdb.metadata.database_type ? d->mmdb.metadata.database_type : "?",
	         built);
}

bool geoip_refresh(void)
{
	if (!g.path)
		return false;
	pthread_mutex_lock(&reload_lock);
	struct stat st;
	struct geodb *d = db_acquire();
	bool loaded = d != NULL;
	if (stat(g.path, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (d) {
			log_info("geoip: %s is gone; the audit log records no locations until it is back", g.path);
			db_swap(NULL);
			loaded = false;
		} else if (!missing_logged) {
			if (g.url)
				log_info("geoip: no GeoLite2 City database at %s yet; downloading it in the background",
				         g.path);
			else
				log_info("geoip: no GeoLite2 City database at %s: the audit log records no locations "
				         "(see docs/geolocation.md)",
				         g.path);
		}
		missing_logged = true;
		db_release(d);
		pthread_mutex_unlock(&reload_lock);
		return loaded;
	}
	missing_logged = true; /* the file was there once: later absence is logged as "gone" */
	bool same = d && same_file(d, &st);
	db_release(d);
	bool failed_before = failed_valid && failed_st.st_dev == st.st_dev && failed_st.st_ino == st.st_ino &&
	                     failed_st.st_size == st.st_size && failed_st.st_mtim.tv_sec == st.st_mtim.tv_sec &&
	                     failed_st.st_mtim.tv_nsec == st.st_mtim.tv_nsec;
	if (same || failed_before) {
		pthread_mutex_unlock(&reload_lock);
		return loaded;
	}

	struct geodb *n = sy_calloc(1, sizeof *n);
	int rc = MMDB_open(g.path, MMDB_MODE_MMAP, &n->mmdb);
	if (rc != MMDB_SUCCESS) {
		log_warn("geoip: cannot use %s (%s); %s", g.path, MMDB_strerror(rc),
		         loaded ? "keeping the database loaded before" : "the audit log records no locations");
		free(n);
		failed_st = st;
		failed_valid = true;
		pthread_mutex_unlock(&reload_lock);
		return loaded;
	}
	failed_valid = false;
	/* MMDB_open read the file as it was when opened; should it have changed
	 * in between, the next check sees a different stat and loads it again */
	n->dev = st.st_dev;
	n->ino = st.st_ino;
	n->size = st.st_size;
	n->mtime = st.st_mtim;
	atomic_init(&n->refs, 1);
	char what[128];
	describe(n, what, sizeof what);
	log_info("geoip: %s %s (%s)", loaded ? "reloaded" : "loaded", g.path, what);
	db_swap(n);
	pthread_mutex_unlock(&reload_lock);
	return true;
}

/* --- downloading ----------------------------------------------------------- */

struct sink {
	int fd;
	long long written;
	bool too_big, io_error;
	int io_errno;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	if (s->written + (long long)n > MAX_DB_BYTES) {
		s->too_big = true;
		return 0;
	}
	for (size_t off = 0; off < n;) {
		ssize_t w = write(s->fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s->io_error = true;
			s->io_errno = w < 0 ? errno : ENOSPC;
			return 0;
		}
		off += (size_t)w;
	}
	s->written += (long long)n;
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)arg, (void)dlnow, (void)ultotal, (void)ulnow;
	if (dltotal > MAX_DB_BYTES)
		return 1; /* announced too big: stop before receiving it */
	return atomic_load(&stopping) ? 1 : 0;
}

static enum sy_err fetch(const char *url, int fd, char *err, size_t errlen)
{
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "cannot start a transfer");
		return SY_E_INTERNAL;
	}
	struct sink s = {.fd = fd};
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L); /* MaxMind answers with a redirect to its storage */
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_SECS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, DOWNLOAD_SECS);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_DB_BYTES);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Symbolon/" SY_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);

	if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errlen, "the download is larger than %ld MB", MAX_DB_BYTES / (1024 * 1024));
		return SY_E_TOOBIG;
	}
	if (s.io_error) {
		snprintf(err, errlen, "cannot write the download: %s", strerror(s.io_errno));
		return SY_E_IO;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && atomic_load(&stopping)) {
		snprintf(err, errlen, "stopped");
		return SY_E_IO;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(err, errlen, "the download is larger than %ld MB", MAX_DB_BYTES / (1024 * 1024));
		return SY_E_TOOBIG;
	}
	if (rc != CURLE_OK) {
		/* curl's own messages name hosts, never the query with the key */
		snprintf(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
		return rc == CURLE_OPERATION_TIMEDOUT ? SY_E_TIMEOUT : SY_E_IO;
	}
	if (status != 200) {
		snprintf(err, errlen, "the server answered HTTP %ld%s", status,
		         status == 401 || status == 403 ? " (is MAXMIND_LICENSE_KEY right?)" : "");
		return SY_E_IO;
	}
	return SY_OK;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		b += w;
		n -= (size_t)w;
	}
	return true;
}

/* A tar header's number: octal digits (leading spaces, ending at a space or
 * NUL), or GNU's base-256 when the first byte has its top bit set. */
static bool tar_number(const unsigned char *f, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;
	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return false; /* negative, or too large for us */
		for (size_t i = 1; i < n; i++) {
			if (v >> 55)
				return false;
			v = (v << 8) | f[i];
		}
		*out = v;
		return true;
	}
	size_t i = 0;
	while (i < n && f[i] == ' ')
		i++;
	bool any = false;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return false;
		v = v * 8 + (unsigned)(f[i] - '0');
		any = true;
	}
	if (i < n && f[i] != ' ' && f[i] != '\0')
		return false;
	*out = any ? v : 0;
	return true;
}

static bool tar_checksum_ok(const unsigned char h[512])
{
	unsigned long long want;
	if (!tar_number(h + 148, 8, &want))
		return false;
	unsigned long sum = 0;
	for (size_t i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum == want;
}

/* The last path component of a tar member's name. */
static bool named_db(const char *name)
{
	const char *slash = strrchr(name, '/');
	return strcmp(slash ? slash + 1 : name, DB_FILE_IN_TAR) == 0;
}

struct gz {
	gzFile f;
	long long total; /* decompressed bytes read, against MAX_DB_BYTES */
};

/* Reads exactly n bytes; false at the end of the stream, on an error or past the limit. */
static bool gz_read(struct gz *z, void *buf, size_t n, bool *limit)
{
	if (z->total + (long long)n > MAX_DB_BYTES + 1024L * 1024) {
		*limit = true;
		return false;
	}
	size_t got = 0;
	while (got < n) {
		int r = gzread(z->f, (char *)buf + got, (unsigned)(n - got > (1u << 20) ? (1u << 20) : n - got));
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	z->total += (long long)n;
	return true;
}

/* Copies n bytes (then skips the padding to a 512-byte block) to out_fd, or
 * discards them when out_fd < 0. */
static bool gz_copy(struct gz *z, int out_fd, unsigned long long n, bool *limit, bool *io)
{
	static const size_t CHUNK = 64 * 1024;
	char *buf = sy_malloc(CHUNK);
	unsigned long long left = n + ((512 - n % 512) % 512);
	unsigned long long data_left = n;
	bool ok = true;
	while (left && ok) {
		size_t k = left > CHUNK ? CHUNK : (size_t)left;
		ok = gz_read(z, buf, k, limit);
		if (ok && out_fd >= 0 && data_left) {
			size_t w = data_left < k ? (size_t)data_left : k;
			if (!write_all(out_fd, buf, w)) {
				*io = true;
				ok = false;
			}
			data_left -= w;
		}
		left -= k;
	}
	free(buf);
	return ok;
}

/* Reads an n-byte member into buf and skips its padding. */
static bool gz_copy_to_buf(struct gz *z, char *buf, size_t n, bool *limit)
{
	char pad[512];
	size_t k = (512 - n % 512) % 512;
	return gz_read(z, buf, n, limit) && gz_read(z, pad, k, limit);
}

/* From the downloaded file (in_fd, at its start) to out_fd: the member named
 * GeoLite2-City.mmdb of a .tar.gz, the content of a gzip file that is not a
 * tar archive, or the file itself. */
static enum sy_err unpack(int in_fd, int out_fd, char *err, size_t errlen)
{
	unsigned char magic[2];
	if (pread(in_fd, magic, 2, 0) != 2) {
		snprintf(err, errlen, "the download is empty");
		return SY_E_INVALID;
	}
	if (magic[0] != 0x1f || magic[1] != 0x8b) { /* not gzip: a raw database */
		char buf[64 * 1024];
		ssize_t r;
		off_t off = 0;
		while ((r = pread(in_fd, buf, sizeof buf, off)) > 0) {
			if (!write_all(out_fd, buf, (size_t)r)) {
				snprintf(err, errlen, "cannot write the database: %s", strerror(errno));
				return SY_E_IO;
			}
			off += r;
		}
		if (r < 0) {
			snprintf(err, errlen, "cannot read the download: %s", strerror(errno));
			return SY_E_IO;
		}
		return SY_OK;
	}

	int dfd = dup(in_fd);
	if (dfd < 0) {
		snprintf(err, errlen, "cannot read the download: %s", strerror(errno));
		return SY_E_IO;
	}
	lseek(dfd, 0, SEEK_SET);
	struct gz z = {gzdopen(dfd, "rb"), 0};
	if (!z.f) {
		close(dfd);
		snprintf(err, errlen, "cannot read the download");
		return SY_E_IO;
	}
	gzbuffer(z.f, 128 * 1024);
	enum sy_err e = SY_E_INVALID;
	bool limit = false, io = false, first = true;
	char long_name[1024] = ""; /* from a GNU 'L' or a pax 'x' header, for the next member */
	unsigned char h[512];
	snprintf(err, errlen, "no %s in the archive", DB_FILE_IN_TAR);
	for (;;) {
		if (!gz_read(&z, h, sizeof h, &limit)) {
			if (first && !limit)
				snprintf(err, errlen, "the download is neither a database nor a .tar.gz");
			break;
		}
		bool zero = true;
		for (size_t i = 0; i < sizeof h && zero; i++)
			zero = h[i] == 0;
		if (zero)
			break; /* end of the archive */
		if (!tar_checksum_ok(h)) {
			if (first) { /* a gzip-compressed database rather than an archive */
				if (!write_all(out_fd, h, sizeof h)) {
					io = true;
					break;
				}
				char buf[64 * 1024];
				int r;
				while ((r = gzread(z.f, buf, sizeof buf)) > 0) {
					z.total += r;
					if (z.total > MAX_DB_BYTES) {
						limit = true;
						break;
					}
					if (!write_all(out_fd, buf, (size_t)r)) {
						io = true;
						break;
					}
				}
				if (!limit && !io) {
					int zerr;
					gzerror(z.f, &zerr);
					e = r == 0 && zerr == Z_OK ? SY_OK : SY_E_INVALID;
					if (e)
						snprintf(err, errlen, "the download is a damaged gzip file");
				}
			} else
				snprintf(err, errlen, "the archive is damaged");
			break;
		}
		first = false;
		unsigned long long size;
		if (!tar_number(h + 124, 12, &size)) {
			snprintf(err, errlen, "the archive is damaged");
			break;
		}
		char type = (char)h[156];
		if (type == 'L' || type == 'x') {
			/* the next member's name: GNU long name, or a pax record "n path=...\n" */
			if (size >= sizeof long_name * 64) {
				snprintf(err, errlen, "the archive is damaged");
				break;
			}
			char *buf = sy_malloc((size_t)size + 1);
			bool ok = gz_copy_to_buf(&z, buf, (size_t)size, &limit);
			if (!ok) {
				free(buf);
				break;
			}
			buf[size] = '\0';
			if (type == 'L') {
				snprintf(long_name, sizeof long_name, "%s", buf);
			} else {
				for (char *p = buf; p < buf + size;) {
					char *sp = memchr(p, ' ', (size_t)(buf + size - p));
					long reclen = strtol(p, NULL, 10);
					if (!sp || reclen <= 0 || reclen > buf + size - p)
						break;
					char *rec_end = p + reclen;
					if (strncmp(sp + 1, "path=", 5) == 0 && rec_end[-1] == '\n') {
						size_t vn = (size_t)(rec_end - 1 - (sp + 6));
						if (vn < sizeof long_name) {
							memcpy(long_name, sp + 6, vn);
							long_name[vn] = '\0';
						}
					}
					p = rec_end;
				}
			}
			free(buf);
			continue;
		}
		char name[512];
		if (long_name[0]) {
			snprintf(name, sizeof name, "%s", long_name);
			long_name[0] = '\0';
		} else {
			/* ustar: prefix (155 bytes at 345) "/" name (100 bytes) */
			char n100[101], pre[156];
			memcpy(n100, h, 100);
			n100[100] = '\0';
			memcpy(pre, h + 345, 155);
			pre[155] = '\0';
			/* POSIX ustar only: old GNU archives ("ustar  ") keep times there */
			bool ustar = memcmp(h + 257, "ustar\0", 6) == 0;
			if (ustar && pre[0])
				snprintf(name, sizeof name, "%s/%s", pre, n100);
			else
				snprintf(name, sizeof name, "%s", n100);
		}
		bool regular = type == '0' || type == '\0' || type == '7';
		if (regular && named_db(name)) {
			if (size > (unsigned long long)MAX_DB_BYTES) {
				snprintf(err, errlen, "%s is larger than %ld MB", DB_FILE_IN_TAR,
				         MAX_DB_BYTES / (1024 * 1024));
				e = SY_E_TOOBIG;
				break;
			}
			if (gz_copy(&z, out_fd, size, &limit, &io))
				e = SY_OK;
			else if (!limit && !io)
				snprintf(err, errlen, "the archive ends inside %s", DB_FILE_IN_TAR);
			break;
		}
		/* directories, links and other members carry no data we want */
		unsigned long long skip = (type == '1' || type == '2' || type == '5') ? 0 : size;
		if (!gz_copy(&z, -1, skip, &limit, &io))
			break;
	}
	if (limit) {
		snprintf(err, errlen, "the archive unpacks to more than %ld MB", MAX_DB_BYTES / (1024 * 1024));
		e = SY_E_TOOBIG;
	} else if (io) {
		snprintf(err, errlen, "cannot write the database: %s", strerror(errno));
		e = SY_E_IO;
	}
	gzclose(z.f);
	return e;
}

/* The folder of path ("." for a bare name), into out. */
static void folder_of(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, outlen, ".");
	else if (slash == path)
		snprintf(out, outlen, "/");
	else
		snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

enum sy_err geoip_download(const char *url, const char *path, char *err, size_t errlen)
{
	char dir[4096], dl[4200], tmp[4200];
	folder_of(path, dir, sizeof dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return SY_E_IO;
	}
	snprintf(dl, sizeof dl, "%s/.geolite.XXXXXX.download", dir);
	snprintf(tmp, sizeof tmp, "%s/.geolite.XXXXXX.mmdb.tmp", dir);
	int dl_fd = mkostemps(dl, (int)strlen(".download"), O_CLOEXEC);
	if (dl_fd < 0) {
		snprintf(err, errlen, "cannot create a file in %s: %s", dir, strerror(errno));
		return SY_E_IO;
	}
	int tmp_fd = -1;
	enum sy_err e = fetch(url, dl_fd, err, errlen);
	if (!e) {
		tmp_fd = mkostemps(tmp, (int)strlen(".mmdb.tmp"), O_CLOEXEC);
		if (tmp_fd < 0) {
			snprintf(err, errlen, "cannot create a file in %s: %s", dir, strerror(errno));
			e = SY_E_IO;
		}
	}
	if (!e)
		e = unpack(dl_fd, tmp_fd, err, errlen);
	close(dl_fd);
	unlink(dl);
	if (tmp_fd >= 0) {
		if (!e && (fchmod(tmp_fd, 0640) != 0 || fsync(tmp_fd) != 0)) {
			snprintf(err, errlen, "cannot write the database: %s", strerror(errno));
			e = SY_E_IO;
		}
		if (close(tmp_fd) != 0 && !e) {
			snprintf(err, errlen, "cannot write the database: %s", strerror(errno));
			e = SY_E_IO;
		}
	}
	if (!e) {
		MMDB_s m;
		int rc = MMDB_open(tmp, MMDB_MODE_MMAP, &m);
		if (rc != MMDB_SUCCESS) {
			snprintf(err, errlen, "the download is not a MaxMind database (%s)", MMDB_strerror(rc));
			e = SY_E_INVALID;
		} else {
			MMDB_close(&m);
		}
	}
	if (!e && rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
		e = SY_E_IO;
	}
	if (e) {
		if (tmp_fd >= 0)
			unlink(tmp);
		return e;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) { /* the rename itself survives a crash */
		fsync(dfd);
		close(dfd);
	}
	return SY_OK;
}

/* --- the worker -------------------------------------------------------------- */

static time_t next_attempt; /* worker only */
static unsigned failures;   /* worker only */

static void tick(void)
{
	geoip_refresh();
	if (!g.url || atomic_load(&stopping))
		return;
	time_t now = time(NULL);
	struct stat st;
	bool fresh = stat(g.path, &st) == 0 && now - st.st_mtime < g.max_age;
	if (fresh || now < next_attempt)
		return;
	log_info("geoip: downloading the GeoLite2 City database to %s", g.path);
	char err[512];
	enum sy_err e = geoip_download(g.url, g.path, err, sizeof err);
	if (atomic_load(&stopping))
		return;
	if (e) {
		next_attempt = now + RETRY_SECS;
		/* one warning; the hourly retries after it are quiet unless debugging */
		log_msg(failures++ ? LOG_DEBUG : LOG_WARN,
		        "geoip: downloading the GeoLite2 City database failed: %s; "
		        "trying again every hour",
		        err);
		return;
	}
	failures = 0;
	log_info("geoip: downloaded the GeoLite2 City database");
	geoip_refresh();
}

static void *run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wk_lock);
	while (!atomic_load(&stopping)) {
		pthread_mutex_unlock(&wk_lock);
		tick();
		pthread_mutex_lock(&wk_lock);
		if (atomic_load(&stopping))
			break;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += CHECK_SECS;
		pthread_cond_timedwait(&wk_wake, &wk_lock, &until);
	}
	pthread_mutex_unlock(&wk_lock);
	return NULL;
}

/* url with its first "%s" replaced by the percent-encoded key. */
static char *with_key(const char *url, const char *key)
{
	const char *at = strstr(url, "%s");
	if (!at)
		return sy_strdup(url);
	size_t klen = key ? strlen(key) : 0;
	char *out = sy_malloc(strlen(url) + 3 * klen + 1), *o = out;
	memcpy(o, url, (size_t)(at - url));
	o += at - url;
	for (size_t i = 0; i < klen; i++) {
		unsigned char c = (unsigned char)key[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == '.' || c == '~')
			*o++ = (char)c;
		else {
			static const char hex[] = "0123456789ABCDEF";
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	size_t rest = strlen(at + 2);
	memcpy(o, at + 2, rest + 1);
	return out;
}

static const char *default_url(void)
{
	for (size_t i = 0; i < config_table_len; i++)
		if (strcmp(config_table[i].name, "GEOLITE_DB_URL") == 0)
			return config_table[i].def;
	return NULL;
}

void geoip_setup(const struct sy_config *cfg)
{
	if (g.set_up)
		geoip_stop();
	g.path = sy_strdup(cfg->geolite_db_path && *cfg->geolite_db_path ? cfg->geolite_db_path
	                                                                 : "data/GeoLite2-City.mmdb");
	g.local_ipv6.all = false;
	g.local_ipv6.n = cfg->local_ipv6_ranges.n;
	if (g.local_ipv6.n) {
		g.local_ipv6.v = sy_calloc(g.local_ipv6.n, sizeof *g.local_ipv6.v);
		memcpy(g.local_ipv6.v, cfg->local_ipv6_ranges.v, g.local_ipv6.n * sizeof *g.local_ipv6.v);
	}
	bool test = cfg->app_env && strcmp(cfg->app_env, "test") == 0;
	bool key = cfg->maxmind_license_key && *cfg->maxmind_license_key;
	const char *def = default_url();
	bool custom = cfg->geolite_db_url && *cfg->geolite_db_url && (!def || strcmp(cfg->geolite_db_url, def) != 0);
	if (!test && cfg->geolite_db_url && *cfg->geolite_db_url && (key || custom))
		g.url = with_key(cfg->geolite_db_url, cfg->maxmind_license_key);
	long jitter;
	sy_random(&jitter, sizeof jitter);
	g.max_age = MAX_AGE_SECS + (long)((unsigned long)jitter % (2 * JITTER_SECS + 1)) - JITTER_SECS;

	pthread_mutex_lock(&reload_lock);
	missing_logged = false;
	failed_valid = false;
	pthread_mutex_unlock(&reload_lock);
	next_attempt = 0;
	failures = 0;
	atomic_store(&stopping, false);
	g.set_up = true;
	geoip_refresh(); /* before the first request, so that it already has its database */

	/* SIGTERM and SIGINT belong to the thread that waits for them */
	sigset_t sigs, old;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	wk_running = pthread_create(&worker, NULL, run, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!wk_running)
		log_warn("geoip: cannot start a thread; %s is not reloaded or downloaded until the next restart",
		         g.path);
}

void geoip_stop(void)
{
	if (!g.set_up)
		return;
	pthread_mutex_lock(&wk_lock);
	atomic_store(&stopping, true);
	pthread_cond_signal(&wk_wake);
	pthread_mutex_unlock(&wk_lock);
	if (wk_running)
		pthread_join(worker, NULL);
	wk_running = false;
	atomic_store(&stopping, false); /* geoip_download works without the worker too */
	db_swap(NULL);
	free(g.path);
	free(g.url);
	free(g.local_ipv6.v);
	memset(&g, 0, sizeof g);
}
