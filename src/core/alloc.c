/*
 * alloc.c - the only place that calls the system allocator directly.
 * An allocation failure aborts: a server that cannot allocate a few bytes cannot
 * answer correctly either, and aborting keeps every caller free of OOM paths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static void oom(size_t n)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *sy_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *sy_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *sy_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *sy_strndup(const char *s, size_t n)
{
	char *p = sy_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *sy_strdup(const char *s)
{
	return sy_strndup(s, strlen(s));
}
