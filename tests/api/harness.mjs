// harness.mjs - start and stop the real symbolon binary for the black-box API tests.
//
//   SYMBOLON_BIN   absolute path of the server binary (required)
//   JOSE_TOOL      absolute path of tests/jose_tool (jose.test.mjs only)
//   SY_TEST_DB     sqlite (default) | postgres
//   SY_TEST_PG_URL postgres://... of a throw-away server (SY_TEST_DB=postgres)
//
// Every process, temp dir and database made here is removed in an `after` hook of
// the test file that imported this module, whether its tests passed or not.
import { after } from 'node:test';
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const BIN = process.env.SYMBOLON_BIN;
export const JOSE_TOOL = process.env.JOSE_TOOL;
export const DB_KIND = process.env.SY_TEST_DB || 'sqlite';
export const PG_URL = process.env.SY_TEST_PG_URL;
export const ENCRYPTION_KEY = 'test-encryption-key-0123456789';

if (!BIN) throw new Error('SYMBOLON_BIN is not set: run the suite through tests/run.sh or set it to the server binary');
if (!path.isAbsolute(BIN) || !fs.existsSync(BIN)) throw new Error(`SYMBOLON_BIN=${BIN} is not an absolute path to an existing file`);
if (DB_KIND !== 'sqlite' && DB_KIND !== 'postgres') throw new Error(`SY_TEST_DB=${DB_KIND}: use sqlite or postgres`);
if (DB_KIND === 'postgres' && !PG_URL) throw new Error('SY_TEST_DB=postgres needs SY_TEST_PG_URL');

const live = new Set(); // child processes still running
const dirs = new Set(); // temp dirs to remove
const databases = new Set(); // PostgreSQL databases to drop
const servers = []; // every server started, for the sanitizer check

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export { sleep };

const SANITIZER = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer/;
const problems = []; // sanitizer reports and unclean exits, reported by the after hook

/** Does this output hold a sanitizer report? */
export function sanitizerReport(text) {
  return SANITIZER.test(text);
}

function note(what, output) {
  if (SANITIZER.test(output)) problems.push(`${what} printed a sanitizer report${show('output', output)}`);
}

// Servers still running are stopped gracefully (SIGTERM, so that LeakSanitizer runs
// in a sanitizer build), then killed if need be; sanitizer reports of any process
// fail the file.
after(async () => {
  const running = [...live];
  for (const child of running) {
    try { child.kill('SIGTERM'); } catch { /* already gone */ }
  }
  await Promise.all(running.map(async (c) => {
    try {
      await exited(c, 15000);
      if (c.exitCode !== 0 && c.symbolonServer) problems.push(`pid ${c.pid} exited ${c.exitCode} (signal ${c.signalCode}) after SIGTERM${show('output', c.symbolonServer.logs())}`);
    } catch {
      c.kill('SIGKILL');
      problems.push(`pid ${c.pid} did not exit within 15 s of SIGTERM`);
      await exited(c, 5000).catch(() => {});
    }
  }));
  await Promise.all(running.map((c) => c.symbolonClosed));
  for (const srv of servers) note(`server on port ${srv.port}`, srv.logs());
  for (const db of databases) await psql(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => {});
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  if (problems.length) throw new Error(problems.join('\n\n'));
});
// a crash of the test process itself must not leave servers behind either
process.on('exit', () => { for (const c of live) try { c.kill('SIGKILL'); } catch { /* gone */ } });

/** A temp dir removed after the file's tests. */
export function tempDir(prefix = 'sy-api-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.add(d);
  return d;
}

/** A loopback TCP port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function psql(sql) {
  return new Promise((resolve, reject) => {
    execFile('psql', [PG_URL, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { timeout: 30000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`psql ${sql}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

async function createDatabase() {
  const name = `sy_api_${process.pid}_${crypto.randomBytes(6).toString('hex')}`;
  await psql(`CREATE DATABASE "${name}"`);
  databases.add(name);
  return name;
}

function dbUrl(name) {
  const u = new URL(PG_URL);
  u.pathname = '/' + name;
  return u.toString();
}

function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`pid ${child.pid} did not exit within ${ms} ms`)), ms);
    child.once('exit', (code) => { clearTimeout(t); resolve(code); });
  });
}

/* The environment of a run: a minimal base, sanitizer options passed through,
 * then the overrides; an override of `undefined` removes the variable. */
function buildEnv({ port, db, overrides }) {
  const env = {
    PATH: process.env.PATH,
    ENCRYPTION_KEY,
    APP_URL: `http://localhost:${port}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    APP_ENV: 'test',
  };
  for (const k of ['ASAN_OPTIONS', 'LSAN_OPTIONS', 'UBSAN_OPTIONS']) if (process.env[k]) env[k] = process.env[k];
  if (db) env.DB_CONNECTION_STRING = dbUrl(db);
  for (const [k, v] of Object.entries(overrides || {})) {
    if (v === undefined) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

/* Data dir, database and port of a run: fresh ones, or those of `reuse` (a server
 * object returned earlier) to restart on the same data. */
async function placement({ cwd, reuse, port, freshDb = true }) {
  const dir = reuse ? reuse.dir : cwd || tempDir();
  let db = reuse ? reuse.db : null;
  if (!reuse && DB_KIND === 'postgres' && freshDb) db = await createDatabase();
  return { dir, db, port: port || (await freePort()) };
}

function resolveEnv(env, ctx) {
  return typeof env === 'function' ? env(ctx) : env;
}

/**
 * Starts the server and waits until GET /healthz answers 204.
 *   env:        overrides (object, or a function of {port, dir, db}); undefined unsets
 *   cwd:        working directory (default: a fresh temp dir, also the data dir)
 *   reuse:      a server returned before: same dir and database (restart tests)
 *   port:       a port to use (default: a free one)
 *   expectExit: the server should fail to start: wait for it to exit instead and
 *               return {code, signal, stdout, stderr, logs}
 * Returns {url, port, dir, db, env, logs(), stdout(), stderr(), stop(), child}.
 */
export async function startServer(opts = {}) {
  // a port found free may be taken by someone else before the server binds it:
  // then try again with another (unless the caller chose the port)
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (e) {
      if (opts.port || attempt === 3 || !/cannot listen on/.test(e.message)) throw e;
    }
  }
}

async function startOnce({ env = {}, cwd, reuse, port, expectExit = false, args = [] } = {}) {
  const where = await placement({ cwd, reuse, port });
  const fullEnv = buildEnv({ port: where.port, db: where.db, overrides: resolveEnv(env, where) });
  const child = spawn(BIN, args, { cwd: where.dir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let all = '', out = '', err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (s) => { all += s; out += s; });
  child.stderr.on('data', (s) => { all += s; err += s; });
  const closed = new Promise((resolve) => child.once('close', resolve)); // streams drained
  child.symbolonClosed = closed;
  child.once('exit', () => live.delete(child));
  child.once('error', (e) => { all += `\n[spawn error: ${e.message}]`; });

  const url = `http://127.0.0.1:${where.port}`;
  const srv = {
    url,
    port: where.port,
    dir: where.dir,
    db: where.db,
    env: fullEnv,
    child,
    logs: () => all,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      try {
        await exited(child, 15000);
      } catch (e) {
        child.kill('SIGKILL');
        throw new Error(`server did not exit within 15 s of ${signal}\n--- server logs ---\n${all}`);
      }
      await closed;
      return child.exitCode;
    },
  };

  child.symbolonServer = srv;
  servers.push(srv);

  if (expectExit) {
    try {
      await exited(child, 30000);
    } catch {
      child.kill('SIGKILL');
      throw new Error(`expected the server to refuse to start, but it kept running\n--- server logs ---\n${all}`);
    }
    await closed;
    return { code: child.exitCode, signal: child.signalCode, stdout: out, stderr: err, logs: all };
  }

  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await closed;
      throw new Error(`server exited during start-up (code ${child.exitCode}, signal ${child.signalCode})\n--- server logs ---\n${all}`);
    }
    const status = await probe(where.port);
    if (status === 204) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`GET /healthz did not answer 204 within 20 s (last: ${status})\n--- server logs ---\n${all}`);
    }
    await sleep(100);
  }
  return srv;
}

function probe(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}

/**
 * Runs the binary to completion (start-up failures, healthcheck, version...).
 *   args, env (as for startServer), cwd, reuse (same data dir and database),
 *   timeout (ms; the process is killed after it, and timedOut is set)
 * Returns {code, signal, stdout, stderr, timedOut}.
 */
export async function runOnce({ args = [], env = {}, cwd, reuse, timeout = 20000 } = {}) {
  const where = await placement({ cwd, reuse, freshDb: false });
  const fullEnv = buildEnv({ port: where.port, db: where.db, overrides: resolveEnv(env, where) });
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { cwd: where.dir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s) => { stdout += s; });
    child.stderr.on('data', (s) => { stderr += s; });
    const t = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeout);
    child.once('error', (e) => { stderr += `\n[spawn error: ${e.message}]`; });
    child.once('close', (code, signal) => {
      clearTimeout(t);
      live.delete(child);
      note(`symbolon ${args.join(' ')}`, stdout + stderr);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A text block for assertion messages. */
export function show(label, text) {
  return `\n--- ${label} ---\n${text}\n--- end of ${label} ---`;
}

/** Waits until fn() returns a truthy value (polling), or throws with msg(). */
export async function waitFor(fn, { timeout = 5000, interval = 50, msg = () => 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${msg()}`);
    await sleep(interval);
  }
}

/**
 * One HTTP request with node:http: no automatic decompression, no redirects, any
 * method may carry a body. Returns {status, headers, body (Buffer), rawHeaders}.
 */
export function request(base, pathname, { method = 'GET', headers = {}, body, agent = false } = {}) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: pathname, method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), rawHeaders: res.rawHeaders, req }));
      res.on('error', reject);
    });
    req.setTimeout(15000, () => req.destroy(new Error(`${method} ${pathname}: no answer within 15 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends raw bytes on a fresh TCP connection and collects everything the server
 * sends back until it closes (or `timeout` ms pass). A reset after the server
 * answered is not an error: the answer is returned with `reset: true`.
 */
export function rawRequest(port, data, { timeout = 10000 } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    let reset = false, timedOut = false;
    const sock = net.connect(port, '127.0.0.1');
    sock.on('connect', () => sock.write(data));
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e) => { reset = e.code || e.message; });
    const t = setTimeout(() => { timedOut = true; sock.destroy(); }, timeout);
    sock.on('close', () => {
      clearTimeout(t);
      resolve({ data: Buffer.concat(chunks), text: Buffer.concat(chunks).toString('latin1'), reset, timedOut });
    });
  });
}

/** Splits a raw HTTP/1.1 response into status, headers (lower-cased) and body. */
export function parseRaw(text) {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] || '');
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: m ? Number(m[1]) : null, headers, body: end < 0 ? '' : text.slice(end + 4) };
}

/** The access-log line (logfmt or JSON) of one request, found by its request id. */
export async function accessLogLine(srv, requestId, { timeout = 5000 } = {}) {
  return waitFor(
    () => srv.stderr().split('\n').find((l) => l.includes(requestId) && l.includes('HTTP request')),
    { timeout, msg: () => `the access-log line of request ${requestId}${show('server logs', srv.logs())}` },
  );
}

/** key=value pairs of a logfmt line (values may be "quoted"). */
export function parseLogfmt(line) {
  const out = {};
  const re = /([A-Za-z0-9_.-]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  let m;
  while ((m = re.exec(line))) out[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
  return out;
}
