/*
 * fuzz_clientdata.c - webauthn_client_data_check on arbitrary bytes, for both
 * ceremonies, with a fixed policy and challenge. Checks: an input is never
 * accepted for both ceremonies; an accepted input is a JSON object whose type,
 * origin and challenge are exactly the expected ones, with no crossOrigin true
 * and no topOrigin; every refusal has a reason.
 */
#include <jansson.h>

#include "fuzz.h"

#include "auth/auth.h"

static const int algs[] = {-7};
static const struct webauthn_policy policy = {"example.org", "https://example.org", false, algs, 1};
static const uint8_t challenge[16] = "symbolon-fuzzing";

static void accepted_means(const uint8_t *data, size_t size, const char *type)
{
	json_error_t jerr;
	json_t *c = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_CHECK(json_is_object(c));
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(c, "type")), type) == 0);
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(c, "origin")), policy.origin) == 0);
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(c, "challenge")), "c3ltYm9sb24tZnV6emluZw") == 0);
	FUZZ_CHECK(!json_is_true(json_object_get(c, "crossOrigin")) && !json_object_get(c, "topOrigin"));
	json_decref(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	const char *why = NULL;
	enum sy_err create =
	        webauthn_client_data_check(&policy, "webauthn.create", challenge, sizeof challenge, data, size, &why);
	FUZZ_CHECK(create == SY_OK || why != NULL);
	why = NULL;
	enum sy_err get =
	        webauthn_client_data_check(&policy, "webauthn.get", challenge, sizeof challenge, data, size, &why);
	FUZZ_CHECK(get == SY_OK || why != NULL);
	FUZZ_CHECK(!(create == SY_OK && get == SY_OK));
	if (create == SY_OK)
		accepted_means(data, size, "webauthn.create");
	if (get == SY_OK)
		accepted_means(data, size, "webauthn.get");
	return 0;
}
