/*
 * arena.c - bump allocator for one request (or one start-up step).
 *
 * Chunks grow geometrically; everything is released at once. The limit turns a
 * hostile request that would make us allocate without bound into SY_E_TOOBIG.
 * Released memory is zeroed first because tokens and key material pass through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, off;
	max_align_t data[];
};

#define CHUNK_MIN 4096u

void arena_init(struct arena *a, size_t limit)
{
	a->head = NULL;
	a->used = 0;
	a->limit = limit ? limit : ARENA_DEFAULT_LIMIT;
}

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	if (n > a->limit)
		return NULL; /* also keeps the rounding below from wrapping */
	n = (n + align - 1) & ~(align - 1);
	if (n == 0)
		n = align;
	if (n > a->limit - a->used || a->used > a->limit)
		return NULL;
	struct arena_chunk *c = a->head;
	if (!c || c->size - c->off < n) {
		size_t size = c ? c->size * 2 : CHUNK_MIN;
		while (size < n)
			size *= 2;
		c = sy_malloc(sizeof *c + size);
		c->size = size;
		c->off = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->off;
	c->off += n;
	a->used += n;
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = n < 0 ? NULL : arena_alloc(a, (size_t)n + 1);
	if (p)
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		explicit_bzero(c->data, c->off);
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}
