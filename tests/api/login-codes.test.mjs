// Login codes (one-time access tokens; issue 3; reference §1.4, §1.13, §4.3, §8.5,
// checklist 104, 120): admin issue, exchange, expiry, normalisation and the CLI.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runOnce, show } from './harness.mjs';
import { Browser, expectStatus, setupAdmin, insertUser, signInAs, assertUserDto, jwtClaims, sql, sqlTime, loginCode } from './client.mjs';

let srv, admin, adminUser;
before(async () => {
  srv = await startServer();
  ({ browser: admin, user: adminUser } = await setupAdmin(srv));
});

const ALPHABET = /^[abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ0123456789]+$/;

async function issue(userId, body) {
  return admin.post(`/api/users/${userId}/one-time-access-token`, body);
}

/* ---------- issuing ---------- */

test('ttl "12h": 201 and a 12-character code', async () => {
  const u = await insertUser(srv);
  const res = expectStatus(await issue(u.id, { ttl: '12h' }), 201);
  assert.equal(typeof res.json.token, 'string', res.ctx);
  assert.equal(res.json.token.length, 12, res.ctx);
  assert.match(res.json.token, ALPHABET, res.ctx);
});

test('ttl "15m": a 6-character code', async () => {
  const u = await insertUser(srv);
  const res = expectStatus(await issue(u.id, { ttl: '15m' }), 201);
  assert.equal(res.json.token.length, 6, res.ctx);
  assert.match(res.json.token, ALPHABET, res.ctx);
});

test('no ttl (default 15 min): a 6-character code', async () => {
  const u = await insertUser(srv);
  const res = expectStatus(await issue(u.id, {}), 201);
  assert.equal(res.json.token.length, 6, res.ctx);
});

test('ttl in seconds: 900 gives 6 characters, 901 and 3600 give 12', async () => {
  const u = await insertUser(srv);
  assert.equal(expectStatus(await issue(u.id, { ttl: 900 }), 201).json.token.length, 6);
  assert.equal(expectStatus(await issue(u.id, { ttl: 901 }), 201).json.token.length, 12);
  assert.equal(expectStatus(await issue(u.id, { ttl: 3600 }), 201).json.token.length, 12);
});

test('ttl "1h": a 12-character code; codes differ', async () => {
  const u = await insertUser(srv);
  const a = expectStatus(await issue(u.id, { ttl: '1h' }), 201).json.token;
  const b = expectStatus(await issue(u.id, { ttl: '1h' }), 201).json.token;
  assert.equal(a.length, 12);
  assert.notEqual(a, b);
});

test('ttl of 31 days is accepted', async () => {
  const u = await insertUser(srv);
  expectStatus(await issue(u.id, { ttl: '744h' }), 201);
});

test('ttl over 31 days is 400', async () => {
  const u = await insertUser(srv);
  const res = await issue(u.id, { ttl: '745h' });
  assert.equal(res.status, 400, res.ctx);
  assert.equal(res.json.code, 'validation_failed', res.ctx);
});

test('ttl over 31 days in seconds is 400', async () => {
  const u = await insertUser(srv);
  const res = await issue(u.id, { ttl: 31 * 86400 + 1 });
  assert.equal(res.status, 400, res.ctx);
});

test('a ttl that is not a duration is 400', async () => {
  const u = await insertUser(srv);
  const res = await issue(u.id, { ttl: 'soon' });
  assert.equal(res.status, 400, res.ctx);
});

test('a non-admin issuing a code is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const res = expectStatus(await b.post(`/api/users/${u.id}/one-time-access-token`, { ttl: '1h' }), 403, 'forbidden');
  assert.equal(res.json.error, "You don't have permission to perform this action", res.ctx);
  expectStatus(await b.post(`/api/users/${adminUser.id}/one-time-access-token`, {}), 403, 'forbidden');
});

test('issuing a code signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).post(`/api/users/${adminUser.id}/one-time-access-token`, {}), 401, 'not_signed_in');
});

test('issuing a code for an unknown user is 404', async () => {
  const res = await issue('00000000-0000-4000-8000-000000000000', { ttl: '1h' });
  assert.equal(res.status, 404, res.ctx);
});

test('admin rights are read from the database, not the session JWT: a demoted admin is 403', async () => {
  const u = await insertUser(srv, { isAdmin: true });
  const b = await signInAs(srv, admin, u.id);
  assert.equal(jwtClaims(b.cookie('access_token')).isAdmin, true);
  expectStatus(await b.post(`/api/users/${u.id}/one-time-access-token`, {}), 201);
  await sql(srv, `UPDATE users SET is_admin = FALSE WHERE id = '${u.id}'`);
  expectStatus(await b.post(`/api/users/${u.id}/one-time-access-token`, {}), 403, 'forbidden');
});

test('admin rights are read from the database: a promoted user may issue codes at once', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.post(`/api/users/${u.id}/one-time-access-token`, {}), 403, 'forbidden');
  await sql(srv, `UPDATE users SET is_admin = TRUE WHERE id = '${u.id}'`);
  expectStatus(await b.post(`/api/users/${u.id}/one-time-access-token`, {}), 201);
});

/* ---------- exchanging ---------- */

test('exchange: 200 UserDto and a session with amr ["otp"]', async () => {
  const u = await insertUser(srv);
  const token = await loginCode(admin, u.id, '12h');
  const b = new Browser(srv);
  const res = expectStatus(await b.call('POST', `/api/one-time-access-token/${token}`), 200);
  assertUserDto(res.json, res.ctx);
  assert.equal(res.json.id, u.id, res.ctx);
  const c = res.setCookies.access_token;
  assert.ok(c, res.ctx);
  assert.equal(c.attrs['max-age'], '3600', res.ctx);
  const claims = jwtClaims(c.value);
  assert.deepEqual(claims.amr, ['otp'], JSON.stringify(claims));
  assert.equal(claims.sub, u.id);
  expectStatus(await b.get('/api/users/me'), 200);
});

test('exchange of a 6-character code works', async () => {
  const u = await insertUser(srv);
  const token = await loginCode(admin, u.id);
  assert.equal(token.length, 6);
  expectStatus(await new Browser(srv).call('POST', `/api/one-time-access-token/${token}`), 200);
});

test('exchange: a second use is 401 token_invalid_or_expired', async () => {
  const u = await insertUser(srv);
  const token = await loginCode(admin, u.id, '1h');
  expectStatus(await new Browser(srv).call('POST', `/api/one-time-access-token/${token}`), 200);
  const b = new Browser(srv);
  const res = expectStatus(await b.call('POST', `/api/one-time-access-token/${token}`), 401, 'token_invalid_or_expired');
  assert.equal(b.cookie('access_token'), undefined, res.ctx);
});

test('exchange: concurrent uses of one code give exactly one session', async () => {
  const u = await insertUser(srv);
  const token = await loginCode(admin, u.id, '1h');
  const results = await Promise.all(Array.from({ length: 5 }, () => new Browser(srv).call('POST', `/api/one-time-access-token/${token}`)));
  const codes = results.map((r) => r.status).sort();
  assert.deepEqual(codes, [200, 401, 401, 401, 401], results.map((r) => `${r.status} ${r.text}`).join('\n'));
});

for (const [what, token] of [['7 characters', 'abcdefg'], ['1 character', 'a'], ['13 characters', 'abcdefghjkmnp'], ['an unknown 6-character code', 'zzzzzz'], ['an unknown 12-character code', 'zzzzzzzzzzzz']]) {
  test(`exchange: ${what} is 401 token_invalid_or_expired`, async () => {
    const b = new Browser(srv);
    expectStatus(await b.call('POST', `/api/one-time-access-token/${token}`), 401, 'token_invalid_or_expired');
    assert.equal(b.cookie('access_token'), undefined);
  });
}

test('exchange: an expired code is 401 token_invalid_or_expired', async () => {
  const u = await insertUser(srv);
  const token = await loginCode(admin, u.id, '1h');
  await sql(srv, `UPDATE one_time_access_tokens SET expires_at = ${sqlTime(Date.now() / 1000 - 5)} WHERE user_id = '${u.id}'`);
  expectStatus(await new Browser(srv).call('POST', `/api/one-time-access-token/${token}`), 401, 'token_invalid_or_expired');
});

test('exchange: a code of a disabled user does not sign in', async () => {
  const u = await insertUser(srv);
  const token = await loginCode(admin, u.id, '1h');
  await sql(srv, `UPDATE users SET disabled = TRUE WHERE id = '${u.id}'`);
  const b = new Browser(srv);
  const res = await b.call('POST', `/api/one-time-access-token/${token}`);
  assert.ok(res.status === 403 || res.status === 401, res.ctx);
  assert.equal(b.cookie('access_token'), undefined, res.ctx);
});

test('exchange: I/i is read as 1 and O/o as 0', async () => {
  const u = await insertUser(srv);
  let token;
  for (let i = 0; i < 60 && !token; i++) {
    const t = await loginCode(admin, u.id, '1h');
    if (/[01]/.test(t)) token = t;
  }
  assert.ok(token, 'no code with a 0 or 1 in 60 tries');
  let n = 0;
  const typed = token.replace(/[01]/g, (d) => (d === '1' ? 'Ii'[n++ % 2] : 'Oo'[n++ % 2]));
  assert.notEqual(typed, token);
  const res = expectStatus(await new Browser(srv).call('POST', `/api/one-time-access-token/${typed}`), 200);
  assert.equal(res.json.id, u.id, res.ctx);
});

test('exchange: codes are case-sensitive otherwise', async () => {
  const u = await insertUser(srv);
  let token;
  for (let i = 0; i < 20 && !token; i++) {
    const t = await loginCode(admin, u.id, '1h');
    if (/[a-hj-km-np-z]/.test(t)) token = t;
  }
  const swapped = token.replace(/[a-hj-km-np-z]/, (ch) => ch.toUpperCase());
  expectStatus(await new Browser(srv).call('POST', `/api/one-time-access-token/${swapped}`), 401, 'token_invalid_or_expired');
  expectStatus(await new Browser(srv).call('POST', `/api/one-time-access-token/${token}`), 200);
});

/* ---------- command line ---------- */

async function cli(arg) {
  return runOnce({ args: ['one-time-access-token', arg], reuse: srv, env: { APP_URL: srv.env.APP_URL } });
}

function linkCode(r) {
  const out = r.stdout;
  const m = new RegExp(`Use the following URL to sign in once: ${srv.env.APP_URL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/lc/([A-Za-z0-9]+)\\s*$`).exec(out);
  assert.ok(m, `no sign-in link${show('stdout', out)}${show('stderr', r.stderr)}`);
  return m[1];
}

test('CLI one-time-access-token <username> prints a /lc/ link whose 12-character code signs in', async () => {
  const r = await cli(adminUser.username);
  assert.equal(r.code, 0, show('stderr', r.stderr) + show('stdout', r.stdout));
  const code = linkCode(r);
  assert.equal(code.length, 12, code);
  assert.match(code, ALPHABET);
  const b = new Browser(srv);
  const res = expectStatus(await b.call('POST', `/api/one-time-access-token/${code}`), 200);
  assert.equal(res.json.id, adminUser.id, res.ctx);
  assert.deepEqual(jwtClaims(b.cookie('access_token')).amr, ['otp']);
  // single use
  expectStatus(await new Browser(srv).call('POST', `/api/one-time-access-token/${code}`), 401, 'token_invalid_or_expired');
});

test('CLI one-time-access-token <email> works too', async () => {
  const u = await insertUser(srv);
  const r = await cli(u.email);
  assert.equal(r.code, 0, show('stderr', r.stderr) + show('stdout', r.stdout));
  const res = expectStatus(await new Browser(srv).call('POST', `/api/one-time-access-token/${linkCode(r)}`), 200);
  assert.equal(res.json.id, u.id, res.ctx);
});

test('CLI one-time-access-token for an unknown user: non-zero exit and a clear message', async () => {
  const r = await cli('nobody-here');
  assert.notEqual(r.code, 0, show('stdout', r.stdout));
  assert.match(r.stderr, /nobody-here|not found|no user|unknown/i, show('stderr', r.stderr));
  assert.doesNotMatch(r.stdout, /\/lc\//, show('stdout', r.stdout));
});

test('CLI one-time-access-token without an argument: non-zero exit', async () => {
  const r = await runOnce({ args: ['one-time-access-token'], reuse: srv, env: { APP_URL: srv.env.APP_URL } });
  assert.notEqual(r.code, 0, show('stdout', r.stdout) + show('stderr', r.stderr));
});
