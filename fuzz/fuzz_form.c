/*
 * fuzz_form.c - http_form_parse (application/x-www-form-urlencoded).
 *
 * Input: one byte for max_fields, then the body (passed without a NUL).
 * Checks: every key is non-empty and new, there are at most max_fields (and 64)
 * pairs, decoded strings are no longer than the body and hold no NUL; a key
 * "stop" makes the callback fail, and that error must come back unchanged.
 */
#include "fuzz.h"

#include "http/http.h"

struct ctx {
	size_t calls, max, bodylen;
	const char *keys[64];
	bool stopped;
};

static enum sy_err on_pair(void *p, const char *k, const char *v)
{
	struct ctx *c = p;
	FUZZ_CHECK(k && v && *k);
	FUZZ_CHECK(strlen(k) <= c->bodylen && strlen(v) <= c->bodylen);
	FUZZ_CHECK(c->calls < c->max && c->calls < 64);
	for (size_t i = 0; i < c->calls; i++)
		FUZZ_CHECK(strcmp(c->keys[i], k) != 0);
	c->keys[c->calls++] = k;
	if (strcmp(k, "stop") == 0) {
		c->stopped = true;
		return SY_E_DENIED;
	}
	return SY_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	size_t max = data[0] % 72; /* above 64 too: the parser caps it */
	size_t n = size - 1;
	char *body = malloc(n ? n : 1);
	memcpy(body, data + 1, n);
	struct arena a;
	arena_init(&a, 0);
	struct ctx c = {.max = max, .bodylen = n};
	enum sy_err e = http_form_parse(&a, body, n, max, on_pair, &c);
	if (c.stopped)
		FUZZ_CHECK(e == SY_E_DENIED);
	else
		FUZZ_CHECK(e == SY_OK || e == SY_E_INVALID);
	arena_release(&a);
	free(body);
	return 0;
}
