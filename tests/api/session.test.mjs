// The login session (issue 3; reference §0.2, §3.5, checklist 17-19, 122): the
// access_token cookie, its JWT claims, the Authorization header, logout, and the
// session duration setting.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { Browser, expectStatus, setupAdmin, jwtClaims, jwtHeader, UUID, sql, q, insertUser, signInAs, registerPasskey, loginPasskey } from './client.mjs';

let srv, admin, adminUser, setupRes;
before(async () => {
  srv = await startServer();
  ({ browser: admin, user: adminUser, res: setupRes } = await setupAdmin(srv));
});

function cookieAttrs(c, ctx) {
  assert.equal(c.attrs.path, '/', `Path=/${ctx}`);
  assert.equal(c.attrs.httponly, true, `HttpOnly${ctx}`);
  assert.equal(c.attrs.secure, true, `Secure (always, also for an http APP_URL)${ctx}`);
  assert.equal(String(c.attrs.samesite).toLowerCase(), 'lax', `SameSite=Lax${ctx}`);
  assert.equal(c.attrs.domain, undefined, `no Domain${ctx}`);
}

test('the access_token cookie: Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=3600', () => {
  const c = setupRes.setCookies.access_token;
  assert.ok(c, `no access_token cookie${setupRes.ctx}`);
  cookieAttrs(c, setupRes.ctx);
  assert.equal(c.attrs['max-age'], '3600', setupRes.ctx);
  assert.equal(setupRes.setCookies['__Host-access_token'], undefined, `no __Host- prefix for an http APP_URL${setupRes.ctx}`);
});

test('the session JWT: iss = aud = APP_URL (aud a string), type access-token, isAdmin, amr, 3600 s, jti', () => {
  const jwt = setupRes.setCookies.access_token.value;
  const h = jwtHeader(jwt);
  const c = jwtClaims(jwt);
  const ctx = `\nheader ${JSON.stringify(h)}\nclaims ${JSON.stringify(c)}`;
  assert.ok(h.alg && h.alg !== 'none', ctx);
  assert.ok(h.kid, `kid${ctx}`);
  assert.equal(c.iss, srv.env.APP_URL, ctx);
  assert.equal(c.aud, srv.env.APP_URL, `aud is the string APP_URL${ctx}`);
  assert.equal(typeof c.aud, 'string', ctx);
  assert.equal(c.sub, adminUser.id, ctx);
  assert.equal(c.type, 'access-token', ctx);
  assert.equal(c.isAdmin, true, ctx);
  assert.deepEqual(c.amr, ['otp'], ctx);
  assert.equal(c.exp - c.iat, 3600, ctx);
  assert.ok(Math.abs(c.iat - Date.now() / 1000) < 120, `iat is now${ctx}`);
  assert.match(c.jti, UUID, ctx);
});

test('the session JWT of a non-admin has no isAdmin claim (or false)', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const c = jwtClaims(b.cookie('access_token'));
  assert.ok(c.isAdmin === undefined || c.isAdmin === false, JSON.stringify(c));
  assert.equal(c.sub, u.id, JSON.stringify(c));
});

test('GET /api/users/me with the cookie is the signed-in user', async () => {
  const res = expectStatus(await admin.get('/api/users/me'), 200);
  assert.equal(res.json.id, adminUser.id, res.ctx);
});

test('GET /api/users/me without a session is 401 not_signed_in "You are not signed in"', async () => {
  const res = expectStatus(await new Browser(srv).get('/api/users/me'), 401, 'not_signed_in');
  assert.equal(res.json.error, 'You are not signed in', res.ctx);
});

test('Authorization: Bearer <session jwt> signs in without a cookie', async () => {
  const jwt = admin.cookie('access_token');
  const res = expectStatus(await new Browser(srv).get('/api/users/me', { auth: jwt }), 200);
  assert.equal(res.json.id, adminUser.id, res.ctx);
});

test('Authorization with another scheme word also carries the session JWT', async () => {
  const jwt = admin.cookie('access_token');
  const res = expectStatus(await new Browser(srv).get('/api/users/me', { headers: { authorization: `Token ${jwt}` } }), 200);
  assert.equal(res.json.id, adminUser.id, res.ctx);
});

test('a session JWT with a changed signature is 401 not_signed_in', async () => {
  const jwt = admin.cookie('access_token');
  const [h, p, s] = jwt.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[sig.length >> 1] ^= 0x40;
  const b = new Browser(srv);
  b.setCookie('access_token', `${h}.${p}.${sig.toString('base64url')}`);
  expectStatus(await b.get('/api/users/me'), 401, 'not_signed_in');
});

test('a session JWT with a changed payload is 401 not_signed_in', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const [h, , s] = b.cookie('access_token').split('.');
  const claims = jwtClaims(b.cookie('access_token'));
  claims.sub = adminUser.id; // try to become the admin
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  const x = new Browser(srv);
  x.setCookie('access_token', forged);
  expectStatus(await x.get('/api/users/me'), 401, 'not_signed_in');
  expectStatus(await new Browser(srv).get('/api/users/me', { auth: forged }), 401, 'not_signed_in');
});

test('an unsigned (alg none) session JWT is 401 not_signed_in', async () => {
  const claims = jwtClaims(admin.cookie('access_token'));
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  const b = new Browser(srv);
  b.setCookie('access_token', none);
  expectStatus(await b.get('/api/users/me'), 401, 'not_signed_in');
});

test('a garbage session cookie is 401 not_signed_in', async () => {
  const b = new Browser(srv);
  b.setCookie('access_token', 'not-a-jwt');
  expectStatus(await b.get('/api/users/me'), 401, 'not_signed_in');
});

test('the session of a deleted user is 401 not_signed_in', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.get('/api/users/me'), 200);
  await sql(srv, `DELETE FROM users WHERE id = ${q(u.id)}`);
  expectStatus(await b.get('/api/users/me'), 401, 'not_signed_in');
});

test('the session of a disabled user is 403 user_disabled', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.get('/api/users/me'), 200);
  await sql(srv, `UPDATE users SET disabled = TRUE WHERE id = ${q(u.id)}`);
  expectStatus(await b.get('/api/users/me'), 403, 'user_disabled');
});

test('POST /api/webauthn/logout: 204, the cookie is emptied, and /api/users/me is then 401', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const res = expectStatus(await b.post('/api/webauthn/logout', undefined), 204);
  const c = res.setCookies.access_token;
  assert.ok(c, `logout must overwrite access_token${res.ctx}`);
  assert.equal(c.value, '', res.ctx);
  cookieAttrs(c, res.ctx);
  if (c.attrs['max-age'] !== undefined) assert.ok(Number(c.attrs['max-age']) <= 0, res.ctx);
  assert.equal(b.cookie('access_token'), undefined);
  expectStatus(await b.get('/api/users/me'), 401, 'not_signed_in');
});

test('POST /api/webauthn/logout without a session is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).post('/api/webauthn/logout', undefined), 401, 'not_signed_in');
});

test('a passkey sign-in session: amr ["phr"], Max-Age=3600, exp-iat 3600', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const { res: reg, credential } = await registerPasskey(b);
  expectStatus(reg, 200);
  const fresh = new Browser(srv);
  const { res } = await loginPasskey(fresh, credential);
  expectStatus(res, 200);
  const c = res.setCookies.access_token;
  assert.ok(c, res.ctx);
  cookieAttrs(c, res.ctx);
  assert.equal(c.attrs['max-age'], '3600', res.ctx);
  const claims = jwtClaims(c.value);
  assert.deepEqual(claims.amr, ['phr'], JSON.stringify(claims));
  assert.equal(claims.sub, u.id, JSON.stringify(claims));
  assert.equal(claims.exp - claims.iat, 3600, JSON.stringify(claims));
  assert.ok(claims.isAdmin === undefined || claims.isAdmin === false, JSON.stringify(claims));
});

test('SESSION_DURATION=5 with UI_CONFIG_DISABLED=true: Max-Age=300 and exp-iat = 300', async () => {
  const s = await startServer({ env: { UI_CONFIG_DISABLED: 'true', SESSION_DURATION: '5' } });
  const { res } = await setupAdmin(s);
  const c = res.setCookies.access_token;
  assert.equal(c.attrs['max-age'], '300', res.ctx);
  const claims = jwtClaims(c.value);
  assert.equal(claims.exp - claims.iat, 300, JSON.stringify(claims));
});

test('SESSION_DURATION is ignored without UI_CONFIG_DISABLED (the stored configuration wins): Max-Age=3600', async () => {
  const s = await startServer({ env: { SESSION_DURATION: '5' } });
  const { res } = await setupAdmin(s);
  assert.equal(res.setCookies.access_token.attrs['max-age'], '3600', res.ctx);
});

test('an https APP_URL: cookies __Host-access_token and __Host-session, rpId the host', async () => {
  const s = await startServer({ env: ({ port }) => ({ APP_URL: `https://localhost:${port}` }) });
  const b = new Browser(s);
  const res = expectStatus(await b.post('/api/signup/setup', { username: 'tim', email: 'tim@example.com', firstName: 'Tim', lastName: 'Cook' }), 200);
  const c = res.setCookies['__Host-access_token'];
  assert.ok(c, `__Host-access_token${res.ctx}`);
  assert.equal(res.setCookies.access_token, undefined, res.ctx);
  cookieAttrs(c, res.ctx);
  assert.equal(jwtClaims(c.value).iss, `https://localhost:${s.port}`);
  // the prefixed cookie signs in
  expectStatus(await b.get('/api/users/me'), 200);
  // an unprefixed cookie does not
  const x = new Browser(s);
  x.setCookie('access_token', c.value);
  expectStatus(await x.get('/api/users/me'), 401, 'not_signed_in');

  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  assert.ok(start.setCookies['__Host-session'], `__Host-session${start.ctx}`);
  assert.equal(start.json.rpId, 'localhost', start.ctx);

  // a passkey registered and used against the https origin
  const { res: reg, credential } = await registerPasskey(b);
  expectStatus(reg, 200);
  const fresh = new Browser(s);
  const { res: login } = await loginPasskey(fresh, credential);
  expectStatus(login, 200);
  assert.ok(login.setCookies['__Host-access_token'], login.ctx);

  const re = expectStatus(await fresh.call('POST', '/api/webauthn/reauthenticate'), 204);
  assert.ok(re.setCookies['__Secure-reauthentication_token']?.value, `__Secure-reauthentication_token${re.ctx}`);
  assert.equal(re.setCookies.reauthentication_token, undefined, re.ctx);

  const out = expectStatus(await fresh.post('/api/webauthn/logout', undefined), 204);
  assert.equal(out.setCookies['__Host-access_token']?.value, '', `logout empties __Host-access_token${out.ctx}`);
  expectStatus(await fresh.get('/api/users/me'), 401, 'not_signed_in');
});
