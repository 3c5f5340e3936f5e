/* test_redirect.c - callback URL patterns (reference §2.14, checklist 55-58). */
#include "test_util.h"

#include <time.h>

#include "oidc/oidc.h"

/* Whether uri matches the one pattern, with ALLOW_INSECURE_CALLBACK_URLS as given. */

/* Writes s at buf + at, checked against the buffer's capacity. */
static void put(char *buf, size_t cap, size_t at, const char *s)
{
	size_t n = strlen(s);
	assert_true(at + n < cap);
	memcpy(buf + at, s, n + 1);
}

static bool match_one(const char *pattern, const char *uri, bool insecure)
{
	json_t *a = json_array();
	json_array_append_new(a, json_string(pattern));
	bool ok = oidc_redirect_match(a, uri, insecure);
	json_decref(a);
	return ok;
}

static bool m(const char *pattern, const char *uri)
{
	return match_one(pattern, uri, true);
}

static void exact_match(void **state)
{
	(void)state;
	assert_true(m("https://app.example.com/auth/callback", "https://app.example.com/auth/callback"));
	assert_true(m("https://app.example.com/cb?mode=a&x=1", "https://app.example.com/cb?mode=a&x=1"));
	assert_true(m("com.example.app:/oauth2redirect", "com.example.app:/oauth2redirect"));
	assert_true(m("myapp://callback", "myapp://callback"));
	assert_true(m("myapp:///callback", "myapp:///callback"));
	assert_true(m("urn:ietf:wg:oauth:2.0:oob", "urn:ietf:wg:oauth:2.0:oob"));
	/* scheme and host compare without case, the path with it */
	assert_true(m("https://App.Example.com/cb", "HTTPS://app.example.COM/cb"));
	assert_false(m("https://app.example.com/cb", "https://app.example.com/CB"));
	assert_false(m("https://app.example.com/Cb", "https://app.example.com/cb"));
	/* a default port is no port */
	assert_true(m("https://app.example.com/cb", "https://app.example.com:443/cb"));
	assert_true(m("https://app.example.com:443/cb", "https://app.example.com/cb"));
	assert_true(m("http://app.example.com/cb", "http://app.example.com:80/cb"));
	assert_false(m("https://app.example.com/cb", "https://app.example.com:8443/cb"));
	assert_false(m("https://app.example.com:8443/cb", "https://app.example.com/cb"));
	assert_false(m("https://app.example.com/cb", "https://app.example.com:80/cb"));
	/* the other parts must be equal */
	assert_false(m("https://app.example.com/cb", "https://app.example.com/cb/"));
	assert_false(m("https://app.example.com/cb/", "https://app.example.com/cb"));
	assert_false(m("https://app.example.com/cb", "https://app.example.com/cb2"));
	assert_false(m("https://app.example.com/cb", "https://app.example.com/c"));
	assert_false(m("https://app.example.com/cb", "http://app.example.com/cb"));
	assert_false(m("http://app.example.com/cb", "https://app.example.com/cb"));
	assert_false(m("https://app.example.com/cb", "https://app.example.org/cb"));
	assert_false(m("https://app.example.com/cb", "https://example.com/cb"));
	assert_false(m("myapp://callback", "myapp://callback2"));
	assert_false(m("myapp://callback", "otherapp://callback"));
	assert_false(m("com.example.app:/cb", "com.example.app:cb"));
	/* an empty path is "/" for a URL with a host */
	assert_true(m("https://app.example.com", "https://app.example.com/"));
	assert_true(m("https://app.example.com/", "https://app.example.com"));
	/* IPv6 literals compare as addresses */
	assert_true(m("https://[2001:db8::1]/cb", "https://[2001:DB8:0:0:0:0:0:1]/cb"));
	assert_false(m("https://[2001:db8::1]/cb", "https://[2001:db8::2]/cb"));
	/* ':' is literal in the path, never a parameter */
	assert_true(m("https://app.example.com/cb/:id", "https://app.example.com/cb/:id"));
	assert_false(m("https://app.example.com/cb/:id", "https://app.example.com/cb/42"));
}

/* RFC 8252 §7.3: a loopback IP literal over http takes any port. */
static void loopback_any_port(void **state)
{
	(void)state;
	/* checklist 57 */
	assert_true(m("http://127.0.0.1/cb", "http://127.0.0.1:53211/cb"));
	assert_true(m("http://127.0.0.1:8080/cb", "http://127.0.0.1:53211/cb"));
	assert_true(m("http://127.0.0.1:8080/cb", "http://127.0.0.1/cb"));
	assert_true(m("http://127.0.0.1:8080/cb?x=1", "http://127.0.0.1:9/cb?x=1"));
	assert_true(m("http://[::1]/cb", "http://[::1]:40000/cb"));
	assert_true(m("http://[::1]:1/cb", "http://[0:0:0:0:0:0:0:1]:2/cb"));
	assert_true(m("http://127.5.6.7/cb", "http://127.5.6.7:1234/cb"));
	/* the rest must still be equal */
	assert_false(m("http://127.0.0.1/cb", "http://127.0.0.1:53211/cb2"));
	assert_false(m("http://127.0.0.1/cb", "http://127.0.0.2:53211/cb"));
	assert_false(m("http://127.0.0.1:8080/cb?x=1", "http://127.0.0.1:9/cb?x=2"));
	assert_false(m("http://[::1]/cb", "http://127.0.0.1:40000/cb"));
	/* only http: https keeps its port */
	assert_false(m("https://127.0.0.1/cb", "https://127.0.0.1:53211/cb"));
	assert_false(m("https://127.0.0.1:8080/cb", "https://127.0.0.1:53211/cb"));
	/* only loopback addresses */
	assert_false(m("http://10.0.0.1/cb", "http://10.0.0.1:53211/cb"));
	assert_false(m("http://[::2]/cb", "http://[::2]:53211/cb"));
	assert_false(m("http://[::ffff:127.0.0.1]/cb", "http://[::ffff:127.0.0.1]:5/cb"));
	/* "localhost" is not an IP literal: it takes any port only when registered without one */
	assert_true(m("http://localhost/cb", "http://localhost:3000/cb"));
	assert_true(m("http://localhost/cb/*", "http://localhost:3000/cb/x"));
	assert_false(m("http://localhost:8080/cb", "http://localhost:3000/cb"));
	assert_false(m("http://app.localhost/cb", "http://app.localhost:3000/cb"));
	assert_false(m("https://localhost/cb", "https://localhost:3000/cb"));
}

static void star_alone(void **state)
{
	(void)state;
	assert_true(m("*", "https://anything.example/at/all?x=1"));
	assert_true(m("*", "myapp://cb"));
	assert_true(m("*", "http://127.0.0.1:1/cb"));
	/* but only a URI that parses, and insecure http only when allowed */
	assert_false(m("*", "https://good.com@evil.com/"));
	assert_false(m("*", "javascript:alert(1)"));
	assert_false(m("*", "/relative"));
	assert_false(m("*", ""));
	assert_false(match_one("*", "http://example.com/cb", false));
	assert_true(match_one("*", "http://localhost:5/cb", false));
	/* "*" is whole: anywhere else it is a wildcard of one component only */
	assert_false(m("*/cb", "https://a.com/cb"));
	assert_false(m("**", "https://a.com/cb"));
}

static void fragments(void **state)
{
	(void)state;
	/* a pattern's fragment is ignored */
	assert_true(m("https://app.example.com/cb#frag", "https://app.example.com/cb"));
	assert_true(m("https://app.example.com/cb?x=*#frag", "https://app.example.com/cb?x=1"));
	/* a redirect URI with a fragment is refused (RFC 6749 §3.1.2), even when equal */
	assert_false(m("https://app.example.com/cb#frag", "https://app.example.com/cb#frag"));
	assert_false(m("https://app.example.com/cb", "https://app.example.com/cb#frag"));
	assert_false(m("https://app.example.com/cb", "https://app.example.com/cb#"));
	assert_false(m("https://app.example.com/**", "https://app.example.com/cb#x"));
}

static void query_rules(void **state)
{
	(void)state;
	/* same keys, same number of values, each value a glob */
	assert_true(m("https://a.com/cb?x=*", "https://a.com/cb?x=9"));
	assert_true(m("https://a.com/cb?x=*", "https://a.com/cb?x="));
	assert_true(m("https://a.com/cb?x=*", "https://a.com/cb?x"));
	assert_true(m("https://a.com/cb?x=*&y=2", "https://a.com/cb?y=2&x=1"));
	assert_true(m("https://a.com/cb?x=1&x=*", "https://a.com/cb?x=1&x=2"));
	assert_false(m("https://a.com/cb?x=1&x=*", "https://a.com/cb?x=2&x=1"));
	assert_false(m("https://a.com/cb?x=*", "https://a.com/cb?x=1&x=2"));
	assert_false(m("https://a.com/cb?x=*&x=*", "https://a.com/cb?x=1"));
	assert_false(m("https://a.com/cb?x=*", "https://a.com/cb?x=1&y=2"));
	assert_false(m("https://a.com/cb?x=*&y=*", "https://a.com/cb?x=1"));
	assert_false(m("https://a.com/cb?x=*", "https://a.com/cb?y=1"));
	assert_false(m("https://a.com/cb?x=*", "https://a.com/cb"));
	assert_false(m("https://a.com/cb", "https://a.com/cb?x=1"));
	assert_false(m("https://a.com/cb/*", "https://a.com/cb/a?x=1"));
	assert_true(m("https://a.com/cb", "https://a.com/cb?"));
	assert_true(m("https://a.com/cb?", "https://a.com/cb"));
	/* empty pieces count for nothing; ';' is not a separator (the query is refused) */
	assert_true(m("https://a.com/cb?x=*", "https://a.com/cb?&x=1&"));
	assert_false(m("https://a.com/cb?x=*", "https://a.com/cb?x=1;y=2"));
	/* '?' is one character, [...] a class, [^...] its complement */
	assert_true(m("https://a.com/cb?v=a?c", "https://a.com/cb?v=abc"));
	assert_false(m("https://a.com/cb?v=a?c", "https://a.com/cb?v=ac"));
	assert_false(m("https://a.com/cb?v=a?c", "https://a.com/cb?v=abbc"));
	assert_true(m("https://a.com/cb?v=[a-c]1", "https://a.com/cb?v=b1"));
	assert_false(m("https://a.com/cb?v=[a-c]1", "https://a.com/cb?v=d1"));
	assert_true(m("https://a.com/cb?v=[%5Ea-c]1", "https://a.com/cb?v=d1"));
	assert_false(m("https://a.com/cb?v=[%5Ea-c]1", "https://a.com/cb?v=a1"));
	assert_true(m("https://a.com/cb?v=[xyz]", "https://a.com/cb?v=y"));
	assert_true(m("https://a.com/cb?v=*-*", "https://a.com/cb?v=ab-cd"));
	assert_false(m("https://a.com/cb?v=*-*", "https://a.com/cb?v=abcd"));
	/* '?' is one character, not one byte: "é" is two bytes */
	assert_true(m("https://a.com/cb?v=?", "https://a.com/cb?v=%C3%A9"));
	assert_false(m("https://a.com/cb?v=??", "https://a.com/cb?v=%C3%A9"));
	assert_true(m("https://a.com/cb?v=?", "https://a.com/cb?v=%F0%9F%94%91"));
	/* a byte that starts no valid UTF-8 sequence is a character by itself, as in Go */
	static const struct {
		const char *value;
		int chars;
	} odd[] = {
	        {"%C0%80", 2},                            /* overlong */
	        {"%E0%80%80", 3},                         /* overlong */
	        {"%ED%A0%80", 3},                         /* a surrogate */
	        {"%F0%80%80%80", 4}, {"%F4%90%80%80", 4}, /* past U+10FFFF */
	        {"%F5%80", 2},       {"%80", 1},          {"%C3", 1}, {"%C3x", 2},
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		char uri[64], pat[64];
		snprintf(uri, sizeof uri, "https://a.com/cb?v=%s", odd[i].value);
		for (int k = 1; k <= 4; k++) {
			snprintf(pat, sizeof pat, "https://a.com/cb?v=%.*s", k, "????");
			if (m(pat, uri) != (k == odd[i].chars))
				fail_msg("%s against %s", pat, uri);
		}
	}
	/* wildcards do not cross '/', as Go's path.Match */
	assert_false(m("https://a.com/cb?next=*", "https://a.com/cb?next=%2Fadmin"));
	assert_false(m("https://a.com/cb?next=*", "https://a.com/cb?next=a/b"));
	assert_false(m("https://a.com/cb?next=?", "https://a.com/cb?next=/"));
	assert_true(m("https://a.com/cb?next=/*", "https://a.com/cb?next=/admin"));
	assert_true(m("https://a.com/cb?next=*/*", "https://a.com/cb?next=x/admin"));
	/* keys and values are compared decoded */
	assert_true(m("https://a.com/cb?a+b=c%20d", "https://a.com/cb?a%20b=c+d"));
	assert_true(m("https://a.com/cb?k=%41", "https://a.com/cb?k=A"));
	assert_false(m("https://a.com/cb?k=a", "https://a.com/cb?k=A"));
	assert_false(m("https://a.com/cb?K=a", "https://a.com/cb?k=a"));
	/* a malformed class never matches */
	assert_false(m("https://a.com/cb?v=[a", "https://a.com/cb?v=a"));
	assert_false(m("https://a.com/cb?v=[]a]", "https://a.com/cb?v=a"));
}

static void host_wildcards(void **state)
{
	(void)state;
	assert_true(m("https://*.example.com/cb", "https://a.example.com/cb"));
	assert_true(m("https://*.example.com/cb", "https://A.Example.COM/cb"));
	assert_true(m("https://*.example.com/cb", "https://a.b.example.com/cb"));
	assert_true(m("https://pr-*.preview.example.com/cb", "https://pr-42.preview.example.com/cb"));
	assert_true(m("https://*/cb", "https://anything.test/cb"));
	assert_false(m("https://*.example.com/cb", "https://example.com/cb"));
	assert_false(m("https://*.example.com/cb", "https://aexample.com/cb"));
	assert_false(m("https://*.example.com/cb", "https://a.example.com.evil.com/cb"));
	assert_false(m("https://*.example.com/cb", "https://example.com.evil.com/cb"));
	assert_false(m("https://*.example.com/cb", "https://evil.com/.example.com/cb"));
	assert_false(m("https://*.example.com/cb", "https://evil.com?.example.com/cb"));
	assert_false(m("https://*.example.com/cb", "https://evil.com#.example.com/cb"));
	assert_false(m("https://*.example.com/cb", "https://a.example.com@evil.com/cb"));
	assert_false(m("https://*.example.com/cb", "https://evil.com\\.example.com/cb"));
	assert_false(m("https://*.example.com/cb", "https://evil.com%2f.example.com/cb"));
	assert_false(m("https://*.example.com/cb", "https://a.example.com/cb2"));
	assert_false(m("https://*.example.com/cb", "https://a.example.com:8443/cb"));
	assert_false(m("https://*.example.com/cb", "http://a.example.com/cb"));
	/* '*' in a URI's host is not a wildcard: such a host is refused */
	assert_false(m("https://*.example.com/cb", "https://*.example.com/cb"));
}

static void port_wildcards(void **state)
{
	(void)state;
	assert_true(m("http://localhost:*/cb", "http://localhost:1/cb"));
	assert_true(m("http://localhost:*/cb", "http://localhost:65535/cb"));
	assert_true(m("http://localhost:*/cb", "http://localhost/cb"));
	assert_true(m("https://app.example.com:*/cb", "https://app.example.com:8443/cb"));
	assert_false(m("http://localhost:*/cb", "http://localhost:3000/other"));
	assert_false(m("http://localhost:*/cb", "http://127.0.0.1:3000/cb"));
	assert_false(m("https://app.example.com:*/cb", "https://evil.com:8443/cb"));
	/* out of range or malformed ports never match */
	assert_false(m("http://localhost:*/cb", "http://localhost:65536/cb"));
	assert_false(m("http://localhost:*/cb", "http://localhost:0/cb"));
	assert_false(m("http://localhost:*/cb", "http://localhost:/cb"));
	assert_false(m("http://localhost:*/cb", "http://localhost:80a/cb"));
	assert_false(m("http://localhost:*/cb", "http://localhost:1:2/cb"));
}

static void path_wildcards(void **state)
{
	(void)state;
	/* '*' is exactly one (non-empty) segment */
	assert_true(m("https://a.com/cb/*", "https://a.com/cb/x"));
	assert_true(m("https://a.com/*/cb", "https://a.com/tenant1/cb"));
	assert_false(m("https://a.com/cb/*", "https://a.com/cb/x/y"));
	assert_false(m("https://a.com/cb/*", "https://a.com/cb/"));
	assert_false(m("https://a.com/cb/*", "https://a.com/cb"));
	assert_false(m("https://a.com/*/cb", "https://a.com/a/b/cb"));
	/* '**' is any number of segments, none included */
	assert_true(m("https://a.com/cb/**", "https://a.com/cb"));
	assert_true(m("https://a.com/cb/**", "https://a.com/cb/"));
	assert_true(m("https://a.com/cb/**", "https://a.com/cb/1/2/3"));
	assert_true(m("https://a.com/**/cb", "https://a.com/cb"));
	assert_true(m("https://a.com/**/cb", "https://a.com/x/y/cb"));
	assert_true(m("https://a.com/**", "https://a.com/"));
	assert_true(m("https://a.com/**/x/**/y", "https://a.com/1/x/2/x/3/y"));
	assert_false(m("https://a.com/**/cb", "https://a.com/x/y/cb2"));
	assert_false(m("https://a.com/cb/**", "https://a.com/cbx/1"));
	assert_false(m("https://a.com/**/x/**/y", "https://a.com/1/x/2/y/3"));
	/* inside a segment '*' is any run */
	assert_true(m("https://a.com/cb-*", "https://a.com/cb-1"));
	assert_true(m("https://a.com/cb-*", "https://a.com/cb-"));
	assert_false(m("https://a.com/cb-*", "https://a.com/cb-1/2"));
	assert_false(m("https://a.com/cb-*", "https://a.com/CB-1"));
	/* a native app's path */
	assert_true(m("com.example.app:/oauth/*", "com.example.app:/oauth/cb"));
	assert_false(m("com.example.app:/oauth/*", "com.example.other:/oauth/cb"));
}

/* checklist 56 */
static void checklist_wildcard_callbacks(void **state)
{
	(void)state;
	const char *p = "https://*.ex.com/cb/**?x=*";
	assert_true(oidc_redirect_pattern_valid(p));
	assert_true(m(p, "https://a.ex.com/cb/1/2?x=9"));
	assert_false(m(p, "https://ex.com/cb"));
	assert_false(m(p, "https://a.ex.com/cb/1/2"));
	assert_false(m(p, "https://a.ex.com/cb/1/2?x=9&y=1"));
	assert_false(m(p, "https://a.ex.com/other?x=9"));
}

/* checklist 58: ALLOW_INSECURE_CALLBACK_URLS */
static void insecure_flag(void **state)
{
	(void)state;
	assert_false(match_one("http://example.com/cb", "http://example.com/cb", false));
	assert_true(match_one("http://example.com/cb", "http://example.com/cb", true));
	assert_false(match_one("http://*.example.com/cb", "http://a.example.com/cb", false));
	assert_false(match_one("http://10.0.0.1/cb", "http://10.0.0.1/cb", false));
	/* loopback stays allowed */
	assert_true(match_one("http://localhost/cb", "http://localhost/cb", false));
	assert_true(match_one("http://localhost/cb", "http://localhost:3000/cb", false));
	assert_true(match_one("http://LOCALHOST/cb", "http://localhost/cb", false));
	assert_true(match_one("http://nextcloud.localhost/auth/callback", "http://nextcloud.localhost/auth/callback",
	                      false));
	assert_true(match_one("http://127.0.0.1/cb", "http://127.0.0.1:53211/cb", false));
	assert_true(match_one("http://127.9.9.9/cb", "http://127.9.9.9/cb", false));
	assert_true(match_one("http://[::1]/cb", "http://[::1]:8080/cb", false));
	/* but not names that merely contain it */
	assert_false(match_one("http://localhost.evil.com/cb", "http://localhost.evil.com/cb", false));
	assert_false(match_one("http://evillocalhost/cb", "http://evillocalhost/cb", false));
	assert_false(match_one("http://128.0.0.1/cb", "http://128.0.0.1/cb", false));
	/* https and native apps are not affected */
	assert_true(match_one("https://example.com/cb", "https://example.com/cb", false));
	assert_true(match_one("myapp://cb", "myapp://cb", false));
}

/* What the parser refuses never matches, even an equal string. */
static void strict_refusals(void **state)
{
	(void)state;
	static const char *const bad[] = {
	        "https://user@a.com/cb",
	        "https://user:pw@a.com/cb",
	        "https://@a.com/cb",
	        "https://a.com\\cb",
	        "https://a.com/c\\b",
	        "https://a.com/c b",
	        "https://a.com/cb\t",
	        "https://a.com/cb\x7f",
	        "https://a.com/c\"b",
	        "https://a.com/c<b",
	        "https://a%2e.com/cb",
	        "https://a%2fb.com/cb",
	        "https://a.com%5c/cb",
	        "https:a.com/cb",
	        "https:/a.com/cb",
	        "https:///cb",
	        "http://",
	        "https://a..com/cb",
	        "https://.a.com/cb",
	        "https://a.com./cb",
	        "https://a.com//cb",
	        "https://a.com/x//cb",
	        "https://a.com/./cb",
	        "https://a.com/../cb",
	        "https://a.com/x/%2e%2E/cb",
	        "https://a.com/x/.%2e",
	        "https://a.com/x%2Fy",
	        "https://a.com/x%5cy",
	        "https://a.com/x%00y",
	        "https://a.com/x%zz",
	        "https://a.com/x%4",
	        "https://0x7f.1/cb",
	        "https://127.1/cb",
	        "https://2130706433/cb",
	        "https://127.000.0.1/cb",
	        "https://256.0.0.1/cb",
	        "https://[::1%25eth0]/cb",
	        "https://[1.2.3.4]/cb",
	        "https://[::1/cb",
	        "https://[::1]x/cb",
	        "https://[]/cb",
	        "https://a.com:0/cb",
	        "https://a.com:123456/cb",
	        "https://a.com/cb?x=\"",
	        "https://a.com/cb?x={}",
	        "https://a.com/c[b]",
	        "https://caf\xc3\xa9.com/cb",
	        "https://a.com/caf\xc3\xa9",
	        "1https://a.com/cb",
	        "://a.com/cb",
	        "a.com/cb",
	        "myapp:",
	        "javascript:alert(1)",
	        "JaVaScRiPt:alert(1)",
	        "data:text/html,x",
	        "vbscript:msgbox",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (m(bad[i], bad[i]) || m("*", bad[i]) || oidc_redirect_pattern_valid(bad[i]))
			fail_msg("accepted: %s", bad[i]);
	}
	/* '*' is not a port, and a second '#' not part of a fragment */
	assert_false(m("http://localhost:*/cb", "http://localhost:*/cb"));
	assert_false(m("https://a.com/cb#a#b", "https://a.com/cb"));
	/* at most 128 path segments */
	char path[600] = "https://a.com";
	for (int i = 0; i < 128; i++)
		put(path, sizeof path, strlen(path), "/s");
	assert_true(m(path, path));
	put(path, sizeof path, strlen(path), "/s");
	assert_false(m(path, path));
	assert_false(oidc_redirect_pattern_valid(path));
	/* a label may be 63 characters, a name 253 */
	char host[300] = "https://";
	memset(host + 8, 'a', 63);
	put(host, sizeof host, 71, ".com/cb");
	assert_true(m(host, host));
	host[71] = 'a';
	put(host, sizeof host, 72, ".com/cb");
	assert_false(m(host, host));
}

static void pattern_validation(void **state)
{
	(void)state;
	static const char *const good[] = {
	        "https://app.example.com/auth/callback",
	        "https://*.example.com/cb",
	        "https://*.ex.com/cb/**?x=*",
	        "http://localhost:*/cb",
	        "http://127.0.0.1/cb",
	        "http://[::1]:8080/cb",
	        "http://example.com/cb",
	        "com.example.app:/oauth2redirect",
	        "myapp://callback",
	        "myapp:///callback",
	        "https://a.com/cb?v=[a-c]&w=?&x=[%5E0-9]",
	        "https://a.com/cb/:id",
	        "https://a.com",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!oidc_redirect_pattern_valid(good[i]))
			fail_msg("refused: %s", good[i]);
	static const char *const bad[] = {
	        "",
	        "*",
	        "/cb",
	        "//a.com/cb",
	        "a.com/cb",
	        "javascript:alert(1)",
	        "JAVASCRIPT://a.com/%0aalert(1)",
	        "data:text/html;base64,PHNjcmlwdD4=",
	        "Data:,x",
	        "vbscript:msgbox(1)",
	        "https://a.com/cb#frag",
	        "https://a.com/cb#",
	        "https://a.com/cb\n",
	        "https://a.com/\001cb",
	        "https://a.com/cb?v=[",
	        "https://a.com/cb?v=[]",
	        "https://a.com/cb?v=[a-]",
	        "https://a.com/cb?v=[-a]",
	        "https://a.com/cb?v=[^]",
	        "https://a.com/cb?v=1;w=2",
	        "https://u@a.com/cb",
	        "https://a.com:*x/cb",
	        "https://a.com:**/cb",
	        "https:*",
	        "*://a.com/cb",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (oidc_redirect_pattern_valid(bad[i]))
			fail_msg("accepted: %s", bad[i]);
	assert_false(oidc_redirect_pattern_valid(NULL));

	/* at most 2 KiB */
	char big[2100];
	put(big, sizeof big, 0, "https://a.com/");
	size_t n = strlen(big);
	memset(big + n, 'x', 2048 - n);
	big[2048] = '\0';
	assert_true(oidc_redirect_pattern_valid(big));
	big[2048] = 'x';
	big[2049] = '\0';
	assert_false(oidc_redirect_pattern_valid(big));
}

static void arguments(void **state)
{
	(void)state;
	json_t *a = json_pack("[i, n, s, {}, s]", 1, "https://a.com/x", "https://a.com/cb");
	assert_true(oidc_redirect_match(a, "https://a.com/cb", true));
	assert_true(oidc_redirect_match(a, "https://a.com/x", true));
	assert_false(oidc_redirect_match(a, "https://a.com/y", true));
	assert_false(oidc_redirect_match(a, NULL, true));
	assert_false(oidc_redirect_match(a, "", true));
	json_decref(a);
	a = json_array();
	assert_false(oidc_redirect_match(a, "https://a.com/cb", true));
	assert_false(oidc_redirect_match(NULL, "https://a.com/cb", true));
	json_decref(a);
	a = json_string("https://a.com/cb");
	assert_false(oidc_redirect_match(a, "https://a.com/cb", true));
	json_decref(a);
	/* a pattern with a NUL inside is not cut short */
	a = json_array();
	json_array_append_new(a, json_stringn("https://a.com/cb\0x", 18));
	assert_false(oidc_redirect_match(a, "https://a.com/cb", true));
	json_decref(a);
	/* first match wins, but any match is a match */
	a = json_pack("[s, s]", "https://*.a.com/cb", "https://a.com/**");
	assert_true(oidc_redirect_match(a, "https://a.com/x/y", true));
	assert_true(oidc_redirect_match(a, "https://b.a.com/cb", true));
	assert_false(oidc_redirect_match(a, "https://b.a.com/x", true));
	json_decref(a);
	/* an over-long URI is refused even when registered */
	size_t n = 5000;
	char *uri = malloc(n + 1);
	put(uri, n + 1, 0, "https://a.com/");
	memset(uri + 14, 'x', n - 14);
	uri[n] = '\0';
	assert_false(m(uri, uri));
	assert_false(m("*", uri));
	free(uri);
}

/* Open-redirect payloads: none may match a pattern for good.com. */
static const char *const PAYLOADS[] = {
        "//evil.com",
        "//evil.com/cb",
        "///evil.com/cb",
        "/\\evil.com",
        "\\\\evil.com/cb",
        "https:evil.com",
        "https:evil.com/cb",
        "https:/evil.com/cb",
        "https:///evil.com/cb",
        "https:\\\\evil.com/cb",
        "https://evil.com",
        "https://evil.com/cb",
        "https://good.com.evil.com",
        "https://good.com.evil.com/cb",
        "https://GOOD.COM.EVIL.COM/cb",
        "https://evilgood.com/cb",
        "https://good.comevil.com/cb",
        "https://good.com@evil.com",
        "https://good.com@evil.com/cb",
        "https://a.good.com@evil.com/cb",
        "https://good.com:443@evil.com/cb",
        "https://good.com:pw@evil.com/cb",
        "https://good.com&@evil.com/cb",
        "https://good.com;@evil.com/cb",
        "https://evil.com#@good.com",
        "https://evil.com#.good.com/cb",
        "https://evil.com#/good.com/cb",
        "https://evil.com?.good.com/cb",
        "https://evil.com?@good.com/cb",
        "https://evil.com/.good.com/cb",
        "https://evil.com/good.com/cb",
        "https://evil.com/https://good.com/cb",
        "https://evil.com\\@good.com",
        "https://evil.com\\.good.com/cb",
        "https://good.com\\@evil.com/cb",
        "https://good.com%2f@evil.com",
        "https://good.com%2F.evil.com/cb",
        "https://good.com%5c.evil.com/cb",
        "https://good.com%00.evil.com",
        "https://good.com%2e.evil.com/cb",
        "https://evil.com%23.good.com/cb",
        "https://evil.com%3F.good.com/cb",
        "https://evil.com%40good.com/cb",
        "https://good.com%E3%80%82evil.com/cb",
        "https://good\343\200\202com/cb", /* U+3002, a full stop to IDNA */
        "https://\xe2\x93\x94vil.com",
        "https://\xe2\x93\x94vil.com/cb",
        "https://g\320\276\320\276d.com/cb", /* Cyrillic o */
        "https://good.com\t.evil.com/cb",
        "https://\tevil.com/cb",
        "https://evil.com/\n.good.com/cb",
        "https://good.com\r\n@evil.com/cb",
        "https://good.com\n/cb",
        " https://good.com/cb",
        "https://good.com/cb ",
        "https://good.com /cb",
        "java\tscript:alert(1)//https://good.com/cb",
        "javascript:alert(1)//https://good.com/cb",
        "javascript://good.com/%0aalert(1)",
        "JavaScript:alert(document.domain)",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "HTTPS://EVIL.COM/cb",
        "hTtPs://eViL.cOm/cb",
        "https://good.com./cb",
        "https://good.com../cb",
        "https://.good.com/cb",
        "https://evil.com./cb",
        "https://evil.com.:443/cb",
        "https://good.com:evil.com/cb",
        "https://good.com:443:evil.com/cb",
        "https://good.com:99999/cb",
        "https://[good.com]/cb",
        "https://[::ffff:evil.com]/cb",
        "https://[fe80::1%25eth0]/cb",
        "https://[::1]@good.com/cb",
        "https://good.com@[::1]/cb",
        "https://[::1]/cb",
        "https://[::ffff:127.0.0.1]/cb",
        "https://0x7f000001/cb",
        "https://2130706433/cb",
        "https://017700000001/cb",
        "https://127.1/cb",
        "https://good.com//evil.com/cb",
        "https://good.com//evil.com",
        "https://good.com/\\evil.com",
        "https://good.com/cb/../../evil",
        "https://good.com/../evil.com/cb",
        "https://good.com/%2e%2e/evil/cb",
        "https://good.com/cb/..%2f..%2fevil",
        "https://good.com/cb/%2F%2Fevil.com",
        "https://good.com/cb%5c%5cevil.com",
        "https://good.com/./cb",
        "https://good.com/cb#@evil.com",
        "https://good.com/cb#",
        "https://*.good.com/cb",
        "https://evil.com/*.good.com/cb",
        "http://good.com/cb",
        "http://evil.com/cb",
        "ftp://good.com/cb",
        "good.com/cb",
        "/cb",
        "",
};

static void open_redirect_payloads(void **state)
{
	(void)state;
	static const char *const patterns[] = {"https://good.com/cb", "https://*.good.com/cb", "https://good.com/**"};
	assert_true(sizeof PAYLOADS / sizeof PAYLOADS[0] >= 40);
	for (size_t p = 0; p < 3; p++) {
		/* the pattern itself works, so a refusal below means something */
		const char *ok = p == 1 ? "https://a.good.com/cb" : "https://good.com/cb";
		assert_true(match_one(patterns[p], ok, false));
		for (size_t i = 0; i < sizeof PAYLOADS / sizeof PAYLOADS[0]; i++) {
			/* http://good.com/cb is the insecure twin, matched only by an http pattern */
			if (match_one(patterns[p], PAYLOADS[i], true) || match_one(patterns[p], PAYLOADS[i], false))
				fail_msg("%s matched %s", patterns[p], PAYLOADS[i]);
		}
	}
	/* all three at once, as a client registers them */
	json_t *a = json_pack("[s, s, s]", patterns[0], patterns[1], patterns[2]);
	for (size_t i = 0; i < sizeof PAYLOADS / sizeof PAYLOADS[0]; i++)
		assert_false(oidc_redirect_match(a, PAYLOADS[i], true));
	json_decref(a);
}

/* Inputs that make a backtracking matcher exponential stay linear-ish here. */
static void no_blowup(void **state)
{
	(void)state;
	/* no clock: a matcher that backtracked exponentially would not finish
	 * within the test's timeout */
	/* "**" repeated against many segments that almost match */
	char pat[2049] = "https://a.com", uri[4097] = "https://a.com";
	size_t n = strlen(pat);
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(pat + n, sizeof pat - n, "/**/a");
	put(pat, sizeof pat, n, "/b");
	assert_true(oidc_redirect_pattern_valid(pat));
	size_t k = strlen(uri);
	for (int i = 0; i < 127; i++)
		k += (size_t)snprintf(uri + k, sizeof uri - k, "/a");
	put(uri, sizeof uri, k, "/c");
	assert_false(m(pat, uri));
	/* '*' repeated in a query glob against a long value */
	put(pat, sizeof pat, 0, "https://a.com/cb?x=");
	n = strlen(pat);
	while (n + 2 < 2000) {
		pat[n++] = '*';
		pat[n++] = 'a';
	}
	pat[n++] = 'b';
	pat[n] = '\0';
	put(uri, sizeof uri, 0, "https://a.com/cb?x=");
	k = strlen(uri);
	memset(uri + k, 'a', 4000 - k);
	uri[4000] = '\0';
	assert_false(m(pat, uri));
	/* and in a host */
	put(pat, sizeof pat, 0, "https://");
	for (n = 8; n < 68; n += 2) {
		pat[n] = '*';
		pat[n + 1] = 'a';
	}
	put(pat, sizeof pat, n, "b.com/cb");
	assert_true(oidc_redirect_pattern_valid(pat));
	put(uri, sizeof uri, 0, "https://");
	memset(uri + 8, 'a', 62);
	put(uri, sizeof uri, 70, ".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com/cb");
	assert_false(m(pat, uri));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(exact_match),
	        cmocka_unit_test(loopback_any_port),
	        cmocka_unit_test(star_alone),
	        cmocka_unit_test(fragments),
	        cmocka_unit_test(query_rules),
	        cmocka_unit_test(host_wildcards),
	        cmocka_unit_test(port_wildcards),
	        cmocka_unit_test(path_wildcards),
	        cmocka_unit_test(checklist_wildcard_callbacks),
	        cmocka_unit_test(insecure_flag),
	        cmocka_unit_test(strict_refusals),
	        cmocka_unit_test(pattern_validation),
	        cmocka_unit_test(arguments),
	        cmocka_unit_test(open_redirect_payloads),
	        cmocka_unit_test(no_blowup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
