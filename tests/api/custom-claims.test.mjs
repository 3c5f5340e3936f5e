// Custom claims on users and groups (issue 4; reference §1.12, §2.8, checklist 36):
// PUT /api/custom-claims/user/:userId, PUT /api/custom-claims/user-group/:userGroupId,
// GET /api/custom-claims/suggestions.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './harness.mjs';
import { Browser, expectStatus, setupAdmin, insertUser, signInAs } from './client.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  ({ browser: admin } = await setupAdmin(srv));
});

let n = 0;
const uniq = (p = 'g') => `${p}${process.pid.toString(36)}${(n++).toString(36)}${crypto.randomBytes(2).toString('hex')}`;

async function newGroup() {
  const name = uniq('grp');
  return expectStatus(await admin.post('/api/user-groups', { friendlyName: `Group ${name}`, name }), 201).json;
}

const userClaims = (id, body) => admin.put(`/api/custom-claims/user/${id}`, body);
const groupClaims = (id, body) => admin.put(`/api/custom-claims/user-group/${id}`, body);

const sortByKey = (list) => [...list].sort((a, b) => a.key.localeCompare(b.key));

/* ---------- users ---------- */

test('PUT /api/custom-claims/user/:userId: 200 and the list; the user shows them', async () => {
  const u = await insertUser(srv);
  const body = [{ key: 'dept', value: 'it' }, { key: 'floor', value: '3' }];
  const res = expectStatus(await userClaims(u.id, body), 200);
  assert.ok(Array.isArray(res.json), res.ctx);
  assert.deepEqual(sortByKey(res.json), sortByKey(body), res.ctx);
  for (const c of res.json) assert.deepEqual(Object.keys(c).sort(), ['key', 'value'], res.ctx);
  const got = expectStatus(await admin.get(`/api/users/${u.id}`), 200);
  assert.deepEqual(sortByKey(got.json.customClaims), sortByKey(body), got.ctx);
  const b = await signInAs(srv, admin, u.id);
  const me = expectStatus(await b.get('/api/users/me'), 200);
  assert.deepEqual(sortByKey(me.json.customClaims), sortByKey(body), me.ctx);
});

test('PUT /api/custom-claims/user/:userId is a full replace', async () => {
  const u = await insertUser(srv);
  expectStatus(await userClaims(u.id, [{ key: 'a', value: '1' }, { key: 'b', value: '2' }]), 200);
  const res = expectStatus(await userClaims(u.id, [{ key: 'b', value: 'changed' }, { key: 'c', value: '3' }]), 200);
  assert.deepEqual(sortByKey(res.json), [{ key: 'b', value: 'changed' }, { key: 'c', value: '3' }], res.ctx);
  const got = expectStatus(await admin.get(`/api/users/${u.id}`), 200);
  assert.deepEqual(sortByKey(got.json.customClaims), [{ key: 'b', value: 'changed' }, { key: 'c', value: '3' }], got.ctx);
});

test('PUT /api/custom-claims/user/:userId with [] removes every claim', async () => {
  const u = await insertUser(srv);
  expectStatus(await userClaims(u.id, [{ key: 'a', value: '1' }]), 200);
  const res = expectStatus(await userClaims(u.id, []), 200);
  assert.deepEqual(res.json, [], res.ctx);
  assert.deepEqual(expectStatus(await admin.get(`/api/users/${u.id}`), 200).json.customClaims, []);
});

test('PUT /api/custom-claims/user/:userId keeps JSON-looking values as strings', async () => {
  const u = await insertUser(srv);
  const body = [{ key: 'roles', value: '["a","b"]' }, { key: 'obj', value: '{"x":1}' }, { key: 'uni', value: 'Größe ✓' }];
  const res = expectStatus(await userClaims(u.id, body), 200);
  assert.deepEqual(sortByKey(res.json), sortByKey(body), res.ctx);
});

for (const key of ['email', 'sub', 'groups', 'given_name', 'family_name', 'name', 'email_verified', 'preferred_username',
  'display_name', 'type', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'client_id', 'nbf', 'jti']) {
  test(`PUT /api/custom-claims/user/:userId with the reserved key "${key}" is 400 reserved_claim`, async () => {
    const u = await insertUser(srv);
    const res = expectStatus(await userClaims(u.id, [{ key: 'fine', value: 'x' }, { key, value: 'v' }]), 400, 'reserved_claim');
    assert.equal(res.json.error, `Claim ${key} is reserved and can't be used`, res.ctx);
  });
}

test('a refused PUT leaves the previous claims untouched', async () => {
  const u = await insertUser(srv);
  expectStatus(await userClaims(u.id, [{ key: 'keep', value: 'me' }]), 200);
  expectStatus(await userClaims(u.id, [{ key: 'new', value: '1' }, { key: 'sub', value: 'x' }]), 400, 'reserved_claim');
  const got = expectStatus(await admin.get(`/api/users/${u.id}`), 200);
  assert.deepEqual(got.json.customClaims, [{ key: 'keep', value: 'me' }], got.ctx);
});

test('PUT /api/custom-claims/user/:userId with a duplicate key is 400 duplicate_claim', async () => {
  const u = await insertUser(srv);
  const res = expectStatus(await userClaims(u.id, [{ key: 'dept', value: 'it' }, { key: 'dept', value: 'hr' }]), 400, 'duplicate_claim');
  assert.equal(res.json.error, 'Claim dept is already defined', res.ctx);
});

test('PUT /api/custom-claims/user/:userId with an empty key is 400 validation_failed', async () => {
  const u = await insertUser(srv);
  expectStatus(await userClaims(u.id, [{ key: '', value: 'x' }]), 400, 'validation_failed');
});

test('PUT /api/custom-claims/user/:userId without a value is 400 validation_failed', async () => {
  const u = await insertUser(srv);
  expectStatus(await userClaims(u.id, [{ key: 'novalue' }]), 400, 'validation_failed');
});

test('PUT /api/custom-claims/user/:userId with an object instead of a list is 400', async () => {
  const u = await insertUser(srv);
  const res = await userClaims(u.id, { key: 'dept', value: 'it' });
  assert.equal(res.status, 400, res.ctx);
  assert.ok(['invalid_request_body', 'validation_failed'].includes(res.json?.code), res.ctx);
});

test('PUT /api/custom-claims/user/:userId of an unknown user is 404', async () => {
  const res = await userClaims(crypto.randomUUID(), [{ key: 'dept', value: 'it' }]);
  assert.equal(res.status, 404, res.ctx);
});

test('PUT /api/custom-claims/user/:userId as a non-admin is 403 forbidden (also on oneself)', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.put(`/api/custom-claims/user/${u.id}`, [{ key: 'dept', value: 'it' }]), 403, 'forbidden');
});

test('PUT /api/custom-claims/user/:userId signed out is 401 not_signed_in', async () => {
  const u = await insertUser(srv);
  expectStatus(await new Browser(srv).put(`/api/custom-claims/user/${u.id}`, []), 401, 'not_signed_in');
});

/* ---------- groups ---------- */

test('PUT /api/custom-claims/user-group/:userGroupId: 200 and the list; the group shows them', async () => {
  const g = await newGroup();
  const body = [{ key: 'role', value: 'dev' }];
  const res = expectStatus(await groupClaims(g.id, body), 200);
  assert.deepEqual(res.json, body, res.ctx);
  const got = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
  assert.deepEqual(got.json.customClaims, body, got.ctx);
});

test('PUT /api/custom-claims/user-group/:userGroupId is a full replace', async () => {
  const g = await newGroup();
  expectStatus(await groupClaims(g.id, [{ key: 'a', value: '1' }]), 200);
  expectStatus(await groupClaims(g.id, [{ key: 'z', value: '26' }]), 200);
  const got = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
  assert.deepEqual(got.json.customClaims, [{ key: 'z', value: '26' }], got.ctx);
});

test('group claims do not show as the member\'s own customClaims', async () => {
  const g = await newGroup();
  const u = await insertUser(srv);
  expectStatus(await admin.put(`/api/user-groups/${g.id}/users`, { userIds: [u.id] }), 200);
  expectStatus(await groupClaims(g.id, [{ key: 'fromgroup', value: '1' }]), 200);
  const got = expectStatus(await admin.get(`/api/users/${u.id}`), 200);
  assert.deepEqual(got.json.customClaims, [], got.ctx);
  assert.deepEqual(got.json.userGroups[0].customClaims, [{ key: 'fromgroup', value: '1' }], got.ctx);
});

test('PUT /api/custom-claims/user-group/:userGroupId with a reserved key is 400 reserved_claim', async () => {
  const g = await newGroup();
  expectStatus(await groupClaims(g.id, [{ key: 'groups', value: 'x' }]), 400, 'reserved_claim');
});

test('PUT /api/custom-claims/user-group/:userGroupId with a duplicate key is 400 duplicate_claim', async () => {
  const g = await newGroup();
  expectStatus(await groupClaims(g.id, [{ key: 'k', value: '1' }, { key: 'k', value: '2' }]), 400, 'duplicate_claim');
});

test('PUT /api/custom-claims/user-group/:userGroupId of an unknown group is 404', async () => {
  const res = await groupClaims(crypto.randomUUID(), [{ key: 'k', value: '1' }]);
  assert.equal(res.status, 404, res.ctx);
});

test('PUT /api/custom-claims/user-group/:userGroupId as a non-admin is 403 forbidden', async () => {
  const g = await newGroup();
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.put(`/api/custom-claims/user-group/${g.id}`, [{ key: 'k', value: '1' }]), 403, 'forbidden');
});

/* ---------- suggestions ---------- */

test('GET /api/custom-claims/suggestions: the keys in use, most used first', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  expectStatus(await a.get('/api/custom-claims/suggestions'), 200);
  const users = [];
  for (let i = 0; i < 3; i++) users.push(await insertUser(s));
  const g = expectStatus(await a.post('/api/user-groups', { friendlyName: 'Devs', name: 'devs' }), 201).json;
  expectStatus(await a.put(`/api/custom-claims/user/${users[0].id}`, [{ key: 'dept', value: 'a' }, { key: 'floor', value: '1' }]), 200);
  expectStatus(await a.put(`/api/custom-claims/user/${users[1].id}`, [{ key: 'dept', value: 'b' }, { key: 'floor', value: '2' }]), 200);
  expectStatus(await a.put(`/api/custom-claims/user/${users[2].id}`, [{ key: 'dept', value: 'c' }]), 200);
  expectStatus(await a.put(`/api/custom-claims/user-group/${g.id}`, [{ key: 'dept', value: 'd' }, { key: 'rare', value: 'x' }]), 200);
  const res = expectStatus(await a.get('/api/custom-claims/suggestions'), 200);
  assert.deepEqual(res.json, ['dept', 'floor', 'rare'], res.ctx);
});

test('GET /api/custom-claims/suggestions on a fresh server is []', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  const res = expectStatus(await a.get('/api/custom-claims/suggestions'), 200);
  assert.deepEqual(res.json, [], res.ctx);
});

test('GET /api/custom-claims/suggestions as a non-admin is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.get('/api/custom-claims/suggestions'), 403, 'forbidden');
});

test('GET /api/custom-claims/suggestions signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).get('/api/custom-claims/suggestions'), 401, 'not_signed_in');
});
