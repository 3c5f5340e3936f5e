/*
 * redirect.c - callback and logout URL patterns (reference §2.14): which
 * patterns an admin may register, and whether a requested redirect_uri or
 * post_logout_redirect_uri matches one of a client's patterns.
 *
 * The requested URI is chosen by whoever sends the browser to us, so it and
 * the patterns go through one strict parser before anything but exact
 * equality is tried: RFC 3986 characters only (no spaces, controls,
 * backslashes or non-ASCII bytes, which browsers strip or reinterpret), no
 * userinfo, no percent sign in the host, a canonical dotted quad wherever a
 * host ends in a number, no empty or dot segments inside the path and no
 * encoded '/' or '\' there. What the parser refuses never matches.
 *
 * Patterns are compared component by component after parsing, never as
 * strings, so a wildcard only ever stands for characters of the component it
 * was written in: a host wildcard cannot reach into the path, query or
 * userinfo. Every wildcard walk is iterative (last-star backtracking, at most
 * pattern length x text length steps) over inputs of at most URI_MAX bytes.
 */
#include <stdint.h>
#include <string.h>

#include "oidc.h"

#define PATTERN_MAX  2048 /* what an admin may register */
#define URI_MAX      4096 /* a requested URI; longer ones are refused */
#define SEGMENTS_MAX 128  /* path segments: bounds the '**' walk and its stack arrays */
#define PARAMS_MAX   64   /* query parameters, for the same reason */
#define SCHEME_MAX   32
#define HOST_MAX     253 /* RFC 1035 name limits */
#define LABEL_MAX    63

struct span {
	const char *p;
	size_t n;
};

struct url {
	struct span scheme, host, path, query;
	struct span tail; /* path, query and fragment: what follows the authority */
	bool authority;   /* "//" followed the scheme */
	bool fragment;    /* a '#' was present */
	bool ipv4, ipv6;  /* the host is an IP literal, held in ip (IPv4 as ::ffff:a.b.c.d) */
	bool wild_host;   /* patterns only: '*' in the host */
	bool any_port;    /* patterns only: ":*" */
	uint8_t ip[16];
	unsigned port; /* 0 when absent or the scheme's default */
};

struct param {
	struct span k, v; /* raw, still form-encoded */
};

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(int c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static int hex_val(int c)
{
	return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* RFC 3986 pchar (unreserved, sub-delims, ':' and '@', escapes) plus extra. */
static bool allowed(int c, const char *extra)
{
	return is_alpha(c) || is_digit(c) || (c && (strchr("-._~!$&'()*+,;=:@%", c) || strchr(extra, c)));
}

static bool span_chars(struct span s, const char *extra)
{
	for (size_t i = 0; i < s.n; i++)
		if (!allowed((unsigned char)s.p[i], extra))
			return false;
	return true;
}

static bool ci_eq(struct span a, struct span b)
{
	if (a.n != b.n)
		return false;
	for (size_t i = 0; i < a.n; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
			return false;
	return true;
}

static bool ci_is(struct span a, const char *s)
{
	return ci_eq(a, (struct span){s, strlen(s)});
}

/* Every byte may appear somewhere in a URI and every '%' starts an escape
 * other than %00; which byte may appear where is checked per component. */
static bool chars_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (n - i < 3 || !is_hex(s[i + 1]) || !is_hex(s[i + 2]) || (s[i + 1] == '0' && s[i + 2] == '0'))
				return false;
			i += 2;
		} else if (!allowed((unsigned char)s[i], "/?#[]")) {
			return false;
		}
	}
	return true;
}

/* A canonical dotted quad: four decimal parts without leading zeros. */
static bool parse_ipv4(struct span h, uint8_t ip[16])
{
	memset(ip, 0, 10);
	ip[10] = ip[11] = 0xff;
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0 && (i >= h.n || h.p[i++] != '.'))
			return false;
		size_t start = i;
		unsigned v = 0;
		while (i < h.n && is_digit(h.p[i]) && i - start < 3)
			v = v * 10 + (unsigned)(h.p[i++] - '0');
		if (i == start || v > 255 || (i - start > 1 && h.p[start] == '0'))
			return false;
		ip[12 + part] = (uint8_t)v;
	}
	return i == h.n;
}

/* WHATWG URL parsers read a host whose last label is a number (decimal, or
 * hex with 0x) as an IPv4 address in any of several spellings; we accept only
 * the dotted quad, so a host never means something other than what we read. */
static bool ends_in_number(struct span h)
{
	const char *dot = memrchr(h.p, '.', h.n);
	struct span last = dot ? (struct span){dot + 1, (size_t)(h.p + h.n - dot - 1)} : h;
	size_t i = 0;
	if (last.n >= 2 && last.p[0] == '0' && (last.p[1] | 0x20) == 'x') {
		for (i = 2; i < last.n && is_hex(last.p[i]); i++)
			;
		return i == last.n;
	}
	while (i < last.n && is_digit(last.p[i]))
		i++;
	return i == last.n;
}

/* A DNS name: dot-separated labels of letters, digits, '-' and '_', none
 * empty (so no leading or trailing dot); patterns may also hold '*'. */
static bool host_name_ok(struct span h, bool pattern, bool *wild)
{
	if (h.n > HOST_MAX)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < h.n; i++) {
		char c = h.p[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (c == '*' && pattern)
			*wild = true;
		else if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_')
			return false;
		if (++label > LABEL_MAX)
			return false;
	}
	return label > 0;
}

static bool parse_port(struct span p, bool pattern, struct url *u)
{
	if (pattern && p.n == 1 && p.p[0] == '*') {
		u->any_port = true;
		return true;
	}
	if (p.n == 0 || p.n > 5)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < p.n; i++) {
		if (!is_digit(p.p[i]))
			return false;
		v = v * 10 + (unsigned)(p.p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	u->port = v;
	return true;
}

/* "[" IPv6 "]": hex digits, ':' and '.' only (no zone), and it must hold a ':'
 * so that "[1.2.3.4]" is not taken for an address. */
static bool parse_ipv6(struct span h, struct url *u)
{
	struct span in = {h.p + 1, h.n - 2};
	if (in.n == 0 || in.n > 45 || !memchr(in.p, ':', in.n))
		return false;
	for (size_t i = 0; i < in.n; i++)
		if (!is_hex(in.p[i]) && in.p[i] != ':' && in.p[i] != '.')
			return false;
	u->ipv6 = true;
	return ip_parse(in.p, in.n, u->ip);
}

static bool parse_authority(struct span a, bool pattern, bool web, struct url *u)
{
	/* userinfo is how "https://good.com@evil.com" reaches evil.com */
	if (memchr(a.p, '@', a.n))
		return false;
	struct span host = a, port = {NULL, 0};
	bool has_port = false;
	if (a.n && a.p[0] == '[') {
		const char *close = memchr(a.p, ']', a.n);
		if (!close)
			return false;
		host = (struct span){a.p, (size_t)(close + 1 - a.p)};
		if (host.n < a.n) {
			if (close[1] != ':')
				return false;
			has_port = true;
			port = (struct span){close + 2, a.n - host.n - 1};
		}
		if (!parse_ipv6(host, u))
			return false;
	} else {
		const char *colon = memchr(a.p, ':', a.n);
		if (colon) {
			host.n = (size_t)(colon - a.p);
			has_port = true;
			port = (struct span){colon + 1, a.n - host.n - 1};
		}
		if (host.n == 0) {
			/* "myapp:///cb" is a native app's callback; a web URL needs a host */
			if (web || has_port)
				return false;
		} else if (!host_name_ok(host, pattern, &u->wild_host)) {
			return false;
		} else if (!u->wild_host && ends_in_number(host)) {
			if (!parse_ipv4(host, u->ip))
				return false;
			u->ipv4 = true;
		}
	}
	u->host = host;
	return !has_port || parse_port(port, pattern, u);
}

/* Steps through a path's segments after its leading '/': "" and "/" both
 * hold one empty segment, "/a/" holds "a" and "". */
struct segs {
	const char *p, *end;
	bool done;
};

static void segs_init(struct segs *it, struct span path)
{
	it->p = path.p;
	it->end = path.p + path.n;
	if (it->p < it->end && *it->p == '/')
		it->p++;
	it->done = false;
}

static bool segs_next(struct segs *it, struct span *seg)
{
	if (it->done)
		return false;
	const char *slash = memchr(it->p, '/', (size_t)(it->end - it->p));
	const char *e = slash ? slash : it->end;
	*seg = (struct span){it->p, (size_t)(e - it->p)};
	if (slash)
		it->p = slash + 1;
	else
		it->done = true;
	return true;
}

/* "." or "..", also spelt with %2e: a browser folds them away. */
static bool dot_segment(struct span s)
{
	size_t dots = 0;
	for (size_t i = 0; i < s.n; dots++) {
		if (s.p[i] == '.')
			i++;
		else if (s.n - i >= 3 && s.p[i] == '%' && s.p[i + 1] == '2' && (s.p[i + 2] | 0x20) == 'e')
			i += 3;
		else
			return false;
	}
	return dots == 1 || dots == 2;
}

/* A path that means the same to every reader: no empty segment but the last
 * ("//" in the middle), no dot segments, no escaped '/' or '\', and few
 * enough segments for the matcher's arrays. */
static bool path_ok(struct span p)
{
	if (!span_chars(p, "/"))
		return false;
	for (size_t i = 0; i + 2 < p.n; i++)
		if (p.p[i] == '%' && ((p.p[i + 1] == '2' && (p.p[i + 2] | 0x20) == 'f') ||
		                      (p.p[i + 1] == '5' && (p.p[i + 2] | 0x20) == 'c')))
			return false;
	struct segs it;
	struct span seg;
	size_t count = 0;
	segs_init(&it, p);
	while (segs_next(&it, &seg)) {
		if (++count > SEGMENTS_MAX || dot_segment(seg) || (seg.n == 0 && !it.done))
			return false;
	}
	return true;
}

static bool forbidden_scheme(struct span s)
{
	return ci_is(s, "javascript") || ci_is(s, "data") || ci_is(s, "vbscript");
}

/* scheme ":" ["//" authority] path ["?" query] ["#" fragment], strictly; in a
 * pattern '*' may also stand for host characters and for the port. */
static bool url_parse(const char *s, size_t n, bool pattern, struct url *u)
{
	memset(u, 0, sizeof *u);
	if (n == 0 || n > URI_MAX || !chars_ok(s, n) || !is_alpha(s[0]))
		return false;
	size_t i = 1;
	while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
		i++;
	if (i == n || s[i] != ':' || i > SCHEME_MAX)
		return false;
	u->scheme = (struct span){s, i};
	if (forbidden_scheme(u->scheme))
		return false;
	bool web = ci_is(u->scheme, "http") || ci_is(u->scheme, "https");
	const char *end = s + n, *hier = s + i + 1;

	const char *hash = memchr(hier, '#', (size_t)(end - hier));
	const char *body_end = hash ? hash : end;
	u->fragment = hash != NULL;
	/* chars_ok leaves the query and fragment only a second '#' to refuse */
	if (hash && memchr(hash + 1, '#', (size_t)(end - hash - 1)))
		return false;
	const char *q = memchr(hier, '?', (size_t)(body_end - hier));
	const char *hier_end = q ? q : body_end;
	if (q)
		u->query = (struct span){q + 1, (size_t)(body_end - q - 1)};

	if (hier_end - hier >= 2 && hier[0] == '/' && hier[1] == '/') {
		u->authority = true;
		const char *a = hier + 2;
		const char *slash = memchr(a, '/', (size_t)(hier_end - a));
		const char *a_end = slash ? slash : hier_end;
		if (!parse_authority((struct span){a, (size_t)(a_end - a)}, pattern, web, u))
			return false;
		u->path = (struct span){a_end, (size_t)(hier_end - a_end)};
	} else {
		/* "https:evil.com" has no authority: browsers guess one, we refuse */
		if (web || hier == hier_end)
			return false;
		u->path = (struct span){hier, (size_t)(hier_end - hier)};
	}
	u->tail = (struct span){u->path.p, (size_t)(end - u->path.p)};
	if (!path_ok(u->path))
		return false;
	if ((ci_is(u->scheme, "http") && u->port == 80) || (ci_is(u->scheme, "https") && u->port == 443))
		u->port = 0;
	return true;
}

/* One byte of a form-encoded query component: '+' is a space, %XX a byte.
 * chars_ok guarantees two hex digits after every '%', and those never cross
 * the '&' or '=' that ends a component. */
static unsigned char q_byte(const char **p)
{
	const char *s = *p;
	if (*s == '+') {
		*p = s + 1;
		return ' ';
	}
	if (*s == '%') {
		*p = s + 3;
		return (unsigned char)(hex_val(s[1]) << 4 | hex_val(s[2]));
	}
	*p = s + 1;
	return (unsigned char)*s;
}

/* One character of a decoded component as Go reads a string: a UTF-8
 * sequence, or U+FFFD for a byte that does not start a valid one. */
static uint32_t q_rune(const char **p, const char *end)
{
	unsigned char b = q_byte(p);
	if (b < 0x80)
		return b;
	int len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
	if (b < 0xc2 || b > 0xf4)
		return 0xfffd;
	uint32_t cp = b & (0x7fu >> len);
	const char *after_lead = *p;
	for (int k = 1; k < len; k++) {
		unsigned char c = *p < end ? q_byte(p) : 0;
		if ((c & 0xc0) != 0x80) {
			*p = after_lead;
			return 0xfffd;
		}
		cp = cp << 6 | (c & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff)) {
		*p = after_lead;
		return 0xfffd;
	}
	return cp;
}

/* Splits a query as Go's url.ParseQuery does: '&'-separated, empty pieces
 * skipped, a piece holding ';' refused, key and value split at the first
 * '='. Returns the count, or -1 when refused or over PARAMS_MAX. */
static int query_split(struct span q, struct param *out)
{
	int n = 0;
	if (!q.n) /* an absent query has no pointer: q.p + 0 would be arithmetic on NULL */
		return 0;
	const char *p = q.p, *end = q.p + q.n;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		if (e > p) {
			if (n == PARAMS_MAX || memchr(p, ';', (size_t)(e - p)))
				return -1;
			const char *eq = memchr(p, '=', (size_t)(e - p));
			out[n].k = (struct span){p, (size_t)((eq ? eq : e) - p)};
			out[n].v = eq ? (struct span){eq + 1, (size_t)(e - eq - 1)} : (struct span){e, 0};
			n++;
		}
		p = amp ? amp + 1 : end;
	}
	return n;
}

static bool key_eq(struct span a, struct span b)
{
	const char *p = a.p, *pe = a.p + a.n, *q = b.p, *qe = b.p + b.n;
	while (p < pe && q < qe)
		if (q_byte(&p) != q_byte(&q))
			return false;
	return p == pe && q == qe;
}

enum tok { TOK_NO, TOK_YES, TOK_BAD };

/* A character class after its '[': '^' negates, then ranges "a" or "a-z"
 * up to a ']' that is not first; '-' and ']' cannot be range ends (Go's
 * path.Match grammar, without its '\' escapes: '\' never gets past the
 * parser). */
static enum tok glob_class(const char **p, const char *pe, uint32_t c)
{
	bool neg = false, hit = false;
	const char *save = *p;
	if (*p < pe && q_rune(p, pe) == '^')
		neg = true;
	else
		*p = save;
	for (int ranges = 0;; ranges++) {
		if (*p >= pe)
			return TOK_BAD;
		uint32_t lo = q_rune(p, pe), hi = lo;
		if (lo == ']' && ranges > 0)
			break;
		if (lo == '-' || lo == ']' || *p >= pe)
			return TOK_BAD;
		save = *p;
		if (q_rune(p, pe) == '-') {
			if (*p >= pe)
				return TOK_BAD;
			hi = q_rune(p, pe);
			if (hi == '-' || hi == ']')
				return TOK_BAD;
		} else {
			*p = save;
		}
		hit = hit || (lo <= c && c <= hi);
	}
	return hit != neg && c != '/' ? TOK_YES : TOK_NO;
}

/* Whether the glob token starting with pc (its first character already read
 * from *p) matches character c. No token matches '/', which keeps the
 * last-star walk below exact while '*' may not cross a '/'. */
static enum tok glob_token(uint32_t pc, const char **p, const char *pe, uint32_t c)
{
	if (pc == '[')
		return glob_class(p, pe, c);
	if (pc == '?')
		return c != '/' ? TOK_YES : TOK_NO;
	return pc == c ? TOK_YES : TOK_NO;
}

static bool glob_valid(struct span pat)
{
	const char *p = pat.p, *pe = pat.p + pat.n;
	while (p < pe)
		if (glob_token(q_rune(&p, pe), &p, pe, 0) == TOK_BAD)
			return false;
	return true;
}

/* A decoded query value against a valid glob, as Go's path.Match: '*' any
 * run and '?' any one character, neither crossing '/'; [...] a class. */
static bool glob_query(struct span pat, struct span text)
{
	const char *p = pat.p, *pe = pat.p + pat.n, *t = text.p, *te = text.p + text.n;
	const char *star_p = NULL, *star_t = NULL;
	while (t < te) {
		const char *t_next = t, *p_next = p;
		uint32_t c = q_rune(&t_next, te);
		if (p < pe) {
			uint32_t pc = q_rune(&p_next, pe);
			if (pc == '*') {
				p = star_p = p_next;
				star_t = t;
				continue;
			}
			if (glob_token(pc, &p_next, pe, c) == TOK_YES) {
				p = p_next;
				t = t_next;
				continue;
			}
		}
		if (!star_p)
			return false;
		/* the last '*' takes one more character, but never a '/' */
		if (q_rune(&star_t, te) == '/')
			return false;
		t = star_t;
		p = star_p;
	}
	while (p < pe)
		if (q_rune(&p, pe) != '*')
			return false;
	return true;
}

static int next_with_key(const struct param *ps, int n, int after, struct span key)
{
	for (int i = after + 1; i < n; i++)
		if (key_eq(ps[i].k, key))
			return i;
	return -1;
}

static int distinct_keys(const struct param *ps, int n)
{
	int d = 0;
	for (int i = 0; i < n; i++)
		d += next_with_key(ps, i, -1, ps[i].k) < 0;
	return d;
}

/* The same keys, each with as many values, the values matched in order. */
static bool query_match(struct span pat, struct span q)
{
	struct param pp[PARAMS_MAX], qp[PARAMS_MAX];
	int pn = query_split(pat, pp), qn = query_split(q, qp);
	if (pn < 0 || qn < 0 || distinct_keys(pp, pn) != distinct_keys(qp, qn))
		return false;
	for (int i = 0; i < pn; i++) {
		if (next_with_key(pp, i, -1, pp[i].k) >= 0)
			continue; /* done with the key's first occurrence */
		int a = i, b = next_with_key(qp, qn, -1, pp[i].k);
		for (; a >= 0 && b >= 0; a = next_with_key(pp, pn, a, pp[i].k), b = next_with_key(qp, qn, b, pp[i].k))
			if (!glob_valid(pp[a].v) || !glob_query(pp[a].v, qp[b].v))
				return false;
		if (a >= 0 || b >= 0)
			return false;
	}
	return true;
}

/* '*' against any run of characters; the text is one validated host or one
 * path segment, so nothing it absorbs can be a delimiter. */
static bool glob_plain(struct span pat, struct span text, bool ci)
{
	size_t i = 0, j = 0, star = SIZE_MAX, mark = 0;
	while (j < text.n) {
		if (i < pat.n && pat.p[i] == '*') {
			star = ++i;
			mark = j;
		} else if (i < pat.n && (ci ? lower((unsigned char)pat.p[i]) == lower((unsigned char)text.p[j])
		                            : pat.p[i] == text.p[j])) {
			i++;
			j++;
		} else if (star != SIZE_MAX) {
			i = star;
			j = ++mark;
		} else {
			return false;
		}
	}
	while (i < pat.n && pat.p[i] == '*')
		i++;
	return i == pat.n;
}

static size_t path_split(struct span path, struct span *out)
{
	struct segs it;
	size_t n = 0;
	segs_init(&it, path);
	while (n < SEGMENTS_MAX && segs_next(&it, &out[n]))
		n++;
	return n;
}

static bool is_globstar(struct span s)
{
	return s.n == 2 && s.p[0] == '*' && s.p[1] == '*';
}

/* A pattern segment "*" is exactly one non-empty segment, "**" any number of
 * segments; elsewhere '*' is any run inside one segment; case matters. */
static bool segment_match(struct span pat, struct span seg)
{
	if (pat.n == 1 && pat.p[0] == '*')
		return seg.n > 0;
	return glob_plain(pat, seg, false);
}

static bool path_match(struct span pat, struct span path)
{
	struct span ps[SEGMENTS_MAX], ts[SEGMENTS_MAX];
	size_t pn = path_split(pat, ps), tn = path_split(path, ts);
	size_t i = 0, j = 0, star = SIZE_MAX, mark = 0;
	while (j < tn) {
		if (i < pn && is_globstar(ps[i])) {
			star = ++i;
			mark = j;
		} else if (i < pn && segment_match(ps[i], ts[j])) {
			i++;
			j++;
		} else if (star != SIZE_MAX) {
			i = star;
			j = ++mark;
		} else {
			return false;
		}
	}
	while (i < pn && is_globstar(ps[i]))
		i++;
	return i == pn;
}

static bool loopback_ip(const struct url *u)
{
	static const uint8_t v6[16] = {[15] = 1};
	return (u->ipv4 && u->ip[12] == 127) || (u->ipv6 && memcmp(u->ip, v6, sizeof v6) == 0);
}

static bool loopback_host(const struct url *u)
{
	static const char suffix[] = ".localhost";
	size_t k = sizeof suffix - 1;
	return loopback_ip(u) || ci_is(u->host, "localhost") ||
	       (u->host.n > k && ci_is((struct span){u->host.p + u->host.n - k, k}, suffix));
}

static bool host_eq(const struct url *a, const struct url *b)
{
	if (a->ipv6 || b->ipv6)
		return a->ipv6 && b->ipv6 && memcmp(a->ip, b->ip, sizeof a->ip) == 0;
	return ci_eq(a->host, b->host);
}

static bool rooted(const struct url *u)
{
	return u->authority || (u->path.n && u->path.p[0] == '/');
}

/* RFC 8252 §7.3: an http URI to a loopback IP literal matches a registered
 * one that differs only in its port, whatever the ports. */
static bool loopback_any_port(const struct url *p, const struct url *u)
{
	return loopback_ip(u) && ci_is(u->scheme, "http") && ci_is(p->scheme, "http") && p->authority &&
	       !p->wild_host && host_eq(p, u) && bytes_eq(p->tail.p, p->tail.n, u->tail.p, u->tail.n);
}

/* Pocket ID's wildcard rules, component by component; a pattern's fragment
 * is ignored (the URI has none). */
static bool components_match(const struct url *p, const struct url *u)
{
	if (!ci_eq(p->scheme, u->scheme) || p->authority != u->authority || rooted(p) != rooted(u))
		return false;
	if (p->authority) {
		if (p->wild_host ? !glob_plain(p->host, u->host, true) : !host_eq(p, u))
			return false;
		if (!p->any_port && p->port != u->port)
			return false;
	}
	return path_match(p->path, u->path) && query_match(p->query, u->query);
}

static bool pattern_matches(const char *pat, size_t pn, const struct url *u, const char *uri, size_t un)
{
	if (bytes_eq(pat, pn, uri, un) || (pn == 1 && pat[0] == '*'))
		return true;
	struct url p;
	if (!url_parse(pat, pn, true, &p))
		return false;
	if (loopback_any_port(&p, u) || components_match(&p, u))
		return true;
	/* a loopback request is tried again without its port, so that
	 * http://localhost/cb takes whatever port a native app was given */
	if (!u->port || !ci_is(u->scheme, "http") || !(loopback_ip(u) || ci_is(u->host, "localhost")))
		return false;
	struct url bare = *u;
	bare.port = 0;
	return components_match(&p, &bare);
}

bool oidc_redirect_pattern_valid(const char *pattern)
{
	if (!pattern)
		return false;
	size_t n = strnlen(pattern, PATTERN_MAX + 1);
	struct url u;
	if (n > PATTERN_MAX || !url_parse(pattern, n, true, &u) || u.fragment)
		return false;
	struct param ps[PARAMS_MAX];
	int pn = query_split(u.query, ps);
	if (pn < 0)
		return false;
	for (int i = 0; i < pn; i++)
		if (!glob_valid(ps[i].v))
			return false;
	return true;
}

bool oidc_redirect_match(const json_t *patterns, const char *uri, bool allow_insecure)
{
	if (!uri || !json_is_array(patterns))
		return false;
	size_t un = strnlen(uri, URI_MAX + 1);
	struct url u;
	/* RFC 6749 §3.1.2: a redirection endpoint has no fragment (fosite,
	 * which Pocket ID runs first, refuses one too) */
	if (!url_parse(uri, un, false, &u) || u.fragment)
		return false;
	if (ci_is(u.scheme, "http") && !loopback_host(&u) && !allow_insecure)
		return false;
	size_t i;
	json_t *v;
	json_array_foreach(patterns, i, v)
	{
		if (json_is_string(v) && pattern_matches(json_string_value(v), json_string_length(v), &u, uri, un))
			return true;
	}
	return false;
}
