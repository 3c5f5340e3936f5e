// Passkey sign-in (issue 3; reference §1.3, §3.3, checklist 15-16; FIDO server
// conformance §5 assertion groups): GET /api/webauthn/login/start, POST .../finish.
// The assertions come from tests/api/softauthn.mjs (see passkey-register.test.mjs for
// the cross-check this is).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, registerPasskey, loginPasskey, insertUser, signInAs, expireCeremony,
  assertUserDto, jwtClaims, sql, q,
} from './client.mjs';
import { createKey, assertion, register, b64url, FLAGS, cbor } from './softauthn.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  ({ browser: admin } = await setupAdmin(srv));
});

/* A new user with one registered passkey: {user, browser, credential}. */
async function userWithPasskey(opts = {}, s = srv, a = admin) {
  const u = await insertUser(s, opts.user);
  const browser = await signInAs(s, a, u.id);
  const { res, credential } = await registerPasskey(browser, opts);
  expectStatus(res, 200);
  return { user: u, browser, credential };
}

/* ---------- options ---------- */

test('login/start: {challenge, timeout 60000, rpId, userVerification} and a 60 s session cookie', async () => {
  const b = new Browser(srv);
  const res = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const o = res.json;
  assert.equal(Buffer.from(o.challenge, 'base64url').length, 32, res.ctx);
  assert.equal(o.timeout, 60000, res.ctx);
  assert.equal(o.rpId, 'localhost', res.ctx);
  assert.equal(o.userVerification, 'required', res.ctx);
  assert.ok(o.allowCredentials === undefined || o.allowCredentials.length === 0, `discoverable: no allowCredentials${res.ctx}`);
  const c = res.setCookies.session;
  assert.ok(c && c.value, res.ctx);
  assert.equal(c.attrs['max-age'], '60', res.ctx);
  assert.equal(c.attrs.path, '/', res.ctx);
  assert.equal(c.attrs.httponly, true, res.ctx);
  assert.equal(c.attrs.secure, true, res.ctx);
  assert.equal(String(c.attrs.samesite).toLowerCase(), 'lax', res.ctx);
  const again = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  assert.notEqual(again.json.challenge, o.challenge);
});

/* ---------- happy paths ---------- */

for (const alg of ['ES256', 'RS256', 'EdDSA', 'PS256', 'ES384']) {
  test(`passkey sign-in with ${alg}: 200 UserDto and a session with amr ["phr"]`, async () => {
    const { user, credential } = await userWithPasskey({ alg });
    const b = new Browser(srv);
    const { res } = await loginPasskey(b, credential);
    expectStatus(res, 200);
    assertUserDto(res.json, res.ctx);
    assert.equal(res.json.id, user.id, res.ctx);
    assert.equal(res.json.username, user.username, res.ctx);
    assert.equal(res.json.isAdmin, false, res.ctx);
    const c = res.setCookies.access_token;
    assert.ok(c, res.ctx);
    assert.equal(c.attrs['max-age'], '3600', res.ctx);
    const claims = jwtClaims(c.value);
    assert.deepEqual(claims.amr, ['phr'], JSON.stringify(claims));
    assert.equal(claims.sub, user.id);
    const me = expectStatus(await b.get('/api/users/me'), 200);
    assert.equal(me.json.id, user.id, me.ctx);
  });
}

test('passkey sign-in of the admin: isAdmin in the DTO and the JWT', async () => {
  const { credential } = await (async () => {
    const r = await registerPasskey(admin);
    expectStatus(r.res, 200);
    return r;
  })();
  const { res } = await loginPasskey(new Browser(srv), credential);
  expectStatus(res, 200);
  assert.equal(res.json.isAdmin, true, res.ctx);
  assert.equal(jwtClaims(res.setCookies.access_token.value).isAdmin, true);
});

test('a passkey signs in many times; a counter that stays 0 is accepted', async () => {
  const { credential } = await userWithPasskey();
  for (let i = 0; i < 3; i++) {
    const { res } = await loginPasskey(new Browser(srv), credential, { signCount: 0 });
    expectStatus(res, 200);
  }
});

test('an increasing signature counter is accepted', async () => {
  const { credential } = await userWithPasskey();
  for (const n of [1, 2, 7]) expectStatus((await loginPasskey(new Browser(srv), credential, { signCount: n })).res, 200);
});

test('sign-in refused: a signature counter that goes back', async () => {
  const { credential } = await userWithPasskey();
  expectStatus((await loginPasskey(new Browser(srv), credential, { signCount: 10 })).res, 200);
  const { res } = await loginPasskey(new Browser(srv), credential, { signCount: 9 });
  expectStatus(res, 401, 'webauthn_authentication_failed');
});

test('a synced passkey (BE, BS) signs in', async () => {
  const { credential } = await userWithPasskey({ flags: { up: true, uv: true, be: true, bs: true } });
  expectStatus((await loginPasskey(new Browser(srv), credential)).res, 200);
});

test('sign-in with UV missing is accepted with WEBAUTHN_USER_VERIFICATION=preferred', async () => {
  const s = await startServer({ env: { UI_CONFIG_DISABLED: 'true', WEBAUTHN_USER_VERIFICATION: 'preferred' } });
  const { browser } = await setupAdmin(s);
  const { res, credential } = await registerPasskey(browser);
  expectStatus(res, 200);
  const b = new Browser(s);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  assert.equal(start.json.userVerification, 'preferred', start.ctx);
  const a = assertion({ options: start.json, origin: b.origin, credential, flags: { up: true } });
  expectStatus(await b.post('/api/webauthn/login/finish', a.json), 200);
});

/* ---------- refusals ---------- */

/* A sign-in tampered as `opts` says is refused with `status` `code`, and no session is set. */
async function refused(credential, opts, status = 401, code = 'webauthn_authentication_failed') {
  const b = new Browser(srv);
  const { res } = await loginPasskey(b, credential, opts);
  expectStatus(res, status, code);
  assert.equal(b.cookie('access_token'), undefined, `no session after a refused sign-in${res.ctx}`);
  return res;
}

let shared; // one registered passkey for the refusals that do not change the stored state
async function passkey() {
  shared ||= await userWithPasskey();
  return shared.credential;
}

test('sign-in refused: a wrong challenge', async () => {
  await refused(await passkey(), { tamper: { challenge: b64url(crypto.randomBytes(32)) } });
});

test('sign-in refused: a wrong origin', async () => {
  await refused(await passkey(), { tamper: { origin: 'https://evil.example' } });
});

test('sign-in refused: another port of the right host as origin', async () => {
  await refused(await passkey(), { tamper: { origin: 'http://localhost:1' } });
});

test('sign-in refused: clientData type webauthn.create', async () => {
  await refused(await passkey(), { tamper: { type: 'webauthn.create' } });
});

test('sign-in refused: the RP ID hash of another RP ID', async () => {
  await refused(await passkey(), { tamper: { rpId: 'evil.example' } });
});

test('sign-in refused: UP flag missing', async () => {
  await refused(await passkey(), { tamper: { flags: FLAGS.UV } });
});

test('sign-in refused: UV flag missing while required is 400 passkey_user_verification_required', async () => {
  await refused(await passkey(), { flags: { up: true } }, 400, 'passkey_user_verification_required');
});

test('sign-in refused: a changed signature', async () => {
  await refused(await passkey(), { tamper: { flipSignature: 20 } });
});

test('sign-in refused: changed authenticator data (counter byte, after signing)', async () => {
  await refused(await passkey(), { tamper: { flipAuthData: 35 } });
});

test('sign-in refused: signed by another key', async () => {
  await refused(await passkey(), { tamper: { key: createKey('ES256') } });
});

test('sign-in refused: trailing bytes after authenticator data', async () => {
  await refused(await passkey(), { tamper: { authDataTrailing: Buffer.from([0x00, 0x01]) } });
});

test('sign-in refused: ED flag set with a trailing CBOR map plus a stray byte', async () => {
  await refused(await passkey(), { tamper: { flags: FLAGS.UP | FLAGS.UV | FLAGS.ED, authDataTrailing: Buffer.from([0xa0, 0x00]) } });
});

test('sign-in refused: authenticator data shorter than 37 bytes', async () => {
  const credential = await passkey();
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const a = assertion({ options: start.json, origin: b.origin, credential });
  a.json.response.authenticatorData = b64url(a.authData.subarray(0, 36));
  expectStatus(await b.post('/api/webauthn/login/finish', a.json), 401, 'webauthn_authentication_failed');
});

test('sign-in refused: an unknown credential is 401 passkey_not_registered, saying it is not registered', async () => {
  const { credential } = await userWithPasskey();
  const stranger = { ...credential, id: crypto.randomBytes(32), key: createKey('ES256') };
  const res = await refused(stranger, {}, 401, 'passkey_not_registered');
  assert.match(res.json.error, /not registered/i, res.ctx);
});

test('sign-in refused: a deleted passkey is 401 passkey_not_registered', async () => {
  const { browser, credential } = await userWithPasskey();
  const list = expectStatus(await browser.get('/api/webauthn/credentials'), 200);
  expectStatus(await browser.del(`/api/webauthn/credentials/${list.json[0].id}`), 204);
  await refused(credential, {}, 401, 'passkey_not_registered');
});

test('sign-in refused: user A\'s credential with user B\'s user handle', async () => {
  const a = await userWithPasskey();
  const bUser = await userWithPasskey();
  await refused(a.credential, { userHandle: bUser.credential.userHandle });
});

test('sign-in refused: user A\'s credential with the user handle of nobody', async () => {
  const a = await userWithPasskey();
  await refused(a.credential, { userHandle: Buffer.from(crypto.randomUUID(), 'utf8') });
});

test('sign-in refused: no user handle (discoverable sign-in needs one)', async () => {
  await refused(await passkey(), { userHandle: null });
});

test('sign-in refused: a disabled user is 403 user_disabled', async () => {
  const { user, credential } = await userWithPasskey();
  await sql(srv, `UPDATE users SET disabled = TRUE WHERE id = ${q(user.id)}`);
  await refused(credential, {}, 403, 'user_disabled');
});

test('sign-in refused: rawId and id differ', async () => {
  const credential = await passkey();
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const a = assertion({ options: start.json, origin: b.origin, credential });
  a.json.rawId = b64url(crypto.randomBytes(32));
  const res = await b.post('/api/webauthn/login/finish', a.json);
  assert.ok(res.status === 400 || res.status === 401, res.ctx);
  assert.equal(b.cookie('access_token'), undefined, res.ctx);
});

test('sign-in with extension data (ED flag and a CBOR map after the counter) is accepted', async () => {
  const { res } = await loginPasskey(new Browser(srv), await passkey(), {
    tamper: { flags: FLAGS.UP | FLAGS.UV | FLAGS.ED, authDataTrailing: cbor(new Map([['credProtect', 2]])) },
  });
  expectStatus(res, 200);
});

test('sign-in refused: ED flag set but no extension data', async () => {
  await refused(await passkey(), { tamper: { flags: FLAGS.UP | FLAGS.UV | FLAGS.ED } });
});

test('sign-in refused: BE set at sign-in for a passkey registered without it', async () => {
  const { credential } = await userWithPasskey();
  await refused(credential, { flags: { up: true, uv: true, be: true, bs: true } });
});

test('sign-in refused: BE missing at sign-in for a passkey registered with it', async () => {
  const { credential } = await userWithPasskey({ flags: { up: true, uv: true, be: true, bs: true } });
  await refused(credential, { flags: { up: true, uv: true } });
});

test('sign-in refused: the challenge of another live ceremony of the same browser', async () => {
  const credential = await passkey();
  const b = new Browser(srv);
  const first = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  expectStatus(await b.get('/api/webauthn/login/start'), 200); // the cookie is now the second ceremony
  const a = assertion({ options: first.json, origin: b.origin, credential });
  expectStatus(await b.post('/api/webauthn/login/finish', a.json), 401, 'webauthn_authentication_failed');
  assert.equal(b.cookie('access_token'), undefined);
});

/* ---------- the ceremony ---------- */

test('sign-in refused: the same ceremony finished twice is 400 invalid_webauthn_session', async () => {
  const credential = await passkey();
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const ceremony = b.cookie('session');
  const a = assertion({ options: start.json, origin: b.origin, credential });
  expectStatus(await b.post('/api/webauthn/login/finish', a.json), 200);
  const c = new Browser(srv);
  c.setCookie('session', ceremony);
  const again = assertion({ options: start.json, origin: b.origin, credential });
  expectStatus(await c.post('/api/webauthn/login/finish', again.json), 400, 'invalid_webauthn_session');
  assert.equal(c.cookie('access_token'), undefined);
});

test('sign-in refused: a replayed assertion (same body, same ceremony) is 400 invalid_webauthn_session', async () => {
  const credential = await passkey();
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const ceremony = b.cookie('session');
  const a = assertion({ options: start.json, origin: b.origin, credential });
  expectStatus(await b.post('/api/webauthn/login/finish', a.json), 200);
  const c = new Browser(srv);
  c.setCookie('session', ceremony);
  expectStatus(await c.post('/api/webauthn/login/finish', a.json), 400, 'invalid_webauthn_session');
});

test('sign-in refused: a failed finish spends the ceremony', async () => {
  const credential = await passkey();
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const ceremony = b.cookie('session');
  const bad = assertion({ options: start.json, origin: b.origin, credential, tamper: { flipSignature: 5 } });
  expectStatus(await b.post('/api/webauthn/login/finish', bad.json), 401, 'webauthn_authentication_failed');
  b.setCookie('session', ceremony);
  const good = assertion({ options: start.json, origin: b.origin, credential });
  expectStatus(await b.post('/api/webauthn/login/finish', good.json), 400, 'invalid_webauthn_session');
});

test('sign-in refused: an expired ceremony is 400 invalid_webauthn_session', async () => {
  const credential = await passkey();
  // control: the same resealing with an expiry still ahead signs in, so the refusal below is the expiry's
  const ok = new Browser(srv);
  expectStatus((await loginPasskey(ok, credential, { before: () => expireCeremony(ok, 30) })).res, 200);
  const b = new Browser(srv);
  const { res } = await loginPasskey(b, credential, { before: () => expireCeremony(b) });
  expectStatus(res, 400, 'invalid_webauthn_session');
  assert.equal(b.cookie('access_token'), undefined, 'no session after an expired ceremony');
});

test('sign-in refused: no session cookie is 400 invalid_webauthn_session', async () => {
  const credential = await passkey();
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const a = assertion({ options: start.json, origin: b.origin, credential });
  b.forget('session');
  expectStatus(await b.post('/api/webauthn/login/finish', a.json), 400, 'invalid_webauthn_session');
});

test('sign-in refused: an unknown session cookie is 400 invalid_webauthn_session', async () => {
  const credential = await passkey();
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const a = assertion({ options: start.json, origin: b.origin, credential });
  b.setCookie('session', crypto.randomUUID());
  expectStatus(await b.post('/api/webauthn/login/finish', a.json), 400, 'invalid_webauthn_session');
});

test('sign-in refused: a registration ceremony (register/start cookie) cannot finish a sign-in', async () => {
  const { browser, credential } = await userWithPasskey();
  const reg = expectStatus(await browser.get('/api/webauthn/register/start'), 200);
  // answer the registration challenge with a sign-in assertion
  const a = assertion({ options: { challenge: reg.json.challenge, rpId: 'localhost' }, origin: browser.origin, credential });
  const b = new Browser(srv);
  b.setCookie('session', browser.cookie('session'));
  const res = await b.post('/api/webauthn/login/finish', a.json);
  assert.ok([400, 401].includes(res.status), res.ctx);
  assert.ok(['invalid_webauthn_session', 'webauthn_authentication_failed'].includes(res.json.code), res.ctx);
  assert.equal(b.cookie('access_token'), undefined, res.ctx);
});

test('sign-in refused: a creation response posted to login/finish', async () => {
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const r = register({ options: { rp: { id: 'localhost' }, user: { id: b64url(Buffer.from(crypto.randomUUID())) }, challenge: start.json.challenge }, origin: b.origin });
  const res = await b.post('/api/webauthn/login/finish', r.json);
  assert.ok(res.status === 400 || res.status === 401, res.ctx);
  assert.equal(b.cookie('access_token'), undefined, res.ctx);
});

/* ---------- malformed bodies ---------- */

for (const [what, mutate] of [
  ['no response member', (j) => { delete j.response; }],
  ['no signature', (j) => { delete j.response.signature; }],
  ['an empty signature', (j) => { j.response.signature = ''; }],
  ['authenticatorData that is not base64url', (j) => { j.response.authenticatorData = '!!'; }],
  ['a userHandle that is not a string', (j) => { j.response.userHandle = 42; }],
  ['type other than public-key', (j) => { j.type = 'password'; }],
  ['no id', (j) => { delete j.id; delete j.rawId; }],
]) {
  test(`sign-in refused: a body with ${what} is a 4xx`, async () => {
    const credential = await passkey();
    const b = new Browser(srv);
    const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
    const a = assertion({ options: start.json, origin: b.origin, credential });
    mutate(a.json);
    const res = await b.post('/api/webauthn/login/finish', a.json);
    assert.ok(res.status === 400 || res.status === 401, res.ctx);
    assert.ok(res.json && typeof res.json.code === 'string', res.ctx);
    assert.equal(b.cookie('access_token'), undefined, res.ctx);
  });
}

test('sign-in refused: a body that is not application/json is 400 invalid_request_body', async () => {
  const credential = await passkey();
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const a = assertion({ options: start.json, origin: b.origin, credential });
  const res = await b.call('POST', '/api/webauthn/login/finish', { body: JSON.stringify(a.json), headers: { 'content-type': 'text/plain' } });
  expectStatus(res, 400, 'invalid_request_body');
});
