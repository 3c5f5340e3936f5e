// Start-up configuration: every refusal is one clear `config error:` line naming the
// variable; secrets are not echoed; ./.env is read, and the environment wins over it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, runOnce, tempDir, freePort, show } from './harness.mjs';

const out = (r) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${show('stdout', r.stdout)}${show('stderr', r.stderr)}`;

async function refused(env, { names, mentions = [] }) {
  const r = await runOnce({ env, timeout: 20000 });
  assert.ok(!r.timedOut, `the server did not stop at start-up${out(r)}`);
  assert.notEqual(r.code, 0, out(r));
  assert.equal(r.signal, null, out(r));
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('config error: '));
  assert.equal(lines.length, 1, `expected exactly one "config error: " line${out(r)}`);
  for (const n of [].concat(names)) assert.ok(lines[0].includes(n), `the error does not name ${n}${out(r)}`);
  for (const m of mentions) assert.ok(lines[0].includes(m), `the error does not mention "${m}"${out(r)}`);
  return r;
}

const CASES = [
  [{ PORT: 'abc' }, { names: 'PORT' }],
  [{ PORT: '70000' }, { names: 'PORT' }],
  [{ PORT: '0' }, { names: 'PORT' }],
  [{ APP_URL: 'ftp://x' }, { names: 'APP_URL' }],
  [{ APP_URL: 'https://id.example.com/auth' }, { names: 'APP_URL', mentions: ['path'] }],
  [{ APP_URL: 'https://user@id.example.com' }, { names: 'APP_URL' }],
  [{ INTERNAL_APP_URL: 'internal:8080' }, { names: 'INTERNAL_APP_URL' }],
  [{ TRUST_PROXY: '10.0.0.0/99' }, { names: 'TRUST_PROXY' }],
  [{ TRUST_PROXY: 'not-an-address' }, { names: 'TRUST_PROXY' }],
  [{ LOG_LEVEL: 'loud' }, { names: 'LOG_LEVEL' }],
  [{ UNIX_SOCKET: '/tmp/symbolon-test.sock', SYSTEMD_SOCKET: 'true' }, { names: ['UNIX_SOCKET', 'SYSTEMD_SOCKET'] }],
  [{ PROXY_PROTOCOL: 'true' }, { names: 'PROXY_PROTOCOL' }],
  [{ OTEL_TRACES_EXPORTER: 'otlp' }, { names: 'OTEL_TRACES_EXPORTER' }],
  [{ FILE_BACKEND: 's3' }, { names: 'FILE_BACKEND' }],
  [{ DISABLE_RATE_LIMITING: 'maybe' }, { names: 'DISABLE_RATE_LIMITING' }],
  [{ REQUEST_READ_TIMEOUT: '0' }, { names: 'REQUEST_READ_TIMEOUT' }],
];

for (const [env, expect] of CASES) {
  const label = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ');
  test(`${label} stops start-up with one config error naming it`, async () => {
    await refused(env, expect);
  });
}

test('secrets are not echoed in config errors', async () => {
  const secret = 'Sh0rt-s3cr3t'; // 12 bytes: too short for ENCRYPTION_KEY
  const r = await refused({ ENCRYPTION_KEY: secret }, { names: 'ENCRYPTION_KEY' });
  assert.ok(!(r.stdout + r.stderr).includes(secret), `the key was echoed${out(r)}`);
  const api = 'apikey-short'; // STATIC_API_KEY shorter than 16 characters
  const r2 = await refused({ STATIC_API_KEY: api }, { names: 'STATIC_API_KEY' });
  assert.ok(!(r2.stdout + r2.stderr).includes(api), `STATIC_API_KEY was echoed${out(r2)}`);
});

test('./.env supplies PORT and APP_URL when they are not in the environment', async () => {
  const cwd = tempDir();
  const port = await freePort();
  fs.writeFileSync(path.join(cwd, '.env'), `# settings\nPORT=${port}\nAPP_URL=http://localhost:${port}/\n`);
  const s = await startServer({ cwd, port, env: { PORT: undefined, APP_URL: undefined } });
  const doc = await (await fetch(`${s.url}/.well-known/openid-configuration`)).json();
  assert.equal(doc.issuer, `http://localhost:${port}`, show('server logs', s.logs()));
  assert.equal(await s.stop(), 0, show('server logs', s.logs()));
});

test('a variable in the environment wins over ./.env', async () => {
  const cwd = tempDir();
  const port = await freePort();
  const decoy = await freePort();
  fs.writeFileSync(path.join(cwd, '.env'), `APP_URL=https://from-dotenv.example\nPORT=${decoy}\n`);
  const s = await startServer({ cwd, port, env: { APP_URL: 'https://from-env.example' } });
  const doc = await (await fetch(`${s.url}/.well-known/openid-configuration`)).json();
  assert.equal(doc.issuer, 'https://from-env.example', show('server logs', s.logs()));
  assert.equal(await s.stop(), 0, show('server logs', s.logs()));
});

test('a malformed ./.env line stops start-up and names the line', async () => {
  const cwd = tempDir();
  fs.writeFileSync(path.join(cwd, '.env'), 'LOG_LEVEL=info\nNOT A LINE\n');
  const r = await runOnce({ cwd });
  assert.ok(!r.timedOut, `the server started despite a bad .env${out(r)}`);
  assert.notEqual(r.code, 0, out(r));
  assert.match(r.stderr, /\.env line 2\b/, out(r));
});

test('a config error in ./.env is reported like one in the environment', async () => {
  const cwd = tempDir();
  fs.writeFileSync(path.join(cwd, '.env'), 'LOG_LEVEL=shouty\n');
  const r = await runOnce({ cwd, env: { LOG_LEVEL: undefined } });
  assert.ok(!r.timedOut, out(r));
  assert.notEqual(r.code, 0, out(r));
  assert.match(r.stderr, /^config error: LOG_LEVEL/m, out(r));
});
