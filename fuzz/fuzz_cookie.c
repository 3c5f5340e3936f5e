/*
 * fuzz_cookie.c - http_cookie_parse on arbitrary Cookie headers.
 *
 * Input: "<cookie name>\n<Cookie header bytes>". Without a newline the whole
 * input is the header and the name is a fixed one. The header is passed in
 * place, without a NUL, so any read past its length is an ASan report.
 * Checks: a found value has no NUL or ';', is no longer than the header and
 * occurs in it verbatim.
 */
#include "fuzz.h"

#include "http/http.h"

static const char *const NAMES[] = {"session", "__Host-session", "csrf", "a", ""};

static void check(const char *header, size_t n, const char *name)
{
	struct arena a;
	arena_init(&a, 0);
	const char *v = http_cookie_parse(&a, header, n, name);
	if (v) {
		size_t vn = strlen(v);
		FUZZ_CHECK(vn <= n);
		FUZZ_CHECK(!memchr(v, ';', vn));
		FUZZ_CHECK(vn == 0 || memmem(header, n, v, vn) != NULL);
	}
	arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	const uint8_t *nl = memchr(data, '\n', size < 128 ? size : 128);
	if (nl) {
		char *name;
		const uint8_t *rest;
		size_t restn;
		fuzz_first_line(data, size, &name, &rest, &restn);
		/* an exact-size copy: data + offset is not the end of a heap block */
		char *header = malloc(restn ? restn : 1);
		memcpy(header, rest, restn);
		check(header, restn, name);
		free(header);
		free(name);
	} else {
		for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
			check((const char *)data, size, NAMES[i]);
	}
	return 0;
}
