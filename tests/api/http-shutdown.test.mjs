// Graceful shutdown: SIGTERM lets requests in flight finish, then exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startServer, request, waitFor, parseRaw, show } from './harness.mjs';

function connectRefused(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.on('connect', () => { c.destroy(); resolve(false); });
    c.on('error', (e) => resolve(e.code === 'ECONNREFUSED'));
  });
}

test('SIGTERM on an idle server: exit 0, "received SIGTERM" and "stopped" logged', async () => {
  const srv = await startServer();
  // an idle keep-alive connection must not hold the shutdown up
  const agent = new http.Agent({ keepAlive: true });
  const res = await request(srv.url, '/healthz', { agent });
  assert.equal(res.status, 204);
  const code = await srv.stop('SIGTERM');
  agent.destroy();
  const ctx = show('server logs', srv.logs());
  assert.equal(code, 0, ctx);
  assert.match(srv.logs(), /received SIGTERM/, ctx);
  assert.match(srv.logs(), /msg="?stopped"?/, ctx);
});

test('SIGINT stops the server the same way', async () => {
  const srv = await startServer();
  const code = await srv.stop('SIGINT');
  const ctx = show('server logs', srv.logs());
  assert.equal(code, 0, ctx);
  assert.match(srv.logs(), /received SIGINT/, ctx);
  assert.match(srv.logs(), /msg="?stopped"?/, ctx);
});

test('a request in flight at SIGTERM still gets its answer', async () => {
  const srv = await startServer();
  const ctx = () => show('server logs', srv.logs());
  const sock = net.connect(srv.port, '127.0.0.1');
  const chunks = [];
  sock.on('data', (d) => chunks.push(d));
  const closed = new Promise((resolve) => { sock.on('close', resolve); sock.on('error', () => {}); });
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });

  // headers complete and half of the body sent: the request is in flight
  sock.write('POST /api/drain-test HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{"a":');
  await new Promise((r) => setTimeout(r, 200));
  srv.child.kill('SIGTERM');
  await waitFor(() => /received SIGTERM/.test(srv.logs()), { timeout: 10000, msg: () => `"received SIGTERM" in the log${ctx()}` });

  // while it drains, the server takes no new connections...
  await waitFor(() => connectRefused(srv.port), { timeout: 5000, msg: () => `new connections to be refused while draining${ctx()}` });
  // ...but the request in flight is still served
  sock.write('"bc"}');
  let timer;
  await Promise.race([closed, new Promise((r) => { timer = setTimeout(r, 10000); })]);
  clearTimeout(timer);
  const text = Buffer.concat(chunks).toString('latin1');
  const r = parseRaw(text);
  assert.equal(r.status, 404, `the in-flight request was not answered${show('raw response', text)}${ctx()}`);
  assert.equal(r.body, '{"error":"API endpoint not found"}');

  const code = await srv.stop();
  assert.equal(code, 0, ctx());
  assert.match(srv.logs(), /msg="?stopped"?/, ctx());
  assert.doesNotMatch(srv.logs(), /still in flight/, ctx());
});
