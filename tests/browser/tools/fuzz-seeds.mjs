// fuzz-seeds.mjs - seed the WebAuthn fuzz corpora with a real registration and sign-in:
// Chromium's virtual authenticator (CTAP2, as a platform authenticator would answer) against
// the real server, through the web app. Writes fuzz/corpus/{clientdata,attestation,authdata,
// cbor,cose}/chromium-*. Run after a build, from the repository root:
//   SYMBOLON_BIN=$PWD/build/symbolon node tests/browser/tools/fuzz-seeds.mjs
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.SYMBOLON_BIN;
if (!BIN) throw new Error('set SYMBOLON_BIN to the server binary');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const base = `http://localhost:${port}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-seeds-'));
const server = spawn(BIN, [], { cwd: dir, stdio: 'ignore', env: { ...process.env, PORT: String(port),
  HOST: '127.0.0.1', APP_URL: base, ENCRYPTION_KEY: 'fuzz-seed-key-0123456789', APP_ENV: 'test' } });
try {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${base}/healthz`)).status === 204) break; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'] });
  const page = await (await browser.newContext()).newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal',
    hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } });
  const bodies = [];
  page.on('request', (req) => { if (/\/api\/webauthn\/(register|login)\/finish$/.test(req.url())) bodies.push(req.postDataJSON()); });
  await page.goto(`${base}/setup`);
  const status = await page.evaluate(async () => (await fetch('/api/signup/setup', { method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'seed', email: 'seed@example.com', firstName: 'Seed', lastName: 'User' }) })).status);
  if (status !== 200) throw new Error(`setup answered ${status}`);
  await page.goto(`${base}/signup/add-passkey`);
  await page.getByRole('button', { name: /add passkey/i }).click();
  await page.waitForURL(/\/settings\/account/);
  await page.evaluate(() => fetch('/api/webauthn/logout', { method: 'POST' }));
  await page.goto(`${base}/login`);
  await page.getByRole('button', { name: /sign in with passkey/i }).click();
  await page.waitForURL(/\/settings/);
  await browser.close();
  if (bodies.length !== 2) throw new Error(`captured ${bodies.length} ceremony bodies, expected 2`);

  const b64u = (s) => Buffer.from(s, 'base64url');
  const write = (target, name, data) => {
    const file = path.join(root, 'fuzz/corpus', target, `chromium-${name}`);
    fs.writeFileSync(file, data);
    console.log(`${path.relative(root, file)} (${data.length} bytes)`);
  };
  const [reg, login] = bodies;
  const attObj = b64u(reg.response.attestationObject);
  write('clientdata', 'create', b64u(reg.response.clientDataJSON));
  write('clientdata', 'get', b64u(login.response.clientDataJSON));
  write('attestation', 'none', Buffer.concat([b64u(reg.response.clientDataJSON), Buffer.from('\n'), attObj]));
  write('cbor', 'attestation-object', attObj);
  write('authdata', 'assertion', b64u(login.response.authenticatorData));
  // the registration's authData and COSE key, found inside the attestation object by their layout:
  // authData = rpIdHash(32) flags(1) count(4) aaguid(16) idLen(2) id COSE_Key
  const rpHash = crypto.createHash('sha256').update('localhost').digest();
  const at = attObj.indexOf(rpHash);
  const idLen = attObj.readUInt16BE(at + 53);
  const authData = attObj.subarray(at);
  write('authdata', 'registration', authData);
  write('cose', 'es256', authData.subarray(55 + idLen));
} finally {
  server.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
