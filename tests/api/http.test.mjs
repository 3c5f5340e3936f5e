// The HTTP layer: default headers, CORS, unknown paths, trailing-slash redirects,
// the single-page app and its static assets, HEAD.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { startServer, request, rawRequest, parseRaw, show } from './harness.mjs';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const NONCE = /script-src 'self' 'nonce-([A-Za-z0-9_-]+)'/;
const NOT_FOUND = '{"error":"API endpoint not found"}';

let srv;
before(async () => { srv = await startServer(); });
const logs = () => show('server logs', srv.logs());

function describe(res) {
  return `${res.status} ${JSON.stringify(res.headers, null, 1)}${show('body', res.body.toString('utf8').slice(0, 2000))}${logs()}`;
}

test('every response carries X-Request-ID, a nonce CSP and nosniff; API responses are not cached', async () => {
  const probes = [
    ['/healthz', 204, true],
    ['/.well-known/openid-configuration', 200, true],
    ['/api/nope', 404, true],
    ['/login', 200, false],
    ['/foo/', 301, false],
  ];
  const ids = new Set(), nonces = new Set();
  for (const [p, status, api] of probes) {
    const res = await request(srv.url, p);
    const ctx = `GET ${p}: ${describe(res)}`;
    assert.equal(res.status, status, ctx);
    const id = res.headers['x-request-id'];
    assert.match(id || '', UUID_V4, `X-Request-ID is not a UUID v4; ${ctx}`);
    ids.add(id);
    const csp = res.headers['content-security-policy'] || '';
    assert.ok(csp.includes("frame-ancestors 'none'"), `CSP lacks frame-ancestors 'none'; ${ctx}`);
    const m = NONCE.exec(csp);
    assert.ok(m, `CSP lacks script-src 'self' 'nonce-...'; ${ctx}`);
    assert.match(m[1], /^[A-Za-z0-9_-]{22}$/, `the nonce is not 22 base64url characters; ${ctx}`);
    nonces.add(m[1]);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', ctx);
    if (api) assert.equal(res.headers['cache-control'], 'private, no-store', ctx);
  }
  assert.equal(ids.size, probes.length, 'X-Request-ID repeats across requests');
  assert.equal(nonces.size, probes.length, 'the CSP nonce repeats across requests');
});

test('two requests to the same path get different request ids and nonces', async () => {
  const a = await request(srv.url, '/healthz');
  const b = await request(srv.url, '/healthz');
  assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
  assert.notEqual(NONCE.exec(a.headers['content-security-policy'])[1], NONCE.exec(b.headers['content-security-policy'])[1]);
});

for (const p of ['/.well-known/openid-configuration', '/.well-known/jwks.json']) {
  test(`CORS preflight on ${p}`, async () => {
    const res = await request(srv.url, p, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    const ctx = describe(res);
    assert.equal(res.status, 204, ctx);
    assert.equal(res.headers['access-control-allow-origin'], '*', ctx);
    assert.equal(res.headers['access-control-allow-headers'], 'Authorization', ctx);
    assert.equal(res.headers['access-control-allow-methods'], 'GET, POST', ctx);
    assert.equal(res.body.length, 0, ctx);
  });

  test(`GET ${p} allows any origin`, async () => {
    const res = await request(srv.url, p, { headers: { origin: 'https://app.example' } });
    assert.equal(res.status, 200, describe(res));
    assert.equal(res.headers['access-control-allow-origin'], '*', describe(res));
  });
}

test('/healthz and the web app carry no Access-Control-Allow-Origin', async () => {
  for (const p of ['/healthz', '/login']) {
    const res = await request(srv.url, p, { headers: { origin: 'https://app.example' } });
    assert.ok(res.status === 200 || res.status === 204, describe(res));
    assert.equal(res.headers['access-control-allow-origin'], undefined, `GET ${p}: ${describe(res)}`);
  }
});

for (const [method, p] of [['GET', '/api/nope'], ['POST', '/api/nope'], ['GET', '/.well-known/nope'], ['DELETE', '/api/nope/1'], ['GET', '/api']]) {
  test(`${method} ${p} answers 404 {"error":"API endpoint not found"}`, async () => {
    const res = await request(srv.url, p, { method, headers: method === 'POST' ? { 'content-length': '0' } : {} });
    const ctx = describe(res);
    assert.equal(res.status, 404, ctx);
    assert.equal(res.body.toString('utf8'), NOT_FOUND, ctx);
    assert.match(res.headers['content-type'] || '', /^application\/json/, ctx);
  });
}

test('a wrong method on a known path answers 404', async () => {
  for (const [method, p] of [['POST', '/.well-known/jwks.json'], ['PUT', '/.well-known/openid-configuration'], ['DELETE', '/healthz']]) {
    const res = await request(srv.url, p, { method, headers: { 'content-length': '0' } });
    assert.equal(res.status, 404, `${method} ${p}: ${describe(res)}`);
  }
});

for (const [from, to] of [['/foo/', '/foo'], ['/settings/account/', '/settings/account'], ['/foo///', '/foo']]) {
  test(`GET ${from} redirects 301 to ${to}`, async () => {
    const res = await request(srv.url, from);
    assert.equal(res.status, 301, describe(res));
    assert.equal(res.headers.location, to, describe(res));
  });
}

test('the trailing-slash redirect keeps the query string', async () => {
  const res = await request(srv.url, '/login/?redirect=%2Fsettings&x=1');
  assert.equal(res.status, 301, describe(res));
  assert.equal(res.headers.location, '/login?redirect=%2Fsettings&x=1', describe(res));
});

test('GET //evil.example/ redirects 301 to a path on this site', async () => {
  const res = await request(srv.url, '//evil.example/');
  assert.equal(res.status, 301, describe(res));
  assert.ok(res.headers.location, describe(res));
  assert.ok(!res.headers.location.startsWith('//'), `Location ${res.headers.location} leaves the site`);
  assert.ok(res.headers.location.startsWith('/'), `Location ${res.headers.location} is not a path`);
});

// each of these must not become a Location that a browser resolves to another host:
// browsers treat \ as / and drop tabs and line breaks from URLs
const EVIL = [
  '//evil.example/', '///evil.example/', '//evil.example/a/', '/\\evil.example/', '/\\\\evil.example/',
  '/%2F%2Fevil.example/', '/%5Cevil.example/', '/%5C%5Cevil.example/', '/%5C/evil.example/',
  '/%09/evil.example/', '/%0a/evil.example/', '/%0d%0a/evil.example/',
];
test('a trailing-slash redirect never leaves the site', async () => {
  const base = new URL(srv.url);
  const bad = [];
  for (const evil of EVIL) {
    const res = await request(srv.url, evil);
    const loc = res.headers.location;
    const problem =
      res.status !== 301 ? `status ${res.status}`
      : !loc ? 'no Location'
      : !loc.startsWith('/') ? 'Location is not a path'
      : /^[/\\]{2}/.test(loc) || /^\/\\/.test(loc) ? 'Location starts with two slashes'
      : /[\\\t\r\n]/.test(loc) ? 'Location has a backslash, tab or line break'
      : new URL(loc, base).host !== base.host ? `Location resolves to host ${new URL(loc, base).host}`
      : null;
    if (problem) bad.push(`GET ${evil} -> ${res.status} Location: ${JSON.stringify(loc)}: ${problem}`);
  }
  if (bad.length) assert.fail(`${bad.length} of ${EVIL.length} redirects leave the site:\n${bad.join('\n')}`);
});

function scriptNonces(html) {
  return [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => /\bnonce="([^"]*)"/.exec(m[1])?.[1] ?? null);
}

for (const p of ['/login', '/settings/account', '/']) {
  test(`GET ${p} serves the web app with this response's nonce on every script`, async (t) => {
    const res = await request(srv.url, p);
    const ctx = describe(res);
    assert.equal(res.status, 200, ctx);
    assert.match(res.headers['content-type'] || '', /^text\/html/, ctx);
    assert.equal(res.headers['cache-control'], 'private, no-store', ctx);
    const html = res.body.toString('utf8');
    assert.match(html, /<html/i, ctx);
    const nonce = NONCE.exec(res.headers['content-security-policy'] || '')?.[1];
    assert.ok(nonce, ctx);
    const nonces = scriptNonces(html);
    if (nonces.length === 0 && /no web interface/.test(html)) {
      t.skip('this build has no web app (meson -Dfrontend=false), so its page has no scripts');
      return;
    }
    assert.ok(html.includes(`<script nonce="${nonce}"`), `no <script nonce="${nonce}"; ${ctx}`);
    for (const n of nonces) assert.equal(n, nonce, `a <script> without this response's nonce; ${ctx}`);
  });
}

let asset; // {path, identity, etag}
async function moduleScript(t) {
  if (asset) return asset;
  const res = await request(srv.url, '/login');
  const html = res.body.toString('utf8');
  const m = /<script\b[^>]*\btype="module"[^>]*\bsrc="([^"]+)"/.exec(html) || /<script\b[^>]*\bsrc="([^"]+)"[^>]*\btype="module"/.exec(html);
  if (!m && /no web interface/.test(html)) {
    t.skip('this build has no web app (meson -Dfrontend=false)');
    return null;
  }
  assert.ok(m, `no module script in the HTML${show('html', html)}`);
  assert.match(m[1], /^\/_app\/immutable\/.+\.js$/, `unexpected script src ${m[1]}`);
  const id = await request(srv.url, m[1]);
  assert.equal(id.status, 200, describe(id));
  asset = { path: m[1], identity: id.body, res: id };
  return asset;
}

test('a hashed static asset is served as immutable JavaScript with an ETag', async (t) => {
  const a = await moduleScript(t);
  if (!a) return;
  const ctx = `GET ${a.path}: ${describe(a.res)}`;
  assert.match(a.res.headers['content-type'] || '', /^text\/javascript\b/, ctx);
  assert.equal(a.res.headers['cache-control'], 'public, max-age=31536000, immutable', ctx);
  assert.ok(a.res.headers.etag, ctx);
  assert.equal(a.res.headers['content-encoding'], undefined, ctx);
  assert.ok(a.identity.length > 0, ctx);
  assert.equal(Number(a.res.headers['content-length']), a.identity.length, ctx);
});

test('the asset is sent gzip-compressed to a client that accepts gzip', async (t) => {
  const a = await moduleScript(t);
  if (!a) return;
  const res = await request(srv.url, a.path, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(res.status, 200, describe(res));
  assert.equal(res.headers['content-encoding'], 'gzip', describe(res));
  assert.match(res.headers.vary || '', /Accept-Encoding/i, describe(res));
  assert.ok(zlib.gunzipSync(res.body).equals(a.identity), 'gunzip(gzip variant) differs from the identity response');
});

test('the asset is sent brotli-compressed to a client that accepts br', async (t) => {
  const a = await moduleScript(t);
  if (!a) return;
  const res = await request(srv.url, a.path, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
  assert.equal(res.status, 200, describe(res));
  if (res.headers['content-encoding'] !== 'br' && !['/usr/bin/brotli', '/usr/local/bin/brotli'].some((p) => fs.existsSync(p))) {
    t.skip('the brotli command was not installed, so the build embedded no brotli variants');
    return;
  }
  assert.equal(res.headers['content-encoding'], 'br', describe(res));
  assert.ok(zlib.brotliDecompressSync(res.body).equals(a.identity), 'unbrotli(br variant) differs from the identity response');
});

test('gzip;q=0 is not used', async (t) => {
  const a = await moduleScript(t);
  if (!a) return;
  const res = await request(srv.url, a.path, { headers: { 'accept-encoding': 'gzip;q=0' } });
  assert.equal(res.status, 200, describe(res));
  assert.equal(res.headers['content-encoding'], undefined, describe(res));
  assert.ok(res.body.equals(a.identity));
});

test('If-None-Match with the asset ETag answers 304 with an empty body', async (t) => {
  const a = await moduleScript(t);
  if (!a) return;
  const res = await request(srv.url, a.path, { headers: { 'if-none-match': a.res.headers.etag } });
  assert.equal(res.status, 304, describe(res));
  assert.equal(res.body.length, 0, describe(res));
});

test('If-None-Match on an asset follows RFC 9110: a list, a weak tag and * also match', async (t) => {
  const a = await moduleScript(t);
  if (!a) return;
  const etag = a.res.headers.etag;
  const bad = [];
  for (const inm of [`"x", ${etag}`, `"x",${etag}`, `W/${etag}`, '*']) {
    const r = await request(srv.url, a.path, { headers: { 'if-none-match': inm } });
    if (r.status !== 304) bad.push(`If-None-Match: ${inm} -> ${r.status}, want 304`);
  }
  if (bad.length) assert.fail(`ETag ${etag}:\n${bad.join('\n')}`);
});

test('HEAD of a static asset and of the web app: headers of the GET, no body', async (t) => {
  const a = await moduleScript(t);
  if (!a) return;
  for (const p of [a.path, '/login']) {
    const raw = await rawRequest(srv.port, `HEAD ${p} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    const r = parseRaw(raw.text);
    assert.equal(r.status, 200, show('raw response', raw.text));
    assert.equal(r.body, '', `HEAD ${p} sent a body${show('raw response', raw.text)}`);
    if (p === a.path) assert.equal(Number(r.headers['content-length']), a.identity.length, show('raw response', raw.text));
  }
});

test('HEAD of discovery answers 200 with the GET Content-Length and no body', async () => {
  const get = await request(srv.url, '/.well-known/openid-configuration');
  assert.equal(get.status, 200, describe(get));
  const raw = await rawRequest(srv.port, 'HEAD /.well-known/openid-configuration HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  const r = parseRaw(raw.text);
  assert.equal(r.status, 200, show('raw response', raw.text));
  assert.equal(Number(r.headers['content-length']), get.body.length, show('raw response', raw.text));
  assert.equal(r.body, '', `HEAD sent a body${show('raw response', raw.text)}`);
});
