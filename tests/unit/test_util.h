/* test_util.h - what several unit tests share. */
#ifndef SY_TEST_UTIL_H
#define SY_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Reads a whole file from the vectors folder (SY_TEST_VECTORS); caller frees. */
static inline char *read_vector(const char *name)
{
	const char *dir = getenv("SY_TEST_VECTORS");
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/vectors", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 16);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return buf;
}

/* A fake environment for config_load: NULL-terminated name, value pairs. */
static const char *const *fake_env;

static inline const char *fake_getenv(const char *name)
{
	for (const char *const *p = fake_env; p && *p; p += 2)
		if (strcmp(p[0], name) == 0)
			return p[1];
	return NULL;
}

#endif
