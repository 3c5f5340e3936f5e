/* random.c - randomness from OpenSSL's DRBG, identifiers, and comparisons. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core.h"

static void rand_or_die(void *buf, size_t n)
{
	if (n > INT_MAX || RAND_bytes(buf, (int)n) != 1) {
		/* Continuing without randomness would mint guessable keys and ids. */
		fprintf(stderr, "fatal: the random number generator failed\n");
		abort();
	}
}

/* Every request takes 32 random bytes (request id, CSP nonce); one RAND_bytes call
 * per few requests instead of two per request saved about 10% of the server's CPU
 * (bench/README.md). Bytes handed out are wiped from the buffer; the process never
 * forks, so no two processes can share a buffer. */
#define RANDOM_POOL 512

static __thread struct {
	uint8_t buf[RANDOM_POOL];
	size_t pos;
} pool = {.pos = RANDOM_POOL};

void sy_random(void *buf, size_t n)
{
	if (n > RANDOM_POOL / 4) {
		rand_or_die(buf, n);
		return;
	}
	if (RANDOM_POOL - pool.pos < n) {
		rand_or_die(pool.buf, RANDOM_POOL);
		pool.pos = 0;
	}
	memcpy(buf, pool.buf + pool.pos, n);
	explicit_bzero(pool.buf + pool.pos, n);
	pool.pos += n;
}

void uuid_v4(char out[37])
{
	uint8_t b[16];
	sy_random(b, sizeof b);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	char hex[33];
	hex_encode(b, sizeof b, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

bool sy_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	/* The length of a secret is not itself secret here (all our secrets have
	 * fixed lengths), so a length mismatch may return early. */
	if (alen != blen)
		return false;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

bool bytes_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

enum sy_err parse_long(const char *s, long min, long max, long *out)
{
	if (!s || !*s || strlen(s) > 20)
		return SY_E_INVALID;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (p == s && *p == '-' && min < 0)))
			return SY_E_INVALID;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return SY_E_INVALID;
	*out = v;
	return SY_OK;
}

void sy_random_string(char *out, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);
	unsigned limit = 256 - 256 % (unsigned)k; /* bytes at or above it would favour the first letters */
	size_t i = 0;
	while (i < n) {
		uint8_t buf[64];
		sy_random(buf, sizeof buf);
		for (size_t j = 0; j < sizeof buf && i < n; j++)
			if (buf[j] < limit)
				out[i++] = alphabet[buf[j] % k];
	}
	out[n] = '\0';
}
