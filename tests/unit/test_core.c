/* test_core.c - encodings, arena limits, comparisons, number parsing. */
#include "test_util.h"

#include "core/core.h"

static void b64url_round_trip(void **state)
{
	(void)state;
	uint8_t in[64], out[64];
	char enc[100];
	for (size_t n = 0; n < sizeof in; n++) {
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)(i * 37 + n);
		b64url_encode(in, n, enc);
		assert_int_equal(strlen(enc), b64url_encoded_len(n));
		size_t m;
		assert_int_equal(b64url_decode(enc, strlen(enc), out, &m), SY_OK);
		assert_int_equal(m, n);
		assert_memory_equal(in, out, n);
	}
}

static void b64url_known_values(void **state)
{
	(void)state;
	char enc[16];
	b64url_encode((const uint8_t *)"\xfb\xff", 2, enc);
	assert_string_equal(enc, "-_8"); /* url alphabet, no padding */
	b64_encode((const uint8_t *)"\xfb\xff", 2, enc);
	assert_string_equal(enc, "+/8=");
	b64_encode((const uint8_t *)"foobar", 6, enc);
	assert_string_equal(enc, "Zm9vYmFy");
}

static void b64_rejects_non_canonical(void **state)
{
	(void)state;
	uint8_t out[16];
	size_t n;
	assert_int_equal(b64url_decode("-_8=", 4, out, &n), SY_E_INVALID); /* padding */
	assert_int_equal(b64url_decode("-_9", 3, out, &n), SY_E_INVALID);  /* non-zero trailing bits */
	assert_int_equal(b64url_decode("+/8", 3, out, &n), SY_E_INVALID);  /* std alphabet */
	assert_int_equal(b64url_decode("a", 1, out, &n), SY_E_INVALID);    /* impossible length */
	assert_int_equal(b64url_decode("ab c", 4, out, &n), SY_E_INVALID); /* white space */
	assert_int_equal(b64_decode("+/8", 3, out, &n), SY_E_INVALID);     /* missing padding */
	assert_int_equal(b64_decode("Zm9=vYmF", 8, out, &n), SY_E_INVALID);
	assert_int_equal(b64_decode("Zm9vYmFy", 8, out, &n), SY_OK);
	assert_int_equal(n, 6);
}

static void arena_limit_is_an_error(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 1000);
	void *p = arena_alloc(&a, 600);
	assert_non_null(p);
	memset(p, 0xaa, 600);
	assert_null(arena_alloc(&a, 600)); /* would exceed the limit */
	assert_non_null(arena_alloc(&a, 100));
	char *s = arena_printf(&a, "%s-%d", "x", 42);
	assert_string_equal(s, "x-42");
	arena_release(&a);
	assert_int_equal(a.used, 0);
	arena_init(&a, 0);
	assert_int_equal(a.limit, ARENA_DEFAULT_LIMIT);
	for (int i = 0; i < 1000; i++) /* many chunks */
		assert_non_null(arena_alloc(&a, 1000));
	arena_release(&a);
}

static void comparisons_need_equal_length(void **state)
{
	(void)state;
	assert_true(sy_ct_equal("abc", 3, "abc", 3));
	assert_false(sy_ct_equal("abc", 3, "abcd", 4)); /* no prefix match */
	assert_false(sy_ct_equal("abc", 3, "abd", 3));
	assert_false(bytes_eq("", 0, "a", 1));
	assert_true(bytes_eq("", 0, "", 0));
}

static void uuid_shape(void **state)
{
	(void)state;
	char a[37], b[37];
	uuid_v4(a);
	uuid_v4(b);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_true(strchr("89ab", a[19]) != NULL);
	assert_string_not_equal(a, b);
}

static void parse_long_bounds(void **state)
{
	(void)state;
	long v;
	assert_int_equal(parse_long("1411", 1, 65535, &v), SY_OK);
	assert_int_equal(v, 1411);
	assert_int_equal(parse_long("0", 1, 65535, &v), SY_E_INVALID);
	assert_int_equal(parse_long("70000", 1, 65535, &v), SY_E_INVALID);
	assert_int_equal(parse_long("12ab", 1, 65535, &v), SY_E_INVALID);
	assert_int_equal(parse_long("-5", 1, 65535, &v), SY_E_INVALID);
	assert_int_equal(parse_long("", 1, 65535, &v), SY_E_INVALID);
	assert_int_equal(parse_long(" 5", 1, 65535, &v), SY_E_INVALID);
	assert_int_equal(parse_long("99999999999999999999", 0, 10, &v), SY_E_INVALID);
}

static void hex_roundtrip_and_refusals(void **state)
{
	(void)state;
	uint8_t in[] = {0x00, 0x7f, 0x80, 0xff, 0x12}, out[8];
	char hex[11];
	hex_encode(in, sizeof in, hex);
	assert_string_equal(hex, "007f80ff12");
	assert_int_equal(hex_decode(hex, 10, out), SY_OK);
	assert_memory_equal(out, in, sizeof in);
	assert_int_equal(hex_decode("AbCd", 4, out), SY_OK);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(hex_decode("abc", 3, out), SY_E_INVALID); /* odd */
	assert_int_equal(hex_decode("zz", 2, out), SY_E_INVALID);
	assert_int_equal(hex_decode("0g", 2, out), SY_E_INVALID);
}

/* Codes must use only their alphabet, and every letter of it must turn up:
 * 5600 draws from 56 letters miss one with probability below 1e-40. */
static void random_strings_use_the_whole_alphabet(void **state)
{
	(void)state;
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ0123456789";
	char buf[5601];
	sy_random_string(buf, 5600, alphabet);
	assert_int_equal(strlen(buf), 5600);
	for (size_t i = 0; i < 5600; i++)
		assert_non_null(strchr(alphabet, buf[i]));
	for (const char *a = alphabet; *a; a++)
		assert_non_null(memchr(buf, *a, 5600));
	char one[2];
	sy_random_string(one, 1, "x");
	assert_string_equal(one, "x");
}

static void utf8_cleaning(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 0);
	assert_string_equal(utf8_clean(&a, "Mozilla/5.0 (X11)", 512), "Mozilla/5.0 (X11)");
	assert_string_equal(utf8_clean(&a, "x\xffy", 512), "x?y");
	assert_string_equal(utf8_clean(&a, "\xc0\xaf", 512), "??");           /* overlong '/' */
	assert_string_equal(utf8_clean(&a, "\xed\xa0\x80", 512), "???");      /* a surrogate */
	assert_string_equal(utf8_clean(&a, "\xf4\x90\x80\x80", 512), "????"); /* above U+10FFFF */
	assert_string_equal(utf8_clean(&a, "caf\xc3\xa9", 512), "caf\xc3\xa9");
	/* the cut never splits a character */
	assert_string_equal(utf8_clean(&a, "caf\xc3\xa9", 4), "caf");
	assert_string_equal(utf8_clean(&a, "\xe2\x82\xac\xe2\x82\xac", 5), "\xe2\x82\xac");
	assert_string_equal(utf8_clean(&a, "abc", 0), "");
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(b64url_round_trip),
	        cmocka_unit_test(b64url_known_values),
	        cmocka_unit_test(b64_rejects_non_canonical),
	        cmocka_unit_test(arena_limit_is_an_error),
	        cmocka_unit_test(comparisons_need_equal_length),
	        cmocka_unit_test(uuid_shape),
	        cmocka_unit_test(parse_long_bounds),
	        cmocka_unit_test(hex_roundtrip_and_refusals),
	        cmocka_unit_test(random_strings_use_the_whole_alphabet),
	        cmocka_unit_test(utf8_cleaning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
