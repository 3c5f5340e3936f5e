// Sign-up (issue 4; reference §1.14, §8.6, checklist 106-109): POST /api/signup in the
// modes disabled / withToken / open, signup tokens, and the default groups and custom
// claims of new users.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, sleep } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, insertUser, signInAs, assertUserDto, jwtClaims, updateConfig, listUrl, assertPage,
  UUID, RFC3339,
} from './client.mjs';

let srv, admin;
before(async () => {
  srv = await startServer();
  ({ browser: admin } = await setupAdmin(srv));
});

let n = 0;
const uniq = (p = 's') => `${p}${process.pid.toString(36)}${(n++).toString(36)}${crypto.randomBytes(2).toString('hex')}`;
const TOKEN16 = /^[a-zA-Z0-9]{16}$/;

function signupBody(extra = {}) {
  const username = uniq('new');
  return { username, email: `${username}@example.com`, firstName: 'Sam', lastName: 'Signup', ...extra };
}

async function setMode(mode, extra = {}) {
  expectStatus(await updateConfig(admin, { allowUserSignups: mode, ...extra }), 200);
}

async function withMode(mode, fn, extra = {}) {
  await setMode(mode, extra);
  try {
    return await fn();
  } finally {
    expectStatus(await updateConfig(admin, { allowUserSignups: 'disabled', signupDefaultUserGroupIDs: '[]', signupDefaultCustomClaims: '[]', emailsVerified: 'false' }), 200);
  }
}

async function newGroup() {
  const name = uniq('grp');
  return expectStatus(await admin.post('/api/user-groups', { friendlyName: `Group ${name}`, name }), 201).json;
}

async function newToken(body = {}) {
  const res = expectStatus(await admin.post('/api/signup-tokens', { ttl: '168h', usageLimit: 1, userGroupIds: [], ...body }), 201);
  return res.json;
}

/* ---------- modes ---------- */

test('signups disabled (default): POST /api/signup without a token is 403 open_signup_disabled', async () => {
  const b = new Browser(srv);
  const res = expectStatus(await b.post('/api/signup', signupBody()), 403, 'open_signup_disabled');
  assert.equal(res.json.error, 'Open user signup is not enabled', res.ctx);
  assert.equal(b.cookie('access_token'), undefined, res.ctx);
});

test('signups withToken: POST /api/signup without a token is 403 open_signup_disabled', async () => {
  await withMode('withToken', async () => {
    expectStatus(await new Browser(srv).post('/api/signup', signupBody()), 403, 'open_signup_disabled');
  });
});

test('open signups: 201 UserDto, a session cookie without amr, the user can use it', async () => {
  await withMode('open', async () => {
    const body = signupBody({ firstName: 'Open', lastName: 'Door' });
    const b = new Browser(srv);
    const res = expectStatus(await b.post('/api/signup', body), 201);
    assertUserDto(res.json, res.ctx);
    assert.equal(res.json.username, body.username, res.ctx);
    assert.equal(res.json.email, body.email, res.ctx);
    assert.equal(res.json.displayName, 'Open Door', res.ctx);
    assert.equal(res.json.isAdmin, false, res.ctx);
    assert.equal(res.json.emailVerified, false, res.ctx);
    const c = res.setCookies.access_token;
    assert.ok(c && c.value, res.ctx);
    assert.equal(c.attrs['max-age'], '3600', res.ctx);
    const claims = jwtClaims(c.value);
    assert.equal(claims.sub, res.json.id, JSON.stringify(claims));
    assert.ok(claims.amr === undefined || (Array.isArray(claims.amr) && claims.amr.length === 0), `no amr: ${JSON.stringify(claims)}`);
    const me = expectStatus(await b.get('/api/users/me'), 200);
    assert.equal(me.json.id, res.json.id, me.ctx);
  });
});

test('open signups with emailsVerified=true: the new user is verified', async () => {
  await withMode('open', async () => {
    const res = expectStatus(await new Browser(srv).post('/api/signup', signupBody()), 201);
    assert.equal(res.json.emailVerified, true, res.ctx);
  }, { emailsVerified: 'true' });
});

test('open signups: a taken username is 409 already_in_use', async () => {
  await withMode('open', async () => {
    const u = await insertUser(srv);
    const b = new Browser(srv);
    const res = expectStatus(await b.post('/api/signup', signupBody({ username: u.username.toUpperCase() })), 409, 'already_in_use');
    assert.equal(res.json.error, 'Username is already in use', res.ctx);
    assert.equal(b.cookie('access_token'), undefined, res.ctx);
  });
});

test('open signups: a taken email is 409 already_in_use', async () => {
  await withMode('open', async () => {
    const u = await insertUser(srv);
    const res = expectStatus(await new Browser(srv).post('/api/signup', signupBody({ email: u.email })), 409, 'already_in_use');
    assert.equal(res.json.error, 'Email is already in use', res.ctx);
  });
});

test('open signups: an invalid username is 400 validation_failed', async () => {
  await withMode('open', async () => {
    const res = expectStatus(await new Browser(srv).post('/api/signup', signupBody({ username: '-bad' })), 400, 'validation_failed');
    assert.ok(res.json.details?.fields?.some((f) => f.field === 'username'), res.ctx);
  });
});

test('open signups: no email is 400 validation_failed (requireUserEmail)', async () => {
  await withMode('open', async () => {
    const body = signupBody();
    delete body.email;
    const res = expectStatus(await new Browser(srv).post('/api/signup', body), 400, 'validation_failed');
    assert.ok(res.json.details?.fields?.some((f) => f.field === 'email'), res.ctx);
  });
});

test('open signups cannot make an admin or a disabled user', async () => {
  await withMode('open', async () => {
    const res = expectStatus(await new Browser(srv).post('/api/signup', signupBody({ isAdmin: true, disabled: true, emailVerified: true })), 201);
    assert.equal(res.json.isAdmin, false, res.ctx);
    assert.equal(res.json.disabled, false, res.ctx);
    assert.equal(res.json.emailVerified, false, res.ctx);
  });
});

test('POST /api/signup with a text/plain body is 400 invalid_request_body', async () => {
  const res = await new Browser(srv).call('POST', '/api/signup', { body: JSON.stringify(signupBody()), headers: { 'content-type': 'text/plain' } });
  expectStatus(res, 400, 'invalid_request_body');
});

test('a signup is recorded as ACCOUNT_CREATED with data.method open_signup', async () => {
  await withMode('open', async () => {
    const b = new Browser(srv);
    expectStatus(await b.post('/api/signup', signupBody()), 201);
    const logs = expectStatus(await b.get('/api/audit-logs'), 200);
    const e = logs.json.data.find((x) => x.event === 'ACCOUNT_CREATED');
    assert.ok(e, logs.ctx);
    assert.equal(e.data.method, 'open_signup', logs.ctx);
  });
});

/* ---------- signup tokens ---------- */

test('POST /api/signup-tokens: 201 with a 16-character token, usage, groups and expiry', async () => {
  const g = await newGroup();
  const before = Date.now();
  const res = expectStatus(await admin.post('/api/signup-tokens', { ttl: '168h', usageLimit: 3, userGroupIds: [g.id] }), 201);
  const t = res.json;
  for (const k of ['id', 'token', 'expiresAt', 'usageLimit', 'usageCount', 'userGroups', 'createdAt']) assert.ok(k in t, `lacks ${k}${res.ctx}`);
  assert.match(t.id, UUID, res.ctx);
  assert.match(t.token, TOKEN16, res.ctx);
  assert.equal(t.usageLimit, 3, res.ctx);
  assert.equal(t.usageCount, 0, res.ctx);
  assert.match(t.expiresAt, RFC3339, res.ctx);
  assert.match(t.createdAt, RFC3339, res.ctx);
  const exp = Date.parse(t.expiresAt);
  assert.ok(Math.abs(exp - (before + 168 * 3600e3)) < 120e3, `expiresAt ≈ now + 168 h${res.ctx}`);
  assert.deepEqual(t.userGroups.map((x) => x.id), [g.id], res.ctx);
  assert.equal(t.userGroups[0].name, g.name, res.ctx);
});

test('POST /api/signup-tokens with ttl in seconds', async () => {
  const res = expectStatus(await admin.post('/api/signup-tokens', { ttl: 3600, usageLimit: 1 }), 201);
  assert.ok(Math.abs(Date.parse(res.json.expiresAt) - (Date.now() + 3600e3)) < 120e3, res.ctx);
  assert.deepEqual(res.json.userGroups, [], res.ctx);
});

for (const [what, body] of [
  ['no ttl', { usageLimit: 1 }],
  ['a ttl over 31 days', { ttl: '745h', usageLimit: 1 }],
  ['a ttl that is not a duration', { ttl: 'a week', usageLimit: 1 }],
  ['usageLimit 0', { ttl: '1h', usageLimit: 0 }],
  ['usageLimit 101', { ttl: '1h', usageLimit: 101 }],
  ['no usageLimit', { ttl: '1h' }],
]) {
  test(`POST /api/signup-tokens with ${what} is 400`, async () => {
    const res = expectStatus(await admin.post('/api/signup-tokens', body), 400);
    assert.ok(['validation_failed', 'invalid_request_body'].includes(res.json?.code), res.ctx);
  });
}

test('POST /api/signup-tokens as a non-admin is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.post('/api/signup-tokens', { ttl: '1h', usageLimit: 1 }), 403, 'forbidden');
});

test('POST /api/signup-tokens signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).post('/api/signup-tokens', { ttl: '1h', usageLimit: 1 }), 401, 'not_signed_in');
});

test('a token signs up while signups are disabled; the user joins the token\'s groups; a second use is 401', async () => {
  const g = await newGroup();
  const t = await newToken({ usageLimit: 1, userGroupIds: [g.id] });
  const b = new Browser(srv);
  const res = expectStatus(await b.post('/api/signup', signupBody({ token: t.token })), 201);
  assert.ok(b.cookie('access_token'), res.ctx);
  const u = expectStatus(await admin.get(`/api/users/${res.json.id}`), 200);
  assert.deepEqual(u.json.userGroups.map((x) => x.id), [g.id], u.ctx);
  const again = expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: t.token })), 401, 'token_invalid_or_expired');
  assert.equal(again.json.error, 'Token is invalid or expired', again.ctx);
});

test('a token works in withToken mode too', async () => {
  await withMode('withToken', async () => {
    const t = await newToken();
    expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: t.token })), 201);
  });
});

test('usageLimit 2: two signups, the third is 401; the list shows usageCount 2', async () => {
  const t = await newToken({ usageLimit: 2 });
  expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: t.token })), 201);
  expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: t.token })), 201);
  expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: t.token })), 401, 'token_invalid_or_expired');
  const list = assertPage(await admin.get(listUrl('/api/signup-tokens', { limit: 100 })));
  const row = list.data.find((x) => x.id === t.id);
  assert.ok(row, JSON.stringify(list));
  assert.equal(row.usageCount, 2, JSON.stringify(row));
});

test('concurrent signups on a usageLimit-1 token: exactly one succeeds', async () => {
  const t = await newToken({ usageLimit: 1 });
  const results = await Promise.all(Array.from({ length: 5 }, () => new Browser(srv).post('/api/signup', signupBody({ token: t.token }))));
  const codes = results.map((r) => r.status).sort();
  assert.deepEqual(codes, [201, 401, 401, 401, 401], results.map((r) => `${r.status} ${r.text}`).join('\n'));
});

test('a failed signup does not use up the token', async () => {
  const t = await newToken({ usageLimit: 1 });
  const taken = await insertUser(srv);
  expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: t.token, username: taken.username })), 409, 'already_in_use');
  expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: t.token })), 201);
});

test('an unknown token is 401 token_invalid_or_expired', async () => {
  expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: 'AAAAAAAAAAAAAAAA' })), 401, 'token_invalid_or_expired');
});

test('an expired token is 401 token_invalid_or_expired', async () => {
  const t = await newToken({ ttl: 1 });
  await sleep(2100);
  expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: t.token })), 401, 'token_invalid_or_expired');
});

test('a token signup is recorded as ACCOUNT_CREATED with data.signupToken', async () => {
  const t = await newToken();
  const b = new Browser(srv);
  expectStatus(await b.post('/api/signup', signupBody({ token: t.token })), 201);
  const logs = expectStatus(await b.get('/api/audit-logs'), 200);
  const e = logs.json.data.find((x) => x.event === 'ACCOUNT_CREATED');
  assert.ok(e, logs.ctx);
  assert.equal(e.data.signupToken, t.token, logs.ctx);
});

test('DELETE /api/signup-tokens/:id: 204 and the token stops working', async () => {
  const t = await newToken();
  expectStatus(await admin.del(`/api/signup-tokens/${t.id}`), 204);
  expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: t.token })), 401, 'token_invalid_or_expired');
  const list = assertPage(await admin.get(listUrl('/api/signup-tokens', { limit: 100 })));
  assert.ok(!list.data.some((x) => x.id === t.id));
});

test('DELETE /api/signup-tokens/:id of an unknown token is 204', async () => {
  expectStatus(await admin.del(`/api/signup-tokens/${crypto.randomUUID()}`), 204);
});

test('DELETE /api/signup-tokens/:id as a non-admin is 403 forbidden', async () => {
  const t = await newToken();
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.del(`/api/signup-tokens/${t.id}`), 403, 'forbidden');
});

test('GET /api/signup-tokens: paginated, sortable by usageLimit', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  assertPage(await a.get('/api/signup-tokens'), { totalItems: 0, totalPages: 1, currentPage: 1 });
  for (const usageLimit of [5, 1, 9]) expectStatus(await a.post('/api/signup-tokens', { ttl: '1h', usageLimit }), 201);
  const res = await a.get(listUrl('/api/signup-tokens', { sort: 'usageLimit', direction: 'desc' }));
  const b = assertPage(res, { totalItems: 3, totalPages: 1 });
  assert.deepEqual(b.data.map((t) => t.usageLimit), [9, 5, 1], res.ctx);
  for (const t of b.data) assert.match(t.token, TOKEN16, res.ctx);
  const p2 = assertPage(await a.get(listUrl('/api/signup-tokens', { limit: 2, page: 2, sort: 'usageLimit', direction: 'asc' })), { currentPage: 2, totalPages: 2 });
  assert.deepEqual(p2.data.map((t) => t.usageLimit), [9]);
});

test('GET /api/signup-tokens as a non-admin is 403 forbidden', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  expectStatus(await b.get('/api/signup-tokens'), 403, 'forbidden');
});

/* ---------- default groups and claims ---------- */

test('open signup: the user gets signupDefaultUserGroupIDs and signupDefaultCustomClaims', async () => {
  const g1 = await newGroup();
  const g2 = await newGroup();
  const claims = [{ key: 'tier', value: 'free' }, { key: 'source', value: 'signup' }];
  await withMode('open', async () => {
    const res = expectStatus(await new Browser(srv).post('/api/signup', signupBody()), 201);
    const u = expectStatus(await admin.get(`/api/users/${res.json.id}`), 200);
    assert.deepEqual(u.json.userGroups.map((x) => x.id).sort(), [g1.id, g2.id].sort(), u.ctx);
    const sorted = (l) => [...l].sort((a, b) => a.key.localeCompare(b.key));
    assert.deepEqual(sorted(u.json.customClaims), sorted(claims), u.ctx);
  }, { signupDefaultUserGroupIDs: JSON.stringify([g1.id, g2.id]), signupDefaultCustomClaims: JSON.stringify(claims) });
});

test('token signup: the token\'s groups replace the default groups; default claims still apply', async () => {
  const gDefault = await newGroup();
  const gToken = await newGroup();
  await withMode('disabled', async () => {
    const t = await newToken({ userGroupIds: [gToken.id] });
    const res = expectStatus(await new Browser(srv).post('/api/signup', signupBody({ token: t.token })), 201);
    const u = expectStatus(await admin.get(`/api/users/${res.json.id}`), 200);
    assert.deepEqual(u.json.userGroups.map((x) => x.id), [gToken.id], u.ctx);
    assert.deepEqual(u.json.customClaims, [{ key: 'tier', value: 'invited' }], u.ctx);
  }, { signupDefaultUserGroupIDs: JSON.stringify([gDefault.id]), signupDefaultCustomClaims: JSON.stringify([{ key: 'tier', value: 'invited' }]) });
});

test('admin-created users without userGroupIds get the default groups and claims too', async () => {
  const g = await newGroup();
  await withMode('disabled', async () => {
    const username = uniq('admmade');
    const res = expectStatus(await admin.post('/api/users', { username, email: `${username}@example.com`, firstName: 'Adm', lastName: 'Made' }), 201);
    const u = expectStatus(await admin.get(`/api/users/${res.json.id}`), 200);
    assert.deepEqual(u.json.userGroups.map((x) => x.id), [g.id], u.ctx);
    assert.deepEqual(u.json.customClaims, [{ key: 'dept', value: 'new' }], u.ctx);
  }, { signupDefaultUserGroupIDs: JSON.stringify([g.id]), signupDefaultCustomClaims: JSON.stringify([{ key: 'dept', value: 'new' }]) });
});

test('admin-created users with userGroupIds get those instead of the default groups', async () => {
  const gDefault = await newGroup();
  const gChosen = await newGroup();
  await withMode('disabled', async () => {
    const username = uniq('admchose');
    const res = expectStatus(await admin.post('/api/users', { username, email: `${username}@example.com`, firstName: 'Adm', lastName: 'Chose', userGroupIds: [gChosen.id] }), 201);
    const u = expectStatus(await admin.get(`/api/users/${res.json.id}`), 200);
    assert.deepEqual(u.json.userGroups.map((x) => x.id), [gChosen.id], u.ctx);
  }, { signupDefaultUserGroupIDs: JSON.stringify([gDefault.id]) });
});
