/*
 * fuzz_useragent.c - useragent_describe and useragent_device on arbitrary
 * User-Agent headers.
 *
 * Input: the header's bytes. They are passed in place without a NUL as an
 * exact-size heap copy, so a read past the length is an ASan report.
 * Checks: the result always ends within the buffer, is printable ASCII, and
 * is the same whatever the buffer size, only cut shorter; the arena form gives
 * the same string from a NUL-terminated copy; the result names a system only
 * as "<name> on <system>".
 */
#include "fuzz.h"

#include "integrations/integrations.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *ua = malloc(size ? size : 1);
	memcpy(ua, data, size);

	char full[USERAGENT_DEVICE_MAX];
	useragent_describe(ua, size, full, sizeof full);
	size_t n = strnlen(full, sizeof full);
	FUZZ_CHECK(n < sizeof full);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(full[i] >= 0x20 && full[i] < 0x7f);
	FUZZ_CHECK(n == 0 || (full[0] != ' ' && full[n - 1] != ' '));
	const char *on = strstr(full, " on ");
	FUZZ_CHECK(!on || on > full);

	/* smaller buffers: the same text, cut */
	static const size_t SIZES[] = {1, 2, 7, 16, 40};
	for (size_t k = 0; k < sizeof SIZES / sizeof SIZES[0]; k++) {
		char small[40];
		memset(small, 'Z', sizeof small);
		useragent_describe(ua, size, small, SIZES[k]);
		size_t m = strnlen(small, SIZES[k]);
		FUZZ_CHECK(m < SIZES[k]);
		FUZZ_CHECK(m == (n < SIZES[k] ? n : SIZES[k] - 1));
		FUZZ_CHECK(memcmp(small, full, m) == 0);
	}

	/* empty input and input that is only blanks give "" */
	bool blank = true;
	for (size_t i = 0; i < size && i < USERAGENT_SCAN_MAX && data[i] && blank; i++)
		blank = data[i] == ' ' || data[i] == '\t';
	if (blank)
		FUZZ_CHECK(n == 0);

	/* the arena form reads a C string: the same answer from a NUL-terminated copy */
	char *s = fuzz_strndup(data, size);
	struct arena a;
	arena_init(&a, 0);
	const char *dev = useragent_device(&a, s);
	FUZZ_CHECK(dev != NULL);
	FUZZ_CHECK(strcmp(dev, full) == 0);
	arena_release(&a);

	free(s);
	free(ua);
	return 0;
}
