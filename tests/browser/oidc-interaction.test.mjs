// The sign-in of an app through /interaction in Debian's Chromium against the real server:
// a signed-out user signs in with their passkey and approves the consent screen (scopes
// in plain words), a login code ("other ways to sign in") brings them back to the same
// request, Deny sends the app access_denied, account choice ("Use a different account"),
// re-authentication with the passkey for a client that requires it, an expired request,
// and /interaction/error showing its message as text. The app is a page the test serves
// itself on a loopback port. Every flow must run without CSP violations or console errors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  addAuthenticator, loginLink, openPage, screenshot, setupAdmin, startServer, webauthn,
} from './harness.mjs';

const ADMIN = { firstName: 'Ada', lastName: 'Lovelace', username: 'ada', email: 'ada@example.com' };
const STATIC_API_KEY = 'browser-static-key-0123456789';
const STATE = 'state-0123456789';

// The app: a loopback server whose callback answers with a plain page (Playwright's
// routes do not see the redirects that lead there).
const app = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('the app');
});
await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
after(() => app.close());
const CALLBACK = `http://127.0.0.1:${app.address().port}/cb`;

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

/** An unrestricted client of the test's app; `extra` overrides fields. */
async function makeClient(api, extra = {}) {
  const res = await api('POST', '/api/oidc/clients', {
    name: 'Forgejo', callbackURLs: [CALLBACK], isGroupRestricted: false, ...extra,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

function authorizeUrl(srv, client, params = {}) {
  const q = new URLSearchParams({
    client_id: client.id, redirect_uri: CALLBACK, response_type: 'code',
    scope: 'openid profile email groups', state: STATE, ...params,
  });
  return `${srv.base}/authorize?${q}`;
}

/**
 * A server with the admin, a browser page whose virtual authenticator holds the admin's
 * passkey, signed out again; the app's callback answers with a plain page.
 */
async function signedOutWithPasskey(pageOptions = {}) {
  const srv = await startServer({ STATIC_API_KEY });
  await setupAdmin(srv, ADMIN);
  const session = await openPage(pageOptions);
  const { page, context } = session;
  const cdp = await webauthn(context, page);
  await addAuthenticator(cdp);
  await page.goto((await loginLink(srv, ADMIN.username)).url);
  await page.waitForURL(`${srv.base}/settings/account`);
  await page.getByRole('button', { name: 'Add passkey' }).click();
  await page.getByRole('status').filter({ hasText: 'added' }).waitFor();
  await signOut(page, srv);
  return { srv, api: apiAs(srv), cdp, ...session };
}

async function signOut(page, srv) {
  await page.goto(`${srv.base}/logout`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${srv.base}/login`);
}

/** Waits for the browser to reach the app's callback; returns its query. */
async function atCallback(page) {
  await page.waitForURL((u) => u.href.startsWith(CALLBACK));
  return new URL(page.url()).searchParams;
}

/** Waits until the element with id `id` has the focus (it moves after the page updates). */
function focusOn(page, id) {
  return page.waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 5000 });
}

test('a signed-out user signs in with a passkey and approves; next time goes straight through', async () => {
  const { srv, api, page, context, check } = await signedOutWithPasskey();
  const client = await makeClient(api, { description: 'Our git forge' });

  await page.goto(authorizeUrl(srv, client, { scope: 'openid profile email groups offline_access' }));
  await page.waitForURL(/\/interaction\?interaction=/);
  await page.getByRole('heading', { name: 'Sign in to continue to Forgejo', level: 1 }).waitFor();
  await screenshot(page, 'interaction-sign-in');
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();

  await page.getByRole('heading', { name: 'Forgejo wants to access your account', level: 1 }).waitFor();
  // The new step's heading has the focus, for screen readers.
  await focusOn(page, 'interaction-heading');
  await page.getByText('Signed in as Ada Lovelace').waitFor();
  await page.getByText('Our git forge').waitFor();
  const scopes = page.getByRole('list', { name: 'What the app can see' });
  assert.deepEqual((await scopes.getByRole('listitem').allTextContents()).map((s) => s.trim()), [
    'Your account ID', 'Your name, username and profile picture', 'Your email address',
    'The groups you belong to', 'Stay signed in',
  ]);
  await screenshot(page, 'interaction-consent');
  await page.getByRole('button', { name: 'Approve' }).click();

  let q = await atCallback(page);
  assert.match(q.get('code') ?? '', /.+/);
  assert.equal(q.get('state'), STATE);
  assert.equal(q.get('iss'), srv.base);

  // Signed in, with consent given: no interaction page at all.
  await page.goto(authorizeUrl(srv, client));
  q = await atCallback(page);
  assert.match(q.get('code') ?? '', /.+/);

  // My Apps now offers to revoke it.
  await page.goto(`${srv.base}/settings/apps`);
  await page.getByRole('button', { name: 'Show all apps' }).click();
  await page.getByRole('button', { name: 'Revoke access Forgejo' }).waitFor();
  await check(srv.logs());
  await context.close();
});

test('a login code brings the user back to the same request, which then goes on by itself; Deny', async () => {
  const { srv, api, page, context, check } = await signedOutWithPasskey();
  const client = await makeClient(api);

  await page.goto(authorizeUrl(srv, client));
  await page.waitForURL(/\/interaction\?interaction=/);
  const interaction = new URL(page.url()).pathname + new URL(page.url()).search;
  await page.getByRole('link', { name: 'Other ways to sign in' }).click();
  await page.waitForURL(/\/login\/alternative\?redirect=/);
  await page.getByRole('link', { name: /Login code/ }).click();
  // (The command line gives a 12-character code.)
  const { code } = await loginLink(srv, ADMIN.username);
  await page.getByRole('button', { name: 'I have a longer code' }).click();
  await page.getByRole('textbox', { name: 'Login code' }).fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Back on the request, signed in: the sign-in step completes without a click.
  await page.waitForURL(`${srv.base}${interaction}`);
  await page.getByRole('heading', { name: 'Forgejo wants to access your account', level: 1 }).waitFor();

  await page.getByRole('button', { name: 'Deny' }).click();
  const q = await atCallback(page);
  assert.equal(q.get('error'), 'access_denied');
  assert.equal(q.get('state'), STATE);
  assert.equal(q.get('code'), null);
  await check(srv.logs());
  await context.close();
});

test('account choice, another account, and re-authentication with the passkey (dark mode, narrow)', async () => {
  const { srv, api, page, context, check, expect } = await signedOutWithPasskey({
    colorScheme: 'dark', viewport: { width: 360, height: 740 },
  });
  const client = await makeClient(api, { skipConsent: true });
  const strict = await makeClient(api, { name: 'Vault', requiresReauthentication: true, skipConsent: true });

  // Signed in with a login code: a re-authentication-requiring app asks for the passkey.
  await page.goto((await loginLink(srv, ADMIN.username)).url);
  await page.waitForURL(`${srv.base}/settings/account`);
  await page.goto(authorizeUrl(srv, strict));
  await page.waitForURL(/\/interaction\?interaction=/);
  await page.getByRole('heading', { name: "Confirm it's you", level: 1 }).waitFor();
  await page.getByText('Vault asks you to confirm with your passkey').waitFor();
  await screenshot(page, 'interaction-reauth');
  await page.getByRole('button', { name: 'Confirm with passkey' }).click();
  let q = await atCallback(page);
  assert.match(q.get('code') ?? '', /.+/);

  // prompt=select_account shows who is signed in; Continue goes on.
  await page.goto(authorizeUrl(srv, client, { prompt: 'select_account' }));
  await page.waitForURL(/\/interaction\?interaction=/);
  await page.getByRole('heading', { name: 'Choose an account', level: 1 }).waitFor();
  const card = page.getByTestId('account-card');
  await card.getByText('Ada Lovelace').waitFor();
  await card.getByText('ada@example.com').waitFor();
  assert.equal(await page.locator('.card').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(24, 24, 27)');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'fits 360px');
  await screenshot(page, 'interaction-account');
  await page.getByRole('button', { name: 'Continue' }).click();
  q = await atCallback(page);
  assert.match(q.get('code') ?? '', /.+/);

  // "Use a different account" signs out and asks for a passkey sign-in.
  expect(401, '/api/users/me');
  await page.goto(authorizeUrl(srv, client, { prompt: 'select_account' }));
  await page.waitForURL(/\/interaction\?interaction=/);
  await page.getByRole('button', { name: 'Use a different account' }).click();
  await page.getByRole('heading', { name: 'Sign in with a different account', level: 1 }).waitFor();
  const me = await page.evaluate(async () => (await fetch('/api/users/me')).status);
  assert.equal(me, 401);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  q = await atCallback(page);
  assert.match(q.get('code') ?? '', /.+/);
  await check(srv.logs());
  await context.close();
});

test('an expired request, a refused one, and the error page showing text only', async () => {
  const srv = await startServer({ STATIC_API_KEY });
  await setupAdmin(srv, ADMIN);
  const api = apiAs(srv);
  const { page, context, check, expect } = await openPage();
  expect(404, /^\/api\/oidc\/interactions\//);

  await page.goto(`${srv.base}/interaction?interaction=00000000-0000-4000-8000-000000000000`);
  await page.getByRole('heading', { name: 'This sign-in request has expired', level: 1 }).waitFor();
  await page.getByText('go back to the app and try again').waitFor();
  // Public: nobody is sent to /login.
  assert.equal(new URL(page.url()).pathname, '/interaction');
  await page.goto(`${srv.base}/interaction`);
  await page.getByRole('heading', { name: 'This sign-in request has expired', level: 1 }).waitFor();

  await page.goto(`${srv.base}/interaction/error?error=${encodeURIComponent('<b>bold</b> & <img src=x onerror=alert(1)>')}`);
  const message = page.getByTestId('interaction-error');
  await message.waitFor();
  assert.equal((await message.textContent()).trim(), '<b>bold</b> & <img src=x onerror=alert(1)>');
  assert.equal(await message.locator('b, img').count(), 0);
  await page.getByRole('link', { name: 'Go to the home page' }).click();
  await page.waitForURL(`${srv.base}/login`);

  // A client restricted to a group the user is not in: the server refuses with a message.
  const client = await makeClient(api, { isGroupRestricted: true });
  await page.goto((await loginLink(srv, ADMIN.username)).url);
  await page.waitForURL(`${srv.base}/settings/account`);
  await page.goto(authorizeUrl(srv, client));
  await page.waitForURL(/\/interaction\/error\?error=/);
  await message.filter({ hasText: 'You are not allowed to access this service.' }).waitFor();

  // A scope the page has no words for is shown by its name (the answer is made up here:
  // the server passes on only the scopes it knows).
  const mock = {
    id: 'mock', client: { id: client.id, name: 'Orders', description: '', hasLogo: false, hasDarkLogo: false,
      launchURL: null, requiresReauthentication: false, clientType: 'standard' },
    scopes: ['openid', 'read:orders'], currentStep: 'consent', requiredSteps: ['consent'], user: null,
  };
  await page.route('**/api/oidc/interactions/mock', (route) => route.fulfill({ json: mock }));
  await page.goto(`${srv.base}/interaction?interaction=mock`);
  await page.getByRole('heading', { name: 'Orders wants to access your account', level: 1 }).waitFor();
  const scopes = page.getByRole('list', { name: 'What the app can see' });
  assert.deepEqual((await scopes.getByRole('listitem').allTextContents()).map((s) => s.trim()),
    ['Your account ID', 'read:orders']);
  await check(srv.logs());
  await context.close();
});
