// The OpenID provider on the wire: one test per module of the OpenID Foundation's Basic OP plan
// (conformance.md §4.3, with its thresholds), then Pocket ID parity (reference §2, checklist
// rows 49-76), on the real binary.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, request, sleep, DB_KIND } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, registerPasskey, loginPasskey, signInAs, insertUser, jwtClaims, jwtHeader, sql, q,
} from './client.mjs';
import { assertion } from './softauthn.mjs';
import {
  insertClient, insertGroup, authorize, authorizeQuery, redirectOf, finishInteraction, getCode, tokenRequest, exchange,
  checkIdToken, verifyJwt, entropyBits, randomState, CALLBACK,
} from './oidc.mjs';

let srv, admin, adminUser, client;
before(async () => {
  srv = await startServer();
  ({ browser: admin, user: adminUser } = await setupAdmin(srv, { firstName: 'Tim', lastName: 'Cook', username: 'tim', email: 'tim@example.com' }));
  client = await insertClient(srv, { name: 'Conformance RP' });
});

/** A fresh user signed in through a login code, and its browser. */
async function newUser(fields = {}) {
  const u = await insertUser(srv, fields);
  return { user: u, browser: await signInAs(srv, admin, u.id) };
}

/** userinfo with a Bearer header (GET by default). */
function userinfo(token, { method = 'GET', body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  return request(srv.url, '/api/oidc/userinfo', { method, headers: h, body }).then((r) => ({ ...r, json: tryJson(r.body), ctx: `\n${r.status} ${r.body}` }));
}

function tryJson(b) {
  try { return JSON.parse(b.toString('utf8')); } catch { return undefined; }
}

/** Code flow to tokens for `browser`; returns {tokens, params, nonce}. */
async function login(browser, c = client, params = {}, opts = {}) {
  const nonce = params.nonce === undefined ? randomState() : params.nonce;
  const { code, params: p } = await getCode(browser, c, { nonce, ...params }, opts);
  const res = await exchange(srv, c, code, params.code_verifier ? { code_verifier: params.code_verifier } : {}, opts.token);
  assert.equal(res.status, 200, res.ctx);
  return { tokens: res.json, params: p, nonce, code, res };
}

/* ---------- Basic OP (conformance.md §4.3) ---------- */

test('oidcc-server: code flow with every §4.2 check (state, iss, code entropy, tokens, ID token, userinfo)', async () => {
  const state = randomState(32);
  const nonce = randomState(24);
  let res = await authorize(admin, client, { state, nonce });
  res = await finishInteraction(admin, res);
  const r = redirectOf(res);
  assert.ok(r.location.startsWith(CALLBACK + '?'), r.location);
  assert.equal(r.params.state, state, 'state round-trips');
  assert.equal(r.params.iss, srv.env.APP_URL, 'RFC 9207 iss equals the issuer');
  assert.ok(r.params.code.length * 6 >= 128 * 1.3, `code of at least 128 bits: ${r.params.code}`);
  assert.ok(entropyBits(r.params.code) >= 96, `code entropy ${entropyBits(r.params.code)}`);
  const tok = await exchange(srv, client, r.params.code);
  assert.equal(tok.status, 200, tok.ctx);
  assert.match(tok.headers['content-type'], /^application\/json/);
  assert.equal(tok.headers['cache-control'], 'no-store');
  assert.equal(tok.headers.pragma, 'no-cache');
  assert.ok(tok.json.access_token && tok.json.id_token && tok.json.refresh_token, tok.ctx);
  assert.equal(tok.json.token_type, 'bearer');
  assert.ok(tok.json.expires_in >= 3598 && tok.json.expires_in <= 3600, `expires_in ${tok.json.expires_in}`);
  assert.equal(tok.json.scope, 'openid profile email');
  assert.match(tok.json.refresh_token, /^pocket_id_rt_[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
  const id = await checkIdToken(srv, client, tok.json.id_token, { nonce, accessToken: tok.json.access_token });
  assert.equal(id.sub, adminUser.id);
  assert.deepEqual(id.aud, [client.id]);
  assert.equal(id.exp - id.iat, 3600);
  assert.equal(id.type, 'id-token');
  assert.ok(id.at_hash && id.jti && id.auth_time && id.rat, JSON.stringify(id));
  assert.deepEqual(id.amr, ['otp']);
  const ui = await userinfo(tok.json.access_token);
  assert.equal(ui.status, 200, ui.ctx);
  assert.match(ui.headers['content-type'], /^application\/json/);
  assert.equal(ui.json.sub, id.sub, 'userinfo sub equals the ID token sub');
});

test('oidcc-response-type-missing: an error redirect (invalid_request) with the state', async () => {
  const state = randomState();
  const r = redirectOf(await authorize(admin, client, { response_type: undefined, state }));
  assert.ok(r.location.startsWith(CALLBACK));
  assert.ok(['invalid_request', 'unsupported_response_type'].includes(r.params.error), r.location);
  assert.equal(r.params.state, state);
  assert.equal(r.params.iss, srv.env.APP_URL);
  assert.equal(r.params.code, undefined);
});

test('oidcc-idtoken-signature: the ID token has a kid and alg RS256', async () => {
  const { tokens } = await login(admin);
  const h = jwtHeader(tokens.id_token);
  assert.equal(h.alg, 'RS256');
  assert.ok(h.kid);
  await verifyJwt(srv, tokens.id_token);
});

test('oidcc-userinfo-get, -post-header, -post-body: all three ways answer the same claims', async () => {
  const { tokens } = await login(admin);
  const get = await userinfo(tokens.access_token);
  const postHeader = await userinfo(tokens.access_token, { method: 'POST' });
  const postBody = await userinfo(null, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `access_token=${encodeURIComponent(tokens.access_token)}`,
  });
  for (const r of [get, postHeader, postBody]) {
    assert.equal(r.status, 200, r.ctx);
    assert.deepEqual(r.json, get.json);
  }
  assert.equal(get.json.preferred_username, 'tim');
});

test('oidcc-ensure-request-without-nonce-succeeds-for-code-flow', async () => {
  const { tokens } = await login(admin, client, { nonce: undefined });
  assert.equal(jwtClaims(tokens.id_token).nonce, undefined);
});

test('oidcc-scope-profile, -email, -address, -phone, -all: success; unknown scopes are dropped', async () => {
  for (const scope of ['openid profile', 'openid email', 'openid address', 'openid phone', 'openid address email phone profile']) {
    const { tokens } = await login(admin, client, { scope });
    const want = ['openid', 'profile', 'email'].filter((s) => scope.split(' ').includes(s));
    assert.deepEqual(tokens.scope.split(' ').sort(), want.sort(), scope);
    const ui = await userinfo(tokens.access_token);
    assert.equal(ui.status, 200, ui.ctx);
    assert.equal('email' in ui.json, scope.includes('email'), scope);
    assert.equal('given_name' in ui.json, scope.includes('profile'), scope);
  }
});

test('oidcc-alternate-happy-flow: scope order reversed and parameters reordered', async () => {
  const qs = authorizeQuery(client, { scope: 'email profile openid' });
  const reordered = new URLSearchParams([...qs.entries()].reverse());
  const res = await finishInteraction(admin, await admin.get(`/authorize?${reordered}`));
  const r = redirectOf(res);
  assert.ok(r.params.code, res.ctx);
  assert.equal((await exchange(srv, client, r.params.code)).status, 200);
});

test('oidcc-display-page, -display-popup, unknown parameter, login_hint, ui_locales, claims_locales, acr_values: no error', async () => {
  for (const extra of [{ display: 'page' }, { display: 'popup' }, { extra: 'foobar' }, { login_hint: 'buffy@localhost' },
    { ui_locales: 'se' }, { claims_locales: 'se' }, { acr_values: '1 2' }]) {
    const { tokens } = await login(admin, client, extra);
    assert.ok(tokens.id_token, JSON.stringify(extra));
  }
});

test('oidcc-prompt-login: a second request with prompt=login asks for re-authentication and gives a later auth_time', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const { credential } = await registerPasskey(b);
  const first = await login(b);
  const t1 = jwtClaims(first.tokens.id_token).auth_time;
  await sleep(1100);
  const steps = [];
  const reauth = async (br) => {
    const start = expectStatus(await br.get('/api/webauthn/login/start'), 200);
    const as = assertion({ options: start.json, origin: br.origin, credential });
    expectStatus(await br.post('/api/webauthn/reauthenticate', as.json), 204);
  };
  const second = await login(b, client, { prompt: 'login' }, { reauth, steps });
  assert.deepEqual(steps, ['reauthenticate']);
  assert.ok(jwtClaims(second.tokens.id_token).auth_time > t1, 'auth_time moved on');
});

test('oidcc-prompt-none-not-logged-in: error=login_required with the 128-character state, no code', async () => {
  const state = randomState(128);
  const r = redirectOf(await authorize(new Browser(srv), client, { prompt: 'none', state }));
  assert.ok(r.location.startsWith(CALLBACK));
  assert.equal(r.params.error, 'login_required');
  assert.equal(r.params.state, state);
  assert.equal(r.params.code, undefined);
});

test('oidcc-prompt-none-logged-in: silent success, same sub and auth_time', async () => {
  const first = await login(admin);
  const r = redirectOf(await authorize(admin, client, { prompt: 'none' }));
  assert.ok(r.params.code, r.location);
  const tok = await exchange(srv, client, r.params.code);
  const a = jwtClaims(first.tokens.id_token), b = jwtClaims(tok.json.id_token);
  assert.equal(b.sub, a.sub);
  assert.equal(b.auth_time, a.auth_time);
});

test('oidcc-max-age-1: after 2 s, max_age=1 forces a re-login and auth_time is present and later', async () => {
  const u = await insertUser(srv);
  const b = new Browser(srv);
  const reg = await registerPasskey(await signInAs(srv, admin, u.id));
  expectStatus((await loginPasskey(b, reg.credential)).res, 200);
  const first = await login(b);
  await sleep(2100);
  const steps = [];
  const reauth = async (br) => {
    const start = expectStatus(await br.get('/api/webauthn/login/start'), 200);
    expectStatus(await br.post('/api/webauthn/reauthenticate', assertion({ options: start.json, origin: br.origin, credential: reg.credential }).json), 204);
  };
  const second = await login(b, client, { max_age: '1' }, { reauth, steps });
  assert.deepEqual(steps, ['reauthenticate']);
  const a1 = jwtClaims(first.tokens.id_token).auth_time, a2 = jwtClaims(second.tokens.id_token).auth_time;
  assert.ok(a1 && a2 > a1, `${a1} < ${a2}`);
});

test('oidcc-max-age-10000: max_age=15000 then 10000: no re-login, same sub and auth_time', async () => {
  const a = await login(admin, client, { max_age: '15000' });
  const steps = [];
  const b = await login(admin, client, { max_age: '10000' }, { steps });
  assert.deepEqual(steps, []);
  const ca = jwtClaims(a.tokens.id_token), cb = jwtClaims(b.tokens.id_token);
  assert.ok(ca.auth_time && cb.auth_time);
  assert.equal(cb.auth_time, ca.auth_time);
  assert.equal(cb.sub, ca.sub);
});

test('oidcc-id-token-hint: prompt=none with the first ID token as hint succeeds for the same sub', async () => {
  const first = await login(admin);
  const r = redirectOf(await authorize(admin, client, { prompt: 'none', id_token_hint: first.tokens.id_token }));
  assert.ok(r.params.code, r.location);
  const tok = await exchange(srv, client, r.params.code);
  assert.equal(jwtClaims(tok.json.id_token).sub, jwtClaims(first.tokens.id_token).sub);
});

test('oidcc-codereuse: a code redeemed twice is 400 invalid_grant (JSON, clean description)', async () => {
  const { code } = await getCode(admin, client);
  assert.equal((await exchange(srv, client, code)).status, 200);
  const again = await exchange(srv, client, code);
  assert.equal(again.status, 400, again.ctx);
  assert.match(again.headers['content-type'], /^application\/json/);
  assert.equal(again.json.error, 'invalid_grant');
  assert.doesNotMatch(again.json.error_description, /[\r\n\t]/);
});

test('oidcc-codereuse-30seconds: 30 s later the second redemption fails and the first access token is revoked', async () => {
  const { code } = await getCode(admin, client);
  const first = await exchange(srv, client, code);
  assert.equal(first.status, 200, first.ctx);
  assert.equal((await userinfo(first.json.access_token)).status, 200);
  await sleep(30_000);
  const again = await exchange(srv, client, code);
  assert.equal(again.status, 400, again.ctx);
  assert.equal(again.json.error, 'invalid_grant');
  const ui = await userinfo(first.json.access_token);
  assert.equal(ui.status, 401, ui.ctx);
  const refreshed = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: first.json.refresh_token });
  assert.equal(refreshed.status, 400, 'the refresh token of the replayed code is revoked too');
});

test('oidcc-ensure-registered-redirect-uri: an unregistered redirect_uri gets our error page, never a redirect to it', async () => {
  for (const prompt of [undefined, 'none']) {
    const evil = `https://evil.example.com/${randomState()}`;
    const res = await authorize(admin, client, { redirect_uri: evil, prompt });
    const r = redirectOf(res);
    assert.ok(r.location.startsWith('/interaction/error?error='), r.location);
    assert.ok(!r.location.startsWith('https://evil'), r.location);
    assert.match(decodeURIComponent(r.location), /is not registered for this client/);
  }
});

test('oidcc-ensure-post-request-succeeds: the authorization request as a POST form', async () => {
  const res = await finishInteraction(admin, await authorize(admin, client, {}, { method: 'POST' }));
  const r = redirectOf(res);
  assert.ok(r.params.code, res.ctx);
  assert.equal((await exchange(srv, client, r.params.code)).status, 200);
});

test('oidcc-server-client-secret-post: the exchange with client_secret_post', async () => {
  const { code } = await getCode(admin, client);
  const res = await exchange(srv, client, code, {}, { auth: 'post' });
  assert.equal(res.status, 200, res.ctx);
});

test('oidcc-unsigned-request-object-supported-correctly: an alg=none request object is processed', async () => {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const state = randomState(), nonce = randomState();
  const obj = `${enc({ alg: 'none' })}.${enc({ client_id: client.id, response_type: 'code', scope: 'openid profile', state, nonce, redirect_uri: CALLBACK })}.`;
  const res = await finishInteraction(admin, await admin.get(`/authorize?${new URLSearchParams({ client_id: client.id, response_type: 'code', scope: 'openid', request: obj })}`));
  const r = redirectOf(res);
  assert.equal(r.params.state, state, 'the state inside the request object is used');
  assert.equal(r.params.scope, 'openid profile');
  const tok = await exchange(srv, client, r.params.code);
  assert.equal(jwtClaims(tok.json.id_token).nonce, nonce);
});

test('oidcc-ensure-request-object-with-redirect-uri: the redirect_uri inside the request object wins', async () => {
  const other = 'https://rp.example.com/other-callback';
  const c2 = await insertClient(srv, { callbackURLs: [CALLBACK, other] });
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const state = randomState();
  const obj = `${enc({ alg: 'none' })}.${enc({ redirect_uri: other, state })}.`;
  const res = await finishInteraction(admin, await admin.get(`/authorize?${authorizeQuery(c2, { request: obj, state: undefined })}`));
  const r = redirectOf(res);
  assert.ok(r.location.startsWith(other + '?'), r.location);
});

test('a signed request object is refused on our error page (only alg none is advertised)', async () => {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const obj = `${enc({ alg: 'RS256' })}.${enc({ state: randomState() })}.${enc({ sig: 1 })}`;
  const r = redirectOf(await authorize(admin, client, { request: obj }));
  assert.ok(r.location.startsWith('/interaction/error?'), r.location);
});

test('oidcc-claims-essential: a claims parameter is accepted and name is in userinfo', async () => {
  const { tokens } = await login(admin, client, { scope: 'openid profile', claims: JSON.stringify({ userinfo: { name: { essential: true } } }) });
  const ui = await userinfo(tokens.access_token);
  assert.equal(ui.json.name, 'Tim Cook');
});

test('oidcc-refresh-token: no-store, bearer, a new refresh token, an ID token with same iss/sub/aud/auth_time and a newer iat; another client cannot use it', async () => {
  const first = await login(admin, client, { scope: 'openid profile offline_access', prompt: 'consent' });
  await sleep(1100);
  const res = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token, scope: 'openid profile' });
  assert.equal(res.status, 200, res.ctx);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.json.token_type.toLowerCase(), 'bearer');
  assert.match(res.json.access_token, /^[A-Za-z0-9._~+/-]+=*$/, 'RFC 6749 A.12 characters');
  assert.ok(res.json.refresh_token && res.json.refresh_token !== first.tokens.refresh_token);
  assert.ok(entropyBits(res.json.refresh_token) >= 96);
  const a = jwtClaims(first.tokens.id_token), b = await checkIdToken(srv, client, res.json.id_token);
  assert.equal(b.iss, a.iss);
  assert.equal(b.sub, a.sub);
  assert.deepEqual(b.aud, a.aud);
  assert.equal(b.auth_time, a.auth_time);
  assert.ok(b.iat > a.iat, 'a newer iat');
  const other = await insertClient(srv);
  const second = await login(admin, other);
  const cross = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: second.tokens.refresh_token });
  assert.equal(cross.status, 400, cross.ctx);
  assert.equal(cross.json.error, 'invalid_grant');
});

test('oidcc-ensure-request-with-valid-pkce-succeeds: S256 with a confidential client', async () => {
  const verifier = crypto.randomBytes(48).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const { code } = await getCode(admin, client, { code_challenge: challenge, code_challenge_method: 'S256' });
  const res = await exchange(srv, client, code, { code_verifier: verifier });
  assert.equal(res.status, 200, res.ctx);
});

/* ---------- Pocket ID parity (reference §2, checklist 49-76) ---------- */

test('a state shorter than 8 characters, or none, is error=invalid_state at the client', async () => {
  for (const state of [undefined, 'short']) {
    const r = redirectOf(await authorize(admin, client, { state }));
    assert.ok(r.location.startsWith(CALLBACK), r.location);
    assert.equal(r.params.error, 'invalid_state');
    assert.equal(r.params.code, undefined);
  }
});

test('prompt=none combined with login is error=invalid_request; an unknown prompt too', async () => {
  for (const prompt of ['none login', 'sometimes']) {
    const r = redirectOf(await authorize(admin, client, { prompt }));
    assert.equal(r.params.error, 'invalid_request', r.location);
  }
});

test('max_age=-1 is error=invalid_request', async () => {
  assert.equal(redirectOf(await authorize(admin, client, { max_age: '-1' })).params.error, 'invalid_request');
});

test('an unknown client_id gets our error page', async () => {
  const r = redirectOf(await authorize(admin, { ...client, id: 'no-such-client' }));
  assert.ok(r.location.startsWith('/interaction/error?'), r.location);
});

test('a missing redirect_uri in an OpenID request gets our error page', async () => {
  const r = redirectOf(await authorize(admin, client, { redirect_uri: undefined }));
  assert.ok(r.location.startsWith('/interaction/error?'), r.location);
});

test('not signed in: 302 to /interaction, currentStep authenticate, then the code after signing in', async () => {
  const u = await insertUser(srv);
  const b = new Browser(srv);
  const res = await authorize(b, client);
  const loc = redirectOf(res).location;
  assert.match(loc, /^\/interaction\?interaction=[0-9a-f-]{36}$/);
  const id = loc.split('=')[1];
  const ix = expectStatus(await b.get(`/api/oidc/interactions/${id}`), 200).json;
  assert.equal(ix.currentStep, 'authenticate');
  assert.deepEqual(ix.requiredSteps, ['authenticate']);
  assert.equal(ix.client.id, client.id);
  assert.equal(ix.client.name, 'Conformance RP');
  assert.deepEqual(ix.scopes, ['openid', 'profile', 'email']);
  assert.equal(ix.user, null);
  expectStatus(await b.post(`/api/oidc/interactions/${id}/complete`, { step: 'authenticate' }), 401, 'not_signed_in');
  const signed = await signInAs(srv, admin, u.id);
  b.setCookie('access_token', signed.cookie('access_token'));
  const steps = [];
  const end = await finishInteraction(b, res, { steps });
  assert.deepEqual(steps, ['authenticate', 'consent']);
  assert.ok(redirectOf(end).params.code, end.ctx);
});

test('interaction steps must be completed in order: consent while authenticate is current is 400 validation_failed', async () => {
  const b = new Browser(srv);
  const id = redirectOf(await authorize(b, client)).location.split('=')[1];
  const u = await insertUser(srv);
  b.setCookie('access_token', (await signInAs(srv, admin, u.id)).cookie('access_token'));
  expectStatus(await b.post(`/api/oidc/interactions/${id}/complete`, { step: 'consent' }), 400, 'validation_failed');
});

test('an unknown or expired interaction is 404 not_found; /authorize?interaction=<unknown> shows our error page', async () => {
  expectStatus(await admin.get(`/api/oidc/interactions/${crypto.randomUUID()}`), 404, 'not_found');
  const id = redirectOf(await authorize(new Browser(srv), client)).location.split('=')[1];
  await sql(srv, `UPDATE interaction_sessions SET created_at = created_at - ${process.env.SY_TEST_DB === 'postgres' ? "interval '2 hours'" : '7200'} WHERE id = ${q(id)}`);
  expectStatus(await admin.get(`/api/oidc/interactions/${id}`), 404, 'not_found');
  assert.ok(redirectOf(await admin.get(`/authorize?interaction=${crypto.randomUUID()}`)).location.startsWith('/interaction/error?'));
});

test('a new client asks for consent, records it (audit NEW_CLIENT_AUTHORIZATION), and does not ask again', async () => {
  const { user, browser } = await newUser();
  const c = await insertClient(srv, { name: 'Immich' });
  const steps = [];
  await getCode(browser, c, {}, { steps });
  assert.deepEqual(steps, ['consent']);
  const rows = await sql(srv, `SELECT scope FROM user_authorized_oidc_clients WHERE user_id = ${q(user.id)} AND client_id = ${q(c.id)}`);
  assert.deepEqual(JSON.parse(rows[0][0]).sort(), ['email', 'openid', 'profile']);
  const audit = await sql(srv, `SELECT event FROM audit_logs WHERE user_id = ${q(user.id)} AND event LIKE '%CLIENT_AUTHORIZATION' ORDER BY created_at`);
  assert.deepEqual(audit.map((r) => r[0]), ['NEW_CLIENT_AUTHORIZATION']);
  const again = [];
  await getCode(browser, c, {}, { steps: again });
  assert.deepEqual(again, []);
  const more = [];
  await getCode(browser, c, { scope: 'openid groups' }, { steps: more });
  assert.deepEqual(more, ['consent'], 'a new scope asks again');
});

test('Cancel on the consent screen sends access_denied to the client', async () => {
  const { browser } = await newUser();
  const c = await insertClient(srv);
  const state = randomState();
  const id = redirectOf(await authorize(browser, c, { state })).location.split('=')[1];
  const cancel = expectStatus(await browser.post(`/api/oidc/interactions/${id}/cancel`, {}), 200);
  const r = redirectOf(await browser.get(cancel.json.redirectUrl));
  assert.ok(r.location.startsWith(CALLBACK));
  assert.equal(r.params.error, 'access_denied');
  assert.equal(r.params.state, state);
});

test('skipConsent: no consent step, yet the consent is recorded; prompt=consent still asks', async () => {
  const { user, browser } = await newUser();
  const c = await insertClient(srv, { skipConsent: true });
  const steps = [];
  await getCode(browser, c, {}, { steps });
  assert.deepEqual(steps, []);
  assert.equal((await sql(srv, `SELECT 1 FROM user_authorized_oidc_clients WHERE user_id = ${q(user.id)} AND client_id = ${q(c.id)}`)).length, 1);
  const forced = [];
  await getCode(browser, c, { prompt: 'consent' }, { steps: forced });
  assert.deepEqual(forced, ['consent']);
});

test('prompt=none: unconsented client is consent_required; consented gives a code', async () => {
  const { browser } = await newUser();
  const c = await insertClient(srv);
  assert.equal(redirectOf(await authorize(browser, c, { prompt: 'none' })).params.error, 'consent_required');
  await getCode(browser, c);
  assert.ok(redirectOf(await authorize(browser, c, { prompt: 'none' })).params.code);
});

test('prompt=select_account starts at select_account, and another signed-in user may take over', async () => {
  const { browser } = await newUser();
  const c = await insertClient(srv, { skipConsent: true });
  const res = await authorize(browser, c, { prompt: 'select_account' });
  const id = redirectOf(res).location.split('=')[1];
  const ix = expectStatus(await browser.get(`/api/oidc/interactions/${id}`), 200).json;
  assert.equal(ix.currentStep, 'select_account');
  const other = await newUser();
  browser.setCookie('access_token', other.browser.cookie('access_token'));
  const end = await finishInteraction(browser, res);
  const tok = await exchange(srv, c, redirectOf(end).params.code);
  assert.equal(jwtClaims(tok.json.id_token).sub, other.user.id);
});

test('requiresReauthentication: the reauthenticate step needs a fresh passkey; without it 401 reauthentication_required', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const { credential } = await registerPasskey(b);
  const c = await insertClient(srv, { requiresReauthentication: true, skipConsent: true });
  const res = await authorize(b, c);
  const id = redirectOf(res).location.split('=')[1];
  expectStatus(await b.post(`/api/oidc/interactions/${id}/complete`, { step: 'reauthenticate' }), 401, 'reauthentication_required');
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  expectStatus(await b.post('/api/webauthn/reauthenticate', assertion({ options: start.json, origin: b.origin, credential }).json), 204);
  const done = expectStatus(await b.post(`/api/oidc/interactions/${id}/complete`, { step: 'reauthenticate' }), 200);
  const r = redirectOf(await b.get(done.json.redirectUrl));
  assert.ok(r.params.code);
  const tok = await exchange(srv, c, r.params.code);
  assert.ok(jwtClaims(tok.json.id_token).auth_time >= Math.floor(Date.now() / 1000) - 5, 'auth_time is the reauthentication');
});

test('group-restricted client: a non-member gets our error page; a member gets the code; token refused after removal', async () => {
  const member = await newUser();
  const outsider = await newUser();
  const g = await insertGroup(srv, `devs-${randomState(6)}`, [member.user.id]);
  const c = await insertClient(srv, { groups: [g], skipConsent: true });
  const denied = redirectOf(await authorize(outsider.browser, c));
  assert.equal(denied.location, '/interaction/error?error=You%20are%20not%20allowed%20to%20access%20this%20service.');
  const { tokens } = await login(member.browser, c);
  await sql(srv, `DELETE FROM user_groups_users WHERE user_id = ${q(member.user.id)}`);
  const res = await tokenRequest(srv, c, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  assert.equal(res.status, 403, res.ctx);
  assert.equal(res.json.error, 'access_denied');
  const none = await insertClient(srv, { groups: [], skipConsent: true });
  assert.ok(redirectOf(await authorize(member.browser, none)).location.startsWith('/interaction/error?'), 'no allowed group: nobody');
});

test('response_mode=fragment and form_post carry code, state and iss; form_post has its own CSP', async () => {
  await getCode(admin, client); // consented, whatever ran before
  const state = randomState();
  const frag = redirectOf(await authorize(admin, client, { response_mode: 'fragment', state }), { fragment: true });
  assert.ok(frag.location.startsWith(CALLBACK + '#'), frag.location);
  assert.ok(frag.params.code && frag.params.iss && frag.params.state === state);
  const fp = await authorize(admin, client, { response_mode: 'form_post', state });
  assert.equal(fp.status, 200, fp.ctx);
  assert.match(fp.headers['content-type'], /^text\/html/);
  assert.match(fp.text, new RegExp(`<form method="post" action="${CALLBACK}">`));
  for (const name of ['code', 'state', 'iss']) assert.match(fp.text, new RegExp(`name="${name}" value="[^"]+"`));
  assert.match(fp.headers['content-security-policy'], new RegExp(`form-action ${new URL(CALLBACK).origin};`), 'the callback\'s origin only: a path may hold ; or ,');
  assert.match(fp.text, /<script nonce="[A-Za-z0-9_-]+">/);
  const err = redirectOf(await authorize(admin, client, { response_mode: 'fragment', state: 'short' }), { fragment: true });
  assert.equal(err.params.error, 'invalid_state', 'errors use the response mode too');
});

test('PKCE: a public client without code_challenge is invalid_request; S256 mismatch is invalid_grant; plain works; none auth works', async () => {
  const pub = await insertClient(srv, { isPublic: true, skipConsent: true });
  assert.equal(redirectOf(await authorize(admin, pub)).params.error, 'invalid_request');
  const verifier = crypto.randomBytes(40).toString('base64url');
  const s256 = crypto.createHash('sha256').update(verifier).digest('base64url');
  const { code } = await getCode(admin, pub, { code_challenge: s256, code_challenge_method: 'S256' });
  const bad = await exchange(srv, pub, code, { code_verifier: crypto.randomBytes(40).toString('base64url') }, { auth: 'none' });
  assert.equal(bad.status, 400, bad.ctx);
  assert.equal(bad.json.error, 'invalid_grant');
  const plainVerifier = crypto.randomBytes(40).toString('base64url');
  const p = await getCode(admin, pub, { code_challenge: plainVerifier });
  const ok = await exchange(srv, pub, p.code, { code_verifier: plainVerifier }, { auth: 'none' });
  assert.equal(ok.status, 200, ok.ctx);
  const missing = await getCode(admin, pub, { code_challenge: s256, code_challenge_method: 'S256' });
  assert.equal((await exchange(srv, pub, missing.code, {}, { auth: 'none' })).json.error, 'invalid_grant', 'a verifier is required');
});

test('pkceEnabled on a confidential client requires a code_challenge; a challenge from another client sets pkceSupported', async () => {
  const c = await insertClient(srv, { pkceEnabled: true });
  assert.equal(redirectOf(await authorize(admin, c)).params.error, 'invalid_request');
  const plain = await insertClient(srv);
  const v = crypto.randomBytes(40).toString('base64url');
  await getCode(admin, plain, { code_challenge: crypto.createHash('sha256').update(v).digest('base64url'), code_challenge_method: 'S256' });
  const rows = await sql(srv, `SELECT pkce_supported FROM oidc_clients WHERE id = ${q(plain.id)}`);
  assert.ok(['1', 't'].includes(rows[0][0]), JSON.stringify(rows));
});

test('client authentication: Basic, wrong secret 401 invalid_client with WWW-Authenticate, two methods at once 400', async () => {
  const { code } = await getCode(admin, client);
  const wrong = await exchange(srv, client, code, {}, { secret: 'not-the-secret-at-all' });
  assert.equal(wrong.status, 401, wrong.ctx);
  assert.equal(wrong.json.error, 'invalid_client');
  assert.ok(wrong.headers['www-authenticate']);
  const both = await tokenRequest(srv, client, { grant_type: 'authorization_code', code, client_secret: client.secret });
  assert.equal(both.status, 400, both.ctx);
  const unknown = await tokenRequest(srv, { ...client, id: 'nobody' }, { grant_type: 'client_credentials' });
  assert.equal(unknown.status, 401);
});

test('an expired client secret does not authenticate; another, unexpired one does', async () => {
  const c = await insertClient(srv, { secretExpiresAt: new Date(Date.now() - 60_000).toISOString() });
  const res = await tokenRequest(srv, c, { grant_type: 'client_credentials' });
  assert.equal(res.status, 401, res.ctx);
});

test('the code is bound to its client and redirect_uri', async () => {
  const other = await insertClient(srv);
  const a = await getCode(admin, client);
  const stolen = await exchange(srv, other, a.code);
  assert.equal(stolen.json.error, 'invalid_grant', stolen.ctx);
  const b = await getCode(admin, client);
  const wrongUri = await exchange(srv, client, b.code, { redirect_uri: 'https://rp.example.com/elsewhere' });
  assert.equal(wrongUri.json.error, 'invalid_grant', wrongUri.ctx);
});

test('token endpoint: wrong content type, missing or unknown grant_type', async () => {
  for (const path of ['/api/oidc/token', '/api/oidc/introspect', '/api/oidc/revoke', '/api/oidc/par']) {
    const json = await request(srv.url, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 400, path);
    assert.equal(JSON.parse(json.body).error, 'invalid_request', path);
    assert.equal(json.headers['cache-control'], 'no-store', path);
  }
  assert.equal((await tokenRequest(srv, client, {})).json.error, 'invalid_request');
  assert.equal((await tokenRequest(srv, client, { grant_type: 'password' })).json.error, 'unsupported_grant_type');
});

test('ID token and access token formats (checklist 72, 73)', async () => {
  const g = await insertGroup(srv, 'developers', [adminUser.id]);
  const { tokens, nonce } = await login(admin, client, { scope: 'openid profile email groups' });
  const id = jwtClaims(tokens.id_token);
  assert.equal(id.nonce, nonce);
  assert.equal(id.given_name, 'Tim');
  assert.equal(id.family_name, 'Cook');
  assert.equal(id.name, 'Tim Cook');
  assert.equal(id.preferred_username, 'tim');
  assert.equal(id.email, 'tim@example.com');
  assert.equal(id.email_verified, false);
  assert.deepEqual(id.groups, ['developers']);
  assert.equal(id.picture, `${srv.env.APP_URL}/api/users/${adminUser.id}/profile-picture.png`);
  const h = jwtHeader(tokens.access_token);
  assert.equal(h.typ, 'at+jwt');
  const at = await verifyJwt(srv, tokens.access_token);
  assert.deepEqual(at.aud, [client.id, srv.env.APP_URL]);
  assert.equal(at.client_id, client.id);
  assert.equal(at.scope, 'openid profile email groups');
  assert.deepEqual(at.scp, ['openid', 'profile', 'email', 'groups']);
  assert.equal(at.sub, adminUser.id);
  assert.equal(at.given_name, undefined, 'no profile claims in the access token');
  await sql(srv, `DELETE FROM user_groups WHERE id = ${q(g)}`);
});

test('email claims only when the user has an email; groups are group names', async () => {
  const { user, browser } = await newUser({ email: null });
  const g = await insertGroup(srv, `designers-${randomState(5)}`, [user.id]);
  const { tokens } = await login(browser, client, { scope: 'openid email groups' });
  const ui = await userinfo(tokens.access_token);
  assert.equal(ui.json.email, undefined);
  assert.equal(ui.json.email_verified, undefined);
  const names = await sql(srv, `SELECT name FROM user_groups WHERE id = ${q(g)}`);
  assert.deepEqual(ui.json.groups, [names[0][0]]);
});

test('claims are computed live: a new group shows after a refresh (Pocket ID #987)', async () => {
  const { user, browser } = await newUser();
  const first = await login(browser, client, { scope: 'openid groups' });
  assert.deepEqual(jwtClaims(first.tokens.id_token).groups, []);
  const name = `ops-${randomState(5)}`;
  await insertGroup(srv, name, [user.id]);
  const res = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token });
  assert.deepEqual(jwtClaims(res.json.id_token).groups, [name]);
  assert.deepEqual((await userinfo(res.json.access_token)).json.groups, [name]);
});

test('custom claims: the user\'s wins; the same key from two groups merges into a list (Pocket ID #1273); JSON values are JSON', async () => {
  const { user, browser } = await newUser();
  const g1 = await insertGroup(srv, `a-${randomState(5)}`, [user.id]);
  const g2 = await insertGroup(srv, `b-${randomState(5)}`, [user.id]);
  const now = Math.floor(Date.now() / 1000);
  const t = process.env.SY_TEST_DB === 'postgres' ? `to_timestamp(${now})` : String(now);
  const claim = (owner, col, key, value) => sql(srv, `INSERT INTO custom_claims (id, created_at, key, value, ${col}) VALUES (${q(crypto.randomUUID())}, ${t}, ${q(key)}, ${q(value)}, ${q(owner)})`);
  await claim(g1, 'user_group_id', 'role', 'reader');
  await claim(g2, 'user_group_id', 'role', 'writer');
  await claim(g1, 'user_group_id', 'x', '1');
  await claim(user.id, 'user_id', 'x', 'u');
  await claim(g2, 'user_group_id', 'list', '[1,2]');
  await claim(user.id, 'user_id', 'level', '42');
  const { tokens } = await login(browser, client, { scope: 'openid profile' });
  const ui = (await userinfo(tokens.access_token)).json;
  assert.deepEqual(ui.role, ['reader', 'writer']);
  assert.equal(ui.x, 'u');
  assert.deepEqual(ui.list, [1, 2]);
  assert.equal(ui.level, 42);
  assert.deepEqual(jwtClaims(tokens.id_token).role, ['reader', 'writer']);
});

test('userinfo errors: no token 401 with WWW-Authenticate; a token without openid is 403; a bogus token 401', async () => {
  const none = await userinfo(null);
  assert.equal(none.status, 401);
  assert.match(none.headers['www-authenticate'], /^Bearer /);
  const bogus = await userinfo('eyJhbGciOiJSUzI1NiJ9.e30.c2ln');
  assert.equal(bogus.status, 401);
  const { tokens } = await login(admin, client, { scope: 'profile' });
  assert.equal(tokens.id_token, undefined, 'no ID token without openid');
  const noOpenid = await userinfo(tokens.access_token);
  assert.equal(noOpenid.status, 403, noOpenid.ctx);
  assert.equal(noOpenid.json.error, 'access_denied');
});

test('refresh tokens rotate; reusing a spent one revokes the whole family (RFC 9700 §4.14.2)', async () => {
  const { browser } = await newUser();
  const first = await login(browser, client);
  const second = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token });
  assert.equal(second.status, 200, second.ctx);
  assert.equal((await userinfo(first.tokens.access_token)).status, 401, 'the access token before the refresh stops');
  assert.equal((await userinfo(second.json.access_token)).status, 200);
  const replay = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token });
  assert.equal(replay.status, 400);
  assert.equal(replay.json.error, 'invalid_grant');
  assert.equal((await userinfo(second.json.access_token)).status, 401, 'the family is revoked');
  const third = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: second.json.refresh_token });
  assert.equal(third.status, 400, 'even the newest refresh token');
});

test('refresh: a disabled or deleted user gets invalid_grant; a wider scope is invalid_scope', async () => {
  const { user, browser } = await newUser();
  const { tokens } = await login(browser, client, { scope: 'openid profile' });
  const wider = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'openid profile email' });
  assert.equal(wider.json.error, 'invalid_scope', wider.ctx);
  const again = await login(browser, client);
  await sql(srv, `UPDATE users SET disabled = TRUE WHERE id = ${q(user.id)}`);
  const res = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: again.tokens.refresh_token });
  assert.equal(res.status, 400);
  assert.equal(res.json.error_description, 'The user account is disabled.');
});

test('client_credentials: confidential only, no refresh or ID token, sub client-<id>, empty scope', async () => {
  const res = await tokenRequest(srv, client, { grant_type: 'client_credentials' });
  assert.equal(res.status, 200, res.ctx);
  assert.equal(res.json.refresh_token, undefined);
  assert.equal(res.json.id_token, undefined);
  assert.equal(res.json.scope, '');
  const at = await verifyJwt(srv, res.json.access_token);
  assert.equal(at.sub, `client-${client.id}`);
  assert.deepEqual(at.aud, [client.id]);
  assert.equal((await tokenRequest(srv, client, { grant_type: 'client_credentials', scope: 'openid profile' })).status, 200);
  assert.equal((await tokenRequest(srv, client, { grant_type: 'client_credentials', scope: 'admin:all' })).json.error, 'invalid_scope');
  const pub = await insertClient(srv, { isPublic: true });
  assert.equal((await tokenRequest(srv, pub, { grant_type: 'client_credentials' }, { auth: 'none' })).status, 400);
});

test('introspection (RFC 7662): 401 without credentials; active for own tokens, inactive for others\' and after revocation', async () => {
  const { tokens } = await login(admin, client);
  const introspect = (c, token, headers) => request(srv.url, '/api/oidc/introspect', {
    method: 'POST', body: new URLSearchParams({ token }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(headers || { authorization: `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}` }) },
  }).then((r) => ({ status: r.status, json: JSON.parse(r.body) }));
  assert.equal((await introspect(client, tokens.access_token, {})).status, 401);
  const a = await introspect(client, tokens.access_token);
  assert.equal(a.json.active, true);
  assert.equal(a.json.iss, srv.env.APP_URL);
  assert.equal(a.json.sub, adminUser.id);
  assert.deepEqual(a.json.aud, [client.id, srv.env.APP_URL]);
  assert.equal(a.json.client_id, client.id);
  assert.equal(a.json.scope, 'openid profile email');
  assert.equal((await introspect(client, tokens.refresh_token)).json.active, true);
  const other = await insertClient(srv);
  assert.deepEqual((await introspect(other, tokens.access_token)).json, { active: false });
  const bearer = await introspect(client, tokens.refresh_token, { authorization: `Bearer ${tokens.access_token}` });
  assert.equal(bearer.json.active, true, 'an access token of the client stands for its credentials');
  assert.deepEqual((await introspect(client, 'garbage')).json, { active: false });
});

test('client_credentials tokens are not stored; introspection honours them, revocation and a re-created client of the same id end them', async () => {
  const c = await insertClient(srv);
  const token = (await tokenRequest(srv, c, { grant_type: 'client_credentials' })).json.access_token;
  assert.deepEqual(await sql(srv, `SELECT count(*) FROM oauth2_sessions WHERE client_id = ${q(c.id)}`), [['0']]);
  const introspect = (who, headers) => tokenFormPost('/api/oidc/introspect', who, { token }, headers).then((r) => ({ status: r.status, json: JSON.parse(r.body) }));
  const a = await introspect(c);
  assert.equal(a.json.active, true, JSON.stringify(a.json));
  assert.equal(a.json.sub, `client-${c.id}`);
  assert.equal(a.json.client_id, c.id);
  assert.equal(a.json.scope, '');
  assert.equal(a.json.token_type, 'access_token');
  assert.equal((await introspect(c, { authorization: `Bearer ${token}` })).json.active, true, 'it stands for its client');
  assert.deepEqual((await introspect(await insertClient(srv))).json, { active: false });
  assert.equal((await userinfo(token)).status, 403, 'no user behind it');

  assert.equal((await tokenFormPost('/api/oidc/revoke', await insertClient(srv), { token })).status, 200);
  assert.equal((await introspect(c)).json.active, true, 'another client cannot revoke it');
  assert.equal((await tokenFormPost('/api/oidc/revoke', c, { token })).status, 200);
  assert.deepEqual((await introspect(c)).json, { active: false });
  assert.equal((await introspect(c, { authorization: `Bearer ${token}` })).status, 401);
  assert.equal((await tokenFormPost('/api/oidc/revoke', c, { token })).status, 200, 'revoking twice changes nothing');
  assert.deepEqual(await sql(srv, `SELECT kind, active FROM oauth2_sessions WHERE client_id = ${q(c.id)}`),
    [['access_token', DB_KIND === 'postgres' ? 'f' : '0']], 'one inactive row, until the token expires');

  const d = await insertClient(srv);
  const old = (await tokenRequest(srv, d, { grant_type: 'client_credentials' })).json.access_token;
  await sql(srv, `DELETE FROM oidc_clients WHERE id = ${q(d.id)}`);
  const again = await insertClient(srv, { id: d.id, createdAt: Math.floor(Date.now() / 1000) + 5 });
  const r = await tokenFormPost('/api/oidc/introspect', again, { token: old });
  assert.deepEqual(JSON.parse(r.body), { active: false }, 'a token of the deleted client is not the new one\'s');
  const b = await tokenFormPost('/api/oidc/introspect', again, { token: old }, { authorization: `Bearer ${old}` });
  assert.equal(b.status, 401);
});

test('revocation (RFC 7009): revoking a refresh token ends its family; 200 for unknown tokens and other clients\' tokens', async () => {
  const { tokens } = await login(admin, client);
  const revoke = (c, token) => tokenFormPost('/api/oidc/revoke', c, { token });
  const other = await insertClient(srv);
  assert.equal((await revoke(other, tokens.refresh_token)).status, 200);
  assert.equal((await userinfo(tokens.access_token)).status, 200, 'another client cannot revoke it');
  assert.equal((await revoke(client, 'nonsense')).status, 200);
  assert.equal((await revoke(client, tokens.refresh_token)).status, 200);
  assert.equal((await userinfo(tokens.access_token)).status, 401);
  assert.equal((await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status, 400);
  const second = await login(admin, client);
  assert.equal((await revoke(client, second.tokens.access_token)).status, 200);
  assert.equal((await userinfo(second.tokens.access_token)).status, 401, 'an access token alone');
  assert.equal((await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: second.tokens.refresh_token })).status, 200, 'its refresh token lives on');
  const wrong = await tokenFormPost('/api/oidc/revoke', { ...client, secret: 'wrong-secret-wrong' }, { token: second.tokens.refresh_token });
  assert.equal(wrong.status, 401);
});

function tokenFormPost(path, c, form, headers) {
  return request(srv.url, path, {
    method: 'POST', body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(headers || { authorization: `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}` }) },
  });
}

test('a deleted user\'s tokens stop: userinfo 401, refresh invalid_grant', async () => {
  const { user, browser } = await newUser();
  const { tokens } = await login(browser, client);
  expectStatus(await admin.del(`/api/users/${user.id}`), 204);
  assert.equal((await userinfo(tokens.access_token)).status, 401);
  assert.equal((await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status, 400);
});

test('loopback redirect URIs match on any port (RFC 8252, Pocket ID #1191); others only exactly', async () => {
  const c = await insertClient(srv, { callbackURLs: ['http://127.0.0.1/cb'], skipConsent: true });
  const r = redirectOf(await authorize(admin, { ...c, callback: 'http://127.0.0.1:53211/cb' }));
  assert.ok(r.location.startsWith('http://127.0.0.1:53211/cb?code='), r.location);
});

test('codes are single-use under concurrency: of five parallel exchanges exactly one succeeds', async () => {
  const { code } = await getCode(admin, client);
  const all = await Promise.all([1, 2, 3, 4, 5].map(() => exchange(srv, client, code)));
  assert.equal(all.filter((r) => r.status === 200).length, 1, all.map((r) => r.status).join(' '));
});

test('CORS: the token endpoint answers OPTIONS with Access-Control-Allow-Origin *', async () => {
  const res = await request(srv.url, '/api/oidc/token', { method: 'OPTIONS', headers: { origin: 'https://spa.example.com', 'access-control-request-method': 'POST' } });
  assert.equal(res.status, 204);
  assert.equal(res.headers['access-control-allow-origin'], '*');
});

test('a refresh token Pocket ID issued (fosite row, same ENCRYPTION_KEY) keeps working after a migration', async () => {
  const { ENCRYPTION_KEY } = await import('./harness.mjs');
  // reference §2.3: the global secret is HKDF-SHA256(ENCRYPTION_KEY, info "pocketid/fosite_global_secret");
  // a token is pocket_id_rt_<b64url(32 random)>.<b64url(HMAC-SHA512/256(secret, random))>
  const secret = Buffer.from(crypto.hkdfSync('sha256', ENCRYPTION_KEY, Buffer.alloc(0), 'pocketid/fosite_global_secret', 32));
  const raw = crypto.randomBytes(32);
  const sig = crypto.createHmac('sha512-256', secret).update(raw).digest('base64url');
  const token = `pocket_id_rt_${raw.toString('base64url')}.${sig}`;
  const { user } = await newUser();
  const now = Math.floor(Date.now() / 1000);
  const t = (s) => (process.env.SY_TEST_DB === 'postgres' ? `to_timestamp(${s})` : String(s));
  const data = {
    id: crypto.randomUUID(), requested_at: new Date((now - 600) * 1000).toISOString(), client_id: client.id,
    requested_scope: ['openid', 'profile', 'groups'], granted_scope: ['openid', 'profile', 'groups'],
    form: { redirect_uri: [CALLBACK], scope: ['openid profile groups'] },
    session: { id_token_claims: { auth_time: new Date((now - 600) * 1000).toISOString(), jti: crypto.randomUUID() }, subject: user.id },
    requested_audience: [], granted_audience: [client.id],
  };
  await sql(srv, `INSERT INTO oauth2_sessions (id, created_at, kind, key, request_id, client_id, active, request_data, expires_at)
    VALUES (${q(crypto.randomUUID())}, ${t(now - 600)}, 'refresh_token', ${q(sig)}, ${q(crypto.randomUUID())}, ${q(client.id)}, TRUE, ${q(JSON.stringify(data))}, ${t(now + 86400)})`);
  const res = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: token });
  assert.equal(res.status, 200, res.ctx);
  const id = jwtClaims(res.json.id_token);
  assert.equal(id.sub, user.id);
  assert.equal(id.auth_time, now - 600);
  assert.deepEqual(id.groups, []);
  assert.equal(res.json.scope, 'openid profile groups');
  const forged = `pocket_id_rt_${crypto.randomBytes(32).toString('base64url')}.${sig}`;
  assert.equal((await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: forged })).status, 400, 'the signature must be the HMAC of the token');
});

/* ---------- pushed authorization requests (RFC 9126) ---------- */

function push(c, params, { auth = 'basic', secret = c.secret } = {}) {
  const form = Object.fromEntries(authorizeQuery(c, params));
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${c.id}:${secret}`).toString('base64')}`;
  else if (auth === 'post') form.client_secret = secret;
  return request(srv.url, '/api/oidc/par', { method: 'POST', headers, body: new URLSearchParams(form).toString() })
    .then((r) => ({ ...r, json: tryJson(r.body), ctx: `\n${r.status} ${r.body}` }));
}

test('PAR: 201 with a request_uri and expires_in 90; the flow completes with it; it is single use', async () => {
  const state = randomState(), nonce = randomState();
  const pushed = await push(client, { state, nonce, scope: 'openid profile' });
  assert.equal(pushed.status, 201, pushed.ctx);
  assert.match(pushed.json.request_uri, /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_.-]{40,}$/);
  assert.equal(pushed.json.expires_in, 90);
  const q = new URLSearchParams({ client_id: client.id, request_uri: pushed.json.request_uri });
  const res = await finishInteraction(admin, await admin.get(`/authorize?${q}`));
  const r = redirectOf(res);
  assert.equal(r.params.state, state, 'the state comes from the pushed request');
  assert.equal(r.params.scope, 'openid profile');
  const tok = await exchange(srv, client, r.params.code);
  assert.equal(jwtClaims(tok.json.id_token).nonce, nonce);
  const again = redirectOf(await admin.get(`/authorize?${q}`));
  assert.ok(again.location.startsWith('/interaction/error?'), again.location);
  assert.match(decodeURIComponent(again.location), /Invalid PAR session/);
});

test('PAR: response_mode=form_post is taken from the pushed request', async () => {
  const pushed = await push(client, { response_mode: 'form_post' });
  const res = await finishInteraction(admin, await admin.get(`/authorize?${new URLSearchParams({ client_id: client.id, request_uri: pushed.json.request_uri })}`));
  assert.equal(res.status, 200, res.ctx);
  assert.match(res.text, /name="code"/);
});

test('PAR: no or wrong client credentials 401; a bad redirect_uri 400 at the push; another client cannot use the request_uri', async () => {
  assert.equal((await push(client, {}, { secret: 'wrong-secret-000000' })).status, 401);
  assert.equal((await push(client, {}, { auth: 'none' })).status, 401);
  const bad = await push(client, { redirect_uri: 'https://evil.example.com/cb' });
  assert.equal(bad.status, 400, bad.ctx);
  assert.equal(bad.json.error, 'invalid_request');
  const badState = await push(client, { state: 'short' });
  assert.equal(badState.json.error, 'invalid_state');
  const pushed = await push(client, {});
  const other = await insertClient(srv);
  const r = redirectOf(await admin.get(`/authorize?${new URLSearchParams({ client_id: other.id, request_uri: pushed.json.request_uri })}`));
  assert.ok(r.location.startsWith('/interaction/error?'), r.location);
});

test('PAR: a public client pushes with PKCE and its client_id alone', async () => {
  const pub = await insertClient(srv, { isPublic: true, skipConsent: true });
  const verifier = crypto.randomBytes(40).toString('base64url');
  const pushed = await push(pub, { code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', client_id: pub.id }, { auth: 'none-with-id' });
  assert.equal(pushed.status, 201, pushed.ctx);
  const r = redirectOf(await admin.get(`/authorize?${new URLSearchParams({ client_id: pub.id, request_uri: pushed.json.request_uri })}`));
  assert.equal((await exchange(srv, pub, r.params.code, { code_verifier: verifier }, { auth: 'none' })).status, 200);
});

test('PAR-required client: a plain /authorize gets an error at the callback; through PAR it works', async () => {
  const c = await insertClient(srv, { skipConsent: true });
  await sql(srv, `UPDATE oidc_clients SET requires_pushed_authorization_requests = TRUE WHERE id = ${q(c.id)}`);
  const plain = redirectOf(await authorize(admin, c));
  assert.ok(plain.location.startsWith(CALLBACK), plain.location);
  assert.equal(plain.params.error, 'invalid_request');
  const pushed = await push(c, {});
  const r = redirectOf(await admin.get(`/authorize?${new URLSearchParams({ client_id: c.id, request_uri: pushed.json.request_uri })}`));
  assert.ok(r.params.code, r.location);
});

test('PAR: an expired pushed request is refused', async () => {
  const pushed = await push(client, {});
  const past = process.env.SY_TEST_DB === 'postgres' ? 'to_timestamp(1)' : '1';
  await sql(srv, `UPDATE oauth2_sessions SET expires_at = ${past} WHERE kind = 'par'`);
  const r = redirectOf(await admin.get(`/authorize?${new URLSearchParams({ client_id: client.id, request_uri: pushed.json.request_uri })}`));
  assert.ok(r.location.startsWith('/interaction/error?'), r.location);
});

/* ---------- admin preview (reference §1.6) ---------- */

test('GET /api/oidc/clients/:id/preview/:userId: the ID token, access token and userinfo claims; 403 oidc_access_denied for a user the client refuses', async () => {
  const res = expectStatus(await admin.get(`/api/oidc/clients/${client.id}/preview/${adminUser.id}?scopes=${encodeURIComponent('openid profile email')}`), 200);
  const { idToken, accessToken, userInfo } = res.json;
  assert.equal(idToken.sub, adminUser.id);
  assert.equal(idToken.preferred_username, 'tim');
  assert.deepEqual(idToken.aud, [client.id]);
  assert.equal(idToken.type, 'id-token');
  assert.equal(userInfo.email, 'tim@example.com');
  assert.equal(userInfo.iss, undefined);
  assert.deepEqual(accessToken.aud, [client.id, srv.env.APP_URL]);
  assert.equal(accessToken.scope, 'openid profile email');
  assert.equal(accessToken.given_name, undefined);
  const onlyOpenid = expectStatus(await admin.get(`/api/oidc/clients/${client.id}/preview/${adminUser.id}?scopes=openid`), 200).json;
  assert.equal(onlyOpenid.userInfo.email, undefined);
  const restricted = await insertClient(srv, { groups: [] });
  expectStatus(await admin.get(`/api/oidc/clients/${restricted.id}/preview/${adminUser.id}`), 403, 'oidc_access_denied');
  expectStatus(await admin.get(`/api/oidc/clients/${client.id}/preview/${crypto.randomUUID()}`), 404, 'user_not_found');
  expectStatus(await admin.get(`/api/oidc/clients/nope/preview/${adminUser.id}`), 404);
  const { browser } = await newUser();
  expectStatus(await browser.get(`/api/oidc/clients/${client.id}/preview/${adminUser.id}`), 403, 'forbidden');
});

/* ---------- regressions from the security review ---------- */

test('select_account handing the request to another user asks that user to re-authenticate (requiresReauthentication)', async () => {
  const a = await insertUser(srv);
  const b = await signInAs(srv, admin, a.id);
  const { credential } = await registerPasskey(b);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  expectStatus(await b.post('/api/webauthn/reauthenticate', assertion({ options: start.json, origin: b.origin, credential }).json), 204);
  const c = await insertClient(srv, { requiresReauthentication: true, skipConsent: true });
  const id = redirectOf(await authorize(b, c, { prompt: 'select_account' })).location.split('=')[1];
  const before = expectStatus(await b.get(`/api/oidc/interactions/${id}`), 200).json;
  assert.deepEqual(before.requiredSteps, ['select_account'], 'A\'s own re-authentication counted for A');
  const other = await newUser();
  b.setCookie('access_token', other.browser.cookie('access_token'));
  const after = expectStatus(await b.post(`/api/oidc/interactions/${id}/complete`, { step: 'select_account' }), 200).json;
  assert.equal(after.interaction?.currentStep, 'reauthenticate', JSON.stringify(after));
  expectStatus(await b.post(`/api/oidc/interactions/${id}/complete`, { step: 'reauthenticate' }), 401, 'reauthentication_required');
});

test('a code is not used up by a wrong code_verifier or another client; a refresh token not by another client', async () => {
  const pub = await insertClient(srv, { isPublic: true, skipConsent: true });
  const verifier = crypto.randomBytes(40).toString('base64url');
  const { code } = await getCode(admin, pub, { code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
  assert.equal((await exchange(srv, pub, code, { code_verifier: crypto.randomBytes(40).toString('base64url') }, { auth: 'none' })).json.error, 'invalid_grant');
  assert.equal((await exchange(srv, client, code)).json.error, 'invalid_grant');
  const ok = await exchange(srv, pub, code, { code_verifier: verifier }, { auth: 'none' });
  assert.equal(ok.status, 200, ok.ctx);
  const other = await insertClient(srv);
  for (let i = 0; i < 2; i++) {
    const stolen = await tokenRequest(srv, other, { grant_type: 'refresh_token', refresh_token: ok.json.refresh_token });
    assert.equal(stolen.json.error, 'invalid_grant');
  }
  assert.equal((await userinfo(ok.json.access_token)).status, 200, 'another client replaying it revoked nothing');
  assert.equal((await tokenRequest(srv, pub, { grant_type: 'refresh_token', refresh_token: ok.json.refresh_token }, { auth: 'none' })).status, 200);
});

test('a re-authentication made before a consent step is the code\'s auth_time', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const { credential } = await registerPasskey(b);
  const signedInAt = jwtClaims(b.cookie('access_token')).iat;
  await sleep(2100);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  expectStatus(await b.post('/api/webauthn/reauthenticate', assertion({ options: start.json, origin: b.origin, credential }).json), 204);
  const c = await insertClient(srv);
  const steps = [];
  const { tokens } = await login(b, c, { max_age: '1' }, { steps });
  assert.deepEqual(steps, ['consent']);
  assert.ok(jwtClaims(tokens.id_token).auth_time >= signedInAt + 2, 'the re-authentication, not the sign-in');
});

test('refresh: a narrower scope narrows this refresh\'s tokens only; an unknown scope is invalid_scope', async () => {
  const { browser } = await newUser();
  const first = await login(browser, client, { scope: 'openid profile email' });
  const narrow = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token, scope: 'openid' });
  assert.equal(narrow.json.scope, 'openid', narrow.ctx);
  const again = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: narrow.json.refresh_token });
  assert.equal(again.json.scope, 'openid profile email', 'the refresh token kept the scope granted (RFC 6749 §6)');
  const unknown = await tokenRequest(srv, client, { grant_type: 'refresh_token', refresh_token: again.json.refresh_token, scope: 'openid admin' });
  assert.equal(unknown.json.error, 'invalid_scope', unknown.ctx);
});

test('cancelling someone else\'s sign-in request is refused', async () => {
  const a = await newUser();
  const c = await insertClient(srv);
  const id = redirectOf(await authorize(a.browser, c)).location.split('=')[1];
  const r = redirectOf(await new Browser(srv).get(`/authorize?interaction=${id}&cancel=true`));
  assert.ok(r.location.startsWith('/interaction/error?'), r.location);
  expectStatus(await a.browser.get(`/api/oidc/interactions/${id}`), 200);
});

test('introspection: only real Basic credentials of a confidential client; a disabled user\'s tokens are inactive', async () => {
  const { user, browser } = await newUser();
  const { tokens } = await login(browser, client);
  const post = (headers, form) => request(srv.url, '/api/oidc/introspect', {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString(),
  });
  assert.equal((await post({ authorization: 'X' }, { token: tokens.access_token, client_id: client.id })).status, 401);
  const pub = await insertClient(srv, { isPublic: true });
  assert.equal((await post({ authorization: `Basic ${Buffer.from(`${pub.id}:anything`).toString('base64')}` }, { token: tokens.access_token })).status, 401);
  const basic = { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` };
  assert.equal(JSON.parse((await post(basic, { token: tokens.refresh_token })).body).active, true);
  await sql(srv, `UPDATE users SET disabled = TRUE WHERE id = ${q(user.id)}`);
  assert.deepEqual(JSON.parse((await post(basic, { token: tokens.refresh_token })).body), { active: false });
  assert.deepEqual(JSON.parse((await post(basic, { token: tokens.access_token })).body), { active: false });
});
