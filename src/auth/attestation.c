/*
 * attestation.c - the attestation statement formats we verify (WebAuthn L3 §8):
 * "none" (§8.7), "packed" (§8.2) as self attestation and with an x5c leaf, and
 * "fido-u2f" (§8.6). No trust chain is evaluated (Pocket ID requests no
 * attestation and applies no attestation policy), so an x5c statement that
 * verifies is recorded as "basic". Any other format is refused by name.
 */
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "auth.h"

static enum sy_err fail(const char **why, const char *reason)
{
	*why = reason;
	return SY_E_INVALID;
}

/* Every key of the attStmt map is one of the allowed text keys. */
static bool keys_within(const cbor_item_t *m, const char *const *allowed)
{
	const struct cbor_pair *p = cbor_map_handle(m);
	for (size_t k = 0; k < cbor_map_size(m); k++) {
		if (!cbor_isa_string(p[k].key))
			return false;
		bool found = false;
		for (const char *const *a = allowed; *a && !found; a++)
			found = bytes_eq(cbor_string_handle(p[k].key), cbor_string_length(p[k].key), *a, strlen(*a));
		if (!found)
			return false;
	}
	return true;
}

/* authenticatorData || clientDataHash, the message packed statements sign. */
static uint8_t *signed_data(struct arena *a, const struct attestation_input *in, size_t *n)
{
	*n = in->auth_data_len + 32;
	uint8_t *m = arena_alloc(a, *n);
	if (m) {
		memcpy(m, in->auth_data, in->auth_data_len);
		memcpy(m + in->auth_data_len, in->client_data_hash, 32);
	}
	return m;
}

static bool name_has(X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	return i >= 0 && ASN1_STRING_length(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))) > 0;
}

/* WebAuthn L3 §8.2.1: the id-fido-gen-ce-aaguid extension, when present, is not
 * critical and holds an OCTET STRING equal to the credential's aaguid. */
static enum sy_err check_aaguid_ext(X509 *x, const uint8_t *aaguid, const char **why)
{
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
	int i = oid ? X509_get_ext_by_OBJ(x, oid, -1) : -2;
	ASN1_OBJECT_free(oid);
	if (i == -2)
		return fail(why, "the attestation certificate could not be read");
	if (i < 0)
		return SY_OK;
	X509_EXTENSION *ext = X509_get_ext(x, i);
	const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
	const uint8_t *d = ASN1_STRING_get0_data(v);
	if (X509_EXTENSION_get_critical(ext) || ASN1_STRING_length(v) != 18 || d[0] != 0x04 || d[1] != 16 ||
	    memcmp(d + 2, aaguid, 16) != 0)
		return fail(why, "the attestation certificate's AAGUID does not match the authenticator data");
	return SY_OK;
}

/* WebAuthn L3 §8.2.1 packed attestation statement certificate requirements. */
static enum sy_err check_packed_cert(X509 *x, const uint8_t *aaguid, const char **why)
{
	X509_NAME *subj = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(subj, NID_organizationalUnitName, -1);
	const ASN1_STRING *ou = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i)) : NULL;
	static const char want_ou[] = "Authenticator Attestation";
	if (X509_get_version(x) != X509_VERSION_3)
		return fail(why, "the attestation certificate is not X.509 version 3");
	if (!ou || !bytes_eq(ASN1_STRING_get0_data(ou), (size_t)ASN1_STRING_length(ou), want_ou, strlen(want_ou)))
		return fail(why, "the attestation certificate's subject OU is not \"Authenticator Attestation\"");
	if (!name_has(subj, NID_countryName) || !name_has(subj, NID_organizationName) ||
	    !name_has(subj, NID_commonName))
		return fail(why, "the attestation certificate's subject lacks C, O or CN");
	uint32_t flags = X509_get_extension_flags(x);
	if (flags & (EXFLAG_CA | EXFLAG_INVALID))
		return fail(why, "the attestation certificate is a CA certificate or invalid");
	return check_aaguid_ext(x, aaguid, why);
}

/* The leaf of a non-empty x5c array of DER certificates, each read exactly. */
static enum sy_err x5c_leaf(const cbor_item_t *x5c, size_t max, X509 **leaf, const char **why)
{
	*leaf = NULL;
	if (!cbor_isa_array(x5c) || cbor_array_size(x5c) == 0 || cbor_array_size(x5c) > max)
		return fail(why, "the attestation statement's x5c is not a usable certificate array");
	for (size_t k = 0; k < cbor_array_size(x5c); k++) {
		const cbor_item_t *c = cbor_array_handle(x5c)[k];
		if (!cbor_isa_bytestring(c))
			return fail(why, "an x5c entry is not a byte string");
		const uint8_t *p = cbor_bytestring_handle(c);
		size_t n = cbor_bytestring_length(c);
		X509 *x = n <= 16384 ? d2i_X509(NULL, &p, (long)n) : NULL;
		if (!x || p != cbor_bytestring_handle(c) + n) {
			X509_free(x);
			return fail(why, "an x5c certificate is malformed");
		}
		/* go-webauthn likewise refuses certificates outside their validity period */
		if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0 ||
		    X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
			X509_free(x);
			return fail(why, "an x5c certificate is expired or not yet valid");
		}
		if (k == 0)
			*leaf = x;
		else
			X509_free(x);
	}
	return SY_OK;
}

static bool sig_of(const cbor_item_t *m, const uint8_t **sig, size_t *n)
{
	const cbor_item_t *s = webauthn_cbor_get_text(m, "sig");
	if (!s || !cbor_isa_bytestring(s) || cbor_bytestring_length(s) == 0)
		return false;
	*sig = cbor_bytestring_handle(s);
	*n = cbor_bytestring_length(s);
	return true;
}

/* WebAuthn L3 §8.2 packed attestation verification procedure. */
static enum sy_err packed(struct arena *a, const struct attestation_input *in, const char **type, const char **why)
{
	static const char *const allowed[] = {"alg", "sig", "x5c", NULL};
	const cbor_item_t *m = in->att_stmt, *al = webauthn_cbor_get_text(m, "alg");
	const cbor_item_t *x5c = webauthn_cbor_get_text(m, "x5c");
	const uint8_t *sig;
	size_t siglen, n;
	int64_t alg;
	if (!keys_within(m, allowed))
		return fail(why, "the packed attestation statement has unexpected members");
	if (!al || !webauthn_cbor_int(al, &alg) || alg < INT32_MIN || alg > INT32_MAX || !sig_of(m, &sig, &siglen))
		return fail(why, "the packed attestation statement lacks a valid alg or sig");
	uint8_t *msg = signed_data(a, in, &n);
	if (!msg) {
		*why = "out of request memory";
		return SY_E_TOOBIG;
	}
	if (!x5c) {
		/* §8.2 step 4 (self attestation): alg equals the credential key's alg, and
		 * sig verifies with the credential public key */
		if (alg != in->cred_key->alg)
			return fail(why, "the self attestation's alg differs from the credential's");
		*type = "self";
		*why = "the self attestation signature does not verify";
		return cose_verify(in->cred_key->pkey, (int)alg, msg, n, sig, siglen);
	}
	/* §8.2 step 2: sig verifies with the leaf certificate's key and alg; the
	 * certificate meets §8.2.1 and its AAGUID extension matches */
	X509 *leaf;
	enum sy_err e = x5c_leaf(x5c, 8, &leaf, why);
	if (!e)
		e = check_packed_cert(leaf, in->ad->aaguid, why);
	if (!e && !cose_alg_fits(X509_get0_pubkey(leaf), (int)alg))
		e = fail(why, "the attestation certificate's key does not fit the statement's alg");
	if (!e && (e = cose_verify(X509_get0_pubkey(leaf), (int)alg, msg, n, sig, siglen)))
		*why = "the packed attestation signature does not verify";
	X509_free(leaf);
	*type = "basic";
	return e;
}

/* WebAuthn L3 §8.6 FIDO U2F attestation verification procedure. The AAGUID is
 * not required to be zero: §8.6 does not ask for it, the §16.16 test vector has
 * a non-zero one, and go-webauthn (Pocket ID) accepts it. */
static enum sy_err fido_u2f(struct arena *a, const struct attestation_input *in, const char **type, const char **why)
{
	static const char *const allowed[] = {"sig", "x5c", NULL};
	const cbor_item_t *m = in->att_stmt, *x5c = webauthn_cbor_get_text(m, "x5c");
	const uint8_t *sig;
	size_t siglen;
	if (!keys_within(m, allowed) || !x5c || !sig_of(m, &sig, &siglen))
		return fail(why, "the fido-u2f attestation statement is malformed");
	/* step 2: exactly one certificate, with a P-256 key; step 3: the credential key is P-256 */
	if (in->cred_key->alg != COSE_ES256)
		return fail(why, "a fido-u2f credential must be an ES256 key");
	X509 *leaf;
	enum sy_err e = x5c_leaf(x5c, 1, &leaf, why);
	if (e)
		return e;
	uint8_t pt[65];
	size_t ptlen = 0;
	if (!cose_alg_fits(X509_get0_pubkey(leaf), COSE_ES256) ||
	    EVP_PKEY_get_octet_string_param(in->cred_key->pkey, "encoded-pub-key", pt, sizeof pt, &ptlen) != 1 ||
	    ptlen != 65) {
		X509_free(leaf);
		return fail(why, "the fido-u2f certificate or credential key is not a P-256 key");
	}
	/* steps 4-5: verificationData = 0x00 || rpIdHash || clientDataHash || credentialId || publicKeyU2F */
	size_t n = 1 + 32 + 32 + in->ad->cred_id_len + 65;
	uint8_t *msg = arena_alloc(a, n);
	if (!msg) {
		X509_free(leaf);
		*why = "out of request memory";
		return SY_E_TOOBIG;
	}
	msg[0] = 0;
	memcpy(msg + 1, in->ad->rp_id_hash, 32);
	memcpy(msg + 33, in->client_data_hash, 32);
	memcpy(msg + 65, in->ad->cred_id, in->ad->cred_id_len);
	memcpy(msg + 65 + in->ad->cred_id_len, pt, 65);
	/* step 6 */
	if ((e = cose_verify(X509_get0_pubkey(leaf), COSE_ES256, msg, n, sig, siglen)))
		*why = "the fido-u2f attestation signature does not verify";
	X509_free(leaf);
	*type = "basic";
	return e;
}

enum sy_err attestation_verify(struct arena *a, const struct attestation_input *in, const char **type, const char **why)
{
	if (!cbor_isa_map(in->att_stmt))
		return fail(why, "the attestation statement is not a CBOR map");
	if (strcmp(in->fmt, "none") == 0) {
		/* §8.7: the statement is an empty map */
		if (cbor_map_size(in->att_stmt) != 0)
			return fail(why, "a \"none\" attestation statement must be empty");
		*type = "none";
		return SY_OK;
	}
	if (strcmp(in->fmt, "packed") == 0)
		return packed(a, in, type, why);
	if (strcmp(in->fmt, "fido-u2f") == 0)
		return fido_u2f(a, in, type, why);
	*why = arena_printf(a, "the attestation format \"%.32s\" is not supported", in->fmt);
	if (!*why)
		*why = "the attestation format is not supported";
	return SY_E_DENIED;
}
