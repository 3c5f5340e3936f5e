// Apache 2.4 with mod_auth_openidc (Debian's packages) as the relying party: Chromium opens
// a protected page, Apache sends it to Symbolon, the user signs in there with a passkey and
// approves, and lands on the protected page. mod_auth_openidc does discovery, PKCE S256, the
// code exchange with client_secret_basic, the ID token signature check and userinfo; the test
// then reads what arrived (REMOTE_USER, ?info=json) and checks authorisation by the groups claim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, makeClient, makeGroup, passkeyUser, startApache, startSymbolon } from './harness.mjs';

test('mod_auth_openidc: passkey sign-in at Symbolon, consent, then the protected page with username and groups', async () => {
  const srv = await startSymbolon();
  const { page, user } = await passkeyUser(srv, { username: 'ada', email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' });
  await makeGroup(srv, 'rp-staff', [user.id]);
  await makeGroup(srv, 'rp-admins', []);
  const port = await freePort();
  const client = await makeClient(srv, { name: 'Intranet', callbackURLs: [`http://localhost:${port}/protected/redirect_uri`] });
  const apache = await startApache(srv, client, { port, group: 'rp-staff', otherGroup: 'rp-admins' });
  const problem = (what) => `${what}\n--- Apache:\n${apache.logs()}\n--- Symbolon:\n${srv.logs()}`;

  // Signed out: Apache sends the browser to Symbolon with PKCE, which asks for the passkey.
  const authorize = page.waitForRequest((r) => r.url().startsWith(`${srv.base}/authorize?`));
  await page.goto(`${apache.base}/protected/`);
  const q = new URL((await authorize).url()).searchParams;
  assert.equal(q.get('client_id'), client.id);
  assert.equal(q.get('redirect_uri'), apache.redirectUri);
  assert.equal(q.get('response_type'), 'code');
  assert.equal(q.get('scope'), 'openid email profile groups');
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.ok(q.get('state') && q.get('nonce'), 'state and nonce');
  await page.waitForURL(/\/interaction\?interaction=/);
  await page.getByRole('heading', { name: 'Sign in to continue to Intranet', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
  await page.getByRole('heading', { name: 'Intranet wants to access your account', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Approve' }).click();

  await page.waitForURL(`${apache.base}/protected/`).catch((e) => assert.fail(problem(e.message)));
  await page.getByRole('heading', { name: 'Welcome to protected' }).waitFor();

  // REMOTE_USER is the preferred_username claim.
  const again = await page.goto(`${apache.base}/protected/`);
  assert.equal(again.status(), 200);
  assert.equal(again.headers()['x-remote-user'], 'ada');

  const info = await page.goto(`${apache.redirectUri}?info=json`);
  assert.equal(info.status(), 200, problem('info hook'));
  const claims = await info.json();
  assert.equal(claims.id_token.iss, srv.base);
  assert.equal(claims.id_token.sub, user.id);
  assert.deepEqual(claims.id_token.amr, ['phr'], 'signed in with a passkey');
  assert.deepEqual(claims.id_token.groups, ['rp-staff']);
  assert.equal(claims.userinfo.sub, user.id);
  assert.equal(claims.userinfo.preferred_username, 'ada');
  assert.equal(claims.userinfo.email, 'ada@example.com');
  assert.deepEqual(claims.userinfo.groups, ['rp-staff']);

  // Apache authorises by the groups claim: in rp-staff, not in rp-admins.
  const staff = await page.goto(`${apache.base}/protected/staff/`);
  assert.equal(staff.status(), 200, problem('staff page'));
  const admins = await page.goto(`${apache.base}/protected/admins/`);
  assert.equal(admins.status(), 401, problem('admins page'));
});
