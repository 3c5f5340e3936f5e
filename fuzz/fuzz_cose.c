/*
 * fuzz_cose.c - cose_key_parse on arbitrary bytes with every algorithm offered.
 * Checks: a parsed key fits its algorithm (type, curve, RSA size), the alg is one
 * of those offered, and a signature check with it on a junk signature fails
 * without crashing. The key must also parse again when only its own alg is
 * offered, and be refused when that alg is not.
 */
#include "fuzz.h"

#include "auth/auth.h"

static const int all_algs[] = {-7, -8, -35, -36, -257, -258, -259, -37, -38, -39};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct arena a;
	arena_init(&a, 0);
	struct cose_key k;
	const char *why = NULL;
	if (cose_key_parse(&a, data, size, all_algs, 10, &k, &why) != SY_OK) {
		FUZZ_CHECK(k.pkey == NULL && why != NULL);
		arena_release(&a);
		return 0;
	}
	FUZZ_CHECK(k.pkey && cose_alg_fits(k.pkey, k.alg));
	static const uint8_t junk[72] = {0x30, 0x46};
	FUZZ_CHECK(cose_verify(k.pkey, k.alg, data, size, junk, sizeof junk) == SY_E_CRYPTO);
	struct cose_key again;
	FUZZ_CHECK(cose_key_parse(&a, data, size, &k.alg, 1, &again, &why) == SY_OK);
	FUZZ_CHECK(EVP_PKEY_eq(k.pkey, again.pkey) == 1);
	cose_key_free(&again);
	int other = k.alg == -7 ? -8 : -7;
	FUZZ_CHECK(cose_key_parse(&a, data, size, &other, 1, &again, &why) == SY_E_DENIED);
	cose_key_free(&k);
	arena_release(&a);
	return 0;
}
