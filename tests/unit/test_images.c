/* test_images.c - the multipart parser, type sniffing, the image pipeline
 * (every decoder, crop, scale, orientation, bombs), metadata stripping, the
 * initials pictures and the file storage on both backends. Test images are
 * made here with the same libraries' encoders. */
#include "test_util.h"

#include <sys/stat.h>
#include <zlib.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <libpq-fe.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include "admin/images.h"
#include "http/http.h"
#include "store/store.h"

/* ------------------------------------------------------------ multipart */

struct got {
	int n;
	char names[8][64], files[8][64], types[8][64];
	char data[8][256];
	size_t len[8];
};

static enum sy_err collect(void *ctx, const struct http_part *p)
{
	struct got *g = ctx;
	assert_true(g->n < 8);
	snprintf(g->names[g->n], 64, "%s", p->name);
	snprintf(g->files[g->n], 64, "%s", p->filename ? p->filename : "(none)");
	snprintf(g->types[g->n], 64, "%s", p->content_type ? p->content_type : "(none)");
	assert_true(p->len < 256);
	memcpy(g->data[g->n], p->data, p->len);
	g->len[g->n] = p->len;
	g->n++;
	return SY_OK;
}

static enum sy_err mp(const char *ct, const char *body, size_t n, struct got *g)
{
	struct arena a;
	arena_init(&a, 0);
	memset(g, 0, sizeof *g);
	enum sy_err e = http_multipart_parse(&a, ct, body, n, 4, collect, g);
	arena_release(&a);
	return e;
}

#define MP(ct, lit, g) mp(ct, lit, sizeof lit - 1, g)

/* strcat with the room checked */
static void append(char *buf, size_t cap, const char *more)
{
	size_t n = strlen(buf), k = strlen(more);
	assert_true(n + k < cap);
	memcpy(buf + n, more, k + 1);
}

static void multipart_valid(void **state)
{
	(void)state;
	struct got g;
	const char *ct = "multipart/form-data; boundary=XyZ";
	/* one file part; the data holds CR, LF, NUL and a near-boundary */
	assert_int_equal(MP(ct,
	                    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
	                    "Content-Type: image/png\r\n\r\n\x89PNG\r\n\0\r\n--XyY\r\n--XyZ--\r\n",
	                    &g),
	                 SY_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.names[0], "file");
	assert_string_equal(g.files[0], "a.png");
	assert_string_equal(g.types[0], "image/png");
	assert_int_equal(g.len[0], 14); /* the CRLF before a delimiter belongs to it */
	assert_memory_equal(g.data[0], "\x89PNG\r\n\0\r\n--XyY", 14);
	/* preamble, two parts, a field without filename, an empty part, an epilogue */
	assert_int_equal(MP("Multipart/Form-Data ; charset=utf-8; boundary=\"a b'c\"",
	                    "preamble\r\n--a b'c  \r\ncontent-disposition: form-data; name=x\r\n\r\n1\r\n"
	                    "--a b'c\r\nContent-Disposition: form-data; name=\"f\\\"q\"; filename=\"\"\r\n\r\n"
	                    "\r\n--a b'c--epilogue",
	                    &g),
	                 SY_OK);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.names[0], "x");
	assert_string_equal(g.files[0], "(none)");
	assert_int_equal(g.len[0], 1);
	assert_string_equal(g.names[1], "f\"q");
	assert_string_equal(g.files[1], "");
	assert_int_equal(g.len[1], 0);
	/* no parts at all */
	assert_int_equal(MP(ct, "--XyZ--", &g), SY_OK);
	assert_int_equal(g.n, 0);
}

static void multipart_invalid(void **state)
{
	(void)state;
	struct got g;
	const char *ct = "multipart/form-data; boundary=B";
	const char *part = "--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n";
	/* content types */
	assert_int_equal(MP("application/json", "--B--", &g), SY_E_BODY);
	assert_int_equal(MP("multipart/mixed; boundary=B", "--B--", &g), SY_E_BODY);
	assert_int_equal(MP("multipart/form-data", "--B--", &g), SY_E_BODY);
	assert_int_equal(MP("multipart/form-data; boundary=", "----", &g), SY_E_BODY);
	assert_int_equal(MP("multipart/form-data; boundary=B; boundary=B", "--B--", &g), SY_E_BODY);
	assert_int_equal(MP("multipart/form-data; boundary=\"B \"", "--B --", &g), SY_E_BODY);
	assert_int_equal(mp(NULL, "--B--", 5, &g), SY_E_BODY);
	char longb[128] = "multipart/form-data; boundary=";
	memset(longb + strlen(longb), 'a', 71);
	assert_int_equal(MP(longb, "--", &g), SY_E_BODY);
	/* framing */
	assert_int_equal(MP(ct, "", &g), SY_E_BODY);
	assert_int_equal(MP(ct, "--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx", &g), SY_E_BODY);
	assert_int_equal(MP(ct, "--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n--B", &g), SY_E_BODY);
	assert_int_equal(MP(ct, "--B\nContent-Disposition: form-data; name=\"f\"\n\nx\n--B--", &g), SY_E_BODY);
	assert_int_equal(MP(ct, "--Bx\r\n", &g), SY_E_BODY);
	/* part headers */
	assert_int_equal(MP(ct, "--B\r\n\r\nx\r\n--B--", &g), SY_E_BODY); /* no Content-Disposition */
	assert_int_equal(MP(ct, "--B\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\nx\r\n--B--", &g), SY_E_BODY);
	assert_int_equal(MP(ct, "--B\r\nContent-Disposition: form-data; filename=\"f\"\r\n\r\nx\r\n--B--", &g),
	                 SY_E_BODY);
	assert_int_equal(MP(ct, "--B\r\nContent-Disposition: form-data; name=\"f\r\n\r\nx\r\n--B--", &g), SY_E_BODY);
	assert_int_equal(MP(ct, "--B\r\nContent-Disposition: form-data; name=\"f\"; name=g\r\n\r\nx\r\n--B--", &g),
	                 SY_E_BODY);
	assert_int_equal(MP(ct, "--B\r\nContent-Disposition: form-data;\r\n name=\"f\"\r\n\r\nx\r\n--B--", &g),
	                 SY_E_BODY); /* folding */
	assert_int_equal(MP(ct, "--B\r\nBad Header: 1\r\nContent-Disposition: form-data; name=f\r\n\r\nx\r\n--B--", &g),
	                 SY_E_BODY);
	/* too many header lines */
	char many[2048] = "--B\r\n";
	for (int i = 0; i < 17; i++)
		append(many, sizeof many, "X-A: 1\r\n");
	append(many, sizeof many, "Content-Disposition: form-data; name=f\r\n\r\nx\r\n--B--");
	assert_int_equal(mp(ct, many, strlen(many), &g), SY_E_BODY);
	/* a header block over HTTP_MULTIPART_MAX_HEADER */
	size_t hn = HTTP_MULTIPART_MAX_HEADER + 200;
	char *huge = malloc(hn + 100);
	if (!huge)
		abort();
	int k = snprintf(huge, hn + 100, "--B\r\nContent-Disposition: form-data; name=\"");
	memset(huge + k, 'a', hn);
	snprintf(huge + k + hn, 100 - (size_t)k, "\"\r\n\r\nx\r\n--B--");
	assert_int_equal(mp(ct, huge, strlen(huge), &g), SY_E_BODY);
	free(huge);
	/* more parts than allowed (4 in mp) */
	char parts[512] = "";
	for (int i = 0; i < 5; i++)
		append(parts, sizeof parts, part);
	append(parts, sizeof parts, "--B--");
	assert_int_equal(mp(ct, parts, strlen(parts), &g), SY_E_BODY);
	parts[strlen(parts) - strlen(part) - 5] = '\0';
	append(parts, sizeof parts, "--B--");
	assert_int_equal(mp(ct, parts, strlen(parts), &g), SY_OK);
	assert_int_equal(g.n, 4);
}

static enum sy_err stop(void *ctx, const struct http_part *p)
{
	(void)ctx, (void)p;
	return SY_E_DENIED;
}

static void multipart_callback_error(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 0);
	const char *b = "--B\r\nContent-Disposition: form-data; name=f\r\n\r\nx\r\n--B--";
	assert_int_equal(http_multipart_parse(&a, "multipart/form-data; boundary=B", b, strlen(b), 4, stop, NULL),
	                 SY_E_DENIED);
	arena_release(&a);
}

/* ---------------------------------------------------- making test images */

typedef void (*paint_fn)(unsigned x, unsigned y, uint8_t *rgba);

static uint8_t *paint(unsigned w, unsigned h, paint_fn f)
{
	uint8_t *px = malloc((size_t)w * h * 4);
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++)
			f(x, y, px + ((size_t)y * w + x) * 4);
	return px;
}

static void set(uint8_t *p, uint8_t r, uint8_t g, uint8_t b, uint8_t a)
{
	p[0] = r, p[1] = g, p[2] = b, p[3] = a;
}

static unsigned cur_w, cur_h;
/* wide: green | red | blue | green in quarters (the centre square is red | blue);
 * tall: the same, turned (the centre square is red over blue) */
static void quarters(unsigned x, unsigned y, uint8_t *p)
{
	unsigned q = cur_w >= cur_h ? x * 4 / cur_w : y * 4 / cur_h;
	if (q == 0 || q == 3)
		set(p, 0, 255, 0, 255);
	else if (q == 1)
		set(p, 255, 0, 0, 255);
	else
		set(p, 0, 0, 255, 255);
}

static void top_red(unsigned x, unsigned y, uint8_t *p)
{
	(void)x;
	if (y < cur_h / 2)
		set(p, 255, 0, 0, 255);
	else
		set(p, 0, 0, 255, 255);
}

struct buf {
	uint8_t *p;
	size_t n;
};

static void buf_put(png_structp png, png_bytep p, size_t n)
{
	struct buf *b = png_get_io_ptr(png);
	b->p = realloc(b->p, b->n + n);
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void buf_flush(png_structp png)
{
	(void)png;
}

/* A PNG with libpng directly: interlaced or not, with an optional tEXt chunk. */
static struct buf make_png(const uint8_t *rgba, unsigned w, unsigned h, bool interlace, const char *text)
{
	struct buf b = {0};
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	assert_int_equal(setjmp(png_jmpbuf(png)), 0);
	png_set_write_fn(png, &b, buf_put, buf_flush);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGBA, interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
	             PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (text) {
		png_text t = {.compression = PNG_TEXT_COMPRESSION_NONE, .key = (char *)"Comment", .text = (char *)text};
		png_set_text(png, info, &t, 1);
	}
	png_write_info(png, info);
	int passes = png_set_interlace_handling(png);
	for (int pass = 0; pass < passes; pass++)
		for (unsigned y = 0; y < h; y++)
			png_write_row(png, rgba + (size_t)y * w * 4);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return b;
}

/* A JPEG (quality 95) with an optional EXIF orientation and a comment. */
static struct buf make_jpeg(const uint8_t *rgba, unsigned w, unsigned h, int orientation, bool big_endian)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	unsigned char *out = NULL;
	unsigned long n = 0;
	jpeg_mem_dest(&c, &out, &n);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 4;
	c.in_color_space = JCS_EXT_RGBA;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 95, TRUE);
	jpeg_start_compress(&c, TRUE);
	if (orientation) {
		uint8_t exif[] = {'E', 'x', 'i', 'f', 0, 0,
		                  /* TIFF header, IFD0 at 8 with one entry: 0x0112 SHORT 1 */
		                  'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		                  0};
		if (big_endian) {
			uint8_t be[] = {'E',  'x',  'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1,
			                0x01, 0x12, 0,   3,   0, 0, 0,   1,   0, 0,  0, 0, 0, 0, 0, 0};
			_Static_assert(sizeof be == sizeof exif, "same layout");
			memcpy(exif, be, sizeof be);
			exif[6 + 8 + 2 + 8 + 1] = (uint8_t)orientation;
		} else {
			exif[6 + 8 + 2 + 8] = (uint8_t)orientation;
		}
		jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof exif);
	}
	jpeg_write_marker(&c, JPEG_COM, (const JOCTET *)"a comment", 9);
	while (c.next_scanline < h) {
		JSAMPROW row = (JSAMPROW)(rgba + (size_t)c.next_scanline * w * 4);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return (struct buf){out, n};
}

static int gif_put(GifFileType *g, const GifByteType *p, int n)
{
	struct buf *b = g->UserData;
	b->p = realloc(b->p, b->n + (size_t)n);
	memcpy(b->p + b->n, p, (size_t)n);
	b->n += (size_t)n;
	return n;
}

/* A GIF of the four colours of quarters(), the frame at (left, top) on a
 * screen of sw x sh, interlaced or not, index 3 transparent. */
static struct buf make_gif(const uint8_t *rgba, unsigned w, unsigned h, unsigned sw, unsigned sh, unsigned left,
                           unsigned top, bool interlace)
{
	struct buf b = {0};
	int err;
	GifFileType *g = EGifOpen(&b, gif_put, &err);
	assert_non_null(g);
	GifColorType colors[4] = {{255, 0, 0}, {0, 0, 255}, {0, 255, 0}, {0, 0, 0}};
	ColorMapObject *cm = GifMakeMapObject(4, colors);
	EGifSetGifVersion(g, true);
	assert_int_equal(EGifPutScreenDesc(g, (int)sw, (int)sh, 2, 0, cm), GIF_OK);
	GraphicsControlBlock gcb = {.DisposalMode = DISPOSAL_UNSPECIFIED, .TransparentColor = 3};
	GifByteType ext[4];
	size_t len = EGifGCBToExtension(&gcb, ext);
	assert_int_equal(EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)len, ext), GIF_OK);
	assert_int_equal(EGifPutImageDesc(g, (int)left, (int)top, (int)w, (int)h, interlace, NULL), GIF_OK);
	GifPixelType *line = malloc(w);
	static const int START[] = {0, 4, 2, 1}, STEP[] = {8, 8, 4, 2};
	for (int pass = 0; pass < (interlace ? 4 : 1); pass++)
		for (unsigned y = interlace ? START[pass] : 0; y < h; y += interlace ? STEP[pass] : 1) {
			for (unsigned x = 0; x < w; x++) {
				const uint8_t *p = rgba + ((size_t)y * w + x) * 4;
				line[x] = p[3] == 0 ? 3 : p[0] ? 0 : p[2] ? 1 : 2;
			}
			assert_int_equal(EGifPutLine(g, line, (int)w), GIF_OK);
		}
	free(line);
	GifFreeMapObject(cm);
	assert_int_equal(EGifCloseFile(g, &err), GIF_OK);
	return b;
}

static struct buf make_webp(const uint8_t *rgba, unsigned w, unsigned h, bool lossless)
{
	uint8_t *out;
	size_t n = lossless ? WebPEncodeLosslessRGBA(rgba, (int)w, (int)h, (int)w * 4, &out)
	                    : WebPEncodeRGBA(rgba, (int)w, (int)h, (int)w * 4, 95, &out);
	assert_true(n > 0);
	uint8_t *copy = malloc(n);
	memcpy(copy, out, n);
	WebPFree(out);
	return (struct buf){copy, n};
}

/* ---------------------------------------------------------- the pipeline */

#define OUT 60

static void near(const uint8_t *img, unsigned x, unsigned y, int r, int g, int b, int tol)
{
	const uint8_t *p = img + ((size_t)y * OUT + x) * 4;
	if (abs(p[0] - r) > tol || abs(p[1] - g) > tol || abs(p[2] - b) > tol) {
		fail_msg("pixel (%u,%u) is %d,%d,%d, expected %d,%d,%d", x, y, p[0], p[1], p[2], r, g, b);
	}
}

/* The centre square of quarters(): red on the left, blue on the right (or
 * red over blue for tall images), and no green anywhere. */
static const char *what = "";
static void check_quarters_m(const uint8_t *img, bool tall, int tol, unsigned m)
{
	for (unsigned i = m; i < OUT - m; i += 3)
		for (unsigned j = m; j < OUT - m; j += 3) {
			const uint8_t *p = img + ((size_t)j * OUT + i) * 4;
			if (p[1] > tol || p[3] != 255)
				fail_msg("%s: pixel (%u,%u) is %d,%d,%d,%d", what, i, j, p[0], p[1], p[2], p[3]);
		}
	unsigned a = tol > 10 ? OUT / 4 : 1, b = OUT - 1 - a;
	if (tall) {
		near(img, OUT / 2, a, 255, 0, 0, tol);
		near(img, OUT / 2, b, 0, 0, 255, tol);
	} else {
		near(img, a, OUT / 2, 255, 0, 0, tol);
		near(img, b, OUT / 2, 0, 0, 255, tol);
	}
}

static void check_quarters(const uint8_t *img, bool tall, int tol)
{
	/* lossy codecs smear colours across the quarter edges (chroma subsampling) */
	check_quarters_m(img, tall, tol, tol > 10 ? 3 : 0);
}

static uint8_t *square(struct buf b)
{
	uint8_t *img;
	const char *why;
	enum sy_err e = image_square(b.p, b.n, OUT, &img, &why);
	if (e)
		fail_msg("image_square: %s", why ? why : "?");
	free(b.p);
	return img;
}

static void decode_each_format(void **state)
{
	(void)state;
	static const unsigned SIZES[][2] = {{400, 200}, {201, 403}, {40, 20}, {OUT * 2, OUT}};
	for (size_t s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++) {
		cur_w = SIZES[s][0], cur_h = SIZES[s][1];
		bool tall = cur_h > cur_w;
		uint8_t *px = paint(cur_w, cur_h, quarters);
		what = "png";
		uint8_t *img = square(make_png(px, cur_w, cur_h, false, NULL));
		check_quarters(img, tall, 2);
		free(img);
		what = "png-interlaced";
		img = square(make_png(px, cur_w, cur_h, true, NULL));
		check_quarters(img, tall, 2);
		free(img);
		what = "jpeg";
		img = square(make_jpeg(px, cur_w, cur_h, 0, false));
		check_quarters(img, tall, 40);
		free(img);
		what = "webp-lossless";
		img = square(make_webp(px, cur_w, cur_h, true));
		check_quarters(img, tall, 2);
		free(img);
		what = "webp-lossy";
		img = square(make_webp(px, cur_w, cur_h, false));
		check_quarters(img, tall, 60);
		free(img);
		what = "gif";
		img = square(make_gif(px, cur_w, cur_h, cur_w, cur_h, 0, 0, s % 2 == 0));
		check_quarters(img, tall, 2);
		free(img);
		free(px);
	}
}

static void box_filter_is_exact(void **state)
{
	(void)state;
	/* 2x2 blocks of black and white average to exactly 128 (rounded) */
	uint8_t *px = malloc(OUT * 2 * OUT * 2 * 4);
	for (unsigned y = 0; y < OUT * 2; y++)
		for (unsigned x = 0; x < OUT * 2; x++) {
			uint8_t v = (x + y) % 2 ? 255 : 0;
			set(px + ((size_t)y * OUT * 2 + x) * 4, v, v, v, 255);
		}
	uint8_t *img = square(make_png(px, OUT * 2, OUT * 2, false, NULL));
	for (size_t i = 0; i < OUT * OUT; i++) {
		assert_int_equal(img[i * 4], 128);
		assert_int_equal(img[i * 4 + 3], 255);
	}
	free(img);
	free(px);
}

static void transparency(void **state)
{
	(void)state;
	/* a GIF frame covering the left half of its screen: the right half stays
	 * transparent; half-transparent red averaged with transparent stays red */
	cur_w = OUT * 2, cur_h = OUT * 2;
	uint8_t *px = paint(OUT, OUT * 2, quarters);
	uint8_t *img = square(make_gif(px, OUT, OUT * 2, OUT * 2, OUT * 2, 0, 0, false));
	assert_int_equal(img[((OUT / 2) * OUT + OUT - 2) * 4 + 3], 0);
	assert_int_equal(img[((OUT / 2) * OUT + 2) * 4 + 3], 255);
	free(img);
	free(px);
	uint8_t *half = malloc(OUT * 2 * OUT * 2 * 4);
	for (size_t i = 0; i < OUT * 2 * OUT * 2; i++)
		set(half + i * 4, 255, 0, 0, i % 2 ? 0 : 255);
	img = square(make_png(half, OUT * 2, OUT * 2, false, NULL));
	near(img, 10, 10, 255, 0, 0, 0);
	assert_int_equal(img[(10 * OUT + 10) * 4 + 3], 128);
	free(img);
	free(half);
}

static void jpeg_orientation(void **state)
{
	(void)state;
	cur_w = cur_h = 320;
	uint8_t *px = paint(320, 320, top_red);
	struct {
		int o;
		bool be;
		unsigned rx, ry, bx, by; /* where red and blue end up */
	} cases[] = {
	        {1, false, OUT / 2, 2, OUT / 2, OUT - 3}, {3, false, OUT / 2, OUT - 3, OUT / 2, 2},
	        {6, false, OUT - 3, OUT / 2, 2, OUT / 2}, {8, false, 2, OUT / 2, OUT - 3, OUT / 2},
	        {6, true, OUT - 3, OUT / 2, 2, OUT / 2},  {0, false, OUT / 2, 2, OUT / 2, OUT - 3},
	        {9, false, OUT / 2, 2, OUT / 2, OUT - 3}, /* out of range: ignored */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t *img = square(make_jpeg(px, 320, 320, cases[i].o, cases[i].be));
		near(img, cases[i].rx, cases[i].ry, 255, 0, 0, 40);
		near(img, cases[i].bx, cases[i].by, 0, 0, 255, 40);
		free(img);
	}
	free(px);
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* A PNG that only claims its size: IHDR, an empty IDAT, IEND. */
static struct buf png_claiming(uint32_t w, uint32_t h)
{
	struct buf b = {malloc(64), 0};
	memcpy(b.p, "\x89PNG\r\n\x1a\n", 8);
	uint8_t *c = b.p + 8;
	be32(c, 13);
	memcpy(c + 4, "IHDR", 4);
	be32(c + 8, w);
	be32(c + 12, h);
	memcpy(c + 16, "\x08\x02\x00\x00\x00", 5);
	be32(c + 21, (uint32_t)crc32(0, c + 4, 17));
	memcpy(c + 25, "\0\0\0\0IDAT\x35\xaf\x06\x1e\0\0\0\0IEND\xae\x42\x60\x82", 24);
	b.n = 8 + 25 + 24;
	return b;
}

static void refuse(struct buf b, const char *why_part)
{
	uint8_t *img = (uint8_t *)"x";
	const char *why = NULL;
	assert_int_equal(image_square(b.p, b.n, OUT, &img, &why), SY_E_INVALID);
	assert_null(img);
	assert_non_null(why);
	if (why_part && !strstr(why, why_part))
		fail_msg("why = %s, expected %s", why, why_part);
	free(b.p);
}

static struct buf bdup(const void *p, size_t n)
{
	struct buf b = {malloc(n ? n : 1), n};
	memcpy(b.p, p, n);
	return b;
}

static void refuses_bad_input(void **state)
{
	(void)state;
	/* decompression bombs are refused from the header */
	refuse(png_claiming(8000, 8000), "too large"); /* 64 Mpx */
	refuse(png_claiming(20000, 100), NULL);        /* over the side limit (libpng's check) */
	refuse(png_claiming(0, 100), NULL);
	static const uint8_t JPEG_BIG[] = {
	        0xff, 0xd8, 0xff, 0xdb, 0,    67, 0,    1,    1, 1, 1, 1, 1, 1,    1,    1, 1,    1,   1,    1,
	        1,    1,    1,    1,    1,    1,  1,    1,    1, 1, 1, 1, 1, 1,    1,    1, 1,    1,   1,    1,
	        1,    1,    1,    1,    1,    1,  1,    1,    1, 1, 1, 1, 1, 1,    1,    1, 1,    1,   1,    1,
	        1,    1,    1,    1,    1,    1,  1,    1,    1, 1, 1, 1, 1, 0xff, 0xc0, 0, 11,   8,   0xea, 0x60,
	        0xea, 0x60, 1,    1,    0x11, 0,  0xff, 0xda, 0, 8, 1, 1, 0, 0,    63,   0, 0xff, 0xd9};
	refuse(bdup(JPEG_BIG, sizeof JPEG_BIG), "too large");
	/* a GIF screen of 16384 x 16384 */
	cur_w = cur_h = 8;
	uint8_t *px = paint(8, 8, quarters);
	refuse(make_gif(px, 8, 8, 16384, 16384, 0, 0, false), "too large");
	/* truncated files of every format */
	struct buf full[] = {make_png(px, 8, 8, false, NULL), make_jpeg(px, 8, 8, 0, false), make_webp(px, 8, 8, false),
	                     make_gif(px, 8, 8, 8, 8, 0, 0, false)};
	for (size_t i = 0; i < 4; i++) {
		refuse(bdup(full[i].p, full[i].n / 3), NULL);
		free(full[i].p);
	}
	free(px);
	/* not an image we decode */
	refuse(bdup("<svg xmlns='http://www.w3.org/2000/svg'/>", 41), "not a PNG");
	refuse(bdup("\0\0\1\0\1\0", 6), "not a PNG");
	refuse(bdup("", 0), "not a PNG");
	refuse(bdup("\x89PNG\r\n\x1a\ngarbage", 15), NULL);
	refuse(bdup("\xff\xd8\xff\xe0garbage", 11), NULL);
	refuse(bdup("GIF89agarbage", 13), NULL);
	refuse(bdup("RIFF\x04\0\0\0WEBPVP8 ", 16), NULL);
	/* an animated GIF is fine (first frame); a bad output size is not */
	uint8_t *img;
	const char *why;
	struct buf b = png_claiming(10, 10);
	assert_int_equal(image_square(b.p, b.n, 0, &img, &why), SY_E_INVALID);
	assert_int_equal(image_square(b.p, b.n, IMAGE_MAX_OUT + 1, &img, &why), SY_E_INVALID);
	free(b.p);
}

static void sniffing(void **state)
{
	(void)state;
	assert_int_equal(image_sniff((const uint8_t *)"\x89PNG\r\n\x1a\n", 8), IMAGE_PNG);
	assert_int_equal(image_sniff((const uint8_t *)"\xff\xd8\xff\xdb", 4), IMAGE_JPEG);
	assert_int_equal(image_sniff((const uint8_t *)"GIF87a..", 8), IMAGE_GIF);
	assert_int_equal(image_sniff((const uint8_t *)"RIFF\0\0\0\0WEBPVP8 ", 16), IMAGE_WEBP);
	assert_int_equal(image_sniff((const uint8_t *)"\0\0\1\0\2\0", 6), IMAGE_ICO);
	assert_int_equal(image_sniff((const uint8_t *)"\0\0\2\0\2\0", 6), IMAGE_UNKNOWN); /* a cursor */
	assert_int_equal(image_sniff((const uint8_t *)"\0\0\0\x1c"
	                                              "ftypavif\0\0\0\0avifmif1",
	                             28),
	                 IMAGE_AVIF);
	assert_int_equal(image_sniff((const uint8_t *)"\0\0\0\x18"
	                                              "ftypmif1\0\0\0\0mif1avif",
	                             24),
	                 IMAGE_AVIF);
	assert_int_equal(image_sniff((const uint8_t *)"\0\0\0\x18"
	                                              "ftypheic\0\0\0\0mif1heic",
	                             24),
	                 IMAGE_HEIC);
	assert_int_equal(image_sniff((const uint8_t *)"\0\0\0\x18"
	                                              "ftypisom\0\0\0\0isommp41",
	                             24),
	                 IMAGE_UNKNOWN);
	/* a prolog, a comment with a '>' and a doctype before the root element */
	static const char with_prolog[] = "\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- a comment > with a bracket -->\n"
	                                  "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x.dtd\">\n<svg>";
	const char *svgs[] = {
	        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
	        with_prolog,
	        "  \r\n<svg\nviewBox='0 0 1 1'>",
	};
	for (size_t i = 0; i < sizeof svgs / sizeof svgs[0]; i++)
		assert_int_equal(image_sniff((const uint8_t *)svgs[i], strlen(svgs[i])), IMAGE_SVG);
	const char *not_svgs[] = {"<html><svg>", "<svgx>", "text <svg>", "<!-- <svg> ", "<?xml <svg>", ""};
	for (size_t i = 0; i < sizeof not_svgs / sizeof not_svgs[0]; i++)
		assert_int_equal(image_sniff((const uint8_t *)not_svgs[i], strlen(not_svgs[i])), IMAGE_UNKNOWN);
	assert_int_equal(image_sniff((const uint8_t *)"<svg\0>", 6), IMAGE_UNKNOWN);
	assert_string_equal(image_type_ext(IMAGE_JPEG), "jpg");
	assert_null(image_type_ext(IMAGE_UNKNOWN));
	assert_string_equal(image_ext_mime("jpeg"), "image/jpeg");
	assert_string_equal(image_ext_mime("ico"), "image/x-icon");
	assert_string_equal(image_ext_mime("svg"), "image/svg+xml");
	assert_null(image_ext_mime("exe"));
}

static bool contains(const struct buf *b, const char *s)
{
	return memmem(b->p, b->n, s, strlen(s)) != NULL;
}

static void strips_metadata(void **state)
{
	(void)state;
	cur_w = 64, cur_h = 32;
	uint8_t *px = paint(64, 32, quarters);
	struct buf in[3] = {make_png(px, 64, 32, false, "SECRET-TEXT"), make_jpeg(px, 64, 32, 6, false), {0}};
	/* a WebP with VP8X, EXIF and XMP chunks around the lossless bitstream */
	struct buf ll = make_webp(px, 64, 32, true);
	assert_memory_equal(ll.p + 12, "VP8L", 4);
	size_t body = ll.n - 12;
	struct buf w = {malloc(ll.n + 64), 0};
	memcpy(w.p, "RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\x0c\0\0\0\x3f\0\0\x1f\0\0", 30);
	memcpy(w.p + 30, ll.p + 12, body);
	w.n = 30 + body;
	memcpy(w.p + w.n, "EXIF\x07\0\0\0SECRET!\0XMP \x04\0\0\0XMP!", 28);
	w.n += 28;
	uint32_t riff = (uint32_t)(w.n - 8);
	memcpy(w.p + 4, &riff, 4);
	free(ll.p);
	in[2] = w;
	assert_true(contains(&in[0], "SECRET-TEXT"));
	assert_true(contains(&in[1], "Exif") && contains(&in[1], "a comment"));
	enum image_type types[3] = {IMAGE_PNG, IMAGE_JPEG, IMAGE_WEBP};
	for (int i = 0; i < 3; i++) {
		struct buf out;
		assert_int_equal(image_strip_metadata(types[i], in[i].p, in[i].n, &out.p, &out.n), SY_OK);
		assert_true(out.n < in[i].n);
		assert_false(contains(&out, "SECRET"));
		assert_false(contains(&out, "Exif"));
		assert_false(contains(&out, "a comment"));
		assert_false(contains(&out, "XMP"));
		assert_int_equal(image_sniff(out.p, out.n), types[i]);
		/* still decodes: the orientation went with the EXIF data */
		uint8_t *img;
		const char *why;
		assert_int_equal(image_square(out.p, out.n, OUT, &img, &why), SY_OK);
		check_quarters(img, false, 40);
		free(img);
		if (types[i] == IMAGE_WEBP) {
			assert_int_equal(out.p[20], 0); /* VP8X flags without EXIF and XMP */
			uint32_t r;
			memcpy(&r, out.p + 4, 4);
			assert_int_equal(r, out.n - 8);
		}
		free(out.p);
	}
	/* broken structures are refused; other types pass through */
	struct buf out;
	assert_int_equal(image_strip_metadata(IMAGE_PNG, in[0].p, in[0].n - 20, &out.p, &out.n), SY_E_INVALID);
	assert_int_equal(
	        image_strip_metadata(IMAGE_JPEG, (const uint8_t *)"\xff\xd8\xff\xe1\xff\xff", 6, &out.p, &out.n),
	        SY_E_INVALID);
	assert_int_equal(image_strip_metadata(IMAGE_WEBP, in[2].p, 20, &out.p, &out.n), SY_E_INVALID);
	assert_int_equal(image_strip_metadata(IMAGE_SVG, (const uint8_t *)"<svg/>", 6, &out.p, &out.n), SY_OK);
	assert_int_equal(out.n, 6);
	assert_memory_equal(out.p, "<svg/>", 6);
	free(out.p);
	for (int i = 0; i < 3; i++)
		free(in[i].p);
	free(px);
}

static void png_encoding(void **state)
{
	(void)state;
	cur_w = cur_h = 24;
	uint8_t *px = paint(24, 24, quarters);
	for (unsigned ch = 1; ch <= 4; ch++) {
		uint8_t *png;
		size_t n;
		uint8_t rgb[24 * 24 * 4];
		for (size_t i = 0; i < 24 * 24; i++)
			memcpy(rgb + i * ch, px + i * 4 + (ch == 1 ? 1 : 0), ch);
		enum sy_err e = image_png_encode(rgb, 24, 24, ch, &png, &n);
		if (ch == 2) {
			assert_int_equal(e, SY_E_INVALID);
			continue;
		}
		assert_int_equal(e, SY_OK);
		png_image im = {.version = PNG_IMAGE_VERSION};
		assert_true(png_image_begin_read_from_memory(&im, png, n));
		assert_int_equal(im.width, 24);
		assert_int_equal(im.height, 24);
		png_image_free(&im);
		free(png);
	}
	free(px);
}

/* ------------------------------------------------------------- initials */

static void initials(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 0);
	assert_string_equal(image_initials(&a, "Tim", "Cook", "tim"), "TC");
	assert_string_equal(image_initials(&a, "craig", "federighi", "craig"), "CF");
	assert_string_equal(image_initials(&a, "", "", "ab_c"), "AB");
	assert_string_equal(image_initials(&a, NULL, NULL, "x"), "");
	assert_string_equal(image_initials(&a, "", "Cook", "tim"), "C");
	assert_string_equal(image_initials(&a, "élodie", "ñandú", "e"), "ÉÑ");
	assert_string_equal(image_initials(&a, "ψ", "жук", "e"), "ΨЖ");
	assert_string_equal(image_initials(&a, "\xff", "\xc3", "e"), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(image_initials(&a, "1a", "", "e"), "1");
	arena_release(&a);
}

static unsigned dark_pixels(const uint8_t *img, unsigned x0, unsigned y0, unsigned x1, unsigned y1)
{
	unsigned n = 0;
	for (unsigned y = y0; y < y1; y++)
		for (unsigned x = x0; x < x1; x++)
			n += img[((size_t)y * OUT + x) * 4] < 128;
	return n;
}

static void initials_picture(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 0);
	const uint8_t *png, *again;
	size_t n, n2;
	assert_int_equal(image_initials_png(&a, "TC", &png, &n), SY_OK);
	assert_int_equal(image_initials_png(&a, "TC", &again, &n2), SY_OK);
	assert_ptr_equal(png, again); /* cached */
	png_image im = {.version = PNG_IMAGE_VERSION};
	assert_true(png_image_begin_read_from_memory(&im, png, n));
	assert_int_equal(im.width, PROFILE_PICTURE_SIDE);
	assert_int_equal(im.height, PROFILE_PICTURE_SIDE);
	png_image_free(&im);
	uint8_t *img;
	const char *why;
	/* white corners, black letters in the middle band, about centred */
	const char *cases[] = {"TC", "WM", "", "ÉÑ", "\xe4\xb8\xad"};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(image_initials_png(&a, cases[i], &png, &n), SY_OK);
		assert_int_equal(image_square(png, n, OUT, &img, &why), SY_OK);
		assert_int_equal(dark_pixels(img, 0, 0, 8, 8) + dark_pixels(img, OUT - 8, OUT - 8, OUT, OUT), 0);
		if (*cases[i]) {
			unsigned left = dark_pixels(img, 0, 0, OUT / 2, OUT),
			         right = dark_pixels(img, OUT / 2, 0, OUT, OUT);
			unsigned top = dark_pixels(img, 0, 0, OUT, OUT / 2),
			         bottom = dark_pixels(img, 0, OUT / 2, OUT, OUT);
			assert_true(left > 10 && right > 10);
			assert_true(top > 10 && bottom > 10);
			/* the ink fits: the outer columns stay white */
			assert_int_equal(dark_pixels(img, 0, 0, 2, OUT) + dark_pixels(img, OUT - 2, 0, OUT, OUT), 0);
		} else {
			assert_int_equal(dark_pixels(img, 0, 0, OUT, OUT), 0);
		}
		free(img);
	}
	arena_release(&a);
}

/* -------------------------------------------------------------- storage */

static void storage_ops(struct store *s, const char *label)
{
	struct arena a;
	arena_init(&a, 0);
	const uint8_t *data;
	size_t n, which;
	const char *one[] = {"application-images/logoLight.png"};
	assert_int_equal(filestore_read(s, &a, one, 1, 100, &which, &data, &n), SY_E_NOTFOUND);
	assert_int_equal(filestore_exists(s, one[0]), SY_E_NOTFOUND);
	assert_int_equal(filestore_write(s, one[0], (const uint8_t *)"first\0x", 7), SY_OK);
	assert_int_equal(filestore_write(s, one[0], (const uint8_t *)"second\0x", 8), SY_OK);
	assert_int_equal(filestore_exists(s, one[0]), SY_OK);
	assert_int_equal(filestore_read(s, &a, one, 1, 100, &which, &data, &n), SY_OK);
	assert_int_equal(n, 8);
	assert_memory_equal(data, "second\0x", 8);
	assert_int_equal(filestore_read(s, &a, one, 1, 7, &which, &data, &n), SY_E_TOOBIG);
	/* the one of several candidates that exists */
	const char *cands[] = {"application-images/logoLight.jpg", "application-images/logoLight.gif", one[0]};
	assert_int_equal(filestore_read(s, &a, cands, 3, 100, &which, &data, &n), SY_OK);
	assert_int_equal(which, 2);
	/* an empty file (the deletion markers) */
	assert_int_equal(filestore_write(s, "application-images/.deleted/background", (const uint8_t *)"", 0), SY_OK);
	assert_int_equal(filestore_exists(s, "application-images/.deleted/background"), SY_OK);
	const char *marker[] = {"application-images/.deleted/background"};
	assert_int_equal(filestore_read(s, &a, marker, 1, 100, &which, &data, &n), SY_OK);
	assert_int_equal(n, 0);
	assert_int_equal(filestore_delete(s, one[0]), SY_OK);
	assert_int_equal(filestore_delete(s, one[0]), SY_E_NOTFOUND);
	assert_int_equal(filestore_exists(s, one[0]), SY_E_NOTFOUND);
	/* paths that could leave the storage are refused */
	const char *bad[] = {"../x.png", "a/../../x", "/etc/passwd", "a//b", "a/./b",
	                     "a/b/",     "",          "a\\b",        "a b",  "profile-pictures/%2e%2e"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_false(filestore_path_ok(bad[i]));
		assert_int_equal(filestore_write(s, bad[i], (const uint8_t *)"x", 1), SY_E_INVALID);
		assert_int_equal(filestore_delete(s, bad[i]), SY_E_INVALID);
		assert_int_equal(filestore_read(s, &a, &bad[i], 1, 100, &which, &data, &n), SY_E_INVALID);
	}
	assert_true(filestore_path_ok("profile-pictures/defaults/TC.png"));
	assert_true(filestore_path_ok(".deleted/x"));
	(void)label;
	arena_release(&a);
}

static void storage_filesystem(void **state)
{
	(void)state;
	char dir[] = "/tmp/sy-images-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char root[64];
	snprintf(root, sizeof root, "%s/up/loads", dir);
	filestore_setup("filesystem", root);
	assert_false(filestore_in_database());
	storage_ops(NULL, "filesystem");
	/* the newest of two extensions wins */
	const char *c[] = {"n/i.png", "n/i.jpg"};
	assert_int_equal(filestore_write(NULL, c[1], (const uint8_t *)"old", 3), SY_OK);
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
	assert_int_equal(filestore_write(NULL, c[0], (const uint8_t *)"new", 3), SY_OK);
	struct arena a;
	arena_init(&a, 0);
	const uint8_t *d;
	size_t n, which;
	assert_int_equal(filestore_read(NULL, &a, c, 2, 10, &which, &d, &n), SY_OK);
	assert_int_equal(which, 0);
	assert_memory_equal(d, "new", 3);
	arena_release(&a);
	/* files are world-readable, no temporary file is left behind */
	char path[256];
	snprintf(path, sizeof path, "%s/n/i.png", root);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "test -z \"$(find %s -name '*.tmp-*')\" && rm -rf %s", dir, dir);
	assert_int_equal(system(cmd), 0);
}

static void storage_database(void **state)
{
	(void)state;
	char dir[] = "/tmp/sy-images-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char conn[128], err[256];
	snprintf(conn, sizeof conn, "%s/db.sqlite", dir);
	struct store *s;
	assert_int_equal(store_open(conn, &s, err, sizeof err), SY_OK);
	assert_int_equal(store_migrate(s, false, err, sizeof err), SY_OK);
	filestore_setup("database", NULL);
	assert_true(filestore_in_database());
	storage_ops(s, "database");
	store_close(s);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	/* PostgreSQL in a database of its own, when the test run has a server */
	const char *pg = getenv("SY_TEST_PG_URL");
	if (!pg || !*pg)
		return;
	char name[32], id[37], sql[96];
	uuid_v4(id);
	snprintf(name, sizeof name, "sy_img_%.8s", id);
	PGconn *c = PQconnectdb(pg);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	PQclear(PQexec(c, sql));
	const char *q = strchr(pg, '?'), *slash = strrchr(pg, '/');
	assert_true(slash && (!q || q > slash));
	snprintf(conn, sizeof conn, "%.*s/%s%s", (int)(slash - pg), pg, name, q ? q : "");
	assert_int_equal(store_open(conn, &s, err, sizeof err), SY_OK);
	assert_int_equal(store_migrate(s, false, err, sizeof err), SY_OK);
	storage_ops(s, "postgres");
	store_close(s);
	snprintf(sql, sizeof sql, "DROP DATABASE %s", name);
	PQclear(PQexec(c, sql));
	PQfinish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(multipart_valid),
	        cmocka_unit_test(multipart_invalid),
	        cmocka_unit_test(multipart_callback_error),
	        cmocka_unit_test(sniffing),
	        cmocka_unit_test(decode_each_format),
	        cmocka_unit_test(box_filter_is_exact),
	        cmocka_unit_test(transparency),
	        cmocka_unit_test(jpeg_orientation),
	        cmocka_unit_test(refuses_bad_input),
	        cmocka_unit_test(strips_metadata),
	        cmocka_unit_test(png_encoding),
	        cmocka_unit_test(initials),
	        cmocka_unit_test(initials_picture),
	        cmocka_unit_test(storage_filesystem),
	        cmocka_unit_test(storage_database),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
