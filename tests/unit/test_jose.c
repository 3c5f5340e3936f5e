/* test_jose.c - JWS sign/verify for every algorithm, and what must be refused. */
#include "test_util.h"

#include "crypto/crypto.h"

static struct jws_key keys[JWS_ALG_COUNT];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < JWS_ALG_COUNT; i++)
		if (jwk_generate((enum jws_alg)i, 2048, &keys[i]))
			return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < JWS_ALG_COUNT; i++)
		jws_key_free(&keys[i]);
	return 0;
}

static const char PAYLOAD[] = "{\"sub\":\"1234\",\"iss\":\"http://localhost:1411\"}";

static void every_alg_round_trips(void **state)
{
	(void)state;
	for (int i = 0; i < JWS_ALG_COUNT; i++) {
		struct arena a;
		arena_init(&a, 0);
		char *tok, *payload;
		size_t n;
		assert_int_equal(jws_sign(&a, &keys[i], "JWT", PAYLOAD, strlen(PAYLOAD), &tok), SY_OK);
		assert_int_equal(jws_verify(&a, tok, strlen(tok), keys, JWS_ALG_COUNT, (enum jws_alg)i, &payload, &n),
		                 SY_OK);
		assert_string_equal(payload, PAYLOAD);
		/* the same token is refused when the caller expects any other algorithm */
		for (int j = 0; j < JWS_ALG_COUNT; j++)
			if (j != i)
				assert_int_not_equal(jws_verify(&a, tok, strlen(tok), keys, JWS_ALG_COUNT,
				                                (enum jws_alg)j, &payload, &n),
				                     SY_OK);
		arena_release(&a);
	}
}

static void ecdsa_signatures_are_fixed_width(void **state)
{
	(void)state;
	static const size_t want[] = {[JWS_ES256] = 64, [JWS_ES384] = 96, [JWS_ES512] = 132};
	for (int i = JWS_ES256; i <= JWS_ES512; i++) {
		struct arena a;
		arena_init(&a, 0);
		char *tok;
		assert_int_equal(jws_sign(&a, &keys[i], NULL, "{}", 2, &tok), SY_OK);
		const char *sig = strrchr(tok, '.') + 1;
		assert_int_equal(strlen(sig), b64url_encoded_len(want[i]));
		arena_release(&a);
	}
}

static char *make_token(struct arena *a, const char *header, const char *payload, const char *sig)
{
	char *h = arena_b64url(a, (const uint8_t *)header, strlen(header));
	char *p = arena_b64url(a, (const uint8_t *)payload, strlen(payload));
	return arena_printf(a, "%s.%s.%s", h, p, sig);
}

static void hostile_headers_are_refused(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 0);
	char *tok, *payload, *good;
	size_t n;
	assert_int_equal(jws_sign(&a, &keys[JWS_ES256], NULL, "{}", 2, &good), SY_OK);
	const char *sig = strrchr(good, '.') + 1;
	const char *headers[] = {
	        "{\"alg\":\"none\"}",
	        "{\"alg\":\"HS256\"}",
	        "{\"alg\":\"ES256\",\"crit\":[\"exp\"]}",
	        "{\"alg\":\"ES256\",\"alg\":\"ES256\"}", /* duplicate member */
	        "{\"alg\":\"ES256\",\"kid\":42}",
	        "[\"ES256\"]",
	        "not json",
	};
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		tok = make_token(&a, headers[i], "{}", sig);
		assert_int_not_equal(jws_verify(&a, tok, strlen(tok), keys, JWS_ALG_COUNT, JWS_ES256, &payload, &n),
		                     SY_OK);
	}
	tok = make_token(&a, "{\"alg\":\"none\"}", "{}", "");
	assert_int_not_equal(jws_verify(&a, tok, strlen(tok), keys, JWS_ALG_COUNT, JWS_ES256, &payload, &n), SY_OK);
	arena_release(&a);
}

static void tampering_is_detected(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 0);
	char *tok, *payload;
	size_t n;
	for (int i = 0; i < JWS_ALG_COUNT; i++) {
		assert_int_equal(jws_sign(&a, &keys[i], NULL, PAYLOAD, strlen(PAYLOAD), &tok), SY_OK);
		size_t len = strlen(tok);
		char *t = arena_strdup(&a, tok);
		char *dot = strchr(t, '.');
		dot[3] = dot[3] == 'A' ? 'B' : 'A'; /* payload */
		assert_int_not_equal(jws_verify(&a, t, len, keys, JWS_ALG_COUNT, (enum jws_alg)i, &payload, &n), SY_OK);
		t = arena_strdup(&a, tok);
		t[len - 5] = t[len - 5] == 'A' ? 'B' : 'A'; /* signature */
		assert_int_not_equal(jws_verify(&a, t, len, keys, JWS_ALG_COUNT, (enum jws_alg)i, &payload, &n), SY_OK);
		t = arena_printf(&a, "%s.", tok); /* a fourth segment */
		assert_int_not_equal(jws_verify(&a, t, len + 1, keys, JWS_ALG_COUNT, (enum jws_alg)i, &payload, &n),
		                     SY_OK);
	}
	arena_release(&a);
}

static void key_is_chosen_by_kid(void **state)
{
	(void)state;
	struct jws_key two[2];
	assert_int_equal(jwk_generate(JWS_ES256, 0, &two[0]), SY_OK);
	assert_int_equal(jwk_generate(JWS_ES256, 0, &two[1]), SY_OK);
	struct arena a;
	arena_init(&a, 0);
	char *tok, *payload;
	size_t n;
	assert_int_equal(jws_sign(&a, &two[1], NULL, "{}", 2, &tok), SY_OK);
	assert_int_equal(jws_verify(&a, tok, strlen(tok), two, 2, JWS_ES256, &payload, &n), SY_OK);
	/* same kid, other key material: the signature must not verify */
	snprintf(two[0].kid, sizeof two[0].kid, "%s", two[1].kid);
	assert_int_not_equal(jws_verify(&a, tok, strlen(tok), two, 1, JWS_ES256, &payload, &n), SY_OK);
	/* a kid nobody has */
	snprintf(two[0].kid, sizeof two[0].kid, "other");
	snprintf(two[1].kid, sizeof two[1].kid, "another");
	assert_int_not_equal(jws_verify(&a, tok, strlen(tok), two, 2, JWS_ES256, &payload, &n), SY_OK);
	arena_release(&a);
	jws_key_free(&two[0]);
	jws_key_free(&two[1]);
}

static json_t *parse(const char *s)
{
	json_error_t e;
	return json_loads(s, JSON_REJECT_DUPLICATES, &e);
}

static void jwk_export_import_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < JWS_ALG_COUNT; i++) {
		json_t *pub = jwk_public(&keys[i]), *priv = jwk_private(&keys[i]);
		assert_non_null(pub);
		assert_null(json_object_get(pub, "d"));
		assert_string_equal(json_string_value(json_object_get(pub, "alg")), jws_alg_name((enum jws_alg)i));
		assert_string_equal(json_string_value(json_object_get(pub, "use")), "sig");
		struct jws_key k;
		assert_int_equal(jwk_import(pub, false, &k), SY_OK);
		assert_int_equal(EVP_PKEY_eq(k.pkey, keys[i].pkey), 1);
		assert_string_equal(k.kid, keys[i].kid);
		jws_key_free(&k);
		assert_int_equal(jwk_import(priv, false, &k), SY_E_INVALID); /* private not allowed here */
		assert_int_equal(jwk_import(priv, true, &k), SY_OK);
		/* the imported private key signs what the original verifies */
		struct arena a;
		arena_init(&a, 0);
		char *tok, *payload;
		size_t n;
		assert_int_equal(jws_sign(&a, &k, NULL, "{}", 2, &tok), SY_OK);
		assert_int_equal(jws_verify(&a, tok, strlen(tok), &keys[i], 1, (enum jws_alg)i, &payload, &n), SY_OK);
		arena_release(&a);
		jws_key_free(&k);
		json_decref(pub);
		json_decref(priv);
	}
}

static void jwk_import_is_strict(void **state)
{
	(void)state;
	struct jws_key k;
	json_t *pub = jwk_public(&keys[JWS_ES256]);
	/* alg that does not fit the key */
	json_object_set_new(pub, "alg", json_string("RS256"));
	assert_int_equal(jwk_import(pub, false, &k), SY_E_INVALID);
	json_object_set_new(pub, "alg", json_string("ES384"));
	assert_int_equal(jwk_import(pub, false, &k), SY_E_INVALID);
	/* coordinate of the wrong length */
	json_object_set_new(pub, "alg", json_string("ES256"));
	json_object_set_new(pub, "x", json_string("AAAA"));
	assert_int_equal(jwk_import(pub, false, &k), SY_E_INVALID);
	json_decref(pub);
	/* a point that is not on the curve */
	json_t *off = parse("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
	                    "\"y\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
	assert_int_equal(jwk_import(off, false, &k), SY_E_INVALID);
	json_decref(off);
	/* RSA below 2048 bits */
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	struct jws_key sk = {.pkey = small, .alg = JWS_RS256, .kid = "s"};
	json_t *sj = jwk_public(&sk);
	assert_int_equal(jwk_import(sj, false, &k), SY_E_INVALID);
	json_decref(sj);
	jws_key_free(&sk);
	/* unknown key types and symmetric keys */
	json_t *oct = parse("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}");
	assert_int_equal(jwk_import(oct, false, &k), SY_E_INVALID);
	json_decref(oct);
	/* alg inferred from the key when absent */
	json_t *noalg = jwk_public(&keys[JWS_EDDSA]);
	json_object_del(noalg, "alg");
	assert_int_equal(jwk_import(noalg, false, &k), SY_OK);
	assert_int_equal(k.alg, JWS_EDDSA);
	jws_key_free(&k);
	json_decref(noalg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(every_alg_round_trips),       cmocka_unit_test(ecdsa_signatures_are_fixed_width),
	        cmocka_unit_test(hostile_headers_are_refused), cmocka_unit_test(tampering_is_detected),
	        cmocka_unit_test(key_is_chosen_by_kid),        cmocka_unit_test(jwk_export_import_round_trip),
	        cmocka_unit_test(jwk_import_is_strict),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
