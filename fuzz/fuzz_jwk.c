/*
 * fuzz_jwk.c - jwk_import on arbitrary JSON, and the export/import round trip.
 *
 * The input is parsed as JSON (duplicates refused, as every caller does) and
 * imported with and without allow_private. Checks:
 *  - a key with "d" is never imported when private keys are not allowed;
 *  - an imported key fits its algorithm and its kid is NUL-terminated;
 *  - jwk_public of an imported key imports again (allow_private false) to the
 *    same public key, algorithm and kid; jwk_private likewise for private keys.
 * A failed round trip is a real bug: the JWKS endpoint would publish a key that
 * relying parties (and we) cannot read back.
 */
#include "fuzz.h"

#include "crypto/crypto.h"

static void reimport(const struct jws_key *k, bool priv)
{
	json_t *j = priv ? jwk_private(k) : jwk_public(k);
	FUZZ_CHECK(j != NULL);
	FUZZ_CHECK(priv == (json_object_get(j, "d") != NULL));
	struct jws_key k2 = {0};
	FUZZ_CHECK(jwk_import(j, priv, &k2) == SY_OK);
	FUZZ_CHECK(k2.alg == k->alg);
	FUZZ_CHECK(strcmp(k2.kid, k->kid) == 0);
	FUZZ_CHECK(EVP_PKEY_eq(k->pkey, k2.pkey) == 1);
	/* a second export is identical to the first: the format is canonical */
	json_t *j2 = priv ? jwk_private(&k2) : jwk_public(&k2);
	FUZZ_CHECK(j2 && json_equal(j, j2));
	json_decref(j2);
	jws_key_free(&k2);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	json_error_t jerr;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return 0;
	bool has_d = json_is_object(j) && json_object_get(j, "d") != NULL;
	for (int allow = 0; allow < 2; allow++) {
		struct jws_key k = {0};
		if (jwk_import(j, allow, &k) != SY_OK) {
			FUZZ_CHECK(k.pkey == NULL);
			continue;
		}
		FUZZ_CHECK(allow || !has_d);
		FUZZ_CHECK(k.pkey && jws_key_fits(k.pkey, k.alg));
		FUZZ_CHECK(memchr(k.kid, '\0', sizeof k.kid) != NULL);
		reimport(&k, false);
		if (has_d)
			reimport(&k, true);
		jws_key_free(&k);
	}
	json_decref(j);
	return 0;
}
