// Passkey registration (issue 3; reference §1.3, §3.2, checklist 20-22; FIDO server
// conformance §5 Resp-1..7): GET /api/webauthn/register/start, POST .../finish.
//
// Cross-check: the registrations below are made by tests/api/softauthn.mjs, a WebAuthn
// authenticator written separately from the server's verifier (src/auth/) on node:crypto
// and our own CBOR encoder. The server accepting ES256, RS256 and EdDSA (and PS256,
// ES384, ES512) credentials from it, in "none" and "packed" self attestation, is the
// independent-implementation cross-check issue 3 asks for; the negative tests then show
// that each single deviation from a valid response is refused.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, registerPasskey, loginPasskey, insertUser, signInAs, expireCeremony, UUID,
} from './client.mjs';
import { createKey, register, b64url, unb64url, FLAGS, cbor, selfSignedCert } from './softauthn.mjs';

let srv, admin, adminUser;
before(async () => {
  srv = await startServer();
  ({ browser: admin, user: adminUser } = await setupAdmin(srv));
});

/* A new user signed in on `s` (default: the shared server). */
async function newUser(s = srv, a = admin) {
  const u = await insertUser(s);
  return { user: u, browser: await signInAs(s, a, u.id) };
}

const OFFERED = [-7, -35, -36, -257, -258, -259, -37, -38, -39, -8];

/* The credential DTO of the contract. */
function assertCredentialDto(d, ctx) {
  const c = ctx + '\n' + JSON.stringify(d);
  for (const k of ['id', 'name', 'credentialID', 'attestationType', 'transport', 'backupEligible', 'backupState', 'createdAt']) {
    assert.ok(k in d, `WebauthnCredentialDto lacks ${k}${c}`);
  }
  assert.match(d.id, UUID, c);
  assert.equal(typeof d.name, 'string', c);
  assert.match(d.credentialID, /^[A-Za-z0-9_-]+$/, c);
  assert.ok(Array.isArray(d.transport), c);
  assert.equal(typeof d.backupEligible, 'boolean', c);
  assert.equal(typeof d.backupState, 'boolean', c);
  assert.match(d.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, c);
  assert.ok(Math.abs(Date.parse(d.createdAt) - Date.now()) < 5 * 60 * 1000, `createdAt is now${c}`);
}

/* ---------- options ---------- */

test('register/start: the creation options and the session cookie', async () => {
  const { user, browser } = await newUser();
  const res = expectStatus(await browser.get('/api/webauthn/register/start'), 200);
  const o = res.json;
  assert.equal(o.publicKey, undefined, `options are not wrapped in publicKey${res.ctx}`);
  assert.equal(o.rp.id, 'localhost', res.ctx);
  assert.equal(o.rp.name, 'Pocket ID', res.ctx);
  assert.equal(o.user.id, b64url(Buffer.from(user.id, 'utf8')), `user.id = base64url(user UUID string)${res.ctx}`);
  assert.equal(o.user.name, user.username, res.ctx);
  assert.equal(o.user.displayName, 'Bob Builder', res.ctx);
  assert.equal(unb64url(o.challenge).length, 32, res.ctx);
  assert.deepEqual(o.pubKeyCredParams, OFFERED.map((alg) => ({ type: 'public-key', alg })), res.ctx);
  assert.equal(o.timeout, 60000, res.ctx);
  assert.deepEqual(o.excludeCredentials || [], [], res.ctx);
  assert.deepEqual(o.authenticatorSelection, { requireResidentKey: true, residentKey: 'required', userVerification: 'required' }, res.ctx);
  assert.deepEqual(o.extensions, { credProps: true }, res.ctx);
  assert.ok(o.attestation === undefined || o.attestation === 'none', res.ctx);

  const c = res.setCookies.session;
  assert.ok(c && c.value, `session cookie${res.ctx}`);
  assert.equal(c.attrs['max-age'], '60', res.ctx);
  assert.equal(c.attrs.path, '/', res.ctx);
  assert.equal(c.attrs.httponly, true, res.ctx);
  assert.equal(c.attrs.secure, true, res.ctx);
  assert.equal(String(c.attrs.samesite).toLowerCase(), 'lax', res.ctx);
});

test('register/start: every call has a new challenge and a new ceremony', async () => {
  const a = expectStatus(await admin.get('/api/webauthn/register/start'), 200);
  const b = expectStatus(await admin.get('/api/webauthn/register/start'), 200);
  assert.notEqual(a.json.challenge, b.json.challenge);
  assert.notEqual(a.setCookies.session.value, b.setCookies.session.value);
});

test('register/start without a session is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).get('/api/webauthn/register/start'), 401, 'not_signed_in');
});

test('register/finish without a session is 401 not_signed_in', async () => {
  const start = expectStatus(await admin.get('/api/webauthn/register/start'), 200);
  const reg = register({ options: start.json, origin: admin.origin });
  const b = new Browser(srv);
  b.setCookie('session', admin.cookie('session'));
  expectStatus(await b.post('/api/webauthn/register/finish', reg.json), 401, 'not_signed_in');
});

test('WEBAUTHN_USER_VERIFICATION=preferred and WEBAUTHN_AUTHENTICATOR_ATTACHMENT in the options', async () => {
  const s = await startServer({ env: { UI_CONFIG_DISABLED: 'true', WEBAUTHN_USER_VERIFICATION: 'preferred', WEBAUTHN_AUTHENTICATOR_ATTACHMENT: 'cross-platform', APP_NAME: 'Symbolon Test' } });
  const { browser } = await setupAdmin(s);
  const res = expectStatus(await browser.get('/api/webauthn/register/start'), 200);
  assert.deepEqual(res.json.authenticatorSelection, {
    authenticatorAttachment: 'cross-platform', requireResidentKey: true, residentKey: 'required', userVerification: 'preferred',
  }, res.ctx);
  assert.equal(res.json.rp.name, 'Symbolon Test', res.ctx);
  const login = expectStatus(await new Browser(s).get('/api/webauthn/login/start'), 200);
  assert.equal(login.json.userVerification, 'preferred', login.ctx);
});

/* ---------- happy paths: the cross-check ---------- */

for (const alg of ['ES256', 'RS256', 'EdDSA', 'PS256', 'ES384', 'ES512']) {
  test(`registration with an ${alg} key ("none" attestation) is accepted, and the passkey signs in`, async () => {
    const { user, browser } = await newUser();
    const { res, credential } = await registerPasskey(browser, { alg });
    expectStatus(res, 200);
    assertCredentialDto(res.json, res.ctx);
    assert.equal(res.json.name, 'New Passkey', res.ctx);
    assert.equal(res.json.credentialID, b64url(credential.id), res.ctx);
    assert.equal(res.json.attestationType, 'none', res.ctx);
    assert.deepEqual(res.json.transport, ['internal', 'hybrid'], res.ctx);
    assert.equal(res.json.backupEligible, false, res.ctx);
    assert.equal(res.json.backupState, false, res.ctx);
    assert.equal(browser.cookie('session'), undefined, `the ceremony cookie is spent${res.ctx}`);

    const { res: login } = await loginPasskey(new Browser(srv), credential);
    expectStatus(login, 200);
    assert.equal(login.json.id, user.id, login.ctx);
  });
}

for (const alg of ['ES256', 'RS256', 'EdDSA']) {
  test(`registration with "packed" self attestation (${alg}) is accepted`, async () => {
    const { browser } = await newUser();
    const { res, credential } = await registerPasskey(browser, { alg, fmt: 'packed' });
    expectStatus(res, 200);
    assertCredentialDto(res.json, res.ctx);
    assert.equal(res.json.attestationType, 'packed', `attestationType is the format, as go-webauthn stores it${res.ctx}`);
    expectStatus((await loginPasskey(new Browser(srv), credential)).res, 200);
  });
}

test('registration with "packed" full attestation (x5c, self-signed batch certificate) is accepted', async () => {
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, { fmt: 'packed-x5c' });
  expectStatus(res, 200);
  assert.equal(res.json.attestationType, 'packed', res.ctx);
});

test('registration with "fido-u2f" attestation is accepted', async () => {
  const { browser } = await newUser();
  const { res, credential } = await registerPasskey(browser, { fmt: 'fido-u2f', transports: ['usb'] });
  expectStatus(res, 200);
  assert.equal(res.json.attestationType, 'fido-u2f', res.ctx);
  assert.deepEqual(res.json.transport, ['usb'], res.ctx);
  expectStatus((await loginPasskey(new Browser(srv), credential)).res, 200);
});

test('a known AAGUID names the passkey: "Google Password Manager Passkey"', async () => {
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, { aaguid: 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4' });
  expectStatus(res, 200);
  assert.equal(res.json.name, 'Google Password Manager Passkey', res.ctx);
});

test('a known AAGUID names the passkey: "1Password Passkey"', async () => {
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, { aaguid: 'bada5566-a7aa-401f-bd96-45619a55120d' });
  expectStatus(res, 200);
  assert.equal(res.json.name, '1Password Passkey', res.ctx);
});

test('an unknown non-zero AAGUID: "New Passkey"', async () => {
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, { aaguid: crypto.randomUUID() });
  expectStatus(res, 200);
  assert.equal(res.json.name, 'New Passkey', res.ctx);
});

test('a synced passkey (BE and BS) is accepted by default and reported so', async () => {
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, { flags: { up: true, uv: true, be: true, bs: true } });
  expectStatus(res, 200);
  assert.equal(res.json.backupEligible, true, res.ctx);
  assert.equal(res.json.backupState, true, res.ctx);
});

test('excludeCredentials lists the user\'s passkeys with their transports', async () => {
  const { browser } = await newUser();
  const one = await registerPasskey(browser, { transports: ['internal'] });
  expectStatus(one.res, 200);
  const two = await registerPasskey(browser, { alg: 'EdDSA', transports: ['usb', 'nfc'] });
  expectStatus(two.res, 200);
  const start = expectStatus(await browser.get('/api/webauthn/register/start'), 200);
  const ex = start.json.excludeCredentials;
  assert.ok(Array.isArray(ex), start.ctx);
  const byId = Object.fromEntries(ex.map((e) => [e.id, e]));
  assert.equal(ex.length, 2, start.ctx);
  assert.deepEqual(byId[b64url(one.credential.id)], { type: 'public-key', id: b64url(one.credential.id), transports: ['internal'] }, start.ctx);
  assert.deepEqual(byId[b64url(two.credential.id)], { type: 'public-key', id: b64url(two.credential.id), transports: ['usb', 'nfc'] }, start.ctx);
  // another user's list does not show them
  const other = await newUser();
  const s2 = expectStatus(await other.browser.get('/api/webauthn/register/start'), 200);
  assert.deepEqual(s2.json.excludeCredentials || [], [], s2.ctx);
});

test('registering the same credential id twice is 409 already_in_use', async () => {
  const { browser } = await newUser();
  const id = crypto.randomBytes(32);
  expectStatus((await registerPasskey(browser, { credentialId: id })).res, 200);
  const again = await registerPasskey(browser, { credentialId: id });
  expectStatus(again.res, 409, 'already_in_use');
});

test('registering another user\'s credential id is 409 already_in_use', async () => {
  const a = await newUser();
  const b = await newUser();
  const id = crypto.randomBytes(16);
  expectStatus((await registerPasskey(a.browser, { credentialId: id })).res, 200);
  expectStatus((await registerPasskey(b.browser, { credentialId: id })).res, 409, 'already_in_use');
});

/* ---------- refusals ---------- */

/* A registration tampered as `opts` says must be refused with 400 `code`; the user's
 * passkey list stays empty. */
async function refused(opts, code = 'webauthn_registration_failed', msg) {
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, opts);
  expectStatus(res, 400, code);
  if (msg) assert.match(res.json.error, msg, res.ctx);
  const list = expectStatus(await browser.get('/api/webauthn/credentials'), 200);
  assert.deepEqual(list.json, [], `nothing stored after a refused registration${list.ctx}`);
  return res;
}

test('registration refused: a wrong challenge', async () => {
  await refused({ tamper: { challenge: b64url(crypto.randomBytes(32)) } });
});

test('registration refused: a wrong origin (message names the origin)', async () => {
  await refused({ tamper: { origin: 'http://evil.example' } }, 'webauthn_registration_failed', /origin/i);
});

test('registration refused: the origin without its port', async () => {
  await refused({ tamper: { origin: 'http://localhost' } });
});

test('registration refused: clientData type webauthn.get', async () => {
  await refused({ tamper: { type: 'webauthn.get' } });
});

test('registration refused: the RP ID hash of another RP ID', async () => {
  await refused({ tamper: { rpId: 'evil.example' } });
});

test('registration refused: UP flag missing', async () => {
  await refused({ tamper: { flags: FLAGS.UV | FLAGS.AT } });
});

test('registration refused: UV flag missing while required is 400 passkey_user_verification_required', async () => {
  await refused({ flags: { up: true } }, 'passkey_user_verification_required');
});

test('registration: UV missing is accepted with WEBAUTHN_USER_VERIFICATION=preferred', async () => {
  const s = await startServer({ env: { UI_CONFIG_DISABLED: 'true', WEBAUTHN_USER_VERIFICATION: 'preferred' } });
  const { browser } = await setupAdmin(s);
  const { res, credential } = await registerPasskey(browser, { flags: { up: true } });
  expectStatus(res, 200);
  const { res: login } = await loginPasskey(new Browser(s), credential, { flags: { up: true } });
  expectStatus(login, 200);
});

test('registration refused: AT flag missing', async () => {
  await refused({ tamper: { flags: FLAGS.UP | FLAGS.UV } });
});

test('registration refused: BS set without BE', async () => {
  await refused({ tamper: { flags: FLAGS.UP | FLAGS.UV | FLAGS.BS | FLAGS.AT } });
});

test('registration refused: trailing bytes after the attestation object CBOR', async () => {
  await refused({ tamper: { trailing: Buffer.from([0x00]) } });
});

test('registration refused: trailing bytes after the credential key in authData', async () => {
  await refused({ tamper: { authDataTrailing: Buffer.from([0xa0]) } });
});

test('registration refused: an attestation object that is not CBOR', async () => {
  await refused({ tamper: { attestationObject: Buffer.from('not cbor at all') } });
});

test('registration refused: an indefinite-length map in the attestation object', async () => {
  // 0xbf ... 0xff: indefinite map {"fmt": "none"}; not canonical CBOR
  await refused({ tamper: { attestationObject: Buffer.concat([Buffer.from([0xbf]), cbor('fmt'), cbor('none'), Buffer.from([0xff])]) } });
});

test('registration refused: a "packed" self attestation with a changed signature', async () => {
  await refused({ fmt: 'packed', tamper: { flipSignature: 10 } });
});

test('registration refused: a "packed" self attestation over changed authData', async () => {
  // byte 33..36 is the signature counter: nothing but the signature covers it
  await refused({ fmt: 'packed', tamper: { flipAuthData: 34 } });
});

test('registration refused: a "packed" self attestation signed for another alg', async () => {
  await refused({ fmt: 'packed', tamper: { attStmtAlg: -257 } });
});

test('registration refused: "none" with a non-empty attStmt', async () => {
  await refused({ tamper: { attStmt: new Map([['sig', Buffer.alloc(8)]]) } });
});

test('registration refused: an unsupported attestation format is named in the message', async () => {
  await refused({ tamper: { fmtLabel: 'tpm', attStmt: {} } }, 'webauthn_registration_failed', /tpm/);
});

test('registration refused: an unknown attestation format is named in the message', async () => {
  await refused({ tamper: { fmtLabel: 'made-up-format', attStmt: {} } }, 'webauthn_registration_failed', /made-up-format/);
});

test('registration refused: an algorithm not offered (ES256K, COSE -47)', async () => {
  await refused({ alg: 'ES256K' }, 'webauthn_registration_failed', /-47|algorithm|alg/i);
});

test('registration refused: an RSA key labelled alg -7 (ES256)', async () => {
  await refused({ alg: 'RS256', tamper: { coseAlg: -7 } });
});

test('registration refused: an EC P-256 key labelled alg -8 (EdDSA)', async () => {
  await refused({ alg: 'ES256', tamper: { coseAlg: -8 } });
});

test('registration refused: an RSA key of 1024 bits', async () => {
  await refused({ key: createKey('RS256', { rsaBits: 1024, fresh: true }) });
});

test('registration refused: rawId differs from the credential id in authData', async () => {
  await refused({ tamper: { rawId: crypto.randomBytes(32) } });
});

test('registration refused: a synced passkey (BE) with WEBAUTHN_ALLOW_SYNCED_PASSKEYS=false is 400 synced_passkey_not_allowed', async () => {
  const s = await startServer({ env: { UI_CONFIG_DISABLED: 'true', WEBAUTHN_ALLOW_SYNCED_PASSKEYS: 'false' } });
  const { browser } = await setupAdmin(s);
  const { res } = await registerPasskey(browser, { flags: { up: true, uv: true, be: true, bs: false } });
  expectStatus(res, 400, 'synced_passkey_not_allowed');
  // a device-bound one is still fine there
  expectStatus((await registerPasskey(browser)).res, 200);
});

test('registration with extension data (ED flag and a CBOR map after the key) is accepted', async () => {
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, {
    fmt: 'packed', tamper: { flags: FLAGS.UP | FLAGS.UV | FLAGS.AT | FLAGS.ED, authDataTrailing: cbor(new Map([['credProtect', 2]])) },
  });
  expectStatus(res, 200);
});

test('registration with a credential id of 1023 bytes is accepted', async () => {
  const { browser } = await newUser();
  const { res, credential } = await registerPasskey(browser, { credentialId: crypto.randomBytes(1023) });
  expectStatus(res, 200);
  assert.equal(unb64url(res.json.credentialID).length, 1023, res.ctx);
  expectStatus((await loginPasskey(new Browser(srv), credential)).res, 200);
});

test('registration refused: a credential id of 1024 bytes', async () => {
  // WebAuthn L3 caps credential ids at 1023 bytes; refusing the over-long rawId while
  // reading the body (invalid_request_body) is as good as refusing it in authData
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, { credentialId: crypto.randomBytes(1024) });
  assert.equal(res.status, 400, res.ctx);
  assert.ok(['webauthn_registration_failed', 'invalid_request_body'].includes(res.json.code), res.ctx);
  assert.deepEqual(expectStatus(await browser.get('/api/webauthn/credentials'), 200).json, []);
});

/* ---------- the ceremony ---------- */

test('registration refused: the same ceremony finished twice is 400 invalid_webauthn_session', async () => {
  const { browser } = await newUser();
  const start = expectStatus(await browser.get('/api/webauthn/register/start'), 200);
  const ceremony = browser.cookie('session');
  const first = register({ options: start.json, origin: browser.origin });
  expectStatus(await browser.post('/api/webauthn/register/finish', first.json), 200);
  browser.setCookie('session', ceremony);
  const second = register({ options: start.json, origin: browser.origin });
  const res = await browser.post('/api/webauthn/register/finish', second.json);
  expectStatus(res, 400, 'invalid_webauthn_session');
});

test('registration refused: a failed finish spends the ceremony too', async () => {
  const { browser } = await newUser();
  const start = expectStatus(await browser.get('/api/webauthn/register/start'), 200);
  const ceremony = browser.cookie('session');
  const bad = register({ options: start.json, origin: 'http://evil.example' });
  expectStatus(await browser.post('/api/webauthn/register/finish', bad.json), 400, 'webauthn_registration_failed');
  browser.setCookie('session', ceremony);
  const good = register({ options: start.json, origin: browser.origin });
  expectStatus(await browser.post('/api/webauthn/register/finish', good.json), 400, 'invalid_webauthn_session');
});

test('registration refused: an expired ceremony is 400 invalid_webauthn_session', async () => {
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, { before: () => expireCeremony(browser) });
  expectStatus(res, 400, 'invalid_webauthn_session');
});

test('registration refused: no ceremony cookie is 400 invalid_webauthn_session', async () => {
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, { before: () => browser.forget('session') });
  expectStatus(res, 400, 'invalid_webauthn_session');
});

test('registration refused: an unknown ceremony cookie is 400 invalid_webauthn_session', async () => {
  const { browser } = await newUser();
  const { res } = await registerPasskey(browser, { before: () => browser.setCookie('session', crypto.randomUUID()) });
  expectStatus(res, 400, 'invalid_webauthn_session');
});

test('registration refused: a sign-in ceremony (login/start cookie) cannot finish a registration', async () => {
  const { browser } = await newUser();
  const reg = await browser.get('/api/webauthn/register/start');
  expectStatus(reg, 200);
  const login = expectStatus(await browser.get('/api/webauthn/login/start'), 200);
  // answer the sign-in challenge with a creation response
  const r = register({ options: { ...reg.json, challenge: login.json.challenge }, origin: browser.origin });
  const res = await browser.post('/api/webauthn/register/finish', r.json);
  assert.equal(res.status, 400, res.ctx);
  assert.ok(['invalid_webauthn_session', 'webauthn_registration_failed'].includes(res.json.code), res.ctx);
  const list = expectStatus(await browser.get('/api/webauthn/credentials'), 200);
  assert.deepEqual(list.json, [], list.ctx);
});

test('registration refused: another user\'s registration ceremony', async () => {
  const a = await newUser();
  const b = await newUser();
  const start = expectStatus(await a.browser.get('/api/webauthn/register/start'), 200);
  const r = register({ options: start.json, origin: b.browser.origin });
  b.browser.setCookie('session', a.browser.cookie('session'));
  const res = await b.browser.post('/api/webauthn/register/finish', r.json);
  assert.equal(res.status, 400, res.ctx);
  assert.ok(['invalid_webauthn_session', 'webauthn_registration_failed'].includes(res.json.code), res.ctx);
  for (const x of [a, b]) assert.deepEqual(expectStatus(await x.browser.get('/api/webauthn/credentials'), 200).json, []);
});

/* ---------- malformed bodies: refused, never a server error ---------- */

for (const [what, mutate] of [
  ['no response member', (j) => { delete j.response; }],
  ['no clientDataJSON', (j) => { delete j.response.clientDataJSON; }],
  ['an empty attestationObject', (j) => { j.response.attestationObject = ''; }],
  ['clientDataJSON that is not base64url', (j) => { j.response.clientDataJSON = '***'; }],
  ['type other than public-key', (j) => { j.type = 'password'; }],
  ['an id that is not base64url', (j) => { j.id = 'a+b/c='; }],
  ['clientDataJSON that is not JSON', (j) => { j.response.clientDataJSON = b64url(Buffer.from('{"type":')); }],
]) {
  test(`registration refused: a body with ${what} is a 400`, async () => {
    const { browser } = await newUser();
    const start = expectStatus(await browser.get('/api/webauthn/register/start'), 200);
    const r = register({ options: start.json, origin: browser.origin });
    mutate(r.json);
    const res = await browser.post('/api/webauthn/register/finish', r.json);
    assert.equal(res.status, 400, res.ctx);
    assert.ok(res.json && typeof res.json.code === 'string', res.ctx);
  });
}

test('registration refused: a body that is not application/json is 400 invalid_request_body', async () => {
  const { browser } = await newUser();
  const start = expectStatus(await browser.get('/api/webauthn/register/start'), 200);
  const r = register({ options: start.json, origin: browser.origin });
  const res = await browser.call('POST', '/api/webauthn/register/finish', { body: JSON.stringify(r.json), headers: { 'content-type': 'text/plain' } });
  expectStatus(res, 400, 'invalid_request_body');
});

test('the batch certificate helper makes a DER certificate (softauthn self-check)', () => {
  const c = selfSignedCert();
  assert.equal(c.der[0], 0x30);
  assert.ok(new crypto.X509Certificate(c.der).subject.includes('Authenticator Attestation'));
});
