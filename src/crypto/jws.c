/*
 * jws.c - JWS compact serialization (RFC 7515) for RS*, ES* and EdDSA.
 *
 * The verifier trusts nothing in the header but `kid`: the algorithm is fixed by
 * the caller, `crit` is refused, and key-carrying members (jwk, jku, x5u, x5c)
 * are never read. ECDSA signatures are the fixed-width r||s of RFC 7518 §3.4,
 * converted to and from OpenSSL's DER form with exact length checks.
 */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <string.h>

#include "crypto.h"

/* DER ECDSA signature -> r||s, each padded to c bytes. */
static bool der_to_raw(const uint8_t *der, size_t n, size_t c, uint8_t *raw)
{
	const uint8_t *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)n);
	if (!sig)
		return false;
	const BIGNUM *r, *s;
	ECDSA_SIG_get0(sig, &r, &s);
	bool ok = BN_bn2binpad(r, raw, (int)c) == (int)c && BN_bn2binpad(s, raw + c, (int)c) == (int)c;
	ECDSA_SIG_free(sig);
	return ok;
}

/* r||s -> DER; returns the DER length, 0 on failure. */
static size_t raw_to_der(const uint8_t *raw, size_t c, uint8_t *der, size_t cap)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)c, NULL), *s = BN_bin2bn(raw + c, (int)c, NULL);
	if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return 0;
	}
	int len = i2d_ECDSA_SIG(sig, NULL);
	size_t out = 0;
	if (len > 0 && (size_t)len <= cap) {
		uint8_t *p = der;
		out = (size_t)i2d_ECDSA_SIG(sig, &p);
	}
	ECDSA_SIG_free(sig);
	return out;
}

static EVP_MD_CTX *md_ctx(EVP_PKEY *pk, enum jws_alg alg, bool sign)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const char *digest = jws_alg_digest(alg);
	int ok = md && (sign ? EVP_DigestSignInit_ex(md, NULL, digest, NULL, NULL, pk, NULL)
	                     : EVP_DigestVerifyInit_ex(md, NULL, digest, NULL, NULL, pk, NULL));
	if (ok != 1) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	return md;
}

#define SIG_MAX 1024 /* RSA-8192 */

enum sy_err jws_sign(struct arena *a, const struct jws_key *k, const char *typ, const char *payload, size_t plen,
                     char **out)
{
	json_t *h = json_pack("{s:s, s:s}", "alg", jws_alg_name(k->alg), "kid", k->kid);
	if (h && typ)
		json_object_set_new(h, "typ", json_string(typ));
	char *htxt = h ? json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(h);
	if (!htxt)
		return SY_E_INTERNAL;
	size_t hn = strlen(htxt);
	size_t eh = b64url_encoded_len(hn), ep = b64url_encoded_len(plen);
	char *tok = arena_alloc(a, eh + 1 + ep + 1 + b64url_encoded_len(SIG_MAX) + 1);
	if (!tok) {
		free(htxt);
		return SY_E_TOOBIG;
	}
	b64url_encode((const uint8_t *)htxt, hn, tok);
	free(htxt);
	tok[eh] = '.';
	b64url_encode((const uint8_t *)payload, plen, tok + eh + 1);
	size_t signing_len = eh + 1 + ep;

	uint8_t sig[SIG_MAX + 16];
	size_t siglen = sizeof sig;
	EVP_MD_CTX *md = md_ctx(k->pkey, k->alg, true);
	int ok = md && EVP_DigestSign(md, sig, &siglen, (const uint8_t *)tok, signing_len) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return SY_E_CRYPTO;
	size_t c = jws_alg_coord_size(k->alg);
	uint8_t raw[2 * 66];
	const uint8_t *s = sig;
	if (c) {
		if (!der_to_raw(sig, siglen, c, raw))
			return SY_E_CRYPTO;
		s = raw;
		siglen = 2 * c;
	}
	tok[signing_len] = '.';
	b64url_encode(s, siglen, tok + signing_len + 1);
	*out = tok;
	return SY_OK;
}

/* Validates the protected header and returns the kid it names (or NULL). */
static enum sy_err check_header(struct arena *a, const char *seg, size_t n, enum jws_alg expected, char **kid)
{
	uint8_t *raw;
	size_t rawn;
	enum sy_err e = arena_b64url_decode(a, seg, n, &raw, &rawn);
	if (e)
		return SY_E_INVALID;
	json_error_t jerr;
	json_t *h = json_loadb((const char *)raw, rawn, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(h)) {
		json_decref(h);
		return SY_E_INVALID;
	}
	const char *alg = json_string_value(json_object_get(h, "alg"));
	const json_t *kidv = json_object_get(h, "kid");
	e = SY_OK;
	if (!alg || strcmp(alg, jws_alg_name(expected)) != 0 || json_object_get(h, "crit") ||
	    (kidv && !json_is_string(kidv)))
		e = SY_E_CRYPTO;
	*kid = NULL;
	if (!e && kidv && !(*kid = arena_strdup(a, json_string_value(kidv))))
		e = SY_E_TOOBIG;
	json_decref(h);
	return e;
}

static const struct jws_key *pick_key(const struct jws_key *keys, size_t nkeys, enum jws_alg alg, const char *kid)
{
	const struct jws_key *found = NULL;
	size_t candidates = 0;
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].alg != alg)
			continue;
		if (kid && strcmp(kid, keys[i].kid) == 0)
			return &keys[i];
		candidates++;
		found = &keys[i];
	}
	return !kid && candidates == 1 ? found : NULL;
}

enum sy_err jws_verify(struct arena *a, const char *token, size_t n, const struct jws_key *keys, size_t nkeys,
                       enum jws_alg expected, char **payload, size_t *plen)
{
	if (n == 0 || n > JWS_MAX_TOKEN)
		return SY_E_INVALID;
	const char *d1 = memchr(token, '.', n);
	const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - token)) : NULL;
	if (!d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - token)))
		return SY_E_INVALID;
	char *kid;
	enum sy_err e = check_header(a, token, (size_t)(d1 - token), expected, &kid);
	if (e)
		return e;
	const struct jws_key *k = pick_key(keys, nkeys, expected, kid);
	if (!k || !jws_key_fits(k->pkey, expected))
		return SY_E_CRYPTO;

	uint8_t *sig;
	size_t siglen;
	const char *sig64 = d2 + 1;
	if (arena_b64url_decode(a, sig64, n - (size_t)(sig64 - token), &sig, &siglen))
		return SY_E_INVALID;
	size_t c = jws_alg_coord_size(expected);
	uint8_t der[2 * 66 + 16];
	if (c) {
		if (siglen != 2 * c || !(siglen = raw_to_der(sig, c, der, sizeof der)))
			return SY_E_CRYPTO;
		sig = der;
	}
	EVP_MD_CTX *md = md_ctx(k->pkey, expected, false);
	int ok = md && EVP_DigestVerify(md, sig, siglen, (const uint8_t *)token, (size_t)(d2 - token)) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return SY_E_CRYPTO;

	uint8_t *body;
	size_t bodyn;
	if (arena_b64url_decode(a, d1 + 1, (size_t)(d2 - d1 - 1), &body, &bodyn))
		return SY_E_INVALID;
	char *txt = arena_strndup(a, (const char *)body, bodyn);
	if (!txt)
		return SY_E_TOOBIG;
	*payload = txt;
	*plen = bodyn;
	return SY_OK;
}
