/*
 * initials.c - the generated default profile picture (reference §8.9): the
 * user's initials in black on a white square, rendered with FreeType from
 * DejaVu Serif (fonts-dejavu-core, embedded at build time; Pocket ID uses
 * Gloock, which Debian does not package).
 *
 * Pictures are deterministic, so each initials string is rendered once and
 * kept in memory for the life of the process (INITIALS_CACHE entries, never
 * evicted, so a pointer handed out stays valid while its response is sent);
 * past that the picture is rendered into the request's arena. FreeType faces
 * are not thread-safe: rendering and the cache share one mutex.
 */
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_TRUETYPE_TABLES_H

#include "../images.h"

#define SIDE           PROFILE_PICTURE_SIDE
#define FONT_PX        160 /* Pocket ID: 160 pt at 72 dpi */
#define MAX_INK        ((int)SIDE - 40)
#define MAX_GLYPHS     4
#define INITIALS_CACHE 512

/* ---- initials ---- */

static locale_t utf8_locale;
static pthread_once_t locale_once = PTHREAD_ONCE_INIT;

static void locale_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The code point at s and its length in bytes: U+FFFD and 1 for a byte that
 * starts no valid UTF-8 sequence; 0 and 0 at the end (or for NULL). */
static uint32_t decode(const char *s, size_t *used)
{
	const unsigned char *p = (const unsigned char *)s;
	*used = 0;
	if (!p || !*p)
		return 0;
	*used = 1;
	if (p[0] < 0x80)
		return p[0];
	int len = p[0] >= 0xf0 && p[0] <= 0xf4   ? 4
	          : p[0] >= 0xe0 && p[0] <= 0xef ? 3
	          : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
	                                         : 0;
	if (!len)
		return 0xfffd;
	uint32_t c = p[0] & (0x7f >> len);
	for (int i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0xfffd;
		c = c << 6 | (p[i] & 0x3f);
	}
	static const uint32_t MIN[] = {0, 0, 0x80, 0x800, 0x10000};
	if (c < MIN[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0xfffd;
	*used = (size_t)len;
	return c;
}

static uint32_t first_char(const char *s)
{
	size_t used;
	return decode(s, &used);
}

static uint32_t upper(uint32_t c)
{
	if (c < 0x80)
		return c >= 'a' && c <= 'z' ? c - 32 : c;
	pthread_once(&locale_once, locale_init);
	if (!utf8_locale)
		return c;
	wint_t u = towupper_l((wint_t)c, utf8_locale);
	return u > 0 && u <= 0x10ffff ? (uint32_t)u : c;
}

static size_t put_utf8(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

char *image_initials(struct arena *a, const char *first, const char *last, const char *username)
{
	char buf[9];
	size_t n = 0;
	uint32_t f = first_char(first), l = first_char(last);
	if (!f && !l && username && strlen(username) >= 2) {
		/* Pocket ID: the first two bytes of the username, upper case */
		for (int i = 0; i < 2; i++)
			buf[n++] = (char)(username[i] >= 'a' && username[i] <= 'z' ? username[i] - 32 : username[i]);
	} else {
		if (f)
			n += put_utf8(buf + n, upper(f));
		if (l)
			n += put_utf8(buf + n, upper(l));
	}
	return arena_strndup(a, buf, n);
}

/* ---- rendering ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FT_Library library;
static FT_Face face;
static bool font_tried;

static struct {
	char *initials;
	uint8_t *png;
	size_t n;
} cache[INITIALS_CACHE];
static size_t ncache;

static bool font_ready(void)
{
	if (!font_tried) {
		font_tried = true;
		if (FT_Init_FreeType(&library) ||
		    FT_New_Memory_Face(library, images_font, (FT_Long)images_font_len, 0, &face)) {
			log_error("images: cannot load the embedded font");
			face = NULL;
		}
	}
	return face != NULL;
}

struct glyph {
	uint8_t *bits; /* rows x width coverage */
	int left, top, width, rows;
	long pen; /* 26.6 */
};

/* Renders the code points at px pixels; returns the ink box of the line
 * (pixels, baseline at y = 0, y growing downwards). */
static int layout(const uint32_t *cp, int n, int px, struct glyph *g, int *x0, int *x1)
{
	if (FT_Set_Pixel_Sizes(face, 0, (FT_UInt)px))
		return -1;
	long pen = 0;
	FT_UInt prev = 0;
	*x0 = 1 << 30, *x1 = -(1 << 30);
	for (int i = 0; i < n; i++) {
		FT_UInt gi = FT_Get_Char_Index(face, cp[i]);
		if (prev && gi && FT_HAS_KERNING(face)) {
			FT_Vector k;
			if (!FT_Get_Kerning(face, prev, gi, FT_KERNING_DEFAULT, &k))
				pen += k.x;
		}
		if (FT_Load_Glyph(face, gi, FT_LOAD_DEFAULT) || FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL))
			return -1;
		FT_Bitmap *b = &face->glyph->bitmap;
		if (b->pixel_mode != FT_PIXEL_MODE_GRAY || b->width > 4 * SIDE || b->rows > 4 * SIDE)
			return -1;
		g[i].width = (int)b->width;
		g[i].rows = (int)b->rows;
		g[i].left = face->glyph->bitmap_left;
		g[i].top = face->glyph->bitmap_top;
		g[i].pen = pen;
		g[i].bits = sy_malloc((size_t)g[i].width * g[i].rows + 1);
		for (int r = 0; r < g[i].rows; r++)
			memcpy(g[i].bits + (size_t)r * g[i].width, b->buffer + (ptrdiff_t)r * b->pitch,
			       (size_t)g[i].width);
		if (g[i].width > 0) {
			int a = (int)(pen >> 6) + g[i].left, z = a + g[i].width;
			*x0 = a < *x0 ? a : *x0;
			*x1 = z > *x1 ? z : *x1;
		}
		pen += face->glyph->advance.x;
		prev = gi;
	}
	if (*x1 < *x0)
		*x0 = *x1 = 0;
	return 0;
}

static void glyphs_free(struct glyph *g, int n)
{
	for (int i = 0; i < n; i++) {
		free(g[i].bits);
		g[i].bits = NULL;
	}
}

/* The PNG of these initials (malloc'ed). Called with the lock held. */
static enum sy_err render(const char *initials, uint8_t **png, size_t *n)
{
	if (!font_ready())
		return SY_E_INTERNAL;
	uint32_t cp[MAX_GLYPHS];
	int count = 0;
	for (const char *s = initials; *s && count < MAX_GLYPHS;) {
		size_t used;
		cp[count++] = decode(s, &used);
		s += used;
	}
	struct glyph g[MAX_GLYPHS] = {0};
	int px = FONT_PX, x0, x1;
	if (layout(cp, count, px, g, &x0, &x1))
		goto fail;
	if (x1 - x0 > MAX_INK) {
		/* wide pairs ("WM") shrink to fit, as a designer would */
		glyphs_free(g, count);
		px = px * MAX_INK / (x1 - x0);
		if (layout(cp, count, px, g, &x0, &x1))
			goto fail;
	}
	/* horizontally the ink is centred; vertically the capital height, so
	 * every pair of capitals sits on the same baseline */
	int cap = px * 7 / 10;
	const TT_OS2 *os2 = FT_Get_Sfnt_Table(face, FT_SFNT_OS2);
	if (os2 && os2->version >= 2 && os2->sCapHeight > 0 && face->units_per_EM)
		cap = (int)((long)os2->sCapHeight * px / face->units_per_EM);
	int base = ((int)SIDE + cap) / 2, shift = ((int)SIDE - (x1 - x0)) / 2 - x0;
	uint8_t *img = sy_malloc((size_t)SIDE * SIDE);
	memset(img, 255, (size_t)SIDE * SIDE);
	for (int i = 0; i < count; i++) {
		int ox = (int)(g[i].pen >> 6) + g[i].left + shift, oy = base - g[i].top;
		for (int r = 0; r < g[i].rows; r++) {
			int y = oy + r;
			if (y < 0 || y >= (int)SIDE)
				continue;
			for (int c = 0; c < g[i].width; c++) {
				int x = ox + c;
				if (x < 0 || x >= (int)SIDE)
					continue;
				unsigned cov = g[i].bits[(size_t)r * g[i].width + c];
				uint8_t *d = img + (size_t)y * SIDE + x;
				*d = (uint8_t)((*d * (255 - cov) + 127) / 255);
			}
		}
	}
	glyphs_free(g, count);
	enum sy_err e = image_png_encode(img, SIDE, SIDE, 1, png, n);
	free(img);
	return e;
fail:
	glyphs_free(g, count);
	log_error("images: cannot render the initials picture");
	return SY_E_INTERNAL;
}

enum sy_err image_initials_png(struct arena *a, const char *initials, const uint8_t **png, size_t *n)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ncache; i++)
		if (strcmp(cache[i].initials, initials) == 0) {
			*png = cache[i].png;
			*n = cache[i].n;
			pthread_mutex_unlock(&lock);
			return SY_OK;
		}
	uint8_t *out;
	size_t len;
	enum sy_err e = render(initials, &out, &len);
	if (!e && ncache < INITIALS_CACHE) {
		cache[ncache].initials = sy_strdup(initials);
		cache[ncache].png = out;
		cache[ncache].n = len;
		ncache++;
		*png = out;
		*n = len;
		pthread_mutex_unlock(&lock);
		return SY_OK;
	}
	pthread_mutex_unlock(&lock);
	if (e)
		return e;
	uint8_t *copy = arena_alloc(a, len);
	if (copy)
		memcpy(copy, out, len);
	free(out);
	if (!copy)
		return SY_E_TOOBIG;
	*png = copy;
	*n = len;
	return SY_OK;
}
