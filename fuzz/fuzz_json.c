/*
 * fuzz_json.c - http_json_parse: the Content-Type check and the body decode.
 *
 * Input: "<Content-Type>\n<body>". Without a newline the whole input is the
 * body, parsed as application/json. Checks: an accepted body is a JSON object
 * or array, its Content-Type contains "json", and the reference is released.
 */
#include "fuzz.h"

#include <string.h>

#include "http/http.h"

static void check(const char *ct, const char *body, size_t n)
{
	json_t *j = NULL;
	enum sy_err e = http_json_parse(ct, body, n, &j);
	if (e == SY_OK) {
		FUZZ_CHECK(j != NULL);
		FUZZ_CHECK(json_is_object(j) || json_is_array(j));
		FUZZ_CHECK(strcasestr(ct, "json") != NULL);
		json_decref(j);
	} else {
		FUZZ_CHECK(e == SY_E_BODY);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	const uint8_t *nl = memchr(data, '\n', size < 256 ? size : 256);
	if (nl) {
		char *ct;
		const uint8_t *rest;
		size_t restn;
		fuzz_first_line(data, size, &ct, &rest, &restn);
		char *body = malloc(restn ? restn : 1);
		memcpy(body, rest, restn);
		check(ct, body, restn);
		free(body);
		free(ct);
	} else {
		check("application/json", (const char *)data, size);
	}
	return 0;
}
