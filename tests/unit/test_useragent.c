/* test_useragent.c - the audit log's "device" string from real User-Agent headers. */
#include "test_util.h"

#include "integrations/integrations.h"

static const struct {
	const char *ua, *device;
} CASES[] = {
        /* desktop */
        {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
         "Safari/537.36",
         "Chrome on macOS 10.15"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Windows 10"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
         "Safari/537.36 Edg/124.0.2478.51",
         "Edge on Windows 10"},
        {"Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 "
         "Safari/537.36 Edg/109.0.1518.78",
         "Edge on Windows 7"},
        {"Mozilla/5.0 (Windows; U; Windows 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
         "Safari/537.36 Edg/124.0.0.0",
         "Edge on Windows"},
        {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 "
         "Safari/605.1.15",
         "Safari on macOS 10.15"},
        {"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
         "Firefox on macOS 14.4"},
        {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
         "Chrome on Linux"},
        {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Linux"},
        {"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
         "Safari/537.36",
         "Chrome on ChromeOS"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
         "Safari/537.36 OPR/109.0.0.0",
         "Opera on Windows 10"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 "
         "YaBrowser/24.4.0.0 Safari/537.36",
         "Yandex Browser on Windows 10"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
         "Safari/537.36 Vivaldi/6.7.3329.17",
         "Vivaldi on Windows 10"},
        {"Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer on Windows 8.1"},
        {"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)", "Internet Explorer on Windows XP"},
        {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.29 "
         "Safari/537.36",
         "Headless Chrome on Linux"},
        {"Mozilla/5.0 (X11; FreeBSD amd64; rv:124.0) Gecko/20100101 Firefox/124.0", "Firefox on FreeBSD"},
        /* mobile */
        {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.4 Mobile/15E148 Safari/604.1",
         "Safari on iOS 17.4"},
        {"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
         "Mobile/15E148 Safari/604.1",
         "Safari on iOS 16.6"},
        {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
         "Chrome on iOS 17.4"},
        {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "FxiOS/125.0 Mobile/15E148 Safari/605.1.15",
         "Firefox on iOS 17.4"},
        {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "EdgiOS/124.2478.50 Version/17.0 Mobile/15E148 Safari/604.1",
         "Edge on iOS 17.4"},
        {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Mobile/15E148",
         "Safari on iOS 17.4"},
        {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 "
         "Mobile Safari/537.36",
         "Chrome on Android 14"},
        {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
         "Safari/537.36",
         "Chrome on Android 10"},
        {"Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", "Firefox on Android 14"},
        {"Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
         "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
         "Samsung Internet on Android 13"},
        {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
         "Safari/537.36 EdgA/124.0.2478.64",
         "Edge on Android 14"},
        {"Mozilla/5.0 (Linux; U; Android 4.4.2; en-us; GT-I9505 Build/KOT49H) AppleWebKit/534.30 (KHTML, like Gecko) "
         "Version/4.0 Mobile Safari/534.30",
         "Android Browser on Android 4.4"},
        {"Dalvik/2.1.0 (Linux; U; Android 11; SM-G991B Build/RP1A.200720.012)", "Dalvik on Android 11"},
        {"Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like "
         "Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
         "Edge on Windows Phone 10.0"},
        /* crawlers and tools */
        {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot"},
        {"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", "Discordbot"},
        {"curl/8.4.0", "curl"},
        {"Wget/1.21.3", "Wget"},
        {"python-requests/2.31.0", "python-requests"},
        {"Go-http-client/1.1", "Go-http-client"},
        {"node", "node"},
        {"PostmanRuntime/7.37.3", "PostmanRuntime"},
        {"Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18", "Opera on Windows 7"},
        /* edge cases */
        {"", ""},
        {"   ", ""},
        {"Mozilla/5.0", "Unknown"},
        {"Mozilla/5.0 (X11; Linux x86_64)", "Unknown on Linux"},
        {"()(((;;;//", "Unknown"},
        {"\xff\xfe\x01 evil\r\nX-Injected: yes/1.0", "evil"},
};

static void known_user_agents(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 0);
	int bad = 0;
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		const char *got = useragent_device(&a, CASES[i].ua);
		if (strcmp(got, CASES[i].device) != 0) {
			print_error("%s\n  want \"%s\"\n  got  \"%s\"\n", CASES[i].ua, CASES[i].device, got);
			bad++;
		}
	}
	arena_release(&a);
	assert_int_equal(bad, 0);
}

static void null_and_bounds(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 0);
	assert_string_equal(useragent_device(&a, NULL), "");

	/* the buffer form cuts to fit and always terminates */
	const char *ua = CASES[0].ua;
	char small[8];
	useragent_describe(ua, strlen(ua), small, sizeof small);
	assert_string_equal(small, "Chrome ");
	char one[1] = {'x'};
	useragent_describe(ua, strlen(ua), one, sizeof one);
	assert_int_equal(one[0], '\0');
	useragent_describe(ua, strlen(ua), NULL, 0); /* nothing written */

	/* without a NUL, only n bytes are read: "Chrome/" lies beyond them */
	char buf[USERAGENT_DEVICE_MAX];
	useragent_describe(ua, 30, buf, sizeof buf);
	assert_string_equal(buf, "Unknown on macOS");
	/* a NUL inside ends the string */
	useragent_describe("curl/8\0Chrome/1 (Windows NT 10.0)", 33, buf, sizeof buf);
	assert_string_equal(buf, "curl");

	/* markers past USERAGENT_SCAN_MAX are not looked at */
	size_t n = USERAGENT_SCAN_MAX + 100;
	char *big = malloc(n + 1);
	memset(big, 'a', n);
	memcpy(big, "Mozilla/5.0 (Linux) ", 20);
	memcpy(big + USERAGENT_SCAN_MAX + 10, " Firefox/1", 10);
	big[n] = '\0';
	const char *got = useragent_device(&a, big);
	assert_true(strlen(got) < USERAGENT_DEVICE_MAX);
	assert_null(strstr(got, "Firefox"));
	free(big);

	/* a long product token is cut to 32 characters */
	char tok[200];
	memset(tok, 'x', sizeof tok - 1);
	tok[sizeof tok - 1] = '\0';
	got = useragent_device(&a, tok);
	assert_int_equal(strlen(got), 32);

	/* an arena with no room left gives "" rather than NULL */
	struct arena tiny;
	arena_init(&tiny, 1);
	assert_string_equal(useragent_device(&tiny, "curl/8"), "");
	arena_release(&tiny);
	arena_release(&a);
}

/* Every output byte is printable ASCII, whatever the input. */
static void output_is_printable_ascii(void **state)
{
	(void)state;
	uint8_t in[300];
	char out[USERAGENT_DEVICE_MAX];
	uint32_t x = 12345;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % (int)sizeof in);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			/* mostly bytes from a real User-Agent, sometimes anything */
			in[i] = (x >> 24) % 4 ? (uint8_t)CASES[round % 10].ua[(x >> 8) % 40] : (uint8_t)(x >> 16);
		}
		useragent_describe((const char *)in, n, out, sizeof out);
		for (const char *p = out; *p; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(known_user_agents),
	        cmocka_unit_test(null_and_bounds),
	        cmocka_unit_test(output_is_printable_ascii),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
