// Application configuration administration (issue 4; reference §1.8, §6, checklist 11-14):
// GET /api/application-configuration/all, PUT /api/application-configuration (full replace,
// validation, UI_CONFIG_DISABLED), and settings taking effect at once.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import {
  Browser, expectStatus, setupAdmin, insertUser, signInAs, jwtClaims, configAll, updateConfig, loginCode,
} from './client.mjs';

const DEFAULTS = {
  appName: 'Pocket ID', sessionDuration: '60', homePageUrl: '/settings/account', emailsVerified: 'false',
  accentColor: 'default', disableAnimations: 'false', allowOwnAccountEdit: 'true', allowUserSignups: 'disabled',
  signupDefaultUserGroupIDs: '[]', signupDefaultCustomClaims: '[]', requireUserEmail: 'true', smtpHost: '', smtpPort: '',
  smtpFrom: '', smtpUser: '', smtpPassword: '', smtpTls: 'none', smtpSkipCertVerify: 'false',
  emailLoginNotificationEnabled: 'false', emailOneTimeAccessAsUnauthenticatedEnabled: 'false',
  emailOneTimeAccessAsAdminEnabled: 'false', emailApiKeyExpirationEnabled: 'false', emailVerificationEnabled: 'false',
  ldapEnabled: 'false', ldapUrl: '', ldapBindDn: '', ldapBindPassword: '', ldapBase: '',
  ldapUserSearchFilter: '(objectClass=person)', ldapUserGroupSearchFilter: '(objectClass=groupOfNames)',
  ldapSkipCertVerify: 'false', ldapAttributeUserUniqueIdentifier: '', ldapAttributeUserUsername: '',
  ldapAttributeUserEmail: '', ldapAttributeUserFirstName: '', ldapAttributeUserLastName: '',
  ldapAttributeUserDisplayName: 'cn', ldapAttributeUserProfilePicture: '', ldapAttributeGroupMember: 'member',
  ldapAttributeGroupUniqueIdentifier: '', ldapAttributeGroupName: '', ldapAdminGroupName: '', ldapSoftDeleteUsers: 'true',
  webauthnUserVerification: 'required', webauthnAllowSyncedPasskeys: 'true', webauthnAuthenticatorAttachment: 'any',
  cimdUrlAllowlist: '[]',
};

let srv, admin;
before(async () => {
  srv = await startServer();
  ({ browser: admin } = await setupAdmin(srv));
});

/** Runs fn with the configuration changed, then puts the defaults back. */
async function withConfig(changes, fn) {
  expectStatus(await admin.put('/api/application-configuration', { ...DEFAULTS, ...changes }), 200);
  try {
    return await fn();
  } finally {
    expectStatus(await admin.put('/api/application-configuration', DEFAULTS), 200);
  }
}

async function publicConfig(s = srv) {
  const res = expectStatus(await new Browser(s).get('/api/application-configuration'), 200);
  return Object.fromEntries(res.json.map((e) => [e.key, e.value]));
}

async function nonAdmin() {
  const u = await insertUser(srv);
  return signInAs(srv, admin, u.id);
}

/* ---------- GET /all ---------- */

test('GET /api/application-configuration/all: the 47 keys with their defaults, type "" and isPublic false', async () => {
  const res = expectStatus(await admin.get('/api/application-configuration/all'), 200);
  assert.ok(Array.isArray(res.json), res.ctx);
  assert.equal(res.json.length, 47, res.ctx);
  for (const e of res.json) {
    assert.deepEqual(Object.keys(e).sort(), ['isPublic', 'key', 'type', 'value'], res.ctx);
    assert.equal(e.type, '', `${e.key}${res.ctx}`);
    assert.equal(e.isPublic, false, `${e.key}${res.ctx}`);
    assert.equal(typeof e.value, 'string', `${e.key}${res.ctx}`);
  }
  const got = Object.fromEntries(res.json.map((e) => [e.key, e.value]));
  assert.deepEqual(got, DEFAULTS, res.ctx);
});

test('GET /api/application-configuration/all as a non-admin is 403 forbidden', async () => {
  const b = await nonAdmin();
  expectStatus(await b.get('/api/application-configuration/all'), 403, 'forbidden');
});

test('GET /api/application-configuration/all signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).get('/api/application-configuration/all'), 401, 'not_signed_in');
});

/* ---------- PUT ---------- */

test('PUT /api/application-configuration: 200 with the /all shape; the values are stored', async () => {
  await withConfig({}, async () => {
    const changes = { appName: 'Acme ID', accentColor: '#ff5500', smtpHost: 'smtp.example.com', smtpPort: '587', smtpTls: 'starttls',
      smtpFrom: 'id@example.com', smtpPassword: 's3cret', ldapSoftDeleteUsers: 'false', webauthnAuthenticatorAttachment: 'platform' };
    const res = expectStatus(await admin.put('/api/application-configuration', { ...DEFAULTS, ...changes }), 200);
    assert.ok(Array.isArray(res.json), res.ctx);
    assert.equal(res.json.length, 47, res.ctx);
    for (const e of res.json) assert.deepEqual(Object.keys(e).sort(), ['isPublic', 'key', 'type', 'value'], res.ctx);
    const answered = Object.fromEntries(res.json.map((e) => [e.key, e.value]));
    assert.deepEqual(answered, { ...DEFAULTS, ...changes }, res.ctx);
    assert.deepEqual(await configAll(admin), { ...DEFAULTS, ...changes });
  });
});

test('PUT is a full replace: keys left out go back to their defaults', async () => {
  await withConfig({ appName: 'First', accentColor: '#123456', emailsVerified: 'true', allowUserSignups: 'open' }, async () => {
    const res = expectStatus(await admin.put('/api/application-configuration', { appName: 'Second', sessionDuration: '60', homePageUrl: '/settings/account' }), 200);
    const got = Object.fromEntries(res.json.map((e) => [e.key, e.value]));
    assert.equal(got.appName, 'Second', res.ctx);
    assert.equal(got.accentColor, 'default', res.ctx);
    assert.equal(got.emailsVerified, 'false', res.ctx);
    assert.equal(got.allowUserSignups, 'disabled', res.ctx);
    assert.deepEqual(await configAll(admin), { ...DEFAULTS, appName: 'Second' });
  });
});

test('PUT with empty strings stores the defaults', async () => {
  await withConfig({ ldapUserSearchFilter: '(uid=*)', sessionDuration: '30' }, async () => {
    expectStatus(await admin.put('/api/application-configuration', { ...DEFAULTS, ldapUserSearchFilter: '', sessionDuration: '', accentColor: '' }), 200);
    const got = await configAll(admin);
    assert.equal(got.ldapUserSearchFilter, '(objectClass=person)');
    assert.equal(got.sessionDuration, '60');
    assert.equal(got.accentColor, 'default');
  });
});

test('the configuration survives a restart', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  expectStatus(await updateConfig(a, { appName: 'Persistent', accentColor: '#00aa00' }), 200);
  await s.stop();
  const again = await startServer({ reuse: s });
  const pub = await publicConfig(again);
  assert.equal(pub.appName, 'Persistent');
  assert.equal(pub.accentColor, '#00aa00');
});

for (const [key, value] of [
  ['smtpTls', 'ssl'],
  ['allowUserSignups', 'everyone'],
  ['appName', 'x'.repeat(31)],
  ['sessionDuration', 'an hour'],
  ['sessionDuration', '0'],
  ['emailsVerified', 'yes'],
  ['allowOwnAccountEdit', 'maybe'],
  ['requireUserEmail', '1'],
  ['webauthnUserVerification', 'sometimes'],
  ['webauthnAuthenticatorAttachment', 'usb'],
  ['signupDefaultUserGroupIDs', '{"a":1}'],
  ['signupDefaultCustomClaims', 'not json'],
  ['smtpFrom', 'not-an-email'],
]) {
  test(`PUT with ${key}=${JSON.stringify(value.length > 20 ? value.slice(0, 8) + '…' : value)} is 400 validation_failed and changes nothing`, async () => {
    await withConfig({ appName: 'Before' }, async () => {
      const res = expectStatus(await admin.put('/api/application-configuration', { ...DEFAULTS, appName: 'After', [key]: value }), 400, 'validation_failed');
      assert.ok(res.json.details?.fields?.some((f) => f.field === key), `a field error for ${key}${res.ctx}`);
      assert.equal((await configAll(admin)).appName, 'Before');
    });
  });
}

test('PUT with a text/plain body is 400 invalid_request_body', async () => {
  const res = await admin.call('PUT', '/api/application-configuration', { body: JSON.stringify(DEFAULTS), headers: { 'content-type': 'text/plain' } });
  expectStatus(res, 400, 'invalid_request_body');
});

test('PUT as a non-admin is 403 forbidden', async () => {
  const b = await nonAdmin();
  expectStatus(await b.put('/api/application-configuration', { ...DEFAULTS, appName: 'Hijacked' }), 403, 'forbidden');
  assert.equal((await publicConfig()).appName, 'Pocket ID');
});

test('PUT signed out is 401 not_signed_in', async () => {
  expectStatus(await new Browser(srv).put('/api/application-configuration', DEFAULTS), 401, 'not_signed_in');
});

test('without UI_CONFIG_DISABLED the admin sees secrets as stored', async () => {
  await withConfig({ smtpPassword: 'visible-secret', ldapBindPassword: 'bind-secret' }, async () => {
    const got = await configAll(admin);
    assert.equal(got.smtpPassword, 'visible-secret');
    assert.equal(got.ldapBindPassword, 'bind-secret');
    const pub = await publicConfig();
    assert.ok(!JSON.stringify(pub).includes('visible-secret'));
  });
});

/* ---------- UI_CONFIG_DISABLED ---------- */

test('UI_CONFIG_DISABLED=true: PUT is 403 ui_config_disabled', async () => {
  const s = await startServer({ env: { UI_CONFIG_DISABLED: 'true', APP_NAME: 'Env Name' } });
  const { browser: a } = await setupAdmin(s);
  const res = expectStatus(await a.put('/api/application-configuration', { ...DEFAULTS, appName: 'UI Name' }), 403, 'ui_config_disabled');
  assert.equal(res.json.error, "The configuration can't be changed since the UI configuration is disabled", res.ctx);
  assert.equal((await publicConfig(s)).appName, 'Env Name');
});

test('UI_CONFIG_DISABLED=true: /all shows the environment, secrets as XXXXXXXXXX', async () => {
  const s = await startServer({ env: { UI_CONFIG_DISABLED: 'true', APP_NAME: 'Env Name', SMTP_HOST: 'mail.example', SMTP_PASSWORD: 'env-secret', LDAP_BIND_PASSWORD: 'env-bind' } });
  const { browser: a } = await setupAdmin(s);
  const res = expectStatus(await a.get('/api/application-configuration/all'), 200);
  assert.ok(!res.text.includes('env-secret') && !res.text.includes('env-bind'), res.ctx);
  const got = Object.fromEntries(res.json.map((e) => [e.key, e.value]));
  assert.equal(got.appName, 'Env Name', res.ctx);
  assert.equal(got.smtpHost, 'mail.example', res.ctx);
  assert.equal(got.smtpPassword, 'XXXXXXXXXX', res.ctx);
  assert.equal(got.ldapBindPassword, 'XXXXXXXXXX', res.ctx);
});

/* ---------- settings take effect at once ---------- */

test('appName, accentColor, homePageUrl, allowUserSignups and disableAnimations show in the public configuration at once', async () => {
  await withConfig({ appName: 'Branded', accentColor: 'oklch(0.6 0.2 250)', homePageUrl: '/settings/apps', allowUserSignups: 'withToken', disableAnimations: 'true' }, async () => {
    const pub = await publicConfig();
    assert.equal(pub.appName, 'Branded');
    assert.equal(pub.accentColor, 'oklch(0.6 0.2 250)');
    assert.equal(pub.homePageUrl, '/settings/apps');
    assert.equal(pub.allowUserSignups, 'withToken');
    assert.equal(pub.disableAnimations, 'true');
    assert.equal(pub.sessionDuration, undefined, 'not public');
  });
  assert.equal((await publicConfig()).appName, 'Pocket ID');
});

test('sessionDuration: the next session cookie lasts that many minutes', async () => {
  const u = await insertUser(srv);
  await withConfig({ sessionDuration: '5' }, async () => {
    const code = await loginCode(admin, u.id);
    const b = new Browser(srv);
    const res = expectStatus(await b.call('POST', `/api/one-time-access-token/${code}`), 200);
    const c = res.setCookies.access_token;
    assert.ok(c, res.ctx);
    assert.equal(c.attrs['max-age'], '300', res.ctx);
    const claims = jwtClaims(c.value);
    assert.equal(claims.exp - claims.iat, 300, JSON.stringify(claims));
  });
  // back to 60 minutes
  const code = await loginCode(admin, u.id);
  const res = expectStatus(await new Browser(srv).call('POST', `/api/one-time-access-token/${code}`), 200);
  assert.equal(res.setCookies.access_token.attrs['max-age'], '3600', res.ctx);
});

test('allowOwnAccountEdit=false: PUT /api/users/me changes only the locale; true again allows edits', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const me = expectStatus(await b.get('/api/users/me'), 200).json;
  const body = (extra) => ({ username: me.username, email: me.email, firstName: me.firstName, lastName: me.lastName, displayName: me.displayName, ...extra });
  await withConfig({ allowOwnAccountEdit: 'false' }, async () => {
    assert.equal((await publicConfig()).allowOwnAccountEdit, 'false');
    const res = expectStatus(await b.put('/api/users/me', body({ firstName: 'Changed', username: `${me.username}x`, locale: 'de' })), 200);
    assert.deepEqual(res.json, { ...me, locale: 'de' }, res.ctx);
  });
  const res = expectStatus(await b.put('/api/users/me', body({ firstName: 'Changed', locale: 'de' })), 200);
  assert.equal(res.json.firstName, 'Changed', res.ctx);
});

test('requireUserEmail=false: an admin can create a user without an email', async () => {
  await withConfig({ requireUserEmail: 'false' }, async () => {
    const res = expectStatus(await admin.post('/api/users', { username: `noemail${Date.now().toString(36)}`, firstName: 'No', lastName: 'Email' }), 201);
    assert.equal(res.json.email, null, res.ctx);
  });
  const res = expectStatus(await admin.post('/api/users', { username: `noemail${Date.now().toString(36)}b`, firstName: 'No', lastName: 'Email' }), 400, 'validation_failed');
  assert.equal(res.json.error, 'Email is required', res.ctx);
});

test('emailsVerified=true: a user changing its email stays verified', async () => {
  const u = await insertUser(srv);
  const b = await signInAs(srv, admin, u.id);
  const me = expectStatus(await b.get('/api/users/me'), 200).json;
  await withConfig({ emailsVerified: 'true' }, async () => {
    const res = expectStatus(await b.put('/api/users/me', { username: me.username, email: `changed.${me.email}`, firstName: me.firstName, lastName: me.lastName, displayName: me.displayName }), 200);
    assert.equal(res.json.emailVerified, true, res.ctx);
  });
});

test('webauthnUserVerification=preferred shows in the passkey options at once', async () => {
  await withConfig({ webauthnUserVerification: 'preferred' }, async () => {
    const res = expectStatus(await new Browser(srv).get('/api/webauthn/login/start'), 200);
    assert.equal(res.json.userVerification, 'preferred', res.ctx);
  });
  const res = expectStatus(await new Browser(srv).get('/api/webauthn/login/start'), 200);
  assert.equal(res.json.userVerification, 'required', res.ctx);
});
