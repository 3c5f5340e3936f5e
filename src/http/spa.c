/*
 * spa.c - the embedded single-page app, served as Pocket ID serves its own:
 * hashed files under /_app/immutable/ (and /fonts/) cached for a year, other files
 * for a day, precompressed variants by Accept-Encoding, and index.html for every
 * other path, never cached, with the request's CSP nonce on each <script>.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "http.h"

static int cmp_asset(const void *key, const void *elem)
{
	return strcmp(key, ((const struct http_asset *)elem)->path);
}

static const struct http_asset *find(const char *path)
{
	return bsearch(path, http_assets, http_assets_count, sizeof http_assets[0], cmp_asset);
}

static enum sy_err serve_file(struct http_req *r, const struct http_asset *a)
{
	http_header_add(r, "Cache-Control",
	                a->immutable ? "public, max-age=31536000, immutable" : "public, max-age=86400");
	http_header_add(r, "ETag", a->etag);
	http_header_add(r, "Last-Modified", http_assets_modified);
	http_header_add(r, "Vary", "Accept-Encoding");
	if (http_etag_match(http_header_get(r, "If-None-Match"), a->etag))
		return http_reply(r, 304, NULL, "", 0);
	const char *ae = http_header_get(r, "Accept-Encoding");
	if (ae && a->br && http_accepts_coding(ae, "br")) {
		http_header_add(r, "Content-Encoding", "br");
		return http_reply(r, 200, a->mime, a->br, a->br_len);
	}
	if (ae && a->gz && http_accepts_coding(ae, "gzip")) {
		http_header_add(r, "Content-Encoding", "gzip");
		return http_reply(r, 200, a->mime, a->gz, a->gz_len);
	}
	return http_reply(r, 200, a->mime, a->data, a->len);
}

static enum sy_err serve_index(struct http_req *r)
{
	const struct http_asset *idx = find("/index.html");
	if (!idx)
		return SY_E_NOTFOUND;
	static const char TAG[] = "<script";
	char attr[48];
	int an = snprintf(attr, sizeof attr, " nonce=\"%s\"", r->nonce);
	size_t count = 0;
	const char *src = (const char *)idx->data, *end = src + idx->len;
	for (const char *p = src; (p = memmem(p, (size_t)(end - p), TAG, 7)); p += 7)
		count++;
	char *out = arena_alloc(&r->arena, idx->len + count * (size_t)an + 1);
	if (!out)
		return SY_E_TOOBIG;
	size_t o = 0;
	for (const char *p = src;;) {
		const char *hit = memmem(p, (size_t)(end - p), TAG, 7);
		size_t n = hit ? (size_t)(hit + 7 - p) : (size_t)(end - p);
		memcpy(out + o, p, n);
		o += n;
		if (!hit)
			break;
		memcpy(out + o, attr, (size_t)an);
		o += (size_t)an;
		p = hit + 7;
	}
	return http_reply(r, 200, "text/html; charset=utf-8", out, o);
}

/* Characters that may stand unencoded in a path (RFC 3986 pchar and '/'). */
static bool path_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-._~!$&'()*+,;=:@/", c);
}

struct enc {
	char *buf;
	size_t n, cap;
	bool in_query;
};

static void put_encoded(struct enc *e, const char *s, bool in_query)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p && e->n + 3 < e->cap; p++) {
		bool keep = path_safe(*p) && !(in_query && strchr("&=+/", *p));
		if (keep) {
			e->buf[e->n++] = (char)*p;
		} else {
			e->buf[e->n++] = '%';
			e->buf[e->n++] = hex[*p >> 4];
			e->buf[e->n++] = hex[*p & 15];
		}
	}
}

static enum MHD_Result put_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct enc *e = cls;
	if (e->n + 1 < e->cap)
		e->buf[e->n++] = e->in_query ? '&' : '?';
	e->in_query = true;
	put_encoded(e, key, true);
	if (value && e->n + 1 < e->cap) {
		e->buf[e->n++] = '=';
		put_encoded(e, value, true);
	}
	return MHD_YES;
}

/* /a/b/ -> 301 /a/b, keeping the query. The decoded path is encoded again, so a
 * backslash, a control character or a '?' cannot change what the browser sees, and
 * leading slashes are collapsed last, so the Location is always a path on this
 * site, never "//other.host". */
static enum sy_err redirect_trailing_slash(struct http_req *r)
{
	size_t n = strlen(r->path), cap = 3 * n + 3 * 8192 + 2;
	struct enc e = {arena_alloc(&r->arena, cap), 0, cap, false};
	if (!e.buf)
		return SY_E_TOOBIG;
	char *path = arena_strdup(&r->arena, r->path);
	if (!path)
		return SY_E_TOOBIG;
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	put_encoded(&e, path, false);
	e.buf[e.n] = '\0';
	char *loc = e.buf;
	while (loc[0] == '/' && loc[1] == '/')
		loc++;
	size_t prefix = (size_t)(loc - e.buf);
	e.buf = loc;
	e.n -= prefix;
	e.cap -= prefix;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, put_arg, &e);
	e.buf[e.n] = '\0';
	http_header_add(r, "Location", e.buf);
	return http_reply(r, 301, NULL, "", 0);
}

enum sy_err http_spa(struct http_req *r)
{
	size_t n = strlen(r->path);
	if (n > 1 && r->path[n - 1] == '/')
		return redirect_trailing_slash(r);
	const struct http_asset *a = find(r->path);
	if (a && strcmp(a->path, "/index.html") != 0)
		return serve_file(r, a);
	return serve_index(r);
}
