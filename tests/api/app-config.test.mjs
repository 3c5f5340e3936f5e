// The public application configuration (GET /api/application-configuration) and the
// settings read from the environment with UI_CONFIG_DISABLED=true: Pocket ID's keys, its
// defaults and its quirks (an empty "type" on the model's keys), and a clear start-up error
// naming the variable for a bad value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runOnce, request, show } from './harness.mjs';

const PUBLIC_KEYS = ['appName', 'homePageUrl', 'accentColor', 'disableAnimations', 'allowOwnAccountEdit',
  'allowUserSignups', 'requireUserEmail', 'emailOneTimeAccessAsUnauthenticatedEnabled',
  'emailOneTimeAccessAsAdminEnabled', 'emailVerificationEnabled', 'ldapEnabled'];

async function publicConfig(srv) {
  const res = await request(srv.url, '/api/application-configuration');
  const text = res.body.toString();
  assert.equal(res.status, 200, text);
  assert.match(res.headers['content-type'], /^application\/json/);
  const list = JSON.parse(text);
  assert.ok(Array.isArray(list), text);
  return Object.fromEntries(list.map((e) => [e.key, e]));
}

test('the public configuration has Pocket ID defaults, public keys only, and its two extra entries', async () => {
  const srv = await startServer();
  const c = await publicConfig(srv);
  assert.deepEqual(Object.keys(c).sort(), [...PUBLIC_KEYS, 'uiConfigDisabled', 'tracingEnabled'].sort());
  assert.deepEqual(c.appName, { key: 'appName', type: '', value: 'Pocket ID' });
  assert.equal(c.homePageUrl.value, '/settings/account');
  assert.equal(c.allowUserSignups.value, 'disabled');
  assert.equal(c.allowOwnAccountEdit.value, 'true');
  assert.equal(c.requireUserEmail.value, 'true');
  assert.deepEqual(c.uiConfigDisabled, { key: 'uiConfigDisabled', type: 'boolean', value: 'false' });
  assert.deepEqual(c.tracingEnabled, { key: 'tracingEnabled', type: '', value: 'false' });
  for (const secretish of ['smtpHost', 'smtpPassword', 'sessionDuration', 'ldapBindPassword'])
    assert.equal(c[secretish], undefined, `${secretish} must not be public`);
});

test('with UI_CONFIG_DISABLED=true the settings come from the environment', async () => {
  const srv = await startServer({ env: { UI_CONFIG_DISABLED: 'true', APP_NAME: 'Acme ID', ALLOW_OWN_ACCOUNT_EDIT: 'no',
    ALLOW_USER_SIGNUPS: 'open', SMTP_PASSWORD: 'not-public' } });
  const c = await publicConfig(srv);
  assert.equal(c.appName.value, 'Acme ID');
  assert.equal(c.allowOwnAccountEdit.value, 'false', 'truthy forms are read and stored as true/false');
  assert.equal(c.allowUserSignups.value, 'open');
  assert.equal(c.uiConfigDisabled.value, 'true');
  assert.ok(!JSON.stringify(c).includes('not-public'));
});

test('without UI_CONFIG_DISABLED the environment does not override the settings', async () => {
  const srv = await startServer({ env: { APP_NAME: 'Ignored' } });
  assert.equal((await publicConfig(srv)).appName.value, 'Pocket ID');
});

for (const [name, value] of [['WEBAUTHN_USER_VERIFICATION', 'sometimes'], ['SESSION_DURATION', '0'],
  ['SESSION_DURATION', 'an hour'], ['ALLOW_USER_SIGNUPS', 'everyone'], ['APP_NAME', 'x'.repeat(31)],
  ['WEBAUTHN_ALLOW_SYNCED_PASSKEYS', 'perhaps'], ['SIGNUP_DEFAULT_USER_GROUP_IDS', '{"a":1}']]) {
  test(`a bad ${name} stops start-up with one line naming it`, async () => {
    const r = await runOnce({ env: { UI_CONFIG_DISABLED: 'true', [name]: value } });
    const why = `exit ${r.code}${show('stderr', r.stderr)}`;
    assert.notEqual(r.code, 0, why);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('config error: '));
    assert.equal(lines.length, 1, why);
    assert.ok(lines[0].includes(name), why);
  });
}

test('a secret read from NAME_FILE that cannot be read stops start-up', async () => {
  const r = await runOnce({ env: { UI_CONFIG_DISABLED: 'true', SMTP_PASSWORD_FILE: '/nonexistent/smtp-password' } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /config error: SMTP_PASSWORD_FILE/);
  assert.ok(!r.stderr.includes('\nconfig error: SMTP_PASSWORD=\"'), 'no secret value is echoed');
});
