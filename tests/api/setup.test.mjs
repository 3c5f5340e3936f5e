// Initial setup (issue 3; reference §1.14, §8.6, checklist 106): GET/POST /api/signup/setup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { Browser, expectStatus, assertUserDto, jwtClaims } from './client.mjs';

const admin = { username: 'tim', email: 'tim.cook@example.com', firstName: 'Tim', lastName: 'Cook' };

test('GET /api/signup/setup is 204 on an empty database', async () => {
  const srv = await startServer();
  const res = await new Browser(srv).get('/api/signup/setup');
  expectStatus(res, 204);
  assert.equal(res.body.length, 0, res.ctx);
});

test('POST /api/signup/setup creates the first admin and signs it in with amr ["otp"]', async () => {
  const srv = await startServer();
  const b = new Browser(srv);
  const res = expectStatus(await b.post('/api/signup/setup', admin), 200);
  assertUserDto(res.json, res.ctx);
  assert.equal(res.json.username, 'tim', res.ctx);
  assert.equal(res.json.email, 'tim.cook@example.com', res.ctx);
  assert.equal(res.json.firstName, 'Tim', res.ctx);
  assert.equal(res.json.lastName, 'Cook', res.ctx);
  assert.equal(res.json.displayName, 'Tim Cook', res.ctx);
  assert.equal(res.json.isAdmin, true, res.ctx);
  assert.equal(res.json.disabled, false, res.ctx);
  const c = res.setCookies.access_token;
  assert.ok(c && c.value, `no access_token cookie${res.ctx}`);
  const claims = jwtClaims(c.value);
  assert.deepEqual(claims.amr, ['otp'], JSON.stringify(claims));
  assert.equal(claims.sub, res.json.id, JSON.stringify(claims));
  assert.equal(claims.isAdmin, true, JSON.stringify(claims));

  // the session works and is the admin
  const me = expectStatus(await b.get('/api/users/me'), 200);
  assert.equal(me.json.id, res.json.id, me.ctx);
  assert.equal(me.json.isAdmin, true, me.ctx);
});

test('after setup GET /api/signup/setup is 404 setup_not_available', async () => {
  const srv = await startServer();
  const b = new Browser(srv);
  expectStatus(await b.post('/api/signup/setup', admin), 200);
  const res = expectStatus(await new Browser(srv).get('/api/signup/setup'), 404, 'setup_not_available');
  assert.equal(res.json.error, 'Not found', res.ctx);
});

test('a second POST /api/signup/setup is 409 setup_already_completed and creates nobody', async () => {
  const srv = await startServer();
  const first = new Browser(srv);
  const one = expectStatus(await first.post('/api/signup/setup', admin), 200);
  const b = new Browser(srv);
  const res = expectStatus(await b.post('/api/signup/setup', { ...admin, username: 'other', email: 'other@example.com' }), 409, 'setup_already_completed');
  assert.equal(b.cookie('access_token'), undefined, `no session for the refused setup${res.ctx}`);
  // still exactly the first admin
  const me = expectStatus(await first.get('/api/users/me'), 200);
  assert.equal(me.json.id, one.json.id, me.ctx);
});

test('10 concurrent setups: exactly one 200, the rest 409 setup_already_completed', async () => {
  const srv = await startServer();
  const browsers = Array.from({ length: 10 }, () => new Browser(srv));
  const results = await Promise.all(browsers.map((b, i) => b.post('/api/signup/setup', {
    username: `admin${i}`, email: `admin${i}@example.com`, firstName: 'Ad', lastName: `Min${i}`,
  })));
  const ok = results.filter((r) => r.status === 200);
  const conflict = results.filter((r) => r.status === 409);
  const all = results.map((r) => `${r.status} ${r.text}`).join('\n');
  assert.equal(ok.length, 1, `exactly one setup must succeed:\n${all}`);
  assert.equal(conflict.length, 9, `the others must be 409:\n${all}`);
  for (const r of conflict) expectStatus(r, 409, 'setup_already_completed');
  // the winner's session is valid and is the only admin created
  const winner = browsers[results.indexOf(ok[0])];
  const me = expectStatus(await winner.get('/api/users/me'), 200);
  assert.equal(me.json.username, ok[0].json.username, me.ctx);
  expectStatus(await new Browser(srv).get('/api/signup/setup'), 404, 'setup_not_available');
});

/* Validation failures: each its own test, on one server that must stay empty. */
let valSrv;
async function validationServer() {
  valSrv ||= await startServer();
  return valSrv;
}

async function expectInvalid(body, field, code) {
  const srv = await validationServer();
  const b = new Browser(srv);
  const res = expectStatus(await b.post('/api/signup/setup', body), 400, 'validation_failed');
  const fields = res.json.details && res.json.details.fields;
  assert.ok(Array.isArray(fields), `details.fields${res.ctx}`);
  const f = fields.find((x) => x.field === field);
  assert.ok(f, `no details.fields entry for ${field}${res.ctx}`);
  if (code) assert.equal(f.code, code, res.ctx);
  assert.equal(typeof f.message, 'string', res.ctx);
  assert.equal(b.cookie('access_token'), undefined, `no session after a refused setup${res.ctx}`);
  // nothing was created
  expectStatus(await new Browser(srv).get('/api/signup/setup'), 204);
  return res;
}

test('setup: a username starting with "-" is 400 validation_failed (username invalid_format)', async () => {
  await expectInvalid({ ...admin, username: '-bad' }, 'username', 'invalid_format');
});

test('setup: a username ending with "." is 400 validation_failed', async () => {
  await expectInvalid({ ...admin, username: 'bad.' }, 'username');
});

test('setup: a username with a space is 400 validation_failed', async () => {
  await expectInvalid({ ...admin, username: 'tim cook' }, 'username');
});

test('setup: a username of 51 characters is 400 validation_failed', async () => {
  await expectInvalid({ ...admin, username: 'a'.repeat(51) }, 'username');
});

test('setup: a missing username is 400 validation_failed (required)', async () => {
  const { username, ...rest } = admin;
  await expectInvalid(rest, 'username', 'required');
});

test('setup: a missing email is 400 validation_failed (email required)', async () => {
  const { email, ...rest } = admin;
  const res = await expectInvalid(rest, 'email', 'required');
  assert.match(res.json.error, /^Email /, res.ctx);
});

test('setup: an email without "@" is 400 validation_failed', async () => {
  await expectInvalid({ ...admin, email: 'not-an-email' }, 'email');
});

test('setup: a missing firstName is 400 validation_failed', async () => {
  const { firstName, ...rest } = admin;
  await expectInvalid(rest, 'firstName', 'required');
});

test('setup: a lastName of 51 characters is 400 validation_failed', async () => {
  await expectInvalid({ ...admin, lastName: 'x'.repeat(51) }, 'lastName');
});

test('setup: a body that is not application/json is 400 invalid_request_body', async () => {
  const srv = await validationServer();
  const b = new Browser(srv);
  const res = await b.call('POST', '/api/signup/setup', { body: JSON.stringify(admin), headers: { 'content-type': 'text/plain' } });
  expectStatus(res, 400, 'invalid_request_body');
  expectStatus(await new Browser(srv).get('/api/signup/setup'), 204);
});

test('setup: a body that is not JSON is 400 invalid_request_body', async () => {
  const srv = await validationServer();
  const res = await new Browser(srv).call('POST', '/api/signup/setup', { body: '{"username":', headers: { 'content-type': 'application/json' } });
  expectStatus(res, 400, 'invalid_request_body');
});

test('setup: a username of 1 character and a lastName left empty are accepted', async () => {
  const srv = await startServer();
  const res = expectStatus(await new Browser(srv).post('/api/signup/setup', { username: 'x', email: 'x@example.com', firstName: 'X', lastName: '' }), 200);
  assert.equal(res.json.username, 'x', res.ctx);
  assert.equal(res.json.lastName, '', res.ctx);
});

test('setup without an email is accepted with REQUIRE_USER_EMAIL=false (UI_CONFIG_DISABLED)', async () => {
  const srv = await startServer({ env: { UI_CONFIG_DISABLED: 'true', REQUIRE_USER_EMAIL: 'false' } });
  const res = expectStatus(await new Browser(srv).post('/api/signup/setup', { username: 'tim', firstName: 'Tim', lastName: 'Cook' }), 200);
  assert.equal(res.json.email, null, res.ctx);
  assert.equal(res.json.isAdmin, true, res.ctx);
});
