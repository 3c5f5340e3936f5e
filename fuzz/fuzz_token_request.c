/*
 * fuzz_token_request.c - what the token endpoint parses from a request: the
 * Authorization: Basic header (RFC 6749 §2.3.1 form-encoded id and secret),
 * the opaque code or refresh token, and the PKCE verifier against a challenge.
 *
 * Input: first line = the Authorization header value; the rest = a
 * form-encoded body (code, code_verifier, code_challenge, method).
 * Checks: Basic parsing ends in one of its three answers and gives NUL-free
 * strings no longer than the header; a token that passes the HMAC check
 * yields a 43-character signature; the PKCE check is deterministic and never
 * accepts a missing verifier for a challenge, nor a verifier without one.
 */
#include "fuzz.h"

#include "http/http.h"
#include "oidc/oidc.h"

static enum sy_err put(void *ctx, const char *k, const char *v)
{
	json_t *o = ctx;
	return json_object_set_new(o, k, json_string(v)) ? SY_E_INVALID : SY_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *header;
	const uint8_t *rest;
	size_t restn;
	fuzz_first_line(data, size, &header, &rest, &restn);
	struct arena a;
	arena_init(&a, 0);
	const char *id = NULL, *secret = NULL;
	enum sy_err e = oidc_basic_parse(&a, header, &id, &secret);
	FUZZ_CHECK(e == SY_OK || e == SY_E_NOTFOUND || e == SY_E_INVALID);
	if (!e)
		FUZZ_CHECK(id && secret && strlen(id) + strlen(secret) <= strlen(header));
	char *body = fuzz_strndup(rest, restn);
	json_t *form = json_object();
	if (!http_form_parse(&a, body, restn, 24, put, form)) {
		char *sig;
		const char *code = json_string_value(json_object_get(form, "code"));
		if (!oidc_opaque_check(&a, "pocket_id_ac_", code, &sig))
			FUZZ_CHECK(strlen(sig) == 43);
		struct oidc_grant g = {
		        .code_challenge = (char *)json_string_value(json_object_get(form, "code_challenge")),
		        .code_challenge_method =
		                (char *)json_string_value(json_object_get(form, "code_challenge_method")),
		};
		const char *v = json_string_value(json_object_get(form, "code_verifier"));
		bool ok = oidc_pkce_ok(&g, v);
		FUZZ_CHECK(ok == oidc_pkce_ok(&g, v));
		if (g.code_challenge && !v)
			FUZZ_CHECK(!ok);
		if (!g.code_challenge && v)
			FUZZ_CHECK(!ok);
	}
	json_decref(form);
	arena_release(&a);
	free(body);
	free(header);
	return 0;
}
