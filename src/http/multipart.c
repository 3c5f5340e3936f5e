/*
 * multipart.c - multipart/form-data request bodies (RFC 7578 on RFC 2046 §5.1),
 * as the image uploads send them.
 *
 * The parser never copies a part's content: parts point into the body. Part
 * headers are bounded (HTTP_MULTIPART_MAX_HEADER bytes, HTTP_MULTIPART_MAX_LINES
 * lines), so is the number of parts; the delimiter is searched with memmem, so
 * the work is linear in the body. Line ends are CRLF, as every browser, curl
 * and Node send them; header folding, a part without Content-Disposition:
 * form-data and a body without its close delimiter are refused.
 */
#include <string.h>
#include <strings.h>

#include "http.h"

#define MAX_BOUNDARY 70 /* RFC 2046 §5.1.1 */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_tchar(char c)
{
	/* RFC 9110 §5.6.2 */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_bchar(char c)
{
	/* RFC 2046 §5.1.1: bchars */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("'()+_,-./:=? ", c) != NULL);
}

/* One `; name=value` parameter list as in Content-Type and Content-Disposition.
 * The cursor *p moves past one parameter; the value is unquoted (quoted-pair
 * escapes resolved) into the arena. Returns false on a syntax error. */
static bool next_param(struct arena *a, const char **p, const char *end, const char **name, size_t *name_len,
                       char **value)
{
	const char *s = *p;
	while (s < end && is_space(*s))
		s++;
	if (s == end || *s != ';')
		return false;
	s++;
	while (s < end && is_space(*s))
		s++;
	const char *n0 = s;
	while (s < end && is_tchar(*s))
		s++;
	if (s == n0)
		return false;
	*name = n0;
	*name_len = (size_t)(s - n0);
	while (s < end && is_space(*s))
		s++;
	if (s == end || *s != '=')
		return false;
	s++;
	while (s < end && is_space(*s))
		s++;
	char *v;
	if (s < end && *s == '"') {
		s++;
		const char *q = s;
		size_t len = 0;
		/* first pass: length and closing quote */
		while (q < end && *q != '"') {
			if (*q == '\\') {
				if (++q == end)
					return false;
			}
			if (*q == '\0' || *q == '\r' || *q == '\n')
				return false;
			q++, len++;
		}
		if (q == end)
			return false;
		v = arena_alloc(a, len + 1);
		if (!v)
			return false;
		size_t k = 0;
		while (s < q) {
			if (*s == '\\')
				s++;
			v[k++] = *s++;
		}
		v[k] = '\0';
		s = q + 1;
	} else {
		const char *v0 = s;
		while (s < end && is_tchar(*s))
			s++;
		if (s == v0)
			return false;
		v = arena_strndup(a, v0, (size_t)(s - v0));
		if (!v)
			return false;
	}
	*value = v;
	*p = s;
	return true;
}

static bool token_is(const char *s, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(s, want, n) == 0;
}

/* The boundary of a multipart/form-data Content-Type, in the arena; NULL if
 * the type is another one or the boundary is missing, repeated or malformed. */
static const char *boundary_of(struct arena *a, const char *ct)
{
	if (!ct)
		return NULL;
	const char *end = ct + strlen(ct);
	const char *p = ct;
	while (p < end && is_space(*p))
		p++;
	const char *t0 = p;
	while (p < end && (is_tchar(*p) || *p == '/'))
		p++;
	if (!token_is(t0, (size_t)(p - t0), "multipart/form-data"))
		return NULL;
	const char *boundary = NULL;
	for (;;) {
		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		const char *name;
		size_t nlen;
		char *value;
		if (!next_param(a, &p, end, &name, &nlen, &value))
			return NULL;
		if (token_is(name, nlen, "boundary")) {
			if (boundary)
				return NULL;
			boundary = value;
		}
	}
	if (!boundary)
		return NULL;
	size_t bl = strlen(boundary);
	if (bl == 0 || bl > MAX_BOUNDARY || boundary[bl - 1] == ' ')
		return NULL;
	for (size_t i = 0; i < bl; i++)
		if (!is_bchar(boundary[i]))
			return NULL;
	return boundary;
}

/* After a delimiter: "--" closes the body; otherwise optional padding then
 * CRLF. *p moves past what was consumed; *closed tells which. */
static bool after_delimiter(const char **p, const char *end, bool *closed)
{
	const char *s = *p;
	if (end - s >= 2 && s[0] == '-' && s[1] == '-') {
		*closed = true;
		*p = s + 2;
		return true;
	}
	while (s < end && is_space(*s))
		s++;
	if (end - s < 2 || s[0] != '\r' || s[1] != '\n')
		return false;
	*closed = false;
	*p = s + 2;
	return true;
}

/* The header lines of one part, up to and including the empty line. */
static bool part_headers(struct arena *a, const char **p, const char *end, struct http_part *part)
{
	const char *s = *p;
	size_t budget = (size_t)(end - s) < HTTP_MULTIPART_MAX_HEADER ? (size_t)(end - s) : HTTP_MULTIPART_MAX_HEADER;
	const char *limit = s + budget;
	bool disposition = false;
	for (size_t lines = 0;; lines++) {
		const char *eol = NULL;
		for (const char *q = s; q + 1 < limit; q++)
			if (q[0] == '\r' && q[1] == '\n') {
				eol = q;
				break;
			}
		if (!eol)
			return false; /* no end of line within the header budget */
		if (eol == s) {
			*p = eol + 2;
			return disposition;
		}
		if (lines == HTTP_MULTIPART_MAX_LINES || is_space(*s))
			return false; /* too many lines, or obsolete folding */
		const char *colon = memchr(s, ':', (size_t)(eol - s));
		if (!colon || colon == s)
			return false;
		for (const char *q = s; q < colon; q++)
			if (!is_tchar(*q))
				return false;
		for (const char *q = colon + 1; q < eol; q++)
			if (*q == '\0' || *q == '\r' || *q == '\n')
				return false;
		size_t nlen = (size_t)(colon - s);
		const char *v = colon + 1, *vend = eol;
		while (v < vend && is_space(*v))
			v++;
		while (vend > v && is_space(vend[-1]))
			vend--;
		if (token_is(s, nlen, "Content-Disposition")) {
			if (disposition)
				return false;
			disposition = true;
			const char *q = v;
			while (q < vend && is_tchar(*q))
				q++;
			if (!token_is(v, (size_t)(q - v), "form-data"))
				return false;
			bool have_name = false, have_file = false;
			while (q < vend) {
				const char *pn;
				size_t pl;
				char *pv;
				if (!next_param(a, &q, vend, &pn, &pl, &pv))
					return false;
				if (token_is(pn, pl, "name")) {
					if (have_name)
						return false;
					have_name = true;
					part->name = pv;
				} else if (token_is(pn, pl, "filename")) {
					if (have_file)
						return false;
					have_file = true;
					part->filename = pv;
				}
				while (q < vend && is_space(*q))
					q++;
			}
			if (!have_name)
				return false;
		} else if (token_is(s, nlen, "Content-Type")) {
			if (part->content_type)
				return false;
			part->content_type = arena_strndup(a, v, (size_t)(vend - v));
			if (!part->content_type)
				return false;
		}
		s = eol + 2;
	}
}

enum sy_err http_multipart_parse(struct arena *a, const char *content_type, const char *body, size_t n,
                                 size_t max_parts, enum sy_err (*fn)(void *ctx, const struct http_part *p), void *ctx)
{
	const char *boundary = boundary_of(a, content_type);
	if (!boundary)
		return SY_E_BODY;
	/* "\r\n--" boundary: the delimiter inside the body */
	size_t bl = strlen(boundary);
	char delim[4 + MAX_BOUNDARY];
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, bl);
	size_t dl = 4 + bl;
	if (!body)
		body = "";
	const char *p = body, *end = body + n;
	/* the first delimiter may open the body (without the CRLF) or follow a preamble */
	if ((size_t)(end - p) >= dl - 2 && memcmp(p, delim + 2, dl - 2) == 0) {
		p += dl - 2;
	} else {
		const char *d = memmem(p, (size_t)(end - p), delim, dl);
		if (!d)
			return SY_E_BODY;
		p = d + dl;
	}
	bool closed;
	if (!after_delimiter(&p, end, &closed))
		return SY_E_BODY;
	size_t parts = 0;
	while (!closed) {
		if (parts == max_parts)
			return SY_E_BODY;
		struct http_part part = {0};
		if (!part_headers(a, &p, end, &part))
			return SY_E_BODY;
		const char *d = memmem(p, (size_t)(end - p), delim, dl);
		if (!d)
			return SY_E_BODY;
		part.data = (const uint8_t *)p;
		part.len = (size_t)(d - p);
		parts++;
		p = d + dl;
		if (!after_delimiter(&p, end, &closed))
			return SY_E_BODY;
		enum sy_err e = fn(ctx, &part);
		if (e)
			return e;
	}
	return SY_OK; /* an epilogue after the close delimiter is ignored */
}

struct find_file {
	const char *field;
	struct http_part *out;
	bool found;
};

static enum sy_err pick(void *ctx, const struct http_part *p)
{
	struct find_file *f = ctx;
	/* Go's FormFile: a part with a non-empty filename; the first one wins */
	if (!f->found && strcmp(p->name, f->field) == 0 && p->filename && *p->filename) {
		*f->out = *p;
		f->found = true;
	}
	return SY_OK;
}

enum sy_err http_multipart_file(struct http_req *r, const char *field, struct http_part *out)
{
	struct find_file f = {.field = field, .out = out};
	enum sy_err e = http_multipart_parse(&r->arena, http_header_get(r, "Content-Type"), r->body, r->body_len,
	                                     HTTP_MULTIPART_MAX_PARTS, pick, &f);
	if (e)
		return e;
	return f.found ? SY_OK : SY_E_NOTFOUND;
}
