// Federated client credentials (reference §2.5, §2.10 (c); RFC 7523): a client authenticates with
// a JWT signed by an issuer it trusts. The issuers here are a JWKS server in this process (node
// http on 127.0.0.1) with keys made by node:crypto, which also signs the assertions: an
// implementation independent of the server's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startServer, request, sleep, waitFor } from './harness.mjs';
import { expectStatus, setupAdmin, jwtClaims, sql, q, sqlTime } from './client.mjs';

const BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/* ---------- the issuers' side: keys, a JWKS server, assertions ---------- */

function newKey(alg) {
  const { privateKey, publicKey } = alg === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { alg, kid: crypto.randomBytes(6).toString('base64url'), privateKey, publicKey };
}

/** The public JWK; withAlg false leaves "alg" out (the server then infers it from the key). */
function publicJwk(k, { withAlg = true } = {}) {
  const jwk = { ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, use: 'sig' };
  if (withAlg) jwk.alg = k.alg;
  return jwk;
}

/** JWKS documents by path, and how often each path was fetched. */
const served = new Map();
const hits = new Map();
let jwksServer, jwksBase;

function serve(path, keys, headers = {}) {
  served.set(path, { body: JSON.stringify({ keys }), headers });
}

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A compact JWS of claims signed with key k (header alg and kid from k unless given). */
function sign(k, claims, header = {}) {
  const h = { alg: k.alg, kid: k.kid, typ: 'JWT', ...header };
  const input = `${b64(h)}.${b64(claims)}`;
  const sig = k.alg === 'ES256'
    ? crypto.sign('sha256', Buffer.from(input), { key: k.privateKey, dsaEncoding: 'ieee-p1363' })
    : crypto.sign(k.alg === 'RS384' ? 'sha384' : 'sha256', Buffer.from(input), k.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);

/* ---------- the server's side ---------- */

let srv, admin, rsa, ec, stranger;
/* Client A: issuer = the JWKS server's origin, keys at its /.well-known/jwks.json, no subject or
 * audience configured (so sub = client id, aud = APP_URL), no replay protection.
 * Client B: another issuer with an explicit JWKS URL, a subject, an audience and replay protection. */
let clientA, clientB;
const ISSUER_B = 'https://ci.example.test';
const SUBJECT_B = 'repo:acme/app:ref:refs/heads/main';
const AUDIENCE_B = 'symbolon-test-audience';

before(async () => {
  jwksServer = http.createServer((req, res) => {
    hits.set(req.url, (hits.get(req.url) || 0) + 1);
    const doc = served.get(req.url);
    if (!doc) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', ...doc.headers }).end(doc.body);
  });
  await new Promise((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksBase = `http://127.0.0.1:${jwksServer.address().port}`;
  rsa = newKey('RS256');
  ec = newKey('ES256');
  stranger = newKey('RS256');
  serve('/.well-known/jwks.json', [publicJwk(rsa, { withAlg: false })], { 'cache-control': 'max-age=3600' });
  serve('/b/jwks.json', [publicJwk(ec), publicJwk(newKey('RS256'))]);

  srv = await startServer();
  ({ browser: admin } = await setupAdmin(srv));
  clientA = await saveClient('Workload A', [{ issuer: jwksBase }]);
  clientB = await saveClient('Workload B', [
    { issuer: ISSUER_B, subject: SUBJECT_B, audience: AUDIENCE_B, jwks: `${jwksBase}/b/jwks.json`, replayProtection: true },
  ]);
});

after(() => new Promise((r) => jwksServer.close(r)));

/** Creates a client, then sets its federated identities with PUT as the admin page does. */
async function saveClient(name, identities) {
  const created = expectStatus(await admin.post('/api/oidc/clients', { name, callbackURLs: ['https://rp.example/cb'] }), 201);
  const body = { name, callbackURLs: ['https://rp.example/cb'], credentials: { federatedIdentities: identities } };
  const res = expectStatus(await admin.put(`/api/oidc/clients/${created.json.id}`, body), 200);
  return { id: created.json.id, dto: res.json };
}

function form(path, fields, headers = {}) {
  const body = new URLSearchParams(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
  return request(srv.url, path, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: body.toString(),
  }).then((r) => {
    const text = r.body.toString('utf8');
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { ...r, text, json, ctx: `\n${r.status} ${JSON.stringify(r.headers)} ${text}` };
  });
}

/** client_credentials with a client assertion; extra form fields (client_id...) may be given. */
function assertionToken(jwt, extra = {}) {
  return form('/api/oidc/token', { grant_type: 'client_credentials', client_assertion_type: BEARER, client_assertion: jwt, ...extra });
}

const FETCHING = /keys are being fetched; retry/;

/** As assertionToken, retrying (as a client honouring Retry-After would) while the keys are being fetched. */
async function assertionTokenWhenReady(makeJwt, extra = {}) {
  for (let i = 0; ; i++) {
    const res = await assertionToken(makeJwt(), extra);
    if (res.status !== 401 || !FETCHING.test(res.json?.error_description) || i === 100) return res;
    assert.equal(res.headers['retry-after'], '1', res.ctx);
    await sleep(50);
  }
}

function claimsA(over = {}) {
  return { iss: jwksBase, sub: clientA.id, aud: srv.env.APP_URL, exp: now() + 300, iat: now(), jti: crypto.randomUUID(), ...over };
}

function claimsB(over = {}) {
  return { iss: ISSUER_B, sub: SUBJECT_B, aud: AUDIENCE_B, exp: now() + 300, iat: now(), jti: crypto.randomUUID(), ...over };
}

/** 401 invalid_client whose description gives the expected reason. */
function refused(res, reason) {
  assert.equal(res.status, 401, res.ctx);
  assert.equal(res.json.error, 'invalid_client', res.ctx);
  assert.match(res.json.error_description, /^Client authentication failed/, res.ctx);
  assert.match(res.json.error_description, reason, res.ctx);
  assert.ok(res.headers['www-authenticate'], res.ctx);
}

/* ---------- tests ---------- */

test('the admin API keeps the identities, and saving a client fetches its keys before any assertion', async () => {
  assert.deepEqual(clientB.dto.credentials.federatedIdentities, [
    { issuer: ISSUER_B, subject: SUBJECT_B, audience: AUDIENCE_B, jwks: `${jwksBase}/b/jwks.json`, replayProtection: true },
  ]);
  await waitFor(() => hits.get('/.well-known/jwks.json') && hits.get('/b/jwks.json'), { msg: () => `JWKS fetches after the save: ${[...hits]}` });
  await waitFor(() => (srv.logs().match(/federated credentials: \d+ keys from/g) || []).length >= 2, { msg: () => srv.logs() });
});

test('a valid assertion (RS256, key without alg, sub = client id, aud = APP_URL) gets a client_credentials token', async () => {
  const res = await assertionTokenWhenReady(() => sign(rsa, claimsA()));
  assert.equal(res.status, 200, res.ctx);
  assert.equal(res.json.token_type, 'bearer');
  assert.equal(res.json.refresh_token, undefined);
  assert.equal(res.json.id_token, undefined);
  const at = jwtClaims(res.json.access_token);
  assert.equal(at.sub, `client-${clientA.id}`);
  assert.equal(at.client_id, clientA.id);
  // the same client named explicitly; the token endpoint as audience (RFC 7523 §3), in an array
  const named = await assertionToken(sign(rsa, claimsA({ aud: ['https://other.example', `${srv.env.APP_URL}/api/oidc/token`] })), { client_id: clientA.id });
  assert.equal(named.status, 200, named.ctx);
  // an RSA key that names no alg serves RS384 too
  const rs384 = await assertionToken(sign({ ...rsa, alg: 'RS384' }, claimsA()));
  assert.equal(rs384.status, 200, rs384.ctx);
  // without replay protection an assertion may be used again while it is valid
  const jwt = sign(rsa, claimsA());
  assert.equal((await assertionToken(jwt)).status, 200);
  assert.equal((await assertionToken(jwt)).status, 200);
});

test('ES256 with the identity\'s JWKS URL, subject and audience; client_id names the client', async () => {
  const res = await assertionTokenWhenReady(() => sign(ec, claimsB()), { client_id: clientB.id });
  assert.equal(res.status, 200, res.ctx);
  assert.equal(jwtClaims(res.json.access_token).client_id, clientB.id);
});

test('refused with 401 invalid_client, each for its reason', async () => {
  await assertionTokenWhenReady(() => sign(rsa, claimsA()));
  const cases = [
    ['an issuer no identity of the client has', sign(rsa, claimsA({ iss: 'https://evil.example' })), {}, /No federated identity/],
    ['another audience', sign(rsa, claimsA({ aud: 'https://other.example' })), {}, /audience/],
    ['APP_URL where the identity names its audience', sign(ec, claimsB({ aud: srv.env.APP_URL })), { client_id: clientB.id }, /audience/],
    ['expired beyond the 30 s skew', sign(rsa, claimsA({ exp: now() - 60 })), {}, /expired/],
    ['no exp', sign(rsa, claimsA({ exp: undefined })), {}, /needs an exp/],
    ['exp not a number', sign(rsa, claimsA({ exp: String(now() + 300) })), {}, /needs an exp/],
    ['nbf in the future', sign(rsa, claimsA({ nbf: now() + 600 })), {}, /not valid yet/],
    ['signed by a key not in the JWKS (same kid)', sign({ ...stranger, kid: rsa.kid }, claimsA()), {}, /signature/],
    ['signed by a key with an unknown kid', sign(stranger, claimsA()), {}, /signature/],
    ['a tampered payload', (() => { const [h, , s] = sign(rsa, claimsA()).split('.'); return `${h}.${b64(claimsA({ sub: 'x' }))}.${s}`; })(), { client_id: clientA.id }, /signature/],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claimsA())}.`, {}, /algorithm/],
    ['alg HS256 (a public key as an HMAC secret)', (() => {
      const input = `${b64({ alg: 'HS256', kid: rsa.kid })}.${b64(claimsA())}`;
      const mac = crypto.createHmac('sha256', rsa.publicKey.export({ type: 'spki', format: 'pem' })).update(input).digest('base64url');
      return `${input}.${mac}`;
    })(), {}, /algorithm/],
    ['a subject other than the client id', sign(rsa, claimsA({ sub: 'someone-else' })), { client_id: clientA.id }, /subject/],
    ['a subject other than the identity\'s', sign(ec, claimsB({ sub: 'repo:acme/other' })), { client_id: clientB.id }, /subject/],
    ['an unknown client', sign(rsa, claimsA({ sub: 'no-such-client' })), {}, /No federated identity/],
    ['not a JWT', 'not-a-jwt', {}, /not a signed JWT/],
    ['no jti with replay protection', sign(ec, claimsB({ jti: undefined })), { client_id: clientB.id }, /jti/],
  ];
  for (const [what, jwt, extra, reason] of cases) {
    const res = await assertionToken(jwt, extra);
    try {
      refused(res, reason);
    } catch (e) {
      e.message = `${what}: ${e.message}`;
      throw e;
    }
  }
  refused(await form('/api/oidc/token', { grant_type: 'client_credentials', client_assertion_type: 'urn:other', client_assertion: sign(rsa, claimsA()) }), /client_assertion_type/);
  refused(await form('/api/oidc/token', { grant_type: 'client_credentials', client_assertion_type: BEARER }), /missing/);
  // within the skew an assertion that has just expired still passes
  assert.equal((await assertionToken(sign(rsa, claimsA({ exp: now() - 5 })))).status, 200);
});

test('a secret as well as an assertion is 400 invalid_request (one method only)', async () => {
  const res = await assertionToken(sign(rsa, claimsA()), { client_id: clientA.id, client_secret: 'x'.repeat(32) });
  assert.equal(res.status, 400, res.ctx);
  assert.equal(res.json.error, 'invalid_request');
  const basic = await form('/api/oidc/token',
    { grant_type: 'client_credentials', client_assertion_type: BEARER, client_assertion: sign(rsa, claimsA()) },
    { authorization: `Basic ${Buffer.from(`${clientA.id}:whatever`).toString('base64')}` });
  assert.equal(basic.status, 400, basic.ctx);
  assert.equal(basic.json.error, 'invalid_request');
});

test('replay protection: a jti is single-use, a refused assertion does not spend it', async () => {
  const jti = crypto.randomUUID();
  // refused for its audience first: the jti must stay unspent
  refused(await assertionTokenWhenReady(() => sign(ec, claimsB({ jti, aud: 'https://other.example' })), { client_id: clientB.id }), /audience/);
  const jwt = sign(ec, claimsB({ jti }));
  assert.equal((await assertionToken(jwt, { client_id: clientB.id })).status, 200);
  refused(await assertionToken(jwt, { client_id: clientB.id }), /used before/);
  // the same jti in a newly signed assertion is still spent
  refused(await assertionToken(sign(ec, claimsB({ jti })), { client_id: clientB.id }), /used before/);
  const rows = await sql(srv, 'SELECT jti FROM oauth2_jtis');
  const hash = crypto.createHash('sha256').update(`${ISSUER_B}\n${jti}`).digest('hex');
  assert.ok(rows.some(([h]) => h === hash), `the jti is recorded as its hash: ${JSON.stringify(rows)}`);
  // two concurrent uses of one fresh assertion: exactly one passes
  const twice = sign(ec, claimsB());
  const both = await Promise.all([assertionToken(twice, { client_id: clientB.id }), assertionToken(twice, { client_id: clientB.id })]);
  assert.deepEqual(both.map((r) => r.status).sort(), [200, 401], both.map((r) => r.ctx).join('\n'));
});

test('an expired jti row is taken over by a new assertion with the same jti', async () => {
  const jti = crypto.randomUUID();
  const hash = crypto.createHash('sha256').update(`${ISSUER_B}\n${jti}`).digest('hex');
  await sql(srv, `INSERT INTO oauth2_jtis (id, created_at, jti, expires_at) VALUES (${q(crypto.randomUUID())}, ${sqlTime(now() - 7200)}, ${q(hash)}, ${sqlTime(now() - 3600)})`);
  const res = await assertionTokenWhenReady(() => sign(ec, claimsB({ jti })), { client_id: clientB.id });
  assert.equal(res.status, 200, res.ctx);
});

test('introspection with the assertion as Bearer and client_id (reference §2.10 (c)); revocation with it as a form', async () => {
  const tok = await assertionTokenWhenReady(() => sign(rsa, claimsA()));
  assert.equal(tok.status, 200, tok.ctx);
  const at = tok.json.access_token;
  const intro = await form('/api/oidc/introspect', { token: at, client_id: clientA.id }, { authorization: `Bearer ${sign(rsa, claimsA())}` });
  assert.equal(intro.status, 200, intro.ctx);
  assert.equal(intro.json.active, true, intro.ctx);
  assert.equal(intro.json.client_id, clientA.id);
  assert.equal(intro.json.sub, `client-${clientA.id}`);
  // a token of another client is inactive for this one
  const other = await assertionTokenWhenReady(() => sign(ec, claimsB()), { client_id: clientB.id });
  const foreign = await form('/api/oidc/introspect', { token: other.json.access_token, client_id: clientA.id }, { authorization: `Bearer ${sign(rsa, claimsA())}` });
  assert.deepEqual(foreign.json, { active: false }, foreign.ctx);
  // a bad assertion is 401
  const bad = await form('/api/oidc/introspect', { token: at, client_id: clientA.id }, { authorization: `Bearer ${sign(stranger, claimsA())}` });
  refused(bad, /signature/);
  // RFC 7009 revocation authenticated by an assertion in the form
  const rev = await form('/api/oidc/revoke', { token: at, client_assertion_type: BEARER, client_assertion: sign(rsa, claimsA()) });
  assert.equal(rev.status, 200, rev.ctx);
  const after = await form('/api/oidc/introspect', { token: at, client_id: clientA.id }, { authorization: `Bearer ${sign(rsa, claimsA())}` });
  assert.equal(after.json.active, false, after.ctx);
});

test('keys not cached yet: 401 "being fetched" with Retry-After, then the retry succeeds', async () => {
  // a client written with SQL: no save through the API, so nothing fetched its keys
  const k = newKey('ES256');
  serve('/sql/jwks.json', [publicJwk(k)]);
  const id = `sql-${crypto.randomBytes(4).toString('hex')}`;
  const cred = { federatedIdentities: [{ issuer: 'https://sql.example.test', subject: '', audience: '', jwks: `${jwksBase}/sql/jwks.json`, replayProtection: false }], secrets: [] };
  await sql(srv, `INSERT INTO oidc_clients (id, created_at, name, callback_urls, logout_callback_urls, credentials)
    VALUES (${q(id)}, ${sqlTime(now())}, 'SQL client', '[]', '[]', ${q(JSON.stringify(cred))})`);
  const claims = () => ({ iss: 'https://sql.example.test', sub: id, aud: srv.env.APP_URL, exp: now() + 60 });
  const first = await assertionToken(sign(k, claims()));
  refused(first, FETCHING);
  assert.equal(first.headers['retry-after'], '1', first.ctx);
  const ready = await assertionTokenWhenReady(() => sign(k, claims()));
  assert.equal(ready.status, 200, ready.ctx);
  assert.equal(hits.get('/sql/jwks.json'), 1);
});

test('saving a client fetches its keys again: a rotated key works after the save', async () => {
  await assertionTokenWhenReady(() => sign(ec, claimsB()), { client_id: clientB.id });
  const rotated = newKey('ES256');
  serve('/b/jwks.json', [publicJwk(ec), publicJwk(rotated)]);
  refused(await assertionToken(sign(rotated, claimsB()), { client_id: clientB.id }), /signature/);
  const before = hits.get('/b/jwks.json');
  const body = {
    name: 'Workload B', callbackURLs: ['https://rp.example/cb'],
    credentials: { federatedIdentities: clientB.dto.credentials.federatedIdentities },
  };
  expectStatus(await admin.put(`/api/oidc/clients/${clientB.id}`, body), 200);
  await waitFor(() => hits.get('/b/jwks.json') > before);
  let res;
  await waitFor(async () => (res = await assertionToken(sign(rotated, claimsB()), { client_id: clientB.id })).status === 200, { msg: () => res.ctx });
});

test('JWKS URLs: plain http only to loopback; a failed fetch is reported and logged', async () => {
  const id = `insecure-${crypto.randomBytes(4).toString('hex')}`;
  const cred = { federatedIdentities: [{ issuer: 'http://192.0.2.10', subject: '', audience: '', jwks: '', replayProtection: false }], secrets: [] };
  await sql(srv, `INSERT INTO oidc_clients (id, created_at, name, callback_urls, logout_callback_urls, credentials)
    VALUES (${q(id)}, ${sqlTime(now())}, 'Insecure', '[]', '[]', ${q(JSON.stringify(cred))})`);
  const jwt = () => sign(rsa, { iss: 'http://192.0.2.10', sub: id, aud: srv.env.APP_URL, exp: now() + 60 });
  refused(await assertionToken(jwt()), FETCHING);
  await waitFor(() => srv.logs().includes('cannot fetch the keys at http://192.0.2.10/.well-known/jwks.json: only https URLs'), { msg: () => srv.logs() });
  const res = await assertionToken(jwt());
  refused(res, /could not be fetched/);
  assert.equal(res.headers['retry-after'], undefined, res.ctx);
  // a JWKS document without a usable key is a failed fetch too
  serve('/empty/jwks.json', [{ kty: 'oct', k: 'c2VjcmV0' }]);
  const id2 = `empty-${crypto.randomBytes(4).toString('hex')}`;
  const cred2 = { federatedIdentities: [{ issuer: 'https://empty.example.test', jwks: `${jwksBase}/empty/jwks.json` }], secrets: [] };
  await sql(srv, `INSERT INTO oidc_clients (id, created_at, name, callback_urls, logout_callback_urls, credentials)
    VALUES (${q(id2)}, ${sqlTime(now())}, 'Empty', '[]', '[]', ${q(JSON.stringify(cred2))})`);
  const jwt2 = () => sign(rsa, { iss: 'https://empty.example.test', sub: id2, aud: srv.env.APP_URL, exp: now() + 60 });
  refused(await assertionToken(jwt2()), FETCHING);
  await waitFor(() => srv.logs().includes(`cannot fetch the keys at ${jwksBase}/empty/jwks.json: not a JWKS document with a usable signing key`), { msg: () => srv.logs() });
  refused(await assertionToken(jwt2()), /could not be fetched/);
});

test('at start-up the keys of every client\'s identities are fetched before any assertion', async () => {
  await srv.stop();
  const before = { a: hits.get('/.well-known/jwks.json'), b: hits.get('/b/jwks.json') };
  srv = await startServer({ reuse: srv });
  await waitFor(() => hits.get('/.well-known/jwks.json') > before.a && hits.get('/b/jwks.json') > before.b, { msg: () => `${[...hits]}` });
  await waitFor(() => (srv.logs().match(/federated credentials: \d+ keys from/g) || []).length >= 2, { msg: () => srv.logs() });
  const res = await assertionToken(sign(rsa, claimsA()));
  assert.equal(res.status, 200, res.ctx);
});
