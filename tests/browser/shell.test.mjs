// The web app shell in Debian's Chromium, under the server's real CSP: it must render,
// navigate without reloads, follow the system colour scheme, and never trip the CSP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.SYMBOLON_BIN;
let server, base, browser, logs = '';

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  assert.ok(BIN, 'SYMBOLON_BIN must point at the server binary');
  const port = await freePort();
  base = `http://localhost:${port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'symbolon-browser-'));
  server = spawn(BIN, [], {
    cwd: dir,
    env: { ...process.env, ENCRYPTION_KEY: 'browser-test-key-0123456789', PORT: String(port),
           HOST: '127.0.0.1', APP_URL: base, LOG_LEVEL: 'warn' },
  });
  server.stdout.on('data', (d) => { logs += d; });
  server.stderr.on('data', (d) => { logs += d; });
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`${base}/healthz`)).status === 204) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

// A page that records CSP violations and console errors other than the expected 404 of the
// not-yet-existing configuration endpoint.
async function openPage(colorScheme = 'light') {
  const context = await browser.newContext({ colorScheme });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/404/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp = (window.__csp || []).concat(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { context, page, problems };
}

test('the login page renders under the CSP and says what works', async () => {
  const { context, page, problems } = await openPage();
  const res = await page.goto(`${base}/login`);
  assert.equal(res.status(), 200);
  const heading = page.getByRole('heading', { level: 1 });
  await heading.waitFor();
  assert.equal(await heading.textContent(), 'Sign in to Pocket ID');
  assert.equal(await page.title(), 'Sign in - Pocket ID');
  const button = page.getByRole('button', { name: 'Sign in with passkey' });
  assert.equal(await button.isDisabled(), true);
  assert.match(await page.getByRole('status').textContent(), /not available in this build/);
  assert.deepEqual(await page.evaluate(() => window.__csp || []), []);
  assert.deepEqual(problems, [], logs);
  await context.close();
});

test('the root redirects to /login and unknown pages say so, without a reload', async () => {
  const { context, page, problems } = await openPage();
  await page.goto(`${base}/`);
  await page.waitForURL(`${base}/login`);
  await page.goto(`${base}/no/such/page`);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.evaluate(() => { window.__marker = 'same document'; });
  await page.getByRole('link', { name: 'Go to sign in' }).click();
  await page.waitForURL(`${base}/login`);
  assert.equal(await page.evaluate(() => window.__marker), 'same document');
  assert.deepEqual(problems, []);
  await context.close();
});

test('keyboard users reach the skip link first', async () => {
  const { context, page } = await openPage();
  await page.goto(`${base}/login`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
  assert.equal(focused, 'Skip to content');
  await context.close();
});

test('dark mode follows the system setting', async () => {
  const colours = {};
  for (const scheme of ['light', 'dark']) {
    const { context, page } = await openPage(scheme);
    await page.goto(`${base}/login`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    colours[scheme] = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    if (process.env.SY_SCREENSHOTS) await page.screenshot({ path: `${process.env.SY_SCREENSHOTS}/login-${scheme}.png` });
    await context.close();
  }
  assert.notEqual(colours.light, colours.dark);
  const lum = (c) => c.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0);
  assert.ok(lum(colours.dark) < lum(colours.light), JSON.stringify(colours));
});
