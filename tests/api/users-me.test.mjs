// The signed-in user's own profile (issue 3; reference §1.4, checklist 28-32):
// GET and PUT /api/users/me.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { Browser, expectStatus, setupAdmin, insertUser, signInAs, assertUserDto, sql, q } from './client.mjs';

let srv, admin, adminUser;
before(async () => {
  srv = await startServer();
  ({ browser: admin, user: adminUser } = await setupAdmin(srv));
});

async function newUser(fields) {
  const u = await insertUser(srv, fields);
  return { user: u, browser: await signInAs(srv, admin, u.id) };
}

const profile = (me, extra = {}) => ({
  username: me.username, email: me.email, firstName: me.firstName, lastName: me.lastName,
  displayName: me.displayName, locale: me.locale, ...extra,
});

test('GET /api/users/me: the UserDto', async () => {
  const { user, browser } = await newUser({ firstName: 'Craig', lastName: 'Federighi' });
  const res = expectStatus(await browser.get('/api/users/me'), 200);
  assertUserDto(res.json, res.ctx);
  assert.deepEqual(res.json, {
    id: user.id, username: user.username, email: user.email, emailVerified: false, firstName: 'Craig',
    lastName: 'Federighi', displayName: 'Craig Federighi', isAdmin: false, locale: null, customClaims: [],
    userGroups: [], ldapId: null, disabled: false,
  }, res.ctx);
});

test('PUT /api/users/me changes names, display name and locale', async () => {
  const { browser } = await newUser();
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  const res = expectStatus(await browser.put('/api/users/me', profile(me, {
    firstName: 'Robert', lastName: 'Baumeister', displayName: 'Bob B.', locale: 'de',
  })), 200);
  assertUserDto(res.json, res.ctx);
  assert.equal(res.json.firstName, 'Robert', res.ctx);
  assert.equal(res.json.lastName, 'Baumeister', res.ctx);
  assert.equal(res.json.displayName, 'Bob B.', res.ctx);
  assert.equal(res.json.locale, 'de', res.ctx);
  const again = expectStatus(await browser.get('/api/users/me'), 200);
  assert.deepEqual(again.json, res.json, again.ctx);
});

test('PUT /api/users/me changes the username', async () => {
  const { user, browser } = await newUser();
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  const res = expectStatus(await browser.put('/api/users/me', profile(me, { username: `${user.username}_new` })), 200);
  assert.equal(res.json.username, `${user.username}_new`, res.ctx);
});

test('PUT /api/users/me cannot make the user an admin or enable/verify anything', async () => {
  const { browser } = await newUser();
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  const res = expectStatus(await browser.put('/api/users/me', profile(me, { isAdmin: true, emailVerified: true, disabled: true })), 200);
  assert.equal(res.json.isAdmin, false, res.ctx);
  assert.equal(res.json.emailVerified, false, res.ctx);
  assert.equal(res.json.disabled, false, res.ctx);
  expectStatus(await browser.get('/api/users/me'), 200);
});

test('PUT /api/users/me with another user\'s username is 409 already_in_use', async () => {
  const { browser } = await newUser();
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  const res = expectStatus(await browser.put('/api/users/me', profile(me, { username: adminUser.username })), 409, 'already_in_use');
  assert.equal(res.json.error, 'Username is already in use', res.ctx);
});

test('PUT /api/users/me with another user\'s username in other case is 409 already_in_use', async () => {
  const { browser } = await newUser();
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  expectStatus(await browser.put('/api/users/me', profile(me, { username: adminUser.username.toUpperCase() })), 409, 'already_in_use');
});

test('PUT /api/users/me with another user\'s email is 409 already_in_use', async () => {
  const { browser } = await newUser();
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  const res = expectStatus(await browser.put('/api/users/me', profile(me, { email: adminUser.email })), 409, 'already_in_use');
  assert.equal(res.json.error, 'Email is already in use', res.ctx);
});

test('PUT /api/users/me with an invalid username is 400 validation_failed', async () => {
  const { browser } = await newUser();
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  const res = expectStatus(await browser.put('/api/users/me', profile(me, { username: '-bad' })), 400, 'validation_failed');
  assert.ok(res.json.details.fields.some((f) => f.field === 'username'), res.ctx);
});

test('PUT /api/users/me without a username is 400 validation_failed', async () => {
  const { browser } = await newUser();
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  const body = profile(me);
  delete body.username;
  expectStatus(await browser.put('/api/users/me', body), 400, 'validation_failed');
});

test('PUT /api/users/me without an email is 400 validation_failed (requireUserEmail)', async () => {
  const { browser } = await newUser();
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  const body = profile(me);
  delete body.email;
  const res = expectStatus(await browser.put('/api/users/me', body), 400, 'validation_failed');
  assert.ok(res.json.details.fields.some((f) => f.field === 'email'), res.ctx);
});

test('PUT /api/users/me with a new email resets emailVerified (emailsVerified=false)', async () => {
  const { user, browser } = await newUser();
  await sql(srv, `UPDATE users SET email_verified = TRUE WHERE id = ${q(user.id)}`);
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  assert.equal(me.emailVerified, true);
  // the same email keeps it
  const same = expectStatus(await browser.put('/api/users/me', profile(me, { firstName: 'Same' })), 200);
  assert.equal(same.json.emailVerified, true, same.ctx);
  const res = expectStatus(await browser.put('/api/users/me', profile(me, { email: `new.${user.email}` })), 200);
  assert.equal(res.json.email, `new.${user.email}`, res.ctx);
  assert.equal(res.json.emailVerified, false, res.ctx);
});

test('PUT /api/users/me signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).put('/api/users/me', { username: 'x', email: 'x@example.com', firstName: 'x' }), 401, 'not_signed_in');
});

test('PUT /api/users/me with a text/plain body is 400 invalid_request_body', async () => {
  const { browser } = await newUser();
  const res = await browser.call('PUT', '/api/users/me', { body: '{}', headers: { 'content-type': 'text/plain' } });
  expectStatus(res, 400, 'invalid_request_body');
});

test('ALLOW_OWN_ACCOUNT_EDIT=false (UI_CONFIG_DISABLED): PUT /api/users/me changes only the locale', async () => {
  const s = await startServer({ env: { UI_CONFIG_DISABLED: 'true', ALLOW_OWN_ACCOUNT_EDIT: 'false' } });
  const { browser } = await setupAdmin(s);
  const me = expectStatus(await browser.get('/api/users/me'), 200).json;
  const res = expectStatus(await browser.put('/api/users/me', profile(me, {
    username: 'renamed', firstName: 'Changed', lastName: 'Changed', displayName: 'Changed', email: 'changed@example.com', locale: 'fr',
  })), 200);
  assert.deepEqual(res.json, { ...me, locale: 'fr' }, res.ctx);
  const again = expectStatus(await browser.get('/api/users/me'), 200);
  assert.deepEqual(again.json, { ...me, locale: 'fr' }, again.ctx);
});

test('the public application configuration shows allowOwnAccountEdit', async () => {
  const s = await startServer({ env: { UI_CONFIG_DISABLED: 'true', ALLOW_OWN_ACCOUNT_EDIT: 'false' } });
  const res = expectStatus(await new Browser(s).get('/api/application-configuration'), 200);
  assert.ok(Array.isArray(res.json), res.ctx);
  const get = (k) => res.json.find((e) => e.key === k);
  assert.equal(get('allowOwnAccountEdit')?.value, 'false', res.ctx);
  assert.equal(get('appName')?.value, 'Pocket ID', res.ctx);
  assert.equal(get('requireUserEmail')?.value, 'true', res.ctx);
  assert.equal(get('uiConfigDisabled')?.value, 'true', res.ctx);
  assert.equal(get('smtpPassword'), undefined, res.ctx);
  assert.equal(get('sessionDuration'), undefined, `sessionDuration is not public${res.ctx}`);
});
