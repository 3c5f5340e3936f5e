/*
 * fuzz_b64url.c - the strict base64 and base64url codecs.
 *
 * 1. The input as text: b64url_decode, arena_b64url_decode and b64_decode. The
 *    decoders are canonical, so whatever decodes must re-encode to exactly the
 *    input (otherwise two spellings of one byte string exist: malleability).
 *    The output buffer has exactly the documented n*3/4+3 bytes.
 * 2. The input as bytes: encode with each alphabet (and arena_b64url), check the
 *    announced lengths, and decode back to the input.
 */
#include "fuzz.h"

#include "core/core.h"

static void text_roundtrip(const char *in, size_t n, bool url)
{
	size_t cap = n * 3 / 4 + 3, outlen = (size_t)-1;
	uint8_t *out = malloc(cap);
	enum sy_err e = url ? b64url_decode(in, n, out, &outlen) : b64_decode(in, n, out, &outlen);
	if (e == SY_OK) {
		FUZZ_CHECK(outlen <= n * 3 / 4);
		size_t elen = url ? b64url_encoded_len(outlen) : b64_encoded_len(outlen);
		FUZZ_CHECK(elen == n);
		char *enc = malloc(elen + 1);
		if (url)
			b64url_encode(out, outlen, enc);
		else
			b64_encode(out, outlen, enc);
		FUZZ_CHECK(strlen(enc) == n && memcmp(enc, in, n) == 0);
		free(enc);
	} else {
		FUZZ_CHECK(e == SY_E_INVALID);
	}
	free(out);
}

static void arena_text(const char *in, size_t n)
{
	struct arena a;
	arena_init(&a, 0);
	uint8_t *out = NULL;
	size_t outlen = 0;
	enum sy_err e = arena_b64url_decode(&a, in, n, &out, &outlen);
	if (e == SY_OK) {
		char *enc = arena_b64url(&a, out, outlen);
		FUZZ_CHECK(enc && strlen(enc) == n && memcmp(enc, in, n) == 0);
	}
	arena_release(&a);
}

static void bytes_roundtrip(const uint8_t *in, size_t n)
{
	for (int url = 0; url < 2; url++) {
		size_t elen = url ? b64url_encoded_len(n) : b64_encoded_len(n);
		char *enc = malloc(elen + 1);
		if (url)
			b64url_encode(in, n, enc);
		else
			b64_encode(in, n, enc);
		FUZZ_CHECK(strlen(enc) == elen);
		size_t cap = elen * 3 / 4 + 3, outlen = 0;
		uint8_t *out = malloc(cap);
		enum sy_err e = url ? b64url_decode(enc, elen, out, &outlen) : b64_decode(enc, elen, out, &outlen);
		FUZZ_CHECK(e == SY_OK && outlen == n && memcmp(out, in, n) == 0);
		free(out);
		free(enc);
	}
	struct arena a;
	arena_init(&a, 0);
	char *enc = arena_b64url(&a, in, n);
	FUZZ_CHECK(enc && strlen(enc) == b64url_encoded_len(n));
	uint8_t *out;
	size_t outlen;
	FUZZ_CHECK(arena_b64url_decode(&a, enc, strlen(enc), &out, &outlen) == SY_OK);
	FUZZ_CHECK(outlen == n && memcmp(out, in, n) == 0);
	arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	/* an exact-size copy so the decoders' reads are bounded by ASan */
	char *in = malloc(size ? size : 1);
	memcpy(in, data, size);
	text_roundtrip(in, size, true);
	text_roundtrip(in, size, false);
	arena_text(in, size);
	free(in);
	bytes_roundtrip(data, size);
	return 0;
}
