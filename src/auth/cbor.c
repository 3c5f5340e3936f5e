/*
 * cbor.c - strict CBOR decoding for WebAuthn. libcbor accepts far more than
 * WebAuthn data ever contains (indefinite lengths, tags, unbounded nesting whose
 * release recurses), so a bounded, non-recursive scan of the raw bytes decides
 * first what is acceptable and how long the first item is; only then does
 * cbor_load build the tree, which is finally walked for duplicate map keys
 * (RFC 8949 §5.6: a map with duplicate keys is not valid).
 */
#include <string.h>

#include "auth.h"

/* The argument of a head whose additional information is ai, or false when ai
 * is reserved (28-30) or indefinite (31), or the bytes run out. */
static bool head_arg(const uint8_t *p, size_t n, size_t *i, uint8_t ai, uint64_t *v)
{
	if (ai < 24) {
		*v = ai;
		return true;
	}
	if (ai > 27)
		return false;
	size_t w = (size_t)1 << (ai - 24);
	if (n - *i < w)
		return false;
	*v = 0;
	for (size_t k = 0; k < w; k++)
		*v = (*v << 8) | p[(*i)++];
	return true;
}

/* Scans one item without recursion; *len receives its encoded length.
 * Returns NULL, or why the bytes are refused. */
static const char *scan(const uint8_t *p, size_t n, size_t *len)
{
	static const char malformed[] = "the CBOR data is malformed";
	uint64_t left[WEBAUTHN_CBOR_MAX_DEPTH + 1] = {1};
	int depth = 0;
	size_t i = 0;
	while (depth >= 0) {
		if (left[depth] == 0) {
			depth--;
			continue;
		}
		left[depth]--;
		if (i >= n)
			return malformed;
		uint8_t major = p[i] >> 5, ai = p[i] & 31;
		i++;
		uint64_t v;
		if (!head_arg(p, n, &i, ai, &v))
			return ai == 31 ? "indefinite-length CBOR items are not allowed" : malformed;
		switch (major) {
		case 0:
		case 1: break;
		case 2:
		case 3:
			if (v > n - i)
				return malformed;
			i += (size_t)v;
			break;
		case 4:
		case 5:
			if (depth == WEBAUTHN_CBOR_MAX_DEPTH || v > WEBAUTHN_CBOR_MAX_ITEMS)
				return "the CBOR data is nested too deeply or too large";
			left[++depth] = major == 5 ? 2 * v : v;
			break;
		case 6: return "CBOR tags are not allowed";
		default:
			/* false, true, null, undefined and floats; not the 1-byte simple values */
			if (ai == 24 || ai < 20)
				return malformed;
			break;
		}
	}
	*len = i;
	return NULL;
}

bool webauthn_cbor_int(const cbor_item_t *it, int64_t *out)
{
	if (!cbor_is_int(it))
		return false;
	uint64_t v = cbor_get_int(it);
	if (v > INT64_MAX)
		return false;
	*out = cbor_isa_uint(it) ? (int64_t)v : -1 - (int64_t)v;
	return true;
}

static bool key_eq(const cbor_item_t *x, const cbor_item_t *y)
{
	if (cbor_typeof(x) != cbor_typeof(y))
		return false;
	if (cbor_is_int(x))
		return cbor_get_int(x) == cbor_get_int(y);
	if (cbor_isa_bytestring(x))
		return bytes_eq(cbor_bytestring_handle(x), cbor_bytestring_length(x), cbor_bytestring_handle(y),
		                cbor_bytestring_length(y));
	return bytes_eq(cbor_string_handle(x), cbor_string_length(x), cbor_string_handle(y), cbor_string_length(y));
}

/* Recursion depth is bounded by scan(). */
static enum sy_err check_keys(const cbor_item_t *it, const char **why)
{
	if (cbor_isa_array(it)) {
		for (size_t k = 0; k < cbor_array_size(it); k++)
			if (check_keys(cbor_array_handle(it)[k], why))
				return SY_E_INVALID;
		return SY_OK;
	}
	if (!cbor_isa_map(it))
		return SY_OK;
	const struct cbor_pair *m = cbor_map_handle(it);
	for (size_t k = 0; k < cbor_map_size(it); k++) {
		if (!cbor_is_int(m[k].key) && !cbor_isa_string(m[k].key) && !cbor_isa_bytestring(m[k].key)) {
			*why = "a CBOR map key has an unsupported type";
			return SY_E_INVALID;
		}
		for (size_t j = 0; j < k; j++)
			if (key_eq(m[j].key, m[k].key)) {
				*why = "a CBOR map has a duplicate key";
				return SY_E_INVALID;
			}
		if (check_keys(m[k].value, why))
			return SY_E_INVALID;
	}
	return SY_OK;
}

enum sy_err webauthn_cbor_decode(const uint8_t *p, size_t n, bool exact, cbor_item_t **out, size_t *used,
                                 const char **why)
{
	*out = NULL;
	size_t len;
	const char *refused = scan(p, n, &len);
	if (refused) {
		*why = refused;
		return SY_E_INVALID;
	}
	if (exact && len != n) {
		*why = "the CBOR data has trailing bytes";
		return SY_E_INVALID;
	}
	struct cbor_load_result r;
	cbor_item_t *it = cbor_load(p, len, &r);
	if (!it || r.error.code != CBOR_ERR_NONE || r.read != len) {
		if (it)
			cbor_decref(&it);
		*why = "the CBOR data is malformed";
		return SY_E_INVALID;
	}
	if (check_keys(it, why)) {
		cbor_decref(&it);
		return SY_E_INVALID;
	}
	*out = it;
	if (used)
		*used = len;
	return SY_OK;
}

cbor_item_t *webauthn_cbor_get_int(const cbor_item_t *map, int64_t key)
{
	const struct cbor_pair *m = cbor_map_handle(map);
	for (size_t k = 0; k < cbor_map_size(map); k++) {
		int64_t v;
		if (webauthn_cbor_int(m[k].key, &v) && v == key)
			return m[k].value;
	}
	return NULL;
}

cbor_item_t *webauthn_cbor_get_text(const cbor_item_t *map, const char *key)
{
	const struct cbor_pair *m = cbor_map_handle(map);
	for (size_t k = 0; k < cbor_map_size(map); k++)
		if (cbor_isa_string(m[k].key) &&
		    bytes_eq(cbor_string_handle(m[k].key), cbor_string_length(m[k].key), key, strlen(key)))
			return m[k].value;
	return NULL;
}
