/*
 * main.c - the symbolon command line: serve (the default), healthcheck, version,
 * help. Configuration comes from the environment and ./.env, as for Pocket ID.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "auth/auth.h"

#ifndef SY_VERSION
#define SY_VERSION "0.0.0"
#endif

static const char *env(const char *name)
{
	return getenv(name);
}

static void usage(FILE *f)
{
	fprintf(f,
	        "Symbolon %s: a passkey-only OpenID Connect provider, compatible with Pocket ID.\n\n"
	        "Usage: symbolon [command]\n\n"
	        "Commands:\n"
	        "  serve          start the server (the default)\n"
	        "  healthcheck    exit 0 if the server answers GET /healthz\n"
	        "                 [-e|--endpoint URL] [--unix-socket PATH] [-v|--verbose]\n"
	        "  one-time-access-token <username or email>\n"
	        "                 print a link that signs that user in once (valid 1 hour)\n"
	        "  version        print the version\n"
	        "  help           this text\n\n"
	        "Environment variables (also read from ./.env; NAME_FILE reads NAME from a file where marked *):\n",
	        SY_VERSION);
	for (size_t i = 0; i < config_table_len; i++) {
		const struct cfg_opt *o = &config_table[i];
		fprintf(f, "  %s%s%s%s%s\n      %s\n", o->name, o->flags & CFG_FILE ? " *" : "",
		        o->def ? " (default: " : "", o->def ? o->def : "", o->def ? ")" : "", o->help);
	}
}

static int load_config(struct sy_config *cfg)
{
	char err[512] = "";
	memset(cfg, 0, sizeof *cfg);
	if (dotenv_load(".env", err, sizeof err) || config_load(cfg, env, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
		return 1;
	}
	enum log_level lvl = strcmp(cfg->log_level, "debug") == 0   ? LOG_DEBUG
	                     : strcmp(cfg->log_level, "warn") == 0  ? LOG_WARN
	                     : strcmp(cfg->log_level, "error") == 0 ? LOG_ERROR
	                                                            : LOG_INFO;
	log_setup(lvl, cfg->log_json);
	return 0;
}

static int healthcheck(int argc, char **argv, const struct sy_config *cfg)
{
	const char *endpoint = NULL, *sock = NULL;
	bool verbose = false;
	for (int i = 2; i < argc; i++) {
		if ((!strcmp(argv[i], "-e") || !strcmp(argv[i], "--endpoint")) && i + 1 < argc)
			endpoint = argv[++i];
		else if (!strcmp(argv[i], "--unix-socket") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			verbose = true;
		else {
			fprintf(stderr, "healthcheck: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	return app_healthcheck(cfg, endpoint, sock, verbose);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "serve";
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("symbolon %s\n", SY_VERSION);
		return 0;
	}
	bool code = !strcmp(cmd, "one-time-access-token");
	if (code && argc != 3) {
		fprintf(stderr, "usage: symbolon one-time-access-token <username or email>\n");
		return 2;
	}
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "healthcheck") != 0 && !code) {
		fprintf(stderr, "symbolon: unknown command \"%s\"\n\n", cmd);
		usage(stderr);
		return 2;
	}
	/* the database, its WAL and later uploads hold user data: not for other users */
	umask(027);
	struct sy_config cfg;
	if (load_config(&cfg))
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = code                    ? code_cli(&cfg, argv[2])
	         : !strcmp(cmd, "serve") ? app_serve(&cfg)
	                                 : healthcheck(argc, argv, &cfg);
	curl_global_cleanup();
	config_free(&cfg);
	return rc;
}
