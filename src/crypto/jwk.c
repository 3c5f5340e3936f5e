/*
 * jwk.c - JSON Web Keys (RFC 7517/7518/8037) for the algorithms Pocket ID can sign
 * with: RSA (RS256/384/512), EC P-256/384/521 (ES256/384/512) and Ed25519 (EdDSA).
 * Imports are strict: exact coordinate lengths, RSA at least 2048 bits, a private
 * key must match its public half, and "alg" must fit the key it labels.
 */
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <string.h>

#include "crypto.h"

enum kind { K_RSA, K_EC, K_ED };

static const struct {
	const char *name, *digest, *crv, *group;
	enum kind kind;
	size_t coord;
} ALGS[JWS_ALG_COUNT] = {
        [JWS_RS256] = {"RS256", "SHA256", NULL, NULL, K_RSA, 0},
        [JWS_RS384] = {"RS384", "SHA384", NULL, NULL, K_RSA, 0},
        [JWS_RS512] = {"RS512", "SHA512", NULL, NULL, K_RSA, 0},
        [JWS_ES256] = {"ES256", "SHA256", "P-256", "prime256v1", K_EC, 32},
        [JWS_ES384] = {"ES384", "SHA384", "P-384", "secp384r1", K_EC, 48},
        [JWS_ES512] = {"ES512", "SHA512", "P-521", "secp521r1", K_EC, 66},
        [JWS_EDDSA] = {"EdDSA", NULL, "Ed25519", NULL, K_ED, 32},
};

#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192

const char *jws_alg_name(enum jws_alg alg)
{
	return ALGS[alg].name;
}

const char *jws_alg_digest(enum jws_alg alg)
{
	return ALGS[alg].digest;
}

size_t jws_alg_coord_size(enum jws_alg alg)
{
	return ALGS[alg].kind == K_EC ? ALGS[alg].coord : 0;
}

bool jws_alg_parse(const char *s, enum jws_alg *out)
{
	for (int i = 0; i < JWS_ALG_COUNT; i++)
		if (strcmp(s, ALGS[i].name) == 0) {
			*out = (enum jws_alg)i;
			return true;
		}
	return false;
}

bool jws_key_fits(EVP_PKEY *pkey, enum jws_alg alg)
{
	switch (ALGS[alg].kind) {
	case K_RSA:
		return EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= RSA_MIN_BITS &&
		       EVP_PKEY_get_bits(pkey) <= RSA_MAX_BITS;
	case K_EC: {
		char group[32];
		size_t n = 0;
		return EVP_PKEY_is_a(pkey, "EC") &&
		       EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &n) &&
		       strcmp(group, ALGS[alg].group) == 0;
	}
	case K_ED: return EVP_PKEY_is_a(pkey, "ED25519");
	}
	return false;
}

void jws_key_free(struct jws_key *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
}

static void random_kid(char kid[64])
{
	uint8_t b[8];
	sy_random(b, sizeof b);
	b64url_encode(b, sizeof b, kid);
}

enum sy_err jwk_generate(enum jws_alg alg, int rsa_bits, struct jws_key *out)
{
	EVP_PKEY *pk = NULL;
	switch (ALGS[alg].kind) {
	case K_RSA:
		if (rsa_bits < RSA_MIN_BITS || rsa_bits > 4096)
			return SY_E_INVALID;
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits);
		break;
	case K_EC: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ALGS[alg].group); break;
	case K_ED: pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	}
	if (!pk)
		return SY_E_CRYPTO;
	out->pkey = pk;
	out->alg = alg;
	random_kid(out->kid);
	return SY_OK;
}

/* --- import ------------------------------------------------------------------ */

#define JWK_MEMBER_MAX 1024 /* decoded bytes; an 8192-bit modulus is 1024 */

/* Decodes a base64url member; *len 0 and SY_OK when absent and optional. */
static enum sy_err member(const json_t *jwk, const char *name, bool required, uint8_t *buf, size_t *len)
{
	const json_t *v = json_object_get(jwk, name);
	*len = 0;
	if (!v)
		return required ? SY_E_INVALID : SY_OK;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (!s || n == 0 || n > b64url_encoded_len(JWK_MEMBER_MAX))
		return SY_E_INVALID;
	return b64url_decode(s, n, buf, len);
}

static EVP_PKEY *fromdata(const char *type, OSSL_PARAM_BLD *bld, bool priv)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;
	if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &pk, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pk;
}

static bool push_bn(OSSL_PARAM_BLD *bld, const char *key, const uint8_t *b, size_t n, BIGNUM **keep)
{
	BIGNUM *bn = BN_bin2bn(b, (int)n, NULL);
	if (!bn)
		return false;
	*keep = bn; /* the builder stores the pointer until _to_param */
	return OSSL_PARAM_BLD_push_BN(bld, key, bn) == 1;
}

static EVP_PKEY *import_rsa(const json_t *jwk, bool priv)
{
	static const char *const names[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
	static const char *const params[] = {
	        OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
	        OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
	        OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	};
	size_t count = priv ? 8 : 2;
	BIGNUM *bns[8] = {0};
	uint8_t buf[JWK_MEMBER_MAX + 3];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;
	for (size_t i = 0; i < count; i++) {
		size_t n;
		if (member(jwk, names[i], true, buf, &n) || !push_bn(bld, params[i], buf, n, &bns[i]))
			goto out;
	}
	pk = fromdata("RSA", bld, priv);
out:
	OSSL_PARAM_BLD_free(bld);
	for (size_t i = 0; i < 8; i++)
		BN_clear_free(bns[i]);
	explicit_bzero(buf, sizeof buf);
	return pk;
}

static EVP_PKEY *import_ec(const json_t *jwk, enum jws_alg alg, bool priv)
{
	size_t c = ALGS[alg].coord, xn, yn, dn = 0;
	uint8_t pt[1 + 2 * 66], x[JWK_MEMBER_MAX + 3], y[JWK_MEMBER_MAX + 3], d[JWK_MEMBER_MAX + 3];
	BIGNUM *dbn = NULL;
	EVP_PKEY *pk = NULL;
	if (member(jwk, "x", true, x, &xn) || member(jwk, "y", true, y, &yn) || xn != c || yn != c)
		return NULL;
	if (priv && (member(jwk, "d", true, d, &dn) || dn != c))
		return NULL;
	pt[0] = 4;
	memcpy(pt + 1, x, c);
	memcpy(pt + 1 + c, y, c);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, ALGS[alg].group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * c) == 1 &&
	    (!priv || push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, d, dn, &dbn)))
		pk = fromdata("EC", bld, priv); /* pt is still in scope here: the builder keeps a pointer */
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(dbn);
	explicit_bzero(d, sizeof d);
	return pk;
}

static EVP_PKEY *import_ed25519(const json_t *jwk, bool priv)
{
	uint8_t x[JWK_MEMBER_MAX + 3], d[JWK_MEMBER_MAX + 3];
	size_t xn, dn;
	if (member(jwk, "x", true, x, &xn) || xn != 32)
		return NULL;
	if (!priv)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
	if (member(jwk, "d", true, d, &dn) || dn != 32)
		return NULL;
	EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, 32);
	explicit_bzero(d, sizeof d);
	uint8_t derived[32];
	size_t n = sizeof derived;
	if (pk && (EVP_PKEY_get_raw_public_key(pk, derived, &n) != 1 || !bytes_eq(derived, n, x, 32))) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

static bool infer_alg(const char *kty, const char *crv, enum jws_alg *alg)
{
	if (strcmp(kty, "RSA") == 0)
		return *alg = JWS_RS256, true;
	for (int i = 0; i < JWS_ALG_COUNT; i++)
		if (ALGS[i].crv && crv && strcmp(ALGS[i].crv, crv) == 0 &&
		    strcmp(kty, ALGS[i].kind == K_EC ? "EC" : "OKP") == 0)
			return *alg = (enum jws_alg)i, true;
	return false;
}

enum sy_err jwk_import(const json_t *jwk, bool allow_private, struct jws_key *out)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	const json_t *alg_v = json_object_get(jwk, "alg");
	const json_t *kid_v = json_object_get(jwk, "kid");
	bool priv = json_object_get(jwk, "d") != NULL;
	enum jws_alg alg;
	if (!json_is_object(jwk) || !kty || (priv && !allow_private))
		return SY_E_INVALID;
	if (alg_v ? !json_is_string(alg_v) || !jws_alg_parse(json_string_value(alg_v), &alg)
	          : !infer_alg(kty, crv, &alg))
		return SY_E_INVALID;
	if (kid_v && (!json_is_string(kid_v) || json_string_length(kid_v) >= sizeof out->kid))
		return SY_E_INVALID;
	const char *want_kty = ALGS[alg].kind == K_RSA ? "RSA" : ALGS[alg].kind == K_EC ? "EC" : "OKP";
	if (strcmp(kty, want_kty) != 0 || (ALGS[alg].crv && (!crv || strcmp(crv, ALGS[alg].crv) != 0)))
		return SY_E_INVALID;
	EVP_PKEY *pk = ALGS[alg].kind == K_RSA  ? import_rsa(jwk, priv)
	               : ALGS[alg].kind == K_EC ? import_ec(jwk, alg, priv)
	                                        : import_ed25519(jwk, priv);
	if (!pk)
		return SY_E_INVALID;
	bool ok = jws_key_fits(pk, alg);
	if (ok && priv && ALGS[alg].kind != K_ED) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		ok = ctx && EVP_PKEY_pairwise_check(ctx) == 1;
		EVP_PKEY_CTX_free(ctx);
	}
	if (!ok) {
		EVP_PKEY_free(pk);
		return SY_E_INVALID;
	}
	out->pkey = pk;
	out->alg = alg;
	snprintf(out->kid, sizeof out->kid, "%s", kid_v ? json_string_value(kid_v) : "");
	return SY_OK;
}

/* --- export ------------------------------------------------------------------ */

static bool set_b64(json_t *o, const char *name, const uint8_t *b, size_t n)
{
	char s[b64url_encoded_len(JWK_MEMBER_MAX) + 1];
	if (n > JWK_MEMBER_MAX)
		return false;
	b64url_encode(b, n, s);
	bool ok = json_object_set_new(o, name, json_string(s)) == 0;
	explicit_bzero(s, sizeof s);
	return ok;
}

/* pad: 0 for minimal big-endian (RSA members), else the fixed width. */
static bool set_bn(json_t *o, const char *name, EVP_PKEY *pk, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	uint8_t b[JWK_MEMBER_MAX];
	if (EVP_PKEY_get_bn_param(pk, param, &bn) != 1)
		return false;
	int n = pad ? BN_bn2binpad(bn, b, (int)pad) : BN_bn2bin(bn, b);
	BN_clear_free(bn);
	bool ok = n > 0 && set_b64(o, name, b, (size_t)n);
	explicit_bzero(b, sizeof b);
	return ok;
}

static json_t *export(const struct jws_key *k, bool priv)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "alg", ALGS[k->alg].name, "kid", k->kid, "use", "sig");
	EVP_PKEY *pk = k->pkey;
	bool ok = o != NULL;
	switch (ALGS[k->alg].kind) {
	case K_RSA:
		ok = ok && json_object_set_new(o, "kty", json_string("RSA")) == 0 &&
		     set_bn(o, "n", pk, OSSL_PKEY_PARAM_RSA_N, 0) && set_bn(o, "e", pk, OSSL_PKEY_PARAM_RSA_E, 0);
		if (ok && priv)
			ok = set_bn(o, "d", pk, OSSL_PKEY_PARAM_RSA_D, 0) &&
			     set_bn(o, "p", pk, OSSL_PKEY_PARAM_RSA_FACTOR1, 0) &&
			     set_bn(o, "q", pk, OSSL_PKEY_PARAM_RSA_FACTOR2, 0) &&
			     set_bn(o, "dp", pk, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0) &&
			     set_bn(o, "dq", pk, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0) &&
			     set_bn(o, "qi", pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0);
		break;
	case K_EC: {
		size_t c = ALGS[k->alg].coord;
		ok = ok && json_object_set_new(o, "kty", json_string("EC")) == 0 &&
		     json_object_set_new(o, "crv", json_string(ALGS[k->alg].crv)) == 0 &&
		     set_bn(o, "x", pk, OSSL_PKEY_PARAM_EC_PUB_X, c) && set_bn(o, "y", pk, OSSL_PKEY_PARAM_EC_PUB_Y, c);
		if (ok && priv)
			ok = set_bn(o, "d", pk, OSSL_PKEY_PARAM_PRIV_KEY, c);
		break;
	}
	case K_ED: {
		uint8_t b[32];
		size_t n = sizeof b;
		ok = ok && json_object_set_new(o, "kty", json_string("OKP")) == 0 &&
		     json_object_set_new(o, "crv", json_string("Ed25519")) == 0 &&
		     EVP_PKEY_get_raw_public_key(pk, b, &n) == 1 && set_b64(o, "x", b, n);
		n = sizeof b;
		if (ok && priv)
			ok = EVP_PKEY_get_raw_private_key(pk, b, &n) == 1 && set_b64(o, "d", b, n);
		explicit_bzero(b, sizeof b);
		break;
	}
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *jwk_public(const struct jws_key *k)
{
	return export(k, false);
}

json_t *jwk_private(const struct jws_key *k)
{
	return export(k, true);
}
