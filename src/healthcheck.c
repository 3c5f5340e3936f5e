/*
 * healthcheck.c - `symbolon healthcheck`: for a container HEALTHCHECK. GETs
 * <endpoint>/healthz (default: this instance on localhost, or its UNIX socket)
 * with a 5 s limit and exits 0 on a 2xx answer, 1 otherwise.
 */
#include <curl/curl.h>
#include <stdio.h>

#include "app.h"

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

int app_healthcheck(const struct sy_config *cfg, const char *endpoint, const char *unix_socket, bool verbose)
{
	char url[512];
	bool tls = cfg->tls_cert || cfg->tls_cert_file;
	if (endpoint)
		snprintf(url, sizeof url, "%s/healthz", endpoint);
	else
		snprintf(url, sizeof url, "%s://localhost:%ld/healthz", tls ? "https" : "http", cfg->port);
	if (!unix_socket && !endpoint)
		unix_socket = cfg->unix_socket;
	CURL *c = curl_easy_init();
	if (!c)
		return 1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (unix_socket)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_socket);
	if (tls && !endpoint) {
		/* our own certificate names the public host, not localhost */
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	bool ok = rc == CURLE_OK && status >= 200 && status < 300;
	if (verbose || !ok)
		fprintf(ok ? stdout : stderr, "%s: %s (HTTP %ld)\n", url,
		        rc == CURLE_OK ? "answered" : curl_easy_strerror(rc), status);
	return ok ? 0 : 1;
}
