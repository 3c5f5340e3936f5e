// OIDC clients and My Apps in Debian's Chromium against the real server: an admin adds a
// client (its first secret shown once, gone after a reload), copies the endpoints (which
// must be the discovery document's), unrestricts it and restricts it to a group, uploads
// and removes its logos, edits and deletes it; the same with the keyboard alone; a user's
// My Apps page lists the apps they may open and revokes one they allowed; dark mode. Every
// flow must run without CSP violations or console errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import zlib from 'node:zlib';
import { loginLink, openPage, screenshot, setupAdmin, startServer } from './harness.mjs';

const ADMIN = { firstName: 'Ada', lastName: 'Lovelace', username: 'ada', email: 'ada@example.com' };
const STATIC_API_KEY = 'browser-static-key-0123456789';
const CLIENT_PAGE = /\/settings\/admin\/oidc-clients\/([0-9a-f-]{36})\?created=1$/;

/** The API as the static key's synthetic admin, from Node (for setting up and checking). */
function apiAs(srv, key = STATIC_API_KEY) {
  return async (method, path, body) => {
    const res = await fetch(srv.base + path, {
      method,
      headers: { 'X-API-KEY': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
}

/** A server with a first admin, and a browser page signed in as that admin. */
async function adminSession(pageOptions = {}) {
  const srv = await startServer({ STATIC_API_KEY });
  const admin = await setupAdmin(srv, ADMIN);
  const session = await openPage(pageOptions);
  await session.page.goto((await loginLink(srv, ADMIN.username)).url);
  await session.page.waitForURL(`${srv.base}/settings/account`);
  return { srv, admin, api: apiAs(srv), ...session };
}

/** Runs SQL on the server's SQLite database (the browser tests use SQLite). */
function sql(srv, statement) {
  return new Promise((resolve, reject) => {
    const db = path.join(srv.dir, 'data', 'pocket-id.db');
    execFile('sqlite3', ['-batch', '-bail', '-cmd', '.timeout 10000', db, statement], { timeout: 30000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${statement}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

/** A w x h RGBA PNG of one colour. */
function png(w, h, [r, g, b, a]) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array(w).fill([r, g, b, a]).flat())]);
  const raw = Buffer.concat(Array(h).fill(row));
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

function nav(page) {
  return page.getByRole('navigation', { name: 'Settings' });
}

/** True when nothing sticks out sideways. */
function noSidewaysScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

/** Waits until the element with id `id` has the focus (it moves after the page updates). */
function focusOn(page, id) {
  return page.waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 5000 });
}

test('an admin adds a client, copies its secret once and its endpoints, and manages access, logos and settings', async () => {
  const { srv, api, page, context, check, expect } = await adminSession();
  const { base } = srv;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });

  await nav(page).getByRole('link', { name: 'OIDC clients' }).click();
  await page.waitForURL(`${base}/settings/admin/oidc-clients`);
  await page.getByRole('heading', { name: 'OIDC clients', level: 1 }).waitFor();
  await page.getByText('No OIDC clients yet.').waitFor();

  // The form refuses what it can tell is wrong, on the field, before sending.
  await page.getByRole('button', { name: 'Add OIDC client' }).click();
  const form = page.getByRole('region', { name: 'New OIDC client' });
  await focusOn(page, 'create-client-name');
  await form.getByRole('textbox', { name: 'Callback URL 1', exact: true }).fill('javascript:alert(1)');
  await form.getByRole('button', { name: 'Save client' }).click();
  await form.getByText('This field is required.').waitFor();
  await form.getByText('Address 1: javascript: addresses are not allowed.').waitFor();
  await focusOn(page, 'create-client-name');

  await form.getByLabel('Name').fill('Forgejo');
  await form.getByLabel('Description').fill('Our git forge');
  await form.getByRole('textbox', { name: 'Callback URL 1', exact: true }).fill('https://git.example.com/user/oauth2/Pocket/callback');
  await form.getByRole('button', { name: 'Add callback URL' }).click();
  // The new box gets the focus; an empty one is left out when saving.
  await focusOn(page, 'create-client-callbackURLs-1');
  await form.getByLabel('Launch URL').fill('https://git.example.com');
  await form.getByRole('checkbox', { name: 'PKCE' }).check();
  await screenshot(page, 'oidc-client-create');
  await form.getByRole('button', { name: 'Save client' }).click();

  await page.waitForURL(CLIENT_PAGE);
  const id = CLIENT_PAGE.exec(page.url())[1];
  await page.getByRole('heading', { name: 'Forgejo', level: 1 }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Client created' }).waitFor();

  // The secret is shown once, with the warning and a copy button that works.
  const fresh = page.getByRole('group', { name: 'Your new client secret' });
  await fresh.getByText('you will not see it again').waitFor();
  const secret = await fresh.getByRole('textbox', { name: 'Client secret' }).inputValue();
  assert.match(secret, /^[A-Za-z0-9]{32}$/);
  await fresh.getByRole('button', { name: 'Copy Client secret' }).click();
  await fresh.getByText('Copied to the clipboard.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await screenshot(page, 'oidc-client-created');

  let res = await api('GET', `/api/oidc/clients/${id}`);
  assert.equal(res.status, 200);
  assert.equal(res.body.name, 'Forgejo');
  assert.equal(res.body.description, 'Our git forge');
  assert.deepEqual(res.body.callbackURLs, ['https://git.example.com/user/oauth2/Pocket/callback']);
  assert.equal(res.body.launchURL, 'https://git.example.com');
  assert.equal(res.body.pkceEnabled, true);
  assert.equal(res.body.isPublic, false);
  // A new client serves nobody until the admin decides (as the guides say).
  assert.equal(res.body.isGroupRestricted, true);
  res = await api('GET', `/api/oidc/clients/${id}/secrets`);
  assert.equal(res.body.length, 1);
  assert.equal(res.body[0].prefix, secret.slice(0, 4));

  // The endpoints are the discovery document's, each with a copy button.
  const discovery = await (await fetch(`${base}/.well-known/openid-configuration`)).json();
  const endpoints = page.getByRole('region', { name: 'Client ID and endpoints' });
  const shown = async (key) => (await page.getByTestId(`endpoint-${key}`).count())
    ? page.getByTestId(`endpoint-${key}`).textContent() : null;
  await page.getByTestId('endpoint-issuer').waitFor();
  assert.equal(await shown('client-id'), id);
  assert.equal(await shown('issuer'), discovery.issuer);
  assert.equal(discovery.issuer, base);
  assert.equal(await shown('discovery'), `${base}/.well-known/openid-configuration`);
  assert.equal(await shown('jwks'), discovery.jwks_uri);
  for (const [key, field] of [['authorization', 'authorization_endpoint'], ['token', 'token_endpoint'],
    ['userinfo', 'userinfo_endpoint'], ['logout', 'end_session_endpoint']]) {
    assert.equal(await shown(key), discovery[field] ?? null, key);
  }
  await endpoints.getByRole('button', { name: 'Copy Discovery URL' }).click();
  await endpoints.getByText('Discovery URL copied to the clipboard.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${base}/.well-known/openid-configuration`);

  // Dismissed, the secret is gone; after a reload only its prefix is listed.
  await fresh.getByRole('button', { name: 'I have copied it' }).click();
  await fresh.waitFor({ state: 'detached' });
  await focusOn(page, 'secret-create');
  await page.reload();
  await page.getByRole('heading', { name: 'Forgejo', level: 1 }).waitFor();
  const secrets = page.getByRole('region', { name: 'Client secrets' });
  await secrets.getByTestId('secret-prefix').filter({ hasText: `${secret.slice(0, 4)}••••••••` }).waitFor();
  assert.equal((await page.content()).includes(secret), false);
  assert.equal(await secrets.getByRole('group', { name: 'Your new client secret' }).count(), 0);

  // A second secret that expires; the first one is deleted after confirmation.
  const inNinetyDays = new Date(Date.now() + 90 * 86400000);
  const day = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  await secrets.getByLabel('Expires on').fill(day(inNinetyDays));
  await secrets.getByRole('button', { name: 'Create secret' }).click();
  const second = await secrets.getByRole('textbox', { name: 'Client secret' }).inputValue();
  assert.match(second, /^[A-Za-z0-9]{32}$/);
  assert.notEqual(second, secret);
  await focusOn(page, 'secret-value');
  res = await api('GET', `/api/oidc/clients/${id}/secrets`);
  assert.equal(res.body.length, 2);
  const expiring = res.body.find((s) => s.prefix === second.slice(0, 4));
  assert.ok(Math.abs(new Date(expiring.expiresAt) - inNinetyDays) < 86400000 * 1.1, expiring.expiresAt);
  await secrets.getByRole('listitem').filter({ hasText: `${secret.slice(0, 4)}••••` })
    .getByRole('button', { name: /^Delete/ }).click();
  const confirmSecret = page.getByRole('dialog', { name: 'Delete client secret' });
  await confirmSecret.getByRole('button', { name: 'Delete secret' }).click();
  await secrets.getByRole('status').filter({ hasText: 'was deleted' }).waitFor();
  res = await api('GET', `/api/oidc/clients/${id}/secrets`);
  assert.deepEqual(res.body.map((s) => s.prefix), [second.slice(0, 4)]);

  // Nobody may sign in yet; "Unrestrict" opens it to every user.
  const access = page.getByRole('region', { name: 'Allowed user groups' });
  await access.getByTestId('client-access').filter({ hasText: 'Nobody can sign in' }).waitFor();
  await access.getByRole('button', { name: 'Unrestrict' }).click();
  await access.getByRole('status').filter({ hasText: 'Unrestricted: every user' }).waitFor();
  res = await api('GET', `/api/oidc/clients/${id}`);
  assert.equal(res.body.isGroupRestricted, false);
  await focusOn(page, 'client-groups-restrict');

  // Restricting it to a group.
  res = await api('POST', '/api/user-groups', { friendlyName: 'Developers', name: 'developers' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const group = res.body;
  await access.getByRole('button', { name: 'Restrict to groups' }).click();
  await access.getByRole('checkbox', { name: /Developers/ }).check();
  await access.getByRole('button', { name: 'Save groups' }).click();
  await access.getByRole('status').filter({ hasText: 'members of 1 group(s)' }).waitFor();
  res = await api('GET', `/api/oidc/clients/${id}`);
  assert.equal(res.body.isGroupRestricted, true);
  assert.deepEqual(res.body.allowedUserGroups.map((g) => g.id), [group.id]);
  await page.reload();
  await access.getByTestId('client-access').filter({ hasText: 'Only members of the 1 group(s)' }).waitFor();
  assert.equal(await access.getByRole('checkbox', { name: /Developers/ }).isChecked(), true);

  // Logos: light and dark uploaded, served, then the dark one removed.
  const logos = page.getByRole('region', { name: 'Logo' });
  await logos.getByLabel('Logo (light theme)').setInputFiles({ name: 'light.png', mimeType: 'image/png', buffer: png(64, 64, [20, 120, 200, 255]) });
  await logos.getByRole('status').filter({ hasText: 'Logo (light theme): new image saved.' }).waitFor();
  await logos.getByLabel('Logo (dark theme)').setInputFiles({ name: 'dark.png', mimeType: 'image/png', buffer: png(64, 64, [230, 230, 230, 255]) });
  await logos.getByRole('status').filter({ hasText: 'Logo (dark theme): new image saved.' }).waitFor();
  for (const light of [true, false]) {
    const logo = await fetch(`${base}/api/oidc/clients/${id}/logo?light=${light}`);
    assert.equal(logo.status, 200);
    assert.match(logo.headers.get('content-type'), /^image\//);
  }
  res = await api('GET', `/api/oidc/clients/${id}`);
  assert.equal(res.body.hasLogo, true);
  assert.equal(res.body.hasDarkLogo, true);
  // The page's header shows the uploaded logo instead of the initial.
  await page.locator('.client-title img').waitFor();
  await page.waitForFunction(() => document.querySelector('.client-title img')?.naturalWidth > 0);
  await logos.getByRole('button', { name: 'Remove Logo (dark theme)' }).click();
  await logos.getByRole('status').filter({ hasText: 'Logo (dark theme): image removed.' }).waitFor();
  res = await api('GET', `/api/oidc/clients/${id}`);
  assert.equal(res.body.hasDarkLogo, false);
  assert.equal(res.body.hasLogo, true);

  // Settings: every field is edited and saved; the groups and logo stay as they were.
  const settings = page.getByRole('region', { name: 'Settings' });
  await settings.getByLabel('Name').fill('Forgejo (git)');
  await settings.getByRole('button', { name: 'Add logout callback URL' }).click();
  await settings.getByRole('textbox', { name: 'Logout callback URL 1' }).fill('https://git.example.com/logged-out');
  await settings.getByRole('checkbox', { name: 'Requires re-authentication' }).check();
  await settings.getByRole('checkbox', { name: 'Skip consent' }).check();
  await settings.getByLabel('Access token lifetime: number').fill('2');
  await settings.getByLabel('Access token lifetime: unit').selectOption('hours');
  await settings.getByLabel('Refresh token lifetime: number').fill('0');
  await settings.getByRole('button', { name: 'Save' }).click();
  await settings.getByText('Enter a whole number: at least 1 minute.').waitFor();
  await settings.getByLabel('Refresh token lifetime: number').fill('14');
  await settings.getByRole('button', { name: 'Save' }).click();
  await settings.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
  res = await api('GET', `/api/oidc/clients/${id}`);
  assert.equal(res.body.name, 'Forgejo (git)');
  assert.deepEqual(res.body.logoutCallbackURLs, ['https://git.example.com/logged-out']);
  assert.equal(res.body.requiresReauthentication, true);
  assert.equal(res.body.skipConsent, true);
  assert.equal(res.body.accessTokenDurationMinutes, 120);
  assert.equal(res.body.refreshTokenDurationMinutes, 14 * 1440);
  assert.equal(res.body.isGroupRestricted, true);
  assert.deepEqual(res.body.allowedUserGroups.map((g) => g.id), [group.id]);
  assert.equal(res.body.hasLogo, true);
  await page.getByRole('heading', { name: 'Forgejo (git)', level: 1 }).waitFor();

  // After a reload the lifetimes read back in their largest exact unit.
  await page.reload();
  assert.equal(await settings.getByLabel('Access token lifetime: number').inputValue(), '2');
  assert.equal(await settings.getByLabel('Access token lifetime: unit').inputValue(), 'hours');
  assert.equal(await settings.getByLabel('Refresh token lifetime: number').inputValue(), '14');
  assert.equal(await settings.getByLabel('Refresh token lifetime: unit').inputValue(), 'days');

  // A pattern the server refuses shows its message on the list.
  expect(400, `/api/oidc/clients/${id}`);
  await settings.getByRole('textbox', { name: 'Callback URL 1', exact: true }).fill('https://user@git.example.com/cb');
  await settings.getByRole('button', { name: 'Save' }).click();
  await settings.locator('#client-callbackURLs-error').waitFor();
  assert.match(await settings.locator('#client-callbackURLs-error').textContent(), /^Callback URLs /);

  // A public client: no secret, PKCE forced on.
  await page.reload();
  await settings.getByRole('checkbox', { name: 'Public client' }).check();
  assert.equal(await settings.getByRole('checkbox', { name: 'PKCE' }).isChecked(), true);
  assert.equal(await settings.getByRole('checkbox', { name: 'PKCE' }).isDisabled(), true);
  await settings.getByText('its secrets are deleted').waitFor();
  await settings.getByRole('button', { name: 'Save' }).click();
  await settings.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
  await page.reload();
  await secrets.getByText('Public clients have no secret').waitFor();
  assert.equal(await secrets.getByRole('button', { name: 'Create secret' }).count(), 0);
  assert.equal(await settings.getByText('its secrets are deleted').count(), 0);
  assert.deepEqual((await api('GET', `/api/oidc/clients/${id}/secrets`)).body ?? [], []);
  // Confidential again: the panel offers a new secret at once, without a reload.
  await settings.getByRole('checkbox', { name: 'Public client' }).uncheck();
  await settings.getByRole('button', { name: 'Save' }).click();
  await settings.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
  await secrets.getByText('This client has no secret.').waitFor();
  await secrets.getByRole('button', { name: 'Create secret' }).waitFor();
  await settings.getByRole('checkbox', { name: 'Public client' }).check();
  await settings.getByRole('button', { name: 'Save' }).click();
  await secrets.getByText('Public clients have no secret').waitFor();

  // The list: search, the filter, and what it shows per client.
  res = await api('POST', '/api/oidc/clients', { name: 'Linkding', callbackURLs: ['https://links.example.com/oidc/callback/'] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await page.getByRole('link', { name: 'All OIDC clients' }).click();
  await page.waitForURL(`${base}/settings/admin/oidc-clients`);
  const table = page.getByRole('table', { name: 'All OIDC clients' });
  const forgejo = table.getByRole('row').filter({ hasText: 'Forgejo (git)' });
  await forgejo.getByText('1 group(s)').waitFor();
  await forgejo.getByText('Public').waitFor();
  await table.getByRole('row').filter({ hasText: 'Linkding' }).getByText('Every user').waitFor();
  await page.getByLabel('Search by name').fill('link');
  await forgejo.waitFor({ state: 'detached' });
  await page.getByLabel('Search by name').fill('');
  await forgejo.waitFor();
  await page.getByLabel('Show').selectOption('restricted');
  await table.getByRole('row').filter({ hasText: 'Linkding' }).waitFor({ state: 'detached' });
  await forgejo.waitFor();
  await page.getByLabel('Show').selectOption('all');
  await table.getByRole('columnheader', { name: 'Name' }).getByRole('button').click();
  await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"]'));
  await page.waitForFunction(() => document.querySelector('table[aria-busy="false"]'));
  assert.deepEqual(await table.locator('tbody tr .strong-link').allTextContents(), ['Forgejo (git)', 'Linkding']);
  await table.getByRole('columnheader', { name: 'Name' }).getByRole('button').click();
  await page.waitForFunction(() => document.querySelector('th[aria-sort="descending"]'));
  await page.waitForFunction(() => document.querySelector('tbody tr .strong-link')?.textContent.trim() === 'Linkding');

  // Narrow screens: the list and the client page fit.
  await page.setViewportSize({ width: 360, height: 740 });
  assert.ok(await noSidewaysScroll(page), 'client list fits 360px');
  await forgejo.getByRole('link', { name: 'Forgejo (git)' }).click();
  await page.getByRole('heading', { name: 'Forgejo (git)', level: 1 }).waitFor();
  await page.getByTestId('endpoint-issuer').waitFor();
  assert.ok(await noSidewaysScroll(page), 'client page fits 360px');
  await screenshot(page, 'oidc-client-narrow');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Deleting it, after confirmation, leads back to the list.
  await page.getByRole('region', { name: 'Delete this client' }).getByRole('button', { name: 'Delete client' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete OIDC client' });
  await confirm.getByText('Delete Forgejo (git)?').waitFor();
  await confirm.getByRole('button', { name: 'Delete client' }).click();
  await page.waitForURL(`${base}/settings/admin/oidc-clients`);
  await table.getByRole('row').filter({ hasText: 'Linkding' }).waitFor();
  assert.equal(await table.getByRole('row').filter({ hasText: 'Forgejo' }).count(), 0);
  assert.equal((await api('GET', `/api/oidc/clients/${id}`)).status, 404);
  await check(srv.logs());
  await context.close();
});

test('a client is added with the keyboard alone', async () => {
  const { srv, api, page, context, check } = await adminSession();
  const { base } = srv;
  await page.goto(`${base}/settings/admin/oidc-clients`);
  await page.getByText('No OIDC clients yet.').waitFor();
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return { id: el?.id ?? '', text: el?.textContent?.trim() ?? '', tag: el?.tagName ?? '' };
  });
  /** Presses Tab until the focus is on `want` (at most 60 times). */
  async function tabTo(want) {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const f = await focused();
      if (want(f)) return f;
    }
    throw new Error(`focus never reached the target; last ${JSON.stringify(await focused())}`);
  }
  await tabTo((f) => f.text === 'Add OIDC client');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'create-client-name');
  await page.keyboard.type('Coder');
  await tabTo((f) => f.id === 'create-client-callbackURLs-0');
  await page.keyboard.type('http://localhost:*/api/v2/users/oidc/callback');
  // "Add callback URL" by keyboard; its new box takes the focus, then Remove gives it back.
  await tabTo((f) => f.id === 'create-client-callbackURLs-add');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'create-client-callbackURLs-1');
  await page.keyboard.press('Tab');
  assert.match((await focused()).text, /^Remove/);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'create-client-callbackURLs-0');
  // A public client, ticked with the space bar; then Enter in a text box submits the form.
  await tabTo((f) => f.id === 'create-client-isPublic');
  await page.keyboard.press('Space');
  await page.keyboard.press('Shift+Tab');
  assert.equal((await focused()).id, 'create-client-launchURL');
  await page.keyboard.press('Enter');
  await page.waitForURL(CLIENT_PAGE);
  const id = CLIENT_PAGE.exec(page.url())[1];
  await page.getByRole('heading', { name: 'Coder', level: 1 }).waitFor();
  // A public client has no secret to show.
  await page.getByText('Public clients have no secret').waitFor();
  const res = await api('GET', `/api/oidc/clients/${id}`);
  assert.equal(res.body.isPublic, true);
  assert.equal(res.body.pkceEnabled, true);
  assert.deepEqual(res.body.callbackURLs, ['http://localhost:*/api/v2/users/oidc/callback']);
  assert.deepEqual((await api('GET', `/api/oidc/clients/${id}/secrets`)).body ?? [], []);

  // Unrestrict with the keyboard; the confirmation dialog of deletion keeps the focus inside.
  await tabTo((f) => f.text === 'Unrestrict');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Unrestricted: every user' }).waitFor();
  await tabTo((f) => f.text === 'Delete client');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Delete OIDC client' });
  await dialog.waitFor();
  assert.equal(await page.evaluate(() => !!document.activeElement?.closest('dialog')), true);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await focused()).text, 'Delete client');
  assert.equal((await api('GET', `/api/oidc/clients/${id}`)).status, 200);
  await check(srv.logs());
  await context.close();
});

test('My Apps lists the apps a user may open, most recent first, and revokes access', async () => {
  const srv = await startServer({ STATIC_API_KEY });
  await setupAdmin(srv, ADMIN);
  const api = apiAs(srv);
  const { base } = srv;
  let res = await api('POST', '/api/users', {
    username: 'grace', email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper',
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const grace = res.body;
  res = await api('POST', '/api/user-groups', { friendlyName: 'Staff', name: 'staff' });
  const staff = res.body;
  res = await api('POST', '/api/user-groups', { friendlyName: 'Finance', name: 'finance' });
  const finance = res.body;
  assert.equal((await api('PUT', `/api/users/${grace.id}/user-groups`, { userGroupIds: [staff.id] })).status, 200);

  const make = async (body, groups) => {
    const r = await api('POST', '/api/oidc/clients', { callbackURLs: ['https://app.example.com/cb'], ...body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    if (groups) {
      const g = await api('PUT', `/api/oidc/clients/${r.body.id}/allowed-user-groups`, { userGroupIds: groups });
      assert.equal(g.status, 200, JSON.stringify(g.body));
    }
    return r.body;
  };
  const wiki = await make({ name: 'Wiki', launchURL: 'https://wiki.example.com', isGroupRestricted: false });
  const chat = await make({ name: 'Chat', description: 'Team chat', launchURL: 'https://chat.example.com', isGroupRestricted: true }, [staff.id]);
  await make({ name: 'Build API', isGroupRestricted: false });
  await make({ name: 'Books', launchURL: 'https://books.example.com', isGroupRestricted: true }, [finance.id]);
  // A logo for Chat.
  const upload = new FormData();
  upload.append('file', new Blob([png(32, 32, [200, 40, 40, 255])], { type: 'image/png' }), 'chat.png');
  res = await fetch(`${base}/api/oidc/clients/${chat.id}/logo?light=true`, { method: 'POST', headers: { 'X-API-KEY': STATIC_API_KEY }, body: upload });
  assert.ok(res.ok, `logo upload: ${res.status}`);

  // Grace allowed Chat (an hour ago) and Wiki (a day ago) before.
  const now = Math.floor(Date.now() / 1000);
  for (const [client, ago] of [[chat, 3600], [wiki, 86400]]) {
    await sql(srv, `INSERT INTO user_authorized_oidc_clients (scope, user_id, client_id, last_used_at) VALUES ('["openid","profile"]', '${grace.id}', '${client.id}', ${now - ago})`);
  }

  const { page, context, check } = await openPage();
  await page.goto((await loginLink(srv, 'grace')).url);
  await page.waitForURL(`${base}/settings/account`);
  await nav(page).getByRole('link', { name: 'My apps' }).click();
  await page.waitForURL(`${base}/settings/apps`);
  await page.getByRole('heading', { name: 'My apps', level: 1 }).waitFor();
  const list = page.getByRole('list', { name: 'Apps' });
  const names = () => list.getByRole('heading', { level: 2 }).allTextContents();
  await list.getByRole('heading', { name: 'Chat' }).waitFor();
  // Launchable and open to her, most recently used first; not Build API (no launch URL)
  // nor Books (another group's).
  assert.deepEqual(await names(), ['Chat', 'Wiki']);
  const chatCard = list.getByRole('listitem').filter({ hasText: 'Chat' });
  assert.equal(await chatCard.getByRole('link', { name: 'Open Chat' }).getAttribute('href'), 'https://chat.example.com/');
  await chatCard.getByText('Team chat').waitFor();
  await chatCard.locator('img').waitFor();
  await chatCard.locator('img').evaluate((img) => img.decode());
  await screenshot(page, 'my-apps');

  // "Show all apps" adds the one without a launch URL.
  await page.getByRole('button', { name: 'Show all apps' }).click();
  await list.getByRole('heading', { name: 'Build API' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Show all apps' }).getAttribute('aria-pressed'), 'true');
  assert.deepEqual((await names()).sort(), ['Build API', 'Chat', 'Wiki']);
  assert.equal(await list.getByRole('listitem').filter({ hasText: 'Build API' }).getByRole('button', { name: /Revoke/ }).count(), 0);
  await page.getByRole('button', { name: 'Show all apps' }).click();
  await list.getByRole('heading', { name: 'Build API' }).waitFor({ state: 'detached' });

  // Revoke Chat, after confirmation.
  await chatCard.getByRole('button', { name: 'Revoke access Chat' }).click();
  const dialog = page.getByRole('dialog', { name: 'Revoke access' });
  await dialog.getByText("Revoke Chat's access to your account?").waitFor();
  await dialog.getByRole('button', { name: 'Revoke access' }).click();
  await page.getByRole('status').filter({ hasText: 'Chat can no longer access your account.' }).waitFor();
  await chatCard.getByRole('button', { name: /Revoke/ }).waitFor({ state: 'detached' });
  const left = await sql(srv, `SELECT client_id FROM user_authorized_oidc_clients WHERE user_id = '${grace.id}'`);
  assert.deepEqual(left.trim().split('\n'), [wiki.id]);
  // Still an app she may open: only the consent went.
  await chatCard.getByRole('link', { name: 'Open Chat' }).waitFor();

  // Narrow screens: the cards fit.
  await page.setViewportSize({ width: 360, height: 740 });
  assert.ok(await noSidewaysScroll(page), 'My apps fits 360px');
  await page.setViewportSize({ width: 1280, height: 720 });

  // Admin pages stay out of her reach.
  assert.equal(await nav(page).getByRole('link', { name: 'OIDC clients' }).count(), 0);
  await page.goto(`${base}/settings/admin/oidc-clients/${wiki.id}`);
  await page.waitForURL(`${base}/settings/account`);
  await check(srv.logs());
  await context.close();
});

test('the client pages and My Apps in dark mode', async () => {
  const { srv, api, page, context, check } = await adminSession({ colorScheme: 'dark' });
  const { base } = srv;
  const res = await api('POST', '/api/oidc/clients', {
    name: 'Portabase', launchURL: 'https://portabase.example.com', callbackURLs: ['https://portabase.example.com/api/auth/oauth2/callback/pocket-id'],
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await api('PUT', `/api/oidc/clients/${res.body.id}`, { ...res.body, isGroupRestricted: false });
  const colours = () => page.evaluate(() => ({
    body: getComputedStyle(document.body).backgroundColor,
    panel: getComputedStyle(document.querySelector('.panel')).backgroundColor,
    text: getComputedStyle(document.body).color,
  }));

  await page.goto(`${base}/settings/admin/oidc-clients`);
  await page.getByRole('link', { name: 'Portabase' }).waitFor();
  assert.deepEqual(await colours(), { body: 'rgb(9, 9, 11)', panel: 'rgb(24, 24, 27)', text: 'rgb(250, 250, 250)' });
  await page.getByRole('link', { name: 'Portabase' }).click();
  await page.getByRole('heading', { name: 'Portabase', level: 1 }).waitFor();
  await page.getByTestId('endpoint-issuer').waitFor();
  // A new secret's box stays readable on the dark page.
  await page.getByRole('button', { name: 'Create secret' }).click();
  const box = page.getByRole('group', { name: 'Your new client secret' });
  await box.waitFor();
  const { fg, bg } = await box.evaluate((el) => ({
    fg: getComputedStyle(el.querySelector('p')).color, bg: getComputedStyle(el).backgroundColor,
  }));
  assert.equal(bg, 'rgb(42, 31, 6)');
  assert.equal(fg, 'rgb(253, 230, 138)');
  await screenshot(page, 'oidc-client-dark');

  await nav(page).getByRole('link', { name: 'My apps' }).click();
  await page.getByRole('heading', { name: 'Portabase', level: 2 }).waitFor();
  assert.equal(await page.locator('.app-card').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(24, 24, 27)');
  await screenshot(page, 'my-apps-dark');
  await check(srv.logs());
  await context.close();
});
