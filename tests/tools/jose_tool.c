/*
 * jose_tool.c - a command-line face of src/crypto for cross-checks against
 * independent JOSE implementations (tests/api/jose.test.mjs uses Node's crypto):
 *   jose_tool keygen ALG              private JWK of a new key
 *   jose_tool public JWKFILE          public JWK of a private one
 *   jose_tool sign ALG JWKFILE PAYLOAD   compact JWS
 *   jose_tool verify ALG JWKFILE TOKEN   prints the payload; exit 1 if refused
 */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"

static int load(const char *path, bool priv, struct jws_key *k)
{
	json_error_t e;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	int rc = j && jwk_import(j, priv, k) == SY_OK ? 0 : 1;
	json_decref(j);
	if (rc)
		fprintf(stderr, "cannot import %s\n", path);
	return rc;
}

static int print_json(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!s)
		return 1;
	puts(s);
	free(s);
	return 0;
}

int main(int argc, char **argv)
{
	enum jws_alg alg;
	struct jws_key k = {0};
	struct arena a;
	int rc = 2;
	arena_init(&a, 0);
	if (argc == 3 && !strcmp(argv[1], "keygen") && jws_alg_parse(argv[2], &alg)) {
		rc = jwk_generate(alg, 2048, &k) ? 1 : print_json(jwk_private(&k));
	} else if (argc == 3 && !strcmp(argv[1], "public")) {
		rc = load(argv[2], true, &k) ? 1 : print_json(jwk_public(&k));
	} else if (argc == 5 && !strcmp(argv[1], "sign") && jws_alg_parse(argv[2], &alg)) {
		char *tok;
		rc = load(argv[3], true, &k);
		if (!rc && (k.alg != alg || jws_sign(&a, &k, "JWT", argv[4], strlen(argv[4]), &tok)))
			rc = 1;
		if (!rc)
			puts(tok);
	} else if (argc == 5 && !strcmp(argv[1], "verify") && jws_alg_parse(argv[2], &alg)) {
		char *payload;
		size_t n;
		rc = load(argv[3], false, &k);
		if (!rc && jws_verify(&a, argv[4], strlen(argv[4]), &k, 1, alg, &payload, &n))
			rc = 1;
		if (!rc)
			puts(payload);
	} else {
		fprintf(stderr, "usage: jose_tool keygen|public|sign|verify ...\n");
	}
	jws_key_free(&k);
	arena_release(&a);
	return rc;
}
