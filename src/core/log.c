/*
 * log.c - one line per event on stderr, as logfmt (time= level= msg= k=v) or JSON,
 * matching the shape of Pocket ID's structured logs. Each line is formatted into a
 * local buffer and written with a single write(2) so lines from pool threads never
 * interleave. Callers never pass secrets: tokens and keys are not logged.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

static enum log_level min_level = LOG_INFO;
static bool as_json;

void log_setup(enum log_level min, bool json)
{
	min_level = min;
	as_json = json;
}

bool log_enabled(enum log_level lvl)
{
	return lvl >= min_level;
}

static const char *level_name(enum log_level l)
{
	static const char *const n[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	return n[l];
}

#define LINE_MAX_BYTES  16384
#define VALUE_MAX_BYTES 1024 /* longer values are cut, so every field still fits */

struct line {
	char buf[LINE_MAX_BYTES];
	size_t n;
};

/* Room for the closing `"}` and the newline is always kept. */
static bool fits(const struct line *l, size_t n)
{
	return n <= sizeof l->buf - 4 - l->n;
}

static void put(struct line *l, const char *s, size_t n)
{
	if (fits(l, n)) {
		memcpy(l->buf + l->n, s, n);
		l->n += n;
	}
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* One value, quoted when needed, escaped so that nothing in it can start a new
 * line, end the quotes or (in JSON) break UTF-8 validity. A value that would not
 * fit whole is replaced, never cut in the middle. */
static void put_value(struct line *l, const char *v, bool force_quotes)
{
	char esc[VALUE_MAX_BYTES * 6 + 16];
	size_t e = 0, raw = strlen(v);
	bool cut = raw > VALUE_MAX_BYTES;
	bool quote = force_quotes || !*v || strpbrk(v, " =\"\\") != NULL;
	esc[e++] = '"';
	for (size_t i = 0; i < raw && i < VALUE_MAX_BYTES; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '"' || c == '\\') {
			esc[e++] = '\\';
			esc[e++] = (char)c;
		} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && as_json)) {
			e += (size_t)snprintf(esc + e, 7, "\\u%04x", c);
			quote = true;
		} else {
			esc[e++] = (char)c;
		}
	}
	if (cut)
		e += (size_t)snprintf(esc + e, 16, "...");
	esc[e++] = '"';
	const char *out = quote ? esc : esc + 1;
	size_t n = quote ? e : e - 2;
	if (!fits(l, n)) {
		out = "\"(too long to log)\"";
		n = strlen(out);
	}
	put(l, out, n);
}

/* ` key=value` or `,"key":value`, added whole or not at all, so a line is never
 * left with half a field (and a JSON line is always valid). */
static void add_field(struct line *l, const char *key, const char *value)
{
	struct line f = {.n = 0};
	puts_(&f, as_json ? "," : " ");
	if (as_json)
		put_value(&f, key, true);
	else
		puts_(&f, key);
	puts_(&f, as_json ? ":" : "=");
	put_value(&f, value, as_json);
	put(l, f.buf, f.n);
}

void log_kv(enum log_level lvl, const char *msg, const char *const *kv)
{
	if (!log_enabled(lvl))
		return;
	struct line l = {.n = 0};
	char ts[40];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t k = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + k, sizeof ts - k, ".%03ldZ", now.tv_nsec / 1000000);
	puts_(&l, as_json ? "{\"time\":\"" : "time=");
	puts_(&l, ts);
	puts_(&l, as_json ? "\",\"level\":\"" : " level=");
	puts_(&l, level_name(lvl));
	puts_(&l, as_json ? "\"" : "");
	add_field(&l, "msg", msg);
	for (; kv && kv[0]; kv += 2)
		add_field(&l, kv[0], kv[1] ? kv[1] : "");
	if (as_json)
		l.buf[l.n++] = '}'; /* fits() kept room for it */
	l.buf[l.n++] = '\n';        /* fits() kept room for it */
	ssize_t w = write(STDERR_FILENO, l.buf, l.n);
	(void)w; /* nowhere left to report a failing stderr */
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	if (!log_enabled(lvl))
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_kv(lvl, msg, NULL);
}
