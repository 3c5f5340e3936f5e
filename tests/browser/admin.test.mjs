// Administration in Debian's Chromium against the real server: users, groups and their
// members, custom claims on both, a user's login code, API keys (the token shown once),
// branding (app name and accent colour applied everywhere at once), the read-only
// configuration, non-admins kept out, and the audit log (own and global). Every flow must
// run without CSP violations or console errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addAuthenticator, loginLink, openPage, screenshot, setupAdmin, startServer, webauthn,
} from './harness.mjs';

const ADMIN = { firstName: 'Ada', lastName: 'Lovelace', username: 'ada', email: 'ada@example.com' };
const STATIC_API_KEY = 'browser-static-key-0123456789';

/** The API as the static key's synthetic admin, from Node (for setting up and checking). */
function apiAs(srv, key = STATIC_API_KEY) {
  return async (method, path, body) => {
    const res = await fetch(srv.base + path, {
      method,
      headers: { 'X-API-KEY': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** A server with a first admin, and a browser page signed in as that admin. */
async function adminSession(env = {}, pageOptions = {}) {
  const srv = await startServer({ STATIC_API_KEY, ...env });
  const admin = await setupAdmin(srv, ADMIN);
  const session = await openPage(pageOptions);
  await session.page.goto((await loginLink(srv, ADMIN.username)).url);
  await session.page.waitForURL(`${srv.base}/settings/account`);
  return { srv, admin, api: apiAs(srv), ...session };
}

/** True when nothing sticks out sideways. */
function noSidewaysScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

function nav(page) {
  return page.getByRole('navigation', { name: 'Settings' });
}

test('users, groups, members and custom claims', async () => {
  const { srv, api, page, context, check, expect } = await adminSession();
  const { base } = srv;

  // The menu leads to the users; the admin is listed.
  await nav(page).getByRole('link', { name: 'Users' }).click();
  await page.waitForURL(`${base}/settings/admin/users`);
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  const table = page.getByRole('table', { name: 'All users' });
  await table.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
  assert.equal(await nav(page).getByRole('link', { name: 'Users' }).getAttribute('aria-current'), 'page');

  // Create a user; the display name follows first and last name.
  await page.getByRole('button', { name: 'Add user' }).click();
  const form = page.getByRole('region', { name: 'New user' });
  await form.getByLabel('First name').fill('Grace');
  await form.getByLabel('Last name').fill('Hopper');
  assert.equal(await form.getByLabel('Display name').inputValue(), 'Grace Hopper');
  await form.getByLabel('Username').fill('grace');
  await form.getByLabel('Email address', { exact: true }).fill('grace@example.com');
  await form.getByRole('button', { name: 'Create user' }).click();
  await page.waitForURL(new RegExp(`^${base}/settings/admin/users/[0-9a-f-]{36}\\?created=1$`));
  await page.getByRole('heading', { name: 'Grace Hopper', level: 1 }).waitFor();
  await page.getByRole('status').filter({ hasText: 'User created' }).waitFor();
  const graceId = /users\/([0-9a-f-]{36})/.exec(page.url())[1];
  // The user id is shown (a frequent ask).
  assert.equal(await page.getByTestId('user-id').textContent(), graceId);
  await screenshot(page, 'admin-user-created');

  // The same username again (other case) is refused on the field.
  expect(409, '/api/users');
  await page.getByRole('link', { name: 'All users' }).click();
  await page.waitForURL(`${base}/settings/admin/users`);
  await page.getByRole('button', { name: 'Add user' }).click();
  await form.getByLabel('First name').fill('Other');
  await form.getByLabel('Username').fill('GRACE');
  await form.getByLabel('Email address', { exact: true }).fill('other@example.com');
  await form.getByRole('button', { name: 'Create user' }).click();
  await form.getByText('Username is already in use').first().waitFor();
  assert.equal(await form.getByLabel('Username').getAttribute('aria-invalid'), 'true');
  await form.getByRole('button', { name: 'Cancel' }).click();

  // Search narrows the list.
  await page.getByLabel('Search by name, username or email').fill('hopper');
  await table.getByRole('link', { name: 'Ada Lovelace' }).waitFor({ state: 'detached' });
  await table.getByRole('link', { name: 'Grace Hopper' }).waitFor();

  // A group; its name follows the friendly name.
  await nav(page).getByRole('link', { name: 'User groups' }).click();
  await page.waitForURL(`${base}/settings/admin/user-groups`);
  await page.getByRole('button', { name: 'Add group' }).click();
  const groupForm = page.getByRole('region', { name: 'New group' });
  await groupForm.getByLabel('Friendly name').fill('Human Resources');
  assert.equal(await groupForm.getByLabel('Name', { exact: true }).inputValue(), 'human_resources');
  await groupForm.getByRole('button', { name: 'Create group' }).click();
  await page.waitForURL(new RegExp(`^${base}/settings/admin/user-groups/[0-9a-f-]{36}\\?created=1$`));
  await page.getByRole('heading', { name: 'Human Resources', level: 1 }).waitFor();
  const groupId = /user-groups\/([0-9a-f-]{36})/.exec(page.url())[1];

  // Grace joins it.
  await page.getByRole('checkbox', { name: 'Grace Hopper is a member' }).check();
  await page.getByTestId('member-count').filter({ hasText: '1 selected' }).waitFor();
  await page.getByRole('button', { name: 'Save members' }).click();
  await page.getByRole('status').filter({ hasText: 'Members saved' }).waitFor();

  // Group claims: a reserved key is refused on its row, then a good one is saved.
  const groupClaims = page.getByRole('region', { name: 'Custom claims' });
  await groupClaims.getByRole('button', { name: 'Add claim' }).click();
  await groupClaims.getByLabel('Key of claim 1').fill('email');
  await groupClaims.getByLabel('Value of claim 1').fill('x@example.com');
  await groupClaims.getByRole('button', { name: 'Save claims' }).click();
  await groupClaims.getByText('is a standard claim').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'group-claims-key-0');
  await groupClaims.getByLabel('Key of claim 1').fill('department');
  await groupClaims.getByLabel('Value of claim 1').fill('hr');
  await groupClaims.getByRole('button', { name: 'Save claims' }).click();
  await groupClaims.getByRole('status').filter({ hasText: 'Custom claims saved' }).waitFor();
  await screenshot(page, 'admin-group');

  let res = await api('GET', `/api/user-groups/${groupId}`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.users.map((u) => u.username), ['grace']);
  assert.deepEqual(res.body.customClaims, [{ key: 'department', value: 'hr' }]);

  // The list counts the member.
  await page.getByRole('link', { name: 'All groups' }).click();
  await page.waitForURL(`${base}/settings/admin/user-groups`);
  const groupRow = page.getByRole('row').filter({ hasText: 'Human Resources' });
  assert.equal(await groupRow.getByTestId('user-count').textContent(), '1');

  // Grace's page shows the membership; a second group is added there, and her own claim.
  res = await api('POST', '/api/user-groups', { friendlyName: 'Developers', name: 'developers' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await page.goto(`${base}/settings/admin/users/${graceId}`);
  await page.getByRole('heading', { name: 'Grace Hopper', level: 1 }).waitFor();
  const groups = page.getByRole('group', { name: 'Member of' });
  await groups.getByRole('checkbox', { name: /Human Resources/ }).waitFor();
  assert.equal(await groups.getByRole('checkbox', { name: /Human Resources/ }).isChecked(), true);
  assert.equal(await groups.getByRole('checkbox', { name: /Developers/ }).isChecked(), false);
  await groups.getByRole('checkbox', { name: /Developers/ }).check();
  await page.getByRole('button', { name: 'Save groups' }).click();
  await page.getByRole('status').filter({ hasText: 'Group memberships saved' }).waitFor();

  const userClaims = page.getByRole('region', { name: 'Custom claims' });
  await userClaims.getByRole('button', { name: 'Add claim' }).click();
  await userClaims.getByLabel('Key of claim 1').fill('employee_id');
  await userClaims.getByLabel('Value of claim 1').fill('42');
  await userClaims.getByRole('button', { name: 'Add claim' }).click();
  await userClaims.getByLabel('Key of claim 2').fill('employee_id');
  await userClaims.getByLabel('Value of claim 2').fill('43');
  await userClaims.getByRole('button', { name: 'Save claims' }).click();
  await userClaims.getByText('is used twice').waitFor();
  await userClaims.getByRole('button', { name: /^Remove claim 2/ }).click();
  await userClaims.getByRole('button', { name: 'Save claims' }).click();
  await userClaims.getByRole('status').filter({ hasText: 'Custom claims saved' }).waitFor();

  // Account flags: make her an administrator.
  await page.getByRole('checkbox', { name: 'Administrator' }).check();
  await page.getByRole('region', { name: 'Details' }).getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'details are saved' }).waitFor();

  res = await api('GET', `/api/users/${graceId}`);
  assert.equal(res.status, 200);
  assert.equal(res.body.isAdmin, true);
  assert.deepEqual(res.body.customClaims, [{ key: 'employee_id', value: '42' }]);
  assert.deepEqual(res.body.userGroups.map((g) => g.name).sort(), ['developers', 'human_resources']);

  // After a reload everything is still there.
  await page.reload();
  await page.getByRole('heading', { name: 'Grace Hopper', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('Key of claim 1').inputValue(), 'employee_id');
  assert.equal(await page.getByRole('checkbox', { name: 'Administrator' }).isChecked(), true);

  // A login code for her, with its /lc/ link, which signs her in elsewhere.
  await page.getByRole('button', { name: 'Login code' }).click();
  const dialog = page.getByRole('dialog', { name: 'Login code' });
  await dialog.getByLabel('Valid for').selectOption('12h');
  await dialog.getByRole('button', { name: 'Create code' }).click();
  const link = await dialog.getByLabel('Sign-in link').inputValue();
  assert.match(link, new RegExp(`^${base}/lc/[A-Za-z0-9]{12}$`));
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const other = await openPage();
  await other.page.goto(link);
  await other.page.waitForURL(`${base}/settings/account`);
  assert.equal(await other.page.getByLabel('Username', { exact: true }).inputValue(), 'grace');
  await other.check(srv.logs());
  await other.context.close();

  // Narrow screens: the list and the detail page fit.
  await page.setViewportSize({ width: 360, height: 740 });
  assert.ok(await noSidewaysScroll(page), 'user page fits 360px');
  await page.goto(`${base}/settings/admin/users`);
  await table.getByRole('link', { name: 'Grace Hopper' }).waitFor();
  assert.ok(await noSidewaysScroll(page), 'user list fits 360px');
  await screenshot(page, 'admin-users-narrow');

  await check(srv.logs());
  await context.close();
});

test('an admin deletes a user and one of their passkeys', async () => {
  const { srv, api, page, context, check } = await adminSession();
  const { base } = srv;
  const created = await api('POST', '/api/users', {
    username: 'linus', email: 'linus@example.com', firstName: 'Linus', lastName: 'T',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const linus = created.body;

  // Linus signs in elsewhere with a code and adds a passkey.
  const other = await openPage();
  const cdp = await webauthn(other.context, other.page);
  await addAuthenticator(cdp);
  await other.page.goto((await loginLink(srv, 'linus')).url);
  await other.page.waitForURL(`${base}/settings/account`);
  await other.page.getByRole('button', { name: 'Add passkey' }).click();
  await other.page.getByRole('status').filter({ hasText: 'added' }).waitFor();
  // A non-admin has no administration links and is sent away from its pages.
  assert.equal(await nav(other.page).getByRole('link', { name: 'Users' }).count(), 0);
  await nav(other.page).getByRole('link', { name: 'Audit log' }).waitFor();
  for (const path of ['/settings/admin/users', `/settings/admin/users/${linus.id}`,
    '/settings/admin/application-configuration', '/settings/audit-log/global']) {
    await other.page.goto(base + path);
    await other.page.waitForURL(`${base}/settings/account`);
  }
  await other.check(srv.logs());
  await other.context.close();

  await page.goto(`${base}/settings/admin/users/${linus.id}`);
  const passkeys = page.getByRole('region', { name: 'Passkeys' });
  const item = passkeys.getByRole('listitem');
  await item.first().waitFor();
  assert.equal(await item.count(), 1);
  await item.getByRole('button', { name: /^Delete/ }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete passkey' });
  await confirm.getByRole('button', { name: 'Delete passkey' }).click();
  await passkeys.getByText('This user has no passkey yet.').waitFor();

  // The global audit log records who removed it.
  const logs = await api('GET', '/api/audit-logs/all?filters[event]=PASSKEY_REMOVED');
  assert.equal(logs.status, 200);
  assert.equal(logs.body.data.length, 1, JSON.stringify(logs.body));
  assert.equal(logs.body.data[0].userID, linus.id);

  // Delete him from the list.
  await page.goto(`${base}/settings/admin/users`);
  const row = page.getByRole('row').filter({ hasText: 'linus@example.com' });
  await row.getByRole('button', { name: /^Delete/ }).click();
  await page.getByRole('dialog', { name: 'Delete user' }).getByRole('button', { name: 'Delete user' }).click();
  await page.getByRole('status').filter({ hasText: 'was deleted' }).waitFor();
  await row.waitFor({ state: 'detached' });
  assert.equal((await api('GET', `/api/users/${linus.id}`)).status, 404);
  await check(srv.logs());
  await context.close();
});

test('an API key is shown once, works, and can be revoked', async () => {
  const { srv, page, context, check } = await adminSession();
  const { base } = srv;
  await nav(page).getByRole('link', { name: 'API keys' }).click();
  await page.waitForURL(`${base}/settings/admin/api-keys`);
  await page.getByText('You have no API keys.').waitFor();

  await page.getByRole('button', { name: 'Create API key' }).click();
  const form = page.getByRole('region', { name: 'New API key' });
  // The expiry defaults to 30 days from today.
  const expiry = await form.getByLabel('Expires on').inputValue();
  const days = Math.round((new Date(`${expiry}T12:00:00`) - Date.now()) / 86400000);
  assert.ok(days >= 29 && days <= 30, expiry);
  await form.getByLabel('Name').fill('ab');
  await form.getByRole('button', { name: 'Create key' }).click();
  await form.getByText('Use at least 3 characters.').waitFor();
  await form.getByLabel('Name').fill('Backup script');
  await form.getByLabel('Description').fill('Nightly export');
  await form.getByRole('button', { name: 'Create key' }).click();

  const dialog = page.getByRole('dialog', { name: 'Your new API key' });
  await dialog.waitFor();
  const token = await dialog.getByLabel('API key', { exact: true }).inputValue();
  assert.match(token, /^[A-Za-z0-9]{32}$/);
  await screenshot(page, 'admin-api-key-token');

  // It works as the admin.
  let res = await fetch(`${base}/api/users`, { headers: { 'X-API-KEY': token } });
  assert.equal(res.status, 200);

  // Copy button (the browser may refuse the clipboard; either way the page says what happened).
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  await dialog.getByRole('button', { name: /^Copy/ }).click();
  await dialog.getByText('Copied to the clipboard.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);

  // Closed, it is gone for good.
  await dialog.getByRole('button', { name: 'I have copied it' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await page.content()).includes(token), false);
  const row = page.getByRole('row').filter({ hasText: 'Backup script' });
  await row.getByText('Nightly export').waitFor();
  await page.reload();
  await row.waitFor();
  assert.equal((await page.content()).includes(token), false);

  // Revoke it.
  await row.getByRole('button', { name: /^Revoke/ }).click();
  await page.getByRole('dialog', { name: 'Revoke API key' }).getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('status').filter({ hasText: 'revoked' }).waitFor();
  await row.waitFor({ state: 'detached' });
  res = await fetch(`${base}/api/users`, { headers: { 'X-API-KEY': token } });
  assert.equal(res.status, 401);

  // A key that expires in two seconds (made through the API: the form works in days)...
  const short = await page.evaluate(async () => {
    const expiresAt = new Date(Date.now() + 2000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const r = await fetch('/api/api-keys', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Short lived', expiresAt }),
    });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(short.status, 201, JSON.stringify(short.body));
  await new Promise((r) => setTimeout(r, 3000));
  // ...is marked expired and can be renewed, which shows a new token once.
  await page.reload();
  const expired = page.getByRole('row').filter({ hasText: 'Short lived' });
  await expired.getByText('Expired').waitFor();
  await expired.getByRole('button', { name: /^Renew/ }).click();
  const renew = page.getByRole('dialog', { name: 'Renew API key' });
  await renew.getByRole('button', { name: 'Renew' }).click();
  await page.getByRole('status').filter({ hasText: 'renewed' }).waitFor();
  const renewed = await dialog.getByLabel('API key', { exact: true }).inputValue();
  assert.match(renewed, /^[A-Za-z0-9]{32}$/);
  assert.notEqual(renewed, short.body.token);
  res = await fetch(`${base}/api/users`, { headers: { 'X-API-KEY': renewed } });
  assert.equal(res.status, 200);
  await dialog.getByRole('button', { name: 'I have copied it' }).click();
  await expired.getByText('Expired').waitFor({ state: 'detached' });
  await check(srv.logs());
  await context.close();
});

test('the app name and accent colour apply everywhere at once', async () => {
  const { srv, page, context, check } = await adminSession();
  const { base } = srv;
  await nav(page).getByRole('link', { name: 'Application configuration' }).click();
  await page.waitForURL(`${base}/settings/admin/application-configuration`);
  await page.getByRole('tab', { name: 'General', selected: true }).waitFor();
  const appName = page.getByLabel('Application name');
  assert.equal(await appName.inputValue(), 'Pocket ID');

  // An empty name is refused before sending, on the field.
  await appName.fill('  ');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('This field is required.').waitFor();
  assert.equal(await appName.getAttribute('aria-invalid'), 'true');

  await appName.fill('Acme Sign-in');
  await page.getByRole('radio', { name: 'Teal' }).check();
  await page.getByRole('checkbox', { name: 'Turn off animations' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();

  // Applied without a reload: header, title, accent.
  await page.locator('.brand-name').filter({ hasText: 'Acme Sign-in' }).waitFor();
  assert.match(await page.title(), / - Acme Sign-in$/);
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('no-animations')), true);
  // (The header's logo is drawn in the accent colour, without transitions.)
  const accent = (expected, p = page) => p.waitForFunction(
    (want) => getComputedStyle(document.querySelector('.brand-logo')).color === want, expected,
  );
  await accent('rgb(13, 148, 136)');
  await screenshot(page, 'admin-config-general');

  // Any CSS colour can be typed in; a bad one is refused.
  await page.getByLabel('Other colour').fill('not-a-colour');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('This is not a colour the browser understands.').waitFor();
  await page.getByLabel('Other colour').fill('rgb(180, 30, 90)');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();
  await accent('rgb(180, 30, 90)');

  // Tabs work with the keyboard; the passkey settings are saved with the rest.
  await page.getByRole('tab', { name: 'General' }).focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.getByRole('tab', { name: 'Passkeys', selected: true }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Passkeys');
  await page.getByLabel('User verification', { exact: true }).selectOption('preferred');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();

  // User creation: open sign-up, a default group and a default claim.
  await page.getByRole('tab', { name: 'User creation' }).click();
  await page.getByLabel('Sign-up', { exact: true }).selectOption('open');
  await page.getByRole('button', { name: 'Add claim' }).click();
  await page.getByLabel('Key of claim 1').fill('plan');
  await page.getByLabel('Value of claim 1').fill('free');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();

  const all = await page.evaluate(async () => (await fetch('/api/application-configuration/all')).json());
  const value = (key) => all.find((e) => e.key === key)?.value;
  assert.equal(value('appName'), 'Acme Sign-in');
  assert.equal(value('disableAnimations'), 'true');
  assert.equal(value('accentColor'), 'rgb(180, 30, 90)');
  assert.equal(value('webauthnUserVerification'), 'preferred');
  assert.equal(value('allowUserSignups'), 'open');
  assert.deepEqual(JSON.parse(value('signupDefaultCustomClaims')), [{ key: 'plan', value: 'free' }]);

  // A signed-out visitor sees the new name and colour on the sign-in page.
  const visitor = await openPage({ colorScheme: 'dark' });
  await visitor.page.goto(`${base}/login`);
  await visitor.page.getByRole('heading', { name: 'Sign in to Acme Sign-in' }).waitFor();
  await accent('rgb(180, 30, 90)', visitor.page);
  await visitor.page.waitForFunction(() => getComputedStyle(document.querySelector('.button-primary')).backgroundColor === 'rgb(180, 30, 90)');
  // Links keep a readable contrast on the dark card even with a dark accent.
  const ratio = await visitor.page.evaluate(() => {
    const rgb = (c) => c.match(/\d+/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const link = lum(rgb(getComputedStyle(document.querySelector('.card a')).color));
    const card = lum(rgb(getComputedStyle(document.querySelector('.card')).backgroundColor));
    return (Math.max(link, card) + 0.05) / (Math.min(link, card) + 0.05);
  });
  assert.ok(ratio >= 4.5, `link contrast ${ratio}`);
  await screenshot(visitor.page, 'login-branded-dark');
  await visitor.check(srv.logs());
  await visitor.context.close();

  // Back to the default colour.
  await page.getByRole('tab', { name: 'General' }).click();
  await page.getByRole('radio', { name: 'Default' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Configuration saved.' }).waitFor();
  await accent('rgb(67, 56, 202)');

  await page.setViewportSize({ width: 360, height: 740 });
  assert.ok(await noSidewaysScroll(page), 'configuration fits 360px');
  await check(srv.logs());
  await context.close();
});

test('with UI_CONFIG_DISABLED the configuration is read-only', async () => {
  const { srv, page, context, check } = await adminSession({ UI_CONFIG_DISABLED: 'true', APP_NAME: 'Env Name' });
  await page.goto(`${srv.base}/settings/admin/application-configuration`);
  await page.getByTestId('config-read-only').waitFor();
  assert.equal(await page.getByLabel('Application name').inputValue(), 'Env Name');
  assert.equal(await page.getByLabel('Application name').isDisabled(), true);
  assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0);
  await check(srv.logs());
  await context.close();
});

test('the audit log: own events, and everyone\'s for admins with filters (dark mode)', async () => {
  const { srv, api, page, context, check } = await adminSession({}, { colorScheme: 'dark' });
  const { base } = srv;
  // Grace signs in with a code too, so there are two users in the log.
  const grace = await api('POST', '/api/users', {
    username: 'grace', email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper',
  });
  assert.equal(grace.status, 201, JSON.stringify(grace.body));
  const other = await openPage();
  await other.page.goto((await loginLink(srv, 'grace')).url);
  await other.page.waitForURL(`${base}/settings/account`);
  await other.page.goto(`${base}/settings/audit-log`);
  await other.page.getByRole('cell', { name: 'Signed in with a login code' }).waitFor();
  // No switch to everyone's log for her.
  assert.equal(await other.page.getByRole('link', { name: 'All users' }).count(), 0);
  await other.check(srv.logs());
  await other.context.close();

  await nav(page).getByRole('link', { name: 'Audit log' }).click();
  await page.waitForURL(`${base}/settings/audit-log`);
  const table = page.getByRole('table', { name: 'Events' });
  await table.getByRole('cell', { name: 'Signed in with a login code' }).first().waitFor();
  assert.equal(await table.getByRole('row').count(), 2); // header + her own sign-in
  await screenshot(page, 'audit-own');

  await page.getByRole('link', { name: 'All users' }).click();
  await page.waitForURL(`${base}/settings/audit-log/global`);
  await table.getByRole('cell', { name: 'grace', exact: true }).waitFor();
  await table.getByRole('cell', { name: 'ada', exact: true }).waitFor();
  assert.equal(await table.getByRole('row').count(), 3);
  // Filter by user, then by event and network.
  await page.getByLabel('User', { exact: true }).selectOption({ label: 'grace' });
  await table.getByRole('cell', { name: 'ada', exact: true }).waitFor({ state: 'detached' });
  assert.equal(await table.getByRole('row').count(), 2);
  await page.getByLabel('Event', { exact: true }).selectOption('PASSKEY_ADDED');
  await table.getByText('Nothing recorded yet.').waitFor();
  await page.getByLabel('Event', { exact: true }).selectOption('');
  await page.getByLabel('Network', { exact: true }).selectOption('internal');
  await table.getByRole('cell', { name: 'grace', exact: true }).waitFor();
  await screenshot(page, 'audit-global');

  await page.setViewportSize({ width: 360, height: 740 });
  assert.ok(await noSidewaysScroll(page), 'audit log fits 360px');
  await check(srv.logs());
  await context.close();
});

// A 2x2 red PNG and an SVG, made here.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==',
  'base64',
);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="teal"/></svg>');

test('images: the logo shows in the header at once, and can be removed again', async () => {
  const { srv, page, context, check, expect } = await adminSession();
  const { base } = srv;
  // Nothing uploaded yet: the dark logo and the default profile picture are missing.
  expect(404, '/api/application-images/default-profile-picture');
  await page.goto(`${base}/settings/admin/application-configuration`);
  await page.getByRole('tab', { name: 'Images' }).click();
  const light = page.getByTestId('image-image-logo-light');
  await light.getByText('None').waitFor();
  assert.equal(await page.locator('.brand-logo img').count(), 0);

  await page.getByLabel('Logo (light theme)').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
  await light.getByRole('status').filter({ hasText: 'new image saved' }).waitFor();
  // The header shows it without a reload, and so does a fresh page.
  await page.locator('.brand-logo img').waitFor();
  await page.waitForFunction(() => document.querySelector('.brand-logo img')?.naturalWidth > 0);
  const visitor = await openPage();
  await visitor.page.goto(`${base}/login`);
  await visitor.page.waitForFunction(() => document.querySelector('.brand-logo img')?.naturalWidth > 0);
  await visitor.check(srv.logs());
  await visitor.context.close();

  // The email logo must be PNG or JPEG: the server's refusal is shown.
  expect(415, '/api/application-images/email');
  expect(400, '/api/application-images/email');
  const email = page.getByTestId('image-image-email');
  await page.getByLabel('Email logo').setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: SVG });
  await email.getByRole('alert').filter({ hasText: /PNG or JPEG/ }).waitFor();
  await screenshot(page, 'admin-config-images');

  // Removing it brings the built-in logo back.
  await light.getByRole('button', { name: /^Remove/ }).click();
  await light.getByRole('status').filter({ hasText: 'image removed' }).waitFor();
  await light.getByText('None').waitFor();
  await page.locator('.brand-logo img').waitFor({ state: 'detached' });
  await page.locator('.brand-logo svg').waitFor();
  await check(srv.logs());
  await context.close();
});

test('sign-up: a link from the admin, and open sign-up from the sign-in page', async () => {
  const { srv, api, page, context, check } = await adminSession();
  const { base } = srv;
  const group = await api('POST', '/api/user-groups', { friendlyName: 'Guests', name: 'guests' });
  assert.equal(group.status, 201);

  // Signed out, with sign-up off, /signup says so.
  const visitor = await openPage();
  await visitor.page.goto(`${base}/signup`);
  await visitor.page.getByText('Sign-up is turned off here.').waitFor();

  // The admin creates a link for one account that joins Guests.
  await page.goto(`${base}/settings/admin/users`);
  await page.getByRole('button', { name: 'Sign-up links' }).click();
  const dialog = page.getByRole('dialog', { name: 'Sign-up links' });
  await dialog.getByLabel('Number of accounts').fill('1');
  await dialog.getByRole('checkbox', { name: /Guests/ }).check();
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const link = await dialog.getByLabel('Sign-up link').inputValue();
  assert.match(link, new RegExp(`^${base}/st/[A-Za-z0-9]{16}$`));
  await dialog.getByText('0 of 1 used').waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();

  // The visitor uses it.
  await visitor.page.goto(link);
  await visitor.page.waitForURL(/\/signup\?token=/);
  await visitor.page.getByLabel('First name').fill('Sam');
  await visitor.page.getByLabel('Username').fill('sam');
  await visitor.page.getByLabel('Email address').fill('sam@example.com');
  await visitor.page.getByRole('button', { name: 'Create account' }).click();
  await visitor.page.waitForURL(`${base}/signup/add-passkey`);
  const me = await visitor.page.evaluate(async () => (await fetch('/api/users/me')).json());
  assert.equal(me.username, 'sam');
  assert.deepEqual(me.userGroups.map((g) => g.name), ['guests']);
  await visitor.check(srv.logs());
  await visitor.context.close();

  // Open sign-up: the sign-in page offers it.
  const config = await api('GET', '/api/application-configuration/all');
  const values = Object.fromEntries(config.body.map((e) => [e.key, e.value]));
  assert.equal((await api('PUT', '/api/application-configuration', { ...values, allowUserSignups: 'open' })).status, 200);
  const newcomer = await openPage();
  await newcomer.page.goto(`${base}/login`);
  await newcomer.page.getByRole('link', { name: 'Create an account' }).click();
  await newcomer.page.waitForURL(`${base}/signup`);
  await newcomer.page.getByLabel('First name').fill('Kim');
  await newcomer.page.getByLabel('Username').fill('kim');
  await newcomer.page.getByLabel('Email address').fill('kim@example.com');
  await newcomer.page.getByRole('button', { name: 'Create account' }).click();
  await newcomer.page.waitForURL(`${base}/signup/add-passkey`);
  await newcomer.check(srv.logs());
  await newcomer.context.close();

  // Both show up in the global audit log as created accounts.
  await page.goto(`${base}/settings/audit-log/global`);
  await page.getByLabel('Event', { exact: true }).selectOption('ACCOUNT_CREATED');
  const table = page.getByRole('table', { name: 'Events' });
  await table.getByRole('cell', { name: 'kim', exact: true }).waitFor();
  await table.getByRole('cell', { name: 'sam', exact: true }).waitFor();
  await check(srv.logs());
  await context.close();
});
