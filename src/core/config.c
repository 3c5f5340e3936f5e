/*
 * config.c - reads the environment through config_table into struct sy_config.
 *
 * Every failure produces exactly one line: the variable, what is wrong with the
 * value, and how to fix it. Secrets are never echoed back in those lines.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define FILE_VALUE_MAX (64u * 1024u)

static void *field(struct sy_config *c, const struct cfg_opt *o)
{
	return (char *)c + o->off;
}

static void fail(char *err, size_t errlen, const struct cfg_opt *o, const char *value, const char *problem,
                 const char *fix)
{
	if (value && !(o->flags & CFG_SECRET))
		snprintf(err, errlen, "config error: %s=\"%.80s\" %s; %s", o->name, value, problem, fix);
	else
		snprintf(err, errlen, "config error: %s %s; %s", o->name, problem, fix);
}

bool ip_parse(const char *s, size_t n, uint8_t out[16])
{
	char buf[64];
	if (n == 0 || n >= sizeof buf || memchr(s, '\0', n))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	struct in_addr v4;
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, buf, out) == 1;
}

void ip_format(const uint8_t addr[16], char *out, size_t outlen)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(addr, mapped, 12) == 0)
		inet_ntop(AF_INET, addr + 12, out, (socklen_t)outlen);
	else
		inet_ntop(AF_INET6, addr, out, (socklen_t)outlen);
}

static bool cidr_parse(const char *s, size_t n, struct cidr *out)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash ? (size_t)(slash - s) : n;
	if (!ip_parse(s, alen, out->addr))
		return false;
	bool v4 = memchr(s, ':', alen) == NULL;
	unsigned maxbits = v4 ? 32 : 128;
	unsigned bits = maxbits;
	if (slash) {
		char num[4];
		size_t k = n - alen - 1;
		if (k == 0 || k > 3)
			return false;
		memcpy(num, slash + 1, k);
		num[k] = '\0';
		long b;
		if (parse_long(num, 0, maxbits, &b))
			return false;
		bits = (unsigned)b;
	}
	out->bits = v4 ? bits + 96 : bits;
	return true;
}

bool cidr_list_contains(const struct cidr_list *l, const uint8_t addr[16])
{
	if (l->all)
		return true;
	for (size_t i = 0; i < l->n; i++) {
		const struct cidr *c = &l->v[i];
		unsigned full = c->bits / 8, rest = c->bits % 8;
		if (memcmp(c->addr, addr, full) != 0)
			continue;
		if (rest) {
			uint8_t mask = (uint8_t)(0xff << (8 - rest));
			if ((c->addr[full] & mask) != (addr[full] & mask))
				continue;
		}
		return true;
	}
	return false;
}

static bool parse_cidr_list(const char *v, struct cidr_list *l)
{
	const char *p = v;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *a = p;
		while (n && isspace((unsigned char)*a))
			a++, n--;
		while (n && isspace((unsigned char)a[n - 1]))
			n--;
		if (n) {
			l->v = sy_realloc(l->v, (l->n + 1) * sizeof *l->v);
			if (!cidr_parse(a, n, &l->v[l->n]))
				return false;
			l->n++;
		}
		p = end ? end + 1 : p + strlen(p);
	}
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	/* the spellings Go's strconv.ParseBool accepts, as Pocket ID reads them */
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, yes[i]) == 0)
			return *out = true, true;
		if (strcmp(v, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

/* scheme://host[:port] with an optional trailing slash; lower-cased in place. */
static const char *origin_problem(char *v)
{
	for (char *p = v; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t n = strlen(v);
	if (n && v[n - 1] == '/')
		v[--n] = '\0';
	const char *rest;
	if (strncmp(v, "https://", 8) == 0)
		rest = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		rest = v + 7;
	else
		return "is not an http:// or https:// URL";
	if (!*rest)
		return "has no host";
	if (strpbrk(rest, "/?#"))
		return "must not contain a path, query or fragment";
	if (strchr(rest, '@'))
		return "must not contain user information";
	for (const char *p = rest; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return "contains a space or a non-ASCII character";
	const char *port = rest[0] == '[' ? strstr(rest, "]:") : strrchr(rest, ':');
	if (rest[0] == '[' && !strchr(rest, ']'))
		return "has an unterminated IPv6 address";
	if (port) {
		long pn;
		if (parse_long(port + (rest[0] == '[' ? 2 : 1), 1, 65535, &pn))
			return "has an invalid port";
	}
	return NULL;
}

static char *read_value_file(const char *path, char *err, size_t errlen, const char *name)
{
	char *buf;
	size_t n;
	enum sy_err e = file_read(path, FILE_VALUE_MAX, &buf, &n);
	if (e == SY_E_TOOBIG) {
		snprintf(err, errlen,
		         "config error: %s_FILE=\"%.200s\" is larger than 64 KiB; it should hold only the value", name,
		         path);
		return NULL;
	}
	if (e) {
		snprintf(err, errlen,
		         "config error: %s_FILE=\"%.200s\" cannot be read; point it at an existing, readable file",
		         name, path);
		return NULL;
	}
	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	size_t start = 0;
	while (start < n && isspace((unsigned char)buf[start]))
		start++;
	memmove(buf, buf + start, n - start);
	buf[n - start] = '\0';
	return buf;
}

/* The raw value of an option: NAME, or the content of NAME_FILE; NULL when unset.
 * The result is heap-allocated; *failed reports an error already written to err. */
static char *raw_value(const struct cfg_opt *o, config_getenv_fn get, char *err, size_t errlen, bool *failed)
{
	const char *v = get(o->name);
	*failed = false;
	if (o->flags & CFG_FILE) {
		char fname[96];
		snprintf(fname, sizeof fname, "%s_FILE", o->name);
		const char *path = get(fname);
		if (path && *path) {
			if (v && *v) {
				snprintf(err, errlen, "config error: both %s and %s are set; set only one of them",
				         o->name, fname);
				*failed = true;
				return NULL;
			}
			char *content = read_value_file(path, err, errlen, o->name);
			*failed = content == NULL;
			return content;
		}
	}
	return v && *v ? sy_strdup(v) : NULL;
}

static bool set_one(struct sy_config *c, const struct cfg_opt *o, char *v, char *err, size_t errlen)
{
	void *f = field(c, o);
	char fix[200];
	switch (o->type) {
	case CFG_STRING: *(char **)f = v; return true;
	case CFG_BOOL:
		if (!parse_bool(v, f)) {
			fail(err, errlen, o, v, "is not a boolean", "use true or false");
			return false;
		}
		break;
	case CFG_INT: {
		long n;
		if (parse_long(v, o->min, o->max, &n)) {
			snprintf(fix, sizeof fix, "use a whole number from %ld to %ld", o->min, o->max);
			fail(err, errlen, o, v, "is not a valid number", fix);
			return false;
		}
		*(long *)f = n;
		break;
	}
	case CFG_OCTAL: {
		char *end;
		long n = strtol(v, &end, 8);
		if (!*v || *end || strspn(v, "01234567") != strlen(v) || n > o->max) {
			fail(err, errlen, o, v, "is not an octal file mode", "use a mode such as 0660");
			return false;
		}
		*(long *)f = n;
		break;
	}
	case CFG_ENUM: {
		const char *p = o->choices;
		while (*p) {
			size_t n = strcspn(p, "|");
			if (strlen(v) == n && strncasecmp(p, v, n) == 0) {
				memcpy(v, p, n); /* canonical spelling */
				*(char **)f = v;
				return true;
			}
			p += n + (p[n] == '|');
		}
		snprintf(fix, sizeof fix, "use one of: %s", o->choices);
		for (char *q = fix; *q; q++)
			if (*q == '|')
				*q = ',';
		fail(err, errlen, o, v, "is not an accepted value", fix);
		return false;
	}
	case CFG_ORIGIN: {
		const char *problem = origin_problem(v);
		if (problem) {
			fail(err, errlen, o, v, problem, "give the scheme and host only, e.g. https://id.example.com");
			return false;
		}
		*(char **)f = v;
		return true;
	}
	case CFG_KEY:
		if (strlen(v) < 16) {
			fail(err, errlen, o, NULL, "is shorter than 16 bytes",
			     "generate one with `openssl rand -base64 32`");
			return false;
		}
		*(char **)f = v;
		return true;
	case CFG_PROXIES:
	case CFG_CIDRS: {
		struct cidr_list *l = f;
		bool b;
		if (o->type == CFG_PROXIES && parse_bool(v, &b)) {
			l->all = b;
			break;
		}
		if (!parse_cidr_list(v, l)) {
			fail(err, errlen, o, v, "is not a list of IP addresses or CIDR ranges",
			     o->type == CFG_PROXIES ? "use true, false, or e.g. 10.0.0.0/8,172.16.0.1"
			                            : "use e.g. fd00::/8,2001:db8::/32");
			return false;
		}
		break;
	}
	}
	free(v);
	return true;
}

static bool cross_checks(struct sy_config *c, char *err, size_t errlen)
{
	if (!c->encryption_key) {
		snprintf(err, errlen,
		         "config error: ENCRYPTION_KEY is not set; generate one with "
		         "`openssl rand -base64 32` and set ENCRYPTION_KEY or ENCRYPTION_KEY_FILE");
		return false;
	}
	bool pp;
	if (c->proxy_protocol && !(parse_bool(c->proxy_protocol, &pp) && !pp)) {
		snprintf(err, errlen,
		         "config error: PROXY_PROTOCOL is not supported by Symbolon; unset it and "
		         "let the proxy send X-Forwarded-For, trusted through TRUST_PROXY");
		return false;
	}
	if (c->unix_socket && c->systemd_socket) {
		snprintf(err, errlen, "config error: UNIX_SOCKET and SYSTEMD_SOCKET are both set; use only one");
		return false;
	}
	if ((c->tls_cert || c->tls_key) && (c->tls_cert_file || c->tls_key_file)) {
		snprintf(err, errlen,
		         "config error: TLS_CERT/TLS_KEY and TLS_CERT_FILE/TLS_KEY_FILE are both set; "
		         "use either the inline or the file variables");
		return false;
	}
	if (!c->tls_cert != !c->tls_key || !c->tls_cert_file != !c->tls_key_file) {
		snprintf(err, errlen,
		         "config error: a TLS certificate needs its key and the key its certificate; "
		         "set both TLS_CERT and TLS_KEY (or both *_FILE variables)");
		return false;
	}
	if (c->static_api_key && strlen(c->static_api_key) < 16) {
		snprintf(err, errlen,
		         "config error: STATIC_API_KEY is shorter than 16 characters; use a long random value");
		return false;
	}
	if (!c->internal_app_url)
		c->internal_app_url = sy_strdup(c->app_url);
	return true;
}

enum sy_err config_load(struct sy_config *c, config_getenv_fn get, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->unix_socket_mode = -1;
	for (size_t i = 0; i < config_table_len; i++) {
		const struct cfg_opt *o = &config_table[i];
		bool failed;
		char *v = raw_value(o, get, err, errlen, &failed);
		if (failed)
			return SY_E_CONFIG;
		if (!v && o->def)
			v = sy_strdup(o->def);
		if (v && !set_one(c, o, v, err, errlen)) {
			free(v);
			return SY_E_CONFIG;
		}
	}
	return cross_checks(c, err, errlen) ? SY_OK : SY_E_CONFIG;
}

void config_free(struct sy_config *c)
{
	for (size_t i = 0; i < config_table_len; i++) {
		const struct cfg_opt *o = &config_table[i];
		void *f = field(c, o);
		switch (o->type) {
		case CFG_STRING:
		case CFG_ENUM:
		case CFG_ORIGIN:
		case CFG_KEY: {
			char **s = f;
			if (*s && (o->flags & CFG_SECRET))
				explicit_bzero(*s, strlen(*s));
			free(*s);
			*s = NULL;
			break;
		}
		case CFG_PROXIES:
		case CFG_CIDRS: free(((struct cidr_list *)f)->v); break;
		default: break;
		}
	}
}
