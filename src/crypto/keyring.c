/*
 * keyring.c - the signing key's life: created once (RSA-2048, RS256, random kid),
 * kept encrypted in kv exactly as Pocket ID keeps it so a migrated database keeps
 * its key and every relying party keeps trusting its tokens.
 *
 * Two instances starting together on one PostgreSQL database both try to insert;
 * the loser re-reads the winner's key, so they always agree on one key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store.h"
#include "crypto.h"

#define KEY_NAME   "jwt_private_key.json"
#define STORED_MAX (64u * 1024u)

static enum sy_err kek(const char *enc_key, const char *instance_id, uint8_t out[32])
{
	char msg[256];
	int n = snprintf(msg, sizeof msg, "pocketid/%s/jwk-kek", instance_id);
	if (n < 0 || (size_t)n >= sizeof msg)
		return SY_E_INVALID;
	return hmac_sha3_256(enc_key, strlen(enc_key), msg, (size_t)n, out);
}

enum sy_err keyring_decrypt(const char *enc_key, const char *instance_id, const char *stored, struct jws_key *out)
{
	size_t n = strlen(stored);
	if (n > STORED_MAX)
		return SY_E_INVALID;
	uint8_t key[32];
	uint8_t *raw = sy_malloc(n), *plain = sy_malloc(n);
	size_t rawn, plainn = 0;
	enum sy_err e = b64_decode(stored, n, raw, &rawn);
	if (!e)
		e = kek(enc_key, instance_id, key);
	if (!e)
		e = gcm_open(key, NULL, 0, raw, rawn, plain, &plainn);
	if (!e) {
		json_error_t jerr;
		json_t *jwk = json_loadb((const char *)plain, plainn, JSON_REJECT_DUPLICATES, &jerr);
		/* a signing key without its private half would load and then sign nothing */
		e = jwk && json_object_get(jwk, "d") ? jwk_import(jwk, true, out) : SY_E_INVALID;
		json_decref(jwk);
	}
	explicit_bzero(key, sizeof key);
	explicit_bzero(plain, n);
	free(raw);
	free(plain);
	return e;
}

enum sy_err keyring_encrypt(struct arena *a, const char *enc_key, const char *instance_id, const struct jws_key *k,
                            char **stored)
{
	json_t *jwk = jwk_private(k);
	char *txt = jwk ? json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(jwk);
	if (!txt)
		return SY_E_INTERNAL;
	size_t n = strlen(txt);
	uint8_t key[32];
	uint8_t *sealed = sy_malloc(n + GCM_OVERHEAD);
	enum sy_err e = kek(enc_key, instance_id, key);
	if (!e)
		e = gcm_seal(key, NULL, 0, (const uint8_t *)txt, n, sealed);
	char *out = e ? NULL : arena_alloc(a, b64_encoded_len(n + GCM_OVERHEAD) + 1);
	if (!e && !out)
		e = SY_E_TOOBIG;
	if (!e) {
		b64_encode(sealed, n + GCM_OVERHEAD, out);
		*stored = out;
	}
	explicit_bzero(key, sizeof key);
	explicit_bzero(txt, n);
	free(txt);
	free(sealed);
	return e;
}

static enum sy_err instance_id_load(struct store *s, struct arena *a, char **id)
{
	enum sy_err e = store_kv_get(s, a, "instance_id", id);
	if (e != SY_E_NOTFOUND)
		return e;
	char fresh[37];
	uuid_v4(fresh);
	e = store_kv_add(s, "instance_id", fresh);
	if (e && e != SY_E_CONFLICT)
		return e;
	return store_kv_get(s, a, "instance_id", id);
}

static enum sy_err create_key(struct store *s, struct arena *a, const char *enc_key, const char *instance_id)
{
	struct jws_key k;
	char *stored;
	enum sy_err e = jwk_generate(JWS_RS256, 2048, &k);
	if (e)
		return e;
	e = keyring_encrypt(a, enc_key, instance_id, &k, &stored);
	if (!e)
		e = store_kv_add(s, KEY_NAME, stored);
	if (!e)
		log_info("created a new signing key (RS256, kid %s)", k.kid);
	jws_key_free(&k);
	return e == SY_E_CONFLICT ? SY_OK : e; /* another instance won the race */
}

enum sy_err keyring_load(struct store *s, const char *enc_key, struct jws_key *out, char *instance_id, size_t idlen,
                         char *err, size_t errlen)
{
	struct arena a;
	arena_init(&a, STORED_MAX * 4);
	char *id, *stored;
	enum sy_err e = instance_id_load(s, &a, &id);
	if (e) {
		snprintf(err, errlen, "cannot read or create the instance id: %s", store_errmsg(s));
		goto out;
	}
	snprintf(instance_id, idlen, "%s", id);
	e = store_kv_get(s, &a, KEY_NAME, &stored);
	if (e == SY_E_NOTFOUND) {
		e = create_key(s, &a, enc_key, id);
		if (!e)
			e = store_kv_get(s, &a, KEY_NAME, &stored);
	}
	if (e) {
		snprintf(err, errlen, "cannot read or create the signing key: %s", store_errmsg(s));
		goto out;
	}
	e = keyring_decrypt(enc_key, id, stored, out);
	if (e == SY_E_CRYPTO)
		snprintf(err, errlen,
		         "ENCRYPTION_KEY does not decrypt the signing key stored in this database: it is not the key "
		         "the database was created with. Start again with the original ENCRYPTION_KEY (nothing was "
		         "changed)");
	else if (e)
		snprintf(err, errlen,
		         "the stored signing key (kv %s) is not a valid encrypted JWK; nothing was changed", KEY_NAME);
out:
	arena_release(&a);
	return e;
}
