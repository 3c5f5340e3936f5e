/*
 * kdf.c - the derivations of Pocket ID §2.3 and its AES-256-GCM envelope.
 * HMAC-SHA3-256 makes the key-encryption key for the stored signing key; HKDF-SHA256
 * (empty salt) derives the opaque-token HMAC secret and the encrypted-column key.
 */
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

enum sy_err hmac_sha3_256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
	size_t outlen = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA3-256", NULL, key, klen, msg, mlen, out, 32, &outlen) || outlen != 32)
		return SY_E_CRYPTO;
	return SY_OK;
}

enum sy_err hmac_sha512_256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
	size_t outlen = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA512-256", NULL, key, klen, msg, mlen, out, 32, &outlen) || outlen != 32)
		return SY_E_CRYPTO;
	return SY_OK;
}

enum sy_err hkdf_sha256(const void *ikm, size_t ikmlen, const char *info, uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!ctx)
		return SY_E_CRYPTO;
	OSSL_PARAM p[] = {
	        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
	        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen),
	        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info)),
	        OSSL_PARAM_construct_end(),
	};
	int ok = EVP_KDF_derive(ctx, out, outlen, p);
	EVP_KDF_CTX_free(ctx);
	return ok == 1 ? SY_OK : SY_E_CRYPTO;
}

static enum sy_err gcm(bool seal, const uint8_t key[32], const uint8_t nonce[12], const void *aad, size_t aadlen,
                       const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, ok = c != NULL && n <= INT32_MAX && aadlen <= INT32_MAX;
	ok = ok && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, seal) == 1;
	if (ok && aadlen)
		ok = EVP_CipherUpdate(c, NULL, &len, aad, (int)aadlen) == 1;
	ok = ok && EVP_CipherUpdate(c, out, &len, in, (int)n) == 1;
	if (ok && !seal)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(c, out + len, &len) == 1;
	if (ok && seal)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? SY_OK : SY_E_CRYPTO;
}

enum sy_err gcm_seal(const uint8_t key[32], const void *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out)
{
	sy_random(out, 12);
	return gcm(true, key, out, aad, aadlen, in, n, out + 12, out + 12 + n);
}

enum sy_err gcm_open(const uint8_t key[32], const void *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
                     size_t *outlen)
{
	if (n < GCM_OVERHEAD)
		return SY_E_CRYPTO;
	size_t ct = n - GCM_OVERHEAD;
	uint8_t tag[16];
	memcpy(tag, in + 12 + ct, 16);
	enum sy_err e = gcm(false, key, in, aad, aadlen, in + 12, ct, out, tag);
	if (e) {
		explicit_bzero(out, ct);
		return e;
	}
	*outlen = ct;
	return SY_OK;
}

void sha256_hex(const void *data, size_t n, char out[65])
{
	uint8_t digest[32];
	unsigned int len = 0;
	if (EVP_Digest(data, n, digest, &len, EVP_sha256(), NULL) != 1 || len != sizeof digest)
		abort(); /* SHA-256 of a memory buffer cannot fail */
	hex_encode(digest, sizeof digest, out);
}
