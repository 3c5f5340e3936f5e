// /healthz and the command line: healthcheck, version, --help.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, runOnce, request, show, freePort, DB_KIND } from './harness.mjs';

let srv;
before(async () => { srv = await startServer(); });

test('GET /healthz answers 204 with an empty body', async () => {
  const res = await fetch(`${srv.url}/healthz`);
  const body = await res.text();
  assert.equal(res.status, 204, show('server logs', srv.logs()));
  assert.equal(body, '');
});

test(`the server runs on the database under test (${DB_KIND})`, () => {
  assert.match(srv.logs(), new RegExp(`msg="database: ${DB_KIND}"`), show('server logs', srv.logs()));
});

test('HEAD /healthz answers 204', async () => {
  const res = await request(srv.url, '/healthz', { method: 'HEAD' });
  assert.equal(res.status, 204, show('server logs', srv.logs()));
  assert.equal(res.body.length, 0);
});

test('`symbolon healthcheck` exits 0 while the server runs and 1 after it stopped', async () => {
  const own = await startServer();
  const up = await runOnce({ args: ['healthcheck'], env: { PORT: own.port } });
  assert.equal(up.code, 0, `healthcheck against a running server${show('stdout', up.stdout)}${show('stderr', up.stderr)}${show('server logs', own.logs())}`);
  assert.equal(await own.stop(), 0, show('server logs', own.logs()));
  const down = await runOnce({ args: ['healthcheck'], env: { PORT: own.port } });
  assert.equal(down.code, 1, `healthcheck against a stopped server${show('stdout', down.stdout)}${show('stderr', down.stderr)}`);
  assert.ok(!down.timedOut);
});

test('`symbolon healthcheck -e URL` exits 0', async () => {
  const r = await runOnce({ args: ['healthcheck', '-e', `http://127.0.0.1:${srv.port}`] });
  assert.equal(r.code, 0, `${show('stdout', r.stdout)}${show('stderr', r.stderr)}${show('server logs', srv.logs())}`);
});

test('`symbolon healthcheck -e URL` exits 1 when nothing answers there', async () => {
  const port = await freePort();
  const r = await runOnce({ args: ['healthcheck', '--endpoint', `http://127.0.0.1:${port}`] });
  assert.equal(r.code, 1, `${show('stdout', r.stdout)}${show('stderr', r.stderr)}`);
});

test('`symbolon version` prints "symbolon x.y.z"', async () => {
  const r = await runOnce({ args: ['version'] });
  assert.equal(r.code, 0, show('stderr', r.stderr));
  assert.match(r.stdout, /^symbolon \d+\.\d+\.\d+\n$/);
});

test('`symbolon --help` lists the commands and the main variables', async () => {
  const r = await runOnce({ args: ['--help'] });
  assert.equal(r.code, 0, show('stderr', r.stderr));
  for (const word of ['healthcheck', 'APP_URL', 'ENCRYPTION_KEY', 'TRUST_PROXY']) {
    assert.ok(r.stdout.includes(word), `--help does not mention ${word}${show('stdout', r.stdout)}`);
  }
});

test('an unknown command is refused with exit code 2', async () => {
  const r = await runOnce({ args: ['frobnicate'] });
  assert.equal(r.code, 2, show('stderr', r.stderr));
  assert.match(r.stderr, /frobnicate/);
});
