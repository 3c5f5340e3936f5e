// client.mjs - a "browser" for the black-box API tests of issue 3: a cookie jar per
// instance, JSON calls, and the passkey, setup and login-code flows built on the
// software authenticator of softauthn.mjs. Also direct SQL on the server's database
// (SQLite through the sqlite3 CLI, PostgreSQL through psql) for the states no API can
// reach yet (an expired ceremony, a disabled user, a second user).
//
// SY_TRACE_REFUSALS=1 prints every 4xx/5xx answer with the server's log line giving the
// reason (to check that a negative test is refused for the reason it means to test).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { request, show, DB_KIND, PG_URL, ENCRYPTION_KEY } from './harness.mjs';
import { createKey, register, assertion, unb64url } from './softauthn.mjs';

/* ---------- cookies ---------- */

/** One Set-Cookie line: {name, value, attrs (lower-cased names; flags are true), raw}. */
export function parseSetCookie(line) {
  const [pair, ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const c = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs: {}, raw: line };
  for (const a of rest) {
    const i = a.indexOf('=');
    const k = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    if (!k) continue;
    c.attrs[k] = i < 0 ? true : a.slice(i + 1).trim();
  }
  return c;
}

/** Does this Set-Cookie remove the cookie (empty value, Max-Age <= 0 or an Expires in the past)? */
export function clears(c) {
  if (c.value === '') return true;
  if (c.attrs['max-age'] !== undefined && Number(c.attrs['max-age']) <= 0) return true;
  if (c.attrs.expires && Date.parse(c.attrs.expires) < Date.now()) return true;
  return false;
}

/* ---------- the browser ---------- */

export class Browser {
  /** srv: a startServer() result; headers: sent with every request (e.g. X-Forwarded-For). */
  constructor(srv, { headers = {} } = {}) {
    this.srv = srv;
    this.jar = new Map();
    this.headers = headers;
    this.origin = srv.env.APP_URL;
  }

  cookie(name) { return this.jar.get(name); }
  setCookie(name, value) { if (value === undefined) this.jar.delete(name); else this.jar.set(name, value); }
  forget(name) { this.jar.delete(name); }

  /**
   * method, path, opts: {json (serialised, Content-Type application/json), body (raw),
   * headers, cookies: false to send none, auth (a Bearer token)}.
   * Returns {status, headers, body, text, json, setCookies: {name: parsed}, ctx}.
   */
  async call(method, pathname, { json, body, headers = {}, cookies = true, auth } = {}) {
    const h = { ...this.headers, ...headers };
    if (json !== undefined) {
      body = JSON.stringify(json);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
    }
    if (cookies && this.jar.size && !Object.keys(h).some((k) => k.toLowerCase() === 'cookie')) {
      h.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    if (auth) h.authorization = `Bearer ${auth}`;
    const res = await request(this.srv.url, pathname, { method, headers: h, body });
    const setCookies = {};
    for (const line of [res.headers['set-cookie'] || []].flat()) {
      const c = parseSetCookie(line);
      setCookies[c.name] = c;
      if (clears(c)) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    const text = res.body.toString('utf8');
    let parsed;
    if (/json/.test(res.headers['content-type'] || '') && text) {
      try { parsed = JSON.parse(text); } catch { parsed = undefined; }
    }
    const out = { status: res.status, headers: res.headers, body: res.body, text, json: parsed, setCookies };
    if (process.env.SY_TRACE_REFUSALS && res.status >= 400) { // debugging aid: why the server refused
      const id = res.headers['x-request-id'];
      const why = this.srv.logs().split('\n').filter((l) => id && l.includes(id) && !l.includes('HTTP request'));
      console.log(`${method} ${pathname} -> ${res.status} ${text.slice(0, 200)} ${why.join(' | ')}`);
    }
    out.ctx = show(`${method} ${pathname} -> ${res.status}`, `${JSON.stringify(res.headers)}\n${text.slice(0, 2000)}`)
      + show('server logs (tail)', this.srv.logs().split('\n').slice(-25).join('\n'));
    return out;
  }

  get(p, o) { return this.call('GET', p, o); }
  post(p, json, o = {}) { return this.call('POST', p, { ...o, json }); }
  put(p, json, o = {}) { return this.call('PUT', p, { ...o, json }); }
  patch(p, json, o = {}) { return this.call('PATCH', p, { ...o, json }); }
  del(p, o) { return this.call('DELETE', p, o); }
}

/* ---------- assertions on answers ---------- */

/** Asserts status and (optionally) the error code, with the whole exchange in the message. */
export function expectStatus(res, status, code) {
  assert.equal(res.status, status, `expected ${status}${code ? ' ' + code : ''}${res.ctx}`);
  if (code !== undefined) {
    assert.ok(res.json, `expected a JSON error body${res.ctx}`);
    assert.equal(res.json.code, code, `expected code ${code}${res.ctx}`);
    assert.equal(typeof res.json.error, 'string', res.ctx);
    assert.match(res.json.request_id || '', /^[0-9a-f-]{36}$/, `request_id${res.ctx}`);
  }
  return res;
}

/** The claims of a JWT (no verification). */
export function jwtClaims(jwt) {
  const parts = jwt.split('.');
  assert.equal(parts.length, 3, `not a JWS compact: ${jwt}`);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}
export function jwtHeader(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks the UserDto shape of the contract. */
export function assertUserDto(u, ctx = '') {
  const ctx2 = ctx + show('user', JSON.stringify(u));
  for (const k of ['id', 'username', 'email', 'emailVerified', 'firstName', 'lastName', 'displayName', 'isAdmin',
    'locale', 'customClaims', 'userGroups', 'ldapId', 'disabled']) {
    assert.ok(k in u, `UserDto lacks ${k}${ctx2}`);
  }
  assert.match(u.id, UUID, ctx2);
  assert.equal(typeof u.username, 'string', ctx2);
  assert.equal(typeof u.isAdmin, 'boolean', ctx2);
  assert.equal(typeof u.emailVerified, 'boolean', ctx2);
  assert.equal(typeof u.disabled, 'boolean', ctx2);
  assert.ok(Array.isArray(u.customClaims), ctx2);
  assert.ok(Array.isArray(u.userGroups), ctx2);
}

/* ---------- flows ---------- */

let userCounter = 0;
const uniq = () => `${process.pid}${(userCounter++).toString(36)}${crypto.randomBytes(2).toString('hex')}`;

/** POST /api/signup/setup in a new browser; returns {browser, user, res}. */
export async function setupAdmin(srv, fields = {}) {
  const b = new Browser(srv);
  const res = await b.post('/api/signup/setup', {
    username: 'admin', email: 'admin@example.com', firstName: 'Ada', lastName: 'Admin', ...fields,
  });
  expectStatus(res, 200);
  assert.ok(b.cookie('access_token'), `no access_token cookie after setup${res.ctx}`);
  return { browser: b, user: res.json, res };
}

/**
 * Starts a registration ceremony, answers it with the software authenticator and sends
 * the result. opts: {alg ('ES256'), key, fmt, aaguid, flags, credentialId, transports,
 * tamper, before(options) (a hook before the finish call)}.
 * Returns {res, start, options, reg (the register() result), credential}.
 */
export async function registerPasskey(browser, opts = {}) {
  const start = await browser.get('/api/webauthn/register/start');
  expectStatus(start, 200);
  const options = start.json;
  const key = opts.key || createKey(opts.alg || 'ES256');
  const reg = register({
    options, origin: browser.origin, key, fmt: opts.fmt, aaguid: opts.aaguid, flags: opts.flags,
    credentialId: opts.credentialId, transports: opts.transports, tamper: opts.tamper,
  });
  if (opts.before) await opts.before(options, start);
  const res = await browser.post('/api/webauthn/register/finish', reg.json);
  return { res, start, options, reg, credential: reg.credential };
}

/**
 * Starts a sign-in ceremony and answers it with `credential`.
 * opts: {flags, userHandle, tamper, signCount, before(options)}.
 * Returns {res, start, options, a (the assertion() result)}.
 */
export async function loginPasskey(browser, credential, opts = {}) {
  const start = await browser.get('/api/webauthn/login/start');
  expectStatus(start, 200);
  const options = start.json;
  const a = assertion({
    options, origin: browser.origin, credential, flags: opts.flags, userHandle: opts.userHandle,
    signCount: opts.signCount, tamper: opts.tamper,
  });
  if (opts.before) await opts.before(options, start);
  const res = await browser.post('/api/webauthn/login/finish', a.json);
  return { res, start, options, a };
}

/** An admin-issued login code for userId (default TTL), via the admin browser. */
export async function loginCode(admin, userId, ttl) {
  const res = await admin.post(`/api/users/${userId}/one-time-access-token`, ttl === undefined ? {} : { ttl });
  expectStatus(res, 201);
  return res.json.token;
}

/** A new browser signed in as userId through a login code issued by `admin`. */
export async function signInAs(srv, admin, userId) {
  const token = await loginCode(admin, userId);
  const b = new Browser(srv);
  const res = await b.post(`/api/one-time-access-token/${token}`, undefined);
  expectStatus(res, 200);
  return b;
}

/* ---------- direct SQL ---------- */

function pgUrl(db) {
  const u = new URL(PG_URL);
  u.pathname = '/' + db;
  return u.toString();
}

/** The SQLite file of a server started by the harness (DB_CONNECTION_STRING default). */
export function sqlitePath(srv) {
  return path.join(srv.dir, 'data', 'pocket-id.db');
}

/**
 * Runs SQL on the server's database; returns the rows as arrays of strings (tab-separated
 * output split). The statement must be valid on both SQLite and PostgreSQL (see sqlTime).
 */
export function sql(srv, statement) {
  return new Promise((resolve, reject) => {
    const [cmd, args] = DB_KIND === 'postgres'
      ? ['psql', [pgUrl(srv.db), '-v', 'ON_ERROR_STOP=1', '-q', '-A', '-t', '-F', '\t', '-c', statement]]
      : ['sqlite3', ['-batch', '-bail', '-cmd', '.timeout 10000', '-separator', '\t', sqlitePath(srv), statement]];
    execFile(cmd, args, { timeout: 30000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${statement}: ${stderr || err.message}`));
      else resolve(stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t')));
    });
  });
}

/** A time column value for Unix seconds `secs`: INTEGER on SQLite, timestamptz on PostgreSQL. */
export function sqlTime(secs) {
  secs = Math.floor(secs);
  return DB_KIND === 'postgres' ? `to_timestamp(${secs})` : String(secs);
}

/** A SQL string literal. */
export function q(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

/** Inserts a (non-admin by default) user directly; returns its id. */
export async function insertUser(srv, { username = `user${uniq()}`, email, firstName = 'Bob', lastName = 'Builder', isAdmin = false } = {}) {
  const id = crypto.randomUUID();
  const now = sqlTime(Date.now() / 1000);
  email = email === undefined ? `${username}@example.com` : email;
  await sql(srv, `INSERT INTO users (id, created_at, updated_at, username, email, first_name, last_name, display_name, is_admin, disabled, email_verified)
    VALUES (${q(id)}, ${now}, ${now}, ${q(username)}, ${email === null ? 'NULL' : q(email)}, ${q(firstName)}, ${q(lastName)}, ${q(`${firstName} ${lastName}`.trim())}, ${isAdmin ? 'TRUE' : 'FALSE'}, FALSE, FALSE)`);
  return { id, username, email };
}

const CEREMONY_AAD = Buffer.from('symbolon webauthn ceremony v1');

/**
 * Moves the expiry of the browser's WebAuthn ceremony (default: two minutes ago). The server keeps a
 * ceremony sealed in the `session` cookie (AES-256-GCM, key = HKDF-SHA256(ENCRYPTION_KEY,
 * info "symbolon webauthn ceremony"); plaintext: version, uv, 8-byte expiry, ...; see
 * src/auth/passkeys.c). The tests know the key, so they can reseal it with an old expiry:
 * the only way to test expiry without waiting a minute.
 */
export function expireCeremony(browser, secondsFromNow = -120) {
  const key = Buffer.from(crypto.hkdfSync('sha256', ENCRYPTION_KEY, Buffer.alloc(0), 'symbolon webauthn ceremony', 32));
  const sealed = Buffer.from(browser.cookie('session'), 'base64url');
  const d = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAAD(CEREMONY_AAD);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const plain = Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
  plain.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000) + secondsFromNow), 2);
  const nonce = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(CEREMONY_AAD);
  const body = Buffer.concat([c.update(plain), c.final()]);
  browser.setCookie('session', Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64url'));
}

export { unb64url };

/* ---------- issue 4: lists, API keys, application configuration ---------- */

/** A desktop Chrome on macOS, for the audit log's device string. */
export const CHROME_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** RFC 3339 UTC time as the contract writes it: 2026-11-23T01:02:03Z. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * A list URL: pathname plus Pocket ID's list query from
 * {page, limit, sort, direction, search, filters: {field: value | [values]}, extra: {k: v}}.
 */
export function listUrl(pathname, { page, limit, sort, direction, search, filters = {}, extra = {} } = {}) {
  const q = new URLSearchParams();
  if (page !== undefined) q.append('pagination[page]', String(page));
  if (limit !== undefined) q.append('pagination[limit]', String(limit));
  if (sort !== undefined) q.append('sort[column]', sort);
  if (direction !== undefined) q.append('sort[direction]', direction);
  for (const [k, v] of Object.entries(filters)) for (const one of [v].flat()) q.append(`filters[${k}]`, String(one));
  if (search !== undefined) q.append('search', search);
  for (const [k, v] of Object.entries(extra)) q.append(k, String(v));
  const s = q.toString();
  return s ? `${pathname}?${s}` : pathname;
}

/**
 * Asserts a 200 list answer with exactly Pocket ID's envelope
 * {data: [...], pagination: {totalPages, totalItems, currentPage, itemsPerPage}}, and the
 * pagination values given in `expect`. Returns the parsed body.
 */
export function assertPage(res, expect = {}) {
  expectStatus(res, 200);
  const b = res.json;
  assert.ok(b && typeof b === 'object', `expected a JSON object${res.ctx}`);
  assert.deepEqual(Object.keys(b).sort(), ['data', 'pagination'], `envelope keys${res.ctx}`);
  assert.ok(Array.isArray(b.data), `data is an array${res.ctx}`);
  assert.deepEqual(Object.keys(b.pagination).sort(), ['currentPage', 'itemsPerPage', 'totalItems', 'totalPages'], `pagination keys${res.ctx}`);
  for (const k of Object.keys(b.pagination)) assert.ok(Number.isInteger(b.pagination[k]), `pagination.${k} is an integer${res.ctx}`);
  assert.ok(b.data.length <= b.pagination.itemsPerPage, `no more items than itemsPerPage${res.ctx}`);
  for (const [k, v] of Object.entries(expect)) assert.equal(b.pagination[k], v, `pagination.${k}${res.ctx}`);
  return b;
}

/** X-API-KEY authentication: a cookie-less browser sending the key on every request. */
export function apiKeyClient(srv, token) {
  return new Browser(srv, { headers: { 'X-API-KEY': token } });
}

/**
 * POST /api/api-keys from a signed-in browser (expiresAt default: in 30 days).
 * Returns {token, apiKey, res}.
 */
export async function createApiKey(browser, { name = 'test key', description, expiresAt } = {}) {
  const body = { name, expiresAt: expiresAt || new Date(Date.now() + 30 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z') };
  if (description !== undefined) body.description = description;
  const res = expectStatus(await browser.post('/api/api-keys', body), 201);
  return { token: res.json.token, apiKey: res.json.apiKey, res };
}

/** GET /api/application-configuration/all as {key: value}. */
export async function configAll(admin) {
  const res = expectStatus(await admin.get('/api/application-configuration/all'), 200);
  assert.ok(Array.isArray(res.json), res.ctx);
  return Object.fromEntries(res.json.map((e) => [e.key, e.value]));
}

/** PUT /api/application-configuration with the current values and `changes` applied (a full replace). */
export async function updateConfig(admin, changes) {
  const current = await configAll(admin);
  return admin.put('/api/application-configuration', { ...current, ...changes });
}
