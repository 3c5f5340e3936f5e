// harness.mjs - what the relying-party tests share: Symbolon on http://localhost:<free port>
// (SQLite, or a fresh PostgreSQL database), its admin API through a static API key, users who
// hold a passkey in a CDP virtual authenticator of Debian's Chromium, and Apache with
// mod_auth_openidc run from tests/rp/httpd.conf as an unprivileged user.
//
//   SYMBOLON_BIN   absolute path of the server binary (required)
//   SY_TEST_DB     sqlite (default) | postgres
//   SY_TEST_PG_URL postgres://... of a throw-away server (SY_TEST_DB=postgres)
//
// Every process, temp folder and database made here goes in an `after` hook of the test file
// that imported this module, whether its tests passed or not.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.SYMBOLON_BIN;
const DB_KIND = process.env.SY_TEST_DB || 'sqlite';
const PG_URL = process.env.SY_TEST_PG_URL;
const HERE = path.dirname(new URL(import.meta.url).pathname);
const STATIC_API_KEY = 'rp-test-static-key-0123456789';

assert.ok(BIN && path.isAbsolute(BIN) && fs.existsSync(BIN), 'SYMBOLON_BIN must be the absolute path of the server binary');
assert.ok(DB_KIND === 'sqlite' || (DB_KIND === 'postgres' && PG_URL), 'SY_TEST_DB is sqlite, or postgres with SY_TEST_PG_URL');

const children = new Set();
const dirs = new Set();
const databases = new Set();
let browser;

after(async () => {
  await browser?.close();
  await Promise.all([...children].map(stopChild));
  for (const db of databases) await psql(PG_URL, `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => {});
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
process.on('exit', () => {
  for (const c of children) try { c.kill('SIGKILL'); } catch { /* gone */ }
});

async function stopChild(child) {
  if (child.exitCode === null && child.signalCode === null) {
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await done;
    clearTimeout(timer);
  }
  children.delete(child);
}

/** Starts a command; its output is kept for failure messages. */
function launch(cmd, args, opts) {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.output = '';
  child.stdout.on('data', (d) => { child.output += d; });
  child.stderr.on('data', (d) => { child.output += d; });
  child.once('error', (e) => { child.output += `\n[spawn: ${e.message}]`; });
  return child;
}

function tempDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.add(d);
  return d;
}

/** A loopback port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function psql(url, statement) {
  return new Promise((resolve, reject) => {
    execFile('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', statement], { timeout: 30000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`psql ${statement}: ${stderr || err.message}`));
      else resolve();
    });
  });
}

async function databaseUrl() {
  const name = `sy_rp_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await psql(PG_URL, `CREATE DATABASE "${name}"`);
  databases.add(name);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function waitFor(what, child, probe, logs = () => child.output) {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) break;
    try { if (await probe()) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not come up:\n${logs()}`);
}

/**
 * Symbolon on http://localhost:<port> (WebAuthn needs localhost) with a fresh data folder and
 * database. Returns { base, discovery, logs(), api(method, path, body) } where `api` calls the
 * admin API with the static API key and answers { status, body }.
 */
export async function startSymbolon() {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const env = {
    PATH: process.env.PATH, ENCRYPTION_KEY: 'rp-test-encryption-key-0123456789', PORT: String(port),
    HOST: '127.0.0.1', APP_URL: base, APP_ENV: 'test', LOG_LEVEL: 'warn', STATIC_API_KEY,
  };
  if (DB_KIND === 'postgres') env.DB_CONNECTION_STRING = await databaseUrl();
  const child = launch(BIN, [], { cwd: tempDir('symbolon-rp-'), env });
  await waitFor(`Symbolon on ${base}`, child, async () => (await fetch(`${base}/healthz`)).status === 204);
  return {
    base,
    discovery: `${base}/.well-known/openid-configuration`,
    logs: () => child.output,
    async api(method, apiPath, body) {
      const res = await fetch(base + apiPath, {
        method,
        headers: { 'X-API-KEY': STATIC_API_KEY, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      let json;
      try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
      return { status: res.status, body: json, ctx: `${method} ${apiPath}: ${res.status} ${text.slice(0, 500)}` };
    },
  };
}

/** Calls the admin API and insists on one status; returns the body. */
export async function expectApi(srv, status, method, apiPath, body) {
  const res = await srv.api(method, apiPath, body);
  assert.equal(res.status, status, res.ctx);
  return res.body;
}

/** A group with these members (user ids), made through the admin API; returns it. */
export async function makeGroup(srv, name, userIds) {
  const group = await expectApi(srv, 201, 'POST', '/api/user-groups', { name, friendlyName: name });
  await expectApi(srv, 200, 'PUT', `/api/user-groups/${group.id}/users`, { userIds });
  return group;
}

/**
 * An OpenID client made as an admin makes one: POST /api/oidc/clients, a secret from
 * POST /api/oidc/clients/:id/secrets and, for `groups` (group ids), the allowed groups.
 * Returns { id, secret }.
 */
export async function makeClient(srv, { groups, ...fields }) {
  const dto = await expectApi(srv, 201, 'POST', '/api/oidc/clients', {
    isGroupRestricted: !!groups, pkceEnabled: true, ...fields,
  });
  const { secret } = await expectApi(srv, 201, 'POST', `/api/oidc/clients/${dto.id}/secrets`);
  assert.match(secret ?? '', /^\S{16,}$/, 'a generated secret');
  if (groups) {
    await expectApi(srv, 200, 'PUT', `/api/oidc/clients/${dto.id}/allowed-user-groups`, { userGroupIds: groups });
    const stored = await expectApi(srv, 200, 'GET', `/api/oidc/clients/${dto.id}`);
    assert.equal(stored.isGroupRestricted, true);
    assert.deepEqual(stored.allowedUserGroups.map((g) => g.id).sort(), [...groups].sort());
  }
  return { id: dto.id, secret };
}

async function launchBrowser() {
  browser ??= await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

/**
 * A user made through the admin API who adds a passkey in a browser of their own: a login code
 * from the admin (POST /api/users/:id/one-time-access-token) signs them in, they add a passkey
 * on their account page (a CDP virtual authenticator holds it) and are signed out again by
 * dropping the cookies. Returns { user, context, page }.
 */
export async function passkeyUser(srv, fields) {
  const user = await expectApi(srv, 201, 'POST', '/api/users', { isAdmin: false, ...fields });
  const { token } = await expectApi(srv, 201, 'POST', `/api/users/${user.id}/one-time-access-token`, { ttl: '15m' });
  const context = await (await launchBrowser()).newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  await page.goto(`${srv.base}/lc/${token}`);
  await page.waitForURL(`${srv.base}/settings/account`);
  await page.getByRole('button', { name: 'Add passkey' }).click();
  await page.getByRole('status').filter({ hasText: 'added' }).waitFor();
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'the authenticator holds the new passkey');
  await context.clearCookies();
  return { user, context, page };
}

/**
 * page.goto, once the page's own navigation has settled: after a flow ends at a redirect_uri where
 * nothing listens, Chromium's error page for it may still be loading and would interrupt the goto.
 */
async function gotoSettled(page, url) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await page.goto(url);
    } catch (e) {
      if (attempt === 3 || !/interrupted by another navigation/.test(e.message)) throw e;
      await page.waitForLoadState().catch(() => {});
    }
  }
}

/** Signs in afresh (any session dropped) on Symbolon's own /login page with the passkey. */
export async function signInWithPasskey(page, srv) {
  await page.context().clearCookies();
  await gotoSettled(page, `${srv.base}/login`);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await page.waitForURL(`${srv.base}/settings/account`);
}

/**
 * Apache with mod_auth_openidc (tests/rp/httpd.conf) on http://localhost:<port>/protected for
 * `client`, run as `nobody` when the tests run as root. `port` must be the one in the client's
 * callback URL. Returns { base, redirectUri, logs() }; it is stopped by the after hook.
 */
export async function startApache(srv, client, { port, group, otherGroup }) {
  const dir = tempDir('symbolon-rp-apache-');
  fs.mkdirSync(path.join(dir, 'htdocs/protected/staff'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'htdocs/protected/admins'), { recursive: true });
  for (const where of ['protected', 'protected/staff', 'protected/admins']) {
    fs.writeFileSync(path.join(dir, 'htdocs', where, 'index.html'),
      `<!doctype html><title>${where}</title><h1>Welcome to ${where}</h1>\n`);
  }
  const base = `http://localhost:${port}`;
  const env = {
    PATH: process.env.PATH, RP_DIR: dir, RP_PORT: String(port), RP_PASSPHRASE: crypto.randomBytes(24).toString('hex'),
    OIDC_DISCOVERY_URL: srv.discovery, OIDC_CLIENT_ID: client.id, OIDC_CLIENT_SECRET: client.secret,
    RP_STAFF_GROUP: group, RP_OTHER_GROUP: otherGroup,
  };
  let cmd = '/usr/sbin/apache2';
  // A copy in the runtime folder: `nobody` may not be able to read the checkout.
  fs.copyFileSync(path.join(HERE, 'httpd.conf'), path.join(dir, 'httpd.conf'));
  let args = ['-f', path.join(dir, 'httpd.conf'), '-DFOREGROUND'];
  if (process.getuid() === 0) {
    // setpriv execs in place: the child is Apache itself, so SIGTERM reaches it.
    fs.chmodSync(dir, 0o755);
    execFileSync('chown', ['-R', 'nobody:nogroup', dir]);
    args = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', cmd, ...args];
    cmd = 'setpriv';
  }
  const child = launch(cmd, args, { cwd: dir, env });
  const logs = () => `${child.output}${readIfThere(path.join(dir, 'error.log'))}`;
  await waitFor(`Apache on ${base}`, child, async () => (await fetch(`http://127.0.0.1:${port}/`)).status > 0, logs);
  const uids = /^Uid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1].split(/\s+/);
  assert.ok(!uids.includes('0'), `Apache runs unprivileged (uids ${uids})`);
  return { base, redirectUri: `${base}/protected/redirect_uri`, logs };
}

function readIfThere(file) {
  try { return fs.readFileSync(file, 'utf8'); } catch { return ''; }
}
