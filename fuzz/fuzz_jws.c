/*
 * fuzz_jws.c - jws_verify on arbitrary compact tokens, jwk_import on whatever
 * parses as JSON, and a sign/verify round trip with the input as payload.
 *
 * The keys are fixed (keys.h) so that the seed tokens verify on replay: one RSA
 * key under RS256/RS384/RS512, two ES256 keys (kid selection, and a token
 * without kid must then be refused), ES384, ES512 and Ed25519.
 *
 * Checks: a verified token's payload is NUL-terminated at *plen and its header
 * names the expected algorithm; a token made by jws_sign verifies with its own
 * algorithm, gives back the payload exactly, and is refused for every other
 * algorithm and once its signature is altered.
 */
#include "fuzz.h"

#include "crypto/crypto.h"
#include "keys.h"

#define NKEYS 8
static struct jws_key keys[NKEYS];
static const struct jws_key *ed_key, *es_key;

static void import(const char *txt, const char *alg, struct jws_key *out)
{
	json_error_t jerr;
	json_t *j = json_loads(txt, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_CHECK(j != NULL);
	if (alg)
		json_object_set_new(j, "alg", json_string(alg));
	FUZZ_CHECK(jwk_import(j, true, out) == SY_OK);
	json_decref(j);
}

static void cleanup(void)
{
	for (size_t i = 0; i < NKEYS; i++)
		jws_key_free(&keys[i]);
}

static void init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	import(JWK_RSA, "RS256", &keys[0]);
	import(JWK_RSA, "RS384", &keys[1]);
	import(JWK_RSA, "RS512", &keys[2]);
	import(JWK_ES256, NULL, &keys[3]);
	import(JWK_ES256_B, NULL, &keys[4]);
	import(JWK_ES384, NULL, &keys[5]);
	import(JWK_ES512, NULL, &keys[6]);
	import(JWK_ED25519, NULL, &keys[7]);
	es_key = &keys[3];
	ed_key = &keys[7];
	atexit(cleanup);
}

/* The header segment of an accepted token must name alg. */
static void check_header_alg(struct arena *a, const char *tok, size_t n, enum jws_alg alg)
{
	const char *dot = memchr(tok, '.', n);
	uint8_t *raw;
	size_t rawn;
	FUZZ_CHECK(dot && arena_b64url_decode(a, tok, (size_t)(dot - tok), &raw, &rawn) == SY_OK);
	json_error_t jerr;
	json_t *h = json_loadb((const char *)raw, rawn, JSON_REJECT_DUPLICATES, &jerr);
	const char *name = json_string_value(json_object_get(h, "alg"));
	FUZZ_CHECK(name && strcmp(name, jws_alg_name(alg)) == 0);
	FUZZ_CHECK(!json_object_get(h, "crit"));
	json_decref(h);
}

static void verify_all(const char *tok, size_t n)
{
	for (int alg = 0; alg < JWS_ALG_COUNT; alg++) {
		struct arena a;
		arena_init(&a, 0);
		char *payload = NULL;
		size_t plen = 0;
		if (jws_verify(&a, tok, n, keys, NKEYS, (enum jws_alg)alg, &payload, &plen) == SY_OK) {
			FUZZ_CHECK(payload && payload[plen] == '\0');
			check_header_alg(&a, tok, n, (enum jws_alg)alg);
		}
		arena_release(&a);
	}
}

static void import_json(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return;
	struct jws_key k = {0};
	if (jwk_import(j, true, &k) == SY_OK) {
		FUZZ_CHECK(k.pkey && jws_key_fits(k.pkey, k.alg));
		jws_key_free(&k);
	}
	json_decref(j);
}

static void roundtrip(const uint8_t *data, size_t size)
{
	const struct jws_key *k = size && (data[0] & 1) ? es_key : ed_key;
	struct arena a;
	arena_init(&a, 0);
	char *tok;
	FUZZ_CHECK(jws_sign(&a, k, size && (data[0] & 2) ? "JWT" : NULL, (const char *)data, size, &tok) == SY_OK);
	size_t n = strlen(tok);
	char *payload;
	size_t plen;
	FUZZ_CHECK(jws_verify(&a, tok, n, keys, NKEYS, k->alg, &payload, &plen) == SY_OK);
	FUZZ_CHECK(plen == size && memcmp(payload, data, size) == 0 && payload[plen] == '\0');
	for (int alg = 0; alg < JWS_ALG_COUNT; alg++)
		if ((enum jws_alg)alg != k->alg)
			FUZZ_CHECK(jws_verify(&a, tok, n, keys, NKEYS, (enum jws_alg)alg, &payload, &plen) != SY_OK);
	/* alter one signature symbol (keeping it canonical base64url) */
	char *last = strrchr(tok, '.') + 1;
	size_t i = size % strlen(last);
	if (i + 1 < strlen(last))
		last[i] = last[i] == 'A' ? 'B' : 'A';
	else /* the last symbol's low bits are padding: change a data bit only */
		last[i] = last[i] == 'A' ? 'g' : 'A';
	FUZZ_CHECK(jws_verify(&a, tok, n, keys, NKEYS, k->alg, &payload, &plen) != SY_OK);
	arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > JWS_MAX_TOKEN + 1024)
		return 0;
	init();
	char *tok = malloc(size ? size : 1);
	memcpy(tok, data, size);
	verify_all(tok, size);
	free(tok);
	import_json(data, size);
	if (size <= 4096)
		roundtrip(data, size);
	return 0;
}
