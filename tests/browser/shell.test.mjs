// The web app shell in Debian's Chromium, under the server's real CSP: it must render,
// navigate without reloads, follow the system colour scheme, and never trip the CSP.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, screenshot, startServer } from './harness.mjs';

let srv, base;

before(async () => {
  srv = await startServer();
  base = srv.base;
});

test('the login page renders under the CSP and offers passkey sign-in', async () => {
  const { context, page, check } = await openPage();
  const res = await page.goto(`${base}/login`);
  assert.equal(res.status(), 200);
  const heading = page.getByRole('heading', { level: 1 });
  await heading.waitFor();
  assert.equal(await heading.textContent(), 'Sign in to Pocket ID');
  assert.equal(await page.title(), 'Sign in - Pocket ID');
  const button = page.getByRole('button', { name: 'Sign in with passkey' });
  assert.equal(await button.isEnabled(), true);
  await page.getByRole('link', { name: 'Other ways to sign in' }).waitFor();
  await check(srv.logs());
  await context.close();
});

test('the root redirects to /login and unknown pages say so, without a reload', async () => {
  const { context, page, check } = await openPage();
  await page.goto(`${base}/`);
  await page.waitForURL(`${base}/login`);
  await page.goto(`${base}/no/such/page`);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.evaluate(() => { window.__marker = 'same document'; });
  await page.getByRole('link', { name: 'Go to sign in' }).click();
  await page.waitForURL(`${base}/login`);
  assert.equal(await page.evaluate(() => window.__marker), 'same document');
  await check(srv.logs());
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
    const { context, page } = await openPage({ colorScheme: scheme });
    await page.goto(`${base}/login`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    colours[scheme] = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await screenshot(page, `login-${scheme}`);
    await context.close();
  }
  assert.notEqual(colours.light, colours.dark);
  const lum = (c) => c.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0);
  assert.ok(lum(colours.dark) < lum(colours.light), JSON.stringify(colours));
});
