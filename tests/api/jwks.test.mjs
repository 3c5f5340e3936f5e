// /.well-known/jwks.json: the instance's one public signing key, stable across restarts.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, request, show } from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });

async function jwks(server) {
  const res = await fetch(`${server.url}/.well-known/jwks.json`);
  const text = await res.text();
  const ctx = `${show('body', text)}${show('server logs', server.logs())}`;
  assert.equal(res.status, 200, ctx);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', ctx);
  const doc = JSON.parse(text);
  assert.deepEqual(Object.keys(doc), ['keys'], ctx);
  assert.ok(Array.isArray(doc.keys), ctx);
  assert.equal(doc.keys.length, 1, `expected exactly one key${ctx}`);
  return { key: doc.keys[0], text, res, ctx };
}

test('the JWKS holds exactly one RS256 signing key of 2048 bits', async () => {
  const { key, ctx } = await jwks(srv);
  assert.equal(key.kty, 'RSA', ctx);
  assert.equal(key.alg, 'RS256', ctx);
  assert.equal(key.use, 'sig', ctx);
  assert.equal(key.e, 'AQAB', ctx);
  assert.match(key.kid, /^[A-Za-z0-9_-]{11}$/, ctx);
  assert.match(key.n, /^[A-Za-z0-9_-]+$/, `n is not unpadded base64url${ctx}`);
  const n = Buffer.from(key.n, 'base64url');
  assert.equal(n.length, 256, ctx);
  assert.ok(n[0] >= 0x80, `n has leading zero bits: not a 2048-bit modulus${ctx}`);
});

test('the JWKS carries no private members', async () => {
  const { key, ctx } = await jwks(srv);
  for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
    assert.ok(!(m in key), `private member ${m} is published${ctx}`);
  }
});

test("the key imports with Node's crypto", async () => {
  const { key, ctx } = await jwks(srv);
  const pub = crypto.createPublicKey({ key, format: 'jwk' });
  assert.equal(pub.type, 'public', ctx);
  assert.equal(pub.asymmetricKeyType, 'rsa', ctx);
  assert.equal(pub.asymmetricKeyDetails.modulusLength, 2048, ctx);
  assert.equal(pub.asymmetricKeyDetails.publicExponent, 65537n, ctx);
});

test('CORS and caching headers: ACAO *, ETag with 304', async () => {
  const { res, ctx } = await jwks(srv);
  assert.equal(res.headers.get('access-control-allow-origin'), '*', ctx);
  const etag = res.headers.get('etag');
  assert.ok(etag, `no ETag${ctx}`);
  const again = await request(srv.url, '/.well-known/jwks.json', { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304, ctx);
  assert.equal(again.body.length, 0);
});

test('a restart on the same data keeps the same kid and modulus', async () => {
  const first = await startServer();
  const a = (await jwks(first)).key;
  assert.equal(await first.stop(), 0, show('server logs', first.logs()));
  const second = await startServer({ reuse: first });
  const b = (await jwks(second)).key;
  assert.equal(b.kid, a.kid, show('server logs after restart', second.logs()));
  assert.equal(b.n, a.n);
  assert.match(second.logs(), new RegExp(`signing key ${a.kid}`));
  assert.doesNotMatch(second.logs(), /created a new signing key/, 'the restart generated a new key');
  await second.stop();
});

test('a second data directory (or database) gets a different key', async () => {
  const other = await startServer();
  const a = (await jwks(srv)).key;
  const b = (await jwks(other)).key;
  assert.notEqual(b.kid, a.kid);
  assert.notEqual(b.n, a.n);
  await other.stop();
});
