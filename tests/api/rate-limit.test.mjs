// Rate limits (issue 3; reference §0.1, checklist 116): token buckets per client IP,
// 429 rate_limited with Retry-After; off in APP_ENV=test and with DISABLE_RATE_LIMITING.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { Browser, expectStatus, setupAdmin } from './client.mjs';

const production = (extra = {}) => startServer({ env: { APP_ENV: 'production', DISABLE_RATE_LIMITING: undefined, ...extra } });

/* n sequential POSTs of an empty assertion; returns the answers. */
async function hammer(b, path, n, json = {}) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await b.post(path, json));
  return out;
}

const summary = (rs) => rs.map((r, i) => `${i + 1}: ${r.status} ${r.text.slice(0, 120)}`).join('\n');

test('production: the 11th rapid POST /api/webauthn/login/finish is 429 rate_limited with Retry-After', async () => {
  const srv = await production();
  const b = new Browser(srv);
  const rs = await hammer(b, '/api/webauthn/login/finish', 11);
  for (const r of rs.slice(0, 10)) assert.notEqual(r.status, 429, `the first 10 (burst) pass\n${summary(rs)}`);
  const last = rs[10];
  expectStatus(last, 429, 'rate_limited');
  const ra = last.headers['retry-after'];
  assert.match(ra || '', /^\d+$/, `Retry-After in seconds${last.ctx}`);
  assert.ok(Number(ra) >= 1 && Number(ra) <= 5, `one token per 5 s: Retry-After 1..5${last.ctx}`);
  // still limited on the next call
  expectStatus(await b.post('/api/webauthn/login/finish', {}), 429, 'rate_limited');
});

test('production: the login/finish limit does not touch other routes', async () => {
  const srv = await production();
  const b = new Browser(srv);
  await hammer(b, '/api/webauthn/login/finish', 12);
  expectStatus(await b.get('/api/webauthn/login/start'), 200);
  expectStatus(await b.get('/api/signup/setup'), 204);
});

test('production with DISABLE_RATE_LIMITING=true: nothing is limited', async () => {
  const srv = await production({ DISABLE_RATE_LIMITING: 'true' });
  const rs = await hammer(new Browser(srv), '/api/webauthn/login/finish', 15);
  assert.ok(rs.every((r) => r.status !== 429), summary(rs));
});

test('APP_ENV=test (the harness default): nothing is limited', async () => {
  const srv = await startServer();
  const rs = await hammer(new Browser(srv), '/api/webauthn/login/finish', 15);
  assert.ok(rs.every((r) => r.status !== 429), summary(rs));
});

test('production: one client IP\'s limit does not affect another (TRUST_PROXY + X-Forwarded-For)', async () => {
  const srv = await production({ TRUST_PROXY: '127.0.0.1' });
  const one = new Browser(srv, { headers: { 'x-forwarded-for': '203.0.113.1' } });
  const two = new Browser(srv, { headers: { 'x-forwarded-for': '203.0.113.2' } });
  const rs = await hammer(one, '/api/webauthn/login/finish', 11);
  expectStatus(rs[10], 429, 'rate_limited');
  const other = await hammer(two, '/api/webauthn/login/finish', 10);
  assert.ok(other.every((r) => r.status !== 429), `the other address has its own bucket\n${summary(other)}`);
  expectStatus((await hammer(two, '/api/webauthn/login/finish', 1))[0], 429, 'rate_limited');
});

test('production without TRUST_PROXY: X-Forwarded-For does not give a new bucket', async () => {
  const srv = await production();
  const rs = await hammer(new Browser(srv, { headers: { 'x-forwarded-for': '203.0.113.1' } }), '/api/webauthn/login/finish', 10);
  assert.ok(rs.every((r) => r.status !== 429), summary(rs));
  const r = await new Browser(srv, { headers: { 'x-forwarded-for': '203.0.113.2' } }).post('/api/webauthn/login/finish', {});
  expectStatus(r, 429, 'rate_limited');
});

test('production: the 6th rapid POST /api/one-time-access-token/:token is 429', async () => {
  const srv = await production();
  const b = new Browser(srv);
  const rs = [];
  for (let i = 0; i < 6; i++) rs.push(await b.call('POST', '/api/one-time-access-token/zzzzzz'));
  for (const r of rs.slice(0, 5)) expectStatus(r, 401, 'token_invalid_or_expired');
  expectStatus(rs[5], 429, 'rate_limited');
  assert.match(rs[5].headers['retry-after'] || '', /^\d+$/, rs[5].ctx);
});

test('production: the 6th rapid POST /api/webauthn/reauthenticate is 429', async () => {
  const srv = await production();
  const { browser } = await setupAdmin(srv); // an otp session: reauthenticate without a body is refused
  const rs = [];
  for (let i = 0; i < 6; i++) rs.push(await browser.call('POST', '/api/webauthn/reauthenticate'));
  for (const r of rs.slice(0, 5)) assert.notEqual(r.status, 429, summary(rs));
  expectStatus(rs[5], 429, 'rate_limited');
});
