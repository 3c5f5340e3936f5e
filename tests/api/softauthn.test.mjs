// Self-checks of the software authenticator (softauthn.mjs), without the server:
// CBOR against RFC 8949 Appendix A, canonical map order, COSE key and authenticator
// data layouts, and every signature verified by node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  cbor, CborOrderedMap, createKey, ALGS, authData, register, assertion, FLAGS, sha256, b64url, unb64url, verifySignature,
} from './softauthn.mjs';

const hex = (b) => Buffer.from(b).toString('hex');

test('CBOR: RFC 8949 Appendix A examples', () => {
  const cases = [
    [0, '00'], [1, '01'], [10, '0a'], [23, '17'], [24, '1818'], [25, '1819'], [100, '1864'], [1000, '1903e8'],
    [1000000, '1a000f4240'], [1000000000000, '1b000000e8d4a51000'], [18446744073709551615n, '1bffffffffffffffff'],
    [-1, '20'], [-10, '29'], [-100, '3863'], [-1000, '3903e7'], [-18446744073709551616n, '3bffffffffffffffff'],
    [false, 'f4'], [true, 'f5'], [null, 'f6'], [undefined, 'f7'],
    [Buffer.alloc(0), '40'], [Buffer.from('01020304', 'hex'), '4401020304'],
    ['', '60'], ['a', '6161'], ['IETF', '6449455446'], ['"\\', '62225c'], ['\u00fc', '62c3bc'], ['\u6c34', '63e6b0b4'],
    ['\ud800\udd51', '64f0908591'],
    [[], '80'], [[1, 2, 3], '83010203'], [[1, [2, 3], [4, 5]], '8301820203820405'],
    [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
    [{}, 'a0'], [new Map([[1, 2], [3, 4]]), 'a201020304'], [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
    [['a', { b: 'c' }], '826161a161626163'],
    [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
  ];
  for (const [v, want] of cases) assert.equal(hex(cbor(v)), want, `${String(v)}`);
});

test('CBOR: map keys in canonical (length-first) order whatever the insertion order', () => {
  const m = new Map([['authData', 1], ['fmt', 2], ['attStmt', 3], [-2, 4], [3, 5], [1, 6], [-1, 7]]);
  // encoded keys: 01, 03, 20, 21, 63 666d74, 67 attStmt, 68 authData
  assert.equal(hex(cbor(m)), 'a7' + '0106' + '0305' + '2007' + '2104' + '63666d7402' + '6761747453746d7403' + '686175746844617461' + '01');
  // an ordered map keeps its order
  assert.equal(hex(cbor(new CborOrderedMap([[3, 0], [1, 0]]))), 'a203000100');
  assert.throws(() => cbor(new Map([[1, 1], [1n, 2]])), /duplicate/);
});

test('COSE keys: kty, alg, crv and coordinates as RFC 9053 says', () => {
  const ec = createKey('ES256');
  const j = ec.publicKey.export({ format: 'jwk' });
  assert.equal(hex(ec.cose), 'a5' + '0102' + '0326' + '2001' + '215820' + hex(unb64url(j.x)) + '225820' + hex(unb64url(j.y)));
  const ed = createKey('EdDSA');
  assert.equal(hex(ed.cose), 'a4' + '0101' + '0327' + '2006' + '215820' + hex(unb64url(ed.publicKey.export({ format: 'jwk' }).x)));
  const rsa = createKey('RS256');
  const rj = rsa.publicKey.export({ format: 'jwk' });
  assert.equal(hex(rsa.cose), 'a4' + '0103' + '03390100' + '205901' + '00' + hex(unb64url(rj.n)) + '2143010001');
  assert.equal(hex(createKey('ES384').cose.subarray(0, 8)), 'a50102033822' + '2002'); // alg -35, crv 2
});

test('authenticator data: rpIdHash, flags, counter, attested credential data', () => {
  const key = createKey('ES256');
  const id = crypto.randomBytes(20);
  const aaguid = crypto.randomBytes(16);
  const ad = authData({ rpId: 'localhost', flags: { up: true, uv: true, at: true }, signCount: 0x01020304, attested: { aaguid, credentialId: id, cose: key.cose } });
  assert.deepEqual(ad.subarray(0, 32), sha256(Buffer.from('localhost')));
  assert.equal(ad[32], FLAGS.UP | FLAGS.UV | FLAGS.AT);
  assert.equal(hex(ad.subarray(33, 37)), '01020304');
  assert.deepEqual(ad.subarray(37, 53), aaguid);
  assert.equal(ad.readUInt16BE(53), 20);
  assert.deepEqual(ad.subarray(55, 75), id);
  assert.deepEqual(ad.subarray(75), key.cose);
});

for (const name of Object.keys(ALGS)) {
  test(`${name}: the signatures of a registration (packed) and an assertion verify`, () => {
    const key = createKey(name);
    const options = { rp: { id: 'localhost', name: 'x' }, user: { id: b64url(Buffer.from('user-1')) }, challenge: b64url(crypto.randomBytes(32)) };
    const reg = register({ options, origin: 'http://localhost:1411', key, fmt: 'packed' });
    const cd = JSON.parse(reg.clientDataJSON);
    assert.deepEqual(cd, { type: 'webauthn.create', challenge: options.challenge, origin: 'http://localhost:1411', crossOrigin: false });
    const toSign = Buffer.concat([reg.authData, sha256(reg.clientDataJSON)]);
    assert.equal(reg.attStmt.get('alg'), key.alg);
    assert.ok(verifySignature(key, toSign, reg.attStmt.get('sig')), 'packed self attestation signature');
    assert.ok(reg.attestationObject.includes(reg.authData));
    const a = assertion({ options: { challenge: options.challenge, rpId: 'localhost' }, origin: 'http://localhost:1411', credential: reg.credential });
    assert.ok(verifySignature(key, Buffer.concat([a.authData, sha256(a.clientDataJSON)]), a.signature));
    assert.equal(a.json.response.userHandle, options.user.id);
    if (ALGS[name].kind === 'ec') assert.equal(a.signature[0], 0x30, 'ECDSA signatures are DER');
  });
}

test('tampering: a flipped signature no longer verifies; a flipped authData byte breaks it too', () => {
  const key = createKey('EdDSA');
  const cred = { id: crypto.randomBytes(16), key, userHandle: Buffer.from('u'), signCount: 0 };
  const opts = { challenge: b64url(crypto.randomBytes(32)), rpId: 'localhost' };
  const bad = assertion({ options: opts, origin: 'http://localhost', credential: cred, tamper: { flipSignature: 1 } });
  assert.ok(!verifySignature(key, Buffer.concat([bad.authData, sha256(bad.clientDataJSON)]), bad.signature));
  const bad2 = assertion({ options: opts, origin: 'http://localhost', credential: cred, tamper: { flipAuthData: 34 } });
  assert.ok(!verifySignature(key, Buffer.concat([bad2.authData, sha256(bad2.clientDataJSON)]), bad2.signature));
});
