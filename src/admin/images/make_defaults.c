/*
 * make_defaults.c - draws the bundled default images in defaults/ (not part
 * of the build; the files it writes are committed and embedded by embed.py):
 *
 *   background.webp  1920x1080 login background: a dark blue-violet gradient
 *                    with two soft glows
 *   favicon.ico      16, 32 and 48 px PNGs of the Symbolon mark
 *   logoEmail.png    the mark at 256 px for emails
 *
 * The mark is a "symbolon": a disc broken in two along a zigzag, the halves
 * slightly apart, as the two halves of a token that prove each other.
 *
 *   cc -O2 -o /tmp/make_defaults src/admin/images/make_defaults.c \
 *      $(pkg-config --cflags --libs libpng libwebp) -lm
 *   /tmp/make_defaults src/admin/images/defaults
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <webp/encode.h>

struct buf {
	uint8_t *p;
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->n + n);
	if (!b->p)
		abort();
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void png_put(png_structp png, png_bytep p, size_t n)
{
	put(png_get_io_ptr(png), p, n);
}

static void png_nop(png_structp png)
{
	(void)png;
}

static struct buf encode_png(const uint8_t *rgba, int w, int h)
{
	struct buf b = {0};
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	if (setjmp(png_jmpbuf(png)))
		abort();
	png_set_write_fn(png, &b, png_put, png_nop);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
	             PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_compression_level(png, 9);
	png_write_info(png, info);
	for (int y = 0; y < h; y++)
		png_write_row(png, rgba + (size_t)y * w * 4);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return b;
}

/* The mark in [-1,1]^2: 0 outside, 1 left half, 2 right half. */
static int mark(double x, double y)
{
	if (x * x + y * y > 0.92 * 0.92)
		return 0;
	double t = (y + 1) * 2.0;                        /* two and a half teeth over the height */
	double tri = fabs(t - floor(t) - 0.5) * 2 - 0.5; /* -0.5 .. 0.5 */
	double split = tri * 0.22, gap = 0.07;
	if (x < split - gap / 2)
		return 1;
	if (x > split + gap / 2)
		return 2;
	return 0;
}

static uint8_t *draw_mark(int size)
{
	static const double COLOR[3][3] = {{0, 0, 0}, {79, 70, 229}, {14, 165, 233}}; /* indigo, sky */
	uint8_t *px = calloc((size_t)size * size, 4);
	const int ss = 8;
	for (int y = 0; y < size; y++)
		for (int x = 0; x < size; x++) {
			double acc[3] = {0, 0, 0};
			int cover = 0;
			for (int j = 0; j < ss; j++)
				for (int i = 0; i < ss; i++) {
					double u = ((x + (i + 0.5) / ss) / size) * 2 - 1;
					double v = ((y + (j + 0.5) / ss) / size) * 2 - 1;
					int m = mark(u, v);
					if (!m)
						continue;
					cover++;
					for (int c = 0; c < 3; c++)
						acc[c] += COLOR[m][c];
				}
			uint8_t *d = px + ((size_t)y * size + x) * 4;
			if (!cover)
				continue;
			for (int c = 0; c < 3; c++)
				d[c] = (uint8_t)lround(acc[c] / cover);
			d[3] = (uint8_t)lround(255.0 * cover / (ss * ss));
		}
	return px;
}

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
	printf("%s: %zu bytes\n", path, n);
}

static void le16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, v & 0xffff), le16(p + 2, v >> 16);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];

	/* favicon.ico: PNG entries (every current browser reads them) */
	static const int SIZES[] = {16, 32, 48};
	struct buf pngs[3], ico = {0};
	uint8_t head[6] = {0};
	le16(head + 2, 1), le16(head + 4, 3);
	put(&ico, head, 6);
	uint32_t off = 6 + 16 * 3;
	for (int i = 0; i < 3; i++) {
		uint8_t *px = draw_mark(SIZES[i]);
		pngs[i] = encode_png(px, SIZES[i], SIZES[i]);
		free(px);
		uint8_t e[16] = {0};
		e[0] = e[1] = (uint8_t)SIZES[i];
		le16(e + 4, 1), le16(e + 6, 32);
		le32(e + 8, (uint32_t)pngs[i].n), le32(e + 12, off);
		off += (uint32_t)pngs[i].n;
		put(&ico, e, 16);
	}
	for (int i = 0; i < 3; i++)
		put(&ico, pngs[i].p, pngs[i].n);
	write_file(dir, "favicon.ico", ico.p, ico.n);

	/* logoEmail.png */
	uint8_t *logo = draw_mark(256);
	struct buf lp = encode_png(logo, 256, 256);
	write_file(dir, "logoEmail.png", lp.p, lp.n);

	/* background.webp */
	const int W = 1920, H = 1080;
	uint8_t *bg = malloc((size_t)W * H * 3);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			double u = (double)x / W, v = (double)y / H;
			/* base: slate 900 at the top left to indigo 950 at the bottom right */
			double t = (u + v) / 2;
			double r = 15 + (30 - 15) * t, g = 23 + (27 - 23) * t, b = 42 + (75 - 42) * t;
			/* glows: indigo at the upper right, sky blue at the lower left */
			double d1 = ((u - 0.8) * (u - 0.8) * 3.2 + (v - 0.25) * (v - 0.25) * 1.8);
			double d2 = ((u - 0.15) * (u - 0.15) * 3.2 + (v - 0.85) * (v - 0.85) * 1.8);
			double g1 = exp(-d1 * 6) * 0.55, g2 = exp(-d2 * 7) * 0.35;
			r += (79 - r) * g1 + (14 - r) * g2;
			g += (70 - g) * g1 + (165 - g) * g2;
			b += (229 - b) * g1 + (233 - b) * g2;
			/* a little ordered dither keeps the gradient free of bands */
			double dith = (((x * 7 + y * 13) % 16) / 16.0 - 0.5) * 0.9;
			uint8_t *d = bg + ((size_t)y * W + x) * 3;
			d[0] = (uint8_t)fmin(255, fmax(0, r + dith));
			d[1] = (uint8_t)fmin(255, fmax(0, g + dith));
			d[2] = (uint8_t)fmin(255, fmax(0, b + dith));
		}
	uint8_t *webp;
	size_t wn = WebPEncodeRGB(bg, W, H, W * 3, 82, &webp);
	if (!wn)
		return 1;
	write_file(dir, "background.webp", webp, wn);
	WebPFree(webp);
	free(bg);
	free(logo);
	free(lp.p);
	free(ico.p);
	for (int i = 0; i < 3; i++)
		free(pngs[i].p);
	return 0;
}
