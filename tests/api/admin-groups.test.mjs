// User groups (issue 4; reference §0.1, §1.5, checklist 34-35): list, get, create,
// update, delete and the members of a group.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, insertUser, signInAs, assertUserDto, listUrl, assertPage, UUID, RFC3339,
} from './client.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  ({ browser: admin } = await setupAdmin(srv));
});

let n = 0;
const uniq = (p = 'g') => `${p}${process.pid.toString(36)}${(n++).toString(36)}${crypto.randomBytes(2).toString('hex')}`;

const MINIMAL_KEYS = ['createdAt', 'customClaims', 'friendlyName', 'id', 'ldapId', 'name', 'userCount'];

/** Checks a UserGroupDto (detail: with users and allowedOidcClients). */
function assertGroup(g, ctx, { detail = false } = {}) {
  const c = `${ctx}\n--- group ---\n${JSON.stringify(g)}`;
  for (const k of MINIMAL_KEYS) assert.ok(k in g, `group lacks ${k}${c}`);
  assert.match(g.id, UUID, c);
  assert.equal(typeof g.name, 'string', c);
  assert.equal(typeof g.friendlyName, 'string', c);
  assert.ok(Array.isArray(g.customClaims), c);
  assert.ok(Number.isInteger(g.userCount), c);
  assert.equal(g.ldapId, null, c);
  assert.match(g.createdAt, RFC3339, c);
  if (detail) {
    assert.ok(Array.isArray(g.users), `detail has users${c}`);
    assert.ok(Array.isArray(g.allowedOidcClients), `detail has allowedOidcClients${c}`);
  }
}

async function createGroup(extra = {}) {
  const name = uniq('grp');
  const res = expectStatus(await admin.post('/api/user-groups', { friendlyName: `Group ${name}`, name, ...extra }), 201);
  return res.json;
}

async function newUser() {
  return insertUser(srv);
}

async function nonAdmin() {
  const u = await insertUser(srv);
  return signInAs(srv, admin, u.id);
}

/* ---------- create ---------- */

test('POST /api/user-groups: 201 and the UserGroupDto', async () => {
  const res = expectStatus(await admin.post('/api/user-groups', { friendlyName: 'Human Resources', name: 'hr' }), 201);
  assertGroup(res.json, res.ctx);
  assert.equal(res.json.friendlyName, 'Human Resources', res.ctx);
  assert.equal(res.json.name, 'hr', res.ctx);
  assert.equal(res.json.userCount, 0, res.ctx);
  assert.deepEqual(res.json.customClaims, [], res.ctx);
  const got = expectStatus(await admin.get(`/api/user-groups/${res.json.id}`), 200);
  assertGroup(got.json, got.ctx, { detail: true });
  assert.deepEqual(got.json.users, [], got.ctx);
});

test('POST /api/user-groups with a taken name is 409 already_in_use', async () => {
  const g = await createGroup();
  const res = expectStatus(await admin.post('/api/user-groups', { friendlyName: 'Other', name: g.name }), 409, 'already_in_use');
  assert.match(res.json.error, /already in use/, res.ctx);
});

test('POST /api/user-groups: the same friendly name twice is fine', async () => {
  const g = await createGroup();
  expectStatus(await admin.post('/api/user-groups', { friendlyName: g.friendlyName, name: uniq('other') }), 201);
});

for (const [what, body, field] of [
  ['a one-character friendly name', { friendlyName: 'x', name: 'okname' }, 'friendlyName'],
  ['a 51-character friendly name', { friendlyName: 'x'.repeat(51), name: 'okname' }, 'friendlyName'],
  ['a one-character name', { friendlyName: 'Fine', name: 'x' }, 'name'],
  ['a 256-character name', { friendlyName: 'Fine', name: 'x'.repeat(256) }, 'name'],
  ['no friendly name', { name: 'okname' }, 'friendlyName'],
  ['no name', { friendlyName: 'Fine' }, 'name'],
]) {
  test(`POST /api/user-groups with ${what} is 400 validation_failed`, async () => {
    const res = expectStatus(await admin.post('/api/user-groups', body), 400, 'validation_failed');
    assert.ok(res.json.details?.fields?.some((f) => f.field === field), `field ${field}${res.ctx}`);
  });
}

test('POST /api/user-groups with a text/plain body is 400 invalid_request_body', async () => {
  const res = await admin.call('POST', '/api/user-groups', { body: JSON.stringify({ friendlyName: 'A b', name: uniq() }), headers: { 'content-type': 'text/plain' } });
  expectStatus(res, 400, 'invalid_request_body');
});

test('POST /api/user-groups as a non-admin is 403 forbidden', async () => {
  const b = await nonAdmin();
  expectStatus(await b.post('/api/user-groups', { friendlyName: 'Sneaky', name: uniq() }), 403, 'forbidden');
});

test('POST /api/user-groups signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).post('/api/user-groups', { friendlyName: 'Sneaky', name: uniq() }), 401, 'not_signed_in');
});

/* ---------- read ---------- */

test('GET /api/user-groups/:id of an unknown group is 404 not_found "User group not found"', async () => {
  const res = expectStatus(await admin.get(`/api/user-groups/${crypto.randomUUID()}`), 404, 'not_found');
  assert.equal(res.json.error, 'User group not found', res.ctx);
  assert.deepEqual(res.json.details, { resource: 'User group' }, res.ctx);
});

test('GET /api/user-groups/:id as a non-admin is 403 forbidden', async () => {
  const g = await createGroup();
  const b = await nonAdmin();
  expectStatus(await b.get(`/api/user-groups/${g.id}`), 403, 'forbidden');
});

/* ---------- update ---------- */

test('PUT /api/user-groups/:id changes the name and friendly name', async () => {
  const g = await createGroup();
  const name = uniq('renamed');
  const res = expectStatus(await admin.put(`/api/user-groups/${g.id}`, { friendlyName: 'Renamed group', name }), 200);
  assertGroup(res.json, res.ctx);
  assert.equal(res.json.id, g.id, res.ctx);
  assert.equal(res.json.name, name, res.ctx);
  assert.equal(res.json.friendlyName, 'Renamed group', res.ctx);
  const got = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
  assert.equal(got.json.name, name, got.ctx);
});

test('PUT /api/user-groups/:id keeps the members', async () => {
  const g = await createGroup();
  const u = await newUser();
  expectStatus(await admin.put(`/api/user-groups/${g.id}/users`, { userIds: [u.id] }), 200);
  expectStatus(await admin.put(`/api/user-groups/${g.id}`, { friendlyName: 'Still here', name: g.name }), 200);
  const got = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
  assert.deepEqual(got.json.users.map((x) => x.id), [u.id], got.ctx);
});

test('PUT /api/user-groups/:id with another group\'s name is 409 already_in_use', async () => {
  const g1 = await createGroup();
  const g2 = await createGroup();
  expectStatus(await admin.put(`/api/user-groups/${g2.id}`, { friendlyName: 'Clash', name: g1.name }), 409, 'already_in_use');
});

test('PUT /api/user-groups/:id with a one-character name is 400 validation_failed', async () => {
  const g = await createGroup();
  expectStatus(await admin.put(`/api/user-groups/${g.id}`, { friendlyName: 'Fine', name: 'x' }), 400, 'validation_failed');
});

test('PUT /api/user-groups/:id of an unknown group is 404', async () => {
  const res = expectStatus(await admin.put(`/api/user-groups/${crypto.randomUUID()}`, { friendlyName: 'Nobody', name: uniq() }), 404);
  assert.equal(res.json.code, 'not_found', res.ctx);
});

test('PUT /api/user-groups/:id as a non-admin is 403 forbidden', async () => {
  const g = await createGroup();
  const b = await nonAdmin();
  expectStatus(await b.put(`/api/user-groups/${g.id}`, { friendlyName: 'Hijacked', name: g.name }), 403, 'forbidden');
});

/* ---------- delete ---------- */

test('DELETE /api/user-groups/:id: 204, then GET is 404 and the members lose the group', async () => {
  const g = await createGroup();
  const u = await newUser();
  expectStatus(await admin.put(`/api/user-groups/${g.id}/users`, { userIds: [u.id] }), 200);
  const res = expectStatus(await admin.del(`/api/user-groups/${g.id}`), 204);
  assert.equal(res.body.length, 0, res.ctx);
  expectStatus(await admin.get(`/api/user-groups/${g.id}`), 404, 'not_found');
  const user = expectStatus(await admin.get(`/api/users/${u.id}`), 200);
  assert.deepEqual(user.json.userGroups, [], user.ctx);
});

test('DELETE /api/user-groups/:id of an unknown group is 404', async () => {
  expectStatus(await admin.del(`/api/user-groups/${crypto.randomUUID()}`), 404, 'not_found');
});

test('DELETE /api/user-groups/:id as a non-admin is 403 forbidden', async () => {
  const g = await createGroup();
  const b = await nonAdmin();
  expectStatus(await b.del(`/api/user-groups/${g.id}`), 403, 'forbidden');
  expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
});

/* ---------- members ---------- */

test('PUT /api/user-groups/:id/users replaces the members; the detail lists them as UserDto', async () => {
  const g = await createGroup();
  const a = await newUser();
  const b = await newUser();
  const c = await newUser();
  const res = expectStatus(await admin.put(`/api/user-groups/${g.id}/users`, { userIds: [a.id, b.id] }), 200);
  assertGroup(res.json, res.ctx);
  assert.equal(res.json.userCount, 2, res.ctx);
  let got = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
  assertGroup(got.json, got.ctx, { detail: true });
  assert.equal(got.json.userCount, 2, got.ctx);
  assert.deepEqual(got.json.users.map((u) => u.id).sort(), [a.id, b.id].sort(), got.ctx);
  for (const u of got.json.users) assertUserDto(u, got.ctx);

  expectStatus(await admin.put(`/api/user-groups/${g.id}/users`, { userIds: [c.id] }), 200);
  got = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
  assert.deepEqual(got.json.users.map((u) => u.id), [c.id], got.ctx);
  assert.equal(got.json.userCount, 1, got.ctx);

  // the user side agrees
  const ua = expectStatus(await admin.get(`/api/users/${a.id}`), 200);
  assert.deepEqual(ua.json.userGroups, [], ua.ctx);
  const uc = expectStatus(await admin.get(`/api/users/${c.id}`), 200);
  assert.deepEqual(uc.json.userGroups.map((x) => x.id), [g.id], uc.ctx);
});

test('PUT /api/user-groups/:id/users with [] empties the group', async () => {
  const g = await createGroup();
  const a = await newUser();
  expectStatus(await admin.put(`/api/user-groups/${g.id}/users`, { userIds: [a.id] }), 200);
  const res = expectStatus(await admin.put(`/api/user-groups/${g.id}/users`, { userIds: [] }), 200);
  assert.equal(res.json.userCount, 0, res.ctx);
  const got = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
  assert.deepEqual(got.json.users, [], got.ctx);
});

test('PUT /api/user-groups/:id/users of an unknown group is 404', async () => {
  const a = await newUser();
  expectStatus(await admin.put(`/api/user-groups/${crypto.randomUUID()}/users`, { userIds: [a.id] }), 404, 'not_found');
});

test('PUT /api/user-groups/:id/users as a non-admin is 403 forbidden', async () => {
  const g = await createGroup();
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.put(`/api/user-groups/${g.id}/users`, { userIds: [u.id] }), 403, 'forbidden');
  const got = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
  assert.deepEqual(got.json.users, [], got.ctx);
});

test('a member sees the group in GET /api/users/me', async () => {
  const g = await createGroup();
  const u = await insertUser(srv);
  expectStatus(await admin.put(`/api/user-groups/${g.id}/users`, { userIds: [u.id] }), 200);
  const b = await signInAs(srv, admin, u.id);
  const me = expectStatus(await b.get('/api/users/me'), 200);
  assert.deepEqual(me.json.userGroups.map((x) => x.name), [g.name], me.ctx);
});

test('deleting a member lowers userCount', async () => {
  const g = await createGroup();
  const a = await newUser();
  const b = await newUser();
  expectStatus(await admin.put(`/api/user-groups/${g.id}/users`, { userIds: [a.id, b.id] }), 200);
  expectStatus(await admin.del(`/api/users/${a.id}`), 204);
  const got = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
  assert.equal(got.json.userCount, 1, got.ctx);
  assert.deepEqual(got.json.users.map((u) => u.id), [b.id], got.ctx);
});

/* ---------- the list ---------- */

// A server of its own: groups developers (3 members), designers (1), admins-ops (2), empty-one (0).
let listing;
function listServer() {
  listing ??= (async () => {
    const s = await startServer();
    const { browser } = await setupAdmin(s);
    const users = [];
    for (let i = 0; i < 3; i++) users.push(await insertUser(s));
    const groups = {};
    for (const [name, friendly, members] of [['developers', 'Developers', 3], ['designers', 'Designers', 1], ['admins-ops', 'Ops Admins', 2], ['empty-one', 'Empty', 0]]) {
      const g = expectStatus(await browser.post('/api/user-groups', { friendlyName: friendly, name }), 201).json;
      expectStatus(await browser.put(`/api/user-groups/${g.id}/users`, { userIds: users.slice(0, members).map((u) => u.id) }), 200);
      groups[name] = g;
    }
    return { s, admin: browser, groups, users };
  })();
  return listing;
}

test('GET /api/user-groups: the envelope with UserGroupMinimalDto items and their userCount', async () => {
  const { admin: a } = await listServer();
  const res = await a.get('/api/user-groups');
  const b = assertPage(res, { totalItems: 4, totalPages: 1, currentPage: 1, itemsPerPage: 20 });
  for (const g of b.data) assertGroup(g, res.ctx);
  const counts = Object.fromEntries(b.data.map((g) => [g.name, g.userCount]));
  assert.deepEqual(counts, { developers: 3, designers: 1, 'admins-ops': 2, 'empty-one': 0 }, res.ctx);
});

test('GET /api/user-groups: search on the name', async () => {
  const { admin: a } = await listServer();
  const res = await a.get(listUrl('/api/user-groups', { search: 'de' }));
  const b = assertPage(res, { totalItems: 2 });
  assert.deepEqual(b.data.map((g) => g.name).sort(), ['designers', 'developers'], res.ctx);
});

test('GET /api/user-groups: a search without matches is an empty page 1 of 1', async () => {
  const { admin: a } = await listServer();
  const b = assertPage(await a.get(listUrl('/api/user-groups', { search: 'nothing-like-it' })), { totalItems: 0, totalPages: 1, currentPage: 1 });
  assert.deepEqual(b.data, []);
});

test('GET /api/user-groups: sort[column]=userCount desc and asc', async () => {
  const { admin: a } = await listServer();
  const desc = assertPage(await a.get(listUrl('/api/user-groups', { sort: 'userCount', direction: 'desc' }))).data.map((g) => g.userCount);
  assert.deepEqual(desc, [3, 2, 1, 0]);
  const asc = assertPage(await a.get(listUrl('/api/user-groups', { sort: 'userCount', direction: 'asc' }))).data.map((g) => g.userCount);
  assert.deepEqual(asc, [0, 1, 2, 3]);
});

test('GET /api/user-groups: sort[column]=name asc and friendlyName desc', async () => {
  const { admin: a } = await listServer();
  const names = assertPage(await a.get(listUrl('/api/user-groups', { sort: 'name', direction: 'asc' }))).data.map((g) => g.name);
  assert.deepEqual(names, ['admins-ops', 'designers', 'developers', 'empty-one']);
  const friendly = assertPage(await a.get(listUrl('/api/user-groups', { sort: 'friendlyName', direction: 'desc' }))).data.map((g) => g.friendlyName);
  assert.deepEqual(friendly, ['Ops Admins', 'Empty', 'Developers', 'Designers']);
});

test('GET /api/user-groups: pagination with limit 3: two pages, the second clamped from 9', async () => {
  const { admin: a } = await listServer();
  const p1 = assertPage(await a.get(listUrl('/api/user-groups', { limit: 3, sort: 'name', direction: 'asc' })), { totalPages: 2, totalItems: 4, itemsPerPage: 3 });
  assert.equal(p1.data.length, 3);
  const p9 = assertPage(await a.get(listUrl('/api/user-groups', { limit: 3, page: 9, sort: 'name', direction: 'asc' })), { currentPage: 2, totalPages: 2 });
  assert.deepEqual(p9.data.map((g) => g.name), ['empty-one']);
});

test('GET /api/user-groups as a non-admin is 403 forbidden', async () => {
  const b = await nonAdmin();
  expectStatus(await b.get('/api/user-groups'), 403, 'forbidden');
});

test('GET /api/user-groups signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).get('/api/user-groups'), 401, 'not_signed_in');
});

test('GET /api/user-groups/:id lists the OIDC clients restricted to the group (allowedOidcClients)', async () => {
  const g = await createGroup();
  const fresh = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200).json;
  assert.deepEqual(fresh.allowedOidcClients, []);
  const c = expectStatus(await admin.post('/api/oidc/clients', { name: `Wiki ${uniq()}`, callbackURLs: ['https://wiki.example.com/cb'], isGroupRestricted: true }), 201).json;
  expectStatus(await admin.put(`/api/oidc/clients/${c.id}/allowed-user-groups`, { userGroupIds: [g.id] }), 200);
  const detail = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200).json;
  assertGroup(detail, '', { detail: true });
  assert.deepEqual(detail.allowedOidcClients.map((x) => [x.id, x.name, x.hasLogo]), [[c.id, c.name, false]]);
  expectStatus(await admin.del(`/api/oidc/clients/${c.id}`), 204);
  assert.deepEqual(expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200).json.allowedOidcClients, []);
});
