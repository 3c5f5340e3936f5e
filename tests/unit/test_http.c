/* test_http.c - request parsers, the router and client-address rules. */
#include "test_util.h"

#include "http/http.h"

static void cookies(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a, 0);
	const char *h = "theme=dark; __Host-access_token=abc.def.ghi;session=\"quoted\" ;  x=1=2";
	assert_string_equal(http_cookie_parse(&a, h, strlen(h), "__Host-access_token"), "abc.def.ghi");
	assert_string_equal(http_cookie_parse(&a, h, strlen(h), "session"), "quoted");
	assert_string_equal(http_cookie_parse(&a, h, strlen(h), "x"), "1=2");
	assert_null(http_cookie_parse(&a, h, strlen(h), "access_token")); /* no suffix or prefix match */
	assert_null(http_cookie_parse(&a, h, strlen(h), "them"));
	assert_null(http_cookie_parse(&a, "", 0, "x"));
	/* the first of two cookies with one name wins */
	const char *dup = "a=1; a=2";
	assert_string_equal(http_cookie_parse(&a, dup, strlen(dup), "a"), "1");
	arena_release(&a);
}

struct pairs {
	char got[512];
};

static enum sy_err append(void *ctx, const char *k, const char *v)
{
	struct pairs *p = ctx;
	size_t n = strlen(p->got);
	snprintf(p->got + n, sizeof p->got - n, "[%s=%s]", k, v);
	return SY_OK;
}

static enum sy_err form(const char *s, char *out)
{
	struct arena a;
	arena_init(&a, 0);
	struct pairs p = {.got = ""};
	enum sy_err e = http_form_parse(&a, s, strlen(s), 16, append, &p);
	snprintf(out, 512, "%s", p.got);
	arena_release(&a);
	return e;
}

static void forms(void **state)
{
	(void)state;
	char out[512];
	assert_int_equal(form("grant_type=authorization_code&code=abc%2Fdef&redirect_uri=https%3A%2F%2Fapp%2Fcb", out),
	                 SY_OK);
	assert_string_equal(out, "[grant_type=authorization_code][code=abc/def][redirect_uri=https://app/cb]");
	assert_int_equal(form("a=x+y&b=&c", out), SY_OK);
	assert_string_equal(out, "[a=x y][b=][c=]");
	assert_int_equal(form("a=1&&b=2&", out), SY_OK);
	assert_string_equal(out, "[a=1][b=2]");
	assert_int_equal(form("a=1&a=2", out), SY_E_INVALID); /* repeated parameter */
	assert_int_equal(form("a=%zz", out), SY_E_INVALID);   /* bad escape */
	assert_int_equal(form("a=%4", out), SY_E_INVALID);    /* truncated escape */
	assert_int_equal(form("a=%00", out), SY_E_INVALID);   /* NUL */
	assert_int_equal(form("=value", out), SY_E_INVALID);  /* empty key */
	char many[200] = "";
	for (int i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "k%d=v&", i);
	assert_int_equal(form(many, out), SY_E_INVALID); /* more than max_fields */
}

static void json_bodies(void **state)
{
	(void)state;
	json_t *j;
	const char body[] = "{\"name\":\"x\"}";
	assert_int_equal(http_json_parse("application/json", body, strlen(body), &j), SY_OK);
	json_decref(j);
	assert_int_equal(http_json_parse("application/json; charset=utf-8", body, strlen(body), &j), SY_OK);
	json_decref(j);
	assert_int_equal(http_json_parse("Application/JSON", body, strlen(body), &j), SY_OK);
	json_decref(j);
	assert_int_equal(http_json_parse("application/merge-patch+json", body, strlen(body), &j), SY_OK);
	json_decref(j);
	assert_int_equal(http_json_parse("text/plain", body, strlen(body), &j), SY_E_BODY);
	assert_int_equal(http_json_parse(NULL, body, strlen(body), &j), SY_E_BODY);
	assert_int_equal(http_json_parse("application/x/y+json", body, strlen(body), &j), SY_E_BODY);
	const char dup[] = "{\"a\":1,\"a\":2}";
	assert_int_equal(http_json_parse("application/json", dup, strlen(dup), &j), SY_E_BODY);
	const char trailing[] = "{\"a\":1} x";
	assert_int_equal(http_json_parse("application/json", trailing, strlen(trailing), &j), SY_E_BODY);
}

static enum sy_err h1(struct http_req *r)
{
	(void)r;
	return SY_OK;
}

static void router(void **state)
{
	(void)state;
	static const struct http_route routes[] = {
	        {HTTP_GET, "/api/users", h1, 0, 0, HTTP_LIMIT_NONE},
	        {HTTP_GET | HTTP_PUT, "/api/users/:id", h1, 0, 0, HTTP_LIMIT_NONE},
	        {HTTP_GET, "/api/users/:id/groups/:group", h1, 0, 0, HTTP_LIMIT_NONE},
	        {HTTP_POST, "/api/users/me", h1, 0, 0, HTTP_LIMIT_NONE},
	};
	struct arena a;
	arena_init(&a, 0);
	struct http_header p[HTTP_MAX_PARAMS];
	size_t n;
	assert_ptr_equal(http_route_match(&a, routes, 4, "/api/users", HTTP_GET, p, &n), &routes[0]);
	assert_int_equal(n, 0);
	assert_ptr_equal(http_route_match(&a, routes, 4, "/api/users/42", HTTP_PUT, p, &n), &routes[1]);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].name, "id");
	assert_string_equal(p[0].value, "42");
	assert_ptr_equal(http_route_match(&a, routes, 4, "/api/users/7/groups/g1", HTTP_GET, p, &n), &routes[2]);
	assert_string_equal(p[1].value, "g1");
	assert_ptr_equal(http_route_match(&a, routes, 4, "/api/users/me", HTTP_POST, p, &n), &routes[3]);
	assert_null(http_route_match(&a, routes, 4, "/api/users/", HTTP_GET, p, &n));      /* empty id */
	assert_null(http_route_match(&a, routes, 4, "/api/users/42", HTTP_DELETE, p, &n)); /* method */
	assert_null(http_route_match(&a, routes, 4, "/api/user", HTTP_GET, p, &n));
	assert_null(http_route_match(&a, routes, 4, "/api/usersx", HTTP_GET, p, &n));
	assert_null(http_route_match(&a, routes, 4, "/api/users/1/2", HTTP_GET, p, &n));
	assert_null(http_route_match(&a, routes, 4, "api/users", HTTP_GET, p, &n));
	arena_release(&a);
}

static const char *client(const char *trust, const char *peer, const char *xff, const char *xri, const char *plat)
{
	static char out[64];
	const char *env[] = {"ENCRYPTION_KEY", "0123456789abcdef", trust ? "TRUST_PROXY" : NULL, trust, NULL};
	fake_env = env;
	struct sy_config c;
	char err[256];
	assert_int_equal(config_load(&c, fake_getenv, err, sizeof err), SY_OK);
	uint8_t ip[16];
	assert_true(ip_parse(peer, strlen(peer), ip));
	http_client_ip(&c, ip, true, plat, xff, xri, out, sizeof out);
	config_free(&c);
	return out;
}

static void client_addresses(void **state)
{
	(void)state;
	assert_string_equal(client(NULL, "127.0.0.1", "203.0.113.9", NULL, NULL), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", "203.0.113.9", NULL, NULL), "203.0.113.9");
	assert_string_equal(client("true", "10.1.1.1", "203.0.113.9", NULL, NULL), "203.0.113.9");
	assert_string_equal(client("10.0.0.0/8", "127.0.0.1", "203.0.113.9", NULL, NULL), "127.0.0.1");
	/* rightmost address that is not a trusted proxy */
	assert_string_equal(client("10.0.0.0/8", "10.0.0.2", "198.51.100.7, 203.0.113.9, 10.0.0.5", NULL, NULL),
	                    "203.0.113.9");
	/* all trusted: the leftmost */
	assert_string_equal(client("10.0.0.0/8", "10.0.0.2", "10.9.9.9, 10.0.0.5", NULL, NULL), "10.9.9.9");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", "garbage", NULL, NULL), "127.0.0.1");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", NULL, "203.0.113.10", NULL), "203.0.113.10");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", "garbage", "203.0.113.10", NULL), "203.0.113.10");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", "203.0.113.9", NULL, "2001:db8::1"), "2001:db8::1");
	/* the platform header is believed from trusted peers only */
	assert_string_equal(client(NULL, "127.0.0.1", NULL, NULL, "2001:db8::1"), "127.0.0.1");
	assert_string_equal(client("::1", "::1", "2001:db8::7", NULL, NULL), "2001:db8::7");
	assert_string_equal(client("127.0.0.1", "127.0.0.1", "::ffff:203.0.113.9", NULL, NULL), "203.0.113.9");
}

static void error_statuses(void **state)
{
	(void)state;
	assert_int_equal(http_error_status(SY_E_INVALID), 400);
	assert_int_equal(http_error_status(SY_E_BODY), 400);
	assert_int_equal(http_error_status(SY_E_UNAUTH), 401);
	assert_int_equal(http_error_status(SY_E_DENIED), 403);
	assert_int_equal(http_error_status(SY_E_NOTFOUND), 404);
	assert_int_equal(http_error_status(SY_E_CONFLICT), 409);
	assert_int_equal(http_error_status(SY_E_TOOBIG), 413);
	assert_int_equal(http_error_status(SY_E_RATELIMIT), 429);
	assert_int_equal(http_error_status(SY_E_TIMEOUT), 504);
	assert_int_equal(http_error_status(SY_E_STORE), 500);
	assert_int_equal(http_error_status(SY_E_CRYPTO), 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(cookies),          cmocka_unit_test(forms),
	        cmocka_unit_test(json_bodies),      cmocka_unit_test(router),
	        cmocka_unit_test(client_addresses), cmocka_unit_test(error_statuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
