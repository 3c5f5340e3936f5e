// RP-initiated logout: the modules of the OpenID Foundation's RP-Initiated OP plan
// (conformance.md §4.5) and Pocket ID's end-session rules (reference §2.12).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, request } from './harness.mjs';
import { Browser, setupAdmin, signInAs, insertUser, expectStatus } from './client.mjs';
import { insertClient, authorize, getCode, exchange, redirectOf, randomState, LOGOUT } from './oidc.mjs';

let srv, admin, client;
before(async () => {
  srv = await startServer();
  ({ browser: admin } = await setupAdmin(srv));
  client = await insertClient(srv, { logoutCallbackURLs: [LOGOUT, 'https://rp.example.com/bye/*'] });
});

/** A user signed in here and at the client: {browser, idToken}. */
async function signedIn(c = client) {
  const u = await insertUser(srv);
  const browser = await signInAs(srv, admin, u.id);
  const { code } = await getCode(browser, c);
  const tok = await exchange(srv, c, code);
  assert.equal(tok.status, 200, tok.ctx);
  return { user: u, browser, idToken: tok.json.id_token, tokens: tok.json };
}

function endSession(browser, params, { method = 'GET' } = {}) {
  const qs = new URLSearchParams(params);
  if (method === 'POST') {
    return browser.call('POST', '/api/oidc/end-session', { body: qs.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }
  return browser.get(`/api/oidc/end-session?${qs}`);
}

/** After a logout the session is gone: prompt=none gives an error, never a code. */
async function assertSignedOut(browser) {
  const r = redirectOf(await authorize(browser, client, { prompt: 'none' }));
  assert.equal(r.params.error, 'login_required', r.location);
  expectStatus(await browser.get('/api/users/me'), 401);
}

async function assertStillSignedIn(browser) {
  expectStatus(await browser.get('/api/users/me'), 200);
}

test('discovery advertises end_session_endpoint', async () => {
  const d = JSON.parse((await request(srv.url, '/.well-known/openid-configuration')).body);
  assert.equal(d.end_session_endpoint, `${srv.env.APP_URL}/api/oidc/end-session`);
});

test('oidcc-rp-initiated-logout: hint + registered post_logout_redirect_uri + state: back with the same state, then prompt=none fails', async () => {
  const { browser, idToken } = await signedIn();
  const state = randomState();
  const r = redirectOf(await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: LOGOUT, state }));
  assert.equal(r.location, `${LOGOUT}?state=${state}`);
  await assertSignedOut(browser);
});

test('the same as a POST form', async () => {
  const { browser, idToken } = await signedIn();
  const r = redirectOf(await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: LOGOUT, state: 'abc12345' }, { method: 'POST' }));
  assert.equal(r.location, `${LOGOUT}?state=abc12345`);
  await assertSignedOut(browser);
});

test('oidcc-rp-initiated-logout-no-state: back without a state, then prompt=none fails', async () => {
  const { browser, idToken } = await signedIn();
  const r = redirectOf(await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: LOGOUT }));
  assert.equal(r.location, LOGOUT);
  await assertSignedOut(browser);
});

test('oidcc-rp-initiated-logout-only-state and -no-params: our "Sign out?" page, the session kept until confirmed', async () => {
  const { browser } = await signedIn();
  for (const params of [{ state: randomState() }, {}]) {
    assert.equal(redirectOf(await endSession(browser, params)).location, '/logout');
    await assertStillSignedIn(browser);
  }
});

test('oidcc-rp-initiated-logout-no-post-logout-redirect-uri: the first registered logout URL', async () => {
  const { browser, idToken } = await signedIn();
  assert.equal(redirectOf(await endSession(browser, { id_token_hint: idToken })).location, LOGOUT);
  await assertSignedOut(browser);
});

test('oidcc-rp-initiated-logout-no-id-token-hint: a post_logout_redirect_uri without a hint never redirects', async () => {
  const { browser } = await signedIn();
  assert.equal(redirectOf(await endSession(browser, { post_logout_redirect_uri: LOGOUT, state: 'x1234567' })).location, '/logout');
  await assertStillSignedIn(browser);
});

test('oidcc-rp-initiated-logout-bad-id-token-hint: a hint signed by another key never redirects', async () => {
  const { browser, idToken } = await signedIn();
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const [h, p] = idToken.split('.');
  const sig = crypto.sign('sha256', Buffer.from(`${h}.${p}`), privateKey).toString('base64url');
  assert.equal(redirectOf(await endSession(browser, { id_token_hint: `${h}.${p}.${sig}`, post_logout_redirect_uri: LOGOUT })).location, '/logout');
  await assertStillSignedIn(browser);
});

test('oidcc-rp-initiated-logout-modified-id-token-hint: alg none never redirects', async () => {
  const { browser, idToken } = await signedIn();
  const p = idToken.split('.')[1];
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
  assert.equal(redirectOf(await endSession(browser, { id_token_hint: none, post_logout_redirect_uri: LOGOUT })).location, '/logout');
  await assertStillSignedIn(browser);
});

test('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri and -query-added: never redirect', async () => {
  const { browser, idToken } = await signedIn();
  for (const uri of ['https://evil.example.com/logged-out', `${LOGOUT}?foo=bar`, `${LOGOUT}/x`, 'https://rp.example.com@evil.example.com/logged-out']) {
    assert.equal(redirectOf(await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: uri })).location, '/logout', uri);
  }
  await assertStillSignedIn(browser);
});

test('a registered wildcard pattern accepts a matching URI, and the pattern itself is never a destination', async () => {
  const { browser, idToken } = await signedIn();
  assert.equal(redirectOf(await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: 'https://rp.example.com/bye/now' })).location, 'https://rp.example.com/bye/now');
});

test('a client_id other than the hint\'s audience never redirects', async () => {
  const { browser, idToken } = await signedIn();
  const other = await insertClient(srv);
  assert.equal(redirectOf(await endSession(browser, { id_token_hint: idToken, client_id: other.id, post_logout_redirect_uri: LOGOUT })).location, '/logout');
  await assertStillSignedIn(browser);
});

test('signed in here as someone else than the hint\'s subject: no redirect, nobody signed out', async () => {
  const a = await signedIn();
  const b = await signedIn();
  assert.equal(redirectOf(await endSession(b.browser, { id_token_hint: a.idToken, post_logout_redirect_uri: LOGOUT })).location, '/logout');
  await assertStillSignedIn(b.browser);
});

test('with a valid hint and no session here (already signed out), the client still gets its redirect', async () => {
  const { idToken } = await signedIn();
  const r = redirectOf(await endSession(new Browser(srv), { id_token_hint: idToken, post_logout_redirect_uri: LOGOUT, state: 'st4te-ok' }));
  assert.equal(r.location, `${LOGOUT}?state=st4te-ok`);
});

test('logout revokes the refresh token that came with the hint\'s ID token', async () => {
  const { browser, idToken, tokens } = await signedIn();
  redirectOf(await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: LOGOUT }));
  const res = await request(srv.url, '/api/oidc/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }).toString(),
  });
  assert.equal(res.status, 400);
});

test('a client without logout URLs: the session ends and our page shows', async () => {
  const c = await insertClient(srv, { logoutCallbackURLs: [] });
  const { browser, idToken } = await signedIn(c);
  assert.equal(redirectOf(await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: LOGOUT })).location, '/logout');
  expectStatus(await browser.get('/api/users/me'), 401);
});
