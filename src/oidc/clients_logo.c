/*
 * clients_logo.c - a client's light and dark logos (reference §1.6, §8.10),
 * shown on the consent page and in My Apps.
 *
 * They live in the application images' file storage (src/admin/images, a
 * folder or the `storage` table, as FILE_BACKEND says) at
 * oidc-client-images/<clientId>[-dark].<ext>; the extension is the type
 * sniffed from the upload's bytes and is kept in image_type /
 * dark_image_type, which also say whether a logo exists. A dark logo that
 * is missing falls back to the light one.
 */
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "../admin/images.h"
#include "../auth/auth.h"
#include "../store/store.h"
#include "oidc.h"

#define LOGO_MAX   (2u << 20)
#define LOGO_CACHE "public, max-age=900, stale-while-revalidate=43200"
/* served images are never documents: an SVG opened directly runs nothing */
#define IMAGE_CSP "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"

static char *logo_path(struct arena *a, const char *id, bool dark, const char *ext)
{
	return arena_printf(a, "oidc-client-images/%s%s.%s", id, dark ? "-dark" : "", ext);
}

void oidc_admin_logo_remove(struct store *s, const char *id, bool dark, const char *ext)
{
	if (!ext || !*ext)
		return;
	char path[512];
	int n = snprintf(path, sizeof path, "oidc-client-images/%s%s.%s", id, dark ? "-dark" : "", ext);
	enum sy_err e = n > 0 && (size_t)n < sizeof path ? filestore_delete(s, path) : SY_E_TOOBIG;
	if (e && e != SY_E_NOTFOUND)
		log_warn("cannot delete the logo %s of client %s: %s", ext, id, sy_err_name(e));
}

/* ?light: absent means the light logo; otherwise Go's strconv.ParseBool,
 * where anything but true (errors included) is false. */
static bool want_dark(struct http_req *r)
{
	const char *v = http_query(r, "light");
	if (!v)
		return false;
	static const char *const TRUE[] = {"1", "t", "T", "TRUE", "true", "True"};
	for (size_t i = 0; i < sizeof TRUE / sizeof TRUE[0]; i++)
		if (strcmp(v, TRUE[i]) == 0)
			return false;
	return true;
}

static enum sy_err image_missing(struct http_req *r)
{
	return http_fail(r, SY_E_NOTFOUND, "image_not_found", "Image not found");
}

/* The extensions of the client's light and dark logos (NULL when none). */
static enum sy_err logo_types(struct http_req *r, struct store *s, const char *id, char **light, char **dark)
{
	struct store_stmt *st;
	enum sy_err e = store_prepare(s, "SELECT image_type, dark_image_type FROM oidc_clients WHERE id = ?", &st);
	if (e)
		return e;
	store_bind_text(st, 1, id);
	bool row;
	e = store_step(st, &row);
	*light = *dark = NULL;
	if (!e && row) {
		if (!store_col_null(st, 0) && *store_col_text(st, 0))
			*light = arena_strdup(&r->arena, store_col_text(st, 0));
		if (!store_col_null(st, 1) && *store_col_text(st, 1))
			*dark = arena_strdup(&r->arena, store_col_text(st, 1));
	}
	store_finalize(st);
	return e ? e : row ? SY_OK : SY_E_NOTFOUND;
}

static bool skip_cache(struct http_req *r)
{
	const char *v;
	size_t n;
	return r->conn &&
	       MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, "skipCache", 9, &v, &n) == MHD_YES;
}

/* GET /api/oidc/clients/:id/logo?light= (public) */
enum sy_err oidc_admin_logo_get(struct http_req *r)
{
	struct store *s;
	char *light, *dark;
	enum sy_err e;
	const char *id = http_param(r, "id");
	if ((e = auth_store(r, &s)))
		return e;
	/* an unknown client has no logo either: the public route says no more */
	if ((e = logo_types(r, s, id, &light, &dark)))
		return e == SY_E_NOTFOUND ? image_missing(r) : e;
	bool use_dark = want_dark(r) && dark;
	const char *ext = use_dark ? dark : light;
	if (!ext)
		return image_missing(r);
	const char *path = logo_path(&r->arena, id, use_dark, ext);
	if (!path)
		return SY_E_TOOBIG;
	if (r->arena.limit < ARENA_DEFAULT_LIMIT + IMAGE_MAX_BYTES + 64 * 1024)
		r->arena.limit = ARENA_DEFAULT_LIMIT + IMAGE_MAX_BYTES + 64 * 1024;
	size_t which, n;
	const uint8_t *data;
	e = filestore_read(s, &r->arena, &path, 1, IMAGE_MAX_BYTES, &which, &data, &n);
	if (e == SY_E_NOTFOUND)
		return image_missing(r);
	if (e)
		return e;
	const char *mime = image_ext_mime(ext);
	if (!skip_cache(r))
		http_header_add(r, "Cache-Control", LOGO_CACHE);
	http_header_add(r, "Content-Security-Policy", IMAGE_CSP);
	return http_reply(r, 200, mime ? mime : "application/octet-stream", data, n);
}

/* The `file` part: an image of a known type within LOGO_MAX, without its
 * metadata (*clean is malloc'ed). Answers the request on failure. */
static enum sy_err read_upload(struct http_req *r, uint8_t **clean, size_t *n, enum image_type *t)
{
	struct http_part part;
	enum sy_err e = http_multipart_file(r, "file", &part);
	if (e == SY_E_NOTFOUND)
		return http_fail_field(r, "file", "required", "is required");
	if (e)
		return e;
	if (part.len > LOGO_MAX)
		return http_fail_details(r, SY_E_TOOBIG, "file_too_large", "File must not exceed 2 MB",
		                         json_pack("{s:s}", "max_size", "2 MB"));
	*t = image_sniff(part.data, part.len);
	/* 415, which no enum sy_err maps to: the body in http_render_error's
	 * shape, answered here (the caller sees r->replied) */
	if (*t == IMAGE_UNKNOWN)
		return http_reply_json(r, 415,
		                       json_pack("{s:s, s:s, s:s}", "error", "File type is not supported", "code",
		                                 "file_type_not_supported", "request_id", r->request_id));
	if (image_strip_metadata(*t, part.data, part.len, clean, n)) {
		log_info("request %s: invalid logo", r->request_id);
		return http_fail(r, SY_E_INVALID, "invalid_image", "File is not a valid image");
	}
	return SY_OK;
}

/* Writes the file and the column; in the database both in one transaction.
 * On the filesystem the file comes first, so the column never names a file
 * that was not written. */
static enum sy_err store_logo(struct http_req *r, struct store *s, const char *id, bool dark, const char *ext,
                              const uint8_t *data, size_t n)
{
	const char *path = logo_path(&r->arena, id, dark, ext);
	if (!path)
		return SY_E_TOOBIG;
	bool db = filestore_in_database(), row;
	enum sy_err e = db ? store_begin(s) : SY_OK;
	if (e)
		return e;
	if (!(e = filestore_write(s, path, data, n)))
		e = store_run(s,
		              dark ? "UPDATE oidc_clients SET dark_image_type = ? WHERE id = ?"
		                   : "UPDATE oidc_clients SET image_type = ? WHERE id = ?",
		              (const char *const[]){ext, id}, 2, &row);
	if (db && !e)
		e = store_commit(s);
	if (db && e)
		store_rollback(s);
	return e;
}

/* POST /api/oidc/clients/:id/logo?light= (multipart `file`) */
enum sy_err oidc_admin_logo_put(struct http_req *r)
{
	struct store *s;
	struct session me;
	char *light, *dark;
	uint8_t *clean;
	size_t n;
	enum image_type t = IMAGE_UNKNOWN;
	enum sy_err e;
	const char *id = http_param(r, "id");
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	if ((e = logo_types(r, s, id, &light, &dark)))
		return e == SY_E_NOTFOUND ? oidc_admin_client_missing(r) : e;
	if ((e = read_upload(r, &clean, &n, &t)) || r->replied)
		return e;
	bool is_dark = want_dark(r);
	const char *ext = image_type_ext(t), *old = is_dark ? dark : light;
	e = store_logo(r, s, id, is_dark, ext, clean, n);
	free(clean);
	if (e)
		return e;
	/* an upload of another type leaves the old file behind otherwise */
	if (old && strcmp(old, ext) != 0)
		oidc_admin_logo_remove(s, id, is_dark, old);
	return http_reply_empty(r, 204);
}

/* DELETE /api/oidc/clients/:id/logo?light= */
enum sy_err oidc_admin_logo_delete(struct http_req *r)
{
	struct store *s;
	struct session me;
	char *light, *dark;
	enum sy_err e;
	bool row;
	const char *id = http_param(r, "id");
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	if ((e = logo_types(r, s, id, &light, &dark)))
		return e == SY_E_NOTFOUND ? oidc_admin_client_missing(r) : e;
	bool is_dark = want_dark(r);
	const char *ext = is_dark ? dark : light;
	if (!ext)
		return image_missing(r);
	if ((e = store_run(s,
	                   is_dark ? "UPDATE oidc_clients SET dark_image_type = NULL WHERE id = ?"
	                           : "UPDATE oidc_clients SET image_type = NULL WHERE id = ?",
	                   (const char *const[]){id}, 1, &row)))
		return e;
	oidc_admin_logo_remove(s, id, is_dark, ext);
	return http_reply_empty(r, 204);
}
