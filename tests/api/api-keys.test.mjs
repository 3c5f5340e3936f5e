// API keys (issue 4; reference §0.2, §1.11, §8.4, checklist 101-103): create (session only),
// list, renew, revoke; X-API-KEY authentication acting as the owner; STATIC_API_KEY.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, insertUser, signInAs, sql, sqlTime, q, listUrl, assertPage, apiKeyClient,
  createApiKey, UUID, RFC3339,
} from './client.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  ({ browser: admin } = await setupAdmin(srv));
});

const TOKEN = /^[a-zA-Z0-9]{32}$/;
const iso = (msFromNow) => new Date(Date.now() + msFromNow).toISOString().replace(/\.\d+Z$/, 'Z');
const DAY = 86400e3;

async function user() {
  const u = await insertUser(srv);
  return { user: u, browser: await signInAs(srv, admin, u.id) };
}

/** Moves a key's expiry to `secs` seconds from now (negative: expired). */
async function setExpiry(id, secs) {
  await sql(srv, `UPDATE api_keys SET expires_at = ${sqlTime(Date.now() / 1000 + secs)} WHERE id = ${q(id)}`);
}

function assertApiKeyDto(k, ctx) {
  assert.deepEqual(Object.keys(k).sort(), ['createdAt', 'description', 'expirationEmailSent', 'expiresAt', 'id', 'lastUsedAt', 'name'], `apiKey keys${ctx}`);
  assert.match(k.id, UUID, ctx);
  assert.match(k.expiresAt, RFC3339, ctx);
  assert.match(k.createdAt, RFC3339, ctx);
  assert.ok(k.lastUsedAt === null || RFC3339.test(k.lastUsedAt), ctx);
  assert.equal(typeof k.expirationEmailSent, 'boolean', ctx);
}

/* ---------- create ---------- */

test('POST /api/api-keys: 201 {apiKey, token}: a 32-character alphanumeric token', async () => {
  const expiresAt = iso(30 * DAY);
  const res = expectStatus(await admin.post('/api/api-keys', { name: 'Terraform', description: 'CI pipeline', expiresAt }), 201);
  assert.deepEqual(Object.keys(res.json).sort(), ['apiKey', 'token'], res.ctx);
  assert.match(res.json.token, TOKEN, res.ctx);
  assertApiKeyDto(res.json.apiKey, res.ctx);
  assert.equal(res.json.apiKey.name, 'Terraform', res.ctx);
  assert.equal(res.json.apiKey.description, 'CI pipeline', res.ctx);
  assert.equal(res.json.apiKey.expiresAt, expiresAt, res.ctx);
  assert.equal(res.json.apiKey.lastUsedAt, null, res.ctx);
  assert.equal(res.json.apiKey.expirationEmailSent, false, res.ctx);
});

test('POST /api/api-keys without a description: description null', async () => {
  const res = expectStatus(await admin.post('/api/api-keys', { name: 'No description', expiresAt: iso(DAY) }), 201);
  assert.equal(res.json.apiKey.description, null, res.ctx);
});

test('the token is shown once: never in the list, stored only as its SHA-256', async () => {
  const { token, apiKey } = await createApiKey(admin, { name: 'shown once' });
  const list = expectStatus(await admin.get(listUrl('/api/api-keys', { limit: 100 })), 200);
  assert.ok(!list.text.includes(token), list.ctx);
  assert.ok(list.json.data.some((k) => k.id === apiKey.id), list.ctx);
  const rows = await sql(srv, `SELECT key FROM api_keys WHERE id = ${q(apiKey.id)}`);
  assert.equal(rows[0][0], crypto.createHash('sha256').update(token).digest('hex'));
});

test('two keys get different tokens', async () => {
  const a = await createApiKey(admin, { name: 'same name' });
  const b = await createApiKey(admin, { name: 'same name' });
  assert.notEqual(a.token, b.token);
  assert.notEqual(a.apiKey.id, b.apiKey.id);
});

for (const [what, body, code] of [
  ['a 2-character name', { name: 'ab', expiresAt: iso(DAY) }, 'validation_failed'],
  ['a 51-character name', { name: 'x'.repeat(51), expiresAt: iso(DAY) }, 'validation_failed'],
  ['no name', { expiresAt: iso(DAY) }, 'validation_failed'],
  ['no expiresAt', { name: 'no expiry' }, 'validation_failed'],
  ['an expiresAt in the past', { name: 'past', expiresAt: iso(-DAY) }, 'invalid_api_key_expiration'],
  ['an expiresAt that is not a time', { name: 'garbage', expiresAt: 'next tuesday' }, undefined],
]) {
  test(`POST /api/api-keys with ${what} is 400`, async () => {
    const res = expectStatus(await admin.post('/api/api-keys', body), 400, code);
    assert.ok(['validation_failed', 'invalid_request_body', 'invalid_api_key_expiration'].includes(res.json?.code), res.ctx);
  });
}

test('POST /api/api-keys with X-API-KEY is 403 api_key_auth_not_allowed', async () => {
  const { token } = await createApiKey(admin);
  const res = expectStatus(await apiKeyClient(srv, token).post('/api/api-keys', { name: 'from a key', expiresAt: iso(DAY) }), 403, 'api_key_auth_not_allowed');
  assert.equal(res.json.error, 'API key authentication is not allowed for this endpoint', res.ctx);
});

test('POST /api/api-keys signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).post('/api/api-keys', { name: 'anon', expiresAt: iso(DAY) }), 401, 'not_signed_in');
});

test('a non-admin may create API keys of its own', async () => {
  const { browser } = await user();
  const { token } = await createApiKey(browser);
  assert.match(token, TOKEN);
});

/* ---------- using a key ---------- */

test('GET /api/users/me with X-API-KEY answers as the owner and sets lastUsedAt', async () => {
  const { user: u, browser } = await user();
  const { token, apiKey } = await createApiKey(browser);
  const res = expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 200);
  assert.equal(res.json.id, u.id, res.ctx);
  const list = expectStatus(await browser.get('/api/api-keys'), 200);
  const k = list.json.data.find((x) => x.id === apiKey.id);
  assert.ok(k && k.lastUsedAt, `lastUsedAt set after use${list.ctx}`);
  assert.ok(Math.abs(Date.parse(k.lastUsedAt) - Date.now()) < 60e3, list.ctx);
});

test('the X-API-KEY header name is case-insensitive', async () => {
  const { token } = await createApiKey(admin);
  expectStatus(await new Browser(srv).get('/api/users/me', { headers: { 'x-api-key': token } }), 200);
  expectStatus(await new Browser(srv).get('/api/users/me', { headers: { 'X-Api-Key': token } }), 200);
});

test('an admin\'s key works on admin routes (GET /api/users)', async () => {
  const { token } = await createApiKey(admin);
  assertPage(await apiKeyClient(srv, token).get('/api/users'));
});

test('a non-admin\'s key on an admin route is 403 forbidden', async () => {
  const { browser } = await user();
  const { token } = await createApiKey(browser);
  expectStatus(await apiKeyClient(srv, token).get('/api/users'), 403, 'forbidden');
});

test('an admin\'s key can create a user (POST /api/users)', async () => {
  const { token } = await createApiKey(admin);
  const username = `viakey${crypto.randomBytes(3).toString('hex')}`;
  const res = expectStatus(await apiKeyClient(srv, token).post('/api/users', { username, email: `${username}@example.com`, firstName: 'Via', lastName: 'Key' }), 201);
  assert.equal(res.json.username, username, res.ctx);
});

test('an unknown key is 401 not_signed_in', async () => {
  const res = await apiKeyClient(srv, 'A'.repeat(32)).get('/api/users/me');
  expectStatus(res, 401);
  assert.ok(['not_signed_in', 'invalid_api_key'].includes(res.json?.code), res.ctx);
});

test('an expired key is 401', async () => {
  const { token, apiKey } = await createApiKey(admin);
  expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 200);
  await setExpiry(apiKey.id, -5);
  const res = expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 401);
  assert.ok(['not_signed_in', 'invalid_api_key'].includes(res.json?.code), res.ctx);
});

test('the key of a disabled user is 403 user_disabled', async () => {
  const { user: u, browser } = await user();
  const { token } = await createApiKey(browser);
  await sql(srv, `UPDATE users SET disabled = TRUE WHERE id = ${q(u.id)}`);
  expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 403, 'user_disabled');
});

test('the key of a deleted user no longer works', async () => {
  const { user: u, browser } = await user();
  const { token } = await createApiKey(browser);
  expectStatus(await admin.del(`/api/users/${u.id}`), 204);
  expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 401);
});

test('a session is used before the key: a valid session and another user\'s key answer as the session', async () => {
  const { user: u, browser } = await user();
  const { token } = await createApiKey(admin);
  const res = expectStatus(await browser.get('/api/users/me', { headers: { 'X-API-KEY': token } }), 200);
  assert.equal(res.json.id, u.id, res.ctx);
});

test('a key cannot start a passkey registration (403 api_key_auth_not_allowed)', async () => {
  const { token } = await createApiKey(admin);
  expectStatus(await apiKeyClient(srv, token).get('/api/webauthn/register/start'), 403, 'api_key_auth_not_allowed');
});

/* ---------- list ---------- */

test('GET /api/api-keys: the envelope with the caller\'s keys only', async () => {
  const a = await user();
  const b = await user();
  const ka = await createApiKey(a.browser, { name: 'key of a' });
  await createApiKey(a.browser, { name: 'key of a, too' });
  const kb = await createApiKey(b.browser, { name: 'key of b' });
  const res = await a.browser.get('/api/api-keys');
  const body = assertPage(res, { totalItems: 2, totalPages: 1, currentPage: 1 });
  for (const k of body.data) assertApiKeyDto(k, res.ctx);
  assert.ok(body.data.some((k) => k.id === ka.apiKey.id), res.ctx);
  assert.ok(!body.data.some((k) => k.id === kb.apiKey.id), res.ctx);
});

test('GET /api/api-keys with X-API-KEY lists the owner\'s keys', async () => {
  const a = await user();
  const { token } = await createApiKey(a.browser);
  assertPage(await apiKeyClient(srv, token).get('/api/api-keys'), { totalItems: 1 });
});

test('GET /api/api-keys: pagination and sort by name', async () => {
  const a = await user();
  for (const name of ['charlie', 'alpha', 'bravo']) await createApiKey(a.browser, { name });
  const p1 = assertPage(await a.browser.get(listUrl('/api/api-keys', { limit: 2, sort: 'name', direction: 'asc' })), { totalItems: 3, totalPages: 2, itemsPerPage: 2 });
  assert.deepEqual(p1.data.map((k) => k.name), ['alpha', 'bravo']);
  const p2 = assertPage(await a.browser.get(listUrl('/api/api-keys', { limit: 2, page: 2, sort: 'name', direction: 'asc' })), { currentPage: 2 });
  assert.deepEqual(p2.data.map((k) => k.name), ['charlie']);
  const desc = assertPage(await a.browser.get(listUrl('/api/api-keys', { sort: 'name', direction: 'desc' })));
  assert.deepEqual(desc.data.map((k) => k.name), ['charlie', 'bravo', 'alpha']);
});

test('GET /api/api-keys without keys: an empty page 1 of 1', async () => {
  const a = await user();
  const b = assertPage(await a.browser.get('/api/api-keys'), { totalItems: 0, totalPages: 1, currentPage: 1 });
  assert.deepEqual(b.data, []);
});

test('GET /api/api-keys signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).get('/api/api-keys'), 401, 'not_signed_in');
});

/* ---------- renew ---------- */

test('renewing a key that has not expired is 409 api_key_not_expired', async () => {
  const { apiKey, token } = await createApiKey(admin);
  const res = expectStatus(await admin.post(`/api/api-keys/${apiKey.id}/renew`, { expiresAt: iso(60 * DAY) }), 409, 'api_key_not_expired');
  assert.equal(res.json.error, 'API key is not expired yet', res.ctx);
  expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 200);
});

test('renewing an expired key: 200 {apiKey, token}; the new token works, the old one does not', async () => {
  const { apiKey, token } = await createApiKey(admin, { name: 'renew me' });
  await setExpiry(apiKey.id, -60);
  const expiresAt = iso(90 * DAY);
  const res = expectStatus(await admin.post(`/api/api-keys/${apiKey.id}/renew`, { expiresAt }), 200);
  assert.deepEqual(Object.keys(res.json).sort(), ['apiKey', 'token'], res.ctx);
  assert.match(res.json.token, TOKEN, res.ctx);
  assert.notEqual(res.json.token, token, res.ctx);
  assertApiKeyDto(res.json.apiKey, res.ctx);
  assert.equal(res.json.apiKey.id, apiKey.id, res.ctx);
  assert.equal(res.json.apiKey.name, 'renew me', res.ctx);
  assert.equal(res.json.apiKey.expiresAt, expiresAt, res.ctx);
  expectStatus(await apiKeyClient(srv, res.json.token).get('/api/users/me'), 200);
  expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 401);
});

test('renewing with an expiresAt in the past is 400 invalid_api_key_expiration', async () => {
  const { apiKey } = await createApiKey(admin);
  await setExpiry(apiKey.id, -60);
  expectStatus(await admin.post(`/api/api-keys/${apiKey.id}/renew`, { expiresAt: iso(-DAY) }), 400, 'invalid_api_key_expiration');
});

test('renewing with X-API-KEY is 403 api_key_auth_not_allowed', async () => {
  const { apiKey, token } = await createApiKey(admin);
  const other = await createApiKey(admin);
  await setExpiry(apiKey.id, -60);
  expectStatus(await apiKeyClient(srv, other.token).post(`/api/api-keys/${apiKey.id}/renew`, { expiresAt: iso(DAY) }), 403, 'api_key_auth_not_allowed');
  expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 401);
});

test('renewing an unknown key is 404 api_key_not_found', async () => {
  const res = expectStatus(await admin.post(`/api/api-keys/${crypto.randomUUID()}/renew`, { expiresAt: iso(DAY) }), 404, 'api_key_not_found');
  assert.equal(res.json.error, 'API key not found', res.ctx);
});

test('renewing another user\'s key is 404 api_key_not_found', async () => {
  const a = await user();
  const { apiKey } = await createApiKey(a.browser);
  await setExpiry(apiKey.id, -60);
  expectStatus(await admin.post(`/api/api-keys/${apiKey.id}/renew`, { expiresAt: iso(DAY) }), 404, 'api_key_not_found');
});

/* ---------- revoke ---------- */

test('DELETE /api/api-keys/:id: 204, the key stops working, a second DELETE is 404 api_key_not_found', async () => {
  const { apiKey, token } = await createApiKey(admin);
  const res = expectStatus(await admin.del(`/api/api-keys/${apiKey.id}`), 204);
  assert.equal(res.body.length, 0, res.ctx);
  expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 401);
  expectStatus(await admin.del(`/api/api-keys/${apiKey.id}`), 404, 'api_key_not_found');
});

test('DELETE /api/api-keys/:id of another user\'s key is 404 api_key_not_found and the key still works', async () => {
  const a = await user();
  const { apiKey, token } = await createApiKey(a.browser);
  expectStatus(await admin.del(`/api/api-keys/${apiKey.id}`), 404, 'api_key_not_found');
  expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 200);
});

test('DELETE /api/api-keys/:id with X-API-KEY is allowed (a key may revoke itself)', async () => {
  const { apiKey, token } = await createApiKey(admin);
  expectStatus(await apiKeyClient(srv, token).del(`/api/api-keys/${apiKey.id}`), 204);
  expectStatus(await apiKeyClient(srv, token).get('/api/users/me'), 401);
});

test('DELETE /api/api-keys/:id signed out is 401 not_signed_in', async () => {
  const { apiKey } = await createApiKey(admin);
  expectStatus(await new Browser(srv).del(`/api/api-keys/${apiKey.id}`), 401, 'not_signed_in');
});

/* ---------- STATIC_API_KEY ---------- */

const STATIC = 'static-api-key-for-the-tests-0123';

test('STATIC_API_KEY: admin routes work with it; GET /api/signup/setup stays 204 on an empty database', async () => {
  const s = await startServer({ env: { STATIC_API_KEY: STATIC } });
  const c = apiKeyClient(s, STATIC);
  expectStatus(await new Browser(s).get('/api/signup/setup'), 204);
  assertPage(await c.get('/api/users'));
  const created = expectStatus(await c.post('/api/user-groups', { friendlyName: 'Made by the static key', name: 'static-made' }), 201);
  assert.equal(created.json.name, 'static-made');
  // the synthetic admin does not count as a user: setup is still available and works
  expectStatus(await new Browser(s).get('/api/signup/setup'), 204);
  const { user: first } = await setupAdmin(s);
  assert.equal(first.isAdmin, true);
  expectStatus(await new Browser(s).get('/api/signup/setup'), 404, 'setup_not_available');
});

test('STATIC_API_KEY: GET /api/users/me answers the synthetic admin', async () => {
  const s = await startServer({ env: { STATIC_API_KEY: STATIC } });
  const res = expectStatus(await apiKeyClient(s, STATIC).get('/api/users/me'), 200);
  assert.equal(res.json.id, '00000000-0000-0000-0000-000000000000', res.ctx);
  assert.equal(res.json.isAdmin, true, res.ctx);
});

test('STATIC_API_KEY: a different key of the same length is 401', async () => {
  const s = await startServer({ env: { STATIC_API_KEY: STATIC } });
  const wrong = STATIC.slice(0, -1) + (STATIC.endsWith('3') ? '4' : '3');
  expectStatus(await apiKeyClient(s, wrong).get('/api/users'), 401);
});

test('STATIC_API_KEY: creating an API key with it is 403 api_key_auth_not_allowed', async () => {
  const s = await startServer({ env: { STATIC_API_KEY: STATIC } });
  expectStatus(await apiKeyClient(s, STATIC).post('/api/api-keys', { name: 'nope', expiresAt: iso(DAY) }), 403, 'api_key_auth_not_allowed');
});

test('without STATIC_API_KEY that value is just an unknown key', async () => {
  expectStatus(await apiKeyClient(srv, STATIC).get('/api/users'), 401);
});
