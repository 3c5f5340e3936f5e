/*
 * dotenv.c - the .env file in the working directory, read the way Pocket ID's
 * loader reads it: KEY=VALUE or KEY: VALUE lines, optional `export `, # comments,
 * 'single' (literal) and "double" (escapes, $VAR / ${VAR}) quotes that may span
 * lines, and unquoted values with ` #` comments. Variables already in the
 * environment win over the file.
 *
 * Bounded: the file, each key and each value have maximum sizes; a line that
 * cannot be parsed is an error naming its line number, never silently skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define DOTENV_FILE_MAX  (64u * 1024u)
#define DOTENV_KEY_MAX   128u
#define DOTENV_VALUE_MAX (32u * 1024u)

struct out {
	char *buf;
	size_t n;
};

static bool push(struct out *o, const char *s, size_t n)
{
	if (n > DOTENV_VALUE_MAX - o->n)
		return false;
	memcpy(o->buf + o->n, s, n);
	o->n += n;
	return true;
}

static bool is_key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* $NAME or ${NAME} at *pp (which points at '$'); appends the expansion. */
static bool expand(const char **pp, const char *end, struct out *o)
{
	const char *p = *pp + 1;
	bool braced = p < end && *p == '{';
	p += braced;
	const char *name = p;
	while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
		p++;
	size_t len = (size_t)(p - name);
	if (braced && (p >= end || *p != '}'))
		return push(o, "$", 1) && (*pp += 1, true); /* not an expansion */
	if (len == 0 || len >= DOTENV_KEY_MAX)
		return push(o, "$", 1) && (*pp += 1, true);
	char key[DOTENV_KEY_MAX];
	memcpy(key, name, len);
	key[len] = '\0';
	const char *v = getenv(key);
	*pp = p + braced;
	return push(o, v ? v : "", v ? strlen(v) : 0);
}

static bool parse_double(const char **pp, const char *end, struct out *o)
{
	const char *p = *pp + 1;
	while (p < end && *p != '"') {
		if (*p == '\\' && p + 1 < end) {
			char c = p[1];
			const char *rep = c == 'n' ? "\n" : c == 'r' ? "\r" : c == 't' ? "\t" : NULL;
			if (!push(o, rep ? rep : &p[1], 1))
				return false;
			p += 2;
		} else if (*p == '$') {
			if (!expand(&p, end, o))
				return false;
		} else if (!push(o, p++, 1)) {
			return false;
		}
	}
	if (p >= end)
		return false; /* unterminated */
	*pp = p + 1;
	return true;
}

static bool parse_single(const char **pp, const char *end, struct out *o)
{
	const char *p = *pp + 1;
	const char *close = memchr(p, '\'', (size_t)(end - p));
	if (!close || !push(o, p, (size_t)(close - p)))
		return false;
	*pp = close + 1;
	return true;
}

static bool parse_bare(const char **pp, const char *end, struct out *o)
{
	const char *p = *pp;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	const char *stop = eol;
	for (const char *q = p; q < eol; q++)
		if (*q == '#' && (q == p || isspace((unsigned char)q[-1]))) {
			stop = q;
			break;
		}
	while (stop > p && isspace((unsigned char)stop[-1]))
		stop--;
	while (p < stop) {
		if (*p == '$') {
			if (!expand(&p, stop, o))
				return false;
		} else if (!push(o, p++, 1)) {
			return false;
		}
	}
	*pp = eol;
	return true;
}

static void line_error(char *err, size_t errlen, const char *start, const char *at, const char *what)
{
	int line = 1;
	for (const char *q = start; q < at; q++)
		line += *q == '\n';
	snprintf(err, errlen, ".env line %d: %s", line, what);
}

enum sy_err dotenv_parse(const char *text, size_t n, void (*set)(void *ctx, const char *key, const char *value),
                         void *ctx, char *err, size_t errlen)
{
	if (n > DOTENV_FILE_MAX) {
		snprintf(err, errlen, ".env is larger than 64 KiB");
		return SY_E_TOOBIG;
	}
	const char *p = text, *end = text + n;
	char *buf = sy_malloc(DOTENV_VALUE_MAX + 1);
	enum sy_err rc = SY_OK;
	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		if (*p == '#') {
			const char *eol = memchr(p, '\n', (size_t)(end - p));
			p = eol ? eol + 1 : end;
			continue;
		}
		if ((size_t)(end - p) > 7 && strncmp(p, "export ", 7) == 0)
			p += 7;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *key = p;
		while (p < end && is_key_char(*p))
			p++;
		size_t klen = (size_t)(p - key);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (klen == 0 || klen >= DOTENV_KEY_MAX || p >= end || (*p != '=' && *p != ':')) {
			line_error(err, errlen, text, key, "expected KEY=VALUE");
			rc = SY_E_INVALID;
			break;
		}
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		struct out o = {buf, 0};
		bool ok = p < end && *p == '"'    ? parse_double(&p, end, &o)
		          : p < end && *p == '\'' ? parse_single(&p, end, &o)
		                                  : parse_bare(&p, end, &o);
		if (!ok) {
			line_error(err, errlen, text, key, "unterminated quote or value too long");
			rc = SY_E_INVALID;
			break;
		}
		/* after a quoted value only blanks or a comment may follow */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p != '\n' && *p != '#' && *p != '\r') {
			line_error(err, errlen, text, key, "unexpected text after the value");
			rc = SY_E_INVALID;
			break;
		}
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		p = eol ? eol + 1 : end;
		buf[o.n] = '\0';
		if (memchr(buf, '\0', o.n)) {
			line_error(err, errlen, text, key, "value contains a NUL byte");
			rc = SY_E_INVALID;
			break;
		}
		char k[DOTENV_KEY_MAX];
		memcpy(k, key, klen);
		k[klen] = '\0';
		set(ctx, k, buf);
	}
	explicit_bzero(buf, DOTENV_VALUE_MAX + 1);
	free(buf);
	return rc;
}

static void set_env_keep(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	setenv(key, value, 0);
}

enum sy_err dotenv_load(const char *path, char *err, size_t errlen)
{
	char *text;
	size_t n;
	enum sy_err rc = file_read(path, DOTENV_FILE_MAX, &text, &n);
	if (rc == SY_E_IO && errno == ENOENT)
		return SY_OK;
	if (rc == SY_E_TOOBIG)
		snprintf(err, errlen, ".env is larger than 64 KiB");
	else if (rc)
		snprintf(err, errlen, "%s cannot be read: %s", path, strerror(errno));
	if (rc)
		return rc;
	rc = dotenv_parse(text, n, set_env_keep, NULL, err, errlen);
	explicit_bzero(text, n);
	free(text);
	return rc;
}
