/*
 * images.c - the image routes: application images (reference §1.9, §8.10) and
 * profile pictures (§1.4, §8.9).
 *
 * Application images live at application-images/<name>.<ext> in the file
 * storage (images/storage.c), with the extension of the type sniffed from the
 * upload. The bundled defaults (background, favicon, email logo) are not
 * copied into the storage: when an image has no stored file and no deletion
 * marker (application-images/.deleted/<name>) the embedded default is served,
 * which is what Pocket ID's copy-on-start amounts to, without a write at start
 * or a race between instances sharing one database.
 *
 * Profile pictures are profile-pictures/<userId>.png, always a 300x300 PNG made
 * by image_square (images/codec.c); without one, the default-profile-picture
 * application image, then the initials picture (images/initials.c).
 */
#include <string.h>

#include <microhttpd.h>

#include "../auth/auth.h"
#include "../http/http.h"
#include "../store/store.h"
#include "images.h"

#define KB 1024u
/* The file itself may be IMAGE_MAX_BYTES (over that: file_too_large, from the
 * handler, as Pocket ID); the body limit leaves room for the multipart framing
 * and for the way server.c grows a body buffer in the arena (geometrically: a
 * body near the route's limit can need about three times it). */
#define UPLOAD_BODY_MAX (16u << 20)

#define APP_CACHE     "public, max-age=900, stale-while-revalidate=86400"
#define PICTURE_CACHE "public, max-age=900, stale-while-revalidate=3600"
/* Served images are never documents: an SVG opened directly runs no script
 * and loads nothing. */
#define IMAGE_CSP "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"

/* Extensions Pocket ID accepts, in the order a tie is broken. */
static const char *const EXTS[] = {"png", "jpg", "jpeg", "webp", "gif", "svg", "ico", "avif", "heic"};
#define NEXTS (sizeof EXTS / sizeof EXTS[0])

enum { T_PNG = 1 << IMAGE_PNG, T_JPEG = 1 << IMAGE_JPEG, T_SVG = 1 << IMAGE_SVG, T_ICO = 1 << IMAGE_ICO };

struct app_image {
	const char *route; /* segment after /api/application-images/ */
	const char *name;  /* storage name; NULL: logoLight or logoDark by ?light */
	unsigned types;    /* allowed sniffed types; 0: any image */
	const char *expected;
	const unsigned char *def;
	const size_t *def_len;
	const char *def_mime;
};

static const struct app_image IMAGES[] = {
        {"logo", NULL, 0, NULL, NULL, NULL, NULL},
        {"email", "logoEmail", T_PNG | T_JPEG, "PNG or JPEG", images_default_logo_email, &images_default_logo_email_len,
         "image/png"},
        {"background", "background", 0, NULL, images_default_background, &images_default_background_len, "image/webp"},
        {"favicon", "favicon", T_SVG | T_PNG | T_ICO, "SVG, PNG, or ICO", images_default_favicon,
         &images_default_favicon_len, "image/x-icon"},
        {"default-profile-picture", "default-profile-picture", 0, NULL, NULL, NULL, NULL},
};

static const struct app_image *image_of(struct http_req *r)
{
	const char *seg = strrchr(r->path, '/');
	for (size_t i = 0; seg && i < sizeof IMAGES / sizeof IMAGES[0]; i++)
		if (strcmp(seg + 1, IMAGES[i].route) == 0)
			return &IMAGES[i];
	return NULL;
}

/* ?light: absent means the light logo; otherwise Go's strconv.ParseBool,
 * where anything not true (errors included) is false. */
static const char *name_of(struct http_req *r, const struct app_image *im)
{
	if (im->name)
		return im->name;
	const char *v = http_query(r, "light");
	if (!v)
		return "logoLight";
	static const char *const TRUE[] = {"1", "t", "T", "TRUE", "true", "True"};
	for (size_t i = 0; i < sizeof TRUE / sizeof TRUE[0]; i++)
		if (strcmp(v, TRUE[i]) == 0)
			return "logoLight";
	return "logoDark";
}

static bool skip_cache(struct http_req *r)
{
	const char *v;
	size_t n;
	return r->conn &&
	       MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, "skipCache", 9, &v, &n) == MHD_YES;
}

static enum sy_err serve(struct http_req *r, const char *mime, const void *data, size_t n, const char *cache)
{
	if (!skip_cache(r))
		http_header_add(r, "Cache-Control", cache);
	http_header_add(r, "Content-Security-Policy", IMAGE_CSP);
	return http_reply(r, 200, mime, data, n);
}

static bool uuid_ok(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

static enum sy_err not_found(struct http_req *r)
{
	return http_fail(r, SY_E_NOTFOUND, "image_not_found", "Image not found");
}

static enum sy_err invalid_image(struct http_req *r, const char *why)
{
	log_info("request %s: invalid image: %s", r->request_id, why ? why : "unknown");
	return http_fail(r, SY_E_INVALID, "invalid_image", "File is not a valid image");
}

/* 415, which no enum sy_err maps to: the error body is made here, in the
 * shape of http_render_error's. */
static enum sy_err unsupported(struct http_req *r, const char *expected)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "error", "File type is not supported", "code",
	                         "file_type_not_supported", "request_id", r->request_id);
	if (expected) {
		const char *msg = arena_printf(&r->arena, "File must be of type %s", expected);
		if (!msg) {
			json_decref(body);
			return SY_E_TOOBIG;
		}
		json_object_set_new(body, "error", json_string(msg));
		json_object_set_new(body, "details", json_pack("{s:s}", "expected_file_type", expected));
	}
	return http_reply_json(r, 415, body);
}

/* The `file` part of a multipart upload, within IMAGE_MAX_BYTES. */
static enum sy_err upload(struct http_req *r, struct http_part *part)
{
	enum sy_err e = http_multipart_file(r, "file", part);
	if (e == SY_E_NOTFOUND)
		return http_fail_field(r, "file", "required", "is required");
	if (e)
		return e;
	if (part->len > IMAGE_MAX_BYTES) {
		json_decref(r->err_details);
		r->err_details = json_pack("{s:s}", "max_size", "10 MB");
		return http_fail(r, SY_E_TOOBIG, "file_too_large", "File must not exceed 10 MB");
	}
	return SY_OK;
}

/* Room in the arena for a stored image read back whole. */
static void room_for_image(struct http_req *r)
{
	if (r->arena.limit < ARENA_DEFAULT_LIMIT + IMAGE_MAX_BYTES + 64 * KB)
		r->arena.limit = ARENA_DEFAULT_LIMIT + IMAGE_MAX_BYTES + 64 * KB;
}

static void image_paths(struct arena *a, const char *name, const char **paths)
{
	for (size_t i = 0; i < NEXTS; i++)
		paths[i] = arena_printf(a, "application-images/%s.%s", name, EXTS[i]);
}

/* The stored image `name` (any extension), or the bundled default unless it
 * was deleted; SY_E_NOTFOUND (not answered) when there is neither. */
static enum sy_err load_app_image(struct http_req *r, struct store *s, const char *name, const struct app_image *im,
                                  const char **mime, const void **data, size_t *n)
{
	const char *paths[NEXTS];
	image_paths(&r->arena, name, paths);
	for (size_t i = 0; i < NEXTS; i++)
		if (!paths[i])
			return SY_E_TOOBIG;
	room_for_image(r);
	size_t which;
	const uint8_t *d;
	enum sy_err e = filestore_read(s, &r->arena, paths, NEXTS, IMAGE_MAX_BYTES, &which, &d, n);
	if (!e) {
		*mime = image_ext_mime(EXTS[which]);
		*data = d;
		return SY_OK;
	}
	if (e != SY_E_NOTFOUND || !im || !im->def)
		return e;
	const char *marker = arena_printf(&r->arena, "application-images/.deleted/%s", name);
	if (!marker)
		return SY_E_TOOBIG;
	if ((e = filestore_exists(s, marker)) != SY_E_NOTFOUND)
		return e ? e : SY_E_NOTFOUND;
	*mime = im->def_mime;
	*data = im->def;
	*n = *im->def_len;
	return SY_OK;
}

/* GET /api/application-images/{logo,email,background,favicon,default-profile-picture} */
static enum sy_err app_image_get(struct http_req *r)
{
	const struct app_image *im = image_of(r);
	struct store *s;
	struct session me;
	enum sy_err e;
	if (!im)
		return SY_E_NOTFOUND;
	if ((e = auth_store(r, &s)))
		return e;
	/* the others are public */
	if (im->name && strcmp(im->name, "default-profile-picture") == 0 && (e = auth_admin(r, s, &me)))
		return e;
	const char *mime;
	const void *data;
	size_t n;
	e = load_app_image(r, s, name_of(r, im), im, &mime, &data, &n);
	if (e == SY_E_NOTFOUND)
		return not_found(r);
	if (e)
		return e;
	return serve(r, mime, data, n, APP_CACHE);
}

/* The other extensions of name and its deletion marker go; in the database in
 * the upload's transaction. */
static enum sy_err remove_others(struct http_req *r, struct store *s, const char *name, const char *keep)
{
	const char *paths[NEXTS];
	image_paths(&r->arena, name, paths);
	for (size_t i = 0; i < NEXTS; i++) {
		if (!paths[i])
			return SY_E_TOOBIG;
		if (strcmp(EXTS[i], keep) == 0)
			continue;
		enum sy_err e = filestore_delete(s, paths[i]);
		if (e && e != SY_E_NOTFOUND)
			return e;
	}
	const char *marker = arena_printf(&r->arena, "application-images/.deleted/%s", name);
	if (!marker)
		return SY_E_TOOBIG;
	enum sy_err e = filestore_delete(s, marker);
	return e == SY_E_NOTFOUND ? SY_OK : e;
}

static enum sy_err begin(struct store *s)
{
	return filestore_in_database() ? store_begin(s) : SY_OK;
}

static enum sy_err finish(struct store *s, enum sy_err e)
{
	if (!filestore_in_database())
		return e;
	if (!e && !(e = store_commit(s)))
		return SY_OK;
	store_rollback(s);
	return e;
}

/* PUT /api/application-images/...: multipart `file`, type sniffed. */
static enum sy_err app_image_put(struct http_req *r)
{
	const struct app_image *im = image_of(r);
	struct store *s;
	struct session me;
	struct http_part part;
	enum sy_err e;
	if (!im)
		return SY_E_NOTFOUND;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)) || (e = upload(r, &part)))
		return e;
	enum image_type t = image_sniff(part.data, part.len);
	if (im->types ? !(im->types & (1u << t)) : t == IMAGE_UNKNOWN)
		return unsupported(r, im->expected);
	uint8_t *clean;
	size_t n;
	if (image_strip_metadata(t, part.data, part.len, &clean, &n))
		return invalid_image(r, "broken structure");
	const char *name = name_of(r, im), *ext = image_type_ext(t);
	const char *path = arena_printf(&r->arena, "application-images/%s.%s", name, ext);
	if (!path)
		e = SY_E_TOOBIG;
	else if (!(e = begin(s))) {
		e = filestore_write(s, path, clean, n);
		if (!e)
			e = remove_others(r, s, name, ext);
		e = finish(s, e);
	}
	free(clean);
	return e ? e : http_reply_empty(r, 204);
}

/* DELETE /api/application-images/{logo,background,default-profile-picture} */
static enum sy_err app_image_delete(struct http_req *r)
{
	const struct app_image *im = image_of(r);
	struct store *s;
	struct session me;
	enum sy_err e;
	if (!im)
		return SY_E_NOTFOUND;
	if ((e = auth_store(r, &s)) || (e = auth_admin(r, s, &me)))
		return e;
	const char *name = name_of(r, im);
	const char *paths[NEXTS];
	image_paths(&r->arena, name, paths);
	const char *marker = arena_printf(&r->arena, "application-images/.deleted/%s", name);
	if (!marker)
		return SY_E_TOOBIG;
	if ((e = begin(s)))
		return e;
	bool had = false;
	for (size_t i = 0; i < NEXTS && !e; i++) {
		enum sy_err d = paths[i] ? filestore_delete(s, paths[i]) : SY_E_TOOBIG;
		if (!d)
			had = true;
		else if (d != SY_E_NOTFOUND)
			e = d;
	}
	/* the bundled default counts as an image until its marker exists */
	if (!e && !had && im->def)
		had = filestore_exists(s, marker) == SY_E_NOTFOUND;
	if (!e && had) {
		/* Pocket ID's marker: the bundled default is not brought back */
		e = filestore_write(s, marker, (const uint8_t *)"", 0);
	}
	e = finish(s, e);
	if (e)
		return e;
	return had ? http_reply_empty(r, 204) : not_found(r);
}

/* ---- profile pictures ---- */

static const char *picture_path(struct http_req *r, const char *user_id)
{
	return arena_printf(&r->arena, "profile-pictures/%s.png", user_id);
}

static enum sy_err bad_user_id(struct http_req *r)
{
	return http_fail_field(r, "userId", "invalid_format", "must be a valid UUID");
}

static enum sy_err user_not_found(struct http_req *r)
{
	return http_fail(r, SY_E_NOTFOUND, "user_not_found", "User not found");
}

/* GET /api/users/:id/profile-picture.png (public) */
static enum sy_err picture_get(struct http_req *r)
{
	const char *id = http_param(r, "id");
	struct store *s;
	struct user u;
	enum sy_err e;
	if (!uuid_ok(id))
		return bad_user_id(r);
	if ((e = auth_store(r, &s)))
		return e;
	if ((e = user_get(s, &r->arena, id, &u)))
		return e == SY_E_NOTFOUND ? user_not_found(r) : e;
	const char *path = picture_path(r, id);
	if (!path)
		return SY_E_TOOBIG;
	room_for_image(r);
	size_t which;
	const uint8_t *data;
	size_t n;
	e = filestore_read(s, &r->arena, &path, 1, IMAGE_MAX_BYTES, &which, &data, &n);
	if (!e)
		return serve(r, "image/png", data, n, PICTURE_CACHE);
	if (e != SY_E_NOTFOUND)
		return e;
	const char *mime;
	const void *d;
	e = load_app_image(r, s, "default-profile-picture", NULL, &mime, &d, &n);
	if (!e)
		return serve(r, mime, d, n, PICTURE_CACHE);
	if (e != SY_E_NOTFOUND)
		return e;
	const char *initials = image_initials(&r->arena, u.first_name, u.last_name, u.username);
	if (!initials)
		return SY_E_TOOBIG;
	if ((e = image_initials_png(&r->arena, initials, &data, &n)))
		return e;
	return serve(r, "image/png", data, n, PICTURE_CACHE);
}

/* The user a picture route is about: the caller (/me) or :id (admins only). */
static enum sy_err picture_owner(struct http_req *r, struct store **s, const char **id)
{
	struct session me;
	enum sy_err e;
	if ((e = auth_store(r, s)))
		return e;
	const char *param = http_param(r, "id");
	if (!param) {
		if ((e = auth_user(r, *s, &me)))
			return e;
		*id = arena_strdup(&r->arena, me.user.id);
		return *id ? SY_OK : SY_E_TOOBIG;
	}
	if ((e = auth_admin(r, *s, &me)))
		return e;
	if (!uuid_ok(param))
		return bad_user_id(r);
	struct user u;
	if ((e = user_get(*s, &r->arena, param, &u)))
		return e == SY_E_NOTFOUND ? user_not_found(r) : e;
	*id = param;
	return SY_OK;
}

/* PUT /api/users/me/profile-picture, /api/users/:id/profile-picture */
static enum sy_err picture_put(struct http_req *r)
{
	struct store *s;
	const char *id;
	struct http_part part;
	enum sy_err e;
	if ((e = picture_owner(r, &s, &id)) || (e = upload(r, &part)))
		return e;
	uint8_t *rgba;
	const char *why;
	if (image_square(part.data, part.len, PROFILE_PICTURE_SIDE, &rgba, &why))
		return invalid_image(r, why);
	/* opaque pictures (nearly all) are stored without the alpha channel */
	size_t px = (size_t)PROFILE_PICTURE_SIDE * PROFILE_PICTURE_SIDE;
	bool opaque = true;
	for (size_t i = 0; i < px && opaque; i++)
		opaque = rgba[i * 4 + 3] == 255;
	if (opaque)
		for (size_t i = 0; i < px; i++)
			memmove(rgba + i * 3, rgba + i * 4, 3);
	uint8_t *png;
	size_t n;
	e = image_png_encode(rgba, PROFILE_PICTURE_SIDE, PROFILE_PICTURE_SIDE, opaque ? 3 : 4, &png, &n);
	free(rgba);
	if (e)
		return e;
	const char *path = picture_path(r, id);
	e = path ? filestore_write(s, path, png, n) : SY_E_TOOBIG;
	free(png);
	return e ? e : http_reply_empty(r, 204);
}

/* DELETE /api/users/me/profile-picture, /api/users/:id/profile-picture */
static enum sy_err picture_delete(struct http_req *r)
{
	struct store *s;
	const char *id;
	enum sy_err e;
	if ((e = picture_owner(r, &s, &id)) || (e = images_profile_delete(s, id)))
		return e;
	return http_reply_empty(r, 204);
}

enum sy_err images_profile_delete(struct store *s, const char *user_id)
{
	if (!uuid_ok(user_id))
		return SY_E_INVALID;
	char path[64];
	snprintf(path, sizeof path, "profile-pictures/%s.png", user_id);
	enum sy_err e = filestore_delete(s, path);
	return e == SY_E_NOTFOUND ? SY_OK : e;
}

#define APP "/api/application-images/"
static const struct http_route ROUTES[] = {
        {HTTP_GET, APP "logo", app_image_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, APP "email", app_image_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, APP "background", app_image_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, APP "favicon", app_image_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, APP "default-profile-picture", app_image_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, APP "logo", app_image_put, UPLOAD_BODY_MAX, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, APP "email", app_image_put, UPLOAD_BODY_MAX, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, APP "background", app_image_put, UPLOAD_BODY_MAX, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, APP "favicon", app_image_put, UPLOAD_BODY_MAX, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, APP "default-profile-picture", app_image_put, UPLOAD_BODY_MAX, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, APP "logo", app_image_delete, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, APP "background", app_image_delete, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, APP "default-profile-picture", app_image_delete, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/users/:id/profile-picture.png", picture_get, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/users/me/profile-picture", picture_put, UPLOAD_BODY_MAX, 0, HTTP_LIMIT_NONE},
        {HTTP_PUT, "/api/users/:id/profile-picture", picture_put, UPLOAD_BODY_MAX, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, "/api/users/me/profile-picture", picture_delete, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_DELETE, "/api/users/:id/profile-picture", picture_delete, 0, 0, HTTP_LIMIT_NONE},
};
const struct http_route *const images_routes = ROUTES;
const size_t images_routes_len = sizeof ROUTES / sizeof ROUTES[0];
