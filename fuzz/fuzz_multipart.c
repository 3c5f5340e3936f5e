/*
 * fuzz_multipart.c - http_multipart_parse (multipart/form-data request bodies).
 *
 * Input: the Content-Type header on the first line, then the body (passed
 * without a NUL). Checks: the answer is SY_OK or SY_E_BODY, or the callback's
 * own error unchanged (a part named "stop" makes it fail); there are at most
 * max_parts parts; every part's data lies inside the body, in order, without
 * overlapping; names are non-NULL and no longer than the body.
 */
#include "fuzz.h"

#include "http/http.h"

#define MAX_PARTS 8

struct ctx {
	const char *body;
	size_t n, parts;
	const uint8_t *last_end;
	bool stopped;
};

static enum sy_err on_part(void *p, const struct http_part *part)
{
	struct ctx *c = p;
	FUZZ_CHECK(c->parts < MAX_PARTS);
	c->parts++;
	FUZZ_CHECK(part->name != NULL);
	FUZZ_CHECK(strlen(part->name) <= c->n);
	FUZZ_CHECK(!part->filename || strlen(part->filename) <= c->n);
	FUZZ_CHECK(!part->content_type || strlen(part->content_type) <= c->n);
	const uint8_t *b = (const uint8_t *)c->body;
	FUZZ_CHECK(part->data >= b && part->data <= b + c->n);
	FUZZ_CHECK(part->len <= (size_t)(b + c->n - part->data));
	FUZZ_CHECK(part->data >= c->last_end);
	c->last_end = part->data + part->len;
	if (part->len)
		(void)*(volatile const uint8_t *)(part->data + part->len - 1); /* ASan checks the bound */
	if (strcmp(part->name, "stop") == 0) {
		c->stopped = true;
		return SY_E_DENIED;
	}
	return SY_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *ct;
	const uint8_t *rest;
	size_t n;
	fuzz_first_line(data, size, &ct, &rest, &n);
	char *body = malloc(n ? n : 1);
	memcpy(body, rest, n);
	struct arena a;
	arena_init(&a, 0);
	struct ctx c = {.body = body, .n = n, .last_end = (const uint8_t *)body};
	enum sy_err e = http_multipart_parse(&a, ct, body, n, MAX_PARTS, on_part, &c);
	if (c.stopped)
		FUZZ_CHECK(e == SY_E_DENIED);
	else
		FUZZ_CHECK(e == SY_OK || e == SY_E_BODY);
	arena_release(&a);
	free(body);
	free(ct);
	return 0;
}
