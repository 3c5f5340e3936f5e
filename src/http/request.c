/*
 * request.c - reading a request: headers, query, path parameters, cookies, form
 * and JSON bodies, and the client address. The parsers here take untrusted bytes
 * with explicit lengths and limits, and each has a fuzz target.
 */
#include <ctype.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/core.h"
#include "http.h"

#define COOKIE_MAX_PAIRS 128

const char *http_header_get(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_all {
	const char *name;
	const char **out;
	size_t n, max;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct query_all *q = cls;
	if (key && value && strcmp(key, q->name) == 0 && q->n < q->max)
		q->out[q->n++] = value;
	return MHD_YES;
}

size_t http_query_all(struct http_req *r, const char *name, const char **out, size_t max)
{
	struct query_all q = {name, out, 0, max};
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect, &q);
	return q.n;
}

struct query_each {
	enum sy_err (*fn)(void *ctx, const char *k, const char *v);
	void *ctx;
	enum sy_err e;
};

static enum MHD_Result each(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct query_each *q = cls;
	q->e = q->fn(q->ctx, key, value ? value : "");
	return q->e ? MHD_NO : MHD_YES;
}

enum sy_err http_query_each(struct http_req *r, enum sy_err (*fn)(void *ctx, const char *k, const char *v), void *ctx)
{
	struct query_each q = {fn, ctx, SY_OK};
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, each, &q);
	return q.e;
}

char *http_url_encode(struct arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = arena_alloc(a, 3 * strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

char *http_html_escape(struct arena *a, const char *s)
{
	char *out = arena_alloc(a, 6 * strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = s; *p; p++) {
		const char *rep = *p == '&'    ? "&amp;"
		                  : *p == '<'  ? "&lt;"
		                  : *p == '>'  ? "&gt;"
		                  : *p == '"'  ? "&quot;"
		                  : *p == '\'' ? "&#39;"
		                               : NULL;
		if (rep) {
			size_t n = strlen(rep);
			memcpy(o, rep, n);
			o += n;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

const char *http_param(struct http_req *r, const char *name)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return r->params[i].value;
	return NULL;
}

const char *http_cookie(struct http_req *r, const char *name)
{
	const char *h = http_header_get(r, "Cookie");
	return h ? http_cookie_parse(&r->arena, h, strlen(h), name) : NULL;
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

const char *http_cookie_parse(struct arena *a, const char *header, size_t n, const char *name)
{
	size_t namelen = strlen(name);
	const char *p = header, *end = header + n;
	for (int pairs = 0; p < end && pairs < COOKIE_MAX_PAIRS; pairs++) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *pe = semi ? semi : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		if (eq) {
			const char *k = p, *v = eq + 1;
			size_t kn = (size_t)(eq - p), vn = (size_t)(pe - v);
			trim(&k, &kn);
			trim(&v, &vn);
			if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"')
				v++, vn -= 2;
			if (bytes_eq(k, kn, name, namelen) && !memchr(v, '\0', vn))
				return arena_strndup(a, v, vn);
		}
		if (pe == end)
			break;
		p = pe + 1;
	}
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent- and plus-decoding; NUL bytes and bad escapes are refused. */
static char *form_decode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= n)
				return NULL;
			int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0') {
			return NULL;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

enum sy_err http_form_parse(struct arena *a, const char *s, size_t n, size_t max_fields,
                            enum sy_err (*fn)(void *ctx, const char *k, const char *v), void *ctx)
{
	const char *keys[64];
	size_t nkeys = 0;
	if (max_fields > 64)
		max_fields = 64;
	const char *p = s, *end = s + n;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		if (pe > p) {
			const char *eq = memchr(p, '=', (size_t)(pe - p));
			const char *kend = eq ? eq : pe;
			char *k = form_decode(a, p, (size_t)(kend - p));
			char *v = eq ? form_decode(a, eq + 1, (size_t)(pe - eq - 1)) : arena_strdup(a, "");
			if (!k || !v || !*k || nkeys == max_fields)
				return SY_E_INVALID;
			for (size_t i = 0; i < nkeys; i++)
				if (strcmp(keys[i], k) == 0)
					return SY_E_INVALID; /* RFC 6749 §3.1: no repeated parameters */
			keys[nkeys++] = k;
			enum sy_err e = fn(ctx, k, v);
			if (e)
				return e;
		}
		if (pe == end)
			break;
		p = pe + 1;
	}
	return SY_OK;
}

bool http_accepts_coding(const char *ae, const char *coding)
{
	size_t cn = strlen(coding);
	for (const char *p = ae; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",;");
		const char *params = p + n;
		size_t tn = n;
		while (tn && p[tn - 1] == ' ')
			tn--;
		if (tn == cn && strncasecmp(p, coding, cn) == 0) {
			if (*params != ';')
				return true;
			const char *q = strstr(params, "q=");
			const char *end = strchr(params, ',');
			return !(q && (!end || q < end) && strtod(q + 2, NULL) == 0.0);
		}
		p = strchr(p, ',');
	}
	return false;
}

static bool is_json_type(const char *ct)
{
	if (!ct)
		return false;
	size_t n = strcspn(ct, ";");
	while (n && isspace((unsigned char)ct[n - 1]))
		n--;
	while (n && isspace((unsigned char)*ct))
		ct++, n--;
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return true;
	/* application/<anything>+json */
	return n > 17 && strncasecmp(ct, "application/", 12) == 0 && strncasecmp(ct + n - 5, "+json", 5) == 0 &&
	       !memchr(ct + 12, '/', n - 12);
}

enum sy_err http_json_parse(const char *content_type, const char *body, size_t n, json_t **out)
{
	if (!is_json_type(content_type))
		return SY_E_BODY;
	json_error_t jerr;
	json_t *j = json_loadb(body, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return SY_E_BODY;
	*out = j;
	return SY_OK;
}

/* One header's list, right to left, as gin's ClientIP walks it: the first address
 * that is not a trusted proxy is the client; if all are trusted, the leftmost. */
static bool from_list(const struct sy_config *cfg, const char *h, char *out, size_t outlen)
{
	size_t n = strlen(h);
	while (n) {
		size_t start = n;
		while (start && h[start - 1] != ',')
			start--;
		const char *item = h + start;
		size_t len = n - start;
		trim(&item, &len);
		uint8_t ip[16];
		if (!ip_parse(item, len, ip))
			return false;
		if (start == 0 || !cidr_list_contains(&cfg->trust_proxy, ip)) {
			ip_format(ip, out, outlen);
			return true;
		}
		n = start - 1;
	}
	return false;
}

void http_client_ip(const struct sy_config *cfg, const uint8_t peer[16], bool have_peer, const char *platform_value,
                    const char *xff, const char *xri, char *out, size_t outlen)
{
	bool trusted = have_peer ? cidr_list_contains(&cfg->trust_proxy, peer) : cfg->trust_proxy.all;
	if (trusted) {
		uint8_t ip[16];
		if (platform_value && ip_parse(platform_value, strlen(platform_value), ip)) {
			ip_format(ip, out, outlen);
			return;
		}
		if ((xff && from_list(cfg, xff, out, outlen)) || (xri && from_list(cfg, xri, out, outlen)))
			return;
	}
	if (have_peer)
		ip_format(peer, out, outlen);
	else
		snprintf(out, outlen, "%s", "");
}
