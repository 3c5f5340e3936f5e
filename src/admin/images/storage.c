/*
 * storage.c - Pocket ID's file storage for uploads (reference §8.10): a folder
 * (FILE_BACKEND=filesystem, UPLOAD_PATH) or the `storage` table
 * (FILE_BACKEND=database, migration 0004), with Pocket ID's relative paths, so
 * an existing data folder or database keeps its images.
 *
 * On the filesystem a write goes to a temporary file in the same folder, is
 * flushed, then renamed over the old file: a reader sees the old or the new
 * file, never half of one. In the database a write is one upsert, and every
 * instance sharing the database sees it at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../auth/auth.h"
#include "../../store/store.h"
#include "../images.h"

#define MAX_CANDIDATES 16

static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static bool cfg_set, in_db;
static char *root;

void filestore_setup(const char *backend, const char *upload_path)
{
	pthread_mutex_lock(&cfg_lock);
	free(root);
	in_db = backend && strcmp(backend, "database") == 0;
	root = sy_strdup(upload_path && *upload_path ? upload_path : "data/uploads");
	cfg_set = true;
	pthread_mutex_unlock(&cfg_lock);
}

/* The configuration, from the server's when filestore_setup was not called.
 * root is written once and never freed while requests run. */
static bool database(void)
{
	pthread_mutex_lock(&cfg_lock);
	if (!cfg_set) {
		const struct sy_config *c = auth_config();
		in_db = c && c->file_backend && strcmp(c->file_backend, "database") == 0;
		root = sy_strdup(c && c->upload_path && *c->upload_path ? c->upload_path : "data/uploads");
		cfg_set = true;
	}
	bool db = in_db;
	pthread_mutex_unlock(&cfg_lock);
	return db;
}

bool filestore_path_ok(const char *path)
{
	if (!path || !*path || strlen(path) > 512 || path[0] == '/')
		return false;
	const char *seg = path;
	for (const char *p = path;; p++) {
		char c = *p;
		if (c == '/' || c == '\0') {
			size_t n = (size_t)(p - seg);
			if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (c == '\0')
				return true;
			seg = p + 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.'))
			return false;
	}
}

static char *full_path(const char *path)
{
	size_t n = strlen(root) + 1 + strlen(path) + 1;
	char *f = sy_malloc(n);
	snprintf(f, n, "%s/%s", root, path);
	return f;
}

/* ---- filesystem ---- */

static enum sy_err fs_read_file(const char *full, struct arena *a, size_t max, const uint8_t **data, size_t *n)
{
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? SY_E_NOTFOUND : SY_E_IO;
	struct stat st;
	enum sy_err e = SY_OK;
	uint8_t *buf = NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		e = SY_E_IO;
	else if ((uint64_t)st.st_size > max)
		e = SY_E_TOOBIG;
	else if (!(buf = arena_alloc(a, (size_t)st.st_size + 1)))
		e = SY_E_TOOBIG;
	size_t got = 0;
	while (!e && got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = SY_E_IO;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (!e) {
		*data = buf;
		*n = got;
	}
	return e;
}

static enum sy_err fs_read(struct arena *a, const char *const *paths, size_t np, size_t max, size_t *which,
                           const uint8_t **data, size_t *n)
{
	bool found = false;
	struct timespec best = {0, 0};
	for (size_t i = 0; i < np; i++) {
		char *f = full_path(paths[i]);
		struct stat st;
		int r = stat(f, &st);
		free(f);
		if (r || !S_ISREG(st.st_mode))
			continue;
		if (!found || st.st_mtim.tv_sec > best.tv_sec ||
		    (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec > best.tv_nsec)) {
			found = true;
			best = st.st_mtim;
			*which = i;
		}
	}
	if (!found)
		return SY_E_NOTFOUND;
	char *f = full_path(paths[*which]);
	enum sy_err e = fs_read_file(f, a, max, data, n);
	if (e == SY_E_IO)
		log_error("images: cannot read %s: %s", f, strerror(errno));
	free(f);
	return e;
}

/* mkdir -p of the folder that holds full (a path with at least one '/'). */
static bool make_parents(const char *full)
{
	char *d = sy_strdup(full);
	bool ok = true;
	for (char *p = d + 1; *p && ok; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0755) && errno != EEXIST)
			ok = false;
		*p = '/';
	}
	free(d);
	return ok;
}

static enum sy_err fs_write(const char *path, const uint8_t *data, size_t n)
{
	char *f = full_path(path);
	size_t tn = strlen(f) + 16;
	char *tmp = sy_malloc(tn);
	snprintf(tmp, tn, "%s.tmp-XXXXXX", f);
	enum sy_err e = SY_E_IO;
	int fd = -1;
	if (!make_parents(f) || (fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		log_error("images: cannot create a file next to %s: %s", f, strerror(errno));
		goto out;
	}
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, data + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	/* mkostemp makes 0600; uploads are not secret, and Pocket ID's are 0644 */
	if (done != n || fchmod(fd, 0644) || fsync(fd) || close(fd)) {
		log_error("images: cannot write %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, f)) {
		log_error("images: cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	e = SY_OK;
out:
	free(tmp);
	free(f);
	return e;
}

/* ---- database ---- */

static enum sy_err db_read(struct store *s, struct arena *a, const char *const *paths, size_t np, size_t max,
                           size_t *which, const uint8_t **data, size_t *n)
{
	char sql[512];
	size_t o = (size_t)snprintf(sql, sizeof sql,
	                            "SELECT path, length(data), CASE WHEN length(data) <= ? THEN data END FROM storage "
	                            "WHERE path IN (");
	for (size_t i = 0; i < np && o < sizeof sql; i++)
		o += (size_t)snprintf(sql + o, sizeof sql - o, i ? ", ?" : "?");
	if (o < sizeof sql)
		o += (size_t)snprintf(sql + o, sizeof sql - o, ") ORDER BY mod_time DESC, path LIMIT 1");
	if (o >= sizeof sql)
		return SY_E_INTERNAL; /* more candidate paths than any image name has */
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, sql, &st);
	if (e)
		return e;
	store_bind_int(st, 1, (int64_t)max);
	for (size_t i = 0; i < np; i++)
		store_bind_text(st, (int)i + 2, paths[i]);
	bool row;
	e = store_step(st, &row);
	if (!e && !row)
		e = SY_E_NOTFOUND;
	if (!e) {
		const char *p = store_col_text(st, 0);
		for (size_t i = 0; i < np; i++)
			if (strcmp(paths[i], p) == 0)
				*which = i;
		int64_t len = store_col_int(st, 1);
		if (len < 0 || (uint64_t)len > max) {
			e = SY_E_TOOBIG;
		} else if (len == 0) {
			*data = (const uint8_t *)"";
			*n = 0;
		} else {
			*data = store_col_blob(st, 2, a, n);
			if (!*data || *n != (size_t)len)
				e = SY_E_TOOBIG; /* the arena was full */
		}
	}
	store_finalize(st);
	return e;
}

static enum sy_err db_exec_path(struct store *s, const char *sql, const char *path, bool *row)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, sql, &st);
	if (e)
		return e;
	store_bind_text(st, 1, path);
	e = store_step(st, row);
	store_finalize(st);
	return e;
}

/* ---- the interface ---- */

enum sy_err filestore_read(struct store *s, struct arena *a, const char *const *paths, size_t npaths, size_t max,
                           size_t *which, const uint8_t **data, size_t *n)
{
	if (npaths == 0 || npaths > MAX_CANDIDATES)
		return SY_E_INTERNAL;
	for (size_t i = 0; i < npaths; i++)
		if (!filestore_path_ok(paths[i]))
			return SY_E_INVALID;
	*which = 0;
	return database() ? db_read(s, a, paths, npaths, max, which, data, n)
	                  : fs_read(a, paths, npaths, max, which, data, n);
}

enum sy_err filestore_exists(struct store *s, const char *path)
{
	if (!filestore_path_ok(path))
		return SY_E_INVALID;
	if (database()) {
		bool row;
		enum sy_err e = db_exec_path(s, "SELECT 1 FROM storage WHERE path = ?", path, &row);
		return e ? e : row ? SY_OK : SY_E_NOTFOUND;
	}
	char *f = full_path(path);
	struct stat st;
	int r = stat(f, &st);
	free(f);
	return r == 0 ? SY_OK : errno == ENOENT || errno == ENOTDIR ? SY_E_NOTFOUND : SY_E_IO;
}

enum sy_err filestore_write(struct store *s, const char *path, const uint8_t *data, size_t n)
{
	if (!filestore_path_ok(path))
		return SY_E_INVALID;
	if (!database())
		return fs_write(path, data, n);
	struct store_stmt *st;
	enum sy_err e = store_prepare(s,
	                              "INSERT INTO storage (path, data, size, mod_time, created_at) "
	                              "VALUES (?, ?, ?, ts(?), ts(?)) ON CONFLICT (path) DO UPDATE SET "
	                              "data = excluded.data, size = excluded.size, mod_time = excluded.mod_time",
	                              &st);
	if (e)
		return e;
	int64_t now = (int64_t)time(NULL);
	store_bind_text(st, 1, path);
	store_bind_blob(st, 2, data, n);
	store_bind_int(st, 3, (int64_t)n);
	store_bind_int(st, 4, now);
	store_bind_int(st, 5, now);
	bool row;
	e = store_step(st, &row);
	store_finalize(st);
	return e;
}

enum sy_err filestore_delete(struct store *s, const char *path)
{
	if (!filestore_path_ok(path))
		return SY_E_INVALID;
	if (database()) {
		bool row;
		enum sy_err e = db_exec_path(s, "DELETE FROM storage WHERE path = ? RETURNING path", path, &row);
		return e ? e : row ? SY_OK : SY_E_NOTFOUND;
	}
	char *f = full_path(path);
	enum sy_err e = SY_OK;
	if (unlink(f)) {
		e = errno == ENOENT || errno == ENOTDIR ? SY_E_NOTFOUND : SY_E_IO;
		if (e == SY_E_IO)
			log_error("images: cannot delete %s: %s", f, strerror(errno));
	}
	free(f);
	return e;
}

bool filestore_in_database(void)
{
	return database();
}
