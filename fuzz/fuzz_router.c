/*
 * fuzz_router.c - http_route_match against a fixed table with :params.
 *
 * Input: one byte of method bits, then the path (NUL-terminated copy; an
 * embedded NUL ends it, as it would in the server). Checks:
 *  - a match accepts the method; every param value is non-empty and has no '/';
 *    substituting the params back into the pattern gives exactly the path;
 *  - the returned route is the first one a simple reference matcher accepts
 *    (segment by segment), and NULL with nparams 0 when there is none.
 */
#include "fuzz.h"

#include "http/http.h"

static enum sy_err no_handler(struct http_req *r)
{
	(void)r;
	return SY_OK;
}

static const struct http_route ROUTES[] = {
        {HTTP_GET, "/", no_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/.well-known/openid-configuration", no_handler, 0, HTTP_ROUTE_CORS, HTTP_LIMIT_NONE},
        {HTTP_GET | HTTP_POST, "/api/users", no_handler, 4096, 0, HTTP_LIMIT_NONE},
        {HTTP_GET | HTTP_PUT | HTTP_DELETE, "/api/users/:id", no_handler, 4096, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/users/me", no_handler, 0, 0, HTTP_LIMIT_NONE}, /* shadowed by :id for GET */
        {HTTP_PUT, "/api/users/:id/user-groups", no_handler, 4096, 0, HTTP_LIMIT_NONE},
        {HTTP_GET | HTTP_POST, "/api/oidc/clients/:id/logo", no_handler, 1 << 20, 0, HTTP_LIMIT_NONE},
        {HTTP_GET, "/api/oidc/clients/:client/secret/:n", no_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_POST | HTTP_OPTIONS, "/api/oidc/token", no_handler, 65536, HTTP_ROUTE_CORS, HTTP_LIMIT_NONE},
        {HTTP_PATCH, "/:a/:b/:c/:d/:e/:f/:g/:h", no_handler, 0, 0, HTTP_LIMIT_NONE},    /* HTTP_MAX_PARAMS */
        {HTTP_PATCH, "/:a/:b/:c/:d/:e/:f/:g/:h/:i", no_handler, 0, 0, HTTP_LIMIT_NONE}, /* one too many: never */
        {HTTP_DELETE, "/api/:kind/:id", no_handler, 0, 0, HTTP_LIMIT_NONE},
        {HTTP_GET | HTTP_POST, "/api/webauthn/login/start", no_handler, 1024, 0, HTTP_LIMIT_NONE},
};
#define NROUTES (sizeof ROUTES / sizeof ROUTES[0])

/* Reference: both start with '/', same number of segments, literal segments
 * equal, param segments non-empty, at most HTTP_MAX_PARAMS params. */
static bool ref_match(const char *pat, const char *path)
{
	if (*pat != '/' || *path != '/')
		return *pat == '\0' && *path == '\0';
	size_t params = 0;
	for (;;) {
		pat++, path++;
		size_t pl = strcspn(pat, "/"), sl = strcspn(path, "/");
		if (*pat == ':') {
			if (sl == 0 || ++params > HTTP_MAX_PARAMS)
				return false;
		} else if (pl != sl || memcmp(pat, path, pl) != 0) {
			return false;
		}
		pat += pl, path += sl;
		if (*pat != *path)
			return false; /* one ended, the other goes on */
		if (*pat == '\0')
			return true;
	}
}

static void check_match(const struct http_route *r, const char *path, const struct http_header *params, size_t np)
{
	FUZZ_CHECK(np <= HTTP_MAX_PARAMS);
	char rebuilt[8192];
	size_t o = 0, used = 0;
	for (const char *p = r->pattern; *p;) {
		size_t seg = strcspn(p + 1, "/") + 1; /* "/name" or "/:param" */
		const char *text = p;
		size_t tn = seg;
		if (p[1] == ':') {
			FUZZ_CHECK(used < np);
			const struct http_header *h = &params[used++];
			FUZZ_CHECK(strlen(h->name) == seg - 2 && memcmp(h->name, p + 2, seg - 2) == 0);
			FUZZ_CHECK(*h->value != '\0' && !strchr(h->value, '/'));
			rebuilt[o++] = '/';
			text = h->value;
			tn = strlen(h->value);
		}
		FUZZ_CHECK(o + tn < sizeof rebuilt);
		memcpy(rebuilt + o, text, tn);
		o += tn;
		p += seg;
	}
	rebuilt[o] = '\0';
	FUZZ_CHECK(used == np);
	FUZZ_CHECK(strcmp(rebuilt, path) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	enum http_method m = (enum http_method)(1u << (data[0] % 6));
	char *path = fuzz_strndup(data + 1, size - 1);
	struct arena a;
	arena_init(&a, 0);
	struct http_header params[HTTP_MAX_PARAMS];
	size_t np = 99;
	const struct http_route *r = http_route_match(&a, ROUTES, NROUTES, path, m, params, &np);
	const struct http_route *want = NULL;
	for (size_t i = 0; i < NROUTES && !want; i++)
		if ((ROUTES[i].methods & m) && ref_match(ROUTES[i].pattern, path))
			want = &ROUTES[i];
	if (r != want) {
		fprintf(stderr, "invariant failed: path \"%s\" method %u: router chose %s, reference %s\n", path,
		        (unsigned)m, r ? r->pattern : "none", want ? want->pattern : "none");
		abort();
	}
	if (r) {
		FUZZ_CHECK(r->methods & m);
		check_match(r, path, params, np);
	} else {
		FUZZ_CHECK(np == 0);
	}
	arena_release(&a);
	free(path);
	return 0;
}
