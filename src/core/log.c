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

struct line {
	char buf[4096];
	size_t n;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof l->buf - 2 - l->n)
		n = sizeof l->buf - 2 - l->n; /* truncate; the newline is reserved */
	memcpy(l->buf + l->n, s, n);
	l->n += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* Quote a value for logfmt or JSON; control characters never reach the terminal. */
static void put_value(struct line *l, const char *v, bool force_quotes)
{
	bool quote = force_quotes || !*v || strpbrk(v, " =\"\\") != NULL;
	for (const char *p = v; *p && !quote; p++)
		quote = (unsigned char)*p < 0x20;
	if (quote)
		put(l, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		char esc[8];
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(l, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			int k = snprintf(esc, sizeof esc, "\\u%04x", *p);
			put(l, esc, (size_t)k);
		} else {
			put(l, (const char *)p, 1);
		}
	}
	if (quote)
		put(l, "\"", 1);
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
	if (as_json) {
		puts_(&l, "{\"time\":\"");
		puts_(&l, ts);
		puts_(&l, "\",\"level\":\"");
		puts_(&l, level_name(lvl));
		puts_(&l, "\",\"msg\":");
		put_value(&l, msg, true);
		for (; kv && kv[0]; kv += 2) {
			puts_(&l, ",");
			put_value(&l, kv[0], true);
			puts_(&l, ":");
			put_value(&l, kv[1] ? kv[1] : "", true);
		}
		puts_(&l, "}");
	} else {
		puts_(&l, "time=");
		puts_(&l, ts);
		puts_(&l, " level=");
		puts_(&l, level_name(lvl));
		puts_(&l, " msg=");
		put_value(&l, msg, false);
		for (; kv && kv[0]; kv += 2) {
			puts_(&l, " ");
			puts_(&l, kv[0]);
			puts_(&l, "=");
			put_value(&l, kv[1] ? kv[1] : "", false);
		}
	}
	l.buf[l.n++] = '\n';
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
