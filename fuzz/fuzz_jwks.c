/*
 * fuzz_jwks.c - oidc_jwks_parse on arbitrary bytes: the JWKS documents that
 * federated client credentials fetch from an issuer's URL (federated.c).
 *
 * Checks: a refused document gives no keys; an accepted one gives at least
 * one and at most three keys per JWK of a document of at most 64, each fitting
 * its algorithm, public only, with a NUL-terminated kid; freeing them (an RSA
 * key shared by its RS256, RS384 and RS512 entries included) is clean.
 */
#include "fuzz.h"

#include "oidc/oidc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct jws_key *keys = (struct jws_key *)1;
	size_t n = 1;
	if (oidc_jwks_parse((const char *)data, size, &keys, &n) != SY_OK) {
		FUZZ_CHECK(keys == NULL && n == 0);
		return 0;
	}
	FUZZ_CHECK(keys && n >= 1 && n <= 3 * 64);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(keys[i].pkey && jws_key_fits(keys[i].pkey, keys[i].alg));
		FUZZ_CHECK(memchr(keys[i].kid, '\0', sizeof keys[i].kid) != NULL);
		json_t *pub = jwk_public(&keys[i]);
		FUZZ_CHECK(pub && !json_object_get(pub, "d"));
		json_decref(pub);
	}
	oidc_jwks_free(keys, n);
	return 0;
}
