// The audit log (issue 4; reference §1.10, §8.3, checklist 99-100): the own list, the global
// list with its filters, the filter helpers, and what a sign-in records (device, location).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, insertUser, signInAs, registerPasskey, loginPasskey, listUrl, assertPage,
  CHROME_UA, UUID, RFC3339,
} from './client.mjs';

const FIREFOX_WINDOWS_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

let srv, admin, adminUser;
before(async () => {
  srv = await startServer();
  ({ browser: admin, user: adminUser } = await setupAdmin(srv));
});

/**
 * A user that signed in with a login code, registered a passkey and then signed in with it
 * from a browser sending `ua`. Returns {user, browser (the passkey session), credential}.
 */
async function passkeyUser(ua = CHROME_UA) {
  const u = await insertUser(srv);
  const first = await signInAs(srv, admin, u.id);
  const { res, credential } = await registerPasskey(first);
  expectStatus(res, 200);
  const b = new Browser(srv, { headers: { 'user-agent': ua } });
  const { res: login } = await loginPasskey(b, credential);
  expectStatus(login, 200);
  return { user: u, browser: b, credential };
}

function assertAuditDto(e, ctx) {
  const c = `${ctx}\n--- entry ---\n${JSON.stringify(e)}`;
  for (const k of ['id', 'createdAt', 'event', 'ipAddress', 'country', 'city', 'device', 'userID', 'data']) assert.ok(k in e, `entry lacks ${k}${c}`);
  assert.match(e.id, UUID, c);
  assert.match(e.createdAt, RFC3339, c);
  assert.equal(typeof e.event, 'string', c);
  assert.equal(typeof e.data, 'object', c);
  assert.ok(e.data !== null && !Array.isArray(e.data), c);
}

/* ---------- own list ---------- */

test('after a passkey sign-in GET /api/audit-logs has SIGN_IN with device, IP, "Internal Network" and "LAN"', async () => {
  const { user, browser } = await passkeyUser();
  const res = await browser.get('/api/audit-logs');
  const b = assertPage(res);
  for (const e of b.data) assertAuditDto(e, res.ctx);
  const e = b.data.find((x) => x.event === 'SIGN_IN');
  assert.ok(e, `a SIGN_IN entry${res.ctx}`);
  assert.equal(e.userID, user.id, res.ctx);
  assert.equal(e.ipAddress, '127.0.0.1', res.ctx);
  assert.equal(e.country, 'Internal Network', res.ctx);
  assert.equal(e.city, 'LAN', res.ctx);
  assert.match(e.device, /^Chrome on macOS/, res.ctx);
  assert.ok(Math.abs(Date.parse(e.createdAt) - Date.now()) < 120e3, res.ctx);
});

test('the device string names another browser and system', async () => {
  const { browser } = await passkeyUser(FIREFOX_WINDOWS_UA);
  const res = await browser.get(listUrl('/api/audit-logs', { filters: { event: 'SIGN_IN' } }));
  const b = assertPage(res, { totalItems: 1 });
  assert.match(b.data[0].device, /^Firefox on Windows/, res.ctx);
});

test('the own list has the login code sign-in (TOKEN_SIGN_IN) and the new passkey (PASSKEY_ADDED)', async () => {
  const { browser } = await passkeyUser();
  const res = await browser.get(listUrl('/api/audit-logs', { limit: 100 }));
  const b = assertPage(res);
  const events = b.data.map((e) => e.event);
  assert.ok(events.includes('TOKEN_SIGN_IN'), res.ctx);
  const added = b.data.find((e) => e.event === 'PASSKEY_ADDED');
  assert.ok(added, res.ctx);
  assert.equal(typeof added.data.passkeyName, 'string', res.ctx);
  assert.match(added.data.credentialID, /^[0-9a-f]+$/, res.ctx);
});

test('the own list holds only the caller\'s entries', async () => {
  const a = await passkeyUser();
  const b = await passkeyUser();
  const res = await a.browser.get(listUrl('/api/audit-logs', { limit: 100 }));
  const page = assertPage(res);
  assert.ok(page.data.length >= 3, res.ctx);
  assert.ok(page.data.every((e) => e.userID === a.user.id), res.ctx);
  assert.ok(!page.data.some((e) => e.userID === b.user.id), res.ctx);
});

test('the own list: filters[event]', async () => {
  const { browser } = await passkeyUser();
  const res = await browser.get(listUrl('/api/audit-logs', { filters: { event: 'PASSKEY_ADDED' } }));
  const b = assertPage(res, { totalItems: 1 });
  assert.equal(b.data[0].event, 'PASSKEY_ADDED', res.ctx);
  assertPage(await browser.get(listUrl('/api/audit-logs', { filters: { event: 'NO_SUCH_EVENT' } })), { totalItems: 0, totalPages: 1 });
});

test('the own list: sort by createdAt desc and pagination', async () => {
  const { browser, credential } = await passkeyUser();
  for (let i = 0; i < 2; i++) expectStatus((await loginPasskey(new Browser(srv, { headers: { 'user-agent': CHROME_UA } }), credential)).res, 200);
  const all = assertPage(await browser.get(listUrl('/api/audit-logs', { sort: 'createdAt', direction: 'desc', limit: 100 })));
  const times = all.data.map((e) => Date.parse(e.createdAt));
  for (let i = 1; i < times.length; i++) assert.ok(times[i - 1] >= times[i], JSON.stringify(all.data.map((e) => e.createdAt)));
  const total = all.pagination.totalItems;
  assert.ok(total >= 5, JSON.stringify(all.pagination));
  const p = assertPage(await browser.get(listUrl('/api/audit-logs', { limit: 2, page: 2 })), { currentPage: 2, itemsPerPage: 2, totalItems: total, totalPages: Math.ceil(total / 2) });
  assert.equal(p.data.length, 2);
});

test('GET /api/audit-logs signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).get('/api/audit-logs'), 401, 'not_signed_in');
});

/* ---------- global list ---------- */

test('GET /api/audit-logs/all: every user\'s entries, with username', async () => {
  const a = await passkeyUser();
  const res = await admin.get(listUrl('/api/audit-logs/all', { limit: 100, sort: 'createdAt', direction: 'desc' }));
  const b = assertPage(res);
  for (const e of b.data) assertAuditDto(e, res.ctx);
  const mine = b.data.filter((e) => e.userID === a.user.id);
  assert.ok(mine.length >= 3, res.ctx);
  assert.ok(mine.every((e) => e.username === a.user.username), res.ctx);
});

test('GET /api/audit-logs/all: filters[userID]', async () => {
  const a = await passkeyUser();
  await passkeyUser();
  const res = await admin.get(listUrl('/api/audit-logs/all', { filters: { userID: a.user.id }, limit: 100 }));
  const b = assertPage(res, { totalItems: 3 }); // TOKEN_SIGN_IN, PASSKEY_ADDED, SIGN_IN
  assert.ok(b.data.every((e) => e.userID === a.user.id), res.ctx);
  assert.deepEqual(b.data.map((e) => e.event).sort(), ['PASSKEY_ADDED', 'SIGN_IN', 'TOKEN_SIGN_IN'], res.ctx);
});

test('GET /api/audit-logs/all: filters[event]=SIGN_IN', async () => {
  await passkeyUser();
  const res = await admin.get(listUrl('/api/audit-logs/all', { filters: { event: 'SIGN_IN' }, limit: 100 }));
  const b = assertPage(res);
  assert.ok(b.data.length >= 1, res.ctx);
  assert.ok(b.data.every((e) => e.event === 'SIGN_IN'), res.ctx);
});

test('GET /api/audit-logs/all: filters[event] and filters[userID] combine', async () => {
  const a = await passkeyUser();
  const res = await admin.get(listUrl('/api/audit-logs/all', { filters: { event: 'SIGN_IN', userID: a.user.id } }));
  const b = assertPage(res, { totalItems: 1 });
  assert.equal(b.data[0].userID, a.user.id, res.ctx);
});

test('GET /api/audit-logs/all: filters[location]=internal has the loopback entries, external none', async () => {
  const a = await passkeyUser();
  const internal = assertPage(await admin.get(listUrl('/api/audit-logs/all', { filters: { location: 'internal', userID: a.user.id } })), { totalItems: 3 });
  assert.ok(internal.data.every((e) => e.country === 'Internal Network'));
  assertPage(await admin.get(listUrl('/api/audit-logs/all', { filters: { location: 'external' } })), { totalItems: 0, totalPages: 1 });
});

test('GET /api/audit-logs/all: filters[clientName] with no OIDC sign-ins is empty', async () => {
  await passkeyUser();
  assertPage(await admin.get(listUrl('/api/audit-logs/all', { filters: { clientName: 'Nextcloud' } })), { totalItems: 0, totalPages: 1, currentPage: 1 });
});

test('GET /api/audit-logs/all as a non-admin is 403 forbidden', async () => {
  const { browser } = await passkeyUser();
  expectStatus(await browser.get('/api/audit-logs/all'), 403, 'forbidden');
});

test('GET /api/audit-logs/all signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).get('/api/audit-logs/all'), 401, 'not_signed_in');
});

/* ---------- filter helpers ---------- */

test('GET /api/audit-logs/filters/users: {userId: username} of the users having entries', async () => {
  const a = await passkeyUser();
  const quiet = await insertUser(srv);
  const res = expectStatus(await admin.get('/api/audit-logs/filters/users'), 200);
  assert.equal(typeof res.json, 'object', res.ctx);
  assert.ok(!Array.isArray(res.json), res.ctx);
  assert.equal(res.json[a.user.id], a.user.username, res.ctx);
  assert.equal(res.json[quiet.id], undefined, `a user without entries is not listed${res.ctx}`);
  for (const [id, name] of Object.entries(res.json)) {
    assert.match(id, UUID, res.ctx);
    assert.equal(typeof name, 'string', res.ctx);
  }
});

test('GET /api/audit-logs/filters/client-names: a list of names (none without OIDC sign-ins)', async () => {
  const res = expectStatus(await admin.get('/api/audit-logs/filters/client-names'), 200);
  assert.deepEqual(res.json, [], res.ctx);
});

test('GET /api/audit-logs/filters/users as a non-admin is 403 forbidden', async () => {
  const { browser } = await passkeyUser();
  expectStatus(await browser.get('/api/audit-logs/filters/users'), 403, 'forbidden');
});

test('GET /api/audit-logs/filters/client-names as a non-admin is 403 forbidden', async () => {
  const { browser } = await passkeyUser();
  expectStatus(await browser.get('/api/audit-logs/filters/client-names'), 403, 'forbidden');
});

/* ---------- what is and is not recorded ---------- */

test('initial setup and admin-created users are not logged', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  const username = `made${crypto.randomBytes(3).toString('hex')}`;
  expectStatus(await a.post('/api/users', { username, email: `${username}@example.com`, firstName: 'Made', lastName: 'ByAdmin' }), 201);
  assertPage(await a.get('/api/audit-logs/all'), { totalItems: 0, totalPages: 1 });
});

test('a removed passkey is PASSKEY_REMOVED in the owner\'s log', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const { res } = await registerPasskey(b);
  expectStatus(res, 200);
  expectStatus(await b.del(`/api/webauthn/credentials/${res.json.id}`), 204);
  const logs = assertPage(await b.get(listUrl('/api/audit-logs', { filters: { event: 'PASSKEY_REMOVED' } })), { totalItems: 1 });
  assert.equal(logs.data[0].data.passkeyName, res.json.name);
});

test('the admin\'s own log lists only the admin\'s entries', async () => {
  await passkeyUser();
  const res = await admin.get(listUrl('/api/audit-logs', { limit: 100 }));
  const b = assertPage(res);
  assert.ok(b.data.every((e) => e.userID === adminUser.id), res.ctx);
});
