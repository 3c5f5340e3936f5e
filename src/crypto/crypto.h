/*
 * crypto.h - our JOSE subset (JWS compact, JWK) and the key derivations Pocket ID
 * uses, on OpenSSL 3 EVP. Nothing here reads `jku`, `jwk`, `x5u` or `x5c` from a
 * token header, and the caller always fixes the algorithm it expects.
 */
#ifndef SY_CRYPTO_H
#define SY_CRYPTO_H

#include <jansson.h>
#include <openssl/evp.h>

#include "../core/core.h"

enum jws_alg { JWS_RS256, JWS_RS384, JWS_RS512, JWS_ES256, JWS_ES384, JWS_ES512, JWS_EDDSA };
#define JWS_ALG_COUNT 7
const char *jws_alg_name(enum jws_alg alg);
bool jws_alg_parse(const char *s, enum jws_alg *out);

/* A key with the one algorithm it may be used with. Owns pkey. */
struct jws_key {
	EVP_PKEY *pkey;
	enum jws_alg alg;
	char kid[64];
};
void jws_key_free(struct jws_key *k);

/* jwk.c */
/* Does this key have the type (and curve, and size) the algorithm needs? */
bool jws_key_fits(EVP_PKEY *pkey, enum jws_alg alg);
/* Bytes of one EC coordinate for ES*, 0 otherwise. */
size_t jws_alg_coord_size(enum jws_alg alg);
/* OpenSSL digest name, NULL for EdDSA. */
const char *jws_alg_digest(enum jws_alg alg);
/* RSA sizes 2048..4096; for EC and EdDSA bits is ignored. Sets a random kid
 * (base64url of 8 random bytes, as Pocket ID does). */
enum sy_err jwk_generate(enum jws_alg alg, int rsa_bits, struct jws_key *out) SY_WARN_UNUSED;
/* Imports RSA, EC (P-256/384/521) or OKP (Ed25519) JWKs. A private member ("d")
 * is refused unless allow_private. The alg comes from "alg" when present (and must
 * fit the key) or is inferred from the key type. */
enum sy_err jwk_import(const json_t *jwk, bool allow_private, struct jws_key *out) SY_WARN_UNUSED;
/* New references; members sorted as Pocket ID's jwx prints them. */
json_t *jwk_public(const struct jws_key *k);
json_t *jwk_private(const struct jws_key *k);

/* jws.c */
#define JWS_MAX_TOKEN (16u * 1024u)
/* Signs payload (JSON text) into a compact JWS; header {alg, kid, typ?}. */
enum sy_err jws_sign(struct arena *a, const struct jws_key *k, const char *typ, const char *payload, size_t plen,
                     char **out) SY_WARN_UNUSED;
/* Verifies a compact JWS. The header's alg must equal `expected`; the key is
 * chosen among keys[] with that alg, by kid when the header has one (a single
 * candidate is used when it has none). `crit` is refused. On success *payload
 * is the decoded payload (NUL-terminated, in the arena). */
enum sy_err jws_verify(struct arena *a, const char *token, size_t n, const struct jws_key *keys, size_t nkeys,
                       enum jws_alg expected, char **payload, size_t *plen) SY_WARN_UNUSED;

/* kdf.c */
/* SHA-256 of n bytes as 64 lower-case hex digits: how API keys and
 * reauthentication tokens are stored. */
void sha256_hex(const void *data, size_t n, char out[65]);
enum sy_err hmac_sha3_256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32]) SY_WARN_UNUSED;
/* HMAC with SHA-512/256: what Pocket ID's opaque codes and refresh tokens carry. */
enum sy_err hmac_sha512_256(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32]) SY_WARN_UNUSED;
enum sy_err hkdf_sha256(const void *ikm, size_t ikmlen, const char *info, uint8_t *out, size_t outlen) SY_WARN_UNUSED;
/* AES-256-GCM with a random 12-byte nonce; output nonce || ciphertext || tag(16). */
#define GCM_OVERHEAD 28u
enum sy_err gcm_seal(const uint8_t key[32], const void *aad, size_t aadlen, const uint8_t *in, size_t n,
                     uint8_t *out) SY_WARN_UNUSED;
/* Inverse of gcm_seal; out must hold n - GCM_OVERHEAD bytes. SY_E_CRYPTO on a bad tag. */
enum sy_err gcm_open(const uint8_t key[32], const void *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
                     size_t *outlen) SY_WARN_UNUSED;

/* keyring.c: the instance's signing key, stored as Pocket ID stores it (kv
 * `jwt_private_key.json` = base64(nonce || AES-256-GCM(private JWK JSON)), key
 * HMAC-SHA3-256(ENCRYPTION_KEY, "pocketid/<instance_id>/jwk-kek")). */
struct store;
enum sy_err keyring_decrypt(const char *enc_key, const char *instance_id, const char *stored,
                            struct jws_key *out) SY_WARN_UNUSED;
enum sy_err keyring_encrypt(struct arena *a, const char *enc_key, const char *instance_id, const struct jws_key *k,
                            char **stored) SY_WARN_UNUSED;
/* Loads the instance id and signing key, creating both on first start. A key
 * that does not decrypt is an error and is never replaced. */
enum sy_err keyring_load(struct store *s, const char *enc_key, struct jws_key *out, char *instance_id, size_t idlen,
                         char *err, size_t errlen) SY_WARN_UNUSED;

#endif
