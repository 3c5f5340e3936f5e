/*
 * cose.c - COSE_Key (RFC 9052 §7, RFC 9053) to EVP_PKEY, and signature checks
 * for the algorithms Pocket ID offers: ECDSA on P-256/384/521, RSA PKCS#1 v1.5
 * and PSS (modulus of at least 2048 bits), and Ed25519. kty and crv must be the
 * ones the alg implies, and every coordinate has its exact length, so one key
 * has exactly one encoding we accept.
 */
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

enum { COSE_KTY_OKP = 1, COSE_KTY_EC2 = 2, COSE_KTY_RSA = 3 };
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192

/* Digest for alg, NULL for EdDSA; *known false for an alg we do not verify. */
static const char *alg_digest(int alg, bool *known)
{
	*known = true;
	switch (alg) {
	case COSE_ES256:
	case COSE_RS256:
	case COSE_PS256: return "SHA256";
	case COSE_ES384:
	case COSE_RS384:
	case COSE_PS384: return "SHA384";
	case COSE_ES512:
	case COSE_RS512:
	case COSE_PS512: return "SHA512";
	case COSE_EDDSA: return NULL;
	default: *known = false; return NULL;
	}
}

static bool alg_is_ec(int alg)
{
	return alg == COSE_ES256 || alg == COSE_ES384 || alg == COSE_ES512;
}

static bool alg_is_rsa(int alg)
{
	return (alg <= COSE_PS256 && alg >= COSE_PS512) || (alg <= COSE_RS256 && alg >= COSE_RS512);
}

static bool alg_is_pss(int alg)
{
	return alg <= COSE_PS256 && alg >= COSE_PS512;
}

/* EC2 curve id, OpenSSL group name and coordinate size for an ECDSA alg. */
static void ec_params(int alg, int64_t *crv, const char **group, size_t *size)
{
	switch (alg) {
	case COSE_ES384: *crv = 2, *group = "secp384r1", *size = 48; break;
	case COSE_ES512: *crv = 3, *group = "secp521r1", *size = 66; break;
	default: *crv = 1, *group = "prime256v1", *size = 32; break;
	}
}

bool cose_alg_fits(EVP_PKEY *pkey, int alg)
{
	if (alg == COSE_EDDSA)
		return EVP_PKEY_is_a(pkey, "ED25519");
	if (alg_is_rsa(alg))
		return EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= RSA_MIN_BITS;
	if (!alg_is_ec(alg) || !EVP_PKEY_is_a(pkey, "EC"))
		return false;
	int64_t crv;
	const char *want;
	size_t size;
	ec_params(alg, &crv, &want, &size);
	char group[32];
	return EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) == 1 &&
	       strcmp(group, want) == 0;
}

static const uint8_t *bytes_of(const cbor_item_t *map, int64_t label, size_t *len)
{
	const cbor_item_t *v = webauthn_cbor_get_int(map, label);
	if (!v || !cbor_isa_bytestring(v))
		return NULL;
	*len = cbor_bytestring_length(v);
	return cbor_bytestring_handle(v);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *prm = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;
	if (!prm || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, prm) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(prm);
	return pk;
}

/* EVP_PKEY_fromdata alone accepts any point; the quick public-key check proves
 * it is on the curve and not the point at infinity. The full check adds an
 * order multiplication, which proves nothing more on P-256/384/521: their
 * cofactor is 1, so every point on the curve is in the prime-order group. It
 * cost 10% of a passkey sign-in (bench/README.md). */
static bool ec_point_valid(EVP_PKEY *pk)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	bool ok = ctx && EVP_PKEY_public_check_quick(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static EVP_PKEY *ec2_key(const cbor_item_t *m, int alg, const char **why)
{
	int64_t crv, got;
	const char *group;
	size_t size, xl = 0, yl = 0;
	ec_params(alg, &crv, &group, &size);
	const cbor_item_t *c = webauthn_cbor_get_int(m, -1);
	const uint8_t *x = bytes_of(m, -2, &xl), *y = bytes_of(m, -3, &yl);
	if (!c || !webauthn_cbor_int(c, &got) || got != crv || !x || !y || xl != size || yl != size) {
		*why = "the EC2 public key's curve or coordinates do not fit its algorithm";
		return NULL;
	}
	uint8_t pt[1 + 2 * 66]; /* must outlive OSSL_PARAM_BLD_to_param, which copies it */
	pt[0] = 4;
	memcpy(pt + 1, x, size);
	memcpy(pt + 1 + size, y, size);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;
	if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * size) == 1)
		pk = from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	if (pk && !ec_point_valid(pk)) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	if (!pk)
		*why = "the EC2 public key is not a point on its curve";
	return pk;
}

static EVP_PKEY *rsa_key(const cbor_item_t *m, const char **why)
{
	size_t nl = 0, el = 0;
	const uint8_t *n = bytes_of(m, -1, &nl), *e = bytes_of(m, -2, &el);
	/* minimal big-endian encodings; an odd exponent above 1 that fits 64 bits */
	if (!n || !e || nl == 0 || n[0] == 0 || el == 0 || el > 8 || e[0] == 0 || !(e[el - 1] & 1) ||
	    (el == 1 && e[0] == 1)) {
		*why = "the RSA public key is malformed";
		return NULL;
	}
	if (nl * 8 < RSA_MIN_BITS || nl * 8 > RSA_MAX_BITS) {
		*why = "the RSA modulus must have 2048 to 8192 bits";
		return NULL;
	}
	BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;
	if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
		pk = from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	if (pk && EVP_PKEY_get_bits(pk) < RSA_MIN_BITS) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	if (!pk)
		*why = "the RSA public key is malformed or shorter than 2048 bits";
	return pk;
}

static EVP_PKEY *okp_key(const cbor_item_t *m, const char **why)
{
	int64_t crv;
	size_t xl = 0;
	const cbor_item_t *c = webauthn_cbor_get_int(m, -1);
	const uint8_t *x = bytes_of(m, -2, &xl);
	if (!c || !webauthn_cbor_int(c, &crv) || crv != 6 || !x || xl != 32) {
		*why = "the OKP public key is not an Ed25519 key";
		return NULL;
	}
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
	if (!pk)
		*why = "the Ed25519 public key is malformed";
	return pk;
}

static bool offered(int alg, const int *algs, size_t nalgs)
{
	for (size_t i = 0; i < nalgs; i++)
		if (algs[i] == alg)
			return true;
	return false;
}

/* kty and alg, with the alg in the offered set. */
static enum sy_err kty_alg(struct arena *a, const cbor_item_t *m, const int *algs, size_t nalgs, int64_t *kty, int *alg,
                           const char **why)
{
	const cbor_item_t *k = webauthn_cbor_get_int(m, 1), *al = webauthn_cbor_get_int(m, 3);
	int64_t v;
	if (!k || !webauthn_cbor_int(k, kty) || !al || !webauthn_cbor_int(al, &v) || v < INT32_MIN || v > 0) {
		*why = "the COSE key has no valid kty or alg";
		return SY_E_INVALID;
	}
	bool known;
	alg_digest((int)v, &known);
	if (!known || !offered((int)v, algs, nalgs)) {
		*why = arena_printf(a, "the algorithm %d is not offered", (int)v);
		if (!*why)
			*why = "the algorithm is not offered";
		return SY_E_DENIED;
	}
	*alg = (int)v;
	int64_t want = *alg == COSE_EDDSA ? COSE_KTY_OKP : alg_is_ec(*alg) ? COSE_KTY_EC2 : COSE_KTY_RSA;
	if (*kty != want) {
		*why = "the COSE key type does not fit its algorithm";
		return SY_E_INVALID;
	}
	return SY_OK;
}

/* Parsed keys by their exact bytes. Building an EVP_PKEY from parameters is
 * slow in OpenSSL 3 (about a tenth of a passkey sign-in), and a user's passkey
 * comes back at every sign-in. Same bytes, same key: the cache changes no
 * result, and the alg is still checked against the caller's list. */
#define KEY_CACHE 64
static struct {
	uint8_t *bytes;
	size_t n;
	int alg;
	EVP_PKEY *pkey;
} key_cache[KEY_CACHE];
static size_t key_cache_next;
static pthread_mutex_t key_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool alg_listed(int alg, const int *algs, size_t nalgs)
{
	for (size_t i = 0; i < nalgs; i++)
		if (algs[i] == alg)
			return true;
	return false;
}

static bool cache_get(const uint8_t *p, size_t n, struct cose_key *out)
{
	bool hit = false;
	pthread_mutex_lock(&key_cache_lock);
	for (size_t i = 0; i < KEY_CACHE && !hit; i++)
		if (key_cache[i].pkey && bytes_eq(key_cache[i].bytes, key_cache[i].n, p, n) &&
		    EVP_PKEY_up_ref(key_cache[i].pkey) == 1) {
			out->pkey = key_cache[i].pkey;
			out->alg = key_cache[i].alg;
			hit = true;
		}
	pthread_mutex_unlock(&key_cache_lock);
	return hit;
}

static void cache_put(const uint8_t *p, size_t n, const struct cose_key *k)
{
	if (EVP_PKEY_up_ref(k->pkey) != 1)
		return;
	uint8_t *copy = sy_malloc(n ? n : 1);
	memcpy(copy, p, n);
	pthread_mutex_lock(&key_cache_lock);
	size_t i = key_cache_next++ % KEY_CACHE;
	EVP_PKEY *old = key_cache[i].pkey;
	uint8_t *old_bytes = key_cache[i].bytes;
	key_cache[i].bytes = copy;
	key_cache[i].n = n;
	key_cache[i].alg = k->alg;
	key_cache[i].pkey = k->pkey;
	pthread_mutex_unlock(&key_cache_lock);
	EVP_PKEY_free(old);
	free(old_bytes);
}

void cose_key_cache_clear(void)
{
	pthread_mutex_lock(&key_cache_lock);
	for (size_t i = 0; i < KEY_CACHE; i++) {
		EVP_PKEY_free(key_cache[i].pkey);
		free(key_cache[i].bytes);
		key_cache[i].pkey = NULL;
		key_cache[i].bytes = NULL;
	}
	pthread_mutex_unlock(&key_cache_lock);
}

static enum sy_err parse_key(struct arena *a, const uint8_t *p, size_t n, const int *algs, size_t nalgs,
                             struct cose_key *out, const char **why);

enum sy_err cose_key_parse(struct arena *a, const uint8_t *p, size_t n, const int *algs, size_t nalgs,
                           struct cose_key *out, const char **why)
{
	out->pkey = NULL;
	if (n > WEBAUTHN_MAX_COSE_KEY) {
		*why = "the COSE key is too large";
		return SY_E_TOOBIG;
	}
	if (cache_get(p, n, out)) {
		if (alg_listed(out->alg, algs, nalgs))
			return SY_OK;
		cose_key_free(out); /* parse again for the precise refusal */
	}
	enum sy_err e = parse_key(a, p, n, algs, nalgs, out, why);
	if (!e)
		cache_put(p, n, out);
	return e;
}

static enum sy_err parse_key(struct arena *a, const uint8_t *p, size_t n, const int *algs, size_t nalgs,
                             struct cose_key *out, const char **why)
{
	cbor_item_t *m;
	enum sy_err e = webauthn_cbor_decode(p, n, true, &m, NULL, why);
	if (e)
		return e;
	int64_t kty;
	if (!cbor_isa_map(m)) {
		*why = "the COSE key is not a CBOR map";
		e = SY_E_INVALID;
	} else if (!(e = kty_alg(a, m, algs, nalgs, &kty, &out->alg, why))) {
		out->pkey = kty == COSE_KTY_EC2   ? ec2_key(m, out->alg, why)
		            : kty == COSE_KTY_RSA ? rsa_key(m, why)
		                                  : okp_key(m, why);
		e = out->pkey ? SY_OK : SY_E_INVALID;
	}
	cbor_decref(&m);
	return e;
}

void cose_key_free(struct cose_key *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
}

enum sy_err cose_verify(EVP_PKEY *pkey, int alg, const uint8_t *msg, size_t n, const uint8_t *sig, size_t siglen)
{
	bool known;
	const char *md = alg_digest(alg, &known);
	if (!known || !cose_alg_fits(pkey, alg) || siglen == 0 || siglen > WEBAUTHN_MAX_SIGNATURE)
		return SY_E_CRYPTO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	bool ok = ctx && EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, pkey, NULL) == 1;
	/* WebAuthn L3 §5.8.5: RSASSA-PSS with MGF1 on the same digest and a salt as long as the digest */
	if (ok && alg_is_pss(alg))
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
	ok = ok && EVP_DigestVerify(ctx, sig, siglen, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? SY_OK : SY_E_CRYPTO;
}
