// Own passkeys (issue 3; reference §1.3, §3.2, checklist 23, 25): list, rename, delete,
// and POST /api/webauthn/reauthenticate.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, registerPasskey, loginPasskey, insertUser, signInAs, jwtClaims,
} from './client.mjs';
import { assertion, b64url } from './softauthn.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  ({ browser: admin } = await setupAdmin(srv));
});

async function newUser() {
  const u = await insertUser(srv);
  return { user: u, browser: await signInAs(srv, admin, u.id) };
}

async function withPasskeys(n = 1) {
  const x = await newUser();
  x.credentials = [];
  x.dtos = [];
  for (let i = 0; i < n; i++) {
    const r = await registerPasskey(x.browser, { alg: ['ES256', 'EdDSA', 'RS256'][i % 3] });
    expectStatus(r.res, 200);
    x.credentials.push(r.credential);
    x.dtos.push(r.res.json);
  }
  return x;
}

/* ---------- list ---------- */

test('GET /api/webauthn/credentials lists exactly the user\'s own passkeys', async () => {
  const a = await withPasskeys(2);
  const b = await withPasskeys(1);
  const res = expectStatus(await a.browser.get('/api/webauthn/credentials'), 200);
  assert.ok(Array.isArray(res.json), res.ctx);
  assert.deepEqual(res.json.map((d) => d.id).sort(), a.dtos.map((d) => d.id).sort(), res.ctx);
  for (const d of res.json) {
    const reg = a.dtos.find((x) => x.id === d.id);
    assert.deepEqual(d, reg, `the listed DTO equals the one registration returned${res.ctx}`);
  }
  const resB = expectStatus(await b.browser.get('/api/webauthn/credentials'), 200);
  assert.deepEqual(resB.json.map((d) => d.id), [b.dtos[0].id], resB.ctx);
});

test('GET /api/webauthn/credentials with no passkeys is []', async () => {
  const { browser } = await newUser();
  const res = expectStatus(await browser.get('/api/webauthn/credentials'), 200);
  assert.deepEqual(res.json, [], res.ctx);
});

test('GET /api/webauthn/credentials signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).get('/api/webauthn/credentials'), 401, 'not_signed_in');
});

/* ---------- rename ---------- */

test('PATCH /api/webauthn/credentials/:id renames the passkey', async () => {
  const a = await withPasskeys(1);
  const id = a.dtos[0].id;
  const res = expectStatus(await a.browser.patch(`/api/webauthn/credentials/${id}`, { name: 'Laptop' }), 200);
  assert.equal(res.json.id, id, res.ctx);
  assert.equal(res.json.name, 'Laptop', res.ctx);
  assert.equal(res.json.credentialID, a.dtos[0].credentialID, res.ctx);
  const list = expectStatus(await a.browser.get('/api/webauthn/credentials'), 200);
  assert.equal(list.json[0].name, 'Laptop', list.ctx);
});

test('rename: 1 and 50 characters are accepted (50 non-ASCII characters too)', async () => {
  const a = await withPasskeys(1);
  const id = a.dtos[0].id;
  for (const name of ['x', 'n'.repeat(50), 'é'.repeat(50)]) {
    const res = expectStatus(await a.browser.patch(`/api/webauthn/credentials/${id}`, { name }), 200);
    assert.equal(res.json.name, name, res.ctx);
  }
});

test('rename: 51 characters is 400 validation_failed', async () => {
  const a = await withPasskeys(1);
  const res = expectStatus(await a.browser.patch(`/api/webauthn/credentials/${a.dtos[0].id}`, { name: 'n'.repeat(51) }), 400, 'validation_failed');
  assert.ok(res.json.details.fields.some((f) => f.field === 'name'), res.ctx);
  const list = expectStatus(await a.browser.get('/api/webauthn/credentials'), 200);
  assert.equal(list.json[0].name, 'New Passkey', `the name is unchanged${list.ctx}`);
});

test('rename: an empty name is 400 validation_failed', async () => {
  const a = await withPasskeys(1);
  expectStatus(await a.browser.patch(`/api/webauthn/credentials/${a.dtos[0].id}`, { name: '' }), 400, 'validation_failed');
});

test('rename: a missing name is 400 validation_failed', async () => {
  const a = await withPasskeys(1);
  expectStatus(await a.browser.patch(`/api/webauthn/credentials/${a.dtos[0].id}`, {}), 400, 'validation_failed');
});

test('rename: another user\'s passkey is 404 and stays unchanged', async () => {
  const a = await withPasskeys(1);
  const b = await newUser();
  const res = expectStatus(await b.browser.patch(`/api/webauthn/credentials/${a.dtos[0].id}`, { name: 'Mine now' }), 404, 'not_found');
  assert.equal(res.json.error, 'Passkey not found', res.ctx);
  const list = expectStatus(await a.browser.get('/api/webauthn/credentials'), 200);
  assert.equal(list.json[0].name, 'New Passkey', list.ctx);
});

test('rename: an unknown id is 404 not_found', async () => {
  const { browser } = await newUser();
  expectStatus(await browser.patch(`/api/webauthn/credentials/${crypto.randomUUID()}`, { name: 'x' }), 404, 'not_found');
});

test('rename signed out is 401 not_signed_in', async () => {
  const a = await withPasskeys(1);
  expectStatus(await new Browser(srv).patch(`/api/webauthn/credentials/${a.dtos[0].id}`, { name: 'x' }), 401, 'not_signed_in');
});

/* ---------- delete ---------- */

test('DELETE /api/webauthn/credentials/:id: 204, gone from the list, then 404', async () => {
  const a = await withPasskeys(2);
  const [gone, kept] = a.dtos;
  const res = expectStatus(await a.browser.del(`/api/webauthn/credentials/${gone.id}`), 204);
  assert.equal(res.body.length, 0, res.ctx);
  const list = expectStatus(await a.browser.get('/api/webauthn/credentials'), 200);
  assert.deepEqual(list.json.map((d) => d.id), [kept.id], list.ctx);
  const again = expectStatus(await a.browser.del(`/api/webauthn/credentials/${gone.id}`), 404, 'not_found');
  assert.equal(again.json.error, 'Passkey not found', again.ctx);
  // the deleted passkey no longer signs in; the kept one does
  expectStatus((await loginPasskey(new Browser(srv), a.credentials[0])).res, 401, 'passkey_not_registered');
  expectStatus((await loginPasskey(new Browser(srv), a.credentials[1])).res, 200);
});

test('delete: another user\'s passkey is 404 and it still signs in', async () => {
  const a = await withPasskeys(1);
  const b = await newUser();
  expectStatus(await b.browser.del(`/api/webauthn/credentials/${a.dtos[0].id}`), 404, 'not_found');
  const list = expectStatus(await a.browser.get('/api/webauthn/credentials'), 200);
  assert.equal(list.json.length, 1, list.ctx);
  expectStatus((await loginPasskey(new Browser(srv), a.credentials[0])).res, 200);
});

test('delete signed out is 401 not_signed_in', async () => {
  const a = await withPasskeys(1);
  expectStatus(await new Browser(srv).del(`/api/webauthn/credentials/${a.dtos[0].id}`), 401, 'not_signed_in');
});

/* ---------- reauthentication ---------- */

test('reauthenticate with no body right after a passkey sign-in: 204 and a reauthentication_token cookie (Max-Age=180)', async () => {
  const a = await withPasskeys(1);
  const b = new Browser(srv);
  expectStatus((await loginPasskey(b, a.credentials[0])).res, 200);
  const res = expectStatus(await b.call('POST', '/api/webauthn/reauthenticate'), 204);
  const c = res.setCookies.reauthentication_token;
  assert.ok(c && c.value, `reauthentication_token cookie${res.ctx}`);
  assert.equal(c.attrs['max-age'], '180', res.ctx);
  assert.equal(c.attrs.path, '/', res.ctx);
  assert.equal(c.attrs.httponly, true, res.ctx);
  assert.equal(c.attrs.secure, true, res.ctx);
  assert.equal(String(c.attrs.samesite).toLowerCase(), 'lax', res.ctx);
  assert.ok(c.value.length >= 32, `a random token of 32 characters${res.ctx}`);
});

test('reauthenticate with no body after a login-code sign-in (amr otp) is refused', async () => {
  const { browser } = await newUser();
  assert.deepEqual(jwtClaims(browser.cookie('access_token')).amr, ['otp']);
  const res = await browser.call('POST', '/api/webauthn/reauthenticate');
  expectStatus(res, 401, 'reauthentication_required');
  assert.equal(res.setCookies.reauthentication_token, undefined, res.ctx);
});

test('reauthenticate with an assertion body after a login-code sign-in: 204 and the cookie', async () => {
  const a = await withPasskeys(1); // a.browser is an otp session
  const start = expectStatus(await a.browser.get('/api/webauthn/login/start'), 200);
  const as = assertion({ options: start.json, origin: a.browser.origin, credential: a.credentials[0] });
  const res = expectStatus(await a.browser.post('/api/webauthn/reauthenticate', as.json), 204);
  assert.ok(res.setCookies.reauthentication_token?.value, res.ctx);
});

test('reauthenticate with a tampered assertion body is refused', async () => {
  const a = await withPasskeys(1);
  const start = expectStatus(await a.browser.get('/api/webauthn/login/start'), 200);
  const as = assertion({ options: start.json, origin: a.browser.origin, credential: a.credentials[0], tamper: { flipSignature: 3 } });
  const res = await a.browser.post('/api/webauthn/reauthenticate', as.json);
  expectStatus(res, 401, 'webauthn_authentication_failed');
  assert.equal(res.setCookies.reauthentication_token, undefined, res.ctx);
});

test('reauthenticate with an assertion body but no login/start ceremony is 400 invalid_webauthn_session', async () => {
  const a = await withPasskeys(1);
  const as = assertion({ options: { challenge: b64url(crypto.randomBytes(32)), rpId: 'localhost' }, origin: a.browser.origin, credential: a.credentials[0] });
  a.browser.forget('session');
  expectStatus(await a.browser.post('/api/webauthn/reauthenticate', as.json), 400, 'invalid_webauthn_session');
});

test('reauthenticate signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).call('POST', '/api/webauthn/reauthenticate'), 401, 'not_signed_in');
});
