/*
 * fuzz_keyring.c - keyring_decrypt on arbitrary stored values.
 *
 * Two modes, by the first byte:
 *  - 0x01: the rest is a plaintext JWK. The target seals it the way Pocket ID
 *    stores the signing key (base64(nonce || AES-256-GCM)) under the fixed
 *    ENCRYPTION_KEY and instance id, so the fuzzer reaches the JSON and JWK
 *    import behind the tag check. keyring_decrypt must then agree with a direct
 *    jwk_import(allow_private) of the same text, an accepted key must have its
 *    private half (it is the signing key), and it must survive
 *    keyring_encrypt -> keyring_decrypt unchanged.
 *  - anything else: the whole input, NUL-terminated, is the stored value.
 */
#include "fuzz.h"

#include "crypto/crypto.h"

#define ENC_KEY     "fuzz-encryption-key-0123456789"
#define INSTANCE_ID "6f1e1c8e-2b0a-4c39-9d1c-6a3f2b7d9e10"

static void decrypt_stored(const char *stored)
{
	struct jws_key k = {0};
	enum sy_err e = keyring_decrypt(ENC_KEY, INSTANCE_ID, stored, &k);
	if (e == SY_OK) {
		FUZZ_CHECK(k.pkey && jws_key_fits(k.pkey, k.alg));
		jws_key_free(&k);
	} else {
		FUZZ_CHECK(k.pkey == NULL);
	}
}

static void sealed_plaintext(const uint8_t *plain, size_t n)
{
	uint8_t kek[32];
	const char *msg = "pocketid/" INSTANCE_ID "/jwk-kek";
	FUZZ_CHECK(hmac_sha3_256(ENC_KEY, strlen(ENC_KEY), msg, strlen(msg), kek) == SY_OK);
	uint8_t *sealed = malloc(n + GCM_OVERHEAD);
	FUZZ_CHECK(gcm_seal(kek, NULL, 0, plain, n, sealed) == SY_OK);
	char *stored = malloc(b64_encoded_len(n + GCM_OVERHEAD) + 1);
	b64_encode(sealed, n + GCM_OVERHEAD, stored);
	free(sealed);

	struct jws_key k = {0}, direct = {0};
	enum sy_err e = keyring_decrypt(ENC_KEY, INSTANCE_ID, stored, &k);
	free(stored);
	json_error_t jerr;
	json_t *j = json_loadb((const char *)plain, n, JSON_REJECT_DUPLICATES, &jerr);
	/* the signing key must carry its private half: a public JWK is refused */
	bool has_private = j && json_object_get(j, "d") != NULL;
	enum sy_err de = j ? jwk_import(j, true, &direct) : SY_E_INVALID;
	json_decref(j);
	FUZZ_CHECK((e == SY_OK) == (de == SY_OK && has_private));
	if (e == SY_OK) {
		FUZZ_CHECK(k.alg == direct.alg && strcmp(k.kid, direct.kid) == 0);
		FUZZ_CHECK(EVP_PKEY_eq(k.pkey, direct.pkey) == 1);
		/* the stored key is the signing key: a public-only JWK must be refused */
		json_t *priv = jwk_private(&k);
		if (!priv) {
			fprintf(stderr,
			        "invariant failed: keyring_decrypt accepted a key without its private part (alg %d)\n",
			        (int)k.alg);
			abort();
		}
		json_decref(priv);
		/* store it again and read it back */
		struct arena a;
		arena_init(&a, 0);
		char *again;
		struct jws_key k2 = {0};
		FUZZ_CHECK(keyring_encrypt(&a, ENC_KEY, INSTANCE_ID, &k, &again) == SY_OK);
		FUZZ_CHECK(keyring_decrypt(ENC_KEY, INSTANCE_ID, again, &k2) == SY_OK);
		FUZZ_CHECK(k2.alg == k.alg && strcmp(k2.kid, k.kid) == 0 && EVP_PKEY_eq(k.pkey, k2.pkey) == 1);
		/* the same value under another instance id must not decrypt */
		struct jws_key k3 = {0};
		FUZZ_CHECK(keyring_decrypt(ENC_KEY, "another-instance", again, &k3) == SY_E_CRYPTO);
		jws_key_free(&k2);
		arena_release(&a);
	}
	jws_key_free(&k);
	jws_key_free(&direct);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (size >= 1 && data[0] == 0x01) {
		sealed_plaintext(data + 1, size - 1);
	} else {
		char *stored = fuzz_strndup(data, size);
		decrypt_stored(stored);
		free(stored);
	}
	return 0;
}
