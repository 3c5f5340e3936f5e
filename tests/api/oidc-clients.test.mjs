// OIDC client administration and the users' app lists (reference §1.6, §2.4, §2.15, §5;
// checklist 42-48, 62): list/create/read/update/delete clients, allowed groups, public
// metadata, secrets, logos, and /api/oidc/users/.../authorized-clients and /me/clients.
// Consents and issued tokens are made with direct SQL (the protocol endpoints are tested
// elsewhere).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, insertUser, signInAs, sql, sqlTime, q, listUrl, assertPage, apiKeyClient,
  createApiKey, UUID, RFC3339,
} from './client.mjs';

let srv, admin, adminUser, member, memberUser;
before(async () => {
  srv = await startServer();
  ({ browser: admin, user: adminUser } = await setupAdmin(srv));
  memberUser = await insertUser(srv);
  member = await signInAs(srv, admin, memberUser.id);
});

let n = 0;
const uniq = (p = 'c') => `${p}${process.pid.toString(36)}${(n++).toString(36)}${crypto.randomBytes(3).toString('hex')}`;
const iso = (msFromNow) => new Date(Date.now() + msFromNow).toISOString().replace(/\.\d+Z$/, 'Z');
const DAY = 86400e3;
const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

const META_KEYS = ['clientType', 'description', 'hasDarkLogo', 'hasLogo', 'id', 'launchURL', 'name', 'requiresReauthentication'];
const CLIENT_KEYS = [...META_KEYS, 'accessTokenDurationMinutes', 'callbackURLs', 'credentials', 'isGroupRestricted', 'isPublic',
  'logoutCallbackURLs', 'pkceEnabled', 'pkceSupported', 'refreshTokenDurationMinutes', 'requiresPushedAuthorizationRequests',
  'skipConsent'].sort();
const SECRET_KEYS = ['createdAt', 'expiresAt', 'id', 'isActive', 'prefix'];

/** Checks an OidcClientDto; extra: the keys the variant adds. */
function assertClient(c, ctx, extra = []) {
  const c2 = `${ctx}\n--- client ---\n${JSON.stringify(c)}`;
  assert.deepEqual(Object.keys(c).sort(), [...CLIENT_KEYS, ...extra].sort(), `client keys${c2}`);
  assert.equal(c.clientType, 'standard', c2);
  assert.ok(Array.isArray(c.callbackURLs) && Array.isArray(c.logoutCallbackURLs), c2);
  assert.deepEqual(Object.keys(c.credentials).sort(), ['federatedIdentities', 'secrets'], c2);
  for (const s of c.credentials.secrets) assert.deepEqual(Object.keys(s).sort(), SECRET_KEYS, `secret keys${c2}`);
  for (const k of ['isPublic', 'pkceEnabled', 'pkceSupported', 'requiresReauthentication', 'requiresPushedAuthorizationRequests',
    'skipConsent', 'isGroupRestricted', 'hasLogo', 'hasDarkLogo']) assert.equal(typeof c[k], 'boolean', `${k}${c2}`);
  assert.ok(Number.isInteger(c.accessTokenDurationMinutes) && Number.isInteger(c.refreshTokenDurationMinutes), c2);
}

async function createClient(extra = {}, { by = admin } = {}) {
  const res = expectStatus(await by.post('/api/oidc/clients', { name: uniq('App '), callbackURLs: ['https://app.example/cb'], ...extra }), 201);
  return res.json;
}

async function createGroup() {
  const name = uniq('grp');
  return expectStatus(await admin.post('/api/user-groups', { friendlyName: `Group ${name}`, name }), 201).json;
}

/** Fields of PUT /api/oidc/clients/:id rebuilt from a client DTO (a full update). */
function updateBody(c, changes = {}) {
  const keys = ['name', 'description', 'callbackURLs', 'logoutCallbackURLs', 'isPublic', 'pkceEnabled', 'requiresReauthentication',
    'requiresPushedAuthorizationRequests', 'skipConsent', 'isGroupRestricted', 'launchURL', 'accessTokenDurationMinutes',
    'refreshTokenDurationMinutes'];
  return { ...Object.fromEntries(keys.map((k) => [k, c[k]])), credentials: { federatedIdentities: c.credentials.federatedIdentities }, ...changes };
}

function fieldOf(res, field, code) {
  expectStatus(res, 400, 'validation_failed');
  const f = (res.json.details?.fields || []).find((x) => x.field === field);
  assert.ok(f, `a validation error on ${field}${res.ctx}`);
  if (code) assert.equal(f.code, code, `code of ${field}${res.ctx}`);
  assert.match(res.json.error, new RegExp(`^${field} `, 'i'), `message names ${field}${res.ctx}`);
  return f;
}

async function storedCredentials(id) {
  const rows = await sql(srv, `SELECT credentials FROM oidc_clients WHERE id = ${q(id)}`);
  return JSON.parse(rows[0][0]);
}

/* ---------- images ---------- */

const CRC = Array.from({ length: 256 }, (_, k) => {
  let c = k;
  for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A 2x2 red PNG. */
function png() {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.from([0, 200, 30, 30, 200, 30, 30, 0, 200, 30, 30, 200, 30, 30]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const PNG = png();
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>');
/** A GIF of exactly `size` bytes (trailing bytes after the trailer are kept as they are). */
const gifOf = (size) => Buffer.concat([GIF, Buffer.alloc(size - GIF.length, 0x3b)]);

function multipart(data, { name = 'file', filename = 'logo.png' } = {}) {
  const boundary = `----symbolon${crypto.randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
function uploadLogo(browser, id, data, { light = true, ...opts } = {}) {
  const m = multipart(data, opts);
  return browser.call('POST', `/api/oidc/clients/${id}/logo?light=${light}`, { body: m.body, headers: m.headers });
}
const logoFile = (s, id, dark, ext) => path.join(s.dir, 'data', 'uploads', 'oidc-client-images', `${id}${dark ? '-dark' : ''}.${ext}`);

/* ---------- create ---------- */

test('POST /api/oidc/clients: 201, a UUID id, no secret, Pocket ID defaults', async () => {
  const res = expectStatus(await admin.post('/api/oidc/clients', { name: 'X', callbackURLs: ['https://x.example/cb'] }), 201);
  const c = res.json;
  assertClient(c, res.ctx, ['allowedUserGroups']);
  assert.match(c.id, UUID, res.ctx);
  assert.equal(c.name, 'X');
  assert.equal(c.description, '');
  assert.deepEqual(c.callbackURLs, ['https://x.example/cb']);
  assert.deepEqual(c.logoutCallbackURLs, []);
  assert.deepEqual(c.credentials, { federatedIdentities: [], secrets: [] }, res.ctx);
  assert.deepEqual(c.allowedUserGroups, []);
  assert.equal(c.launchURL, null);
  assert.equal(c.accessTokenDurationMinutes, 60);
  assert.equal(c.refreshTokenDurationMinutes, 43200);
  for (const k of ['isPublic', 'pkceEnabled', 'pkceSupported', 'requiresReauthentication', 'requiresPushedAuthorizationRequests',
    'skipConsent', 'isGroupRestricted', 'hasLogo', 'hasDarkLogo']) assert.equal(c[k], false, `${k}${res.ctx}`);
  const rows = await sql(srv, `SELECT created_by_id FROM oidc_clients WHERE id = ${q(c.id)}`);
  assert.equal(rows[0][0], adminUser.id, 'created_by_id is the admin');
});

test('POST /api/oidc/clients: every field is stored and answered', async () => {
  const body = {
    name: 'Ünïcode Äpp', description: 'A description', callbackURLs: ['https://a.example/cb', 'https://*.a.example/cb/**'],
    logoutCallbackURLs: ['https://a.example/logout'], launchURL: 'https://a.example/', requiresReauthentication: true,
    requiresPushedAuthorizationRequests: true, skipConsent: true, isGroupRestricted: true, accessTokenDurationMinutes: 90,
    refreshTokenDurationMinutes: 525600, pkceEnabled: true,
    credentials: { federatedIdentities: [{ issuer: 'https://idp.example', audience: 'api://x', jwks: 'https://idp.example/jwks.json', replayProtection: true }] },
  };
  const res = expectStatus(await admin.post('/api/oidc/clients', body), 201);
  const c = res.json;
  for (const k of ['name', 'description', 'callbackURLs', 'logoutCallbackURLs', 'launchURL', 'requiresReauthentication',
    'requiresPushedAuthorizationRequests', 'skipConsent', 'isGroupRestricted', 'accessTokenDurationMinutes', 'refreshTokenDurationMinutes',
    'pkceEnabled']) assert.deepEqual(c[k], body[k], `${k}${res.ctx}`);
  assert.deepEqual(c.credentials.federatedIdentities, [{ issuer: 'https://idp.example', audience: 'api://x', jwks: 'https://idp.example/jwks.json', replayProtection: true }], res.ctx);
  const got = expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 200);
  assert.deepEqual(got.json, c, 'GET answers what POST answered');
});

test('POST /api/oidc/clients: isPublic forces pkceEnabled', async () => {
  const c = await createClient({ isPublic: true, pkceEnabled: false });
  assert.equal(c.isPublic, true);
  assert.equal(c.pkceEnabled, true);
});

test('POST /api/oidc/clients: a custom id is kept; the same again is 409 client_id_already_exists', async () => {
  const id = uniq('my-app.');
  const c = await createClient({ id });
  assert.equal(c.id, id);
  const again = await admin.post('/api/oidc/clients', { id, name: 'Again' });
  expectStatus(again, 409, 'client_id_already_exists');
  assert.equal(again.json.error, 'Client ID is already in use');
  for (const ok of ['ab', 'a'.repeat(128), 'A.b_c-9']) {
    const id2 = ok.length === 128 ? uniq('x').padEnd(128, 'z') : `${ok}${n++}`;
    assert.equal((await createClient({ id: id2 })).id, id2);
  }
  expectStatus(await admin.get(`/api/oidc/clients/${id}`), 200);
});

test('POST /api/oidc/clients: an empty id means a UUID', async () => {
  assert.match((await createClient({ id: '' })).id, UUID);
});

test('POST /api/oidc/clients: ids outside ^[a-zA-Z0-9._-]{2,128}$ are 400 (field id)', async () => {
  for (const id of ['a', 'has space', 'slash/y', 'x'.repeat(129), 'üml', 'semi;colon']) {
    fieldOf(await admin.post('/api/oidc/clients', { id, name: 'Bad id' }), 'id', 'client_id');
  }
});

test('POST /api/oidc/clients: name required, at most 50 characters (not bytes); description at most 150', async () => {
  fieldOf(await admin.post('/api/oidc/clients', { callbackURLs: [] }), 'name', 'required');
  fieldOf(await admin.post('/api/oidc/clients', { name: '' }), 'name', 'required');
  fieldOf(await admin.post('/api/oidc/clients', { name: 'n'.repeat(51) }), 'name', 'max');
  assert.equal((await createClient({ name: 'é'.repeat(50) })).name, 'é'.repeat(50));
  fieldOf(await admin.post('/api/oidc/clients', { name: 'ok', description: 'd'.repeat(151) }), 'description', 'max');
  assert.equal((await createClient({ description: 'ü'.repeat(150) })).description, 'ü'.repeat(150));
});

test('POST /api/oidc/clients: bad callback and logout URLs are 400 naming the field; nothing is stored', async () => {
  const name = uniq('BadCb');
  for (const bad of ['javascript:alert(1)', 'data:text/html,hi', '', 'no scheme']) {
    fieldOf(await admin.post('/api/oidc/clients', { name, callbackURLs: ['https://ok.example/cb', bad] }), 'callbackURLs');
    fieldOf(await admin.post('/api/oidc/clients', { name, logoutCallbackURLs: [bad] }), 'logoutCallbackURLs');
  }
  const rows = await sql(srv, `SELECT count(*) FROM oidc_clients WHERE name = ${q(name)}`);
  assert.equal(rows[0][0], '0');
});

test('POST /api/oidc/clients: launchURL must be a URL; empty or null is none', async () => {
  fieldOf(await admin.post('/api/oidc/clients', { name: 'L', launchURL: 'not a url' }), 'launchURL', 'url');
  fieldOf(await admin.post('/api/oidc/clients', { name: 'L', launchURL: 'nocolon' }), 'launchURL', 'url');
  assert.equal((await createClient({ launchURL: '' })).launchURL, null);
  assert.equal((await createClient({ launchURL: null })).launchURL, null);
});

test('POST /api/oidc/clients: token lifetimes: 0 is the default, 1..525600, else 400 token_duration', async () => {
  const c = await createClient({ accessTokenDurationMinutes: 0, refreshTokenDurationMinutes: 0 });
  assert.equal(c.accessTokenDurationMinutes, 60);
  assert.equal(c.refreshTokenDurationMinutes, 43200);
  const edge = await createClient({ accessTokenDurationMinutes: 1, refreshTokenDurationMinutes: 525600 });
  assert.equal(edge.accessTokenDurationMinutes, 1);
  assert.equal(edge.refreshTokenDurationMinutes, 525600);
  fieldOf(await admin.post('/api/oidc/clients', { name: 'T', accessTokenDurationMinutes: 525601 }), 'accessTokenDurationMinutes', 'token_duration');
  fieldOf(await admin.post('/api/oidc/clients', { name: 'T', refreshTokenDurationMinutes: -1 }), 'refreshTokenDurationMinutes', 'token_duration');
});

test('POST /api/oidc/clients: several bad fields are all listed', async () => {
  const res = await admin.post('/api/oidc/clients', { name: '', launchURL: 'bad', accessTokenDurationMinutes: 0.5e7 });
  expectStatus(res, 400, 'validation_failed');
  const fields = res.json.details.fields.map((f) => f.field).sort();
  assert.deepEqual(fields, ['accessTokenDurationMinutes', 'launchURL', 'name'], res.ctx);
});

test('POST /api/oidc/clients: logoUrl and darkLogoUrl are refused: logos are uploaded', async () => {
  for (const field of ['logoUrl', 'darkLogoUrl']) {
    const f = fieldOf(await admin.post('/api/oidc/clients', { name: 'Logo', [field]: 'https://example.com/logo.png' }), field, 'not_supported');
    assert.match(f.message, /upload/, 'the message says to upload the logo');
  }
  // null or empty: nothing asked, nothing refused
  await createClient({ logoUrl: null, darkLogoUrl: '' });
});

test('POST /api/oidc/clients: members of the wrong type and non-JSON bodies are 400 invalid_request_body', async () => {
  for (const body of [{ name: 'W', isPublic: 'yes' }, { name: 'W', callbackURLs: 'https://x/cb' }, { name: 'W', callbackURLs: [1] },
    { name: 'W', accessTokenDurationMinutes: 1.5 }, { name: 'W', accessTokenDurationMinutes: '60' }, { name: 7 },
    { name: 'W', credentials: [] }, { name: 'W', credentials: { federatedIdentities: [1] } }, ['not', 'an', 'object']]) {
    expectStatus(await admin.post('/api/oidc/clients', body), 400, 'invalid_request_body');
  }
  expectStatus(await admin.call('POST', '/api/oidc/clients', { body: '{"name":"x"}', headers: { 'content-type': 'text/plain' } }), 400, 'invalid_request_body');
  expectStatus(await admin.call('POST', '/api/oidc/clients', { body: '{"name":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_request_body');
});

test('POST /api/oidc/clients: a federated identity needs an issuer; secrets in the body are ignored', async () => {
  fieldOf(await admin.post('/api/oidc/clients', { name: 'F', credentials: { federatedIdentities: [{ subject: 's' }] } }), 'credentials.federatedIdentities', 'required');
  fieldOf(await admin.post('/api/oidc/clients', { name: 'F', credentials: { federatedIdentities: [{ issuer: 'https://i', jwks: 'nope' }] } }), 'credentials.federatedIdentities', 'url');
  const c = await createClient({ credentials: { secrets: [{ id: 'x', alg: 'sha256', hash: sha256('injected-secret-value'), prefix: 'inje' }] } });
  assert.deepEqual(c.credentials.secrets, []);
  assert.deepEqual((await storedCredentials(c.id)).secrets, [], 'no injected hash stored');
});

test('POST /api/oidc/clients by the static API key: created, without a creator', async () => {
  const key = 'static-api-key-for-the-clients-0123';
  const s = await startServer({ env: { STATIC_API_KEY: key } });
  const res = expectStatus(await apiKeyClient(s, key).post('/api/oidc/clients', { name: 'By the static key' }), 201);
  const rows = await sql(s, `SELECT created_by_id IS NULL FROM oidc_clients WHERE id = ${q(res.json.id)}`);
  assert.match(rows[0][0], /^(1|t)$/, 'created_by_id is NULL');
  await s.stop();
});

/* ---------- read, update, delete ---------- */

test('GET /api/oidc/clients/:id: unknown is 404 not_found (resource OIDC client)', async () => {
  const res = expectStatus(await admin.get('/api/oidc/clients/no-such-client'), 404, 'not_found');
  assert.equal(res.json.error, 'OIDC client not found');
  assert.deepEqual(res.json.details, { resource: 'OIDC client' });
});

test('PUT /api/oidc/clients/:id: a full update; what is left out goes back to its default', async () => {
  const c = await createClient({ description: 'old', skipConsent: true, launchURL: 'https://l.example', accessTokenDurationMinutes: 5,
    logoutCallbackURLs: ['https://l.example/out'] });
  const res = expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, { name: 'Renamed', callbackURLs: ['https://new.example/cb'] }), 200);
  assertClient(res.json, res.ctx, ['allowedUserGroups']);
  assert.equal(res.json.id, c.id);
  assert.equal(res.json.name, 'Renamed');
  assert.equal(res.json.description, '');
  assert.equal(res.json.skipConsent, false);
  assert.equal(res.json.launchURL, null);
  assert.deepEqual(res.json.logoutCallbackURLs, []);
  assert.equal(res.json.accessTokenDurationMinutes, 60);
  assert.deepEqual(res.json.callbackURLs, ['https://new.example/cb']);
  const full = expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, updateBody(res.json, { description: 'back', requiresReauthentication: true })), 200);
  assert.equal(full.json.description, 'back');
  assert.equal(full.json.requiresReauthentication, true);
  assert.equal(full.json.name, 'Renamed');
});

test('PUT /api/oidc/clients/:id: validation as on create; unknown is 404; non-admin 403', async () => {
  const c = await createClient();
  fieldOf(await admin.put(`/api/oidc/clients/${c.id}`, { name: 'x', callbackURLs: ['javascript:x'] }), 'callbackURLs');
  fieldOf(await admin.put(`/api/oidc/clients/${c.id}`, { name: 'x', refreshTokenDurationMinutes: 525601 }), 'refreshTokenDurationMinutes', 'token_duration');
  fieldOf(await admin.put(`/api/oidc/clients/${c.id}`, { name: 'x', logoUrl: 'https://example.com/l.png' }), 'logoUrl', 'not_supported');
  expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, { name: 'x', skipConsent: 1 }), 400, 'invalid_request_body');
  expectStatus(await admin.put('/api/oidc/clients/no-such-client', { name: 'x' }), 404, 'not_found');
  expectStatus(await member.put(`/api/oidc/clients/${c.id}`, { name: 'x' }), 403, 'forbidden');
  assert.equal(expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 200).json.name, c.name, 'unchanged');
});

test('PUT /api/oidc/clients/:id: an id in the body does not rename the client', async () => {
  const c = await createClient();
  const res = expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, { ...updateBody(c), id: 'renamed-id' }), 200);
  assert.equal(res.json.id, c.id);
  expectStatus(await admin.get('/api/oidc/clients/renamed-id'), 404, 'not_found');
});

test('PUT /api/oidc/clients/:id: isPublic forces pkceEnabled; saving pkceEnabled=false clears pkceSupported', async () => {
  const c = await createClient();
  await sql(srv, `UPDATE oidc_clients SET pkce_supported = TRUE WHERE id = ${q(c.id)}`);
  let res = expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, updateBody(c, { pkceEnabled: true })), 200);
  assert.equal(res.json.pkceSupported, true, `pkceEnabled=true keeps pkceSupported${res.ctx}`);
  res = expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, updateBody(c, { pkceEnabled: false })), 200);
  assert.equal(res.json.pkceSupported, false, `pkceEnabled=false clears it${res.ctx}`);
  res = expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, updateBody(c, { isPublic: true, pkceEnabled: false })), 200);
  assert.equal(res.json.isPublic, true);
  assert.equal(res.json.pkceEnabled, true);
});

test('PUT /api/oidc/clients/:id: the secrets stay (credentials.secrets in the body is ignored); federated identities are replaced', async () => {
  const c = await createClient();
  const made = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`), 201).json;
  const body = updateBody(c, { credentials: { federatedIdentities: [{ issuer: 'https://fed.example', subject: 'sub' }], secrets: [] } });
  const res = expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, body), 200);
  assert.deepEqual(res.json.credentials.secrets.map((s) => s.id), [made.id], res.ctx);
  assert.deepEqual(res.json.credentials.federatedIdentities, [{ issuer: 'https://fed.example', subject: 'sub', replayProtection: false }]);
  const stored = await storedCredentials(c.id);
  assert.equal(stored.secrets[0].hash, sha256(made.secret), 'the stored hash is untouched');
});

test('PUT /api/oidc/clients/:id: a client made public loses its secrets', async () => {
  const c = await createClient();
  expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`), 201);
  const res = expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, updateBody(c, { isPublic: true })), 200);
  assert.deepEqual(res.json.credentials.secrets, [], res.ctx);
  assert.deepEqual((await storedCredentials(c.id)).secrets, []);
});

test('PUT /api/oidc/clients/:id: isGroupRestricted=false clears the allowed groups; true keeps them', async () => {
  const c = await createClient({ isGroupRestricted: true });
  const g = await createGroup();
  expectStatus(await admin.put(`/api/oidc/clients/${c.id}/allowed-user-groups`, { userGroupIds: [g.id] }), 200);
  let res = expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, updateBody(c, { isGroupRestricted: true, name: 'Still restricted' })), 200);
  assert.deepEqual(res.json.allowedUserGroups.map((x) => x.id), [g.id], res.ctx);
  res = expectStatus(await admin.put(`/api/oidc/clients/${c.id}`, updateBody(c, { isGroupRestricted: false })), 200);
  assert.deepEqual(res.json.allowedUserGroups, [], res.ctx);
  const rows = await sql(srv, `SELECT count(*) FROM oidc_clients_allowed_user_groups WHERE oidc_client_id = ${q(c.id)}`);
  assert.equal(rows[0][0], '0');
});

test('DELETE /api/oidc/clients/:id: 204, then 404; its consents, tokens and logos go with it', async () => {
  const c = await createClient();
  const u = await insertUser(srv);
  await consent(u.id, c.id, ['openid'], Date.now() / 1000);
  await token(u.id, c.id);
  expectStatus(await uploadLogo(admin, c.id, PNG), 204);
  expectStatus(await uploadLogo(admin, c.id, SVG, { light: false }), 204);
  assert.ok(fs.existsSync(logoFile(srv, c.id, false, 'png')) && fs.existsSync(logoFile(srv, c.id, true, 'svg')), 'logo files written');
  expectStatus(await admin.del(`/api/oidc/clients/${c.id}`), 204);
  expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 404, 'not_found');
  expectStatus(await admin.del(`/api/oidc/clients/${c.id}`), 404, 'not_found');
  assert.ok(!fs.existsSync(logoFile(srv, c.id, false, 'png')) && !fs.existsSync(logoFile(srv, c.id, true, 'svg')), 'logo files removed');
  for (const t of ['user_authorized_oidc_clients', 'oauth2_sessions']) {
    const rows = await sql(srv, `SELECT count(*) FROM ${t} WHERE client_id = ${q(c.id)}`);
    assert.equal(rows[0][0], '0', `${t} rows deleted`);
  }
  // the same id again starts without a logo
  await createClient({ id: c.id });
  expectStatus(await new Browser(srv).get(`/api/oidc/clients/${c.id}/logo`), 404, 'image_not_found');
});

/* ---------- allowed groups ---------- */

test('PUT /api/oidc/clients/:id/allowed-user-groups: replaces the groups, skips unknown ids, answers OidcClientDto', async () => {
  const c = await createClient({ isGroupRestricted: true });
  const g1 = await createGroup(), g2 = await createGroup();
  await sql(srv, `INSERT INTO user_groups_users (user_id, user_group_id) VALUES (${q(memberUser.id)}, ${q(g1.id)})`);
  expectStatus(await admin.put(`/api/custom-claims/user-group/${g1.id}`, [{ key: 'team', value: 'blue' }]), 200);
  const res = expectStatus(await admin.put(`/api/oidc/clients/${c.id}/allowed-user-groups`, { userGroupIds: [g1.id, g2.id, crypto.randomUUID(), g1.id] }), 200);
  assertClient(res.json, res.ctx);
  const got = expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 200).json;
  const groups = got.allowedUserGroups.sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(groups.map((g) => g.id).sort(), [g1.id, g2.id].sort());
  const one = groups.find((g) => g.id === g1.id);
  assert.deepEqual(Object.keys(one).sort(), ['createdAt', 'customClaims', 'friendlyName', 'id', 'ldapId', 'name', 'userCount']);
  assert.equal(one.userCount, 1);
  assert.equal(one.friendlyName, g1.friendlyName);
  assert.deepEqual(one.customClaims, [{ key: 'team', value: 'blue' }]);
  assert.match(one.createdAt, RFC3339);
  // replaced, not added to
  expectStatus(await admin.put(`/api/oidc/clients/${c.id}/allowed-user-groups`, { userGroupIds: [g2.id] }), 200);
  assert.deepEqual(expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 200).json.allowedUserGroups.map((g) => g.id), [g2.id]);
  expectStatus(await admin.put(`/api/oidc/clients/${c.id}/allowed-user-groups`, { userGroupIds: [] }), 200);
  assert.deepEqual(expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 200).json.allowedUserGroups, []);
});

test('PUT /api/oidc/clients/:id/allowed-user-groups: userGroupIds required and a list of strings; unknown client 404; non-admin 403', async () => {
  const c = await createClient();
  fieldOf(await admin.put(`/api/oidc/clients/${c.id}/allowed-user-groups`, {}), 'userGroupIds', 'required');
  expectStatus(await admin.put(`/api/oidc/clients/${c.id}/allowed-user-groups`, { userGroupIds: [1] }), 400, 'invalid_request_body');
  expectStatus(await admin.put(`/api/oidc/clients/${c.id}/allowed-user-groups`, { userGroupIds: 'x' }), 400, 'validation_failed');
  expectStatus(await admin.put('/api/oidc/clients/no-such-client/allowed-user-groups', { userGroupIds: [] }), 404, 'not_found');
  expectStatus(await member.put(`/api/oidc/clients/${c.id}/allowed-user-groups`, { userGroupIds: [] }), 403, 'forbidden');
});

/* ---------- list ---------- */

/** Clients sharing a fresh name prefix, so that a search isolates them. */
async function listFixture() {
  const p = uniq('Lst');
  const a = await createClient({ name: `${p} alpha`, pkceEnabled: true, skipConsent: true });
  const b = await createClient({ name: `${p} bravo`, requiresReauthentication: true, isGroupRestricted: true });
  const c = await createClient({ name: `${p} charlie`, requiresPushedAuthorizationRequests: true, isGroupRestricted: true });
  await sql(srv, `UPDATE oidc_clients SET pkce_supported = TRUE WHERE id = ${q(c.id)}`);
  const [g1, g2] = [await createGroup(), await createGroup()];
  expectStatus(await admin.put(`/api/oidc/clients/${c.id}/allowed-user-groups`, { userGroupIds: [g1.id, g2.id] }), 200);
  expectStatus(await admin.put(`/api/oidc/clients/${b.id}/allowed-user-groups`, { userGroupIds: [g1.id] }), 200);
  return { p, a, b, c };
}
const names = (page) => page.data.map((c) => c.name);

test('GET /api/oidc/clients: the list envelope of OidcClientWithAllowedGroupsCountDto, search on name', async () => {
  const { p, a, b, c } = await listFixture();
  const res = await admin.get(listUrl('/api/oidc/clients', { search: p.toUpperCase() }));
  const page = assertPage(res, { totalItems: 3, totalPages: 1, currentPage: 1, itemsPerPage: 20 });
  for (const x of page.data) assertClient(x, res.ctx, ['allowedUserGroupsCount']);
  assert.deepEqual(names(page), [a.name, b.name, c.name], 'by name by default');
  assert.deepEqual(page.data.map((x) => x.allowedUserGroupsCount), [0, 1, 2]);
  // the search is a substring of the name, LIKE wildcards taken literally
  assert.equal(assertPage(await admin.get(listUrl('/api/oidc/clients', { search: `${p} b` }))).data.length, 1);
  assertPage(await admin.get(listUrl('/api/oidc/clients', { search: `${p}%` })), { totalItems: 0 });
  assertPage(await admin.get(listUrl('/api/oidc/clients', { search: `${p.slice(0, -1)}_` })), { totalItems: 0 });
});

test('GET /api/oidc/clients: pagination', async () => {
  const { p, c } = await listFixture();
  const page = assertPage(await admin.get(listUrl('/api/oidc/clients', { search: p, limit: 2, page: 2 })), { totalItems: 3, totalPages: 2, currentPage: 2, itemsPerPage: 2 });
  assert.deepEqual(names(page), [c.name]);
  const past = assertPage(await admin.get(listUrl('/api/oidc/clients', { search: p, limit: 2, page: 9 })), { currentPage: 2 });
  assert.deepEqual(names(past), [c.name], 'a page past the end is the last page');
});

test('GET /api/oidc/clients: boolean filters and clientType', async () => {
  const { p, a, b, c } = await listFixture();
  const by = async (filters) => names(assertPage(await admin.get(listUrl('/api/oidc/clients', { search: p, filters }))));
  assert.deepEqual(await by({ pkceEnabled: true }), [a.name]);
  assert.deepEqual(await by({ pkceEnabled: false }), [b.name, c.name]);
  assert.deepEqual(await by({ skipConsent: true }), [a.name]);
  assert.deepEqual(await by({ requiresReauthentication: true }), [b.name]);
  assert.deepEqual(await by({ requiresPushedAuthorizationRequests: true }), [c.name]);
  assert.deepEqual(await by({ isGroupRestricted: true }), [b.name, c.name]);
  assert.deepEqual(await by({ isGroupRestricted: false }), [a.name]);
  assert.deepEqual(await by({ pkceSupported: true }), [c.name]);
  assert.deepEqual(await by({ isGroupRestricted: true, requiresReauthentication: true }), [b.name], 'filters combine');
  assert.deepEqual(await by({ isGroupRestricted: [true, false] }), [a.name, b.name, c.name], 'a repeated filter matches either value');
  assert.deepEqual(await by({ clientType: 'standard' }), [a.name, b.name, c.name]);
  assert.deepEqual(await by({ clientType: 'cimd' }), []);
  assert.deepEqual(await by({ clientType: ['cimd', 'standard'] }), [a.name, b.name, c.name]);
  assert.deepEqual(await by({ pkceEnabled: 'maybe' }), [a.name, b.name, c.name], 'a filter that is not a boolean is ignored');
});

test('GET /api/oidc/clients: sorts, including allowedUserGroupsCount; unknown columns are ignored', async () => {
  const { p, a, b, c } = await listFixture();
  const by = async (sort, direction) => names(assertPage(await admin.get(listUrl('/api/oidc/clients', { search: p, sort, direction }))));
  assert.deepEqual(await by('name', 'desc'), [c.name, b.name, a.name]);
  assert.deepEqual(await by('allowedUserGroupsCount', 'desc'), [c.name, b.name, a.name]);
  assert.deepEqual(await by('allowedUserGroupsCount', 'asc'), [a.name, b.name, c.name]);
  assert.deepEqual(await by('pkceEnabled', 'desc'), [a.name, b.name, c.name]);
  assert.deepEqual(await by('requiresReauthentication', 'desc'), [b.name, a.name, c.name]);
  assert.deepEqual(await by('createdAt', 'asc'), [a.name, b.name, c.name]);
  assert.deepEqual(await by('name; DROP TABLE oidc_clients', 'desc'), [a.name, b.name, c.name]);
});

test('GET /api/oidc/clients: admin only (403 forbidden; 401 signed out); an admin API key works', async () => {
  expectStatus(await member.get('/api/oidc/clients'), 403, 'forbidden');
  expectStatus(await new Browser(srv).get('/api/oidc/clients'), 401, 'not_signed_in');
  const { token } = await createApiKey(admin);
  assertPage(await apiKeyClient(srv, token).get('/api/oidc/clients'));
});

/* ---------- meta ---------- */

test('GET /api/oidc/clients/:id/meta: public OidcClientMetaDataDto; 404 for an unknown client', async () => {
  const c = await createClient({ description: 'Shown on consent', launchURL: 'https://m.example', requiresReauthentication: true });
  expectStatus(await uploadLogo(admin, c.id, PNG), 204);
  const res = expectStatus(await new Browser(srv).get(`/api/oidc/clients/${c.id}/meta`), 200);
  assert.deepEqual(res.json, {
    id: c.id, name: c.name, description: 'Shown on consent', hasLogo: true, hasDarkLogo: false, launchURL: 'https://m.example',
    requiresReauthentication: true, clientType: 'standard',
  }, res.ctx);
  expectStatus(await new Browser(srv).get('/api/oidc/clients/no-such-client/meta'), 404, 'not_found');
});

/* ---------- secrets ---------- */

test('POST /api/oidc/clients/:id/secrets: 201 with a 32-character secret shown once; stored as its SHA-256', async () => {
  const c = await createClient();
  const res = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`), 201);
  const s = res.json;
  assert.deepEqual(Object.keys(s).sort(), [...SECRET_KEYS, 'secret'].sort(), res.ctx);
  assert.match(s.secret, /^[a-zA-Z0-9]{32}$/);
  assert.equal(s.prefix, s.secret.slice(0, 4));
  assert.match(s.id, UUID);
  assert.match(s.createdAt, RFC3339);
  assert.equal(s.expiresAt, null);
  assert.equal(s.isActive, true);
  const stored = (await storedCredentials(c.id)).secrets;
  assert.equal(stored.length, 1);
  assert.deepEqual(Object.keys(stored[0]).sort(), ['alg', 'createdAt', 'expiresAt', 'hash', 'id', 'prefix']);
  assert.equal(stored[0].alg, 'sha256');
  assert.equal(stored[0].hash, sha256(s.secret));
  assert.equal(stored[0].createdAt, s.createdAt);
  // never again: not in the list, the client, or anything that names the hash
  for (const url of [`/api/oidc/clients/${c.id}/secrets`, `/api/oidc/clients/${c.id}`, listUrl('/api/oidc/clients', { search: c.name })]) {
    const again = expectStatus(await admin.get(url), 200);
    assert.ok(!again.text.includes(s.secret), `${url} does not show the secret`);
    assert.ok(!again.text.includes(stored[0].hash), `${url} does not show the hash`);
    assert.ok(!again.text.includes('"hash"') && !again.text.includes('"secret"'), url);
  }
  const list = expectStatus(await admin.get(`/api/oidc/clients/${c.id}/secrets`), 200).json;
  assert.deepEqual(list, [{ id: s.id, prefix: s.prefix, createdAt: s.createdAt, expiresAt: null, isActive: true }]);
});

test('POST /api/oidc/clients/:id/secrets: two secrets are different; a given secret of >= 16 printable characters is kept', async () => {
  const c = await createClient();
  const one = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`, {}), 201).json;
  const two = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`, {}), 201).json;
  assert.notEqual(one.secret, two.secret);
  const given = 'my own secret!~ 0123';
  const mine = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`, { secret: given }), 201).json;
  assert.equal(mine.secret, given);
  assert.equal(mine.prefix, 'my o');
  const stored = (await storedCredentials(c.id)).secrets;
  assert.deepEqual(stored.map((x) => x.hash), [one, two, mine].map((x) => sha256(x.secret)));
});

test('POST /api/oidc/clients/:id/secrets: a short, long or non-printable secret is 400 (field secret)', async () => {
  const c = await createClient();
  fieldOf(await admin.post(`/api/oidc/clients/${c.id}/secrets`, { secret: 'x'.repeat(15) }), 'secret', 'min');
  fieldOf(await admin.post(`/api/oidc/clients/${c.id}/secrets`, { secret: 'x'.repeat(257) }), 'secret', 'max');
  fieldOf(await admin.post(`/api/oidc/clients/${c.id}/secrets`, { secret: 'tab\tinside-a-secret' }), 'secret', 'printascii');
  fieldOf(await admin.post(`/api/oidc/clients/${c.id}/secrets`, { secret: 'ünicode-secret-value' }), 'secret', 'printascii');
  expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`, { secret: 12345678901234567 }), 400, 'invalid_request_body');
  assert.deepEqual((await storedCredentials(c.id)).secrets, []);
});

test('POST /api/oidc/clients/:id/secrets: expiresAt in the past is 400; in the future is kept and active until then', async () => {
  const c = await createClient();
  fieldOf(await admin.post(`/api/oidc/clients/${c.id}/secrets`, { expiresAt: iso(-60e3) }), 'expiresAt', 'invalid_value');
  fieldOf(await admin.post(`/api/oidc/clients/${c.id}/secrets`, { expiresAt: 'tomorrow' }), 'expiresAt', 'datetime');
  const until = iso(DAY);
  const s = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`, { expiresAt: until }), 201).json;
  assert.equal(s.expiresAt, until);
  assert.equal(s.isActive, true);
  // an offset time is stored in UTC
  const offset = new Date(Date.now() + 2 * DAY);
  const withOffset = offset.toISOString().replace(/\.\d+Z$/, '+00:00');
  const s2 = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`, { expiresAt: withOffset }), 201).json;
  assert.equal(s2.expiresAt, withOffset.replace('+00:00', 'Z'));
});

test('GET /api/oidc/clients/:id/secrets: an expired secret is listed inactive', async () => {
  const c = await createClient();
  const cred = {
    federatedIdentities: [],
    secrets: [
      { id: crypto.randomUUID(), alg: 'sha256', hash: sha256('expired-secret-0123456'), prefix: 'expi', createdAt: iso(-2 * DAY), expiresAt: iso(-DAY) },
      { id: crypto.randomUUID(), alg: 'sha256', hash: sha256('valid-secret-0123456789'), prefix: 'vali', createdAt: iso(-DAY), expiresAt: iso(DAY) },
    ],
  };
  await sql(srv, `UPDATE oidc_clients SET credentials = ${q(JSON.stringify(cred))} WHERE id = ${q(c.id)}`);
  const list = expectStatus(await admin.get(`/api/oidc/clients/${c.id}/secrets`), 200).json;
  assert.deepEqual(list.map((s) => [s.prefix, s.isActive]), [['expi', false], ['vali', true]]);
  const dto = expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 200).json;
  assert.deepEqual(dto.credentials.secrets, list);
});

test('POST /api/oidc/clients/:id/secrets: a public client is 400; at most 20 secrets', async () => {
  const pub = await createClient({ isPublic: true });
  const res = expectStatus(await admin.post(`/api/oidc/clients/${pub.id}/secrets`), 400, 'validation_failed');
  assert.match(res.json.error, /public client/);
  assert.deepEqual((await storedCredentials(pub.id)).secrets, []);
  const c = await createClient();
  for (let i = 0; i < 20; i++) expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`), 201);
  const over = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`), 400, 'validation_failed');
  assert.match(over.json.error, /20/);
  assert.equal((await storedCredentials(c.id)).secrets.length, 20);
  // deleting one makes room again
  const first = expectStatus(await admin.get(`/api/oidc/clients/${c.id}/secrets`), 200).json[0];
  expectStatus(await admin.del(`/api/oidc/clients/${c.id}/secrets/${first.id}`), 204);
  expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`), 201);
});

test('DELETE /api/oidc/clients/:id/secrets/:secretId: 204 and gone; unknown secret 404 "Client secret not found"', async () => {
  const c = await createClient();
  const a = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`), 201).json;
  const b = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`), 201).json;
  expectStatus(await admin.del(`/api/oidc/clients/${c.id}/secrets/${a.id}`), 204);
  assert.deepEqual(expectStatus(await admin.get(`/api/oidc/clients/${c.id}/secrets`), 200).json.map((s) => s.id), [b.id]);
  assert.deepEqual((await storedCredentials(c.id)).secrets.map((s) => s.hash), [sha256(b.secret)]);
  const res = expectStatus(await admin.del(`/api/oidc/clients/${c.id}/secrets/${a.id}`), 404, 'not_found');
  assert.equal(res.json.error, 'Client secret not found');
  assert.deepEqual(res.json.details, { resource: 'Client secret' });
});

test('secrets: unknown client is 404 not_found; non-admins 403', async () => {
  for (const [m, u] of [['GET', '/secrets'], ['POST', '/secrets'], ['DELETE', `/secrets/${crypto.randomUUID()}`]]) {
    expectStatus(await admin.call(m, `/api/oidc/clients/no-such-client${u}`), 404, 'not_found');
  }
  const c = await createClient();
  const s = expectStatus(await admin.post(`/api/oidc/clients/${c.id}/secrets`), 201).json;
  expectStatus(await member.get(`/api/oidc/clients/${c.id}/secrets`), 403, 'forbidden');
  expectStatus(await member.post(`/api/oidc/clients/${c.id}/secrets`, {}), 403, 'forbidden');
  expectStatus(await member.del(`/api/oidc/clients/${c.id}/secrets/${s.id}`), 403, 'forbidden');
  assert.equal((await storedCredentials(c.id)).secrets.length, 1);
});

/* ---------- logos ---------- */

const LOGO_CACHE = 'public, max-age=900, stale-while-revalidate=43200';

test('POST /api/oidc/clients/:id/logo: 204; GET is public, typed from the bytes and cached 15 min', async () => {
  const c = await createClient();
  expectStatus(await uploadLogo(admin, c.id, PNG, { filename: 'logo.svg' }), 204);
  const anon = new Browser(srv);
  for (const url of [`/api/oidc/clients/${c.id}/logo`, `/api/oidc/clients/${c.id}/logo?light=true`]) {
    const res = expectStatus(await anon.get(url), 200);
    assert.equal(res.headers['content-type'], 'image/png', res.ctx);
    assert.equal(res.headers['cache-control'], LOGO_CACHE, res.ctx);
    assert.match(res.headers['content-security-policy'], /sandbox/, res.ctx);
    assert.ok(res.body.subarray(0, 8).equals(PNG.subarray(0, 8)), 'PNG bytes');
  }
  const skip = expectStatus(await anon.get(`/api/oidc/clients/${c.id}/logo?skipCache`), 200);
  assert.notEqual(skip.headers['cache-control'], LOGO_CACHE, 'skipCache: no public caching');
  const dto = expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 200).json;
  assert.equal(dto.hasLogo, true);
  assert.equal(dto.hasDarkLogo, false);
});

test('logo: the dark logo falls back to the light one; its own when uploaded', async () => {
  const c = await createClient();
  const anon = new Browser(srv);
  expectStatus(await anon.get(`/api/oidc/clients/${c.id}/logo?light=false`), 404, 'image_not_found');
  expectStatus(await uploadLogo(admin, c.id, PNG), 204);
  let res = expectStatus(await anon.get(`/api/oidc/clients/${c.id}/logo?light=false`), 200);
  assert.equal(res.headers['content-type'], 'image/png', 'falls back to the light logo');
  expectStatus(await uploadLogo(admin, c.id, SVG, { light: false }), 204);
  res = expectStatus(await anon.get(`/api/oidc/clients/${c.id}/logo?light=false`), 200);
  assert.equal(res.headers['content-type'], 'image/svg+xml');
  assert.equal(res.text, SVG.toString());
  res = expectStatus(await anon.get(`/api/oidc/clients/${c.id}/logo?light=true`), 200);
  assert.equal(res.headers['content-type'], 'image/png', 'the light one is unchanged');
  const meta = expectStatus(await anon.get(`/api/oidc/clients/${c.id}/meta`), 200).json;
  assert.equal(meta.hasDarkLogo, true);
});

test('logo: an upload of another type replaces the old file', async () => {
  const c = await createClient();
  expectStatus(await uploadLogo(admin, c.id, PNG), 204);
  assert.ok(fs.existsSync(logoFile(srv, c.id, false, 'png')));
  expectStatus(await uploadLogo(admin, c.id, GIF), 204);
  const res = expectStatus(await new Browser(srv).get(`/api/oidc/clients/${c.id}/logo`), 200);
  assert.equal(res.headers['content-type'], 'image/gif');
  assert.ok(res.body.equals(GIF));
  assert.ok(!fs.existsSync(logoFile(srv, c.id, false, 'png')), 'the PNG is gone');
  assert.ok(fs.existsSync(logoFile(srv, c.id, false, 'gif')));
});

test('DELETE /api/oidc/clients/:id/logo: 204 per variant, then 404 image_not_found', async () => {
  const c = await createClient();
  expectStatus(await admin.del(`/api/oidc/clients/${c.id}/logo`), 404, 'image_not_found');
  expectStatus(await uploadLogo(admin, c.id, PNG), 204);
  expectStatus(await uploadLogo(admin, c.id, SVG, { light: false }), 204);
  expectStatus(await admin.del(`/api/oidc/clients/${c.id}/logo?light=false`), 204);
  assert.ok(!fs.existsSync(logoFile(srv, c.id, true, 'svg')), 'dark file removed');
  expectStatus(await admin.del(`/api/oidc/clients/${c.id}/logo?light=false`), 404, 'image_not_found');
  const res = expectStatus(await new Browser(srv).get(`/api/oidc/clients/${c.id}/logo?light=false`), 200);
  assert.equal(res.headers['content-type'], 'image/png', 'falls back to light again');
  expectStatus(await admin.del(`/api/oidc/clients/${c.id}/logo`), 204);
  expectStatus(await new Browser(srv).get(`/api/oidc/clients/${c.id}/logo`), 404, 'image_not_found');
  expectStatus(await new Browser(srv).get(`/api/oidc/clients/${c.id}/logo?light=false`), 404, 'image_not_found');
  const dto = expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 200).json;
  assert.equal(dto.hasLogo, false);
  assert.equal(dto.hasDarkLogo, false);
});

test('logo uploads: junk is 415, over 2 MiB is 413 file_too_large, no file is 400, exactly 2 MiB is fine', async () => {
  const c = await createClient();
  const junk = expectStatus(await uploadLogo(admin, c.id, Buffer.from('just some text, not an image')), 415, 'file_type_not_supported');
  assert.equal(junk.json.error, 'File type is not supported');
  const big = expectStatus(await uploadLogo(admin, c.id, gifOf(2 * 1024 * 1024 + 1)), 413, 'file_too_large');
  assert.equal(big.json.error, 'File must not exceed 2 MB');
  assert.deepEqual(big.json.details, { max_size: '2 MB' });
  fieldOf(await uploadLogo(admin, c.id, PNG, { name: 'other' }), 'file', 'required');
  expectStatus(await admin.call('POST', `/api/oidc/clients/${c.id}/logo`, { body: 'x', headers: { 'content-type': 'text/plain' } }), 400, 'invalid_request_body');
  assert.equal(expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 200).json.hasLogo, false, 'nothing stored');
  const exact = gifOf(2 * 1024 * 1024);
  expectStatus(await uploadLogo(admin, c.id, exact), 204);
  const res = expectStatus(await new Browser(srv).get(`/api/oidc/clients/${c.id}/logo`), 200);
  assert.equal(res.body.length, exact.length);
});

test('logo: unknown client (404: not_found for admins, image_not_found for the public GET); non-admins 403', async () => {
  expectStatus(await uploadLogo(admin, 'no-such-client', PNG), 404, 'not_found');
  expectStatus(await admin.del('/api/oidc/clients/no-such-client/logo'), 404, 'not_found');
  expectStatus(await new Browser(srv).get('/api/oidc/clients/no-such-client/logo'), 404, 'image_not_found');
  const c = await createClient();
  expectStatus(await uploadLogo(member, c.id, PNG), 403, 'forbidden');
  expectStatus(await uploadLogo(new Browser(srv), c.id, PNG), 401, 'not_signed_in');
  expectStatus(await uploadLogo(admin, c.id, PNG), 204);
  expectStatus(await member.del(`/api/oidc/clients/${c.id}/logo`), 403, 'forbidden');
  expectStatus(await new Browser(srv).get(`/api/oidc/clients/${c.id}/logo`), 200);
});

test('logo with FILE_BACKEND=database: stored in the storage table, removed with the client', async () => {
  const s = await startServer({ env: { FILE_BACKEND: 'database' } });
  const { browser: adm } = await setupAdmin(s);
  const c = expectStatus(await adm.post('/api/oidc/clients', { name: 'Db logo' }), 201).json;
  expectStatus(await uploadLogo(adm, c.id, PNG), 204);
  expectStatus(await uploadLogo(adm, c.id, GIF, { light: false }), 204);
  const count = async () => (await sql(s, `SELECT count(*) FROM storage WHERE path LIKE ${q(`oidc-client-images/${c.id}%`)}`))[0][0];
  assert.equal(await count(), '2');
  const res = expectStatus(await new Browser(s).get(`/api/oidc/clients/${c.id}/logo?light=false`), 200);
  assert.ok(res.body.equals(GIF));
  expectStatus(await uploadLogo(adm, c.id, SVG), 204);
  assert.equal(await count(), '2', 'the PNG was replaced by the SVG');
  expectStatus(await adm.del(`/api/oidc/clients/${c.id}`), 204);
  assert.equal(await count(), '0');
  await s.stop();
});

/* ---------- the users' lists ---------- */

async function consent(userId, clientId, scope, lastUsed) {
  await sql(srv, `INSERT INTO user_authorized_oidc_clients (scope, user_id, client_id, last_used_at)
    VALUES (${q(JSON.stringify(scope))}, ${q(userId)}, ${q(clientId)}, ${sqlTime(lastUsed)})`);
}

/** An issued token row of (user, client); returns its id. */
async function token(userId, clientId, kind = 'refresh_token') {
  const id = crypto.randomUUID();
  const now = Date.now() / 1000;
  await sql(srv, `INSERT INTO oauth2_sessions (id, created_at, kind, key, request_id, client_id, request_data, expires_at, user_id)
    VALUES (${q(id)}, ${sqlTime(now)}, ${q(kind)}, ${q(crypto.randomBytes(16).toString('hex'))}, ${q(crypto.randomUUID())},
    ${q(clientId)}, ${q(JSON.stringify({ client_id: clientId }))}, ${sqlTime(now + 3600)}, ${q(userId)})`);
  return id;
}

async function person() {
  const u = await insertUser(srv);
  return { user: u, browser: await signInAs(srv, admin, u.id) };
}

test('GET /api/oidc/users/me/authorized-clients: the consents, {scope, client (meta), lastUsedAt}', async () => {
  const { user, browser } = await person();
  const a = await createClient({ launchURL: 'https://a.example' });
  const b = await createClient();
  const other = await createClient();
  const t = Math.floor(Date.now() / 1000);
  await consent(user.id, a.id, ['openid', 'profile'], t - 100);
  await consent(user.id, b.id, ['openid'], t - 10);
  await consent(memberUser.id, other.id, ['openid'], t);
  const res = await browser.get('/api/oidc/users/me/authorized-clients');
  const page = assertPage(res, { totalItems: 2 });
  const byId = Object.fromEntries(page.data.map((x) => [x.client.id, x]));
  assert.deepEqual(Object.keys(byId).sort(), [a.id, b.id].sort());
  assert.deepEqual(Object.keys(byId[a.id]).sort(), ['client', 'lastUsedAt', 'scope']);
  assert.equal(byId[a.id].scope, '["openid","profile"]', 'the scope list as compact JSON text');
  assert.deepEqual(JSON.parse(byId[b.id].scope), ['openid']);
  assert.deepEqual(Object.keys(byId[a.id].client).sort(), META_KEYS);
  assert.equal(byId[a.id].client.launchURL, 'https://a.example');
  assert.equal(byId[a.id].lastUsedAt, new Date((t - 100) * 1000).toISOString().replace(/\.\d+Z$/, 'Z'));
  const recent = assertPage(await browser.get(listUrl('/api/oidc/users/me/authorized-clients', { sort: 'lastUsedAt', direction: 'desc' })));
  assert.deepEqual(recent.data.map((x) => x.client.id), [b.id, a.id]);
  const launchable = assertPage(await browser.get(listUrl('/api/oidc/users/me/authorized-clients', { filters: { hasLaunchURL: true } })));
  assert.deepEqual(launchable.data.map((x) => x.client.id), [a.id]);
  const notLaunchable = assertPage(await browser.get(listUrl('/api/oidc/users/me/authorized-clients', { filters: { hasLaunchURL: false } })));
  assert.deepEqual(notLaunchable.data.map((x) => x.client.id), [b.id]);
  const one = assertPage(await browser.get(listUrl('/api/oidc/users/me/authorized-clients', { limit: 1 })), { totalItems: 2, totalPages: 2 });
  assert.equal(one.data.length, 1);
  expectStatus(await new Browser(srv).get('/api/oidc/users/me/authorized-clients'), 401, 'not_signed_in');
});

test('GET /api/oidc/users/:id/authorized-clients: admins see anyone\'s; others 403', async () => {
  const { user } = await person();
  const a = await createClient();
  await consent(user.id, a.id, ['openid', 'email'], Date.now() / 1000);
  const page = assertPage(await admin.get(`/api/oidc/users/${user.id}/authorized-clients`), { totalItems: 1 });
  assert.equal(page.data[0].client.id, a.id);
  assert.equal(page.data[0].scope, '["openid","email"]');
  assertPage(await admin.get(`/api/oidc/users/${crypto.randomUUID()}/authorized-clients`), { totalItems: 0 });
  expectStatus(await member.get(`/api/oidc/users/${user.id}/authorized-clients`), 403, 'forbidden');
});

test('DELETE /api/oidc/users/me/authorized-clients/:clientId: the consent and every code and token of (user, client) go', async () => {
  const { user, browser } = await person();
  const a = await createClient(), b = await createClient();
  await consent(user.id, a.id, ['openid'], Date.now() / 1000);
  await consent(user.id, b.id, ['openid'], Date.now() / 1000);
  await consent(memberUser.id, a.id, ['openid'], Date.now() / 1000);
  const mine = [await token(user.id, a.id), await token(user.id, a.id, 'access_token'), await token(user.id, a.id, 'authorize_code')];
  const keep = [await token(user.id, b.id), await token(memberUser.id, a.id)];
  expectStatus(await browser.del(`/api/oidc/users/me/authorized-clients/${a.id}`), 204);
  const ids = (rows) => rows.map((r) => r[0]).sort();
  assert.deepEqual(ids(await sql(srv, `SELECT id FROM oauth2_sessions WHERE id IN (${[...mine, ...keep].map(q).join(', ')})`)), keep.sort());
  assert.deepEqual(ids(await sql(srv, `SELECT client_id FROM user_authorized_oidc_clients WHERE user_id = ${q(user.id)}`)), [b.id]);
  const left = await sql(srv, `SELECT count(*) FROM user_authorized_oidc_clients WHERE user_id = ${q(memberUser.id)} AND client_id = ${q(a.id)}`);
  assert.equal(left[0][0], '1', "another user's consent stays");
  assert.deepEqual(assertPage(await browser.get('/api/oidc/users/me/authorized-clients')).data.map((x) => x.client.id), [b.id]);
  const again = expectStatus(await browser.del(`/api/oidc/users/me/authorized-clients/${a.id}`), 404, 'not_found');
  assert.equal(again.json.error, 'Authorized client not found');
  expectStatus(await new Browser(srv).del(`/api/oidc/users/me/authorized-clients/${b.id}`), 401, 'not_signed_in');
});

test('GET /api/oidc/users/me/clients: unrestricted clients and those allowed to one of my groups', async () => {
  const { user, browser } = await person();
  const g = await createGroup(), other = await createGroup();
  await sql(srv, `INSERT INTO user_groups_users (user_id, user_group_id) VALUES (${q(user.id)}, ${q(g.id)})`);
  const p = uniq('Mine');
  const open = await createClient({ name: `${p} open`, launchURL: 'https://open.example' });
  const viaGroup = await createClient({ name: `${p} group`, isGroupRestricted: true });
  const notMine = await createClient({ name: `${p} other`, isGroupRestricted: true, launchURL: 'https://other.example' });
  const nobody = await createClient({ name: `${p} nobody`, isGroupRestricted: true });
  expectStatus(await admin.put(`/api/oidc/clients/${viaGroup.id}/allowed-user-groups`, { userGroupIds: [g.id, other.id] }), 200);
  expectStatus(await admin.put(`/api/oidc/clients/${notMine.id}/allowed-user-groups`, { userGroupIds: [other.id] }), 200);
  const res = await browser.get(listUrl('/api/oidc/users/me/clients', { limit: 100 }));
  const page = assertPage(res);
  const ids = page.data.map((x) => x.id);
  assert.ok(ids.includes(open.id) && ids.includes(viaGroup.id), res.ctx);
  assert.ok(!ids.includes(notMine.id) && !ids.includes(nobody.id), `restricted clients of other groups (or none) are left out${res.ctx}`);
  const o = page.data.find((x) => x.id === open.id);
  assert.deepEqual(Object.keys(o).sort(), [...META_KEYS, 'lastUsedAt'].sort());
  assert.equal(o.lastUsedAt, null, 'never used');
  const launchable = assertPage(await browser.get(listUrl('/api/oidc/users/me/clients', { limit: 100, filters: { hasLaunchURL: true } })));
  assert.ok(launchable.data.some((x) => x.id === open.id));
  assert.ok(launchable.data.every((x) => x.launchURL), 'only clients with a launch URL');
  // another person sees the open client, not the group's
  const otherIds = assertPage(await member.get(listUrl('/api/oidc/users/me/clients', { limit: 100 }))).data.map((x) => x.id);
  assert.ok(otherIds.includes(open.id) && !otherIds.includes(viaGroup.id));
  expectStatus(await new Browser(srv).get('/api/oidc/users/me/clients'), 401, 'not_signed_in');
});

test('GET /api/oidc/users/me/clients: sort[column]=lastUsedAt puts never-used clients last in both directions', async () => {
  const s = await startServer();
  const { browser: adm } = await setupAdmin(s);
  const make = async (name) => expectStatus(await adm.post('/api/oidc/clients', { name }), 201).json;
  const [old, recent, never] = [await make('Old'), await make('Recent'), await make('Never')];
  const me = (await sql(s, "SELECT id FROM users WHERE username = 'admin'"))[0][0];
  const t = Math.floor(Date.now() / 1000);
  for (const [c, when] of [[old, t - 1000], [recent, t - 10]]) {
    await sql(s, `INSERT INTO user_authorized_oidc_clients (scope, user_id, client_id, last_used_at) VALUES ('[]', ${q(me)}, ${q(c.id)}, ${sqlTime(when)})`);
  }
  const order = async (direction) => assertPage(await adm.get(listUrl('/api/oidc/users/me/clients', { sort: 'lastUsedAt', direction }))).data.map((x) => x.name);
  assert.deepEqual(await order('desc'), ['Recent', 'Old', 'Never']);
  assert.deepEqual(await order('asc'), ['Old', 'Recent', 'Never']);
  const page = assertPage(await adm.get('/api/oidc/users/me/clients'), { totalItems: 3 });
  assert.deepEqual(page.data.map((x) => x.name), ['Never', 'Old', 'Recent'], 'by name by default');
  assert.equal(page.data.find((x) => x.id === recent.id).lastUsedAt, new Date((t - 10) * 1000).toISOString().replace(/\.\d+Z$/, 'Z'));
  await s.stop();
});

/* ---------- every admin route refuses others ---------- */

test('every admin route is 403 forbidden for a signed-in non-admin and 401 signed out', async () => {
  const c = await createClient();
  const routes = [
    ['GET', '/api/oidc/clients'], ['POST', '/api/oidc/clients'], ['GET', `/api/oidc/clients/${c.id}`],
    ['PUT', `/api/oidc/clients/${c.id}`], ['DELETE', `/api/oidc/clients/${c.id}`],
    ['PUT', `/api/oidc/clients/${c.id}/allowed-user-groups`], ['GET', `/api/oidc/clients/${c.id}/secrets`],
    ['POST', `/api/oidc/clients/${c.id}/secrets`], ['DELETE', `/api/oidc/clients/${c.id}/secrets/x`],
    ['DELETE', `/api/oidc/clients/${c.id}/logo`], ['GET', `/api/oidc/users/${memberUser.id}/authorized-clients`],
  ];
  for (const [m, u] of routes) {
    const json = m === 'POST' || m === 'PUT' ? { name: 'Nope', userGroupIds: [] } : undefined;
    expectStatus(await member.call(m, u, { json }), 403, 'forbidden');
    expectStatus(await new Browser(srv).call(m, u, { json }), 401, 'not_signed_in');
  }
  expectStatus(await admin.get(`/api/oidc/clients/${c.id}`), 200, undefined);
});
