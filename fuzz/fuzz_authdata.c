/*
 * fuzz_authdata.c - authdata_parse on arbitrary bytes. Checks: an accepted
 * input is at least 37 bytes; every part lies inside the input, in order, and
 * together with the extensions they cover it exactly (no trailing bytes);
 * attested data appears iff the AT flag is set; the credential ID is at most
 * 1023 bytes; the COSE key is one complete CBOR item.
 */
#include "fuzz.h"

#include "auth/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	struct authdata ad;
	const char *why = NULL;
	if (authdata_parse(data, size, &ad, &why) != SY_OK) {
		FUZZ_CHECK(why != NULL);
		return 0;
	}
	FUZZ_CHECK(size >= 37 && ad.rp_id_hash == data && ad.flags == data[32]);
	size_t end = 37;
	FUZZ_CHECK((ad.aaguid != NULL) == ((ad.flags & AUTHDATA_AT) != 0));
	if (ad.aaguid) {
		FUZZ_CHECK(ad.aaguid == data + 37 && ad.cred_id == data + 55);
		FUZZ_CHECK(ad.cred_id_len <= WEBAUTHN_MAX_CRED_ID);
		FUZZ_CHECK(ad.cose_key == ad.cred_id + ad.cred_id_len && ad.cose_key_len > 0);
		cbor_item_t *it;
		FUZZ_CHECK(webauthn_cbor_decode(ad.cose_key, ad.cose_key_len, true, &it, NULL, &why) == SY_OK);
		cbor_decref(&it);
		end = (size_t)(ad.cose_key - data) + ad.cose_key_len;
	}
	FUZZ_CHECK(end <= size);
	FUZZ_CHECK((end < size) == ((ad.flags & AUTHDATA_ED) != 0));
	return 0;
}
