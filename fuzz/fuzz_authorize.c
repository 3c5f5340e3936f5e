/*
 * fuzz_authorize.c - the authorization request's parameters as the endpoint
 * reads them: a form-encoded parameter list, the unsigned request object
 * merged into it, then prompt, scope and max_age.
 *
 * Input: the parameters, form-encoded (a query string or a POST body).
 * Checks: a merge that succeeds leaves only strings and no "request" member; a
 * failed one leaves the object usable; prompt bits are within the four known
 * values and "none" is never combined; scopes are known, distinct, and no
 * more than the words given.
 */
#include "fuzz.h"

#include "http/http.h"
#include "oidc/oidc.h"

static enum sy_err put(void *ctx, const char *k, const char *v)
{
	json_t *o = ctx;
	if (json_object_get(o, k))
		return SY_E_INVALID;
	return json_object_set_new(o, k, json_string(v)) ? SY_E_INVALID : SY_OK;
}

static void check_scopes(const char *scope)
{
	json_t *known = oidc_scopes_known(scope);
	size_t words = oidc_scope_words(scope);
	FUZZ_CHECK(json_array_size(known) <= words && json_array_size(known) <= 5);
	size_t i, j;
	json_t *a, *b;
	json_array_foreach(known, i, a) json_array_foreach(known, j, b) FUZZ_CHECK(i == j || !json_equal(a, b));
	json_decref(known);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *body = fuzz_strndup(data, size);
	struct arena a;
	arena_init(&a, 0);
	json_t *params = json_object();
	if (!http_form_parse(&a, body, size, 48, put, params)) {
		enum sy_err e = oidc_request_object_merge(&a, params);
		FUZZ_CHECK(e == SY_OK || e == SY_E_INVALID);
		if (!e) {
			FUZZ_CHECK(!json_object_get(params, "request"));
			const char *k;
			json_t *v;
			json_object_foreach(params, k, v) FUZZ_CHECK(json_is_string(v));
		}
		unsigned prompt;
		const char *p = json_string_value(json_object_get(params, "prompt"));
		if (oidc_prompt_parse(p, &prompt)) {
			FUZZ_CHECK(prompt < 16);
			FUZZ_CHECK(!(prompt & PROMPT_NONE) || prompt == PROMPT_NONE);
		}
		check_scopes(json_string_value(json_object_get(params, "scope")));
		long max_age;
		const char *m = json_string_value(json_object_get(params, "max_age"));
		if (m && !parse_long(m, 0, 1000000000L, &max_age))
			FUZZ_CHECK(max_age >= 0);
	}
	json_decref(params);
	arena_release(&a);
	free(body);
	return 0;
}
