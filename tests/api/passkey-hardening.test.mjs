// Regression tests from the review of the passkey code: a client-chosen User-Agent that is
// not UTF-8 must not make a sign-in's writes vanish on PostgreSQL (the ceremony would become
// reusable), concurrent sign-ins must never store a lower signature counter, padded
// base64url is accepted as go-webauthn accepts it, IPv6 clients share a bucket per /64,
// and a user's passkeys are capped.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawRequest, parseRaw } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, registerPasskey, loginPasskey, insertUser, signInAs, sql, q,
} from './client.mjs';
import { assertion } from './softauthn.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  ({ browser: admin } = await setupAdmin(srv));
});

async function userWithPasskey() {
  const u = await insertUser(srv);
  const browser = await signInAs(srv, admin, u.id);
  const { res, credential } = await registerPasskey(browser);
  expectStatus(res, 200);
  return { user: u, credential };
}

/* POST login/finish over a raw socket, with the User-Agent bytes given. */
async function finishRaw(cookie, body, userAgent) {
  const head = Buffer.from('POST /api/webauthn/login/finish HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n' +
    'Content-Type: application/json\r\nUser-Agent: ');
  const rest = Buffer.from(`\r\nCookie: session=${cookie}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  return parseRaw((await rawRequest(srv.port, Buffer.concat([head, userAgent, rest]))).text);
}

test('a User-Agent that is not UTF-8: the sign-in is recorded (cleaned) and its ceremony still works once', async () => {
  const { user, credential } = await userWithPasskey();
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const body = JSON.stringify(assertion({ options: start.json, origin: b.origin, credential }).json);
  const ua = Buffer.concat([Buffer.from('Agent/1 '), Buffer.from([0xff, 0xc3]), Buffer.from(' end')]);
  const first = await finishRaw(b.cookie('session'), body, ua);
  assert.equal(first.status, 200, first.body);
  const replay = await finishRaw(b.cookie('session'), body, ua);
  assert.equal(replay.status, 400, `the replay must be refused: ${replay.body}`);
  assert.match(replay.body, /invalid_webauthn_session/);
  const rows = await sql(srv, `SELECT user_agent FROM audit_logs WHERE event = 'SIGN_IN' AND user_id = ${q(user.id)}`);
  assert.deepEqual(rows, [['Agent/1 ?? end']], 'the audit row keeps a cleaned user agent');
});

test('concurrent sign-ins never leave a lower signature counter stored than one accepted', async () => {
  const { user, credential } = await userWithPasskey();
  let base = 10;
  for (let round = 0; round < 8; round++, base += 200) {
    const one = new Browser(srv), two = new Browser(srv);
    const [s1, s2] = [await one.get('/api/webauthn/login/start'), await two.get('/api/webauthn/login/start')];
    const high = assertion({ options: s1.json, origin: one.origin, credential, signCount: base + 100 });
    const low = assertion({ options: s2.json, origin: two.origin, credential, signCount: base + 50 });
    const [r1, r2] = await Promise.all([one.post('/api/webauthn/login/finish', high.json),
      two.post('/api/webauthn/login/finish', low.json)]);
    assert.equal(r1.status, 200, `the higher count is always accepted${r1.ctx}`);
    const stored = Number((await sql(srv, `SELECT sign_count FROM webauthn_credentials WHERE user_id = ${q(user.id)}`))[0][0]);
    assert.equal(stored, base + 100, `round ${round}: stored ${stored} after accepting ${base + 100} (low: ${r2.status})`);
  }
});

test('padded base64url in a sign-in is accepted, as by go-webauthn', async () => {
  const { credential } = await userWithPasskey();
  const b = new Browser(srv);
  const start = expectStatus(await b.get('/api/webauthn/login/start'), 200);
  const a = assertion({ options: start.json, origin: b.origin, credential }).json;
  const pad = (s) => s + '='.repeat((4 - (s.length % 4)) % 4);
  const padded = { ...a, id: pad(a.id), rawId: a.rawId, response: Object.fromEntries(
    Object.entries(a.response).map(([k, v]) => [k, typeof v === 'string' ? pad(v) : v])) };
  expectStatus(await b.post('/api/webauthn/login/finish', padded), 200);
});

test('a user with 100 passkeys cannot start adding another: 400 too_many_passkeys', async () => {
  const u = await insertUser(srv);
  const values = Array.from({ length: 100 }, (_, i) =>
    `('cap-${u.id}-${i}', 0, 'k', X'${(1000 + i).toString(16).padStart(8, '0')}${u.id.replaceAll('-', '')}', X'00', 'none', ${q(u.id)})`);
  // SQLite's X'..' blobs and Unix-second times, rewritten for PostgreSQL
  let stmt = `INSERT INTO webauthn_credentials (id, created_at, name, credential_id, public_key, attestation_type, user_id) VALUES ${values.join(', ')}`;
  if (process.env.SY_TEST_DB === 'postgres')
    stmt = stmt.replace(/X'([0-9a-f]+)'/g, "'\\\\x$1'::bytea").replace(/\('cap-([^']+)', 0,/g, "('cap-$1', to_timestamp(0),");
  await sql(srv, stmt);
  const browser = await signInAs(srv, admin, u.id);
  expectStatus(await browser.get('/api/webauthn/register/start'), 400, 'too_many_passkeys');
});

test('production: IPv6 clients in one /64 share a bucket; another /64 has its own', async () => {
  const p = await startServer({ env: { APP_ENV: 'production', DISABLE_RATE_LIMITING: undefined, TRUST_PROXY: '127.0.0.1' } });
  const from = (ip) => new Browser(p, { headers: { 'x-forwarded-for': ip } });
  for (let i = 0; i < 10; i++) await from(`2001:db8:1:2::${i + 1}`).post('/api/webauthn/login/finish', {});
  expectStatus(await from('2001:db8:1:2:ffff::9').post('/api/webauthn/login/finish', {}), 429, 'rate_limited');
  const other = await from('2001:db8:1:3::1').post('/api/webauthn/login/finish', {});
  assert.notEqual(other.status, 429, other.ctx);
});
