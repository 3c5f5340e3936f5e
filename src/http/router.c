/*
 * router.c - path patterns with :named segments. Segments compare by exact length
 * and bytes; an empty segment never binds a parameter.
 */
#include <string.h>

#include "http.h"

static const char *seg_end(const char *s)
{
	const char *e = strchr(s, '/');
	return e ? e : s + strlen(s);
}

static bool match(struct arena *a, const char *pat, const char *path, struct http_header *params, size_t *np)
{
	size_t n = 0;
	while (*pat && *path) {
		if (*pat != '/' || *path != '/')
			return false;
		pat++, path++;
		const char *pe = seg_end(pat), *se = seg_end(path);
		if (*pat == ':') {
			if (se == path || n == HTTP_MAX_PARAMS)
				return false;
			params[n].name = arena_strndup(a, pat + 1, (size_t)(pe - pat - 1));
			params[n].value = arena_strndup(a, path, (size_t)(se - path));
			if (!params[n].name || !params[n].value)
				return false;
			n++;
		} else if (!bytes_eq(pat, (size_t)(pe - pat), path, (size_t)(se - path))) {
			return false;
		}
		pat = pe, path = se;
	}
	if (*pat || *path)
		return false;
	*np = n;
	return true;
}

const struct http_route *http_route_match(struct arena *a, const struct http_route *routes, size_t n, const char *path,
                                          enum http_method m, struct http_header *params, size_t *nparams)
{
	for (size_t i = 0; i < n; i++)
		if ((routes[i].methods & m) && match(a, routes[i].pattern, path, params, nparams))
			return &routes[i];
	*nparams = 0;
	return NULL;
}
