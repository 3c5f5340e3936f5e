/*
 * encoding.c - base64 (RFC 4648 §4, padded) and base64url (§5, unpadded), hex.
 *
 * Decoders are strict: no whitespace, no padding in base64url, padding required
 * in base64, and the unused low bits of the last symbol must be zero, so that
 * every byte string has exactly one accepted encoding (no token malleability).
 */
#include <string.h>
#include <time.h>

#include "core.h"

static const char STD[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t b64url_encoded_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

static size_t encode(const char *alpha, bool pad, const uint8_t *in, size_t n, char *out)
{
	size_t o = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		out[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

void b64_encode(const uint8_t *in, size_t n, char *out)
{
	encode(STD, true, in, n, out);
}

void b64url_encode(const uint8_t *in, size_t n, char *out)
{
	encode(URL, false, in, n, out);
}

static int sym(bool url, char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

static enum sy_err decode(bool url, const char *in, size_t n, uint8_t *out, size_t *outlen)
{
	if (!url) {
		/* padded form: length a multiple of 4, at most two '=' at the end */
		if (n % 4)
			return SY_E_INVALID;
		if (n && in[n - 1] == '=')
			n--;
		if (n && in[n - 1] == '=')
			n--;
	}
	if (n % 4 == 1)
		return SY_E_INVALID;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = sym(url, in[i]);
		if (v < 0)
			return SY_E_INVALID;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits && (acc & ((1u << bits) - 1)))
		return SY_E_INVALID; /* non-canonical trailing bits */
	*outlen = o;
	return SY_OK;
}

enum sy_err b64_decode(const char *in, size_t n, uint8_t *out, size_t *outlen)
{
	return decode(false, in, n, out, outlen);
}

enum sy_err b64url_decode(const char *in, size_t n, uint8_t *out, size_t *outlen)
{
	return decode(true, in, n, out, outlen);
}

char *arena_b64url(struct arena *a, const uint8_t *in, size_t n)
{
	char *out = arena_alloc(a, b64url_encoded_len(n) + 1);
	if (out)
		b64url_encode(in, n, out);
	return out;
}

enum sy_err arena_b64url_decode(struct arena *a, const char *in, size_t n, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = arena_alloc(a, n / 4 * 3 + 3);
	if (!buf)
		return SY_E_TOOBIG;
	enum sy_err e = b64url_decode(in, n, buf, outlen);
	if (e)
		return e;
	*out = buf;
	return SY_OK;
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[in[i] >> 4];
		out[2 * i + 1] = h[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum sy_err hex_decode(const char *in, size_t n, uint8_t *out)
{
	if (n % 2)
		return SY_E_INVALID;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit(in[i]), lo = hex_digit(in[i + 1]);
		if (hi < 0 || lo < 0)
			return SY_E_INVALID;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return SY_OK;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), 0 if there is none. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t len = p[0] >= 0xc2 && p[0] <= 0xdf   ? 2
	             : p[0] >= 0xe0 && p[0] <= 0xef ? 3
	             : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
	                                            : 0;
	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) || (p[0] == 0xf0 && p[1] < 0x90) ||
	    (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	return len;
}

char *utf8_clean(struct arena *a, const char *s, size_t max)
{
	size_t n = strlen(s), o = 0;
	char *out = arena_alloc(a, (n < max ? n : max) + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq((const unsigned char *)s + i, n - i);
		size_t put = len ? len : 1;
		if (o + put > max)
			break;
		if (len)
			memcpy(out + o, s + i, len);
		else
			out[o] = '?';
		o += put;
		i += len ? len : 1;
	}
	out[o] = '\0';
	return out;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

enum sy_err parse_rfc3339(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	size_t n = strlen(s);
	if (n < 20 || n > 40 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return SY_E_INVALID;
	const char *p = s + 19;
	if (*p == '.') /* fractions of a second are accepted and dropped */
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	int sign = 0;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		sign = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 && digits(p + 1, 2, &oh) && p[3] == ':' &&
	         digits(p + 4, 2, &om) && oh < 24 && om < 60)
		sign = *p == '+' ? 1 : -1;
	else
		return SY_E_INVALID;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 ||
	    sec > 60)
		return SY_E_INVALID;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
	*out = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
	return SY_OK;
}
