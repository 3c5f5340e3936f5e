/*
 * fuzz_parse_long.c - parse_long, the bounded decimal parser behind every
 * numeric setting and path parameter.
 *
 * Input: 16 bytes for min and max (as two int64), then the text. Checks: an
 * accepted text is digits only (a leading '-' only when min < 0), at most 20
 * characters, and its value is within [min, max] and equals strtoll's; the
 * canonical decimal spelling of a value in [min, max] is always accepted.
 */
#include "fuzz.h"

#include <errno.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 16 || size > 256)
		return 0;
	long min, max;
	memcpy(&min, data, 8);
	memcpy(&max, data + 8, 8);
	char *s = fuzz_strndup(data + 16, size - 16);
	long v = 0;
	if (parse_long(s, min, max, &v) == SY_OK) {
		size_t n = strlen(s);
		FUZZ_CHECK(n > 0 && n <= 20);
		FUZZ_CHECK(strspn(s + (s[0] == '-'), "0123456789") == n - (s[0] == '-'));
		FUZZ_CHECK(s[0] != '-' || min < 0);
		FUZZ_CHECK(v >= min && v <= max);
		errno = 0;
		FUZZ_CHECK(strtoll(s, NULL, 10) == v && errno == 0);
	}
	/* the canonical spelling of a number in range, taken from the text's bytes */
	long x = 0;
	memcpy(&x, data + 16, size - 16 < 8 ? size - 16 : 8);
	if (x >= min && x <= max) {
		char buf[32];
		snprintf(buf, sizeof buf, "%ld", x);
		long y = 0;
		FUZZ_CHECK(parse_long(buf, min, max, &y) == SY_OK && y == x);
	}
	free(s);
	return 0;
}
