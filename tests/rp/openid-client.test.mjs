// openid-client v6 (panva) as the relying party, Chromium as its user agent: users sign in
// with their passkey on Symbolon's /login page, then the browser follows the authorization
// URL back to the redirect URI (nothing listens there; the test reads the URL), and
// openid-client does discovery, the code exchange with PKCE, nonce and state, userinfo and
// the refresh. The ID token's signature is checked against the JWKS (non-repudiation checks).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { freePort, makeClient, makeGroup, passkeyUser, signInWithPasskey, startSymbolon } from './harness.mjs';

const SCOPE = 'openid email profile groups';
let srv, redirectUri, open, staffOnly, grace, mallory;

before(async () => {
  srv = await startSymbolon();
  redirectUri = `http://localhost:${await freePort()}/cb`;
  grace = await passkeyUser(srv, { username: 'grace', email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' });
  mallory = await passkeyUser(srv, { username: 'mallory', email: 'mallory@example.com', firstName: 'Mal', lastName: 'Lory' });
  const staff = await makeGroup(srv, 'rp-staff', [grace.user.id]);
  await makeGroup(srv, 'rp-others', []);
  open = await makeClient(srv, { name: 'Node app', callbackURLs: [redirectUri], skipConsent: true });
  staffOnly = await makeClient(srv, { name: 'Staff app', callbackURLs: [redirectUri], skipConsent: true, groups: [staff.id] });
});

/** openid-client's configuration for a client, from Symbolon's discovery document. */
function discover(c) {
  return client.discovery(new URL(srv.base), c.id, c.secret, client.ClientSecretBasic(c.secret),
    { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] });
}

/**
 * Sends the signed-in browser to a fresh authorization URL (PKCE S256, state, nonce) and
 * returns where it came back to, with what the code exchange needs.
 */
async function authorizeInBrowser(page, config) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: SCOPE, state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const back = page.waitForRequest((r) => r.url().startsWith(redirectUri), { timeout: 15000 });
  await page.goto(url.href).catch((e) => {
    if (!/ERR_CONNECTION_REFUSED/.test(e.message)) throw e; // nothing listens at the redirect URI
  });
  return { callback: new URL((await back).url()), check: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true } };
}

test('openid-client: discovery, code flow with PKCE, userinfo and refresh for a passkey sign-in', async () => {
  const { page, user } = grace;
  await signInWithPasskey(page, srv);
  const config = await discover(open);
  const meta = config.serverMetadata();
  assert.equal(meta.issuer, srv.base);
  assert.ok(meta.code_challenge_methods_supported.includes('S256'));

  const { callback, check } = await authorizeInBrowser(page, config);
  assert.equal(callback.searchParams.get('iss'), srv.base);
  const tokens = await client.authorizationCodeGrant(config, callback, check);
  const id = tokens.claims();
  assert.equal(id.sub, user.id);
  assert.deepEqual(id.aud, [open.id]);
  assert.equal(id.nonce, check.expectedNonce);
  assert.deepEqual(id.amr, ['phr'], 'signed in with a passkey');
  assert.equal(id.preferred_username, 'grace');
  assert.deepEqual(id.groups, ['rp-staff']);
  assert.ok(tokens.refresh_token, 'a refresh token');

  const info = await client.fetchUserInfo(config, tokens.access_token, id.sub);
  assert.equal(info.sub, id.sub);
  assert.equal(info.email, 'grace@example.com');
  assert.deepEqual(info.groups, ['rp-staff']);

  const fresh = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(fresh.access_token && fresh.access_token !== tokens.access_token, 'a new access token');
  assert.ok(fresh.refresh_token && fresh.refresh_token !== tokens.refresh_token, 'a new refresh token');
  const again = fresh.claims();
  assert.equal(again.sub, user.id);
  assert.deepEqual(again.groups, ['rp-staff'], 'the groups claim after the refresh');
  assert.equal((await client.fetchUserInfo(config, fresh.access_token, id.sub)).sub, user.id);

  // A client with another secret is refused at the token endpoint (401 with a Basic challenge).
  const wrong = await discover({ ...open, secret: `${open.secret}x` });
  await assert.rejects(client.refreshTokenGrant(wrong, fresh.refresh_token),
    (e) => e.status === 401 && e.cause?.[0]?.scheme === 'basic');

  // The code is single-use: a second exchange is refused (and revokes what it gave; last, then).
  await assert.rejects(client.authorizationCodeGrant(config, callback, check), (e) => e.error === 'invalid_grant');
});

test('openid-client and a group-restricted client: a member gets in with the groups claim, others land on the error page', async () => {
  await signInWithPasskey(grace.page, srv);
  const config = await discover(staffOnly);
  const { callback, check } = await authorizeInBrowser(grace.page, config);
  const tokens = await client.authorizationCodeGrant(config, callback, check);
  assert.equal(tokens.claims().sub, grace.user.id);
  assert.deepEqual(tokens.claims().groups, ['rp-staff']);
  assert.deepEqual((await client.fetchUserInfo(config, tokens.access_token, grace.user.id)).groups, ['rp-staff']);

  // Mallory signs in with her passkey but is in no allowed group.
  const { page } = mallory;
  await signInWithPasskey(page, srv);
  const seen = [];
  page.on('request', (r) => seen.push(r.url()));
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: SCOPE, state: client.randomState(), nonce: client.randomNonce(),
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  await page.goto(url.href);
  await page.waitForURL((u) => u.pathname === '/interaction/error');
  const message = page.getByTestId('interaction-error');
  await message.waitFor();
  assert.equal((await message.textContent()).trim(), 'You are not allowed to access this service.');
  assert.deepEqual(seen.filter((u) => u.startsWith(redirectUri)), [], 'no code went to the client');
});
