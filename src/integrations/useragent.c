/*
 * useragent.c - a User-Agent header as the audit log's "device" string,
 * "<browser> on <system> <version>" ("Chrome on macOS 10.15").
 *
 * A User-Agent is whatever the client chose to send, so this is a small fixed
 * rule set rather than a general parser: a table of browser markers in order
 * of precedence (Edge and Opera also say "Chrome/", Chrome also says
 * "Safari/"), then the system in the order that keeps Android from being
 * called Linux and iOS from being called macOS. What is not recognised is named
 * by its first product token ("curl/8.4.0" -> "curl").
 *
 * Bounds: at most USERAGENT_SCAN_MAX bytes are read; the result is built only
 * from the fixed names below, version digits and a product token restricted to
 * [A-Za-z0-9._+-], so it is always ASCII and never longer than the caller's
 * buffer. Fuzzed by fuzz/fuzz_useragent.c.
 */
#include <stdio.h>
#include <string.h>

#include "integrations.h"

struct ua {
	const char *s;
	size_t n;
};

static const char *find(const struct ua *u, const char *needle)
{
	return memmem(u->s, u->n, needle, strlen(needle));
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '_' || c == '+' ||
	       c == '-';
}

/* Up to comps dot- or underscore-separated groups of digits starting at p, as
 * "a.b" into out (outlen >= 1). Each group keeps at most 5 digits and a group
 * that is only zeros beyond the first is still printed ("10.0"). */
static void read_version(const char *p, const char *end, unsigned comps, char *out, size_t outlen)
{
	size_t k = 0;
	out[0] = '\0';
	for (unsigned c = 0; c < comps && p < end && is_digit(*p); c++) {
		if (c > 0) {
			if (k + 1 >= outlen)
				break;
			out[k++] = '.';
		}
		unsigned digits = 0;
		while (p < end && is_digit(*p)) {
			if (digits < 5 && k + 1 < outlen)
				out[k++] = *p;
			digits++;
			p++;
		}
		if (p + 1 < end && (*p == '.' || *p == '_') && is_digit(p[1]))
			p++;
		else
			break;
	}
	if (k && out[k - 1] == '.')
		k--;
	out[k] = '\0';
}

/* The version that follows marker (and any spaces), e.g. "Android " -> "14". */
static void version_after(const struct ua *u, const char *marker, unsigned comps, char *out, size_t outlen)
{
	out[0] = '\0';
	const char *end = u->s + u->n, *p = find(u, marker);
	if (!p)
		return;
	p += strlen(marker);
	while (p < end && *p == ' ')
		p++;
	read_version(p, end, comps, out, outlen);
}

/* Windows reports its kernel version; people know the product names. Windows
 * 11 still says NT 10.0, so it is "Windows 10" here as in every parser that
 * relies on the User-Agent alone. */
static const struct {
	const char *nt, *name;
} WINDOWS[] = {
        {"10.0", "10"},   {"6.3", "8.1"}, {"6.2", "8"},  {"6.1", "7"},
        {"6.0", "Vista"}, {"5.2", "XP"},  {"5.1", "XP"}, {"5.0", "2000"},
};

struct os {
	const char *name;
	char version[16];
};

static void detect_os(const struct ua *u, struct os *os)
{
	os->name = NULL;
	os->version[0] = '\0';
	if (find(u, "Windows Phone")) {
		os->name = "Windows Phone";
		version_after(u, find(u, "Windows Phone OS") ? "Windows Phone OS" : "Windows Phone", 2, os->version,
		              sizeof os->version);
	} else if (find(u, "iPhone") || find(u, "iPad") || find(u, "iPod")) {
		/* "iPhone OS 17_4_1 like Mac OS X", "CPU OS 17_4 like Mac OS X" */
		os->name = "iOS";
		version_after(u, find(u, "iPhone OS") ? "iPhone OS" : "CPU OS", 2, os->version, sizeof os->version);
	} else if (find(u, "Android")) {
		os->name = "Android";
		version_after(u, "Android", 2, os->version, sizeof os->version);
	} else if (find(u, "Windows")) {
		os->name = "Windows";
		char nt[16];
		version_after(u, "Windows NT", 2, nt, sizeof nt);
		for (size_t i = 0; i < sizeof WINDOWS / sizeof WINDOWS[0]; i++)
			if (strcmp(nt, WINDOWS[i].nt) == 0) {
				snprintf(os->version, sizeof os->version, "%s", WINDOWS[i].name);
				break;
			}
	} else if (find(u, "CrOS")) {
		os->name = "ChromeOS";
	} else if (find(u, "Mac OS X") || find(u, "Macintosh")) {
		/* "Intel Mac OS X 10_15_7" (frozen there by every browser), "Mac OS X 10.15" */
		os->name = "macOS";
		version_after(u, "Mac OS X", 2, os->version, sizeof os->version);
	} else if (find(u, "FreeBSD")) {
		os->name = "FreeBSD";
	} else if (find(u, "OpenBSD")) {
		os->name = "OpenBSD";
	} else if (find(u, "NetBSD")) {
		os->name = "NetBSD";
	} else if (find(u, "Linux") || find(u, "X11")) {
		os->name = "Linux";
	}
}

/* Markers in order of precedence: the first one present names the browser. */
static const struct {
	const char *marker, *name;
} BROWSERS[] = {
        {"Googlebot", "Googlebot"},
        {"bingbot", "Bingbot"},
        {"HeadlessChrome/", "Headless Chrome"},
        {"EdgiOS/", "Edge"},
        {"EdgA/", "Edge"},
        {"Edg/", "Edge"},
        {"Edge/", "Edge"},
        {"Opera Mini/", "Opera Mini"},
        {"OPR/", "Opera"},
        {"OPiOS/", "Opera"},
        {"OPT/", "Opera"},
        {"SamsungBrowser/", "Samsung Internet"},
        {"YaBrowser/", "Yandex Browser"},
        {"Vivaldi/", "Vivaldi"},
        {"UCBrowser/", "UC Browser"},
        {"DuckDuckGo/", "DuckDuckGo"},
        {"FxiOS/", "Firefox"},
        {"CriOS/", "Chrome"},
        {"Firefox/", "Firefox"},
        {"MSIE ", "Internet Explorer"},
        {"Trident/", "Internet Explorer"},
        {"Chromium/", "Chromium"},
        {"Chrome/", "Chrome"},
        {"Safari/", "Safari"},
};

/* Product tokens that say nothing about which program it is. */
static bool generic_token(const char *t, size_t n)
{
	static const char *const GENERIC[] = {"Mozilla", "AppleWebKit", "KHTML", "Gecko",      "Version",
	                                      "Mobile",  "Safari",      "like",  "compatible", "U"};
	for (size_t i = 0; i < sizeof GENERIC / sizeof GENERIC[0]; i++)
		if (strlen(GENERIC[i]) == n && memcmp(GENERIC[i], t, n) == 0)
			return true;
	return false;
}

/* The first telling product token ("curl" of "curl/8.4.0"): outside
 * parentheses first, then a "name/version" inside them (crawlers put theirs
 * in a comment). Empty when there is none. */
static void product_token(const struct ua *u, char *out, size_t outlen)
{
	out[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		unsigned depth = 0;
		size_t i = 0;
		while (i < u->n) {
			char c = u->s[i];
			if (c == '(') {
				depth++;
				i++;
				continue;
			}
			if (c == ')') {
				if (depth)
					depth--;
				i++;
				continue;
			}
			if (!is_token_char(c)) {
				i++;
				continue;
			}
			size_t start = i;
			while (i < u->n && is_token_char(u->s[i]))
				i++;
			size_t len = i - start;
			bool slash = i < u->n && u->s[i] == '/';
			bool wanted = pass == 0 ? depth == 0 : depth > 0 && slash;
			/* a name starts with a letter: not "5.0", not "x64" bits of a version */
			char first = u->s[start];
			bool letter = (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z');
			if (wanted && letter && !generic_token(u->s + start, len)) {
				if (len > 32)
					len = 32;
				if (len >= outlen)
					len = outlen - 1;
				memcpy(out, u->s + start, len);
				out[len] = '\0';
				return;
			}
			/* skip the version after a '/', so that its digits and dots are
			 * not taken for the next token */
			if (slash) {
				i++;
				while (i < u->n && u->s[i] != ' ' && u->s[i] != '(' && u->s[i] != ')' && u->s[i] != ';')
					i++;
			}
		}
	}
}

void useragent_describe(const char *ua, size_t n, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	out[0] = '\0';
	if (!ua)
		return;
	if (n > USERAGENT_SCAN_MAX)
		n = USERAGENT_SCAN_MAX;
	const char *nul = memchr(ua, '\0', n);
	if (nul)
		n = (size_t)(nul - ua);
	while (n && (*ua == ' ' || *ua == '\t'))
		ua++, n--;
	while (n && (ua[n - 1] == ' ' || ua[n - 1] == '\t'))
		n--;
	if (n == 0)
		return;
	struct ua u = {ua, n};

	struct os os;
	detect_os(&u, &os);

	const char *name = NULL;
	char token[40];
	for (size_t i = 0; i < sizeof BROWSERS / sizeof BROWSERS[0] && !name; i++)
		if (find(&u, BROWSERS[i].marker))
			name = BROWSERS[i].name;
	if (name && strcmp(name, "Safari") == 0 && os.name && strcmp(os.name, "Android") == 0)
		name = "Android Browser"; /* the pre-Chrome stock browser: "Version/4.0 Mobile Safari/534.30" */
	/* an in-app web view on iOS names no browser, but it is Safari's engine */
	if (!name && os.name && strcmp(os.name, "iOS") == 0 && find(&u, "AppleWebKit/"))
		name = "Safari";
	if (!name) {
		product_token(&u, token, sizeof token);
		name = token[0] ? token : "Unknown";
	}

	if (os.name)
		snprintf(out, outlen, "%s on %s%s%s", name, os.name, os.version[0] ? " " : "", os.version);
	else
		snprintf(out, outlen, "%s", name);
}

const char *useragent_device(struct arena *a, const char *ua)
{
	char buf[USERAGENT_DEVICE_MAX];
	useragent_describe(ua, ua ? strnlen(ua, USERAGENT_SCAN_MAX) : 0, buf, sizeof buf);
	if (!buf[0])
		return "";
	char *s = arena_strdup(a, buf);
	return s ? s : "";
}
