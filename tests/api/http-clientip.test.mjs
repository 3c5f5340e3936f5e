// The access log and the client address: X-Forwarded-For / X-Real-IP are believed
// only from TRUST_PROXY peers; query strings never reach the log.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, accessLogLine, parseLogfmt, show } from './harness.mjs';

const servers = {};
before(async () => {
  const [none, loopback, all, other] = await Promise.all([
    startServer({ env: { TRUSTED_PLATFORM: 'CF-Connecting-IP' } }),
    startServer({ env: { TRUST_PROXY: '127.0.0.1', TRUSTED_PLATFORM: 'CF-Connecting-IP' } }),
    startServer({ env: { TRUST_PROXY: 'true' } }),
    startServer({ env: { TRUST_PROXY: '10.0.0.0/8' } }),
  ]);
  Object.assign(servers, { none, loopback, all, other });
});

/* The `ip` the access log recorded for one request sent with these headers. */
async function loggedIp(srv, headers, path = '/healthz') {
  const res = await request(srv.url, path, { headers });
  const id = res.headers['x-request-id'];
  assert.ok(id, `no X-Request-ID${show('server logs', srv.logs())}`);
  const line = await accessLogLine(srv, id);
  const kv = parseLogfmt(line);
  return { ip: kv.ip, line, kv, res };
}

test('the access log line has the documented fields', async () => {
  const srv = servers.none;
  const { kv, line } = await loggedIp(srv, {});
  const ctx = show('line', line);
  assert.equal(kv.level, 'INFO', ctx);
  assert.equal(kv.msg, 'HTTP request', ctx);
  assert.equal(kv.method, 'GET', ctx);
  assert.equal(kv.path, '/healthz', ctx);
  assert.equal(kv.status, '204', ctx);
  assert.match(kv.duration_ms, /^\d+(\.\d+)?$/, ctx);
  assert.equal(kv.bytes, '0', ctx);
  assert.equal(kv.ip, '127.0.0.1', ctx);
  assert.equal(kv.completed, 'true', ctx);
  assert.match(kv.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, ctx);
});

test('without TRUST_PROXY, X-Forwarded-For and X-Real-IP are ignored', async () => {
  const a = await loggedIp(servers.none, { 'x-forwarded-for': '203.0.113.9' });
  assert.equal(a.ip, '127.0.0.1', show('line', a.line));
  const b = await loggedIp(servers.none, { 'x-real-ip': '203.0.113.10' });
  assert.equal(b.ip, '127.0.0.1', show('line', b.line));
});

test('TRUST_PROXY=127.0.0.1: X-Forwarded-For from the loopback proxy is believed', async () => {
  const r = await loggedIp(servers.loopback, { 'x-forwarded-for': '203.0.113.9' });
  assert.equal(r.ip, '203.0.113.9', show('line', r.line));
});

test('TRUST_PROXY=true: X-Forwarded-For is believed', async () => {
  const r = await loggedIp(servers.all, { 'x-forwarded-for': '203.0.113.9' });
  assert.equal(r.ip, '203.0.113.9', show('line', r.line));
});

test('TRUST_PROXY=10.0.0.0/8 does not cover 127.0.0.1, so its header is ignored', async () => {
  const r = await loggedIp(servers.other, { 'x-forwarded-for': '203.0.113.9' });
  assert.equal(r.ip, '127.0.0.1', show('line', r.line));
});

test('the client is the rightmost untrusted address of X-Forwarded-For', async () => {
  const r = await loggedIp(servers.loopback, { 'x-forwarded-for': '198.51.100.7, 127.0.0.1' });
  assert.equal(r.ip, '198.51.100.7', show('line', r.line));
  const spoof = await loggedIp(servers.loopback, { 'x-forwarded-for': '192.0.2.66, 198.51.100.7' });
  assert.equal(spoof.ip, '198.51.100.7', `a client-supplied leftmost entry was believed${show('line', spoof.line)}`);
});

test('X-Real-IP works like X-Forwarded-For from a trusted proxy', async () => {
  const r = await loggedIp(servers.loopback, { 'x-real-ip': '203.0.113.10' });
  assert.equal(r.ip, '203.0.113.10', show('line', r.line));
});

test('IPv6 client addresses are taken from a trusted proxy', async () => {
  const r = await loggedIp(servers.loopback, { 'x-forwarded-for': '2001:db8::1' });
  assert.equal(r.ip, '2001:db8::1', show('line', r.line));
});

test('TRUSTED_PLATFORM names a header believed (before X-Forwarded-For) only from a trusted proxy', async () => {
  const a = await loggedIp(servers.loopback, { 'cf-connecting-ip': '203.0.113.77' });
  assert.equal(a.ip, '203.0.113.77', show('line', a.line));
  const b = await loggedIp(servers.loopback, { 'cf-connecting-ip': '203.0.113.77', 'x-forwarded-for': '203.0.113.9' });
  assert.equal(b.ip, '203.0.113.77', show('line', b.line));
  const c = await loggedIp(servers.none, { 'cf-connecting-ip': '203.0.113.77' });
  assert.equal(c.ip, '127.0.0.1', `the platform header was believed from an untrusted peer${show('line', c.line)}`);
});

test('a garbage X-Forwarded-For falls back to the peer address', async () => {
  const r = await loggedIp(servers.loopback, { 'x-forwarded-for': 'not-an-ip' });
  assert.equal(r.ip, '127.0.0.1', show('line', r.line));
});

test('query strings never appear in the log', async () => {
  const srv = servers.loopback;
  const r = await loggedIp(srv, {}, '/healthz?code=secret123&state=xyz');
  assert.equal(r.kv.path, '/healthz', show('line', r.line));
  const r2 = await request(srv.url, '/login?code=secret123');
  await accessLogLine(srv, r2.headers['x-request-id']);
  const r3 = await request(srv.url, '/api/nope?token=secret123');
  await accessLogLine(srv, r3.headers['x-request-id']);
  assert.ok(!srv.logs().includes('secret123'), `a query string was logged${show('server logs', srv.logs())}`);
});

test('LOG_JSON=true writes every log line as a JSON object', async () => {
  const srv = await startServer({ env: { LOG_JSON: 'true', TRUST_PROXY: '127.0.0.1' } });
  const res = await request(srv.url, '/healthz', { headers: { 'x-forwarded-for': '203.0.113.9' } });
  const id = res.headers['x-request-id'];
  const line = await accessLogLine(srv, id);
  const ctx = show('server logs', srv.logs());
  let obj;
  assert.doesNotThrow(() => { obj = JSON.parse(line); }, ctx);
  assert.equal(obj.msg, 'HTTP request', ctx);
  assert.equal(obj.level, 'INFO', ctx);
  assert.equal(obj.ip, '203.0.113.9', ctx);
  assert.equal(obj.request_id, id, ctx);
  assert.equal(obj.path, '/healthz', ctx);
  assert.equal(await srv.stop(), 0, ctx);
  for (const l of srv.stderr().split('\n').filter((x) => x.trim())) {
    if (/^(==\d+==|SUMMARY: |Direct leak|Indirect leak|\s+#\d)/.test(l)) continue; // sanitizer reports, not log lines
    assert.doesNotThrow(() => JSON.parse(l), `not a JSON line: ${l}${ctx}`);
    assert.equal(typeof JSON.parse(l).msg, 'string', `no msg in ${l}`);
  }
});

test('LOG_LEVEL=warn turns the access log off', async () => {
  const srv = await startServer({ env: { LOG_LEVEL: 'warn' } });
  for (const p of ['/healthz', '/api/nope', '/login']) {
    const res = await request(srv.url, p);
    assert.ok(res.status < 500);
  }
  assert.equal(await srv.stop(), 0, show('server logs', srv.logs()));
  assert.doesNotMatch(srv.logs(), /HTTP request/, show('server logs', srv.logs()));
  assert.doesNotMatch(srv.logs(), /level=INFO/, show('server logs', srv.logs()));
});

test('X-Forwarded-For sent as two lines is read as one list (a proxy may append its own line)', async () => {
  // the client forges the first line, the trusted proxy appends the real address
  const a = await loggedIp(servers.loopback, { 'x-forwarded-for': ['6.6.6.6', '198.51.100.23'] });
  assert.equal(a.ip, '198.51.100.23', show('line', a.line));
});

test('an X-Real-IP or platform header sent twice is not believed', async () => {
  const a = await loggedIp(servers.loopback, { 'x-real-ip': ['6.6.6.6', '198.51.100.23'] });
  assert.equal(a.ip, '127.0.0.1', show('line', a.line));
  const b = await loggedIp(servers.loopback, { 'cf-connecting-ip': ['6.6.6.6', '198.51.100.23'] });
  assert.equal(b.ip, '127.0.0.1', show('line', b.line));
});

test('a very long or non-UTF-8 path keeps the access line whole, and JSON lines valid', async () => {
  const srv = await startServer({ env: { LOG_JSON: 'true' } });
  try {
    const res = await request(srv.url, `/${'a'.repeat(5000)}%ff%0a`);
    const id = res.headers['x-request-id'];
    const line = await accessLogLine(srv, id);
    const o = JSON.parse(line); // must parse
    assert.equal(o.status, '200', show('line', line.slice(0, 300)));
    assert.equal(o.ip, '127.0.0.1');
    assert.ok(o.path.length < 1100, `path logged with ${o.path.length} characters`);
    for (const l of srv.logs().split('\n').filter((x) => x.trim())) JSON.parse(l);
  } finally {
    await srv.stop();
  }
});
