/*
 * webauthn.c - the relying party's two ceremonies, WebAuthn L3 §7.1 (register a
 * new credential) and §7.2 (verify an authentication assertion), step by step,
 * and the client data checks both share. Steps that need the account store
 * (credential id not yet registered, credential owned by the user handle) are
 * the caller's.
 */
#include <jansson.h>
#include <openssl/sha.h>
#include <string.h>

#include "auth.h"

static enum sy_err fail(const char **why, const char *reason, enum sy_err e)
{
	*why = reason;
	return e;
}

static enum sy_err check_challenge(const json_t *c, const uint8_t *challenge, size_t challenge_len, const char **why)
{
	const char *s = json_string_value(c);
	size_t n = json_string_length(c);
	if (!s || n == 0 || n > 1024)
		return fail(why, "the client data challenge is missing or malformed", SY_E_INVALID);
	uint8_t buf[1024];
	size_t len;
	if (b64url_decode(s, n, buf, &len))
		return fail(why, "the client data challenge is not base64url", SY_E_INVALID);
	if (!sy_ct_equal(buf, len, challenge, challenge_len))
		return fail(why, "the challenge does not match", SY_E_DENIED);
	return SY_OK;
}

static enum sy_err check_fields(const json_t *c, const struct webauthn_policy *p, const char *type,
                                const uint8_t *challenge, size_t challenge_len, const char **why)
{
	const json_t *t = json_object_get(c, "type"), *o = json_object_get(c, "origin");
	const json_t *co = json_object_get(c, "crossOrigin");
	/* §7.1 step 7, §7.2 step 11: C.type */
	if (!json_is_string(t))
		return fail(why, "the client data has no type", SY_E_INVALID);
	if (!bytes_eq(json_string_value(t), json_string_length(t), type, strlen(type)))
		return fail(why, "the client data type is wrong for this ceremony", SY_E_DENIED);
	/* §7.1 step 8, §7.2 step 12: C.challenge */
	enum sy_err e = check_challenge(json_object_get(c, "challenge"), challenge, challenge_len, why);
	if (e)
		return e;
	/* §7.1 step 9, §7.2 step 13: C.origin is the one origin we expect */
	if (!json_is_string(o))
		return fail(why, "the client data has no origin", SY_E_INVALID);
	if (!bytes_eq(json_string_value(o), json_string_length(o), p->origin, strlen(p->origin)))
		return fail(why, "the origin does not match", SY_E_DENIED);
	/* §7.1 step 10, §7.2 step 14: we expect no ceremony inside a cross-origin iframe */
	if (co && !json_is_boolean(co))
		return fail(why, "the client data crossOrigin is not a boolean", SY_E_INVALID);
	if (json_is_true(co) || json_object_get(c, "topOrigin"))
		return fail(why, "cross-origin ceremonies are not allowed", SY_E_DENIED);
	return SY_OK;
}

enum sy_err webauthn_client_data_check(const struct webauthn_policy *p, const char *type, const uint8_t *challenge,
                                       size_t challenge_len, const uint8_t *cd, size_t cd_len, const char **why)
{
	if (cd_len > WEBAUTHN_MAX_CLIENT_DATA)
		return fail(why, "the client data is too large", SY_E_TOOBIG);
	/* §7.1 steps 5-6, §7.2 steps 9-10: UTF-8 decode and parse as JSON */
	json_error_t jerr;
	json_t *c = json_loadb((const char *)cd, cd_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!c || !json_is_object(c)) {
		json_decref(c);
		return fail(why, "the client data is not a JSON object", SY_E_INVALID);
	}
	enum sy_err e = check_fields(c, p, type, challenge, challenge_len, why);
	json_decref(c);
	return e;
}

/* §7.1 steps 13-16, §7.2 steps 15-18: rpIdHash and the flags. */
static enum sy_err check_authdata(const struct webauthn_policy *p, const struct authdata *ad, const char **why)
{
	uint8_t h[32];
	SHA256((const uint8_t *)p->rp_id, strlen(p->rp_id), h);
	if (!bytes_eq(ad->rp_id_hash, 32, h, 32))
		return fail(why, "the RP ID hash does not match", SY_E_DENIED);
	if (!(ad->flags & AUTHDATA_UP))
		return fail(why, "user presence is required", SY_E_DENIED);
	if (p->require_uv && !(ad->flags & AUTHDATA_UV))
		return fail(why, "user verification is required", SY_E_DENIED);
	if ((ad->flags & AUTHDATA_BS) && !(ad->flags & AUTHDATA_BE))
		return fail(why, "the backup state is set on a credential that is not backup eligible", SY_E_INVALID);
	return SY_OK;
}

/* The attestation object's three members (§6.5.4), exactly. */
static enum sy_err split_attestation(struct arena *a, const cbor_item_t *m, const char **fmt,
                                     const cbor_item_t **att_stmt, const cbor_item_t **auth_data, const char **why)
{
	const cbor_item_t *f = webauthn_cbor_get_text(m, "fmt");
	*att_stmt = webauthn_cbor_get_text(m, "attStmt");
	*auth_data = webauthn_cbor_get_text(m, "authData");
	if (cbor_map_size(m) != 3 || !f || !cbor_isa_string(f) || !*att_stmt || !cbor_isa_map(*att_stmt) ||
	    !*auth_data || !cbor_isa_bytestring(*auth_data))
		return fail(why, "the attestation object lacks a valid fmt, attStmt or authData", SY_E_INVALID);
	size_t n = cbor_string_length(f);
	const uint8_t *s = cbor_string_handle(f);
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return fail(why, "the attestation format is not printable ASCII", SY_E_INVALID);
	if (n == 0 || n > 32 || !(*fmt = arena_strndup(a, (const char *)s, n)))
		return fail(why, "the attestation format is malformed", SY_E_INVALID);
	return SY_OK;
}

static enum sy_err record(struct arena *a, const struct authdata *ad, const struct cose_key *key,
                          struct webauthn_credential *out, const char **why)
{
	memcpy(out->id, ad->cred_id, ad->cred_id_len);
	out->id_len = ad->cred_id_len;
	if (!(out->cose_key = arena_alloc(a, ad->cose_key_len)))
		return fail(why, "out of request memory", SY_E_TOOBIG);
	memcpy(out->cose_key, ad->cose_key, ad->cose_key_len);
	out->cose_key_len = ad->cose_key_len;
	out->alg = key->alg;
	memcpy(out->aaguid, ad->aaguid, 16);
	out->sign_count = ad->sign_count;
	out->uv = ad->flags & AUTHDATA_UV;
	out->backup_eligible = ad->flags & AUTHDATA_BE;
	out->backup_state = ad->flags & AUTHDATA_BS;
	return SY_OK;
}

/* §7.1 steps 12-22 on the decoded attestation object. */
static enum sy_err register_object(struct arena *a, const struct webauthn_policy *p, const cbor_item_t *obj,
                                   const uint8_t cd_hash[32], struct webauthn_credential *out, const char **why)
{
	const cbor_item_t *att_stmt, *raw;
	struct authdata ad;
	enum sy_err e = split_attestation(a, obj, &out->fmt, &att_stmt, &raw, why);
	if (!e)
		e = authdata_parse(cbor_bytestring_handle(raw), cbor_bytestring_length(raw), &ad, why);
	if (!e)
		e = check_authdata(p, &ad, why);
	if (e)
		return e;
	if (!(ad.flags & AUTHDATA_AT))
		return fail(why, "the authenticator data has no attested credential", SY_E_INVALID);
	/* step 19: the key's alg is one of pubKeyCredParams (cose_key_parse) */
	struct cose_key key;
	if ((e = cose_key_parse(a, ad.cose_key, ad.cose_key_len, p->algs, p->nalgs, &key, why)))
		return e;
	/* step 20: authenticator extension outputs are accepted as they come (Pocket ID
	 * requests only credProps, a client extension); steps 21-22: the format, then
	 * its verification procedure; steps 23-24
	 * (trust anchors) do not apply, as no attestation is requested */
	struct attestation_input in = {
	        out->fmt, att_stmt, cbor_bytestring_handle(raw), cbor_bytestring_length(raw), &ad, cd_hash, &key};
	e = attestation_verify(a, &in, &out->attestation_type, why);
	if (!e)
		e = record(a, &ad, &key, out, why);
	cose_key_free(&key);
	return e;
}

enum sy_err webauthn_register_verify(struct arena *a, const struct webauthn_policy *p, const uint8_t *challenge,
                                     size_t challenge_len, const uint8_t *client_data_json, size_t cd_len,
                                     const uint8_t *attestation_object, size_t ao_len, struct webauthn_credential *out,
                                     const char **why)
{
	*out = (struct webauthn_credential){0};
	/* steps 5-10 */
	enum sy_err e = webauthn_client_data_check(p, "webauthn.create", challenge, challenge_len, client_data_json,
	                                           cd_len, why);
	if (e)
		return e;
	/* step 11 */
	uint8_t cd_hash[32];
	SHA256(client_data_json, cd_len, cd_hash);
	/* step 12: CBOR-decode the attestation object, capped and strict */
	if (ao_len > WEBAUTHN_MAX_ATTESTATION)
		return fail(why, "the attestation object is too large", SY_E_TOOBIG);
	cbor_item_t *obj;
	if ((e = webauthn_cbor_decode(attestation_object, ao_len, true, &obj, NULL, why)))
		return e;
	if (!cbor_isa_map(obj))
		e = fail(why, "the attestation object is not a CBOR map", SY_E_INVALID);
	else
		e = register_object(a, p, obj, cd_hash, out, why);
	cbor_decref(&obj);
	return e;
}

/* §7.2 step 23: a counter that is used must grow; 0 after 0 is a synced passkey. */
static enum sy_err check_sign_count(uint32_t stored, uint32_t now, const char **why)
{
	if ((stored != 0 || now != 0) && now <= stored)
		return fail(why, "the signature counter did not increase; the authenticator may be cloned",
		            SY_E_DENIED);
	return SY_OK;
}

enum sy_err webauthn_assert_verify(struct arena *a, const struct webauthn_policy *p, const uint8_t *challenge,
                                   size_t challenge_len, const uint8_t *client_data_json, size_t cd_len,
                                   const uint8_t *authenticator_data, size_t ad_len, const uint8_t *signature,
                                   size_t sig_len, const uint8_t *cose_key, size_t cose_key_len,
                                   uint32_t stored_sign_count, struct webauthn_assertion *out, const char **why)
{
	*out = (struct webauthn_assertion){0};
	/* steps 9-14 */
	enum sy_err e =
	        webauthn_client_data_check(p, "webauthn.get", challenge, challenge_len, client_data_json, cd_len, why);
	struct authdata ad;
	if (!e)
		e = authdata_parse(authenticator_data, ad_len, &ad, why);
	/* steps 15-18 */
	if (!e)
		e = check_authdata(p, &ad, why);
	if (!e && sig_len > WEBAUTHN_MAX_SIGNATURE)
		e = fail(why, "the signature is too large", SY_E_TOOBIG);
	if (e)
		return e;
	/* step 22: the stored key, with its own alg, verifies sig over authenticatorData || hash (step 21) */
	struct cose_key key;
	if ((e = cose_key_parse(a, cose_key, cose_key_len, p->algs, p->nalgs, &key, why)))
		return e;
	uint8_t *msg = arena_alloc(a, ad_len + 32);
	if (!msg) {
		cose_key_free(&key);
		return fail(why, "out of request memory", SY_E_TOOBIG);
	}
	memcpy(msg, authenticator_data, ad_len);
	SHA256(client_data_json, cd_len, msg + ad_len);
	e = cose_verify(key.pkey, key.alg, msg, ad_len + 32, signature, sig_len);
	cose_key_free(&key);
	if (e)
		return fail(why, "the assertion signature does not verify", SY_E_CRYPTO);
	if ((e = check_sign_count(stored_sign_count, ad.sign_count, why)))
		return e;
	*out = (struct webauthn_assertion){ad.sign_count, ad.flags & AUTHDATA_UV, ad.flags & AUTHDATA_BE,
	                                   ad.flags & AUTHDATA_BS};
	return SY_OK;
}
