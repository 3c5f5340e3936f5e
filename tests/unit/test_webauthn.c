/*
 * test_webauthn.c - WebAuthn registration and assertion verification against a
 * software authenticator (OpenSSL keys, libcbor-built attestation objects) and
 * the W3C WebAuthn L3 §16 test vectors (tests/vectors/webauthn/), with one test
 * per refusal so that each reason is seen to fire on its own.
 */
#include "test_util.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "auth/aaguids.h"
#include "auth/auth.h"

enum { K_ES256, K_RS256, K_EDDSA, K_PS256, K_ES384, K_ES512, K_COUNT };
static const int key_alg[K_COUNT] = {COSE_ES256, COSE_RS256, COSE_EDDSA, COSE_PS256, COSE_ES384, COSE_ES512};
static EVP_PKEY *keys[K_COUNT];

static const int offered[] = {-7, -8, -35, -36, -257, -258, -259, -37, -38, -39};
static const struct webauthn_policy policy = {"example.org", "https://example.org", false, offered, 10};
static const struct webauthn_policy policy_uv = {"example.org", "https://example.org", true, offered, 10};
static const uint8_t challenge[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static int setup(void **state)
{
	(void)state;
	keys[K_ES256] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	keys[K_ES384] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	keys[K_ES512] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	keys[K_RS256] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	keys[K_PS256] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	keys[K_EDDSA] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	for (int i = 0; i < K_COUNT; i++)
		if (!keys[i])
			return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < K_COUNT; i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

/* ---- the software authenticator ---- */

/* Canonical-width integers (libcbor's uint64 builder would use 9 bytes). */
static cbor_item_t *cint(int64_t v)
{
	uint64_t u = v >= 0 ? (uint64_t)v : (uint64_t)(-1 - v);
	cbor_item_t *it = u < 256 ? cbor_build_uint8((uint8_t)u) : cbor_build_uint16((uint16_t)u);
	if (v < 0)
		cbor_mark_negint(it);
	return it;
}

static void put(cbor_item_t *m, cbor_item_t *k, cbor_item_t *v)
{
	assert_true(cbor_map_add(m, (struct cbor_pair){cbor_move(k), cbor_move(v)}));
}

static size_t serialize(cbor_item_t *it, uint8_t *out, size_t cap)
{
	uint8_t *buf;
	size_t size, n = cbor_serialize_alloc(it, &buf, &size);
	assert_true(n > 0 && n <= cap);
	memcpy(out, buf, n);
	free(buf);
	cbor_decref(&it);
	return n;
}

static cbor_item_t *bn_bytes(EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	uint8_t b[1024];
	int n = BN_bn2bin(bn, b);
	BN_free(bn);
	return cbor_build_bytestring(b, (size_t)n);
}

static size_t cose_encode(EVP_PKEY *k, int alg, uint8_t *out, size_t cap)
{
	cbor_item_t *m = cbor_new_definite_map(5);
	if (EVP_PKEY_is_a(k, "EC")) {
		uint8_t pt[200];
		size_t n;
		assert_int_equal(
		        EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof pt, &n), 1);
		size_t c = (n - 1) / 2;
		put(m, cint(1), cint(2));
		put(m, cint(3), cint(alg));
		put(m, cint(-1), cint(c == 32 ? 1 : c == 48 ? 2 : 3));
		put(m, cint(-2), cbor_build_bytestring(pt + 1, c));
		put(m, cint(-3), cbor_build_bytestring(pt + 1 + c, c));
	} else if (EVP_PKEY_is_a(k, "RSA")) {
		put(m, cint(1), cint(3));
		put(m, cint(3), cint(alg));
		put(m, cint(-1), bn_bytes(k, OSSL_PKEY_PARAM_RSA_N));
		put(m, cint(-2), bn_bytes(k, OSSL_PKEY_PARAM_RSA_E));
	} else {
		uint8_t x[32];
		size_t n = sizeof x;
		assert_int_equal(EVP_PKEY_get_raw_public_key(k, x, &n), 1);
		put(m, cint(1), cint(1));
		put(m, cint(3), cint(alg));
		put(m, cint(-1), cint(6));
		put(m, cint(-2), cbor_build_bytestring(x, 32));
	}
	return serialize(m, out, cap);
}

static size_t sw_sign(EVP_PKEY *k, int alg, const uint8_t *msg, size_t n, uint8_t *sig)
{
	const char *md = alg == COSE_EDDSA   ? NULL
	                 : alg == COSE_ES384 ? "SHA384"
	                 : alg == COSE_ES512 ? "SHA512"
	                                     : "SHA256";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx;
	assert_int_equal(EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, k, NULL), 1);
	if (alg == COSE_PS256) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	size_t len = 1024;
	assert_int_equal(EVP_DigestSign(ctx, sig, &len, msg, n), 1);
	EVP_MD_CTX_free(ctx);
	return len;
}

/* What to produce, and what to get wrong. */
struct opts {
	int key;
	int alg; /* written into the COSE key */
	const char *fmt;
	uint8_t flags;
	const char *type, *origin, *rp_id, *cd_extra;
	const uint8_t *challenge;
	size_t cred_id_len;
	uint32_t count;
	X509 *cert;            /* packed full or fido-u2f x5c leaf */
	EVP_PKEY *cert_key;    /* its private key */
	const uint8_t *aaguid; /* default all 0x42 */
	const uint8_t *ext;    /* raw bytes after the attested data (set ED in flags) */
	size_t ext_len;
};

static struct opts opts_for(int key)
{
	return (struct opts){.key = key,
	                     .alg = key_alg[key],
	                     .fmt = "none",
	                     .flags = AUTHDATA_UP | AUTHDATA_UV,
	                     .type = "webauthn.create",
	                     .origin = "https://example.org",
	                     .rp_id = "example.org",
	                     .cd_extra = "",
	                     .challenge = challenge,
	                     .cred_id_len = 16};
}

struct ceremony {
	char cd[2048];
	size_t cd_len;
	uint8_t ad[4096];
	size_t ad_len;
	uint8_t ao[8192];
	size_t ao_len;
	uint8_t cose[1024];
	size_t cose_len;
	uint8_t sig[1024];
	size_t sig_len;
	uint8_t cred_id[1100];
};

static void client_data(const struct opts *o, struct ceremony *c)
{
	char ch[64];
	b64url_encode(o->challenge, sizeof challenge, ch);
	c->cd_len = (size_t)snprintf(c->cd, sizeof c->cd, "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\"%s}",
	                             o->type, ch, o->origin, o->cd_extra);
}

static void attested_data(const struct opts *o, struct ceremony *c);

static void auth_data(const struct opts *o, struct ceremony *c, bool attested)
{
	uint8_t *p = c->ad;
	SHA256((const uint8_t *)o->rp_id, strlen(o->rp_id), p);
	p[32] = (uint8_t)(o->flags | (attested ? AUTHDATA_AT : 0));
	p[33] = (uint8_t)(o->count >> 24), p[34] = (uint8_t)(o->count >> 16), p[35] = (uint8_t)(o->count >> 8),
	p[36] = (uint8_t)o->count;
	c->ad_len = 37;
	if (attested)
		attested_data(o, c);
	if (o->ext_len)
		memcpy(p + c->ad_len, o->ext, o->ext_len);
	c->ad_len += o->ext_len;
}

static void attested_data(const struct opts *o, struct ceremony *c)
{
	uint8_t *p = c->ad;
	memset(p + 37, 0x42, 16);
	if (o->aaguid)
		memcpy(p + 37, o->aaguid, 16);
	p[53] = (uint8_t)(o->cred_id_len >> 8), p[54] = (uint8_t)o->cred_id_len;
	for (size_t i = 0; i < o->cred_id_len; i++)
		c->cred_id[i] = (uint8_t)(i * 7 + 1);
	memcpy(p + 55, c->cred_id, o->cred_id_len);
	c->cose_len = cose_encode(keys[o->key], o->alg, c->cose, sizeof c->cose);
	memcpy(p + 55 + o->cred_id_len, c->cose, c->cose_len);
	c->ad_len = 55 + o->cred_id_len + c->cose_len;
}

/* authenticatorData || SHA-256(clientDataJSON) */
static size_t signed_msg(const struct ceremony *c, uint8_t *msg)
{
	memcpy(msg, c->ad, c->ad_len);
	SHA256((const uint8_t *)c->cd, c->cd_len, msg + c->ad_len);
	return c->ad_len + 32;
}

static cbor_item_t *x5c_of(X509 *x)
{
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der);
	cbor_item_t *arr = cbor_new_definite_array(1);
	assert_true(cbor_array_push(arr, cbor_move(cbor_build_bytestring(der, (size_t)n))));
	OPENSSL_free(der);
	return arr;
}

static cbor_item_t *att_stmt(const struct opts *o, const struct ceremony *c)
{
	uint8_t msg[4200], sig[1024];
	size_t n = signed_msg(c, msg), sl;
	if (strcmp(o->fmt, "packed") == 0) {
		cbor_item_t *m = cbor_new_definite_map(3);
		EVP_PKEY *k = o->cert ? o->cert_key : keys[o->key];
		int alg = o->cert ? COSE_ES256 : o->alg;
		sl = sw_sign(k, alg, msg, n, sig);
		put(m, cbor_build_string("alg"), cint(alg));
		put(m, cbor_build_string("sig"), cbor_build_bytestring(sig, sl));
		if (o->cert)
			put(m, cbor_build_string("x5c"), x5c_of(o->cert));
		return m;
	}
	if (strcmp(o->fmt, "fido-u2f") == 0) {
		/* 0x00 || rpIdHash || clientDataHash || credentialId || 0x04 || x || y */
		uint8_t pt[65];
		size_t ptl;
		assert_int_equal(EVP_PKEY_get_octet_string_param(keys[o->key], OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
		                                                 sizeof pt, &ptl),
		                 1);
		msg[0] = 0;
		memcpy(msg + 1, c->ad, 32);
		SHA256((const uint8_t *)c->cd, c->cd_len, msg + 33);
		memcpy(msg + 65, c->cred_id, o->cred_id_len);
		memcpy(msg + 65 + o->cred_id_len, pt, 65);
		sl = sw_sign(o->cert_key, COSE_ES256, msg, 65 + o->cred_id_len + 65, sig);
		cbor_item_t *m = cbor_new_definite_map(2);
		put(m, cbor_build_string("sig"), cbor_build_bytestring(sig, sl));
		put(m, cbor_build_string("x5c"), x5c_of(o->cert));
		return m;
	}
	return cbor_new_definite_map(0);
}

static void make_reg(const struct opts *o, struct ceremony *c)
{
	client_data(o, c);
	auth_data(o, c, true);
	cbor_item_t *m = cbor_new_definite_map(3);
	put(m, cbor_build_string("fmt"), cbor_build_string(o->fmt));
	put(m, cbor_build_string("attStmt"), att_stmt(o, c));
	put(m, cbor_build_string("authData"), cbor_build_bytestring(c->ad, c->ad_len));
	c->ao_len = serialize(m, c->ao, sizeof c->ao);
}

static void make_assert(const struct opts *o, struct ceremony *c)
{
	client_data(o, c);
	auth_data(o, c, false);
	uint8_t msg[4200];
	c->sig_len = sw_sign(keys[o->key], key_alg[o->key], msg, signed_msg(c, msg), c->sig);
}

static enum sy_err reg_verify(const struct webauthn_policy *p, const struct ceremony *c,
                              struct webauthn_credential *cred, const char **why)
{
	struct arena a;
	arena_init(&a, 0);
	*why = "";
	enum sy_err e = webauthn_register_verify(&a, p, challenge, sizeof challenge, (const uint8_t *)c->cd, c->cd_len,
	                                         c->ao, c->ao_len, cred, why);
	static char keep[256], fmt[64]; /* why and fmt live in the arena */
	snprintf(keep, sizeof keep, "%s", *why);
	*why = keep;
	if (e == SY_OK) {
		snprintf(fmt, sizeof fmt, "%s", cred->fmt);
		cred->fmt = fmt;
	}
	arena_release(&a);
	return e;
}

static enum sy_err assert_verify(const struct webauthn_policy *p, const struct ceremony *c, const uint8_t *cose,
                                 size_t cose_len, uint32_t stored, struct webauthn_assertion *out, const char **why)
{
	struct arena a;
	arena_init(&a, 0);
	*why = "";
	enum sy_err e = webauthn_assert_verify(&a, p, challenge, sizeof challenge, (const uint8_t *)c->cd, c->cd_len,
	                                       c->ad, c->ad_len, c->sig, c->sig_len, cose, cose_len, stored, out, why);
	static char keep[256];
	snprintf(keep, sizeof keep, "%s", *why);
	*why = keep;
	arena_release(&a);
	return e;
}

/* A registration built from o is refused with e and a reason containing want. */
static void reg_refused(const struct opts *o, enum sy_err e, const char *want)
{
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(o, &c);
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), e);
	if (!strstr(why, want))
		fail_msg("why \"%s\" does not contain \"%s\"", why, want);
}

/* ---- accepted ceremonies ---- */

static void register_then_assert(int key, const char *fmt)
{
	struct opts o = opts_for(key);
	o.fmt = fmt;
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	assert_int_equal(reg_verify(&policy_uv, &c, &cred, &why), SY_OK);
	assert_int_equal(cred.alg, key_alg[key]);
	assert_int_equal(cred.id_len, 16);
	assert_memory_equal(cred.id, c.cred_id, 16);
	assert_string_equal(cred.attestation_type, strcmp(fmt, "none") == 0 ? "none" : "self");
	assert_true(cred.uv);

	uint8_t cose[1024];
	size_t cose_len = c.cose_len;
	memcpy(cose, c.cose, cose_len);
	o.type = "webauthn.get";
	o.count = 5;
	make_assert(&o, &c);
	struct webauthn_assertion as;
	assert_int_equal(assert_verify(&policy_uv, &c, cose, cose_len, 4, &as, &why), SY_OK);
	assert_int_equal(as.sign_count, 5);
	assert_true(as.uv);
}

static void none_es256(void **state)
{
	(void)state;
	register_then_assert(K_ES256, "none");
}

static void packed_self_every_alg(void **state)
{
	(void)state;
	for (int k = 0; k < K_COUNT; k++)
		register_then_assert(k, "packed");
}

static X509 *make_cert(EVP_PKEY *k, const char *ou, bool ca, const uint8_t *aaguid)
{
	X509 *x = X509_new();
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"SE", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Symbolon Test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_ASC, (const unsigned char *)ou, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Batch 1", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509_EXTENSION *bc =
	        X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, bc, -1);
	X509_EXTENSION_free(bc);
	if (aaguid) {
		uint8_t der[18] = {0x04, 16};
		memcpy(der + 2, aaguid, 16);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(os, der, sizeof der);
		ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
		X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OBJECT_free(oid);
		ASN1_OCTET_STRING_free(os);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	return x;
}

static void packed_full(const char *ou, bool ca, const uint8_t *cert_aaguid, enum sy_err want, const char *why_has)
{
	EVP_PKEY *batch = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct opts o = opts_for(K_ES256);
	o.fmt = "packed";
	o.cert_key = batch;
	o.cert = make_cert(batch, ou, ca, cert_aaguid);
	if (want == SY_OK) {
		struct ceremony c;
		struct webauthn_credential cred;
		const char *why;
		make_reg(&o, &c);
		assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_OK);
		assert_string_equal(cred.attestation_type, "basic");
		assert_string_equal(cred.fmt, "packed");
	} else {
		reg_refused(&o, want, why_has);
	}
	X509_free(o.cert);
	EVP_PKEY_free(batch);
}

static const uint8_t aaguid_42[16] = {0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                      0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};

static void packed_full_es256(void **state)
{
	(void)state;
	packed_full("Authenticator Attestation", false, aaguid_42, SY_OK, NULL);
	packed_full("Authenticator Attestation", false, NULL, SY_OK, NULL);
}

static void packed_full_wrong_ou(void **state)
{
	(void)state;
	packed_full("Something Else", false, NULL, SY_E_INVALID, "OU");
}

static void packed_full_ca_cert(void **state)
{
	(void)state;
	packed_full("Authenticator Attestation", true, NULL, SY_E_INVALID, "CA");
}

static void packed_full_aaguid_mismatch(void **state)
{
	(void)state;
	static const uint8_t other[16] = {1};
	packed_full("Authenticator Attestation", false, other, SY_E_INVALID, "AAGUID");
}

static void packed_full_expired_cert(void **state)
{
	(void)state;
	EVP_PKEY *batch = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct opts o = opts_for(K_ES256);
	o.fmt = "packed";
	o.cert_key = batch;
	o.cert = make_cert(batch, "Authenticator Attestation", false, NULL);
	X509_gmtime_adj(X509_getm_notAfter(o.cert), -60);
	assert_true(X509_sign(o.cert, batch, EVP_sha256()) > 0);
	reg_refused(&o, SY_E_INVALID, "expired");
	X509_free(o.cert);
	EVP_PKEY_free(batch);
}

static void fido_u2f_es256(void **state)
{
	(void)state;
	static const uint8_t zero[16];
	EVP_PKEY *batch = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct opts o = opts_for(K_ES256);
	o.fmt = "fido-u2f";
	o.aaguid = zero;
	o.cert_key = batch;
	o.cert = make_cert(batch, "Authenticator Attestation", false, NULL);
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_OK);
	assert_string_equal(cred.attestation_type, "basic");
	/* a signature by another key is refused */
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	o.cert_key = other;
	reg_refused(&o, SY_E_CRYPTO, "fido-u2f attestation signature");
	EVP_PKEY_free(other);
	X509_free(o.cert);
	EVP_PKEY_free(batch);
}

static void uv_not_required_accepted(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.flags = AUTHDATA_UP;
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_OK);
	assert_false(cred.uv);
}

static void synced_passkey_zero_counts(void **state)
{
	(void)state;
	struct opts o = opts_for(K_EDDSA);
	o.type = "webauthn.get";
	o.flags = AUTHDATA_UP | AUTHDATA_UV | AUTHDATA_BE | AUTHDATA_BS;
	struct ceremony c;
	make_reg(&o, &c);
	uint8_t cose[1024];
	size_t cose_len = c.cose_len;
	memcpy(cose, c.cose, cose_len);
	make_assert(&o, &c);
	struct webauthn_assertion as;
	const char *why;
	assert_int_equal(assert_verify(&policy, &c, cose, cose_len, 0, &as, &why), SY_OK);
	assert_true(as.backup_eligible && as.backup_state);
}

static void long_credential_id_accepted(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.cred_id_len = 1023;
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_OK);
	assert_int_equal(cred.id_len, 1023);
}

/* ---- refused registrations ---- */

static void wrong_challenge(void **state)
{
	(void)state;
	static const uint8_t other[32] = {9};
	struct opts o = opts_for(K_ES256);
	o.challenge = other;
	reg_refused(&o, SY_E_DENIED, "challenge");
}

static void wrong_origin(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.origin = "https://evil.example.org";
	reg_refused(&o, SY_E_DENIED, "origin");
}

static void wrong_type(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.type = "webauthn.get";
	reg_refused(&o, SY_E_DENIED, "type");
}

static void wrong_rp_id_hash(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.rp_id = "evil.org";
	reg_refused(&o, SY_E_DENIED, "RP ID");
}

static void up_missing(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.flags = AUTHDATA_UV;
	reg_refused(&o, SY_E_DENIED, "user presence");
}

static void uv_missing_when_required(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.flags = AUTHDATA_UP;
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	assert_int_equal(reg_verify(&policy_uv, &c, &cred, &why), SY_E_DENIED);
	assert_string_equal(why, "user verification is required");
}

static void bs_without_be(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.flags = AUTHDATA_UP | AUTHDATA_BS;
	reg_refused(&o, SY_E_INVALID, "backup");
}

static void cross_origin_true(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.cd_extra = ",\"crossOrigin\":true";
	reg_refused(&o, SY_E_DENIED, "cross-origin");
}

static void top_origin_present(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.cd_extra = ",\"crossOrigin\":false,\"topOrigin\":\"https://example.com\"";
	reg_refused(&o, SY_E_DENIED, "cross-origin");
}

static void client_data_duplicate_member(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.cd_extra = ",\"type\":\"webauthn.create\"";
	reg_refused(&o, SY_E_INVALID, "JSON");
}

static void alg_not_offered(void **state)
{
	(void)state;
	static const int only_es256[] = {-7};
	struct opts o = opts_for(K_EDDSA);
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	struct webauthn_policy p = policy;
	p.algs = only_es256;
	p.nalgs = 1;
	assert_int_equal(reg_verify(&p, &c, &cred, &why), SY_E_DENIED);
	assert_string_equal(why, "the algorithm -8 is not offered");
	/* an algorithm nobody offers (RS1, -65535) names itself too */
	o = opts_for(K_RS256);
	o.alg = -65535;
	reg_refused(&o, SY_E_DENIED, "-65535");
}

static void kty_alg_mismatch(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.alg = COSE_RS256; /* an EC2 key labelled RS256 */
	reg_refused(&o, SY_E_INVALID, "key type");
}

static void credential_id_too_long(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.cred_id_len = 1024;
	reg_refused(&o, SY_E_INVALID, "1023");
}

static void unknown_format_named(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.fmt = "tpm";
	reg_refused(&o, SY_E_DENIED, "the attestation format \"tpm\" is not supported");
}

static void none_with_statement(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.fmt = "packed";
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	/* relabel the packed (self) statement as "none", shortening the fmt text in place */
	uint8_t *f = memmem(c.ao, c.ao_len, "\x66packed", 7);
	assert_non_null(f);
	memcpy(f, "\x64none", 5);
	memmove(f + 5, f + 7, c.ao_len - (size_t)(f + 7 - c.ao));
	c.ao_len -= 2;
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_E_INVALID);
	assert_string_equal(why, "a \"none\" attestation statement must be empty");
}

static void packed_self_bad_signature(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.fmt = "packed";
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	c.cd[c.cd_len - 1] = ' '; /* clientDataJSON changes after signing, still valid JSON */
	c.cd[c.cd_len++] = '}';
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_E_CRYPTO);
}

static void cbor_trailing_bytes(void **state)
{
	(void)state;
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	struct opts o = opts_for(K_ES256);
	make_reg(&o, &c);
	c.ao[c.ao_len++] = 0x00;
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_E_INVALID);
	assert_string_equal(why, "the CBOR data has trailing bytes");
}

static void cbor_duplicate_key(void **state)
{
	(void)state;
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	struct opts o = opts_for(K_ES256);
	make_reg(&o, &c);
	cbor_item_t *m = cbor_new_definite_map(4);
	put(m, cbor_build_string("fmt"), cbor_build_string("none"));
	put(m, cbor_build_string("attStmt"), cbor_new_definite_map(0));
	put(m, cbor_build_string("authData"), cbor_build_bytestring(c.ad, c.ad_len));
	put(m, cbor_build_string("fmt"), cbor_build_string("none"));
	c.ao_len = serialize(m, c.ao, sizeof c.ao);
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_E_INVALID);
	assert_string_equal(why, "a CBOR map has a duplicate key");
}

static void cbor_indefinite_map(void **state)
{
	(void)state;
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	struct opts o = opts_for(K_ES256);
	make_reg(&o, &c);
	cbor_item_t *m = cbor_new_indefinite_map();
	put(m, cbor_build_string("fmt"), cbor_build_string("none"));
	put(m, cbor_build_string("attStmt"), cbor_new_definite_map(0));
	put(m, cbor_build_string("authData"), cbor_build_bytestring(c.ad, c.ad_len));
	c.ao_len = serialize(m, c.ao, sizeof c.ao);
	assert_int_equal(c.ao[0], 0xbf);
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_E_INVALID);
	assert_string_equal(why, "indefinite-length CBOR items are not allowed");
}

static void authdata_trailing_bytes(void **state)
{
	(void)state;
	struct authdata ad;
	const char *why;
	uint8_t b[38] = {0};
	b[32] = AUTHDATA_UP;
	assert_int_equal(authdata_parse(b, 37, &ad, &why), SY_OK);
	assert_int_equal(authdata_parse(b, 38, &ad, &why), SY_E_INVALID);
	/* the message names the likely cause: a registration without the AT flag */
	assert_non_null(strstr(why, "neither the AT nor the ED flag"));
	assert_int_equal(authdata_parse(b, 36, &ad, &why), SY_E_INVALID);
	/* ED with a non-map */
	b[32] = AUTHDATA_UP | AUTHDATA_ED;
	b[37] = 0x01;
	assert_int_equal(authdata_parse(b, 38, &ad, &why), SY_E_INVALID);
	b[37] = 0xa0;
	assert_int_equal(authdata_parse(b, 38, &ad, &why), SY_OK);
	/* extensions, then a stray byte */
	uint8_t c[39] = {0};
	c[32] = AUTHDATA_UP | AUTHDATA_ED;
	c[37] = 0xa0;
	assert_int_equal(authdata_parse(c, 39, &ad, &why), SY_E_INVALID);
	assert_string_equal(why, "the authenticator data has trailing bytes");
}

/* {"credProtect": 2}, as an authenticator adds it */
static const uint8_t cred_protect[] = {0xa1, 0x6b, 'c', 'r', 'e', 'd', 'P', 'r', 'o', 't', 'e', 'c', 't', 0x02};

static void extensions_accepted(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.fmt = "packed";
	o.flags |= AUTHDATA_ED;
	o.ext = cred_protect;
	o.ext_len = sizeof cred_protect;
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_OK);
}

static void extensions_flag_mismatch(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.ext = cred_protect; /* extensions present, ED not set: trailing bytes */
	o.ext_len = sizeof cred_protect;
	reg_refused(&o, SY_E_INVALID, "trailing bytes");
	o.flags |= AUTHDATA_ED; /* ED set, extensions not a map */
	o.ext = (const uint8_t *)"\x02";
	o.ext_len = 1;
	reg_refused(&o, SY_E_INVALID, "not a CBOR map");
}

static void registration_without_attested_data(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	/* the same object with the AT flag and the attested data dropped */
	cbor_item_t *m = cbor_new_definite_map(3);
	c.ad[32] &= (uint8_t)~AUTHDATA_AT;
	put(m, cbor_build_string("fmt"), cbor_build_string("none"));
	put(m, cbor_build_string("attStmt"), cbor_new_definite_map(0));
	put(m, cbor_build_string("authData"), cbor_build_bytestring(c.ad, 37));
	c.ao_len = serialize(m, c.ao, sizeof c.ao);
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_E_INVALID);
	assert_string_equal(why, "the authenticator data has no attested credential");
}

static void cose_point_off_curve(void **state)
{
	(void)state;
	uint8_t k[80];
	struct opts o = opts_for(K_ES256);
	struct ceremony c;
	make_reg(&o, &c);
	memcpy(k, c.cose, c.cose_len);
	k[c.cose_len - 1] ^= 0x01; /* the last byte of y */
	struct arena a;
	arena_init(&a, 0);
	struct cose_key key;
	const char *why;
	assert_int_equal(cose_key_parse(&a, k, c.cose_len, offered, 10, &key, &why), SY_E_INVALID);
	assert_string_equal(why, "the EC2 public key is not a point on its curve");
	arena_release(&a);
}

/* A key parsed before is reused, but the caller's list of algorithms still
 * decides, and a reused key verifies like a fresh one. */
static void cose_reuse_keeps_the_alg_check(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	struct ceremony c;
	make_reg(&o, &c);
	struct arena a;
	arena_init(&a, 0);
	struct cose_key first, again, refused;
	const char *why = NULL;
	static const int es256[] = {COSE_ES256}, rs256[] = {COSE_RS256};
	assert_int_equal(cose_key_parse(&a, c.cose, c.cose_len, es256, 1, &first, &why), SY_OK);
	assert_int_equal(cose_key_parse(&a, c.cose, c.cose_len, es256, 1, &again, &why), SY_OK);
	assert_int_equal(again.alg, COSE_ES256);
	assert_true(EVP_PKEY_eq(first.pkey, again.pkey) == 1);
	assert_int_equal(cose_key_parse(&a, c.cose, c.cose_len, rs256, 1, &refused, &why), SY_E_DENIED);
	assert_null(refused.pkey);
	cose_key_free(&first);
	cose_key_free(&again);
	/* one byte less: not the cached key, and not a key at all */
	assert_int_not_equal(cose_key_parse(&a, c.cose, c.cose_len - 1, es256, 1, &refused, &why), SY_OK);
	arena_release(&a);
}

static void cose_rsa_too_short(void **state)
{
	(void)state;
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	uint8_t k[1024];
	size_t n = cose_encode(small, COSE_RS256, k, sizeof k);
	struct arena a;
	arena_init(&a, 0);
	struct cose_key key;
	const char *why;
	assert_int_equal(cose_key_parse(&a, k, n, offered, 10, &key, &why), SY_E_INVALID);
	assert_string_equal(why, "the RSA modulus must have 2048 to 8192 bits");
	arena_release(&a);
	EVP_PKEY_free(small);
}

static void packed_self_alg_mismatch(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	o.fmt = "packed";
	struct ceremony c;
	struct webauthn_credential cred;
	const char *why;
	make_reg(&o, &c);
	/* "alg": -7 (0x26) becomes -8 (0x27) */
	uint8_t *p = memmem(c.ao, c.ao_len,
	                    "\x63"
	                    "alg\x26",
	                    5);
	assert_non_null(p);
	p[4] = 0x27;
	assert_int_equal(reg_verify(&policy, &c, &cred, &why), SY_E_INVALID);
	assert_string_equal(why, "the self attestation's alg differs from the credential's");
}

/* ---- refused assertions ---- */

struct asserted {
	struct ceremony c;
	uint8_t cose[1024];
	size_t cose_len;
};

/* A registered key (per o) and an assertion made with o as modified by the caller. */
static void assertion(struct opts *o, struct asserted *r)
{
	make_reg(o, &r->c);
	r->cose_len = r->c.cose_len;
	memcpy(r->cose, r->c.cose, r->cose_len);
	o->type = "webauthn.get";
}

static void assertion_refused(const struct opts *o, const struct asserted *r, uint32_t stored, enum sy_err want,
                              const char *why_is)
{
	struct ceremony c = r->c;
	make_assert(o, &c);
	struct webauthn_assertion as;
	const char *why;
	assert_int_equal(assert_verify(&policy, &c, r->cose, r->cose_len, stored, &as, &why), want);
	assert_string_equal(why, why_is);
}

static void assert_wrong_type(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	struct asserted r;
	assertion(&o, &r);
	o.type = "webauthn.create";
	assertion_refused(&o, &r, 0, SY_E_DENIED, "the client data type is wrong for this ceremony");
}

static void assert_wrong_challenge(void **state)
{
	(void)state;
	static const uint8_t other[32] = {7};
	struct opts o = opts_for(K_ES256);
	struct asserted r;
	assertion(&o, &r);
	o.challenge = other;
	assertion_refused(&o, &r, 0, SY_E_DENIED, "the challenge does not match");
}

static void assert_wrong_rp(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	struct asserted r;
	assertion(&o, &r);
	o.rp_id = "example.com";
	assertion_refused(&o, &r, 0, SY_E_DENIED, "the RP ID hash does not match");
}

static void assert_uv_missing(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	struct asserted r;
	assertion(&o, &r);
	o.flags = AUTHDATA_UP;
	struct ceremony c = r.c;
	make_assert(&o, &c);
	struct webauthn_assertion as;
	const char *why;
	assert_int_equal(assert_verify(&policy_uv, &c, r.cose, r.cose_len, 0, &as, &why), SY_E_DENIED);
	assert_string_equal(why, "user verification is required");
	assert_int_equal(assert_verify(&policy, &c, r.cose, r.cose_len, 0, &as, &why), SY_OK);
}

static void assert_tampered_signature(void **state)
{
	(void)state;
	for (int k = 0; k < K_COUNT; k++) {
		struct opts o = opts_for(k);
		struct asserted r;
		assertion(&o, &r);
		struct ceremony c = r.c;
		make_assert(&o, &c);
		c.sig[c.sig_len / 2] ^= 0x01;
		struct webauthn_assertion as;
		const char *why;
		assert_int_equal(assert_verify(&policy, &c, r.cose, r.cose_len, 0, &as, &why), SY_E_CRYPTO);
		assert_string_equal(why, "the assertion signature does not verify");
	}
}

static void assert_tampered_authdata(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	struct asserted r;
	assertion(&o, &r);
	struct ceremony c = r.c;
	make_assert(&o, &c);
	c.ad[36] ^= 0x01; /* the sign count */
	struct webauthn_assertion as;
	const char *why;
	assert_int_equal(assert_verify(&policy, &c, r.cose, r.cose_len, 0, &as, &why), SY_E_CRYPTO);
}

static void assert_sign_count_regression(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	struct asserted r;
	assertion(&o, &r);
	o.count = 7;
	assertion_refused(&o, &r, 7, SY_E_DENIED,
	                  "the signature counter did not increase; the authenticator may be cloned");
	assertion_refused(&o, &r, 9, SY_E_DENIED,
	                  "the signature counter did not increase; the authenticator may be cloned");
	o.count = 0;
	assertion_refused(&o, &r, 3, SY_E_DENIED,
	                  "the signature counter did not increase; the authenticator may be cloned");
}

static void assert_wrong_key(void **state)
{
	(void)state;
	struct opts o = opts_for(K_ES256);
	struct asserted r;
	assertion(&o, &r);
	struct ceremony c = r.c;
	make_assert(&o, &c);
	/* the stored key is another ES256 key */
	struct opts o2 = opts_for(K_ES384);
	struct ceremony c2;
	make_reg(&o2, &c2);
	struct webauthn_assertion as;
	const char *why;
	assert_int_equal(assert_verify(&policy, &c, c2.cose, c2.cose_len, 0, &as, &why), SY_E_CRYPTO);
}

/* ---- W3C WebAuthn L3 §16 test vectors ---- */

static const struct webauthn_policy spec_policy = {"example.org", "https://example.org", false, offered, 10};

/* The hex value of `key` in vector file `name`, decoded into out; 0 when absent. */
static size_t vector_field(const char *name, const char *key, uint8_t *out, size_t cap)
{
	char *text = read_vector(name);
	size_t klen = strlen(key), n = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		const char *h = line + klen + 1;
		for (n = 0; h[2 * n] && h[2 * n + 1]; n++) {
			unsigned v;
			assert_true(n < cap);
			assert_int_equal(sscanf(h + 2 * n, "%2x", &v), 1);
			out[n] = (uint8_t)v;
		}
		break;
	}
	free(text);
	return n;
}

struct vector {
	uint8_t ch[256], cd[1024], ao[8192], id[1100], ach[256], acd[1024], ad[256], sig[1024], key[1024];
	size_t ch_len, cd_len, ao_len, id_len, ach_len, acd_len, ad_len, sig_len, key_len;
};

static void load_vector(const char *file, struct vector *v)
{
	char name[128];
	snprintf(name, sizeof name, "webauthn/%s.txt", file);
	v->ch_len = vector_field(name, "challenge", v->ch, sizeof v->ch);
	v->cd_len = vector_field(name, "client_data", v->cd, sizeof v->cd);
	v->ao_len = vector_field(name, "attestation_object", v->ao, sizeof v->ao);
	v->id_len = vector_field(name, "credential_id", v->id, sizeof v->id);
	v->ach_len = vector_field(name, "auth_challenge", v->ach, sizeof v->ach);
	v->acd_len = vector_field(name, "auth_client_data", v->acd, sizeof v->acd);
	v->ad_len = vector_field(name, "authenticator_data", v->ad, sizeof v->ad);
	v->sig_len = vector_field(name, "signature", v->sig, sizeof v->sig);
	v->key_len = vector_field(name, "credential_public_key", v->key, sizeof v->key);
	assert_true(v->ch_len && v->cd_len && v->ao_len);
}

static enum sy_err vector_register(const struct vector *v, struct webauthn_credential *cred, char *why, size_t cap)
{
	struct arena a;
	arena_init(&a, 0);
	const char *w = "";
	enum sy_err e = webauthn_register_verify(&a, &spec_policy, v->ch, v->ch_len, v->cd, v->cd_len, v->ao, v->ao_len,
	                                         cred, &w);
	snprintf(why, cap, "%s", w);
	if (e == SY_OK) {
		/* the stored key is the one the spec lists for the assertion */
		assert_memory_equal(cred->cose_key, v->key, v->key_len);
		assert_int_equal(cred->cose_key_len, v->key_len);
	}
	arena_release(&a);
	return e;
}

/* Registration and then the assertion of one §16 vector both verify. */
static void spec_vector_verifies(const char *file, const char *type)
{
	struct vector *v = calloc(1, sizeof *v);
	load_vector(file, v);
	struct webauthn_credential cred;
	char why[256];
	if (vector_register(v, &cred, why, sizeof why) != SY_OK)
		fail_msg("%s: registration refused: %s", file, why);
	assert_string_equal(cred.attestation_type, type);
	assert_int_equal(cred.id_len, v->id_len);
	assert_memory_equal(cred.id, v->id, v->id_len);

	struct arena a;
	arena_init(&a, 0);
	struct webauthn_assertion as;
	const char *w = "";
	enum sy_err e = webauthn_assert_verify(&a, &spec_policy, v->ach, v->ach_len, v->acd, v->acd_len, v->ad,
	                                       v->ad_len, v->sig, v->sig_len, v->key, v->key_len, 0, &as, &w);
	if (e != SY_OK)
		fail_msg("%s: assertion refused: %s", file, w);
	/* the same assertion with one bit of the signed authenticator data changed is refused */
	v->ad[32] ^= AUTHDATA_UV;
	assert_int_equal(webauthn_assert_verify(&a, &spec_policy, v->ach, v->ach_len, v->acd, v->acd_len, v->ad,
	                                        v->ad_len, v->sig, v->sig_len, v->key, v->key_len, 0, &as, &w),
	                 SY_E_CRYPTO);
	arena_release(&a);
	free(v);
}

static void spec_refused(const char *file, enum sy_err want, const char *why_is)
{
	struct vector *v = calloc(1, sizeof *v);
	load_vector(file, v);
	struct webauthn_credential cred;
	char why[256];
	assert_int_equal(vector_register(v, &cred, why, sizeof why), want);
	assert_string_equal(why, why_is);
	free(v);
}

static void spec_none_es256(void **state)
{
	(void)state;
	spec_vector_verifies("none-es256", "none");
}

static void spec_packed_self_es256(void **state)
{
	(void)state;
	spec_vector_verifies("packed-self-es256", "self");
}

static void spec_long_credential_id(void **state)
{
	(void)state;
	spec_vector_verifies("none-es256-long-credential-id", "none");
}

static void spec_packed_full(void **state)
{
	(void)state;
	spec_vector_verifies("packed-es256", "basic");
	spec_vector_verifies("packed-es384", "basic");
	spec_vector_verifies("packed-es512", "basic");
}

static void spec_packed_eddsa(void **state)
{
	(void)state;
	spec_vector_verifies("packed-eddsa", "basic");
}

static void spec_fido_u2f(void **state)
{
	(void)state;
	spec_vector_verifies("fido-u2f-es256", "basic");
}

static void spec_cross_origin_refused(void **state)
{
	(void)state;
	spec_refused("none-es256-cross-origin", SY_E_DENIED, "cross-origin ceremonies are not allowed");
}

static void spec_unsupported_formats_named(void **state)
{
	(void)state;
	spec_refused("tpm-es256", SY_E_DENIED, "the attestation format \"tpm\" is not supported");
	spec_refused("android-key-es256", SY_E_DENIED, "the attestation format \"android-key\" is not supported");
	spec_refused("apple-es256", SY_E_DENIED, "the attestation format \"apple\" is not supported");
}

/* Made by an independent authenticator, tests/tools/webauthn_pysign.py
 * (python3-cryptography and its own CBOR encoder). */
static void python_authenticator(void **state)
{
	(void)state;
	static const char *const algs[] = {"es256", "es384", "es512", "rs256", "ps256", "eddsa"};
	for (size_t i = 0; i < sizeof algs / sizeof *algs; i++) {
		char file[64];
		snprintf(file, sizeof file, "python-%s", algs[i]);
		spec_vector_verifies(file, "self");
	}
}

/* The embedded aaguids list: sorted (lookups are binary searches) and naming
 * the models users see most; the all-zero AAGUID names nothing. */
static void aaguid_names(void **state)
{
	(void)state;
	if (aaguid_table_len == 0) {
		print_message("# built without the web app: no AAGUID list, every passkey is \"New Passkey\"\n");
		return;
	}
	for (size_t i = 1; i < aaguid_table_len; i++)
		assert_true(memcmp(aaguid_table[i - 1].aaguid, aaguid_table[i].aaguid, 16) < 0);
	static const uint8_t gpm[16] = {0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21,
	                                0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4};
	static const uint8_t hello[16] = {0x08, 0x98, 0x70, 0x58, 0xca, 0xdc, 0x4b, 0x81,
	                                  0xb6, 0xe1, 0x30, 0xde, 0x50, 0xdc, 0xbe, 0x96};
	static const uint8_t zero[16] = {0};
	assert_string_equal(aaguid_name(gpm), "Google Password Manager");
	assert_string_equal(aaguid_name(hello), "Windows Hello");
	assert_null(aaguid_name(zero));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(aaguid_names),
	        cmocka_unit_test(none_es256),
	        cmocka_unit_test(packed_self_every_alg),
	        cmocka_unit_test(packed_full_es256),
	        cmocka_unit_test(packed_full_wrong_ou),
	        cmocka_unit_test(packed_full_ca_cert),
	        cmocka_unit_test(packed_full_aaguid_mismatch),
	        cmocka_unit_test(packed_full_expired_cert),
	        cmocka_unit_test(fido_u2f_es256),
	        cmocka_unit_test(uv_not_required_accepted),
	        cmocka_unit_test(synced_passkey_zero_counts),
	        cmocka_unit_test(long_credential_id_accepted),
	        cmocka_unit_test(wrong_challenge),
	        cmocka_unit_test(wrong_origin),
	        cmocka_unit_test(wrong_type),
	        cmocka_unit_test(wrong_rp_id_hash),
	        cmocka_unit_test(up_missing),
	        cmocka_unit_test(uv_missing_when_required),
	        cmocka_unit_test(bs_without_be),
	        cmocka_unit_test(cross_origin_true),
	        cmocka_unit_test(top_origin_present),
	        cmocka_unit_test(client_data_duplicate_member),
	        cmocka_unit_test(alg_not_offered),
	        cmocka_unit_test(kty_alg_mismatch),
	        cmocka_unit_test(credential_id_too_long),
	        cmocka_unit_test(unknown_format_named),
	        cmocka_unit_test(none_with_statement),
	        cmocka_unit_test(packed_self_bad_signature),
	        cmocka_unit_test(cbor_trailing_bytes),
	        cmocka_unit_test(cbor_duplicate_key),
	        cmocka_unit_test(cbor_indefinite_map),
	        cmocka_unit_test(authdata_trailing_bytes),
	        cmocka_unit_test(extensions_accepted),
	        cmocka_unit_test(extensions_flag_mismatch),
	        cmocka_unit_test(registration_without_attested_data),
	        cmocka_unit_test(cose_point_off_curve),
	        cmocka_unit_test(cose_reuse_keeps_the_alg_check),
	        cmocka_unit_test(cose_rsa_too_short),
	        cmocka_unit_test(packed_self_alg_mismatch),
	        cmocka_unit_test(assert_wrong_type),
	        cmocka_unit_test(assert_wrong_challenge),
	        cmocka_unit_test(assert_wrong_rp),
	        cmocka_unit_test(assert_uv_missing),
	        cmocka_unit_test(assert_tampered_signature),
	        cmocka_unit_test(assert_tampered_authdata),
	        cmocka_unit_test(assert_sign_count_regression),
	        cmocka_unit_test(assert_wrong_key),
	        cmocka_unit_test(spec_none_es256),
	        cmocka_unit_test(spec_packed_self_es256),
	        cmocka_unit_test(spec_long_credential_id),
	        cmocka_unit_test(spec_packed_full),
	        cmocka_unit_test(spec_packed_eddsa),
	        cmocka_unit_test(spec_fido_u2f),
	        cmocka_unit_test(spec_cross_origin_refused),
	        cmocka_unit_test(spec_unsupported_formats_named),
	        cmocka_unit_test(python_authenticator),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
