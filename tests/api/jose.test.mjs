// Cross-check of Symbolon's JOSE code (through tests/jose_tool) against Node's own
// crypto, in both directions, for every algorithm Pocket ID can sign with; and the
// verifier's refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { JOSE_TOOL, tempDir, show, sanitizerReport } from './harness.mjs';

if (!JOSE_TOOL || !fs.existsSync(JOSE_TOOL)) throw new Error(`JOSE_TOOL=${JOSE_TOOL}: set it to the absolute path of build/tests/jose_tool`);

const ALGS = {
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  ES256: { hash: 'sha256', kind: 'ec', curve: 'P-256', coord: 32 },
  ES384: { hash: 'sha384', kind: 'ec', curve: 'P-384', coord: 48 },
  ES512: { hash: 'sha512', kind: 'ec', curve: 'P-521', coord: 66 },
  EdDSA: { hash: null, kind: 'ed25519' },
};

const dir = tempDir('sy-jose-');
let fileNo = 0;
const b64u = (b) => Buffer.from(b).toString('base64url');
const unb64u = (s) => Buffer.from(s, 'base64url');

function tool(...args) {
  const r = spawnSync(JOSE_TOOL, args, { encoding: 'utf8', timeout: 60000, env: process.env });
  if (sanitizerReport(r.stderr || '')) throw new Error(`jose_tool ${args.join(' ')} printed a sanitizer report${show('stderr', r.stderr)}`);
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, error: r.error };
}
const said = (r) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.error ? ` ${r.error.message}` : ''}${show('stdout', r.stdout)}${show('stderr', r.stderr)}`;

function writeJson(obj) {
  const f = path.join(dir, `key-${++fileNo}.json`);
  fs.writeFileSync(f, JSON.stringify(obj));
  return f;
}

const keyCache = {};
/* A Node key pair for alg (RSA pairs shared among RS*), with JWK files for the tool. */
function keyFor(alg) {
  const a = ALGS[alg];
  const cacheKey = a.kind === 'rsa' ? 'rsa' : alg;
  if (!keyCache[cacheKey]) {
    keyCache[cacheKey] =
      a.kind === 'rsa' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
      : a.kind === 'ec' ? crypto.generateKeyPairSync('ec', { namedCurve: a.curve })
      : crypto.generateKeyPairSync('ed25519');
  }
  const { privateKey, publicKey } = keyCache[cacheKey];
  const kid = `kid-${alg}-${crypto.randomBytes(4).toString('hex')}`;
  const privJwk = { ...privateKey.export({ format: 'jwk' }), alg, kid };
  const pubJwk = { ...publicKey.export({ format: 'jwk' }), alg, kid };
  return { alg, kid, privateKey, publicKey, privJwk, pubJwk, privFile: writeJson(privJwk), pubFile: writeJson(pubJwk) };
}

function nodeSignBytes(alg, privateKey, input, { der = false } = {}) {
  const a = ALGS[alg];
  if (a.kind === 'ed25519') return crypto.sign(null, input, privateKey);
  if (a.kind === 'ec') return crypto.sign(a.hash, input, { key: privateKey, dsaEncoding: der ? 'der' : 'ieee-p1363' });
  return crypto.sign(a.hash, input, privateKey);
}

function nodeVerifyBytes(alg, publicKey, input, sig) {
  const a = ALGS[alg];
  if (a.kind === 'ed25519') return crypto.verify(null, input, publicKey, sig);
  if (a.kind === 'ec') return crypto.verify(a.hash, input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  return crypto.verify(a.hash, input, publicKey, sig);
}

/* A compact JWS made by Node. header: an object or the exact JSON text. */
function nodeJws(alg, key, header, payload, opts = {}) {
  const h = b64u(typeof header === 'string' ? header : JSON.stringify(header)) + (opts.padHeader || '');
  const p = b64u(payload) + (opts.padPayload || '');
  const input = `${h}.${p}`;
  const sig = opts.sig ? opts.sig(input) : nodeSignBytes(alg, key.privateKey, Buffer.from(input), opts);
  return `${input}.${b64u(sig)}${opts.padSig || ''}`;
}

function verifyAccepts(alg, pubFile, token, payload) {
  const r = tool('verify', alg, pubFile, token);
  assert.equal(r.code, 0, `jose_tool verify ${alg} refused a valid token ${token}${said(r)}`);
  assert.equal(r.stdout, `${payload}\n`, said(r));
}

function verifyRefuses(alg, pubFile, token, why) {
  const r = tool('verify', alg, pubFile, token);
  assert.equal(r.code, 1, `jose_tool verify ${alg} should refuse ${why} (exit 1): ${token}${said(r)}`);
  assert.equal(r.stdout, '', `a refused token printed a payload${said(r)}`);
}

for (const alg of Object.keys(ALGS)) {
  test(`${alg}: jose_tool signs, Node verifies`, () => {
    const key = keyFor(alg);
    const payload = '{"sub":"x"}';
    const r = tool('sign', alg, key.privFile, payload);
    assert.equal(r.code, 0, said(r));
    const token = r.stdout.trim();
    const parts = token.split('.');
    assert.equal(parts.length, 3, `not a compact JWS: ${token}`);
    for (const p of parts) assert.match(p, /^[A-Za-z0-9_-]*$/, `segment is not unpadded base64url: ${p}`);
    const header = JSON.parse(unb64u(parts[0]).toString('utf8'));
    assert.equal(header.alg, alg, JSON.stringify(header));
    assert.equal(header.kid, key.kid, JSON.stringify(header));
    assert.equal(unb64u(parts[1]).toString('utf8'), payload);
    const sig = unb64u(parts[2]);
    if (ALGS[alg].coord) assert.equal(sig.length, 2 * ALGS[alg].coord, 'an ES* signature must be r||s of fixed width');
    if (alg === 'EdDSA') assert.equal(sig.length, 64);
    if (ALGS[alg].kind === 'rsa') assert.equal(sig.length, 256);
    assert.ok(nodeVerifyBytes(alg, key.publicKey, Buffer.from(`${parts[0]}.${parts[1]}`), sig), `Node does not verify ${token}`);
  });

  test(`${alg}: Node signs, jose_tool verifies`, () => {
    const key = keyFor(alg);
    const payload = '{"sub":"x","name":"Zoë ✓","n":1}';
    const token = nodeJws(alg, key, { alg, kid: key.kid }, payload);
    verifyAccepts(alg, key.pubFile, token, payload);
  });

  test(`${alg}: jose_tool keygen makes a key Node imports, and its public part matches Node's`, () => {
    const r = tool('keygen', alg);
    assert.equal(r.code, 0, said(r));
    const jwk = JSON.parse(r.stdout);
    assert.equal(jwk.alg, alg, r.stdout);
    assert.equal(typeof jwk.kid, 'string');
    assert.ok(jwk.kid.length > 0);
    const priv = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
    assert.equal(priv.type, 'private');
    const a = ALGS[alg];
    if (a.kind === 'rsa') assert.equal(priv.asymmetricKeyDetails.modulusLength, 2048);
    if (a.kind === 'ec') assert.equal(priv.asymmetricKeyDetails.namedCurve, { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[a.curve]);
    if (a.kind === 'ed25519') assert.equal(priv.asymmetricKeyType, 'ed25519');

    const file = writeJson(jwk);
    const p = tool('public', file);
    assert.equal(p.code, 0, said(p));
    const pub = JSON.parse(p.stdout);
    const expected = crypto.createPublicKey(priv).export({ format: 'jwk' });
    for (const [m, v] of Object.entries(expected)) assert.equal(pub[m], v, `member ${m} of the public JWK differs from Node's${said(p)}`);
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.ok(!(m in pub), `the public JWK has private member ${m}`);
    assert.equal(pub.alg, alg);
    assert.equal(pub.kid, jwk.kid);

    // and the generated key works: tool signs, Node verifies with the derived public key
    const s = tool('sign', alg, file, '{"k":1}');
    assert.equal(s.code, 0, said(s));
    const [h, pl, sig] = s.stdout.trim().split('.');
    assert.ok(nodeVerifyBytes(alg, crypto.createPublicKey(priv), Buffer.from(`${h}.${pl}`), unb64u(sig)));
  });
}

test('refused: a header alg other than the one asked for', () => {
  const rs = keyFor('RS256');
  const payload = '{"sub":"x"}';
  // same RSA key, token says RS512: accepted as RS512, refused as RS256
  const rs512 = keyFor('RS512');
  const token = nodeJws('RS512', rs512, { alg: 'RS512', kid: rs512.kid }, payload);
  verifyAccepts('RS512', rs512.pubFile, token, payload);
  verifyRefuses('RS256', rs.pubFile, nodeJws('RS512', rs, { alg: 'RS512', kid: rs.kid }, payload), 'an RS512 token as RS256');
  // header says RS256 but the signature is RS512
  verifyRefuses('RS256', rs.pubFile, nodeJws('RS512', rs, { alg: 'RS256', kid: rs.kid }, payload), 'an RS512 signature under an RS256 header');
  // an ES256 token offered to an RS256 verifier
  const es = keyFor('ES256');
  verifyRefuses('RS256', rs.pubFile, nodeJws('ES256', es, { alg: 'ES256', kid: rs.kid }, payload), 'an ES256 token as RS256');
});

test('refused: a flipped signature bit', () => {
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    const key = keyFor(alg);
    const payload = '{"sub":"x"}';
    const good = nodeJws(alg, key, { alg, kid: key.kid }, payload);
    verifyAccepts(alg, key.pubFile, good, payload);
    const [h, p, s] = good.split('.');
    const sig = unb64u(s);
    sig[sig.length >> 1] ^= 0x01;
    verifyRefuses(alg, key.pubFile, `${h}.${p}.${b64u(sig)}`, 'a corrupted signature');
    // and a changed payload under the old signature
    verifyRefuses(alg, key.pubFile, `${h}.${b64u('{"sub":"y"}')}.${s}`, 'a changed payload');
  }
});

test('refused: a token signed by another key', () => {
  const key = keyFor('ES256');
  const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const token = nodeJws('ES256', { privateKey: other.privateKey }, { alg: 'ES256', kid: key.kid }, '{"sub":"x"}');
  verifyRefuses('ES256', key.pubFile, token, 'a signature by a different key');
});

test('refused: alg none with an empty signature', () => {
  const key = keyFor('RS256');
  const payload = '{"sub":"x"}';
  for (const header of [{ alg: 'none' }, { alg: 'none', kid: key.kid }, { alg: 'None', kid: key.kid }]) {
    verifyRefuses('RS256', key.pubFile, `${b64u(JSON.stringify(header))}.${b64u(payload)}.`, `alg ${header.alg}`);
  }
  verifyRefuses('RS256', key.pubFile, `${b64u(JSON.stringify({ alg: 'RS256', kid: key.kid }))}.${b64u(payload)}.`, 'an RS256 header with an empty signature');
});

test('refused: HS256 MAC keyed with the public key (algorithm confusion)', () => {
  const key = keyFor('RS256');
  const payload = '{"sub":"x"}';
  const secrets = [
    key.publicKey.export({ format: 'pem', type: 'spki' }),
    key.publicKey.export({ format: 'pem', type: 'pkcs1' }),
    key.publicKey.export({ format: 'der', type: 'spki' }),
    fs.readFileSync(key.pubFile),
  ];
  for (const secret of secrets) {
    const mac = (input) => crypto.createHmac('sha256', secret).update(input).digest();
    verifyRefuses('RS256', key.pubFile, nodeJws('HS256', key, { alg: 'HS256', kid: key.kid }, payload, { sig: mac }), 'HS256');
    verifyRefuses('RS256', key.pubFile, nodeJws('RS256', key, { alg: 'RS256', kid: key.kid }, payload, { sig: mac }), 'an HMAC under an RS256 header');
  }
});

test('refused: a crit header', () => {
  const key = keyFor('RS256');
  const payload = '{"sub":"x"}';
  verifyAccepts('RS256', key.pubFile, nodeJws('RS256', key, { alg: 'RS256', kid: key.kid, exp: 1 }, payload), payload);
  verifyRefuses('RS256', key.pubFile, nodeJws('RS256', key, { alg: 'RS256', kid: key.kid, crit: ['exp'], exp: 1 }, payload), 'crit ["exp"]');
  verifyRefuses('RS256', key.pubFile, nodeJws('RS256', key, { alg: 'RS256', kid: key.kid, crit: [] }, payload), 'an empty crit');
});

test('refused: an ECDSA signature in DER form instead of r||s', () => {
  for (const alg of ['ES256', 'ES384', 'ES512']) {
    const key = keyFor(alg);
    const payload = '{"sub":"x"}';
    verifyAccepts(alg, key.pubFile, nodeJws(alg, key, { alg, kid: key.kid }, payload), payload);
    verifyRefuses(alg, key.pubFile, nodeJws(alg, key, { alg, kid: key.kid }, payload, { der: true }), 'a DER signature');
  }
});

test('refused: a header with a duplicate member', () => {
  const key = keyFor('RS256');
  const payload = '{"sub":"x"}';
  const k = JSON.stringify(key.kid);
  verifyAccepts('RS256', key.pubFile, nodeJws('RS256', key, `{"alg":"RS256","kid":${k}}`, payload), payload);
  for (const header of [
    `{"alg":"RS256","alg":"RS256","kid":${k}}`,
    `{"alg":"none","alg":"RS256","kid":${k}}`,
    `{"alg":"RS256","kid":${k},"alg":"HS256"}`,
    `{"alg":"RS256","kid":${k},"kid":${k}}`,
  ]) {
    verifyRefuses('RS256', key.pubFile, nodeJws('RS256', key, header, payload), `header ${header}`);
  }
});

test('refused: base64 padding in a segment', () => {
  const key = keyFor('RS256');
  const payload = '{"sub":"x"}'; // 11 bytes: 15 base64url characters, so "=" would be standard padding
  assert.equal(b64u(payload).length % 4, 3);
  verifyAccepts('RS256', key.pubFile, nodeJws('RS256', key, { alg: 'RS256', kid: key.kid }, payload), payload);
  verifyRefuses('RS256', key.pubFile, nodeJws('RS256', key, { alg: 'RS256', kid: key.kid }, payload, { padPayload: '=' }), 'a padded payload');
  const good = nodeJws('RS256', key, { alg: 'RS256', kid: key.kid }, payload);
  assert.equal(good.split('.')[2].length % 4, 2); // 256 bytes: 342 characters
  verifyRefuses('RS256', key.pubFile, `${good}==`, 'a padded signature');
  const header = { alg: 'RS256', kid: key.kid, x: 'ab' };
  const pad = '='.repeat((4 - (b64u(JSON.stringify(header)).length % 4)) % 4) || '====';
  verifyRefuses('RS256', key.pubFile, nodeJws('RS256', key, header, payload, { padHeader: pad }), 'a padded header');
});

test('refused: malformed compact serializations', () => {
  const key = keyFor('RS256');
  const payload = '{"sub":"x"}';
  const good = nodeJws('RS256', key, { alg: 'RS256', kid: key.kid }, payload);
  const [h, p, s] = good.split('.');
  for (const [bad, why] of [
    [`${h}.${p}`, 'two segments'],
    [`${h}.${p}.${s}.`, 'four segments'],
    [`${h}.${p}.${s}.${s}`, 'four segments'],
    [`${h}..${s}`, 'an empty payload segment under a signature over another'],
    [`${h}.${p}.${s.slice(0, -2)}+/`, 'standard base64 characters'],
    [` ${good}`, 'leading white space'],
    [`${b64u('[1]')}.${p}.${s}`, 'a header that is not an object'],
    [`${b64u('{"alg":"RS256"')}.${p}.${s}`, 'a header that is not JSON'],
  ]) verifyRefuses('RS256', key.pubFile, bad, why);
});
