/*
 * fuzz.h - shared bits of the libFuzzer targets: the entry point's prototype
 * (the project builds with -Wmissing-prototypes), an input bound, and a check
 * that aborts with a message so that a broken invariant is a crash libFuzzer
 * records like any other.
 */
#ifndef SY_FUZZ_H
#define SY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT (64u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                                               \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);                   \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

/* A heap copy of exactly n bytes plus a NUL, so ASan sees reads past the end. */
static inline char *fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Splits off the first line: *line gets a NUL-terminated copy of it (the caller
 * frees), *rest and *restn what follows the newline. Without a newline the whole
 * input is the line and the rest is empty. */
static inline void fuzz_first_line(const uint8_t *data, size_t size, char **line, const uint8_t **rest, size_t *restn)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	*line = fuzz_strndup(data, n);
	*rest = nl ? nl + 1 : data + size;
	*restn = nl ? size - n - 1 : 0;
}

#endif
