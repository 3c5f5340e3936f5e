/*
 * authdata.c - splits WebAuthn L3 §6.1 authenticator data: rpIdHash (32),
 * flags (1), signCount (4, big-endian), then attested credential data when AT
 * is set (§6.5.1: aaguid 16, credentialIdLength 2, credentialId, a COSE_Key
 * whose length only the CBOR decoder knows), then one CBOR map of extensions
 * when ED is set. Nothing may follow.
 */
#include "auth.h"

#define AUTHDATA_MIN 37u

static enum sy_err fail(const char **why, const char *reason)
{
	*why = reason;
	return SY_E_INVALID;
}

/* Length of the CBOR item at p; with want_map, it must be a map. */
static enum sy_err cbor_item_len(const uint8_t *p, size_t n, bool want_map, size_t *len, const char **why)
{
	cbor_item_t *it;
	if (webauthn_cbor_decode(p, n, false, &it, len, why))
		return SY_E_INVALID;
	bool ok = !want_map || cbor_isa_map(it);
	cbor_decref(&it);
	return ok ? SY_OK : fail(why, "the authenticator extensions are not a CBOR map");
}

static enum sy_err attested(const uint8_t *p, size_t n, size_t *i, struct authdata *out, const char **why)
{
	if (n - *i < 18)
		return fail(why, "the attested credential data is truncated");
	out->aaguid = p + *i;
	size_t len = (size_t)p[*i + 16] << 8 | p[*i + 17];
	*i += 18;
	/* WebAuthn L3 §7.1 step 25: credentialId at most 1023 bytes */
	if (len > WEBAUTHN_MAX_CRED_ID)
		return fail(why, "the credential ID is longer than 1023 bytes");
	if (len == 0)
		return fail(why, "the credential ID is empty");
	if (n - *i < len)
		return fail(why, "the credential ID is truncated");
	out->cred_id = p + *i;
	out->cred_id_len = len;
	*i += len;
	if (cbor_item_len(p + *i, n - *i, false, &out->cose_key_len, why))
		return SY_E_INVALID;
	out->cose_key = p + *i;
	*i += out->cose_key_len;
	return SY_OK;
}

enum sy_err authdata_parse(const uint8_t *p, size_t n, struct authdata *out, const char **why)
{
	*out = (struct authdata){0};
	if (n > WEBAUTHN_MAX_AUTH_DATA)
		return fail(why, "the authenticator data is too large");
	if (n < AUTHDATA_MIN)
		return fail(why, "the authenticator data is shorter than 37 bytes");
	out->rp_id_hash = p;
	out->flags = p[32];
	out->sign_count = (uint32_t)p[33] << 24 | (uint32_t)p[34] << 16 | (uint32_t)p[35] << 8 | p[36];
	size_t i = AUTHDATA_MIN;
	if ((out->flags & AUTHDATA_AT) && attested(p, n, &i, out, why))
		return SY_E_INVALID;
	if (out->flags & AUTHDATA_ED) {
		size_t len;
		if (i == n)
			return fail(why, "the ED flag is set but there are no extensions");
		if (cbor_item_len(p + i, n - i, true, &len, why))
			return SY_E_INVALID;
		i += len;
	}
	if (i != n && !(out->flags & (AUTHDATA_AT | AUTHDATA_ED)))
		return fail(why, "the authenticator data has bytes after the counter but neither the AT nor the ED "
		                 "flag is set");
	if (i != n)
		return fail(why, "the authenticator data has trailing bytes");
	return SY_OK;
}
