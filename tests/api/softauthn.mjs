// softauthn.mjs - a software WebAuthn authenticator (and the client part of a browser)
// for the black-box API tests, on node:crypto only.
//
// It is written from the specifications (WebAuthn Level 3 §6.1 authenticator data,
// §6.5 attestation, §8.2 packed, §8.6 fido-u2f, §5.8.1 client data; RFC 8949 CBOR with
// the CTAP2 canonical form; RFC 9052/9053 COSE keys) and shares no code with the
// server's verifier in src/auth/, nor with any other WebAuthn library. Registrations made
// here and verified by the server are therefore the independent-implementation
// cross-check of issue 3: two implementations written separately agree on ES256, RS256,
// EdDSA (and PS256, ES384, ES512).
//
//   const key = createKey('ES256');
//   const reg = register({ options, origin, key });          // options: register/start JSON
//   POST reg.json to /api/webauthn/register/finish
//   const json = assert_({ options, origin, credential: reg.credential }); // login/start JSON
//
// Every builder takes a `tamper` object to produce the malformed or hostile inputs of
// the negative tests (see register() and assertion()).
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/* ---------- base64url ---------- */

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export function unb64url(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) throw new Error(`not base64url: ${s}`);
  return Buffer.from(s, 'base64url');
}

/* ---------- CBOR (RFC 8949), encoder only, definite lengths ----------
 * Values: number (integer) | bigint | string (text) | Buffer/Uint8Array (bytes) |
 * Array | Map (any keys) | plain object (text keys) | boolean | null | undefined |
 * CborRaw (pre-encoded bytes, inserted as they are).
 * Map keys are sorted in the CTAP2 canonical order (RFC 8949 §4.2.3 "length-first":
 * shorter encoded key first, then bytewise), unless the map is a CborOrderedMap. */

export class CborRaw {
  constructor(bytes) { this.bytes = Buffer.from(bytes); }
}
/* A map whose entries are written in the given order (to build non-canonical input). */
export class CborOrderedMap {
  constructor(entries) { this.entries = entries; }
}

function head(major, n) {
  const mt = major << 5;
  if (typeof n === 'bigint') {
    if (n < 0n) throw new Error('negative length');
    if (n < 24n) return Buffer.from([mt | Number(n)]);
    if (n < 0x100n) return Buffer.from([mt | 24, Number(n)]);
    if (n < 0x10000n) { const b = Buffer.alloc(3); b[0] = mt | 25; b.writeUInt16BE(Number(n), 1); return b; }
    if (n < 0x100000000n) { const b = Buffer.alloc(5); b[0] = mt | 26; b.writeUInt32BE(Number(n), 1); return b; }
    if (n < 0x10000000000000000n) { const b = Buffer.alloc(9); b[0] = mt | 27; b.writeBigUInt64BE(n, 1); return b; }
    throw new Error('integer too large for CBOR');
  }
  return head(major, BigInt(n));
}

export function cbor(v) {
  if (v instanceof CborRaw) return v.bytes;
  if (v === false) return Buffer.from([0xf4]);
  if (v === true) return Buffer.from([0xf5]);
  if (v === null) return Buffer.from([0xf6]);
  if (v === undefined) return Buffer.from([0xf7]);
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (typeof v === 'number' && !Number.isInteger(v)) throw new Error('CBOR floats are not supported here');
    const n = BigInt(v);
    return n >= 0n ? head(0, n) : head(1, -1n - n);
  }
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, b.length), b]);
  }
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    const b = Buffer.from(v);
    return Buffer.concat([head(2, b.length), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  if (v instanceof CborOrderedMap) {
    return Buffer.concat([head(5, v.entries.length), ...v.entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  }
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
  const enc = entries.map(([k, x]) => [cbor(k), cbor(x)]);
  enc.sort(([a], [b]) => (a.length - b.length) || Buffer.compare(a, b));
  for (let i = 1; i < enc.length; i++) {
    if (Buffer.compare(enc[i - 1][0], enc[i][0]) === 0) throw new Error('duplicate CBOR map key');
  }
  return Buffer.concat([head(5, enc.length), ...enc.flat()]);
}

/* ---------- keys and COSE (RFC 9053) ---------- */

const COSE = { kty: 1, alg: 3, crv: -1, x: -2, y: -3, n: -1, e: -2 };
const KTY = { OKP: 1, EC2: 2, RSA: 3 };

/* Every algorithm this authenticator can make a key for. */
export const ALGS = {
  ES256: { cose: -7, kind: 'ec', curve: 'P-256', crv: 1, hash: 'sha256', size: 32 },
  ES384: { cose: -35, kind: 'ec', curve: 'P-384', crv: 2, hash: 'sha384', size: 48 },
  ES512: { cose: -36, kind: 'ec', curve: 'P-521', crv: 3, hash: 'sha512', size: 66 },
  ES256K: { cose: -47, kind: 'ec', curve: 'secp256k1', crv: 8, hash: 'sha256', size: 32 },
  RS256: { cose: -257, kind: 'rsa', hash: 'sha256' },
  RS384: { cose: -258, kind: 'rsa', hash: 'sha384' },
  RS512: { cose: -259, kind: 'rsa', hash: 'sha512' },
  PS256: { cose: -37, kind: 'rsa-pss', hash: 'sha256', salt: 32 },
  PS384: { cose: -38, kind: 'rsa-pss', hash: 'sha384', salt: 48 },
  EdDSA: { cose: -8, kind: 'ed25519' },
};

// RSA keys are slow to make: credentials of one test file rotate over three of them
const rsaCache = new Map();
let rsaNext = 0;
function rsaPair(bits, slot) {
  if (slot === undefined) return crypto.generateKeyPairSync('rsa', { modulusLength: bits });
  const k = `${bits}/${slot}`;
  if (!rsaCache.has(k)) rsaCache.set(k, crypto.generateKeyPairSync('rsa', { modulusLength: bits }));
  return rsaCache.get(k);
}

/**
 * A credential key pair for `name` (a key of ALGS).
 *   rsaBits: modulus size (2048); fresh: a new RSA key (default: one of a small cache)
 * Returns {name, alg (COSE number), privateKey, publicKey, cose (Buffer), sign(data)}.
 */
export function createKey(name = 'ES256', { rsaBits = 2048, fresh = false, rsaSlot } = {}) {
  const a = ALGS[name];
  if (!a) throw new Error(`unknown algorithm ${name}`);
  let pair;
  if (a.kind === 'ec') pair = crypto.generateKeyPairSync('ec', { namedCurve: a.curve });
  else if (a.kind === 'ed25519') pair = crypto.generateKeyPairSync('ed25519');
  else pair = fresh ? rsaPair(rsaBits) : rsaPair(rsaBits, rsaSlot ?? rsaNext++ % 3);
  const key = { name, alg: a.cose, privateKey: pair.privateKey, publicKey: pair.publicKey };
  key.cose = coseKey(key);
  key.sign = (data) => signWith(name, pair.privateKey, data);
  return key;
}

/* The COSE_Key of a public key; `alg` may be overridden (to lie about the key). */
export function coseKey(key, { alg = key.alg, extra } = {}) {
  const jwk = key.publicKey.export({ format: 'jwk' });
  const a = ALGS[key.name];
  const m = new Map();
  if (a.kind === 'ec') {
    m.set(COSE.kty, KTY.EC2).set(COSE.alg, alg).set(COSE.crv, a.crv)
      .set(COSE.x, unb64url(jwk.x)).set(COSE.y, unb64url(jwk.y));
  } else if (a.kind === 'ed25519') {
    m.set(COSE.kty, KTY.OKP).set(COSE.alg, alg).set(COSE.crv, 6).set(COSE.x, unb64url(jwk.x));
  } else {
    m.set(COSE.kty, KTY.RSA).set(COSE.alg, alg).set(COSE.n, unb64url(jwk.n)).set(COSE.e, unb64url(jwk.e));
  }
  for (const [k, v] of Object.entries(extra || {})) m.set(Number(k), v);
  return cbor(m);
}

/* A WebAuthn signature: ECDSA as ASN.1 DER, RSASSA-PKCS1-v1_5, RSASSA-PSS, Ed25519. */
export function signWith(name, privateKey, data) {
  const a = ALGS[name];
  if (a.kind === 'ed25519') return crypto.sign(null, data, privateKey);
  if (a.kind === 'rsa-pss') {
    return crypto.sign(a.hash, data, { key: privateKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: a.salt });
  }
  if (a.kind === 'ec') return crypto.sign(a.hash, data, { key: privateKey, dsaEncoding: 'der' });
  return crypto.sign(a.hash, data, { key: privateKey, padding: crypto.constants.RSA_PKCS1_PADDING });
}

/* ---------- authenticator data (WebAuthn L3 §6.1) ---------- */

export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 };

/* flags: a number, or {up, uv, be, bs, at, ed} booleans. */
export function flagByte(f) {
  if (typeof f === 'number') return f;
  return (f.up ? FLAGS.UP : 0) | (f.uv ? FLAGS.UV : 0) | (f.be ? FLAGS.BE : 0) | (f.bs ? FLAGS.BS : 0)
    | (f.at ? FLAGS.AT : 0) | (f.ed ? FLAGS.ED : 0);
}

export const sha256 = (b) => crypto.createHash('sha256').update(b).digest();

export function uuidBytes(u) {
  const hex = u.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${u}`);
  return Buffer.from(hex, 'hex');
}

/**
 * authenticatorData: rpIdHash ‖ flags ‖ signCount ‖ [AAGUID ‖ L ‖ credentialId ‖ COSE key] ‖ [extensions]
 *   attested: {aaguid (Buffer 16), credentialId (Buffer), cose (Buffer)} or null
 *   extensions: a value CBOR-encoded after it (sets no flag by itself)
 */
export function authData({ rpId, rpIdHash, flags, signCount = 0, attested = null, extensions }) {
  const parts = [rpIdHash || sha256(Buffer.from(rpId, 'utf8'))];
  parts.push(Buffer.from([flagByte(flags)]));
  const c = Buffer.alloc(4);
  c.writeUInt32BE(signCount >>> 0);
  parts.push(c);
  if (attested) {
    const l = Buffer.alloc(2);
    l.writeUInt16BE(attested.credentialId.length);
    parts.push(attested.aaguid, l, attested.credentialId, attested.cose);
  }
  if (extensions !== undefined) parts.push(cbor(extensions));
  return Buffer.concat(parts);
}

/* ---------- client data (WebAuthn L3 §5.8.1) ---------- */

/* The JSON text a browser would send; `fields` overrides or adds members (undefined removes). */
export function clientDataJSON({ type, challenge, origin, crossOrigin = false, fields = {} }) {
  const o = { type, challenge, origin, crossOrigin };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) delete o[k];
    else o[k] = v;
  }
  return Buffer.from(JSON.stringify(o), 'utf8');
}

/* ---------- certificates (fido-u2f and packed full attestation) ---------- */

let certCount = 0;
/**
 * A self-signed P-256 certificate made by the openssl command line (node:crypto cannot
 * issue certificates). Returns {der (Buffer), privateKey (KeyObject)}.
 * subject: the -subj string.
 */
export function selfSignedCert({ subject = '/C=US/O=Symbolon Tests/OU=Authenticator Attestation/CN=softauthn', ca = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'softauthn-'));
  try {
    const keyFile = path.join(dir, `k${certCount}.pem`), certFile = path.join(dir, `c${certCount++}.der`);
    const pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(keyFile, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    execFileSync('openssl', ['req', '-new', '-x509', '-key', keyFile, '-outform', 'DER', '-out', certFile,
      '-days', '30', '-subj', subject, '-addext', `basicConstraints=critical,CA:${ca ? 'TRUE' : 'FALSE'}`], { stdio: 'pipe' });
    return { der: fs.readFileSync(certFile), privateKey: pair.privateKey };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/* ---------- ceremonies ---------- */

export const ZERO_AAGUID = Buffer.alloc(16);

/**
 * A registration (navigator.credentials.create()) answered by this authenticator.
 *   options:  the PublicKeyCredentialCreationOptions JSON of /api/webauthn/register/start
 *   origin:   the page origin the "browser" reports
 *   key:      a createKey() result (default: a new ES256 key)
 *   fmt:      'none' | 'packed' (self attestation) | 'packed-x5c' | 'fido-u2f'
 *   aaguid:   UUID string or 16-byte Buffer (default zero)
 *   credentialId: Buffer (default 32 random bytes)
 *   flags:    {up, uv, be, bs} (AT is added) (default UP|UV)
 *   transports: reported transports (default ['internal', 'hybrid'])
 *   tamper:   {
 *     origin, type, challenge (strings for client data), crossOrigin, clientFields {...},
 *     rpId (hashed instead of options.rp.id), flags (whole byte, AT included or not),
 *     coseAlg (the alg label written into the COSE key), cose (Buffer: the COSE key bytes),
 *     fmtLabel (the fmt text written, e.g. 'tpm'), attStmt (object replacing the statement),
 *     attStmtAlg (the alg of a packed statement), trailing (Buffer appended to the
 *     attestation object), authDataTrailing (Buffer appended to authData),
 *     flipSignature (byte index, in the attestation signature), flipAuthData (byte index,
 *     after signing), rawId (Buffer reported as rawId/id instead of the credential id),
 *     attestationObject (Buffer replacing it), clientDataJSON (Buffer replacing it)
 *   }
 * Returns {json (RegistrationResponseJSON), credential ({id, key, userHandle, rpId,
 *   signCount, aaguid, backupEligible}), clientDataJSON, authData, attestationObject, attStmt}.
 */
export function register({
  options, origin, key = createKey('ES256'), fmt = 'none', aaguid = ZERO_AAGUID,
  credentialId = crypto.randomBytes(32), flags = { up: true, uv: true }, signCount = 0,
  transports = ['internal', 'hybrid'], tamper = {},
}) {
  const rpId = options.rp.id;
  const aag = typeof aaguid === 'string' ? uuidBytes(aaguid) : Buffer.from(aaguid);
  const cdj = tamper.clientDataJSON || clientDataJSON({
    type: tamper.type ?? 'webauthn.create',
    challenge: tamper.challenge ?? options.challenge,
    origin: tamper.origin ?? origin,
    crossOrigin: tamper.crossOrigin ?? false,
    fields: tamper.clientFields,
  });
  const cose = tamper.cose || (tamper.coseAlg !== undefined ? coseKey(key, { alg: tamper.coseAlg }) : key.cose);
  const fl = tamper.flags !== undefined ? tamper.flags : (flagByte(flags) | FLAGS.AT);
  let ad = authData({ rpId: tamper.rpId ?? rpId, flags: fl, signCount, attested: { aaguid: aag, credentialId, cose } });
  if (tamper.authDataTrailing) ad = Buffer.concat([ad, tamper.authDataTrailing]);
  const toSign = Buffer.concat([ad, sha256(cdj)]);

  let attStmt, fmtLabel = fmt;
  if (fmt === 'none') {
    attStmt = {};
  } else if (fmt === 'packed') { // self attestation: signed by the credential key itself
    attStmt = new Map([['alg', tamper.attStmtAlg ?? key.alg], ['sig', key.sign(toSign)]]);
  } else if (fmt === 'packed-x5c') { // "basic" attestation by a self-signed batch certificate
    const batch = tamper.batchCert || selfSignedCert();
    attStmt = new Map([['alg', tamper.attStmtAlg ?? -7], ['sig', signWith('ES256', batch.privateKey, toSign)], ['x5c', [batch.der]]]);
    fmtLabel = 'packed';
  } else if (fmt === 'fido-u2f') { // §8.6: ES256 credential, P-256 certificate
    const batch = tamper.batchCert || selfSignedCert();
    const jwk = key.publicKey.export({ format: 'jwk' });
    const pub = Buffer.concat([Buffer.from([4]), unb64url(jwk.x), unb64url(jwk.y)]);
    const base = Buffer.concat([Buffer.from([0]), ad.subarray(0, 32), sha256(cdj), credentialId, pub]);
    attStmt = new Map([['sig', signWith('ES256', batch.privateKey, base)], ['x5c', [batch.der]]]);
  } else {
    throw new Error(`unknown attestation format ${fmt}`);
  }
  if (tamper.flipSignature !== undefined && attStmt instanceof Map && attStmt.has('sig')) {
    const s = Buffer.from(attStmt.get('sig'));
    s[tamper.flipSignature % s.length] ^= 0x01;
    attStmt.set('sig', s);
  }
  if (tamper.attStmt !== undefined) attStmt = tamper.attStmt;
  if (tamper.flipAuthData !== undefined) {
    ad = Buffer.from(ad);
    ad[tamper.flipAuthData] ^= 0x01;
  }
  let ao = tamper.attestationObject || cbor(new Map([['fmt', tamper.fmtLabel ?? fmtLabel], ['attStmt', attStmt], ['authData', ad]]));
  if (tamper.trailing) ao = Buffer.concat([ao, tamper.trailing]);

  const rawId = tamper.rawId || credentialId;
  let spki;
  try { spki = key.publicKey.export({ format: 'der', type: 'spki' }); } catch { spki = undefined; }
  const json = {
    id: b64url(rawId),
    rawId: b64url(rawId),
    type: 'public-key',
    response: {
      clientDataJSON: b64url(cdj),
      attestationObject: b64url(ao),
      transports,
      authenticatorData: b64url(ad),
      publicKeyAlgorithm: key.alg,
      ...(spki ? { publicKey: b64url(spki) } : {}),
    },
    clientExtensionResults: { credProps: { rk: true } },
    authenticatorAttachment: 'platform',
  };
  const credential = {
    id: credentialId, key, rpId, userHandle: unb64url(options.user.id), signCount,
    aaguid: aag, backupEligible: !!(flagByte(flags) & FLAGS.BE),
  };
  return { json, credential, clientDataJSON: cdj, authData: ad, attestationObject: ao, attStmt };
}

/**
 * An assertion (navigator.credentials.get()) by a credential from register().
 *   options:    the request options JSON of /api/webauthn/login/start ({challenge, rpId, ...})
 *   origin:     the page origin
 *   credential: from register() (its signCount is advanced unless signCount is given)
 *   flags:      {up, uv, be, bs} (default UP|UV, BE/BS as the credential was made)
 *   userHandle: Buffer sent as userHandle (default the credential's; null to leave it out)
 *   tamper:     { origin, type, challenge, crossOrigin, clientFields, rpId, flags (byte),
 *                 flipSignature (index), flipAuthData (index, after signing),
 *                 authDataTrailing (Buffer, signed), rawId (Buffer), key (sign with another
 *                 key), signature (Buffer), clientDataJSON (Buffer) }
 * Returns {json (AuthenticationResponseJSON), clientDataJSON, authData, signature}.
 */
export function assertion({ options, origin, credential, flags, userHandle, signCount, tamper = {} }) {
  const rpId = options.rpId;
  const cdj = tamper.clientDataJSON || clientDataJSON({
    type: tamper.type ?? 'webauthn.get',
    challenge: tamper.challenge ?? options.challenge,
    origin: tamper.origin ?? origin,
    crossOrigin: tamper.crossOrigin ?? false,
    fields: tamper.clientFields,
  });
  const be = credential.backupEligible;
  const fl = tamper.flags !== undefined ? tamper.flags : flagByte(flags || { up: true, uv: true, be, bs: be });
  if (signCount === undefined) {
    if (credential.signCount) credential.signCount += 1;
    signCount = credential.signCount;
  }
  let ad = authData({ rpId: tamper.rpId ?? rpId, flags: fl, signCount });
  if (tamper.authDataTrailing) ad = Buffer.concat([ad, tamper.authDataTrailing]);
  const key = tamper.key || credential.key;
  let sig = tamper.signature || key.sign(Buffer.concat([ad, sha256(cdj)]));
  if (tamper.flipSignature !== undefined) {
    sig = Buffer.from(sig);
    sig[tamper.flipSignature % sig.length] ^= 0x01;
  }
  if (tamper.flipAuthData !== undefined) {
    ad = Buffer.from(ad);
    ad[tamper.flipAuthData] ^= 0x01;
  }
  const rawId = tamper.rawId || credential.id;
  const uh = userHandle === undefined ? credential.userHandle : userHandle;
  const json = {
    id: b64url(rawId),
    rawId: b64url(rawId),
    type: 'public-key',
    response: {
      clientDataJSON: b64url(cdj),
      authenticatorData: b64url(ad),
      signature: b64url(sig),
      ...(uh === null ? {} : { userHandle: b64url(uh) }),
    },
    clientExtensionResults: {},
    authenticatorAttachment: 'platform',
  };
  return { json, clientDataJSON: cdj, authData: ad, signature: sig };
}

/* ---------- checks of this module's own output (used by softauthn.test.mjs) ---------- */

/* Verifies an assertion signature with node:crypto: the module's own consistency check. */
export function verifySignature(key, data, sig) {
  const a = ALGS[key.name];
  if (a.kind === 'ed25519') return crypto.verify(null, data, key.publicKey, sig);
  if (a.kind === 'rsa-pss') {
    return crypto.verify(a.hash, data, { key: key.publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: a.salt }, sig);
  }
  if (a.kind === 'ec') return crypto.verify(a.hash, data, { key: key.publicKey, dsaEncoding: 'der' }, sig);
  return crypto.verify(a.hash, data, { key: key.publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, sig);
}
