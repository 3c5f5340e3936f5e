/*
 * fuzz_dotenv.c - dotenv_parse on arbitrary .env text (passed without a NUL).
 *
 * Checks: every key handed to the setter is non-empty, shorter than 128 bytes
 * and made of key characters; every value is at most 32 KiB; a failure always
 * leaves a message naming a line; the 64 KiB file limit is enforced.
 * $VAR expansion reads the process environment; FUZZ_DOTENV_VAR is set so that
 * expansions of a known variable are exercised too.
 */
#include "fuzz.h"

#include <ctype.h>

#include "core/core.h"

struct ctx {
	size_t calls, textlen;
};

static void on_set(void *p, const char *k, const char *v)
{
	struct ctx *c = p;
	size_t kn = strlen(k);
	FUZZ_CHECK(kn > 0 && kn < 128);
	for (size_t i = 0; i < kn; i++)
		FUZZ_CHECK(isalnum((unsigned char)k[i]) || k[i] == '_' || k[i] == '.' || k[i] == '-');
	FUZZ_CHECK(strlen(v) <= 32u * 1024u);
	c->calls++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool env_set;
	if (!env_set) {
		setenv("FUZZ_DOTENV_VAR", "expanded value", 1);
		env_set = true;
	}
	if (size > 2 * FUZZ_MAX_INPUT)
		return 0;
	char *text = malloc(size ? size : 1);
	memcpy(text, data, size);
	char err[128];
	memset(err, 0, sizeof err);
	struct ctx c = {.textlen = size};
	enum sy_err e = dotenv_parse(text, size, on_set, &c, err, sizeof err);
	if (size > 64u * 1024u)
		FUZZ_CHECK(e == SY_E_TOOBIG && c.calls == 0);
	if (e == SY_OK)
		FUZZ_CHECK(err[0] == '\0');
	else
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL);
	free(text);
	return 0;
}
