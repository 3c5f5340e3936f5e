/*
 * images.h - application images (logo, email logo, login background, favicon,
 * default profile picture) and users' profile pictures (reference §1.4, §1.9,
 * §8.9, §8.10): their routes, the file storage they live in, the bounded image
 * codec uploads go through and the generated initials pictures.
 *
 * Everything an upload carries is hostile: the type is sniffed from the bytes
 * (never the file name or Content-Type), sizes and pixel counts are capped
 * before anything is allocated, and decoding streams rows into a fixed-size
 * accumulator, so memory stays bounded by the output, not the input. See
 * docs/images.md.
 */
#ifndef SY_IMAGES_H
#define SY_IMAGES_H

#include "../core/core.h"

struct http_route;
struct store;

/* images.c: this module's routes, merged with the others' by app.c. */
extern const struct http_route *const images_routes;
extern const size_t images_routes_len;
/* Removes user_id's custom profile picture (for the user deletion); SY_OK
 * when there was none. */
enum sy_err images_profile_delete(struct store *s, const char *user_id) SY_WARN_UNUSED;

/* ---- images/codec.c ---- */
#define IMAGE_MAX_BYTES       (10u << 20) /* an upload, as Pocket ID */
#define IMAGE_MAX_PIXELS      50000000u   /* width x height of an image to decode */
#define IMAGE_MAX_PIXELS_FULL 16000000u   /* ... when the decoder holds it whole (lossless WebP) */
#define IMAGE_MAX_SIDE        16384u
#define IMAGE_MAX_OUT         1024u /* largest square image_square makes */
#define PROFILE_PICTURE_SIDE  300u

enum image_type {
	IMAGE_UNKNOWN,
	IMAGE_PNG,
	IMAGE_JPEG,
	IMAGE_GIF,
	IMAGE_WEBP,
	IMAGE_SVG,
	IMAGE_ICO,
	IMAGE_AVIF,
	IMAGE_HEIC,
};
/* What the bytes are, from their signature (SVG: an <svg> root element after
 * an optional XML declaration, comments and doctype). */
enum image_type image_sniff(const uint8_t *p, size_t n);
/* The storage extension of a type ("png", "jpg", ...); NULL for IMAGE_UNKNOWN. */
const char *image_type_ext(enum image_type t);
/* Pocket ID's MIME type of a file extension (lower case); NULL if unknown. */
const char *image_ext_mime(const char *ext);

/* Decodes a PNG, JPEG (EXIF orientation applied), WebP (still) or GIF (first
 * frame), centre-crops it to a square and scales that to side x side (box
 * filter down, bilinear up, in premultiplied alpha). *rgba (side*side*4 bytes)
 * is malloc'ed. SY_E_INVALID (with *why, static) for anything undecodable, of
 * another type, or over IMAGE_MAX_SIDE / IMAGE_MAX_PIXELS. */
enum sy_err image_square(const uint8_t *p, size_t n, unsigned side, uint8_t **rgba, const char **why) SY_WARN_UNUSED;
/* PNG of w x h pixels of 1 (gray), 3 (RGB) or 4 (RGBA) channels; *out is
 * malloc'ed. */
enum sy_err image_png_encode(const uint8_t *px, unsigned w, unsigned h, unsigned channels, uint8_t **out,
                             size_t *n) SY_WARN_UNUSED;
/* A copy of a PNG, JPEG or WebP file without its metadata (EXIF, XMP, text,
 * comments; colour profiles stay), other types copied as they are. *out is
 * malloc'ed. SY_E_INVALID when the file's structure is broken. */
enum sy_err image_strip_metadata(enum image_type t, const uint8_t *p, size_t n, uint8_t **out,
                                 size_t *outn) SY_WARN_UNUSED;

/* ---- images/initials.c ---- */
/* Pocket ID's initials: the first characters of first and last name, upper
 * case; when both are empty the first two bytes of the username. In the arena. */
char *image_initials(struct arena *a, const char *first, const char *last, const char *username) SY_WARN_UNUSED;
/* The default picture of these initials: PROFILE_PICTURE_SIDE square PNG,
 * black letters (DejaVu Serif, embedded) centred on white. Generated pictures
 * are kept in memory (never freed, so *png stays valid for the process);
 * beyond the cache's capacity the PNG is made in the arena. */
enum sy_err image_initials_png(struct arena *a, const char *initials, const uint8_t **png, size_t *n) SY_WARN_UNUSED;

/* ---- images/storage.c: Pocket ID's file storage ----
 * FILE_BACKEND=filesystem keeps files under UPLOAD_PATH; =database in the
 * `storage` table, so instances sharing one PostgreSQL see the same files.
 * Paths are relative ("application-images/logoLight.png"): letters, digits,
 * '-', '_', '.', '/' only, no empty or dot-only segment. */
/* Chooses the backend; without a call the server's configuration is used. */
void filestore_setup(const char *backend, const char *upload_path);
/* Reads the newest existing file of paths[0..npaths) (an image's possible
 * extensions) into the arena; *which gets its index. SY_E_NOTFOUND when none
 * exists, SY_E_TOOBIG when it is larger than max. */
enum sy_err filestore_read(struct store *s, struct arena *a, const char *const *paths, size_t npaths, size_t max,
                           size_t *which, const uint8_t **data, size_t *n) SY_WARN_UNUSED;
/* SY_OK when the file exists, SY_E_NOTFOUND when not. */
enum sy_err filestore_exists(struct store *s, const char *path) SY_WARN_UNUSED;
/* Creates or replaces a file (atomically on the filesystem). */
enum sy_err filestore_write(struct store *s, const char *path, const uint8_t *data, size_t n) SY_WARN_UNUSED;
/* SY_OK, or SY_E_NOTFOUND when there was no such file. */
enum sy_err filestore_delete(struct store *s, const char *path) SY_WARN_UNUSED;
bool filestore_path_ok(const char *path);
bool filestore_in_database(void);

/* ---- embedded at build time (images/embed.py) ---- */
extern const unsigned char images_default_background[], images_default_favicon[], images_default_logo_email[],
        images_font[];
extern const size_t images_default_background_len, images_default_favicon_len, images_default_logo_email_len,
        images_font_len;

#endif
