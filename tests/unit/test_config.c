/* test_config.c - the configuration table: defaults, validation messages, .env. */
#include "test_util.h"

#include "core/core.h"

static enum sy_err load(const char *const *env, struct sy_config *c, char *err, size_t errlen)
{
	fake_env = env;
	err[0] = '\0';
	return config_load(c, fake_getenv, err, errlen);
}

static void defaults_match_pocket_id(void **state)
{
	(void)state;
	const char *env[] = {"ENCRYPTION_KEY", "0123456789abcdef", NULL};
	struct sy_config c;
	char err[512];
	assert_int_equal(load(env, &c, err, sizeof err), SY_OK);
	assert_string_equal(c.app_url, "http://localhost:1411");
	assert_string_equal(c.internal_app_url, "http://localhost:1411");
	assert_int_equal(c.port, 1411);
	assert_string_equal(c.host, "0.0.0.0");
	assert_string_equal(c.db_connection_string, "data/pocket-id.db");
	assert_string_equal(c.app_env, "production");
	assert_string_equal(c.log_level, "info");
	assert_false(c.trust_proxy.all);
	assert_int_equal(c.trust_proxy.n, 0);
	assert_true(c.allow_insecure_callback_urls);
	assert_int_equal(c.audit_log_retention_days, 90);
	assert_string_equal(c.geolite_db_path, "data/GeoLite2-City.mmdb");
	assert_string_equal(c.upload_path, "data/uploads");
	assert_int_equal(c.unix_socket_mode, -1);
	config_free(&c);
}

static void app_url_is_normalised(void **state)
{
	(void)state;
	const char *env[] = {"ENCRYPTION_KEY", "0123456789abcdef", "APP_URL", "HTTPS://ID.Example.COM/", NULL};
	struct sy_config c;
	char err[512];
	assert_int_equal(load(env, &c, err, sizeof err), SY_OK);
	assert_string_equal(c.app_url, "https://id.example.com");
	assert_string_equal(c.internal_app_url, "https://id.example.com");
	config_free(&c);
}

struct bad {
	const char *name, *value, *must_contain;
};

static void bad_values_name_the_variable(void **state)
{
	(void)state;
	static const struct bad cases[] = {
	        {"PORT", "abc", "1 to 65535"},
	        {"PORT", "0", "PORT"},
	        {"APP_URL", "https://id.example.com/auth", "path"},
	        {"APP_URL", "id.example.com", "http"},
	        {"APP_URL", "https://user@id.example.com", "user"},
	        {"APP_URL", "https://id.example.com:99999", "port"},
	        {"INTERNAL_APP_URL", "http://x/y", "INTERNAL_APP_URL"},
	        {"TRUST_PROXY", "10.0.0.0/99", "CIDR"},
	        {"TRUST_PROXY", "yes-please", "TRUST_PROXY"},
	        {"LOG_LEVEL", "loud", "debug,info,warn,error"},
	        {"LOG_JSON", "maybe", "true or false"},
	        {"UNIX_SOCKET_MODE", "0999", "octal"},
	        {"PROXY_PROTOCOL", "true", "not supported"},
	        {"OTEL_TRACES_EXPORTER", "otlp", "none"},
	        {"FILE_BACKEND", "s3", "filesystem,database"},
	        {"STATIC_API_KEY", "short", "16 characters"},
	        {"AUDIT_LOG_RETENTION_DAYS", "0", "AUDIT_LOG_RETENTION_DAYS"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *env[] = {"ENCRYPTION_KEY", "0123456789abcdef", cases[i].name, cases[i].value, NULL};
		struct sy_config c;
		char err[512];
		enum sy_err e = load(env, &c, err, sizeof err);
		config_free(&c);
		if (e != SY_E_CONFIG || strncmp(err, "config error: ", 14) != 0 || !strstr(err, cases[i].name) ||
		    !strstr(err, cases[i].must_contain) || strchr(err, '\n'))
			fail_msg("%s=%s gave \"%s\"", cases[i].name, cases[i].value, err);
	}
}

static void encryption_key_required_and_never_echoed(void **state)
{
	(void)state;
	struct sy_config c;
	char err[512];
	const char *none[] = {NULL};
	assert_int_equal(load(none, &c, err, sizeof err), SY_E_CONFIG);
	assert_non_null(strstr(err, "ENCRYPTION_KEY is not set"));
	config_free(&c);
	const char *shortkey[] = {"ENCRYPTION_KEY", "hunter2", NULL};
	assert_int_equal(load(shortkey, &c, err, sizeof err), SY_E_CONFIG);
	assert_non_null(strstr(err, "16 bytes"));
	assert_null(strstr(err, "hunter2"));
	config_free(&c);
}

static void file_variant_is_read_and_trimmed(void **state)
{
	(void)state;
	char path[] = "/tmp/symbolon-key-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("  from-a-file-0123456789\n\n", f);
	fclose(f);
	const char *env[] = {"ENCRYPTION_KEY_FILE", path, NULL};
	struct sy_config c;
	char err[512];
	assert_int_equal(load(env, &c, err, sizeof err), SY_OK);
	assert_string_equal(c.encryption_key, "from-a-file-0123456789");
	config_free(&c);
	const char *both[] = {"ENCRYPTION_KEY_FILE", path, "ENCRYPTION_KEY", "0123456789abcdef", NULL};
	assert_int_equal(load(both, &c, err, sizeof err), SY_E_CONFIG);
	assert_non_null(strstr(err, "only one"));
	config_free(&c);
	unlink(path);
	const char *missing[] = {"ENCRYPTION_KEY_FILE", "/nonexistent/key", NULL};
	assert_int_equal(load(missing, &c, err, sizeof err), SY_E_CONFIG);
	assert_non_null(strstr(err, "ENCRYPTION_KEY_FILE"));
	config_free(&c);
}

static void trust_proxy_lists(void **state)
{
	(void)state;
	const char *env[] = {"ENCRYPTION_KEY", "0123456789abcdef", "TRUST_PROXY", "10.0.0.0/8, 192.168.1.7,fd00::/8",
	                     NULL};
	struct sy_config c;
	char err[512];
	assert_int_equal(load(env, &c, err, sizeof err), SY_OK);
	assert_int_equal(c.trust_proxy.n, 3);
	uint8_t ip[16];
	assert_true(ip_parse("10.20.30.40", 11, ip));
	assert_true(cidr_list_contains(&c.trust_proxy, ip));
	assert_true(ip_parse("11.0.0.1", 8, ip));
	assert_false(cidr_list_contains(&c.trust_proxy, ip));
	assert_true(ip_parse("192.168.1.7", 11, ip));
	assert_true(cidr_list_contains(&c.trust_proxy, ip));
	assert_true(ip_parse("192.168.1.8", 11, ip));
	assert_false(cidr_list_contains(&c.trust_proxy, ip));
	assert_true(ip_parse("fd12::1", 7, ip));
	assert_true(cidr_list_contains(&c.trust_proxy, ip));
	assert_true(ip_parse("fe80::1", 7, ip));
	assert_false(cidr_list_contains(&c.trust_proxy, ip));
	assert_false(ip_parse("192.0.2.1\0junk", 14, ip)); /* nothing may hide after a NUL */
	assert_false(ip_parse("", 0, ip));
	assert_false(ip_parse("1.2.3.4/8", 9, ip));
	config_free(&c);
	const char *all[] = {"ENCRYPTION_KEY", "0123456789abcdef", "TRUST_PROXY", "true", NULL};
	assert_int_equal(load(all, &c, err, sizeof err), SY_OK);
	assert_true(c.trust_proxy.all);
	config_free(&c);
}

struct kvs {
	char k[8][32], v[8][64];
	int n;
};

static void collect(void *ctx, const char *k, const char *v)
{
	struct kvs *s = ctx;
	snprintf(s->k[s->n], sizeof s->k[0], "%s", k);
	snprintf(s->v[s->n], sizeof s->v[0], "%s", v);
	s->n++;
}

static void dotenv_syntax(void **state)
{
	(void)state;
	setenv("SY_TEST_HOME", "/home/x", 1);
	static const char text[] = "# comment\n"
	                           "export APP_URL=https://id.example.com\n"
	                           "PORT: 8080\n"
	                           "A='single $SY_TEST_HOME # kept'\n"
	                           "B=\"double\\n${SY_TEST_HOME}\" # comment\n"
	                           "C=bare value # trailing comment\n"
	                           "D=\n"
	                           "E=\"multi\nline\"\r\n";
	struct kvs s = {.n = 0};
	char err[128];
	assert_int_equal(dotenv_parse(text, sizeof text - 1, collect, &s, err, sizeof err), SY_OK);
	assert_int_equal(s.n, 7);
	assert_string_equal(s.k[0], "APP_URL");
	assert_string_equal(s.v[0], "https://id.example.com");
	assert_string_equal(s.v[1], "8080");
	assert_string_equal(s.v[2], "single $SY_TEST_HOME # kept");
	assert_string_equal(s.v[3], "double\n/home/x");
	assert_string_equal(s.v[4], "bare value");
	assert_string_equal(s.v[5], "");
	assert_string_equal(s.v[6], "multi\nline");
}

static void dotenv_errors_name_the_line(void **state)
{
	(void)state;
	struct kvs s = {.n = 0};
	char err[128];
	static const char bad[] = "A=1\nNOT A LINE\n";
	assert_int_equal(dotenv_parse(bad, sizeof bad - 1, collect, &s, err, sizeof err), SY_E_INVALID);
	assert_string_equal(err, ".env line 2: expected KEY=VALUE");
	static const char open_quote[] = "A=\"never closed\n";
	assert_int_equal(dotenv_parse(open_quote, sizeof open_quote - 1, collect, &s, err, sizeof err), SY_E_INVALID);
	static const char after[] = "A='x' junk\n";
	assert_int_equal(dotenv_parse(after, sizeof after - 1, collect, &s, err, sizeof err), SY_E_INVALID);
}

static void environment_wins_over_dotenv(void **state)
{
	(void)state;
	char path[] = "/tmp/symbolon-env-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs("SY_TEST_A=from-file\nSY_TEST_B=from-file\n", f);
	fclose(f);
	setenv("SY_TEST_A", "from-env", 1);
	unsetenv("SY_TEST_B");
	char err[128];
	assert_int_equal(dotenv_load(path, err, sizeof err), SY_OK);
	assert_string_equal(getenv("SY_TEST_A"), "from-env");
	assert_string_equal(getenv("SY_TEST_B"), "from-file");
	unlink(path);
	assert_int_equal(dotenv_load("/nonexistent/.env", err, sizeof err), SY_OK); /* no .env is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(defaults_match_pocket_id),
	        cmocka_unit_test(app_url_is_normalised),
	        cmocka_unit_test(bad_values_name_the_variable),
	        cmocka_unit_test(encryption_key_required_and_never_echoed),
	        cmocka_unit_test(file_variant_is_read_and_trimmed),
	        cmocka_unit_test(trust_proxy_lists),
	        cmocka_unit_test(dotenv_syntax),
	        cmocka_unit_test(dotenv_errors_name_the_line),
	        cmocka_unit_test(environment_wins_over_dotenv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
