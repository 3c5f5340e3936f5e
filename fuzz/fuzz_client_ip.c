/*
 * fuzz_client_ip.c - http_client_ip with TRUST_PROXY read by config_load.
 *
 * Input lines: TRUST_PROXY value, peer address (empty or unparsable: no peer),
 * X-Forwarded-For, X-Real-IP, the TRUSTED_PLATFORM header's value. A missing
 * line is an absent header. Checks: the result is NUL-terminated in the 46-byte
 * buffer the server uses and is empty or an address ip_parse accepts; an
 * untrusted peer is always reported as itself; without a peer and without
 * TRUST_PROXY=true the result is empty.
 */
#include "fuzz.h"

#include "core/core.h"
#include "http/http.h"

static const char *trust_value;

static const char *fuzz_getenv(const char *name)
{
	if (strcmp(name, "ENCRYPTION_KEY") == 0)
		return "fuzz-encryption-key-0123456789";
	if (strcmp(name, "TRUST_PROXY") == 0)
		return trust_value;
	return NULL;
}

#define NLINES 5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *lines[NLINES] = {0};
	const uint8_t *p = data;
	size_t left = size;
	for (int i = 0; i < NLINES && (i == 0 || p); i++) {
		const uint8_t *nl = memchr(p, '\n', left);
		size_t n = nl ? (size_t)(nl - p) : left;
		lines[i] = fuzz_strndup(p, n);
		if (!nl) {
			p = NULL;
			break;
		}
		p = nl + 1;
		left -= n + 1;
	}
	trust_value = lines[0];
	struct sy_config cfg;
	char err[256] = "";
	if (config_load(&cfg, fuzz_getenv, err, sizeof err) == SY_OK) {
		uint8_t peer[16] = {0};
		bool have_peer = lines[1] && ip_parse(lines[1], strlen(lines[1]), peer);
		char out[46];
		memset(out, 'X', sizeof out);
		http_client_ip(&cfg, peer, have_peer, lines[4], lines[2], lines[3], out, sizeof out);
		FUZZ_CHECK(memchr(out, '\0', sizeof out) != NULL);
		uint8_t ip[16];
		if (*out)
			FUZZ_CHECK(ip_parse(out, strlen(out), ip));
		else
			FUZZ_CHECK(!have_peer);
		if (have_peer && !cidr_list_contains(&cfg.trust_proxy, peer))
			FUZZ_CHECK(memcmp(ip, peer, 16) == 0);
		if (!have_peer && !cfg.trust_proxy.all)
			FUZZ_CHECK(*out == '\0');
	} else {
		FUZZ_CHECK(*err != '\0');
	}
	config_free(&cfg);
	for (int i = 0; i < NLINES; i++)
		free(lines[i]);
	return 0;
}
