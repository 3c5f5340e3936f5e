/* test_federated.c - what federated.c reads from an issuer: JWKS documents,
 * the Cache-Control that sets their refresh, and which JWKS URLs it fetches. */
#include "test_util.h"

#include "oidc/oidc.h"

/* {"keys": [jwk...]} from JWK objects (taken). */
static char *jwks_doc(size_t n, json_t **jwks)
{
	json_t *keys = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(keys, jwks[i]);
	json_t *doc = json_pack("{s:o}", "keys", keys);
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

/* The public JWK of a new key, with or without its alg, with a kid. */
static json_t *new_jwk(enum jws_alg alg, bool with_alg, const char *kid, struct jws_key *keep)
{
	struct jws_key k = {0};
	assert_int_equal(jwk_generate(alg, 2048, &k), SY_OK);
	json_t *j = jwk_public(&k);
	if (!with_alg)
		json_object_del(j, "alg");
	json_object_set_new(j, "kid", json_string(kid));
	if (keep)
		*keep = k;
	else
		jws_key_free(&k);
	return j;
}

static enum sy_err parse_text(const char *text, struct jws_key **keys, size_t *n)
{
	return oidc_jwks_parse(text, strlen(text), keys, n);
}

static void usable_keys(void **state)
{
	(void)state;
	json_t *enc = new_jwk(JWS_ES256, true, "enc", NULL);
	json_object_set_new(enc, "use", json_string("enc"));
	json_t *odd_use = new_jwk(JWS_ES256, true, "odd", NULL);
	json_object_set_new(odd_use, "use", json_integer(1));
	json_t *sig = new_jwk(JWS_ES384, true, "ec", NULL);
	json_object_set_new(sig, "use", json_string("sig"));
	json_t *jwks[] = {
	        new_jwk(JWS_RS256, false, "rsa", NULL),
	        sig,
	        new_jwk(JWS_EDDSA, false, "ed", NULL),
	        enc,
	        odd_use,
	        json_pack("{s:s, s:s, s:s}", "kty", "oct", "k", "c2VjcmV0", "kid", "oct"),
	        json_pack("{s:s, s:s, s:s, s:s}", "kty", "RSA", "alg", "PS256", "n", "AQAB", "e", "AQAB"),
	};
	char *text = jwks_doc(sizeof jwks / sizeof jwks[0], jwks);
	struct jws_key *keys;
	size_t n;
	assert_int_equal(parse_text(text, &keys, &n), SY_OK);
	/* the RSA key without alg three times, the EC and the Ed25519 key once; the rest skipped */
	assert_int_equal(n, 5);
	enum jws_alg want[] = {JWS_RS256, JWS_RS384, JWS_RS512, JWS_ES384, JWS_EDDSA};
	const char *kids[] = {"rsa", "rsa", "rsa", "ec", "ed"};
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(keys[i].alg, want[i]);
		assert_string_equal(keys[i].kid, kids[i]);
		assert_true(jws_key_fits(keys[i].pkey, keys[i].alg));
	}
	oidc_jwks_free(keys, n);
	free(text);
}

/* An RSA key named RS256 in its JWK serves RS256 only; without alg it
 * verifies RS512 signatures as well (and the shared key is freed once). */
static void rsa_algorithms(void **state)
{
	(void)state;
	struct jws_key signer;
	json_t *plain = new_jwk(JWS_RS256, false, "k1", &signer);
	char *text = jwks_doc(1, &plain);
	struct jws_key *keys;
	size_t n;
	assert_int_equal(parse_text(text, &keys, &n), SY_OK);
	struct arena a;
	arena_init(&a, 0);
	char *jwt, *payload;
	size_t plen;
	signer.alg = JWS_RS512;
	snprintf(signer.kid, sizeof signer.kid, "k1");
	assert_int_equal(jws_sign(&a, &signer, "JWT", "{\"a\":1}", 7, &jwt), SY_OK);
	assert_int_equal(jws_verify(&a, jwt, strlen(jwt), keys, n, JWS_RS512, &payload, &plen), SY_OK);
	assert_string_equal(payload, "{\"a\":1}");
	oidc_jwks_free(keys, n);
	free(text);

	json_t *named = jwk_public(&signer);
	json_object_set_new(named, "alg", json_string("RS256"));
	text = jwks_doc(1, &named);
	assert_int_equal(parse_text(text, &keys, &n), SY_OK);
	assert_int_equal(n, 1);
	assert_int_not_equal(jws_verify(&a, jwt, strlen(jwt), keys, n, JWS_RS512, &payload, &plen), SY_OK);
	oidc_jwks_free(keys, n);
	free(text);
	arena_release(&a);
	jws_key_free(&signer);
}

static void refused_documents(void **state)
{
	(void)state;
	struct jws_key *keys;
	size_t n;
	const char *bad[] = {
	        "",
	        "null",
	        "[]",
	        "{}",
	        "{\"keys\": {}}",
	        "{\"keys\": []}",
	        "{\"keys\": [1, \"x\", null]}",
	        "{\"keys\": [{\"kty\": \"oct\", \"k\": \"c2VjcmV0\"}]}",
	        "{\"keys\": []} trailing",
	        "{\"keys\": [], \"keys\": []}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(parse_text(bad[i], &keys, &n), SY_E_INVALID);
		assert_null(keys);
		assert_int_equal(n, 0);
	}
	/* 64 keys are read; 65 are too many */
	json_t *one = new_jwk(JWS_ES256, true, "k", NULL), *many[65];
	for (size_t count = 64; count <= 65; count++) {
		for (size_t i = 0; i < count; i++)
			many[i] = json_deep_copy(one);
		char *text = jwks_doc(count, many);
		assert_int_equal(parse_text(text, &keys, &n), count == 64 ? SY_OK : SY_E_INVALID);
		assert_int_equal(n, count == 64 ? 64 : 0);
		oidc_jwks_free(keys, n);
		free(text);
	}
	json_decref(one);
}

static void refresh_interval(void **state)
{
	(void)state;
	assert_int_equal(oidc_jwks_refresh_secs(NULL), 900);
	assert_int_equal(oidc_jwks_refresh_secs(""), 900);
	assert_int_equal(oidc_jwks_refresh_secs("max-age=3600"), 3600);
	assert_int_equal(oidc_jwks_refresh_secs("public, MAX-AGE=7200, must-revalidate"), 7200);
	assert_int_equal(oidc_jwks_refresh_secs("public, max-age=60"), 900);
	assert_int_equal(oidc_jwks_refresh_secs("max-age=86401"), 86400);
	assert_int_equal(oidc_jwks_refresh_secs("max-age=99999999999999999999999"), 86400);
	assert_int_equal(oidc_jwks_refresh_secs("no-cache, max-age=3600"), 900);
	assert_int_equal(oidc_jwks_refresh_secs("max-age=3600, no-store"), 900);
	assert_int_equal(oidc_jwks_refresh_secs("max-age="), 900);
	assert_int_equal(oidc_jwks_refresh_secs("max-age=\"3600\""), 900);
	assert_int_equal(oidc_jwks_refresh_secs("s-maxage=7200"), 900);
	assert_int_equal(oidc_jwks_refresh_secs(",,, ,max-age=1000"), 1000);
}

static void fetched_urls(void **state)
{
	(void)state;
	const char *ok[] = {
	        "https://token.actions.githubusercontent.com/.well-known/jwks",
	        "https://idp.example:8443/jwks.json?x=1",
	        "http://127.0.0.1:8080/.well-known/jwks.json",
	        "http://127.5.6.7/jwks",
	        "http://localhost/jwks",
	        "http://LOCALHOST:9/jwks",
	        "http://[::1]:9/jwks",
	};
	const char *refused[] = {
	        "http://10.0.0.1/jwks",
	        "http://example.com/jwks",
	        "http://127.0.0.1.evil.example/jwks",
	        "http://localhost.evil.example/jwks",
	        "http://[::2]/jwks",
	        "ftp://127.0.0.1/jwks",
	        "file:///etc/passwd",
	        "example.com/jwks",
	        "",
	        "https://",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		assert_true(oidc_jwks_url_allowed(ok[i]));
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		assert_false(oidc_jwks_url_allowed(refused[i]));
	assert_false(oidc_jwks_url_allowed(NULL));
	char longer[4000] = "https://a.example/";
	memset(longer + 18, 'a', sizeof longer - 19);
	longer[sizeof longer - 1] = '\0';
	assert_false(oidc_jwks_url_allowed(longer));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(usable_keys),       cmocka_unit_test(rsa_algorithms),
	        cmocka_unit_test(refused_documents), cmocka_unit_test(refresh_interval),
	        cmocka_unit_test(fetched_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
