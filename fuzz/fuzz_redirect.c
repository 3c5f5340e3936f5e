/*
 * fuzz_redirect.c - oidc_redirect_pattern_valid and oidc_redirect_match on
 * arbitrary patterns and redirect URIs.
 *
 * Input: "pattern\nuri" (without a newline the whole input is the pattern and
 * the URI is empty). Both are passed as NUL-terminated heap copies.
 * Checks: a match never happens for a URI with userinfo, a backslash, a
 * control character, a space, non-ASCII bytes or a fragment; a pattern whose
 * host has no wildcard only matches URIs with that host, and "*.<name>" only
 * hosts ending in ".<name>"; a valid pattern without a wildcard in its
 * authority matches itself (an insecure http one only when allowed); turning
 * ALLOW_INSECURE_CALLBACK_URLS off never adds a match; a valid pattern is at
 * most 2 KiB, has a scheme other than javascript:, data: and vbscript:, and no
 * fragment; a pattern matches the same URIs alone and after another pattern.
 */
#include <stdbool.h>
#include <strings.h>

#include "fuzz.h"

#include "oidc/oidc.h"

/* The authority of "scheme://authority...", found the simple way, as a
 * reference independent of the code under test; false when there is none. */
static bool authority_of(const char *s, const char **a, size_t *n)
{
	size_t i = 0;
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (i && s[i] >= '0' && s[i] <= '9') ||
	       (i && (s[i] == '+' || s[i] == '-' || s[i] == '.')))
		i++;
	if (i == 0 || strncmp(s + i, "://", 3) != 0)
		return false;
	*a = s + i + 3;
	*n = strcspn(*a, "/?#");
	return true;
}

/* The host of an authority without brackets: up to the port. */
static size_t host_len(const char *a, size_t n)
{
	const char *colon = memchr(a, ':', n);
	return colon ? (size_t)(colon - a) : n;
}

static bool match_one(const char *pattern, const char *uri, bool insecure)
{
	json_t *arr = json_array();
	json_array_append_new(arr, json_string_nocheck(pattern));
	bool ok = oidc_redirect_match(arr, uri, insecure);
	json_decref(arr);
	return ok;
}

static void check_matched_uri(const char *uri)
{
	for (const unsigned char *p = (const unsigned char *)uri; *p; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f && *p != '\\' && *p != '#');
	const char *a;
	size_t an;
	if (authority_of(uri, &a, &an))
		FUZZ_CHECK(!memchr(a, '@', an) && !memchr(a, '%', an));
}

/* What a match says about the host, when the pattern's authority is plain. */
static void check_host(const char *pattern, const char *uri)
{
	const char *pa, *ua;
	size_t pn, un;
	if (strcmp(pattern, "*") == 0 || !authority_of(pattern, &pa, &pn))
		return;
	FUZZ_CHECK(authority_of(uri, &ua, &un));
	if (pn == 0 || pa[0] == '[' || un == 0 || ua[0] == '[')
		return;
	size_t ph = host_len(pa, pn), uh = host_len(ua, un);
	const char *star = memchr(pa, '*', ph);
	if (!star) {
		FUZZ_CHECK(ph == uh && strncasecmp(pa, ua, ph) == 0);
	} else if (star == pa && ph > 2 && pa[1] == '.' && !memchr(pa + 1, '*', ph - 1)) {
		/* "*.<name>": the URI's host ends in ".<name>" and has a label before it */
		FUZZ_CHECK(uh > ph - 1 && strncasecmp(ua + uh - (ph - 1), pa + 1, ph - 1) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *pattern;
	const uint8_t *rest;
	size_t restn;
	fuzz_first_line(data, size, &pattern, &rest, &restn);
	char *uri = fuzz_strndup(rest, restn);

	bool valid = oidc_redirect_pattern_valid(pattern);
	(void)oidc_redirect_pattern_valid(uri);
	if (valid) {
		FUZZ_CHECK(strlen(pattern) <= 2048);
		FUZZ_CHECK(!strchr(pattern, '#') && strcmp(pattern, "*") != 0);
		FUZZ_CHECK(strncasecmp(pattern, "javascript:", 11) && strncasecmp(pattern, "data:", 5) &&
		           strncasecmp(pattern, "vbscript:", 9));
		for (const unsigned char *p = (const unsigned char *)pattern; *p; p++)
			FUZZ_CHECK(*p > 0x20 && *p < 0x7f);
		FUZZ_CHECK(strchr(pattern, ':'));

		/* a pattern without a wildcard in its authority matches itself */
		const char *a;
		size_t an;
		bool plain = !authority_of(pattern, &a, &an) || !memchr(a, '*', an);
		bool http = strncasecmp(pattern, "http:", 5) == 0;
		if (plain)
			FUZZ_CHECK(match_one(pattern, pattern, true));
		if (plain && !http)
			FUZZ_CHECK(match_one(pattern, pattern, false));
	}

	bool secure = match_one(pattern, uri, false), any = match_one(pattern, uri, true);
	FUZZ_CHECK(!secure || any);
	if (any) {
		check_matched_uri(uri);
		check_host(pattern, uri);

		/* any pattern of the list may match */
		json_t *two = json_array();
		json_array_append_new(two, json_string("https://fuzz.invalid/never"));
		json_array_append_new(two, json_string_nocheck(pattern));
		FUZZ_CHECK(oidc_redirect_match(two, uri, true));
		json_decref(two);
	}

	free(uri);
	free(pattern);
	return 0;
}
