// harness.mjs - what the browser tests share: the real server on a free port with its own
// temp folder, Debian's Chromium through playwright-core, pages that record CSP violations
// and console errors, and CDP virtual authenticators.
//
//   SYMBOLON_BIN   absolute path of the server binary (required)
//   SY_SCREENSHOTS folder for screenshots (optional)
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const BIN = process.env.SYMBOLON_BIN;
export const SCREENSHOTS = process.env.SY_SCREENSHOTS;
const ENCRYPTION_KEY = 'browser-test-key-0123456789';

const children = new Set();
const dirs = new Set();
let browser;

after(async () => {
  await browser?.close();
  await Promise.all([...children].map((c) => stopChild(c)));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
process.on('exit', () => {
  for (const c of children) try { c.kill('SIGKILL'); } catch { /* gone */ }
});

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  await done;
  clearTimeout(timer);
  children.delete(child);
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server on http://localhost:<free port> with SQLite in a fresh temp folder.
 * `env` adds or overrides variables. Returns { base, port, dir, env, logs(), cli(), stop() }.
 */
export async function startServer(env = {}) {
  assert.ok(BIN, 'SYMBOLON_BIN must point at the server binary');
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'symbolon-browser-'));
  dirs.add(dir);
  const fullEnv = {
    ...process.env, ENCRYPTION_KEY, PORT: String(port), HOST: '127.0.0.1', APP_URL: base,
    APP_ENV: 'test', LOG_LEVEL: 'warn', ...env,
  };
  const child = spawn(BIN, [], { cwd: dir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  child.once('exit', () => children.delete(child));
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    try { up = (await fetch(`${base}/healthz`)).status === 204; } catch { /* not up yet */ }
    if (!up) await new Promise((r) => setTimeout(r, 100));
    if (child.exitCode !== null) break;
  }
  assert.ok(up, `the server did not come up on ${base}:\n${output}`);
  return {
    base, port, dir, env: fullEnv,
    logs: () => output,
    stop: () => stopChild(child),
    /** Runs a command of the same binary with the server's environment and folder. */
    cli: (...args) => new Promise((resolve, reject) => {
      execFile(BIN, args, { cwd: dir, env: fullEnv, timeout: 30000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${args.join(' ')}: ${err.message}\n${stdout}${stderr}`));
        else resolve(stdout + stderr);
      });
    }),
  };
}

export async function launchBrowser() {
  browser ??= await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

/**
 * A fresh browser context and page that record every CSP violation, page error and
 * console error. Resource loads that fail with an expected status are not problems:
 * `expect(status, pathname)` allows one (GET /api/users/me answering 401 while signed
 * out, and the logo answering 404 while none is uploaded (the app then shows its
 * built-in one), are always allowed). `check()` asserts that nothing else happened.
 */
export async function openPage({ colorScheme = 'light', viewport } = {}) {
  const b = await launchBrowser();
  const context = await b.newContext({ colorScheme, ...(viewport ? { viewport } : {}) });
  const page = await context.newPage();
  const problems = [];
  const allowed = [
    { status: 401, path: '/api/users/me' },
    { status: 404, path: '/api/application-images/logo' },
  ];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(m.text());
    if (failed) {
      let where = '';
      try { where = new URL(m.location().url).pathname; } catch { /* no URL */ }
      if (allowed.some((a) => a.status === Number(failed[1]) && (a.path instanceof RegExp ? a.path.test(where) : a.path === where))) return;
      problems.push(`${m.text()} (${m.location().url})`);
      return;
    }
    problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp = (window.__csp || []).concat(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return {
    context, page, problems,
    expect(status, pathOrRegExp) { allowed.push({ status, path: pathOrRegExp }); },
    async check(extra = '') {
      const csp = await page.evaluate(() => window.__csp || []).catch(() => []);
      assert.deepEqual(csp, [], `CSP violations${extra}`);
      assert.deepEqual(problems, [], `console errors${extra}`);
    },
  };
}

/** Enables the CDP WebAuthn domain on a page. Returns the CDP session. */
export async function webauthn(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  return cdp;
}

/** A virtual platform authenticator with resident keys and user verification. */
export async function addAuthenticator(cdp, options = {}) {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
      ...options,
    },
  });
  return authenticatorId;
}

/** The credentials an authenticator holds (CDP uses standard base64; ids are converted to base64url). */
export async function credentialsOf(cdp, authenticatorId) {
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  return credentials.map((c) => ({
    ...c, credentialIdB64url: Buffer.from(c.credentialId, 'base64').toString('base64url'),
  }));
}

/** Lets only `active` (an authenticator id) answer: the others stop simulating user presence. */
export async function onlyUse(cdp, ids, active) {
  for (const id of ids) {
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: id, enabled: id === active });
  }
}

export async function screenshot(page, name) {
  if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Creates the first admin through the API (no browser), as a user without a passkey. */
export async function setupAdmin(srv, user) {
  const res = await fetch(`${srv.base}/api/signup/setup`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(user),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

/** A sign-in link from the command line: "...: <APP_URL>/lc/<code>". */
export async function loginLink(srv, user) {
  const out = await srv.cli('one-time-access-token', user);
  const m = /(http:\/\/\S+\/lc\/(\S+))/.exec(out);
  assert.ok(m, `no link in: ${out}`);
  assert.ok(m[1].startsWith(`${srv.base}/lc/`), m[1]);
  return { url: m[1], code: m[2] };
}
