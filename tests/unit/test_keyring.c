/* test_keyring.c - Pocket ID's key storage format and derivations, with its vectors. */
#include "test_util.h"

#include "crypto/crypto.h"
#include "store/store.h"

static void pocket_id_key_vector_decrypts(void **state)
{
	(void)state;
	char *stored = read_vector("pocket-id-signing-key.b64");
	struct jws_key k;
	assert_int_equal(keyring_decrypt("test-encryption-key", "test-instance-id", stored, &k), SY_OK);
	assert_string_equal(k.kid, "8uHDw3M6rf8");
	assert_int_equal(k.alg, JWS_RS256);
	assert_int_equal(EVP_PKEY_get_bits(k.pkey), 2048);
	json_t *pub = jwk_public(&k);
	assert_string_equal(json_string_value(json_object_get(pub, "e")), "AQAB");
	assert_string_equal(json_string_value(json_object_get(pub, "kty")), "RSA");
	json_decref(pub);
	/* the decrypted key signs and verifies */
	struct arena a;
	arena_init(&a, 0);
	char *tok, *payload;
	size_t n;
	assert_int_equal(jws_sign(&a, &k, "JWT", "{}", 2, &tok), SY_OK);
	assert_int_equal(jws_verify(&a, tok, strlen(tok), &k, 1, JWS_RS256, &payload, &n), SY_OK);
	arena_release(&a);
	jws_key_free(&k);
	free(stored);
}

static void wrong_key_or_instance_fails_the_tag(void **state)
{
	(void)state;
	char *stored = read_vector("pocket-id-signing-key.b64");
	struct jws_key k;
	assert_int_equal(keyring_decrypt("test-encryption-keY", "test-instance-id", stored, &k), SY_E_CRYPTO);
	assert_int_equal(keyring_decrypt("test-encryption-key", "other-instance-id", stored, &k), SY_E_CRYPTO);
	stored[40] = stored[40] == 'A' ? 'B' : 'A';
	assert_int_equal(keyring_decrypt("test-encryption-key", "test-instance-id", stored, &k), SY_E_CRYPTO);
	assert_int_equal(keyring_decrypt("test-encryption-key", "test-instance-id", "not base64!", &k), SY_E_INVALID);
	free(stored);
}

static void hkdf_vectors(void **state)
{
	(void)state;
	uint8_t out[32];
	char hex[65];
	assert_int_equal(hkdf_sha256("test-secret", 11, "pocketid/fosite_global_secret", out, 32), SY_OK);
	hex_encode(out, 32, hex);
	assert_string_equal(hex, "82de1690a30923a038d722a72e9599087484732bf9c1e8af5fc620f8fa87c08b");
	assert_int_equal(hkdf_sha256("test-encryption-key", 19, "pocketid/encrypted_string", out, 32), SY_OK);
	hex_encode(out, 32, hex);
	assert_string_equal(hex, "8a08281e815dac248bd216b8ceff063c390f3515475909bfd4380ed640bd854e");
	/* HMAC-SHA512/256, the MAC of Pocket ID's opaque tokens (vector from Python's hmac module) */
	const char *msg = "The quick brown fox jumps over the lazy dog";
	assert_int_equal(hmac_sha512_256("key", 3, msg, strlen(msg), out), SY_OK);
	hex_encode(out, 32, hex);
	assert_string_equal(hex, "7fb65e03577da9151a1016e9c2e514d4d48842857f13927f348588173dca6d89");
}

static void gcm_with_aad(void **state)
{
	(void)state;
	uint8_t key[32] = {1, 2, 3}, sealed[64 + GCM_OVERHEAD], plain[64];
	size_t n;
	assert_int_equal(gcm_seal(key, "encrypted_string", 16, (const uint8_t *)"scim-token", 10, sealed), SY_OK);
	assert_int_equal(gcm_open(key, "encrypted_string", 16, sealed, 10 + GCM_OVERHEAD, plain, &n), SY_OK);
	assert_int_equal(n, 10);
	assert_memory_equal(plain, "scim-token", 10);
	assert_int_equal(gcm_open(key, "other", 5, sealed, 10 + GCM_OVERHEAD, plain, &n), SY_E_CRYPTO);
	assert_int_equal(gcm_open(key, NULL, 0, sealed, 5, plain, &n), SY_E_CRYPTO);
}

static void encrypt_then_decrypt(void **state)
{
	(void)state;
	struct jws_key k, back;
	assert_int_equal(jwk_generate(JWS_ES384, 0, &k), SY_OK);
	struct arena a;
	arena_init(&a, 0);
	char *stored;
	assert_int_equal(keyring_encrypt(&a, "0123456789abcdef", "instance", &k, &stored), SY_OK);
	assert_int_equal(keyring_decrypt("0123456789abcdef", "instance", stored, &back), SY_OK);
	assert_int_equal(EVP_PKEY_eq(k.pkey, back.pkey), 1);
	assert_string_equal(k.kid, back.kid);
	arena_release(&a);
	jws_key_free(&k);
	jws_key_free(&back);
}

/* Seals JSON text the way a stored signing key is sealed. */
static char *seal_json(const char *json)
{
	uint8_t kek[32];
	const char msg[] = "pocketid/instance/jwk-kek";
	assert_int_equal(hmac_sha3_256("0123456789abcdef", 16, msg, sizeof msg - 1, kek), SY_OK);
	size_t n = strlen(json);
	uint8_t *sealed = malloc(n + GCM_OVERHEAD);
	assert_int_equal(gcm_seal(kek, NULL, 0, (const uint8_t *)json, n, sealed), SY_OK);
	char *out = malloc(b64_encoded_len(n + GCM_OVERHEAD) + 1);
	b64_encode(sealed, n + GCM_OVERHEAD, out);
	free(sealed);
	return out;
}

static void a_public_key_is_not_a_signing_key(void **state)
{
	(void)state;
	struct jws_key k, back;
	assert_int_equal(jwk_generate(JWS_ES256, 0, &k), SY_OK);
	json_t *pub = jwk_public(&k), *priv = jwk_private(&k);
	char *pub_txt = json_dumps(pub, JSON_COMPACT), *priv_txt = json_dumps(priv, JSON_COMPACT);
	char *sealed_pub = seal_json(pub_txt), *sealed_priv = seal_json(priv_txt);
	assert_int_equal(keyring_decrypt("0123456789abcdef", "instance", sealed_pub, &back), SY_E_INVALID);
	assert_int_equal(keyring_decrypt("0123456789abcdef", "instance", sealed_priv, &back), SY_OK);
	jws_key_free(&back);
	char *sealed_junk = seal_json("{\"kty\":\"EC\"");
	assert_int_equal(keyring_decrypt("0123456789abcdef", "instance", sealed_junk, &back), SY_E_INVALID);
	free(sealed_junk);
	free(sealed_pub);
	free(sealed_priv);
	free(pub_txt);
	free(priv_txt);
	json_decref(pub);
	json_decref(priv);
	jws_key_free(&k);
}

static void load_creates_once_and_refuses_a_wrong_key(void **state)
{
	(void)state;
	char dir[] = "/tmp/symbolon-keyring-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], err[512];
	snprintf(path, sizeof path, "%s/pocket-id.db", dir);
	struct store *s;
	assert_int_equal(store_open(path, &s, err, sizeof err), SY_OK);
	assert_int_equal(store_migrate(s, false, err, sizeof err), SY_OK);
	struct jws_key k1, k2, k3;
	char id1[64], id2[64], id3[64];
	assert_int_equal(keyring_load(s, "first-key-0123456789", &k1, id1, sizeof id1, err, sizeof err), SY_OK);
	assert_int_equal(k1.alg, JWS_RS256);
	assert_int_equal(EVP_PKEY_get_bits(k1.pkey), 2048);
	assert_int_equal(strlen(k1.kid), 11);
	assert_int_equal(keyring_load(s, "first-key-0123456789", &k2, id2, sizeof id2, err, sizeof err), SY_OK);
	assert_string_equal(k1.kid, k2.kid);
	assert_string_equal(id1, id2);
	assert_int_equal(EVP_PKEY_eq(k1.pkey, k2.pkey), 1);

	struct arena a;
	arena_init(&a, 0);
	char *before, *after;
	assert_int_equal(store_kv_get(s, &a, "jwt_private_key.json", &before), SY_OK);
	assert_int_equal(keyring_load(s, "another-key-0123456789", &k3, id3, sizeof id3, err, sizeof err), SY_E_CRYPTO);
	assert_non_null(strstr(err, "ENCRYPTION_KEY"));
	assert_non_null(strstr(err, "original"));
	assert_int_equal(store_kv_get(s, &a, "jwt_private_key.json", &after), SY_OK);
	assert_string_equal(before, after); /* never overwritten */
	arena_release(&a);
	jws_key_free(&k1);
	jws_key_free(&k2);
	store_close(s);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(pocket_id_key_vector_decrypts),
	        cmocka_unit_test(wrong_key_or_instance_fails_the_tag),
	        cmocka_unit_test(hkdf_vectors),
	        cmocka_unit_test(gcm_with_aad),
	        cmocka_unit_test(encrypt_then_decrypt),
	        cmocka_unit_test(a_public_key_is_not_a_signing_key),
	        cmocka_unit_test(load_creates_once_and_refuses_a_wrong_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
