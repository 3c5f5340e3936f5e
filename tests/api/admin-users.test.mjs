// User administration (issue 4; reference §0.1, §1.4, §3.4, checklist 26-29, 33):
// GET/POST /api/users, GET/PUT/DELETE /api/users/:id, the groups of a user, a user's
// passkeys, and the list's pagination, search, sort and filters.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, insertUser, signInAs, registerPasskey, assertUserDto, sql, q,
  listUrl, assertPage, UUID, RFC3339,
} from './client.mjs';

let srv, admin, adminUser;
before(async () => {
  srv = await startServer();
  ({ browser: admin, user: adminUser } = await setupAdmin(srv));
});

let n = 0;
const uniq = (p = 'u') => `${p}${process.pid.toString(36)}${(n++).toString(36)}${crypto.randomBytes(2).toString('hex')}`;

/** A body for POST /api/users with a unique username and email. */
function newUserBody(extra = {}) {
  const username = uniq('user');
  return { username, email: `${username}@example.com`, firstName: 'Tim', lastName: 'Cook', displayName: 'Tim Cook', ...extra };
}

async function createUser(extra) {
  const res = expectStatus(await admin.post('/api/users', newUserBody(extra)), 201);
  return res.json;
}

async function createGroup(name = uniq('grp')) {
  const res = expectStatus(await admin.post('/api/user-groups', { friendlyName: `Group ${name}`, name }), 201);
  return res.json;
}

/** The full update body for PUT /api/users/:id from a UserDto. */
const updateBody = (u, extra = {}) => ({
  username: u.username, email: u.email, firstName: u.firstName, lastName: u.lastName, displayName: u.displayName,
  isAdmin: u.isAdmin, emailVerified: u.emailVerified, disabled: u.disabled, locale: u.locale ?? undefined, ...extra,
});

function fieldError(res, field, code) {
  assert.ok(res.json?.details?.fields, `details.fields${res.ctx}`);
  const f = res.json.details.fields.find((x) => x.field === field);
  assert.ok(f, `a field error for ${field}${res.ctx}`);
  if (code) assert.equal(f.code, code, `field ${field} code${res.ctx}`);
  return f;
}

/* ---------- create ---------- */

test('POST /api/users: 201 and the UserDto', async () => {
  const body = newUserBody({ firstName: 'Craig', lastName: 'Federighi', displayName: 'Craig F.' });
  const res = expectStatus(await admin.post('/api/users', body), 201);
  assertUserDto(res.json, res.ctx);
  assert.deepEqual({ ...res.json, id: undefined }, {
    id: undefined, username: body.username, email: body.email, emailVerified: false, firstName: 'Craig', lastName: 'Federighi',
    displayName: 'Craig F.', isAdmin: false, locale: null, customClaims: [], userGroups: [], ldapId: null, disabled: false,
  }, res.ctx);
  const got = expectStatus(await admin.get(`/api/users/${res.json.id}`), 200);
  assert.deepEqual(got.json, res.json, got.ctx);
});

test('POST /api/users with isAdmin, emailVerified, disabled and locale set', async () => {
  const res = expectStatus(await admin.post('/api/users', newUserBody({ isAdmin: true, emailVerified: true, disabled: true, locale: 'de' })), 201);
  assert.equal(res.json.isAdmin, true, res.ctx);
  assert.equal(res.json.emailVerified, true, res.ctx);
  assert.equal(res.json.disabled, true, res.ctx);
  assert.equal(res.json.locale, 'de', res.ctx);
});

test('POST /api/users with an id keeps it', async () => {
  const id = crypto.randomUUID();
  const res = expectStatus(await admin.post('/api/users', newUserBody({ id })), 201);
  assert.equal(res.json.id, id, res.ctx);
  expectStatus(await admin.get(`/api/users/${id}`), 200);
});

test('POST /api/users with userGroupIds puts the user in those groups', async () => {
  const g1 = await createGroup();
  const g2 = await createGroup();
  const res = expectStatus(await admin.post('/api/users', newUserBody({ userGroupIds: [g1.id, g2.id] })), 201);
  const got = expectStatus(await admin.get(`/api/users/${res.json.id}`), 200);
  assert.deepEqual(got.json.userGroups.map((g) => g.id).sort(), [g1.id, g2.id].sort(), got.ctx);
});

test('POST /api/users with a taken email is 409 already_in_use "Email is already in use"', async () => {
  const u = await createUser();
  const res = expectStatus(await admin.post('/api/users', newUserBody({ email: u.email })), 409, 'already_in_use');
  assert.equal(res.json.error, 'Email is already in use', res.ctx);
});

test('POST /api/users with a taken email in another case is 409 already_in_use', async () => {
  const u = await createUser();
  expectStatus(await admin.post('/api/users', newUserBody({ email: u.email.toUpperCase() })), 409, 'already_in_use');
});

test('POST /api/users with a taken username is 409 already_in_use "Username is already in use"', async () => {
  const u = await createUser();
  const res = expectStatus(await admin.post('/api/users', newUserBody({ username: u.username })), 409, 'already_in_use');
  assert.equal(res.json.error, 'Username is already in use', res.ctx);
});

test('POST /api/users with a taken username in another case is 409 already_in_use', async () => {
  const res = expectStatus(await admin.post('/api/users', newUserBody({ username: adminUser.username.toUpperCase() })), 409, 'already_in_use');
  assert.equal(res.json.error, 'Username is already in use', res.ctx);
});

test('POST /api/users with username "-bad" is 400 validation_failed, field username invalid_format', async () => {
  const res = expectStatus(await admin.post('/api/users', newUserBody({ username: '-bad' })), 400, 'validation_failed');
  fieldError(res, 'username', 'invalid_format');
});

for (const bad of ['bad-', 'has space', 'ünïcode', 'a'.repeat(51), 'semi;colon']) {
  test(`POST /api/users with username ${JSON.stringify(bad.length > 20 ? bad.slice(0, 10) + '…' : bad)} is 400 validation_failed`, async () => {
    const res = expectStatus(await admin.post('/api/users', newUserBody({ username: bad })), 400, 'validation_failed');
    fieldError(res, 'username');
  });
}

test('POST /api/users accepts usernames with . _ @ - inside', async () => {
  const username = `a.b_c@d-${uniq('e')}`;
  const res = expectStatus(await admin.post('/api/users', newUserBody({ username, email: `${uniq('m')}@example.com` })), 201);
  assert.equal(res.json.username, username, res.ctx);
});

test('POST /api/users without a username is 400 validation_failed, field username required', async () => {
  const body = newUserBody();
  delete body.username;
  const res = expectStatus(await admin.post('/api/users', body), 400, 'validation_failed');
  fieldError(res, 'username', 'required');
});

test('POST /api/users without an email is 400 "Email is required" (requireUserEmail is true by default)', async () => {
  const body = newUserBody();
  delete body.email;
  const res = expectStatus(await admin.post('/api/users', body), 400, 'validation_failed');
  assert.equal(res.json.error, 'Email is required', res.ctx);
  fieldError(res, 'email', 'required');
});

test('POST /api/users with an invalid email is 400 validation_failed, field email', async () => {
  const res = expectStatus(await admin.post('/api/users', newUserBody({ email: 'not-an-email' })), 400, 'validation_failed');
  fieldError(res, 'email');
});

test('POST /api/users with a 51-character first name is 400 validation_failed', async () => {
  const res = expectStatus(await admin.post('/api/users', newUserBody({ firstName: 'x'.repeat(51) })), 400, 'validation_failed');
  fieldError(res, 'firstName');
});

test('POST /api/users with a 101-character display name is 400 validation_failed', async () => {
  const res = expectStatus(await admin.post('/api/users', newUserBody({ displayName: 'x'.repeat(101) })), 400, 'validation_failed');
  fieldError(res, 'displayName');
});

test('POST /api/users with a text/plain body is 400 invalid_request_body', async () => {
  const res = await admin.call('POST', '/api/users', { body: JSON.stringify(newUserBody()), headers: { 'content-type': 'text/plain' } });
  expectStatus(res, 400, 'invalid_request_body');
});

test('POST /api/users as a non-admin is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const res = expectStatus(await b.post('/api/users', newUserBody()), 403, 'forbidden');
  assert.equal(res.json.error, "You don't have permission to perform this action", res.ctx);
});

test('POST /api/users signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).post('/api/users', newUserBody()), 401, 'not_signed_in');
});

test('REQUIRE_USER_EMAIL=false: POST /api/users without an email is 201 with email null', async () => {
  const s = await startServer({ env: { UI_CONFIG_DISABLED: 'true', REQUIRE_USER_EMAIL: 'false' } });
  const { browser } = await setupAdmin(s);
  const body = newUserBody();
  delete body.email;
  const res = expectStatus(await browser.post('/api/users', body), 201);
  assert.equal(res.json.email, null, res.ctx);
  // two users without an email do not collide
  const body2 = newUserBody();
  delete body2.email;
  expectStatus(await browser.post('/api/users', body2), 201);
});

/* ---------- read ---------- */

test('GET /api/users/:id: the UserDto with custom claims and groups', async () => {
  const g = await createGroup();
  const u = await createUser({ userGroupIds: [g.id] });
  expectStatus(await admin.put(`/api/custom-claims/user/${u.id}`, [{ key: 'dept', value: 'it' }]), 200);
  const res = expectStatus(await admin.get(`/api/users/${u.id}`), 200);
  assertUserDto(res.json, res.ctx);
  assert.deepEqual(res.json.customClaims, [{ key: 'dept', value: 'it' }], res.ctx);
  assert.equal(res.json.userGroups.length, 1, res.ctx);
  const grp = res.json.userGroups[0];
  assert.equal(grp.id, g.id, res.ctx);
  assert.equal(grp.name, g.name, res.ctx);
  assert.equal(grp.friendlyName, g.friendlyName, res.ctx);
  for (const k of ['customClaims', 'ldapId', 'createdAt']) assert.ok(k in grp, `userGroups[0] lacks ${k}${res.ctx}`);
});

test('GET /api/users/:id of an unknown user is 404 user_not_found "User not found"', async () => {
  const res = expectStatus(await admin.get(`/api/users/${crypto.randomUUID()}`), 404, 'user_not_found');
  assert.equal(res.json.error, 'User not found', res.ctx);
});

test('GET /api/users/:id as a non-admin is 403 forbidden (even for oneself)', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.get(`/api/users/${u.id}`), 403, 'forbidden');
});

test('GET /api/users/:id signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).get(`/api/users/${adminUser.id}`), 401, 'not_signed_in');
});

/* ---------- update ---------- */

test('PUT /api/users/:id changes names, display name, locale, admin and verification flags', async () => {
  const u = await createUser();
  const res = expectStatus(await admin.put(`/api/users/${u.id}`, updateBody(u, {
    firstName: 'Robert', lastName: 'Baumeister', displayName: 'Bob B.', locale: 'fr', isAdmin: true, emailVerified: true,
  })), 200);
  assertUserDto(res.json, res.ctx);
  assert.equal(res.json.firstName, 'Robert', res.ctx);
  assert.equal(res.json.lastName, 'Baumeister', res.ctx);
  assert.equal(res.json.displayName, 'Bob B.', res.ctx);
  assert.equal(res.json.locale, 'fr', res.ctx);
  assert.equal(res.json.isAdmin, true, res.ctx);
  assert.equal(res.json.emailVerified, true, res.ctx);
  const again = expectStatus(await admin.get(`/api/users/${u.id}`), 200);
  assert.deepEqual(again.json, res.json, again.ctx);
});

test('PUT /api/users/:id changes the username and email', async () => {
  const u = await createUser();
  const username = uniq('renamed');
  const res = expectStatus(await admin.put(`/api/users/${u.id}`, updateBody(u, { username, email: `${username}@example.org` })), 200);
  assert.equal(res.json.username, username, res.ctx);
  assert.equal(res.json.email, `${username}@example.org`, res.ctx);
});

test('PUT /api/users/:id keeping its own username and email is 200 (no self-conflict)', async () => {
  const u = await createUser();
  expectStatus(await admin.put(`/api/users/${u.id}`, updateBody(u, { firstName: 'Same' })), 200);
});

test('PUT /api/users/:id with another user\'s username is 409 already_in_use', async () => {
  const u = await createUser();
  const res = expectStatus(await admin.put(`/api/users/${u.id}`, updateBody(u, { username: adminUser.username.toUpperCase() })), 409, 'already_in_use');
  assert.equal(res.json.error, 'Username is already in use', res.ctx);
});

test('PUT /api/users/:id with another user\'s email is 409 already_in_use', async () => {
  const u = await createUser();
  const res = expectStatus(await admin.put(`/api/users/${u.id}`, updateBody(u, { email: adminUser.email })), 409, 'already_in_use');
  assert.equal(res.json.error, 'Email is already in use', res.ctx);
});

test('PUT /api/users/:id with an invalid username is 400 validation_failed', async () => {
  const u = await createUser();
  const res = expectStatus(await admin.put(`/api/users/${u.id}`, updateBody(u, { username: '-bad' })), 400, 'validation_failed');
  fieldError(res, 'username', 'invalid_format');
});

test('PUT /api/users/:id without an email is 400 validation_failed (requireUserEmail)', async () => {
  const u = await createUser();
  const body = updateBody(u);
  delete body.email;
  const res = expectStatus(await admin.put(`/api/users/${u.id}`, body), 400, 'validation_failed');
  fieldError(res, 'email', 'required');
});

test('PUT /api/users/:id of an unknown user is 404 user_not_found', async () => {
  expectStatus(await admin.put(`/api/users/${crypto.randomUUID()}`, newUserBody()), 404, 'user_not_found');
});

test('PUT /api/users/:id as a non-admin is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const me = expectStatus(await b.get('/api/users/me'), 200).json;
  expectStatus(await b.put(`/api/users/${u.id}`, updateBody(me, { isAdmin: true })), 403, 'forbidden');
  assert.equal(expectStatus(await admin.get(`/api/users/${u.id}`), 200).json.isAdmin, false);
});

test('disabling a user: its existing session is 403 user_disabled; enabling it again restores it', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.get('/api/users/me'), 200);
  const dto = expectStatus(await admin.get(`/api/users/${u.id}`), 200).json;
  const res = expectStatus(await admin.put(`/api/users/${u.id}`, updateBody(dto, { disabled: true })), 200);
  assert.equal(res.json.disabled, true, res.ctx);
  const refused = expectStatus(await b.get('/api/users/me'), 403, 'user_disabled');
  assert.equal(refused.json.error, 'User account is disabled', refused.ctx);
  expectStatus(await admin.put(`/api/users/${u.id}`, updateBody(dto, { disabled: false })), 200);
  expectStatus(await b.get('/api/users/me'), 200);
});

test('a disabled user cannot be issued a session by a login code', async () => {
  const u = await createUser({ disabled: true });
  const code = expectStatus(await admin.post(`/api/users/${u.id}/one-time-access-token`, { ttl: '1h' }), 201).json.token;
  const b = new Browser(srv);
  const res = await b.call('POST', `/api/one-time-access-token/${code}`);
  assert.ok(res.status === 403 || res.status === 401, res.ctx);
  assert.equal(b.cookie('access_token'), undefined, res.ctx);
});

test('making a user an admin takes effect on its existing session at once', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.get('/api/users'), 403, 'forbidden');
  const dto = expectStatus(await admin.get(`/api/users/${u.id}`), 200).json;
  expectStatus(await admin.put(`/api/users/${u.id}`, updateBody(dto, { isAdmin: true })), 200);
  assertPage(await b.get('/api/users'));
});

/* ---------- delete ---------- */

test('DELETE /api/users/:id: 204, then GET is 404 user_not_found and its session is refused', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const res = expectStatus(await admin.del(`/api/users/${u.id}`), 204);
  assert.equal(res.body.length, 0, res.ctx);
  expectStatus(await admin.get(`/api/users/${u.id}`), 404, 'user_not_found');
  expectStatus(await b.get('/api/users/me'), 401, 'not_signed_in');
});

test('DELETE /api/users/:id removes its group memberships and custom claims', async () => {
  const g = await createGroup();
  const u = await createUser({ userGroupIds: [g.id] });
  expectStatus(await admin.put(`/api/custom-claims/user/${u.id}`, [{ key: 'gone', value: 'x' }]), 200);
  expectStatus(await admin.del(`/api/users/${u.id}`), 204);
  const grp = expectStatus(await admin.get(`/api/user-groups/${g.id}`), 200);
  assert.equal(grp.json.userCount, 0, grp.ctx);
  assert.deepEqual(grp.json.users, [], grp.ctx);
  const rows = await sql(srv, `SELECT count(*) FROM custom_claims WHERE user_id = ${q(u.id)}`);
  assert.equal(rows[0][0], '0');
});

test('DELETE /api/users/:id of an unknown user is 404 user_not_found', async () => {
  expectStatus(await admin.del(`/api/users/${crypto.randomUUID()}`), 404, 'user_not_found');
});

test('DELETE /api/users/:id as a non-admin is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.del(`/api/users/${adminUser.id}`), 403, 'forbidden');
  expectStatus(await admin.get(`/api/users/${adminUser.id}`), 200);
});

/* ---------- groups of a user ---------- */

test('GET /api/users/:id/groups: the user\'s groups as UserGroupDto', async () => {
  const g1 = await createGroup();
  const g2 = await createGroup();
  const u = await createUser({ userGroupIds: [g1.id, g2.id] });
  const res = expectStatus(await admin.get(`/api/users/${u.id}/groups`), 200);
  assert.ok(Array.isArray(res.json), res.ctx);
  assert.deepEqual(res.json.map((g) => g.id).sort(), [g1.id, g2.id].sort(), res.ctx);
  for (const g of res.json) {
    for (const k of ['id', 'friendlyName', 'name', 'customClaims', 'ldapId', 'createdAt']) assert.ok(k in g, `group lacks ${k}${res.ctx}`);
    assert.match(g.createdAt, RFC3339, res.ctx);
  }
});

test('GET /api/users/:id/groups of a user without groups is []', async () => {
  const u = await createUser();
  const res = expectStatus(await admin.get(`/api/users/${u.id}/groups`), 200);
  assert.deepEqual(res.json, [], res.ctx);
});

test('GET /api/users/:id/groups as a non-admin is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.get(`/api/users/${u.id}/groups`), 403, 'forbidden');
});

test('PUT /api/users/:id/user-groups replaces the memberships and answers the UserDto', async () => {
  const g1 = await createGroup();
  const g2 = await createGroup();
  const g3 = await createGroup();
  const u = await createUser({ userGroupIds: [g1.id] });
  const res = expectStatus(await admin.put(`/api/users/${u.id}/user-groups`, { userGroupIds: [g2.id, g3.id] }), 200);
  assertUserDto(res.json, res.ctx);
  assert.equal(res.json.id, u.id, res.ctx);
  assert.deepEqual(res.json.userGroups.map((g) => g.id).sort(), [g2.id, g3.id].sort(), res.ctx);
  const groups = expectStatus(await admin.get(`/api/users/${u.id}/groups`), 200);
  assert.deepEqual(groups.json.map((g) => g.id).sort(), [g2.id, g3.id].sort(), groups.ctx);
  const empty = expectStatus(await admin.put(`/api/users/${u.id}/user-groups`, { userGroupIds: [] }), 200);
  assert.deepEqual(empty.json.userGroups, [], empty.ctx);
});

test('PUT /api/users/:id/user-groups of an unknown user is 404 user_not_found', async () => {
  const g = await createGroup();
  expectStatus(await admin.put(`/api/users/${crypto.randomUUID()}/user-groups`, { userGroupIds: [g.id] }), 404, 'user_not_found');
});

test('PUT /api/users/:id/user-groups as a non-admin is 403 forbidden', async () => {
  const g = await createGroup();
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.put(`/api/users/${u.id}/user-groups`, { userGroupIds: [g.id] }), 403, 'forbidden');
});

/* ---------- passkeys of a user ---------- */

test('GET /api/users/:id/webauthn-credentials lists that user\'s passkeys', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const { res: reg } = await registerPasskey(b);
  expectStatus(reg, 200);
  const res = expectStatus(await admin.get(`/api/users/${u.id}/webauthn-credentials`), 200);
  assert.ok(Array.isArray(res.json), res.ctx);
  assert.equal(res.json.length, 1, res.ctx);
  assert.equal(res.json[0].id, reg.json.id, res.ctx);
  assert.equal(res.json[0].name, reg.json.name, res.ctx);
  // not the admin's own
  const mine = expectStatus(await admin.get(`/api/users/${adminUser.id}/webauthn-credentials`), 200);
  assert.ok(!mine.json.some((c) => c.id === reg.json.id), mine.ctx);
});

test('DELETE /api/users/:id/webauthn-credentials/:credentialId: 204, gone, audit PASSKEY_REMOVED by the admin', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const { res: reg } = await registerPasskey(b);
  expectStatus(reg, 200);
  expectStatus(await admin.del(`/api/users/${u.id}/webauthn-credentials/${reg.json.id}`), 204);
  const list = expectStatus(await admin.get(`/api/users/${u.id}/webauthn-credentials`), 200);
  assert.deepEqual(list.json, [], list.ctx);
  const logs = expectStatus(await b.get(listUrl('/api/audit-logs', { filters: { event: 'PASSKEY_REMOVED' } })), 200);
  const e = logs.json.data.find((x) => x.event === 'PASSKEY_REMOVED');
  assert.ok(e, `a PASSKEY_REMOVED entry${logs.ctx}`);
  assert.equal(e.actorUsername, adminUser.username, logs.ctx);
  assert.equal(e.data.actorUsername, adminUser.username, logs.ctx);
  assert.equal(e.data.actorUserID, adminUser.id, logs.ctx);
});

test('DELETE /api/users/:id/webauthn-credentials/:credentialId of another user\'s passkey is 404', async () => {
  const u1 = await insertUser(srv);
  const u2 = await insertUser(srv);
  const b1 = await signInAs(srv, admin, u1.id);
  const { res: reg } = await registerPasskey(b1);
  expectStatus(reg, 200);
  const res = await admin.del(`/api/users/${u2.id}/webauthn-credentials/${reg.json.id}`);
  assert.equal(res.status, 404, res.ctx);
  const list = expectStatus(await admin.get(`/api/users/${u1.id}/webauthn-credentials`), 200);
  assert.equal(list.json.length, 1, list.ctx);
});

test('GET /api/users/:id/webauthn-credentials as a non-admin is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.get(`/api/users/${adminUser.id}/webauthn-credentials`), 403, 'forbidden');
});

test('DELETE /api/users/:id/webauthn-credentials/:credentialId as a non-admin is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const { res: reg } = await registerPasskey(b);
  expectStatus(reg, 200);
  expectStatus(await b.del(`/api/users/${u.id}/webauthn-credentials/${reg.json.id}`), 403, 'forbidden');
});

/* ---------- the list ---------- */

// A server of its own with a known population: the admin "root" and 25 users u01..u25.
//   u01-u05 admins, u06-u10 disabled, u11-u15 email verified; first names cycle Alice..Erin;
//   u07 is "Zoe Quinn"; emails uNN@list.example.
let listing;
function listServer() {
  listing ??= (async () => {
    const s = await startServer();
    const { browser } = await setupAdmin(s, { username: 'root', email: 'root@admin.example', firstName: 'Root', lastName: 'Admin' });
    const firsts = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin'];
    for (let i = 1; i <= 25; i++) {
      const nn = String(i).padStart(2, '0');
      const [fn, ln] = i === 7 ? ['Zoe', 'Quinn'] : [firsts[(i - 1) % 5], `Last${nn}`];
      const u = await insertUser(s, { username: `u${nn}`, email: `u${nn}@list.example`, firstName: fn, lastName: ln, isAdmin: i <= 5 });
      if (i >= 6 && i <= 10) await sql(s, `UPDATE users SET disabled = TRUE WHERE id = ${q(u.id)}`);
      if (i >= 11 && i <= 15) await sql(s, `UPDATE users SET email_verified = TRUE WHERE id = ${q(u.id)}`);
    }
    return { s, admin: browser };
  })();
  return listing;
}
const TOTAL = 26;

test('GET /api/users: the envelope with the defaults (page 1, 20 per page)', async () => {
  const { admin: a } = await listServer();
  const res = await a.get('/api/users');
  const b = assertPage(res, { totalItems: TOTAL, totalPages: 2, currentPage: 1, itemsPerPage: 20 });
  assert.equal(b.data.length, 20, res.ctx);
  for (const u of b.data) assertUserDto(u, res.ctx);
});

test('GET /api/users: the users of the list carry userGroups and customClaims', async () => {
  const { s, admin: a } = await listServer();
  const g = expectStatus(await a.post('/api/user-groups', { friendlyName: 'Listed', name: 'listed' }), 201).json;
  const u = (await a.get(listUrl('/api/users', { search: 'u25@' }))).json.data[0];
  expectStatus(await a.put(`/api/users/${u.id}/user-groups`, { userGroupIds: [g.id] }), 200);
  expectStatus(await a.put(`/api/custom-claims/user/${u.id}`, [{ key: 'team', value: 'blue' }]), 200);
  try {
    const res = await a.get(listUrl('/api/users', { search: 'u25@' }));
    const b = assertPage(res, { totalItems: 1 });
    assert.deepEqual(b.data[0].userGroups.map((x) => x.id), [g.id], res.ctx);
    assert.deepEqual(b.data[0].customClaims, [{ key: 'team', value: 'blue' }], res.ctx);
  } finally {
    expectStatus(await a.put(`/api/users/${u.id}/user-groups`, { userGroupIds: [] }), 200);
    expectStatus(await a.put(`/api/custom-claims/user/${u.id}`, []), 200);
    await sql(s, `DELETE FROM user_groups WHERE id = ${q(g.id)}`);
  }
});

test('GET /api/users: pagination[limit]=1 gives one item and totalPages = totalItems', async () => {
  const { admin: a } = await listServer();
  const res = await a.get(listUrl('/api/users', { limit: 1 }));
  const b = assertPage(res, { totalItems: TOTAL, totalPages: TOTAL, currentPage: 1, itemsPerPage: 1 });
  assert.equal(b.data.length, 1, res.ctx);
});

test('GET /api/users: the pages of a sorted list are disjoint and cover every user', async () => {
  const { admin: a } = await listServer();
  const seen = [];
  for (let page = 1; page <= 3; page++) {
    const res = await a.get(listUrl('/api/users', { page, limit: 10, sort: 'username', direction: 'asc' }));
    const b = assertPage(res, { currentPage: page, totalPages: 3, itemsPerPage: 10 });
    assert.equal(b.data.length, page < 3 ? 10 : 6, res.ctx);
    seen.push(...b.data.map((u) => u.username));
  }
  assert.equal(new Set(seen).size, TOTAL, seen.join(' '));
});

test('GET /api/users: a page past the end is clamped to the last page', async () => {
  const { admin: a } = await listServer();
  const last = await a.get(listUrl('/api/users', { page: 3, limit: 10, sort: 'username', direction: 'asc' }));
  const res = await a.get(listUrl('/api/users', { page: 99, limit: 10, sort: 'username', direction: 'asc' }));
  const b = assertPage(res, { currentPage: 3, totalPages: 3, totalItems: TOTAL });
  assert.deepEqual(b.data.map((u) => u.id), last.json.data.map((u) => u.id), res.ctx);
});

test('GET /api/users: page 0 and a negative page are page 1', async () => {
  const { admin: a } = await listServer();
  assertPage(await a.get(listUrl('/api/users', { page: 0, limit: 5 })), { currentPage: 1 });
  assertPage(await a.get(listUrl('/api/users', { page: -3, limit: 5 })), { currentPage: 1 });
});

test('GET /api/users: pagination[limit] over 100 is 100', async () => {
  const { admin: a } = await listServer();
  const res = await a.get(listUrl('/api/users', { limit: 1000 }));
  const b = assertPage(res, { itemsPerPage: 100, totalPages: 1, totalItems: TOTAL });
  assert.equal(b.data.length, TOTAL, res.ctx);
});

test('GET /api/users: pagination[limit]=100 is allowed as is', async () => {
  const { admin: a } = await listServer();
  assertPage(await a.get(listUrl('/api/users', { limit: 100 })), { itemsPerPage: 100 });
});

test('GET /api/users: pagination[limit] 0 or negative is the default 20', async () => {
  const { admin: a } = await listServer();
  assertPage(await a.get(listUrl('/api/users', { limit: 0 })), { itemsPerPage: 20 });
  assertPage(await a.get(listUrl('/api/users', { limit: -5 })), { itemsPerPage: 20 });
});

test('GET /api/users: a search without matches: data [], totalItems 0, totalPages 1, currentPage 1', async () => {
  const { admin: a } = await listServer();
  const res = await a.get(listUrl('/api/users', { search: 'no-such-user-anywhere' }));
  const b = assertPage(res, { totalItems: 0, totalPages: 1, currentPage: 1, itemsPerPage: 20 });
  assert.deepEqual(b.data, [], res.ctx);
  // a later page of nothing is still page 1
  assertPage(await a.get(listUrl('/api/users', { search: 'no-such-user-anywhere', page: 4 })), { currentPage: 1, totalPages: 1 });
});

test('GET /api/users: search matches the username', async () => {
  const { admin: a } = await listServer();
  const res = await a.get(listUrl('/api/users', { search: 'u1' }));
  const b = assertPage(res, { totalItems: 10 }); // u10..u19
  assert.ok(b.data.every((u) => u.username.startsWith('u1')), res.ctx);
});

test('GET /api/users: search matches the email', async () => {
  const { admin: a } = await listServer();
  const res = await a.get(listUrl('/api/users', { search: 'admin.example' }));
  const b = assertPage(res, { totalItems: 1 });
  assert.equal(b.data[0].username, 'root', res.ctx);
});

test('GET /api/users: search matches the first name', async () => {
  const { admin: a } = await listServer();
  const res = await a.get(listUrl('/api/users', { search: 'Zoe' }));
  const b = assertPage(res, { totalItems: 1 });
  assert.equal(b.data[0].username, 'u07', res.ctx);
});

test('GET /api/users: search matches the last name', async () => {
  const { admin: a } = await listServer();
  const res = await a.get(listUrl('/api/users', { search: 'Quinn' }));
  const b = assertPage(res, { totalItems: 1 });
  assert.equal(b.data[0].username, 'u07', res.ctx);
});

test('GET /api/users: search ignores case, also of non-ASCII letters (three characters or more)', async () => {
  const u = await insertUser(srv, { lastName: `Ødegård${uniq('x')}` });
  for (const search of ['ØDEGÅRD', 'ødegå', 'DEGÅ']) {
    const ids = assertPage(await admin.get(listUrl('/api/users', { search, limit: 100 }))).data.map((x) => x.id);
    assert.ok(ids.includes(u.id), `${search}: ${ids}`);
  }
});

test('GET /api/users: search takes quotes, %, _ and backslashes literally', async () => {
  const tag = uniq('q');
  const odd = await insertUser(srv, { lastName: `Mc"Q_%\\${tag}` });
  const plain = await insertUser(srv, { lastName: `McQab${tag}` });
  for (const [search, want] of [[`c"Q_%\\${tag}`, [odd.id]], [`"Q`, [odd.id]], [`Q_%`, [odd.id]], [`McQ`, [plain.id]], [`Mc`, [odd.id, plain.id]]]) {
    const res = await admin.get(listUrl('/api/users', { search, limit: 100 }));
    const ids = assertPage(res).data.map((x) => x.id).filter((id) => id === odd.id || id === plain.id);
    assert.deepEqual(ids.sort(), [...want].sort(), `${search}: ${res.ctx}`);
  }
});

test('GET /api/users: search follows renames and deletions at once', async () => {
  const before = uniq('Old'), after = uniq('New');
  const u = await insertUser(srv, { lastName: before });
  const find = async (search) => assertPage(await admin.get(listUrl('/api/users', { search }))).data.map((x) => x.id);
  assert.deepEqual(await find(before), [u.id]);
  const full = expectStatus(await admin.get(`/api/users/${u.id}`), 200).json;
  expectStatus(await admin.put(`/api/users/${u.id}`, { ...updateBody(full), lastName: after }), 200);
  assert.deepEqual(await find(before), []);
  assert.deepEqual(await find(after), [u.id]);
  expectStatus(await admin.del(`/api/users/${u.id}`), 204);
  assert.deepEqual(await find(after), []);
});

test('GET /api/users: a two-letter search (no index) and a longer one agree', async () => {
  const { admin: a } = await listServer();
  const two = assertPage(await a.get(listUrl('/api/users', { search: 'la', limit: 100 }))).data.map((u) => u.username);
  const three = assertPage(await a.get(listUrl('/api/users', { search: 'LAS', limit: 100 }))).data.map((u) => u.username);
  assert.equal(three.length, 24, three.join(' ')); // Last01..Last25 but Zoe Quinn
  assert.deepEqual(two, three);
});

test('GET /api/users: search combines with pagination', async () => {
  const { admin: a } = await listServer();
  const res = await a.get(listUrl('/api/users', { search: 'Alice', limit: 2, page: 2 }));
  const b = assertPage(res, { totalItems: 5, totalPages: 3, currentPage: 2, itemsPerPage: 2 });
  assert.equal(b.data.length, 2, res.ctx);
});

test('GET /api/users: sort[column]=username asc and desc', async () => {
  const { admin: a } = await listServer();
  const asc = assertPage(await a.get(listUrl('/api/users', { sort: 'username', direction: 'asc', limit: 100 }))).data.map((u) => u.username);
  assert.deepEqual(asc, [...asc].sort(), asc.join(' '));
  assert.equal(asc[0], 'root');
  assert.equal(asc.at(-1), 'u25');
  const desc = assertPage(await a.get(listUrl('/api/users', { sort: 'username', direction: 'desc', limit: 100 }))).data.map((u) => u.username);
  assert.deepEqual(desc, [...asc].reverse());
});

// Pages past the middle are read from the end in the reversed order: walking every page of
// every sort must give exactly the first page of 100 (read forwards), and desc the reverse of asc.
test('GET /api/users: every page of every sort, walked 3 at a time, gives the one-page list in order', async () => {
  const { admin: a } = await listServer();
  for (const sort of ['username', 'firstName', 'lastName', 'displayName', 'email', 'isAdmin', 'emailVerified', 'disabled', 'createdAt']) {
    const all = {};
    for (const direction of ['asc', 'desc']) {
      const one = assertPage(await a.get(listUrl('/api/users', { sort, direction, limit: 100 }))).data.map((u) => u.username);
      assert.equal(one.length, TOTAL);
      const walked = [];
      for (let page = 1; page <= 9; page++) {
        const res = await a.get(listUrl('/api/users', { sort, direction, limit: 3, page }));
        const b = assertPage(res, { currentPage: page, totalPages: 9, totalItems: TOTAL, itemsPerPage: 3 });
        assert.equal(b.data.length, page < 9 ? 3 : 2, `${sort} ${direction} page ${page}: ${res.ctx}`);
        walked.push(...b.data.map((u) => u.username));
      }
      assert.deepEqual(walked, one, `${sort} ${direction}`);
      all[direction] = one;
    }
    assert.deepEqual(all.desc, [...all.asc].reverse(), sort);
  }
});

test('GET /api/users: pages past the middle of a filtered list are right too', async () => {
  const { admin: a } = await listServer();
  // 20 users are not admins (u06..u25): 7 pages of 3
  const one = assertPage(await a.get(listUrl('/api/users', { filters: { isAdmin: 'false' }, sort: 'lastName', limit: 100 }))).data.map((u) => u.username);
  assert.equal(one.length, 20);
  const walked = [];
  for (let page = 1; page <= 7; page++) {
    const b = assertPage(await a.get(listUrl('/api/users', { filters: { isAdmin: 'false' }, sort: 'lastName', limit: 3, page })), { totalItems: 20, totalPages: 7 });
    walked.push(...b.data.map((u) => u.username));
  }
  assert.deepEqual(walked, one);
});

test('GET /api/users: sort[column]=firstName desc', async () => {
  const { admin: a } = await listServer();
  const names = assertPage(await a.get(listUrl('/api/users', { sort: 'firstName', direction: 'desc', limit: 100 }))).data.map((u) => u.firstName);
  assert.equal(names[0], 'Zoe', names.join(' '));
  for (let i = 1; i < names.length; i++) assert.ok(names[i - 1].localeCompare(names[i], 'en') >= 0, names.join(' '));
});

test('GET /api/users: sort[column]=email asc', async () => {
  const { admin: a } = await listServer();
  const emails = assertPage(await a.get(listUrl('/api/users', { sort: 'email', direction: 'asc', limit: 100 }))).data.map((u) => u.email);
  assert.deepEqual(emails, [...emails].sort(), emails.join(' '));
});

test('GET /api/users: sort[column]=isAdmin desc puts the admins first', async () => {
  const { admin: a } = await listServer();
  const flags = assertPage(await a.get(listUrl('/api/users', { sort: 'isAdmin', direction: 'desc', limit: 100 }))).data.map((u) => u.isAdmin);
  assert.deepEqual(flags, [...Array(6).fill(true), ...Array(TOTAL - 6).fill(false)]);
});

test('GET /api/users: an unknown sort column or direction is ignored, not an error', async () => {
  const { admin: a } = await listServer();
  assertPage(await a.get(listUrl('/api/users', { sort: 'password', direction: 'asc' })), { totalItems: TOTAL });
  assertPage(await a.get(listUrl('/api/users', { sort: 'username; DROP TABLE users', direction: 'desc' })), { totalItems: TOTAL });
  assertPage(await a.get(listUrl('/api/users', { sort: 'username', direction: 'sideways' })), { totalItems: TOTAL });
});

test('GET /api/users: filters[isAdmin]=true and =false', async () => {
  const { admin: a } = await listServer();
  const yes = assertPage(await a.get(listUrl('/api/users', { filters: { isAdmin: 'true' } })), { totalItems: 6 });
  assert.ok(yes.data.every((u) => u.isAdmin));
  const no = assertPage(await a.get(listUrl('/api/users', { filters: { isAdmin: 'false' } })), { totalItems: TOTAL - 6 });
  assert.ok(no.data.every((u) => !u.isAdmin));
});

test('GET /api/users: filters[disabled]=true', async () => {
  const { admin: a } = await listServer();
  const b = assertPage(await a.get(listUrl('/api/users', { filters: { disabled: 'true' } })), { totalItems: 5 });
  assert.deepEqual(b.data.map((u) => u.username).sort(), ['u06', 'u07', 'u08', 'u09', 'u10']);
});

test('GET /api/users: filters[emailVerified]=true', async () => {
  const { admin: a } = await listServer();
  const b = assertPage(await a.get(listUrl('/api/users', { filters: { emailVerified: 'true' } })), { totalItems: 5 });
  assert.deepEqual(b.data.map((u) => u.username).sort(), ['u11', 'u12', 'u13', 'u14', 'u15']);
});

test('GET /api/users: filters combine with each other and with search', async () => {
  const { admin: a } = await listServer();
  assertPage(await a.get(listUrl('/api/users', { filters: { isAdmin: 'false', disabled: 'false' } })), { totalItems: TOTAL - 6 - 5 });
  const b = assertPage(await a.get(listUrl('/api/users', { search: 'Alice', filters: { isAdmin: 'true' } })), { totalItems: 1 });
  assert.equal(b.data[0].username, 'u01');
});

test('GET /api/users: filters[isAdmin][]=true works like filters[isAdmin]=true', async () => {
  const { admin: a } = await listServer();
  const b = assertPage(await a.get(listUrl('/api/users', { extra: { 'filters[isAdmin][]': 'true' } })), { totalItems: 6 });
  assert.ok(b.data.every((u) => u.isAdmin));
});

test('GET /api/users: a repeated filter matches any of its values', async () => {
  const { admin: a } = await listServer();
  assertPage(await a.get(listUrl('/api/users', { filters: { disabled: ['true', 'false'] } })), { totalItems: TOTAL });
});

test('GET /api/users: sort[column] without a direction sorts ascending', async () => {
  const { admin: a } = await listServer();
  const names = assertPage(await a.get(listUrl('/api/users', { sort: 'username', limit: 100 }))).data.map((u) => u.username);
  assert.deepEqual(names, [...names].sort(), names.join(' '));
  assert.equal(names[0], 'root');
});

test('GET /api/users: a filter on an unknown field is ignored', async () => {
  const { admin: a } = await listServer();
  assertPage(await a.get(listUrl('/api/users', { filters: { password: 'x' } })), { totalItems: TOTAL });
});

test('GET /api/users as a non-admin is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.get('/api/users'), 403, 'forbidden');
});

test('GET /api/users signed out is 401 not_signed_in', async () => {
  const res = expectStatus(await new Browser(srv).get('/api/users'), 401, 'not_signed_in');
  assert.equal(res.json.error, 'You are not signed in', res.ctx);
});

test('GET /api/users ids are UUIDs and answers are not cached', async () => {
  const { admin: a } = await listServer();
  const res = await a.get('/api/users');
  assertPage(res);
  assert.ok(res.json.data.every((u) => UUID.test(u.id)), res.ctx);
  assert.equal(res.headers['cache-control'], 'private, no-store', res.ctx);
});
