// Resource limits of the HTTP layer: request bodies, header size, slow senders.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startServer, request, rawRequest, parseRaw, show } from './harness.mjs';

const NOT_FOUND = '{"error":"API endpoint not found"}';
let srv;
before(async () => { srv = await startServer(); });
const logs = () => show('server logs', srv.logs());

function tooLarge(raw, what) {
  const r = parseRaw(raw.text);
  const ctx = `${what}${show('raw response', raw.text.slice(0, 3000))}${logs()}`;
  assert.equal(r.status, 413, ctx);
  let body;
  assert.doesNotThrow(() => { body = JSON.parse(r.body); }, ctx);
  assert.equal(body.code, 'request_too_large', ctx);
  assert.equal(typeof body.error, 'string', ctx);
  assert.match(r.headers['x-request-id'] || '', /^[0-9a-f-]{36}$/, ctx);
  assert.equal(body.request_id, r.headers['x-request-id'], `the error body's request_id is not the X-Request-ID${ctx}`);
  assert.match(r.headers['content-type'] || '', /^application\/json/, ctx);
}

test('a 100000-byte body on GET /healthz answers 413 request_too_large', async () => {
  const body = 'x'.repeat(100000);
  const raw = await rawRequest(srv.port, `GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  tooLarge(raw, 'GET /healthz with a 100000-byte body');
});

test('a 100 KiB body to an unknown /api path answers 413', async () => {
  const body = 'x'.repeat(100 * 1024);
  const raw = await rawRequest(srv.port, `POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  tooLarge(raw, 'POST /api/x with 100 KiB');
});

test('a 100 KiB chunked body (no Content-Length) to an unknown /api path answers 413', async () => {
  const chunk = 'y'.repeat(4096);
  let text = 'POST /api/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
  for (let i = 0; i < 25; i++) text += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
  text += '0\r\n\r\n';
  const raw = await rawRequest(srv.port, text);
  tooLarge(raw, 'chunked POST /api/x with 100 KiB');
});

test('a small body to an unknown /api path answers the plain 404', async () => {
  const res = await request(srv.url, '/api/x', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': '10' },
    body: '{"a":"bc"}',
  });
  assert.equal(res.status, 404, logs());
  assert.equal(res.body.toString(), NOT_FOUND);
});

test('an unknown path reads and drops a body of up to 64 KiB: 404 at the limit, 413 one byte over', async () => {
  for (const [n, want] of [[64 * 1024, 404], [64 * 1024 + 1, 413]]) {
    const body = 'z'.repeat(n);
    const raw = await rawRequest(srv.port, `POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${n}\r\nConnection: close\r\n\r\n${body}`);
    assert.equal(parseRaw(raw.text).status, want, `${n}-byte body${show('raw response', raw.text.slice(0, 2000))}${logs()}`);
  }
});

test('a 100 KB Cookie header gets one clean 431 status line', async () => {
  const raw = await rawRequest(srv.port, `GET /healthz HTTP/1.1\r\nHost: localhost\r\nCookie: a=${'c'.repeat(100 * 1000)}\r\n\r\n`);
  const ctx = `${show('raw response', raw.text.slice(0, 3000))}${logs()}`;
  assert.ok(raw.text.startsWith('HTTP/1.1 431'), ctx);
  assert.equal((raw.text.match(/HTTP\/1\.[01] \d{3}/g) || []).length, 1, `more than one status line${ctx}`);
});

test('an 8 KB Cookie header is served normally', async () => {
  const res = await request(srv.url, '/healthz', { headers: { cookie: `a=${'c'.repeat(8 * 1024)}` } });
  assert.equal(res.status, 204, logs());
  const res2 = await request(srv.url, '/.well-known/jwks.json', { headers: { cookie: `session=${'d'.repeat(8 * 1024)}; other=1` } });
  assert.equal(res2.status, 200, logs());
});

/* Sends `head`, then one byte every 500 ms until the server closes (or 10 s pass). */
function dribble(port, head, { silent = false } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const got = [];
    let timer, sent = 0, done = false;
    const finish = (how) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(limit);
      sock.destroy();
      resolve({ how, elapsed: Date.now() - started, sent, data: Buffer.concat(got).toString('latin1') });
    };
    const limit = setTimeout(() => finish('still open after 10 s'), 10000);
    sock.on('connect', () => {
      if (head) sock.write(head);
      if (!silent) timer = setInterval(() => {
        if (!sock.destroyed && sock.writable) { sock.write('a'); sent++; }
      }, 500);
    });
    sock.on('data', (d) => got.push(d));
    sock.on('end', () => finish('closed'));
    sock.on('close', () => finish('closed'));
    sock.on('error', (e) => finish(`closed (${e.code || e.message})`));
  });
}

test('REQUEST_READ_TIMEOUT: a client dribbling its request is disconnected; keep-alive still works', async () => {
  const slow = await startServer({ env: { REQUEST_READ_TIMEOUT: '2' } });
  const slowLogs = () => show('server logs', slow.logs());

  // a normal keep-alive client: two requests on one connection
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const a = await request(slow.url, '/healthz', { agent });
    const b = await request(slow.url, '/.well-known/openid-configuration', { agent });
    assert.equal(a.status, 204, slowLogs());
    assert.equal(b.status, 200, slowLogs());
    assert.equal(b.req.reusedSocket, true, `the second request did not reuse the connection${slowLogs()}`);
  } finally {
    agent.destroy();
  }

  // the dribblers: one byte every 500 ms, never finishing: in the headers, and in the body
  // and a connection that sends nothing at all
  const [inHeaders, inBody, idle] = await Promise.all([
    dribble(slow.port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: '),
    dribble(slow.port, 'POST /api/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n'),
    dribble(slow.port, '', { silent: true }),
  ]);
  assert.match(idle.how, /^closed/, `the server kept an idle connection open: ${JSON.stringify(idle)}${slowLogs()}`);
  for (const [where, result] of [['headers', inHeaders], ['body', inBody]]) {
    const ctx = `${JSON.stringify(result)}${slowLogs()}`;
    assert.match(result.how, /^closed/, `the server kept a client dribbling its ${where} connected: ${ctx}`);
    assert.ok(result.sent >= 2, `the connection closed before the client dribbled anything: ${ctx}`);
    assert.doesNotMatch(result.data, /^HTTP\/1\.1 2/, `the unfinished request was answered with success: ${ctx}`);
  }

  // the server is still fine afterwards
  const after = await request(slow.url, '/healthz');
  assert.equal(after.status, 204, slowLogs());
  assert.equal(await slow.stop(), 0, slowLogs());
});
