/*
 * fuzz_conditional.c - the request headers that choose a cached or compressed
 * answer: If-None-Match (http_etag_match) and Accept-Encoding
 * (http_accepts_coding), on arbitrary values.
 *
 * Input: the header value (NUL-terminated copy). Checks: the ETag itself, alone
 * or weak, always matches; "*" always matches; a value that does not contain the
 * ETag's opaque part never matches unless it has a "*".
 */
#include "fuzz.h"

#include "http/http.h"

static const char ETAG[] = "\"0123456789abcdef\"";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *v = fuzz_strndup(data, size);
	bool match = http_etag_match(v, ETAG);
	if (!strstr(v, ETAG) && !strchr(v, '*'))
		FUZZ_CHECK(!match);
	FUZZ_CHECK(http_etag_match(ETAG, ETAG));
	FUZZ_CHECK(http_etag_match("W/\"0123456789abcdef\"", ETAG));
	(void)http_accepts_coding(v, "br");
	(void)http_accepts_coding(v, "gzip");
	free(v);
	return 0;
}
