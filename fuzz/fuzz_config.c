/*
 * fuzz_config.c - config_load over arbitrary variable values.
 *
 * Input: NAME=value lines (the last one for a name wins), read through a custom
 * getenv. ENCRYPTION_KEY has a valid default unless the input sets it. Nothing
 * is ever returned for a NAME_FILE variable, so no file named by the input is
 * opened.
 *
 * Checks on success: the validated fields hold what their types promise (URL
 * shape and case, ranges, key lengths, enum spellings, CIDR prefix lengths).
 * On failure: a message was written, and it does not depend on the content of
 * any CFG_SECRET value (the same input with every secret replaced by as many
 * 'x' gives the same message), so secrets never reach logs.
 */
#include "fuzz.h"

#include <ctype.h>

#include "core/core.h"

#define MAXVARS 128

static struct var {
	char *name, *value;
} vars[MAXVARS];
static size_t nvars;
static bool mask_secrets;

static const struct cfg_opt *opt(const char *name)
{
	for (size_t i = 0; i < config_table_len; i++)
		if (strcmp(config_table[i].name, name) == 0)
			return &config_table[i];
	return NULL;
}

static const char *fuzz_getenv(const char *name)
{
	size_t n = strlen(name);
	if (n >= 5 && strcmp(name + n - 5, "_FILE") == 0)
		return NULL;
	const char *v = NULL;
	for (size_t i = 0; i < nvars; i++)
		if (strcmp(vars[i].name, name) == 0)
			v = vars[i].value;
	if (!v && strcmp(name, "ENCRYPTION_KEY") == 0)
		v = "fuzz-encryption-key-0123456789";
	if (v && mask_secrets) {
		const struct cfg_opt *o = opt(name);
		if (o && (o->flags & CFG_SECRET)) {
			static char masked[FUZZ_MAX_INPUT + 1];
			size_t vn = strlen(v);
			memset(masked, 'x', vn);
			masked[vn] = '\0';
			return masked; /* config_load copies each value before the next lookup */
		}
	}
	return v;
}

static bool is_origin(const char *u)
{
	if (!u)
		return false;
	for (const char *p = u; *p; p++)
		if (isupper((unsigned char)*p))
			return false;
	size_t n = strlen(u);
	return (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) && u[n - 1] != '/';
}

static bool in_choices(const char *v, const char *choices)
{
	size_t n = strlen(v);
	for (const char *p = choices; *p;) {
		size_t k = strcspn(p, "|");
		if (k == n && strncmp(p, v, n) == 0)
			return true;
		p += k + (p[k] == '|');
	}
	return false;
}

static void check_cidrs(const struct cidr_list *l)
{
	FUZZ_CHECK(l->n == 0 || l->v != NULL);
	for (size_t i = 0; i < l->n; i++)
		FUZZ_CHECK(l->v[i].bits <= 128);
}

static void check_ok(const struct sy_config *c)
{
	FUZZ_CHECK(c->encryption_key && strlen(c->encryption_key) >= 16);
	FUZZ_CHECK(is_origin(c->app_url) && is_origin(c->internal_app_url));
	FUZZ_CHECK(c->port >= 1 && c->port <= 65535);
	FUZZ_CHECK(c->unix_socket_mode == -1 || (c->unix_socket_mode >= 0 && c->unix_socket_mode <= 0777));
	FUZZ_CHECK(!(c->unix_socket && c->systemd_socket));
	FUZZ_CHECK(!c->static_api_key || strlen(c->static_api_key) >= 16);
	FUZZ_CHECK(!c->tls_cert == !c->tls_key && !c->tls_cert_file == !c->tls_key_file);
	FUZZ_CHECK(c->app_env && in_choices(c->app_env, "production|development|test"));
	FUZZ_CHECK(c->log_level && in_choices(c->log_level, "debug|info|warn|error"));
	FUZZ_CHECK(c->file_backend && in_choices(c->file_backend, "filesystem|database"));
	FUZZ_CHECK(c->audit_log_retention_days >= 1 && c->audit_log_retention_days <= 36500);
	FUZZ_CHECK(c->read_timeout >= 1 && c->read_timeout <= 3600);
	FUZZ_CHECK(c->drain_timeout >= 0 && c->drain_timeout <= 600);
	check_cidrs(&c->trust_proxy);
	check_cidrs(&c->local_ipv6_ranges);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	nvars = 0;
	bool any_secret = false;
	for (const uint8_t *p = data, *end = data + size; p < end && nvars < MAXVARS;) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *le = nl ? nl : end;
		const uint8_t *eq = memchr(p, '=', (size_t)(le - p));
		if (eq) {
			vars[nvars].name = fuzz_strndup(p, (size_t)(eq - p));
			vars[nvars].value = fuzz_strndup(eq + 1, (size_t)(le - eq - 1));
			const struct cfg_opt *o = opt(vars[nvars].name);
			any_secret |= o && (o->flags & CFG_SECRET);
			nvars++;
		}
		p = le + 1;
	}
	struct sy_config c;
	char err[512] = "";
	mask_secrets = false;
	if (config_load(&c, fuzz_getenv, err, sizeof err) == SY_OK) {
		check_ok(&c);
	} else {
		FUZZ_CHECK(*err != '\0');
		if (any_secret) {
			struct sy_config c2;
			char err2[512] = "";
			mask_secrets = true;
			FUZZ_CHECK(config_load(&c2, fuzz_getenv, err2, sizeof err2) != SY_OK);
			if (strcmp(err, err2) != 0) {
				fprintf(stderr, "invariant failed: message depends on a secret:\n  %s\n  %s\n", err,
				        err2);
				abort();
			}
			config_free(&c2);
		}
	}
	config_free(&c);
	for (size_t i = 0; i < nvars; i++) {
		free(vars[i].name);
		free(vars[i].value);
	}
	return 0;
}
