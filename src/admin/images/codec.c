/*
 * codec.c - the image pipeline for uploads: type sniffing, bounded decoding
 * (libpng, libjpeg-turbo, libwebp, giflib) streamed into a centre-crop
 * resampler, EXIF orientation, PNG encoding, and metadata stripping.
 *
 * Bounds: the input is at most IMAGE_MAX_BYTES (the caller's limit); the
 * dimensions from the header are checked against IMAGE_MAX_SIDE and
 * IMAGE_MAX_PIXELS before any pixel is decoded; rows are fed one at a time to
 * an accumulator of side x side pixels, so no decoder here holds the whole
 * image (libjpeg's progressive coefficient buffer is capped by
 * max_memory_to_use; lossless WebP, which libwebp decodes whole, has the lower
 * IMAGE_MAX_PIXELS_FULL cap). JPEGs are decoded at 1/2, 1/4 or 1/8 scale when
 * that still leaves at least side pixels, which keeps big photos cheap.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>

#include "../images.h"

/* ---------------------------------------------------------------- sniffing */

static bool starts(const uint8_t *p, size_t n, const char *sig, size_t len)
{
	return n >= len && memcmp(p, sig, len) == 0;
}

/* An XML document whose root element is <svg>: skips a BOM, white space, the
 * XML declaration, processing instructions, comments and a doctype (without an
 * internal subset), all within the first 64 KiB. */
static bool is_svg(const uint8_t *p, size_t n)
{
	if (n > 65536)
		n = 65536;
	const char *s = (const char *)p, *end = s + n;
	if (memchr(s, '\0', n))
		return false;
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	for (;;) {
		while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
			s++;
		if (end - s < 5 || *s != '<')
			return false;
		const char *close;
		size_t skip;
		if (s[1] == '?') {
			close = memmem(s + 2, (size_t)(end - s - 2), "?>", 2);
			skip = 2;
		} else if (end - s >= 4 && memcmp(s, "<!--", 4) == 0) {
			close = memmem(s + 4, (size_t)(end - s - 4), "-->", 3);
			skip = 3;
		} else if (s[1] == '!') {
			close = memchr(s + 2, '>', (size_t)(end - s - 2));
			skip = 1;
		} else {
			return strncmp(s, "<svg", 4) == 0 && (s[4] == ' ' || s[4] == '>' || s[4] == '/' ||
			                                      s[4] == '\t' || s[4] == '\r' || s[4] == '\n');
		}
		if (!close)
			return false;
		s = close + skip;
	}
}

enum image_type image_sniff(const uint8_t *p, size_t n)
{
	if (starts(p, n, "\x89PNG\r\n\x1a\n", 8))
		return IMAGE_PNG;
	if (starts(p, n, "\xff\xd8\xff", 3))
		return IMAGE_JPEG;
	if (starts(p, n, "GIF87a", 6) || starts(p, n, "GIF89a", 6))
		return IMAGE_GIF;
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return IMAGE_WEBP;
	if (n >= 6 && memcmp(p, "\0\0\1\0", 4) == 0 && (p[4] | p[5]) != 0)
		return IMAGE_ICO;
	if (n >= 16 && memcmp(p + 4, "ftyp", 4) == 0) {
		/* ISO BMFF: the major brand, then the compatible ones within the box */
		size_t box = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
		if (box < 16 || box > n)
			box = n < 64 ? n : 64;
		bool heif = false;
		for (size_t off = 8; off + 4 <= box; off += off == 8 ? 8 : 4) {
			const uint8_t *b = p + off;
			if (memcmp(b, "avif", 4) == 0 || memcmp(b, "avis", 4) == 0)
				return IMAGE_AVIF;
			if (memcmp(b, "heic", 4) == 0 || memcmp(b, "heix", 4) == 0 || memcmp(b, "heim", 4) == 0 ||
			    memcmp(b, "heis", 4) == 0 || memcmp(b, "hevc", 4) == 0 || memcmp(b, "hevx", 4) == 0 ||
			    memcmp(b, "mif1", 4) == 0 || memcmp(b, "msf1", 4) == 0)
				heif = true;
		}
		return heif ? IMAGE_HEIC : IMAGE_UNKNOWN;
	}
	if (is_svg(p, n))
		return IMAGE_SVG;
	return IMAGE_UNKNOWN;
}

const char *image_type_ext(enum image_type t)
{
	switch (t) {
	case IMAGE_PNG: return "png";
	case IMAGE_JPEG: return "jpg";
	case IMAGE_GIF: return "gif";
	case IMAGE_WEBP: return "webp";
	case IMAGE_SVG: return "svg";
	case IMAGE_ICO: return "ico";
	case IMAGE_AVIF: return "avif";
	case IMAGE_HEIC: return "heic";
	case IMAGE_UNKNOWN: break;
	}
	return NULL;
}

const char *image_ext_mime(const char *ext)
{
	static const char *const MIME[][2] = {
	        {"jpg", "image/jpeg"},    {"jpeg", "image/jpeg"},  {"png", "image/png"},
	        {"svg", "image/svg+xml"}, {"ico", "image/x-icon"}, {"gif", "image/gif"},
	        {"webp", "image/webp"},   {"avif", "image/avif"},  {"heic", "image/heic"},
	};
	for (size_t i = 0; i < sizeof MIME / sizeof MIME[0]; i++)
		if (strcmp(ext, MIME[i][0]) == 0)
			return MIME[i][1];
	return NULL;
}

/* ------------------------------------------------------------- resampling */

/* The centre square of a W x H image scaled to out x out. Pixels arrive as
 * spans (a row, or every 8th pixel of one in an Adam7 pass) in any order, and
 * pixels never fed count as transparent.
 *
 * Down (S >= out): an exact box filter. In units of 1/(S*out) of the crop,
 * source pixel x spans [x*out, (x+1)*out) and output pixel j spans
 * [j*S, (j+1)*S), so a source pixel touches at most two output pixels and the
 * weights are integers. Channels are premultiplied by alpha, summed in 64 bits
 * (at most S*S*255*255 < 2^45) and divided once at the end.
 * Up (S < out): the crop is kept (less than out*out pixels) and interpolated
 * bilinearly. */
struct sampler {
	unsigned w, h, side, x0, y0, out;
	uint16_t *col, *wcol; /* per crop column: output column, weight to it */
	uint64_t *acc;        /* out*out*4 (down) */
	uint64_t *tmp;        /* out*4: one row, resampled horizontally */
	uint8_t *small;       /* side*side*4 (up) */
};

static void sampler_init(struct sampler *sp, unsigned w, unsigned h, unsigned out)
{
	memset(sp, 0, sizeof *sp);
	sp->w = w;
	sp->h = h;
	sp->out = out;
	sp->side = w < h ? w : h;
	sp->x0 = (w - sp->side) / 2;
	sp->y0 = (h - sp->side) / 2;
	if (sp->side < out) {
		sp->small = sy_calloc((size_t)sp->side * sp->side, 4);
		return;
	}
	sp->col = sy_calloc(sp->side, sizeof *sp->col);
	sp->wcol = sy_calloc(sp->side, sizeof *sp->wcol);
	for (unsigned x = 0; x < sp->side; x++) {
		uint64_t lo = (uint64_t)x * out, hi = lo + out;
		unsigned j = (unsigned)(lo / sp->side);
		uint64_t b = (uint64_t)(j + 1) * sp->side;
		sp->col[x] = (uint16_t)j;
		sp->wcol[x] = (uint16_t)(hi <= b ? out : b - lo);
	}
	sp->acc = sy_calloc((size_t)out * out * 4, sizeof *sp->acc);
	sp->tmp = sy_calloc((size_t)out * 4, sizeof *sp->tmp);
}

static void sampler_free(struct sampler *sp)
{
	free(sp->col);
	free(sp->wcol);
	free(sp->acc);
	free(sp->tmp);
	free(sp->small);
	memset(sp, 0, sizeof *sp);
}

/* n RGBA pixels of row y at x = x_start + i*step. */
static void sampler_span(struct sampler *sp, unsigned y, unsigned x_start, unsigned step, unsigned n, const uint8_t *px)
{
	if (y < sp->y0 || y - sp->y0 >= sp->side)
		return;
	unsigned yy = y - sp->y0;
	if (sp->small) {
		for (unsigned i = 0; i < n; i++) {
			unsigned x = x_start + i * step;
			if (x >= sp->x0 && x - sp->x0 < sp->side)
				memcpy(sp->small + ((size_t)yy * sp->side + (x - sp->x0)) * 4, px + (size_t)i * 4, 4);
		}
		return;
	}
	unsigned out = sp->out;
	uint64_t *t = sp->tmp;
	memset(t, 0, (size_t)out * 4 * sizeof *t);
	bool any = false;
	for (unsigned i = 0; i < n; i++) {
		unsigned x = x_start + i * step;
		if (x < sp->x0 || x - sp->x0 >= sp->side)
			continue;
		const uint8_t *q = px + (size_t)i * 4;
		uint64_t a = q[3];
		if (!a)
			continue;
		any = true;
		unsigned xx = x - sp->x0, j = sp->col[xx];
		uint64_t w = sp->wcol[xx], v[4] = {q[0] * a, q[1] * a, q[2] * a, a};
		uint64_t *d = t + (size_t)j * 4;
		for (int c = 0; c < 4; c++)
			d[c] += w * v[c];
		if (w < out)
			for (int c = 0; c < 4; c++)
				d[4 + c] += (out - w) * v[c];
	}
	if (!any)
		return;
	uint64_t lo = (uint64_t)yy * out;
	unsigned j = (unsigned)(lo / sp->side);
	uint64_t b = (uint64_t)(j + 1) * sp->side;
	uint64_t wy = lo + out <= b ? out : b - lo;
	uint64_t *row = sp->acc + (size_t)j * out * 4;
	for (size_t k = 0; k < (size_t)out * 4; k++)
		row[k] += wy * t[k];
	if (wy < out) {
		row += (size_t)out * 4;
		for (size_t k = 0; k < (size_t)out * 4; k++)
			row[k] += (out - wy) * t[k];
	}
}

static uint8_t div_round(uint64_t num, uint64_t den)
{
	uint64_t v = (2 * num + den) / (2 * den);
	return (uint8_t)(v > 255 ? 255 : v);
}

/* Writes the out x out RGBA result (straight alpha) to dst. */
static void sampler_finish(struct sampler *sp, uint8_t *dst)
{
	unsigned out = sp->out;
	if (!sp->small) {
		uint64_t total = (uint64_t)sp->side * sp->side;
		for (size_t i = 0; i < (size_t)out * out; i++) {
			const uint64_t *a = sp->acc + i * 4;
			uint8_t *d = dst + i * 4;
			if (!a[3]) {
				memset(d, 0, 4);
				continue;
			}
			for (int c = 0; c < 3; c++)
				d[c] = div_round(a[c], a[3]);
			d[3] = div_round(a[3], total);
		}
		return;
	}
	unsigned s = sp->side;
	for (unsigned y = 0; y < out; y++) {
		double fy = ((double)y + 0.5) * s / out - 0.5;
		if (fy < 0)
			fy = 0;
		unsigned y1 = (unsigned)fy, y2 = y1 + 1 < s ? y1 + 1 : y1;
		double dy = fy - y1;
		for (unsigned x = 0; x < out; x++) {
			double fx = ((double)x + 0.5) * s / out - 0.5;
			if (fx < 0)
				fx = 0;
			unsigned x1 = (unsigned)fx, x2 = x1 + 1 < s ? x1 + 1 : x1;
			double dx = fx - x1;
			const uint8_t *p[4] = {
			        sp->small + ((size_t)y1 * s + x1) * 4, sp->small + ((size_t)y1 * s + x2) * 4,
			        sp->small + ((size_t)y2 * s + x1) * 4, sp->small + ((size_t)y2 * s + x2) * 4};
			double w[4] = {(1 - dx) * (1 - dy), dx * (1 - dy), (1 - dx) * dy, dx * dy};
			double acc[4] = {0, 0, 0, 0};
			for (int k = 0; k < 4; k++) {
				double a = p[k][3];
				for (int c = 0; c < 3; c++)
					acc[c] += w[k] * p[k][c] * a;
				acc[3] += w[k] * a;
			}
			uint8_t *d = dst + ((size_t)y * out + x) * 4;
			if (acc[3] <= 0) {
				memset(d, 0, 4);
				continue;
			}
			for (int c = 0; c < 3; c++) {
				double v = acc[c] / acc[3] + 0.5;
				d[c] = (uint8_t)(v > 255 ? 255 : v);
			}
			d[3] = (uint8_t)(acc[3] + 0.5 > 255 ? 255 : acc[3] + 0.5);
		}
	}
}

static bool dims_ok(unsigned long w, unsigned long h, unsigned long max_pixels, const char **why)
{
	if (w == 0 || h == 0) {
		*why = "the image has no pixels";
		return false;
	}
	if (w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE || (unsigned long long)w * h > max_pixels) {
		*why = "the image is too large";
		return false;
	}
	return true;
}

static unsigned rd16(const uint8_t *p, bool le)
{
	return le ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | p[1];
}

static uint32_t rd32(const uint8_t *p, bool le)
{
	return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
	          : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* -------------------------------------------------------------------- PNG */

struct mem_in {
	const uint8_t *p;
	size_t n, off;
};

struct png_job {
	struct mem_in in;
	struct sampler sp;
	uint8_t *row;
	const char *why;
	unsigned out;
};

static void png_read_mem(png_structp png, png_bytep dst, size_t len)
{
	struct png_job *j = png_get_io_ptr(png);
	if (len > j->in.n - j->in.off)
		png_error(png, "truncated");
	memcpy(dst, j->in.p + j->in.off, len);
	j->in.off += len;
}

static void png_on_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	struct png_job *j = png_get_error_ptr(png);
	if (!j->why)
		j->why = "the PNG data is corrupt";
	png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png, (void)msg;
}

/* Everything that happens after setjmp, on the heap job (so nothing local to
 * png_decode changes between setjmp and a longjmp). */
static void png_run(png_structp png, png_infop info, struct png_job *j)
{
	png_set_read_fn(png, j, png_read_mem);
	png_read_info(png, info);
	png_uint_32 w, h;
	int depth, color, interlace;
	png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, NULL, NULL);
	if (!dims_ok(w, h, IMAGE_MAX_PIXELS, &j->why))
		png_error(png, "size");
	if (color == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	if (depth == 16)
		png_set_scale_16(png);
	if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
		png_set_gray_to_rgb(png);
	png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER); /* a no-op when there is alpha */
	png_read_update_info(png, info);
	if (png_get_rowbytes(png, info) != (size_t)w * 4 || png_get_channels(png, info) != 4) {
		j->why = "unsupported PNG format";
		png_error(png, "format");
	}
	j->row = sy_malloc((size_t)w * 4);
	sampler_init(&j->sp, w, h, j->out);
	if (interlace == PNG_INTERLACE_ADAM7) {
		/* the seven reduced images, each pixel placed where Adam7 puts it */
		for (int pass = 0; pass < 7; pass++) {
			png_uint_32 rows = PNG_PASS_ROWS(h, pass), cols = PNG_PASS_COLS(w, pass);
			if (!rows || !cols)
				continue;
			for (png_uint_32 r = 0; r < rows; r++) {
				png_read_row(png, j->row, NULL);
				unsigned y = PNG_PASS_START_ROW(pass) + r * PNG_PASS_ROW_OFFSET(pass);
				sampler_span(&j->sp, y, PNG_PASS_START_COL(pass), PNG_PASS_COL_OFFSET(pass), cols,
				             j->row);
			}
		}
	} else {
		for (png_uint_32 y = 0; y < h; y++) {
			png_read_row(png, j->row, NULL);
			sampler_span(&j->sp, y, 0, 1, w, j->row);
		}
	}
}

/* Every chunk's declared length must fit in the file: libpng allocates an
 * ancillary chunk's buffer from its length before reading it (a 200-byte file
 * claiming a 2 GB tEXt chunk made it allocate 2 GB). */
static bool png_chunks_fit(const uint8_t *p, size_t n)
{
	size_t o = 8;
	while (n - o >= 12) {
		uint32_t len = rd32(p + o, false);
		if (len > n - o - 12)
			return false;
		if (memcmp(p + o + 4, "IEND", 4) == 0)
			break;
		o += 12 + (size_t)len;
	}
	return true;
}

static enum sy_err png_decode(const uint8_t *p, size_t n, unsigned out, uint8_t *dst, const char **why)
{
	if (!png_chunks_fit(p, n)) {
		*why = "a PNG chunk is longer than the file";
		return SY_E_INVALID;
	}
	struct png_job *j = sy_calloc(1, sizeof *j);
	j->in = (struct mem_in){p, n, 0};
	j->out = out;
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, j, png_on_error, png_on_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	enum sy_err e = SY_E_INVALID;
	if (!info) {
		j->why = "out of memory";
	} else if (setjmp(png_jmpbuf(png)) == 0) {
		png_set_user_limits(png, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
		png_set_chunk_cache_max(png, 256);
		png_set_chunk_malloc_max(png, 4u << 20);
		/* nothing but the pixels is used: every other chunk is skipped unread */
		static const png_byte IGNORE[] = "tEXt\0zTXt\0iTXt\0iCCP\0sPLT\0eXIf\0tIME\0pHYs\0hIST\0sBIT\0"
		                                 "cHRM\0gAMA\0sRGB\0bKGD\0oFFs\0pCAL\0sCAL\0";
		png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
		png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, IGNORE, (int)(sizeof IGNORE - 1) / 5);
		png_run(png, info, j);
		sampler_finish(&j->sp, dst);
		e = SY_OK;
	}
	png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
	*why = j->why;
	sampler_free(&j->sp);
	free(j->row);
	free(j);
	return e;
}

/* ------------------------------------------------------------------- JPEG */

struct jpeg_job {
	struct jpeg_decompress_struct cinfo;
	struct jpeg_error_mgr jerr;
	struct jpeg_progress_mgr progress;
	jmp_buf jb;
	struct sampler sp;
	uint8_t *row, *rgba;
	const char *why;
	unsigned out, warnings;
	int orientation;
};

static void jpeg_on_error(j_common_ptr c)
{
	struct jpeg_job *j = c->client_data;
	if (!j->why)
		j->why = "the JPEG data is corrupt";
	longjmp(j->jb, 1);
}

static void jpeg_on_message(j_common_ptr c, int level)
{
	struct jpeg_job *j = c->client_data;
	/* corrupt data warns once per bad spot: too many means a crafted file */
	if (level < 0 && ++j->warnings > 1000) {
		j->why = "the JPEG data is corrupt";
		longjmp(j->jb, 1);
	}
}

static void jpeg_on_progress(j_common_ptr c)
{
	struct jpeg_job *j = c->client_data;
	/* progressive files with thousands of tiny scans cost time out of all
	 * proportion to their size (libjpeg-turbo suggests a scan limit) */
	if (j->cinfo.input_scan_number > 500) {
		j->why = "the JPEG has too many scans";
		longjmp(j->jb, 1);
	}
}

/* The Orientation tag (0x0112) of IFD0 in an APP1 "Exif" segment's data; 1
 * when absent or malformed. */
static int exif_orientation(const uint8_t *p, size_t n)
{
	if (n < 14 || memcmp(p, "Exif\0\0", 6) != 0)
		return 1;
	const uint8_t *t = p + 6;
	size_t tn = n - 6;
	bool le;
	if (memcmp(t, "II*\0", 4) == 0)
		le = true;
	else if (memcmp(t, "MM\0*", 4) == 0)
		le = false;
	else
		return 1;
	uint32_t ifd = rd32(t + 4, le);
	if (ifd < 8 || ifd > tn - 2)
		return 1;
	unsigned count = rd16(t + ifd, le);
	for (unsigned i = 0; i < count; i++) {
		size_t e = (size_t)ifd + 2 + (size_t)i * 12;
		if (e + 12 > tn)
			return 1;
		if (rd16(t + e, le) != 0x0112)
			continue;
		if (rd16(t + e + 2, le) != 3 || rd32(t + e + 4, le) != 1)
			return 1; /* must be one SHORT */
		unsigned v = rd16(t + e + 8, le);
		return v >= 1 && v <= 8 ? (int)v : 1;
	}
	return 1;
}

static void jpeg_run(struct jpeg_job *j, const uint8_t *p, size_t n)
{
	struct jpeg_decompress_struct *ci = &j->cinfo;
	jpeg_mem_src(ci, p, (unsigned long)n);
	jpeg_save_markers(ci, JPEG_APP0 + 1, 0xffff);
	jpeg_read_header(ci, TRUE);
	if (!dims_ok(ci->image_width, ci->image_height, IMAGE_MAX_PIXELS, &j->why))
		longjmp(j->jb, 1);
	for (jpeg_saved_marker_ptr m = ci->marker_list; m; m = m->next)
		if (m->marker == JPEG_APP0 + 1 && j->orientation == 1)
			j->orientation = exif_orientation(m->data, m->data_length);
	unsigned side = ci->image_width < ci->image_height ? ci->image_width : ci->image_height;
	ci->scale_num = 1;
	ci->scale_denom = 1;
	for (unsigned d = 8; d > 1; d /= 2)
		if ((side + d - 1) / d >= j->out) {
			ci->scale_denom = d;
			break;
		}
	bool cmyk = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK;
	ci->out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGBA;
	ci->dct_method = JDCT_ISLOW;
	jpeg_start_decompress(ci);
	unsigned w = ci->output_width, h = ci->output_height;
	if (ci->output_components != 4 || !dims_ok(w, h, IMAGE_MAX_PIXELS, &j->why)) {
		if (!j->why)
			j->why = "unsupported JPEG format";
		longjmp(j->jb, 1);
	}
	j->row = sy_malloc((size_t)w * 4);
	sampler_init(&j->sp, w, h, j->out);
	while (ci->output_scanline < h) {
		unsigned y = ci->output_scanline;
		JSAMPROW rows[1] = {j->row};
		if (jpeg_read_scanlines(ci, rows, 1) != 1)
			break;
		if (cmyk) {
			/* Adobe writes inverted CMYK (as nearly every CMYK JPEG is) */
			bool inv = ci->saw_Adobe_marker;
			for (unsigned x = 0; x < w; x++) {
				uint8_t *q = j->row + (size_t)x * 4;
				unsigned c = q[0], m = q[1], yy = q[2], k = q[3];
				if (!inv)
					c = 255 - c, m = 255 - m, yy = 255 - yy, k = 255 - k;
				q[0] = (uint8_t)((c * k + 127) / 255);
				q[1] = (uint8_t)((m * k + 127) / 255);
				q[2] = (uint8_t)((yy * k + 127) / 255);
				q[3] = 255;
			}
		}
		sampler_span(&j->sp, y, 0, 1, w, j->row);
	}
}

static enum sy_err jpeg_decode(const uint8_t *p, size_t n, unsigned out, uint8_t *dst, int *orientation,
                               const char **why)
{
	struct jpeg_job *j = sy_calloc(1, sizeof *j);
	j->out = out;
	j->orientation = 1;
	j->cinfo.err = jpeg_std_error(&j->jerr);
	j->jerr.error_exit = jpeg_on_error;
	j->jerr.emit_message = jpeg_on_message;
	j->progress.progress_monitor = jpeg_on_progress;
	enum sy_err e = SY_E_INVALID;
	j->cinfo.client_data = j; /* kept by jpeg_create_decompress, as err is */
	if (setjmp(j->jb) == 0) {
		jpeg_create_decompress(&j->cinfo);
		j->cinfo.progress = &j->progress;
		j->cinfo.mem->max_memory_to_use = 128L << 20;
		jpeg_run(j, p, n);
		sampler_finish(&j->sp, dst);
		*orientation = j->orientation;
		e = SY_OK;
	}
	jpeg_destroy_decompress(&j->cinfo);
	*why = j->why;
	sampler_free(&j->sp);
	free(j->row);
	free(j);
	return e;
}

/* ------------------------------------------------------------------- WebP */

static enum sy_err webp_decode(const uint8_t *p, size_t n, unsigned out, uint8_t *dst, const char **why)
{
	WebPBitstreamFeatures f;
	if (WebPGetFeatures(p, n, &f) != VP8_STATUS_OK) {
		*why = "the WebP data is corrupt";
		return SY_E_INVALID;
	}
	if (f.has_animation) {
		*why = "animated WebP images are not supported";
		return SY_E_INVALID;
	}
	if (!dims_ok((unsigned long)f.width, (unsigned long)f.height,
	             f.format == 2 ? IMAGE_MAX_PIXELS_FULL : IMAGE_MAX_PIXELS, why))
		return SY_E_INVALID;
	WebPDecoderConfig cfg;
	if (!WebPInitDecoderConfig(&cfg)) {
		*why = "libwebp version mismatch";
		return SY_E_INVALID;
	}
	int side = f.width < f.height ? f.width : f.height;
	/* libwebp crops and scales (both ways) while it decodes */
	cfg.options.use_cropping = 1;
	cfg.options.crop_left = (f.width - side) / 2;
	cfg.options.crop_top = (f.height - side) / 2;
	cfg.options.crop_width = side;
	cfg.options.crop_height = side;
	cfg.options.use_scaling = 1;
	cfg.options.scaled_width = (int)out;
	cfg.options.scaled_height = (int)out;
	cfg.output.colorspace = MODE_RGBA;
	if (WebPDecode(p, n, &cfg) != VP8_STATUS_OK) {
		WebPFreeDecBuffer(&cfg.output);
		*why = "the WebP data is corrupt";
		return SY_E_INVALID;
	}
	const WebPRGBABuffer *b = &cfg.output.u.RGBA;
	for (unsigned y = 0; y < out; y++)
		memcpy(dst + (size_t)y * out * 4, b->rgba + (size_t)y * (size_t)b->stride, (size_t)out * 4);
	WebPFreeDecBuffer(&cfg.output);
	return SY_OK;
}

/* -------------------------------------------------------------------- GIF */

static int gif_read_mem(GifFileType *g, GifByteType *dst, int len)
{
	struct mem_in *m = g->UserData;
	if (len < 0)
		return 0;
	size_t k = (size_t)len < m->n - m->off ? (size_t)len : m->n - m->off;
	memcpy(dst, m->p + m->off, k);
	m->off += k;
	return (int)k;
}

static enum sy_err gif_first_frame(GifFileType *g, struct sampler *sp, unsigned out, const char **why)
{
	int transparent = -1;
	for (;;) {
		GifRecordType type;
		if (DGifGetRecordType(g, &type) == GIF_ERROR)
			break;
		if (type == EXTENSION_RECORD_TYPE) {
			int code;
			GifByteType *ext;
			if (DGifGetExtension(g, &code, &ext) == GIF_ERROR)
				break;
			if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4)
				transparent = (ext[1] & 1) ? ext[4] : -1;
			while (ext)
				if (DGifGetExtensionNext(g, &ext) == GIF_ERROR)
					goto corrupt;
			continue;
		}
		if (type != IMAGE_DESC_RECORD_TYPE)
			break; /* the end, or junk, before any image */
		if (DGifGetImageDesc(g) == GIF_ERROR)
			break;
		const GifImageDesc *d = &g->Image;
		const ColorMapObject *cm = d->ColorMap ? d->ColorMap : g->SColorMap;
		if (d->Width <= 0 || d->Height <= 0 || d->Left < 0 || d->Top < 0 || !cm || cm->ColorCount <= 0 ||
		    !dims_ok((unsigned long)d->Width, (unsigned long)d->Height, IMAGE_MAX_PIXELS, why))
			goto corrupt;
		sampler_init(sp, (unsigned)g->SWidth, (unsigned)g->SHeight, out);
		GifPixelType *line = sy_malloc((size_t)d->Width);
		uint8_t *rgba = sy_malloc((size_t)d->Width * 4);
		static const int START[] = {0, 4, 2, 1}, STEP[] = {8, 8, 4, 2};
		int passes = d->Interlace ? 4 : 1;
		bool ok = true;
		for (int pass = 0; pass < passes && ok; pass++) {
			int y0 = d->Interlace ? START[pass] : 0, dy = d->Interlace ? STEP[pass] : 1;
			for (int y = y0; y < d->Height; y += dy) {
				if (DGifGetLine(g, line, d->Width) == GIF_ERROR) {
					ok = false;
					break;
				}
				for (int x = 0; x < d->Width; x++) {
					uint8_t *q = rgba + (size_t)x * 4;
					int c = line[x];
					if (c == transparent || c >= cm->ColorCount) {
						memset(q, 0, 4);
					} else {
						q[0] = cm->Colors[c].Red;
						q[1] = cm->Colors[c].Green;
						q[2] = cm->Colors[c].Blue;
						q[3] = 255;
					}
				}
				sampler_span(sp, (unsigned)(d->Top + y), (unsigned)d->Left, 1, (unsigned)d->Width,
				             rgba);
			}
		}
		free(line);
		free(rgba);
		if (!ok)
			goto corrupt;
		return SY_OK;
	}
corrupt:
	if (!*why)
		*why = "the GIF data is corrupt";
	return SY_E_INVALID;
}

static enum sy_err gif_decode(const uint8_t *p, size_t n, unsigned out, uint8_t *dst, const char **why)
{
	struct mem_in in = {p, n, 0};
	int err;
	GifFileType *g = DGifOpen(&in, gif_read_mem, &err);
	if (!g) {
		*why = "the GIF data is corrupt";
		return SY_E_INVALID;
	}
	struct sampler sp = {0};
	enum sy_err e = SY_E_INVALID;
	if (dims_ok((unsigned long)(g->SWidth > 0 ? g->SWidth : 0), (unsigned long)(g->SHeight > 0 ? g->SHeight : 0),
	            IMAGE_MAX_PIXELS, why))
		e = gif_first_frame(g, &sp, out, why);
	if (!e)
		sampler_finish(&sp, dst);
	sampler_free(&sp);
	DGifCloseFile(g, &err);
	return e;
}

/* ------------------------------------------------------------ the pipeline */

/* EXIF orientation (TIFF 6.0 values) applied to a square. */
static void orient(uint8_t *px, unsigned s, int o)
{
	if (o <= 1 || o > 8)
		return;
	uint8_t *src = sy_malloc((size_t)s * s * 4);
	memcpy(src, px, (size_t)s * s * 4);
	unsigned m = s - 1;
	for (unsigned y = 0; y < s; y++)
		for (unsigned x = 0; x < s; x++) {
			unsigned sx, sy;
			switch (o) {
			case 2: sx = m - x, sy = y; break;
			case 3: sx = m - x, sy = m - y; break;
			case 4: sx = x, sy = m - y; break;
			case 5: sx = y, sy = x; break;
			case 6: sx = y, sy = m - x; break;
			case 7: sx = m - y, sy = m - x; break;
			default: sx = m - y, sy = x; break; /* 8 */
			}
			memcpy(px + ((size_t)y * s + x) * 4, src + ((size_t)sy * s + sx) * 4, 4);
		}
	free(src);
}

enum sy_err image_square(const uint8_t *p, size_t n, unsigned side, uint8_t **rgba, const char **why)
{
	*rgba = NULL;
	*why = NULL;
	if (side == 0 || side > IMAGE_MAX_OUT) {
		*why = "bad output size";
		return SY_E_INVALID;
	}
	uint8_t *dst = sy_calloc((size_t)side * side, 4);
	int orientation = 1;
	enum sy_err e;
	switch (image_sniff(p, n)) {
	case IMAGE_PNG: e = png_decode(p, n, side, dst, why); break;
	case IMAGE_JPEG: e = jpeg_decode(p, n, side, dst, &orientation, why); break;
	case IMAGE_WEBP: e = webp_decode(p, n, side, dst, why); break;
	case IMAGE_GIF: e = gif_decode(p, n, side, dst, why); break;
	default: *why = "not a PNG, JPEG, WebP or GIF image"; e = SY_E_INVALID;
	}
	if (e) {
		free(dst);
		return e;
	}
	orient(dst, side, orientation);
	*rgba = dst;
	return SY_OK;
}

/* ---------------------------------------------------------- PNG encoding */

struct mem_out {
	uint8_t *p;
	size_t n, cap;
};

static void png_write_mem(png_structp png, png_bytep src, size_t len)
{
	struct mem_out *m = png_get_io_ptr(png);
	if (len > m->cap - m->n) {
		size_t cap = m->cap ? m->cap : 4096;
		while (len > cap - m->n)
			cap *= 2;
		m->p = sy_realloc(m->p, cap);
		m->cap = cap;
	}
	memcpy(m->p + m->n, src, len);
	m->n += len;
}

static void png_flush_mem(png_structp png)
{
	(void)png;
}

struct png_wjob {
	struct mem_out out;
	const char *why;
};

static void png_wjob_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

enum sy_err image_png_encode(const uint8_t *px, unsigned w, unsigned h, unsigned channels, uint8_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!w || !h || w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE || (channels != 1 && channels != 3 && channels != 4))
		return SY_E_INVALID;
	struct png_wjob *j = sy_calloc(1, sizeof *j);
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, j, png_wjob_error, png_on_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	enum sy_err e = SY_E_INTERNAL;
	if (info && setjmp(png_jmpbuf(png)) == 0) {
		png_set_write_fn(png, &j->out, png_write_mem, png_flush_mem);
		int type = channels == 1   ? PNG_COLOR_TYPE_GRAY
		           : channels == 3 ? PNG_COLOR_TYPE_RGB
		                           : PNG_COLOR_TYPE_RGBA;
		png_set_IHDR(png, info, w, h, 8, type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		             PNG_FILTER_TYPE_DEFAULT);
		png_set_compression_level(png, 6);
		png_write_info(png, info);
		for (unsigned y = 0; y < h; y++)
			png_write_row(png, (png_const_bytep)(px + (size_t)y * w * channels));
		png_write_end(png, info);
		e = SY_OK;
	}
	png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
	if (e)
		free(j->out.p);
	else
		*out = j->out.p, *n = j->out.n;
	free(j);
	return e;
}

/* ----------------------------------------------------- metadata stripping */

static bool png_chunk_keep(const uint8_t *type)
{
	static const char *const KEEP[] = {"tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "cICP", "mDCv",
	                                   "cLLi", "bKGD", "hIST", "pHYs", "sPLT", "acTL", "fcTL", "fdAT"};
	if (!(type[0] & 0x20))
		return true; /* critical chunks stay whatever they are */
	for (size_t i = 0; i < sizeof KEEP / sizeof KEEP[0]; i++)
		if (memcmp(type, KEEP[i], 4) == 0)
			return true;
	return false; /* tEXt, zTXt, iTXt, eXIf, tIME and anything unknown */
}

static enum sy_err strip_png(const uint8_t *p, size_t n, uint8_t *out, size_t *outn)
{
	size_t o = 8, k = 8;
	memcpy(out, p, 8);
	for (;;) {
		if (n - o < 12)
			return SY_E_INVALID;
		uint32_t len = rd32(p + o, false);
		if (len > 0x7fffffffu || len > n - o - 12)
			return SY_E_INVALID;
		const uint8_t *type = p + o + 4;
		for (int i = 0; i < 4; i++)
			if (!((type[i] >= 'a' && type[i] <= 'z') || (type[i] >= 'A' && type[i] <= 'Z')))
				return SY_E_INVALID;
		size_t total = 12 + (size_t)len;
		if (png_chunk_keep(type)) {
			memcpy(out + k, p + o, total);
			k += total;
		}
		o += total;
		if (memcmp(type, "IEND", 4) == 0)
			break;
	}
	*outn = k; /* whatever followed IEND is dropped too */
	return SY_OK;
}

static bool jpeg_marker_keep(uint8_t m)
{
	if (m >= 0xe0 && m <= 0xef) /* APPn: JFIF (0), ICC profile (2), Adobe colour transform (14) */
		return m == 0xe0 || m == 0xe2 || m == 0xee;
	return m != 0xfe; /* COM */
}

static enum sy_err strip_jpeg(const uint8_t *p, size_t n, uint8_t *out, size_t *outn)
{
	size_t o = 2, k = 2;
	memcpy(out, p, 2);
	for (;;) {
		if (o >= n || p[o] != 0xff)
			return SY_E_INVALID;
		while (o < n && p[o] == 0xff)
			o++; /* fill bytes */
		if (o >= n)
			return SY_E_INVALID;
		uint8_t m = p[o++];
		if (m == 0xd9) { /* EOI before any scan */
			out[k++] = 0xff, out[k++] = m;
			break;
		}
		if (m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd8))
			return SY_E_INVALID; /* no stand-alone markers belong here */
		if (n - o < 2)
			return SY_E_INVALID;
		size_t len = rd16(p + o, false);
		if (len < 2 || len > n - o)
			return SY_E_INVALID;
		if (m == 0xda) { /* SOS: the rest is entropy-coded data and later scans, kept as is */
			out[k++] = 0xff, out[k++] = m;
			memcpy(out + k, p + o, n - o);
			k += n - o;
			break;
		}
		if (jpeg_marker_keep(m)) {
			out[k++] = 0xff, out[k++] = m;
			memcpy(out + k, p + o, len);
			k += len;
		}
		o += len;
	}
	*outn = k;
	return SY_OK;
}

static enum sy_err strip_webp(const uint8_t *p, size_t n, uint8_t *out, size_t *outn)
{
	if (n < 12)
		return SY_E_INVALID;
	uint32_t riff = rd32(p + 4, true);
	if (riff < 4 || riff > n - 8)
		return SY_E_INVALID;
	size_t end = 8 + (size_t)riff, o = 12, k = 12;
	memcpy(out, p, 12);
	size_t vp8x = 0;
	while (o < end) {
		if (end - o < 8)
			return SY_E_INVALID;
		uint32_t len = rd32(p + o + 4, true);
		if (len > end - o - 8)
			return SY_E_INVALID;
		size_t total = 8 + (size_t)len + (len & 1);
		if (total > end - o)
			total = end - o; /* a missing pad byte at the very end */
		const uint8_t *type = p + o;
		if (memcmp(type, "EXIF", 4) != 0 && memcmp(type, "XMP ", 4) != 0) {
			if (memcmp(type, "VP8X", 4) == 0 && len >= 10)
				vp8x = k;
			memcpy(out + k, p + o, total);
			k += total;
		}
		o += total;
	}
	if (vp8x)
		out[vp8x + 8] &= (uint8_t)~0x0c; /* the EXIF (0x08) and XMP (0x04) flags */
	uint32_t size = (uint32_t)(k - 8);
	out[4] = (uint8_t)size, out[5] = (uint8_t)(size >> 8), out[6] = (uint8_t)(size >> 16),
	out[7] = (uint8_t)(size >> 24);
	*outn = k;
	return SY_OK;
}

enum sy_err image_strip_metadata(enum image_type t, const uint8_t *p, size_t n, uint8_t **out, size_t *outn)
{
	*out = NULL;
	*outn = 0;
	uint8_t *buf = sy_malloc(n ? n : 1);
	enum sy_err e = SY_OK;
	size_t k = n;
	if (t == IMAGE_PNG && n >= 8)
		e = strip_png(p, n, buf, &k);
	else if (t == IMAGE_JPEG && n >= 2)
		e = strip_jpeg(p, n, buf, &k);
	else if (t == IMAGE_WEBP)
		e = strip_webp(p, n, buf, &k);
	else if (t == IMAGE_PNG || t == IMAGE_JPEG)
		e = SY_E_INVALID;
	else
		memcpy(buf, p, n);
	if (e) {
		free(buf);
		return e;
	}
	*out = buf;
	*outn = k;
	return SY_OK;
}
