/*
 * fuzz_cbor.c - the strict CBOR decoder (webauthn_cbor_decode) on arbitrary
 * bytes, exact and prefix modes. Checks:
 *  - exact and prefix agree: exact succeeds iff prefix succeeds using every byte;
 *  - a decoded item serialises (libcbor, definite lengths) to bytes that decode
 *    again, strictly and exactly, to an item that serialises identically: what
 *    we accept has one meaning.
 */
#include "fuzz.h"

#include "auth/auth.h"

static void round_trip(const cbor_item_t *it)
{
	uint8_t *buf = NULL;
	size_t cap, n = cbor_serialize_alloc(it, &buf, &cap);
	FUZZ_CHECK(n > 0);
	cbor_item_t *again;
	const char *why;
	FUZZ_CHECK(webauthn_cbor_decode(buf, n, true, &again, NULL, &why) == SY_OK);
	uint8_t *buf2 = NULL;
	size_t n2 = cbor_serialize_alloc(again, &buf2, &cap);
	FUZZ_CHECK(n2 == n && memcmp(buf, buf2, n) == 0);
	free(buf2);
	cbor_decref(&again);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	cbor_item_t *it = NULL, *prefix = NULL;
	size_t used = 0;
	const char *why = NULL;
	enum sy_err exact = webauthn_cbor_decode(data, size, true, &it, NULL, &why);
	enum sy_err pre = webauthn_cbor_decode(data, size, false, &prefix, &used, &why);
	FUZZ_CHECK(why != NULL || (exact == SY_OK && pre == SY_OK));
	FUZZ_CHECK((exact == SY_OK) == (pre == SY_OK && used == size));
	if (pre == SY_OK) {
		FUZZ_CHECK(used > 0 && used <= size);
		round_trip(prefix);
		cbor_decref(&prefix);
	}
	if (exact == SY_OK)
		cbor_decref(&it);
	return 0;
}
