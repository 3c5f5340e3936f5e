// ENCRYPTION_KEY: required, at least 16 bytes, from a file too, and never replaced
// by a different one on existing data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, runOnce, tempDir, show, ENCRYPTION_KEY } from './harness.mjs';

const out = (r) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${show('stdout', r.stdout)}${show('stderr', r.stderr)}`;

async function kidOf(server) {
  const res = await fetch(`${server.url}/.well-known/jwks.json`);
  const body = await res.json();
  assert.equal(res.status, 200);
  return body.keys[0].kid;
}

test('without ENCRYPTION_KEY the server refuses to start', async () => {
  const r = await runOnce({ env: { ENCRYPTION_KEY: undefined } });
  assert.ok(!r.timedOut, `the server started without ENCRYPTION_KEY${out(r)}`);
  assert.notEqual(r.code, 0, out(r));
  assert.ok(r.stderr.split('\n').some((l) => l.startsWith('config error: ENCRYPTION_KEY')), out(r));
});

test('an ENCRYPTION_KEY shorter than 16 bytes is refused, and not echoed', async () => {
  const short = 'Qz7-kEy-15bytes'; // 15 bytes
  assert.equal(Buffer.byteLength(short), 15);
  const r = await runOnce({ env: { ENCRYPTION_KEY: short } });
  assert.ok(!r.timedOut, `the server started with a 15-byte key${out(r)}`);
  assert.notEqual(r.code, 0, out(r));
  assert.ok(r.stderr.split('\n').some((l) => l.startsWith('config error: ') && l.includes('ENCRYPTION_KEY')), out(r));
  assert.ok(!(r.stdout + r.stderr).includes(short), `the key was echoed${out(r)}`);
});

test('a 16-byte ENCRYPTION_KEY is enough', async () => {
  const s = await startServer({ env: { ENCRYPTION_KEY: '0123456789abcdef' } });
  assert.match(await kidOf(s), /^[A-Za-z0-9_-]{11}$/);
  assert.equal(await s.stop(), 0, show('server logs', s.logs()));
});

test('ENCRYPTION_KEY_FILE (with a trailing newline) works and gives the same key as ENCRYPTION_KEY', async () => {
  const plain = await startServer();
  const kid = await kidOf(plain);
  assert.equal(await plain.stop(), 0, show('server logs', plain.logs()));

  const file = path.join(tempDir(), 'encryption-key');
  fs.writeFileSync(file, `${ENCRYPTION_KEY}\n`, { mode: 0o600 });
  const viaFile = await startServer({ reuse: plain, env: { ENCRYPTION_KEY: undefined, ENCRYPTION_KEY_FILE: file } });
  assert.equal(await kidOf(viaFile), kid, show('server logs', viaFile.logs()));
  assert.equal(await viaFile.stop(), 0, show('server logs', viaFile.logs()));
});

test('ENCRYPTION_KEY_FILE naming a missing file is refused', async () => {
  const r = await runOnce({ env: { ENCRYPTION_KEY: undefined, ENCRYPTION_KEY_FILE: '/nonexistent/symbolon-key' } });
  assert.ok(!r.timedOut, out(r));
  assert.notEqual(r.code, 0, out(r));
  assert.match(r.stderr, /^config error: ENCRYPTION_KEY_FILE/m, out(r));
});

test('ENCRYPTION_KEY and ENCRYPTION_KEY_FILE together are refused', async () => {
  const file = path.join(tempDir(), 'encryption-key');
  fs.writeFileSync(file, `${ENCRYPTION_KEY}\n`, { mode: 0o600 });
  const r = await runOnce({ env: { ENCRYPTION_KEY_FILE: file } });
  assert.ok(!r.timedOut, out(r));
  assert.notEqual(r.code, 0, out(r));
  assert.match(r.stderr, /^config error: .*ENCRYPTION_KEY.*ENCRYPTION_KEY_FILE/m, out(r));
  assert.ok(!(r.stdout + r.stderr).includes(ENCRYPTION_KEY), `the key was echoed${out(r)}`);
});

test('a different ENCRYPTION_KEY on existing data is refused, and changes nothing', async () => {
  const first = await startServer();
  const kid = await kidOf(first);
  assert.equal(await first.stop(), 0, show('server logs', first.logs()));

  const otherKey = 'a-completely-different-key-987654';
  const r = await startServer({ reuse: first, env: { ENCRYPTION_KEY: otherKey }, expectExit: true });
  assert.notEqual(r.code, 0, out(r));
  assert.match(r.stderr, /ENCRYPTION_KEY/, out(r));
  assert.match(r.stderr, /original/, out(r));
  for (const secret of [otherKey, ENCRYPTION_KEY]) {
    assert.ok(!(r.stdout + r.stderr).includes(secret), `a key was echoed${out(r)}`);
  }

  const again = await startServer({ reuse: first });
  assert.equal(await kidOf(again), kid, `the stored key changed${show('server logs', again.logs())}`);
  assert.doesNotMatch(again.logs(), /created a new signing key/);
  assert.equal(await again.stop(), 0, show('server logs', again.logs()));
});

test('the data folder and the database it creates are not readable by other users', { skip: process.env.SY_TEST_DB === 'postgres' && 'the database lives in PostgreSQL' }, async () => {
  const s = await startServer();
  const files = ['data', 'data/pocket-id.db'].map((f) => path.join(s.dir, f));
  for (const f of files) {
    const mode = fs.statSync(f).mode & 0o777;
    assert.equal(mode & 0o007, 0, `${f} has mode ${mode.toString(8)}`);
  }
  assert.equal(await s.stop(), 0, show('server logs', s.logs()));
});
