// Passkeys and sessions in Debian's Chromium with CDP virtual authenticators, against the
// real server: first-admin setup, passkey creation, sign-in and sign-out, several passkeys
// (add, rename, delete), login codes, origin mismatch, keyboard use and dark mode. Every
// flow must run without CSP violations or console errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addAuthenticator, credentialsOf, loginLink, onlyUse, openPage, screenshot, setupAdmin as setupAdminAs,
  startServer, webauthn,
} from './harness.mjs';

const ADMIN = { firstName: 'Ada', lastName: 'Lovelace', username: 'ada', email: 'ada@example.com' };

/** Creates the first admin through the API (no browser), as a user without a passkey. */
const setupAdmin = (srv, user = ADMIN) => setupAdminAs(srv, user);

async function signOut(page, base) {
  await page.getByRole('link', { name: 'Sign out' }).click();
  await page.waitForURL(`${base}/logout`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${base}/login`);
}

function passkeyItems(page) {
  return page.locator('li[data-credential-id]');
}

test('setup, first passkey, sign out and in, a second passkey, rename, delete, sign in with the other', async () => {
  const srv = await startServer();
  const { base } = srv;
  const { context, page, check, expect } = await openPage();
  const cdp = await webauthn(context, page);
  const first = await addAuthenticator(cdp);

  // /setup is an alias of /signup/setup.
  await page.goto(`${base}/setup`);
  await page.waitForURL(`${base}/signup/setup`);
  await page.getByLabel('First name', { exact: true }).fill(ADMIN.firstName);
  await page.getByLabel('Last name', { exact: true }).fill(ADMIN.lastName);
  await page.getByLabel('Username', { exact: true }).fill(ADMIN.username);
  await page.getByLabel('Email address', { exact: true }).fill(ADMIN.email);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`${base}/signup/add-passkey`);
  await screenshot(page, 'add-passkey');

  await page.getByRole('button', { name: 'Add passkey' }).click();
  await page.waitForURL(`${base}/settings/account`);
  await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
  const [credA] = await credentialsOf(cdp, first);
  assert.ok(credA, 'the first authenticator holds a passkey');
  assert.equal(credA.isResidentCredential, true);
  await passkeyItems(page).first().waitFor();
  assert.equal(await passkeyItems(page).count(), 1);
  assert.equal(await passkeyItems(page).first().getAttribute('data-credential-id'), credA.credentialIdB64url);
  await page.getByTestId('single-passkey-warning').waitFor();
  assert.match(await page.getByText('User ID:').textContent(), /[0-9a-f-]{36}/);
  await screenshot(page, 'account-one-passkey');

  // Setup is done now: the page says so (a signed-out visitor sees it; signed-in ones move on).
  await page.goto(`${base}/setup`);
  await page.waitForURL(`${base}/settings/account`);

  await signOut(page, base);

  // Signed out, the account page sends to sign-in and back.
  await page.goto(`${base}/settings/account`);
  await page.waitForURL(`${base}/login?redirect=%2Fsettings%2Faccount`);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await page.waitForURL(`${base}/settings/account`);
  await passkeyItems(page).first().waitFor();

  // Signed in, /login goes to the settings.
  await page.goto(`${base}/login`);
  await page.waitForURL(`${base}/settings/account`);

  // The same authenticator again: it already holds a passkey for this account.
  await page.getByRole('button', { name: 'Add passkey' }).click();
  const already = page.getByRole('alert').filter({ hasText: /\S/ });
  await already.waitFor();
  assert.match(await already.textContent(), /already holds a passkey for your account/);
  assert.equal(await passkeyItems(page).count(), 1);

  // A second authenticator, a security key (Chromium allows one internal one); only it
  // answers from now on.
  const second = await addAuthenticator(cdp, { transport: 'usb' });
  await onlyUse(cdp, [first, second], second);
  await page.getByRole('button', { name: 'Add passkey' }).click();
  await page.getByRole('status').filter({ hasText: 'added' }).waitFor();
  const [credB] = await credentialsOf(cdp, second);
  assert.ok(credB, 'the second authenticator holds a passkey');
  assert.notEqual(credB.credentialIdB64url, credA.credentialIdB64url);
  assert.equal((await credentialsOf(cdp, first)).length, 1);
  assert.equal(await passkeyItems(page).count(), 2);
  assert.equal(await page.getByTestId('single-passkey-warning').count(), 0);

  // Rename the second one.
  const itemA = page.locator(`li[data-credential-id="${credA.credentialIdB64url}"]`);
  const itemB = page.locator(`li[data-credential-id="${credB.credentialIdB64url}"]`);
  await itemB.getByRole('button', { name: /^Rename/ }).click();
  const rename = page.getByRole('dialog', { name: 'Rename passkey' });
  await rename.waitFor();
  await rename.getByLabel('Name', { exact: true }).fill('');
  await rename.getByRole('button', { name: 'Save' }).click();
  await rename.getByText('This field is required.').waitFor();
  await rename.getByLabel('Name', { exact: true }).fill('Backup key');
  await rename.getByRole('button', { name: 'Save' }).click();
  await rename.waitFor({ state: 'hidden' });
  await itemB.getByText('Backup key', { exact: true }).waitFor();
  await page.reload();
  await itemB.getByText('Backup key', { exact: true }).waitFor();

  // Delete the first one (Cancel first, then for real).
  await itemA.getByRole('button', { name: /^Delete/ }).click();
  const del = page.getByRole('dialog', { name: 'Delete passkey' });
  await del.waitFor();
  await del.getByRole('button', { name: 'Cancel' }).click();
  await del.waitFor({ state: 'hidden' });
  assert.equal(await passkeyItems(page).count(), 2);
  await itemA.getByRole('button', { name: /^Delete/ }).click();
  await del.getByRole('button', { name: 'Delete passkey' }).click();
  await itemA.waitFor({ state: 'detached' });
  assert.equal(await passkeyItems(page).count(), 1);
  await page.getByTestId('single-passkey-warning').waitFor();
  await screenshot(page, 'account-after-delete');

  await signOut(page, base);

  // The deleted passkey is still on the first authenticator: the server refuses it, in words.
  await onlyUse(cdp, [first, second], first);
  expect(401, '/api/webauthn/login/finish');
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  const alert = page.getByRole('alert').filter({ hasText: /\S/ });
  await alert.waitFor();
  assert.match(await alert.textContent(), /not registered/i);
  assert.equal(page.url(), `${base}/login`);

  // The other one works.
  await onlyUse(cdp, [first, second], second);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await page.waitForURL(`${base}/settings/account`);
  await itemB.getByText('Backup key', { exact: true }).waitFor();
  await check(srv.logs());
  await context.close();
});

test('a login code from the command line signs in a user without a passkey', async () => {
  const srv = await startServer();
  const { base } = srv;
  const admin = await setupAdmin(srv);
  const { context, page, check } = await openPage();

  const link = await loginLink(srv, ADMIN.username);
  assert.equal(link.code.length, 12);
  // A redirect to another site is ignored.
  await page.goto(`${link.url}?redirect=${encodeURIComponent('//evil.example/x')}`);
  await page.waitForURL(`${base}/settings/account`);
  await page.getByTestId('no-passkey-warning').waitFor();
  assert.match(await page.getByText('User ID:').textContent(), new RegExp(admin.id));
  assert.equal(await page.getByLabel('Username', { exact: true }).inputValue(), ADMIN.username);

  // The profile can be edited and saved.
  await page.getByLabel('Display name', { exact: true }).fill('Countess Ada');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  await page.getByRole('navigation').getByText('Countess Ada').waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/users/me')).json());
  assert.equal(me.displayName, 'Countess Ada');

  // Narrow screens: nothing sticks out sideways.
  await page.setViewportSize({ width: 360, height: 740 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await screenshot(page, 'account-narrow');

  // Setup is done: a signed-out visitor of /setup is told so.
  const fresh = await openPage();
  fresh.expect(404, '/api/signup/setup');
  await fresh.page.goto(`${base}/setup`);
  await fresh.page.getByText('Setup is already done').waitFor();
  await fresh.page.getByRole('link', { name: 'Go to sign in' }).click();
  await fresh.page.waitForURL(`${base}/login`);

  // A used code is refused, in words.
  fresh.expect(401, /^\/api\/one-time-access-token\//);
  await fresh.page.goto(link.url);
  await fresh.page.waitForURL(/\/login\/alternative\/code\?code=/);
  const alert = fresh.page.getByRole('alert').filter({ hasText: /\S/ });
  await alert.waitFor();
  assert.match(await alert.textContent(), /invalid|expired/i);

  // Typing a long code by hand, keeping ?redirect=.
  const typed = await loginLink(srv, ADMIN.email);
  await fresh.page.goto(`${base}/settings/account`);
  await fresh.page.waitForURL(`${base}/login?redirect=%2Fsettings%2Faccount`);
  await fresh.page.getByRole('link', { name: 'Other ways to sign in' }).click();
  await fresh.page.getByRole('link', { name: /Login code/ }).click();
  await fresh.page.waitForURL(`${base}/login/alternative/code?redirect=%2Fsettings%2Faccount`);
  await fresh.page.getByRole('button', { name: 'I have a longer code' }).click();
  await fresh.page.getByLabel('Login code', { exact: true }).fill(typed.code);
  await fresh.page.getByLabel('Login code', { exact: true }).press('Enter');
  await fresh.page.waitForURL(`${base}/settings/account`);
  await fresh.check(srv.logs());
  await fresh.context.close();

  await check(srv.logs());
  await context.close();
});

test('signing out ends the session and removes the cookie', async () => {
  const srv = await startServer();
  const { base } = srv;
  await setupAdmin(srv);
  const { context, page, check } = await openPage();
  await page.goto((await loginLink(srv, ADMIN.username)).url);
  await page.waitForURL(`${base}/settings/account`);
  const before = await context.cookies(base);
  assert.ok(before.some((c) => c.name === 'access_token' && c.value), JSON.stringify(before));
  assert.equal(await page.evaluate(async () => (await fetch('/api/users/me')).status), 200);

  await signOut(page, base);
  const cookies = await context.cookies(base);
  assert.ok(!cookies.some((c) => c.name === 'access_token' && c.value), JSON.stringify(cookies));
  assert.equal(await page.evaluate(async () => (await fetch('/api/users/me')).status), 401);
  await page.goto(`${base}/settings/account`);
  await page.waitForURL(`${base}/login?redirect=%2Fsettings%2Faccount`);
  await check(srv.logs());
  await context.close();
});

test('a device without a passkey for the site is explained in plain words', async () => {
  const srv = await startServer();
  const { context, page, check } = await openPage();
  const cdp = await webauthn(context, page);
  await addAuthenticator(cdp);
  await page.goto(`${srv.base}/login`);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  const alert = page.getByRole('alert').filter({ hasText: /\S/ });
  await alert.waitFor();
  assert.match(await alert.textContent(), /no passkey for this site/);
  // The button can be used again.
  assert.equal(await page.getByRole('button', { name: 'Sign in with passkey' }).getAttribute('aria-disabled'), 'false');
  await check(srv.logs());
  await context.close();
});

test('a page on another address than APP_URL is told so in plain words', async () => {
  const srv = await startServer();
  const { context, page, check } = await openPage();
  const cdp = await webauthn(context, page);
  await addAuthenticator(cdp);
  // Same server, but the browser sees 127.0.0.1 instead of APP_URL's localhost.
  await page.goto(`http://127.0.0.1:${srv.port}/login`);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  const alert = page.getByRole('alert').filter({ hasText: /\S/ });
  await alert.waitFor();
  const text = await alert.textContent();
  assert.match(text, /does not match/);
  assert.match(text, /APP_URL/);
  assert.match(text, /127\.0\.0\.1/);
  await check(srv.logs());
  await context.close();
});

test('keyboard only, in dark mode: sign in, add, rename and delete passkeys', async () => {
  const srv = await startServer();
  const { base } = srv;
  await setupAdmin(srv);
  const { context, page, check } = await openPage({ colorScheme: 'dark' });
  const cdp = await webauthn(context, page);
  await addAuthenticator(cdp);
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return el ? (el.id || el.textContent.replace(/\s+/g, ' ').trim()) : '';
  });
  async function tabTo(pattern, max = 40, key = 'Tab') {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press(key);
      if (pattern.test(await focused())) return;
    }
    assert.fail(`Tab never reached ${pattern}; focus is on "${await focused()}"`);
  }

  await page.goto((await loginLink(srv, ADMIN.username)).url);
  await page.waitForURL(`${base}/settings/account`);
  await page.getByTestId('no-passkey-warning').waitFor();

  // Add a passkey.
  await tabTo(/^Add passkey$/);
  await page.keyboard.press('Enter');
  await passkeyItems(page).first().waitFor();
  await page.getByRole('status').filter({ hasText: 'added' }).waitFor();

  // Rename it: the dialog takes focus, Enter saves, focus comes back.
  await tabTo(/^Rename/);
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'Rename passkey' }).waitFor();
  assert.equal(await focused(), 'rename-passkey-name');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('Laptop');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'Rename passkey' }).waitFor({ state: 'hidden' });
  await passkeyItems(page).getByText('Laptop', { exact: true }).waitFor();
  assert.match(await focused(), /^Rename/);

  // Escape closes the delete dialog without deleting.
  await tabTo(/^Delete/);
  await page.keyboard.press('Space');
  await page.getByRole('dialog', { name: 'Delete passkey' }).waitFor();
  assert.equal(await focused(), 'Cancel');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'Delete passkey' }).waitFor({ state: 'hidden' });
  assert.match(await focused(), /^Delete/);
  assert.equal(await passkeyItems(page).count(), 1);

  // Dark colours are in use.
  const lum = (c) => c.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b, 0);
  const colours = await page.evaluate(() => ({
    body: getComputedStyle(document.body).backgroundColor,
    panel: getComputedStyle(document.querySelector('.panel')).backgroundColor,
    text: getComputedStyle(document.body).color,
  }));
  assert.ok(lum(colours.body) < 120 && lum(colours.panel) < 150 && lum(colours.text) > 600, JSON.stringify(colours));
  await screenshot(page, 'account-dark');

  // Sign out and back in with the keyboard (the header link is before the content).
  await tabTo(/^Sign out$/, 20, 'Shift+Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/logout`);
  await tabTo(/^Sign out$/);
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'BUTTON');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/login`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await tabTo(/^Sign in with passkey$/, 10);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/settings/account`);
  await screenshot(page, 'login-dark');

  // Delete it for real; focus lands on "Add passkey".
  await passkeyItems(page).first().waitFor();
  await tabTo(/^Delete/);
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'Delete passkey' }).waitFor();
  await page.getByRole('dialog').getByText('This is your only passkey').waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Delete passkey');
  await page.keyboard.press('Enter');
  await page.getByTestId('no-passkey-warning').waitFor();
  assert.equal(await focused(), 'Add passkey');
  await check(srv.logs());
  await context.close();
});

test('with own-account editing off, only the language can be changed', async () => {
  const srv = await startServer({ UI_CONFIG_DISABLED: 'true', ALLOW_OWN_ACCOUNT_EDIT: 'false' });
  const { base } = srv;
  await setupAdmin(srv);
  const { context, page, check } = await openPage();
  await page.goto((await loginLink(srv, ADMIN.username)).url);
  await page.waitForURL(`${base}/settings/account`);
  for (const label of ['First name', 'Last name', 'Display name', 'Username', 'Email address']) {
    assert.equal(await page.getByLabel(label).isDisabled(), true, label);
  }
  assert.equal(await page.getByLabel('Language', { exact: true }).isDisabled(), false);
  await page.getByLabel('Language', { exact: true }).selectOption('en');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/users/me')).json());
  assert.equal(me.locale, 'en');
  await check(srv.logs());
  await context.close();
});

test('the alternative sign-in page lists login codes, and email codes only when enabled', async () => {
  const srv = await startServer();
  const { context, page, check } = await openPage();
  await page.goto(`${srv.base}/login`);
  await page.getByRole('link', { name: 'Other ways to sign in' }).click();
  await page.waitForURL(`${srv.base}/login/alternative`);
  await page.getByRole('link', { name: /Login code/ }).waitFor();
  assert.equal(await page.getByRole('link', { name: /Email me a login code/ }).count(), 0);
  // /lc without a code is the code page.
  await page.goto(`${srv.base}/lc`);
  await page.waitForURL(`${srv.base}/login/alternative/code`);
  await page.getByLabel('Login code', { exact: true }).fill('abc');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByText('Enter all 6 characters of the code.').waitFor();
  await check(srv.logs());
  await context.close();
});
