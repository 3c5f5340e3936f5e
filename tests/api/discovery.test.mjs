// /.well-known/openid-configuration and /.well-known/oauth-authorization-server.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, show } from './harness.mjs';

const DISCOVERY = '/.well-known/openid-configuration';
let srv, appUrl;

before(async () => {
  srv = await startServer();
  appUrl = srv.env.APP_URL;
});

async function getDoc(server, path = DISCOVERY) {
  const res = await fetch(server.url + path);
  const text = await res.text();
  const ctx = `${path} answered ${res.status}${show('body', text)}${show('server logs', server.logs())}`;
  assert.equal(res.status, 200, ctx);
  let doc;
  assert.doesNotThrow(() => { doc = JSON.parse(text); }, ctx);
  return { res, text, doc, ctx };
}

/* every string in the document, with its member path */
function strings(v, where = '') {
  if (typeof v === 'string') return [[where, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${where}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => strings(x, where ? `${where}.${k}` : k));
  return [];
}

test('discovery answers 200 JSON with sorted keys and the issuer exactly APP_URL', async () => {
  const { res, doc, ctx } = await getDoc(srv);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', ctx);
  const keys = Object.keys(doc);
  assert.deepEqual(keys, [...keys].sort(), `members are not in alphabetical order: ${keys.join(', ')}`);
  assert.equal(doc.issuer, appUrl, ctx);
});

test('jwks_uri is APP_URL + /.well-known/jwks.json', async () => {
  const { doc, ctx } = await getDoc(srv);
  assert.equal(doc.jwks_uri, `${appUrl}/.well-known/jwks.json`, ctx);
});

test('RS256 is among the ID token algorithms, and subjects are public', async () => {
  const { doc, ctx } = await getDoc(srv);
  assert.ok(Array.isArray(doc.id_token_signing_alg_values_supported), ctx);
  assert.ok(doc.id_token_signing_alg_values_supported.includes('RS256'), ctx);
  assert.deepEqual(doc.subject_types_supported, ['public'], ctx);
});

test('/.well-known/oauth-authorization-server serves the identical document', async () => {
  const a = await getDoc(srv);
  const b = await getDoc(srv, '/.well-known/oauth-authorization-server');
  assert.equal(b.text, a.text);
  assert.equal(b.res.headers.get('content-type'), 'application/json; charset=utf-8');
});

test('APP_URL with a trailing slash: the issuer has none, and no URL has a double slash', async () => {
  const s = await startServer({ env: ({ port }) => ({ APP_URL: `http://localhost:${port}/` }) });
  const { doc, ctx } = await getDoc(s);
  assert.equal(doc.issuer, `http://localhost:${s.port}`, ctx);
  assert.equal(doc.jwks_uri, `http://localhost:${s.port}/.well-known/jwks.json`, ctx);
  for (const [where, v] of strings(doc)) {
    const m = /^https?:\/\/(.*)$/.exec(v);
    if (m) assert.ok(!m[1].includes('//'), `${where} = ${v} contains "//" after the scheme`);
  }
  await s.stop();
});

test('INTERNAL_APP_URL moves jwks_uri but not the issuer', async () => {
  const s = await startServer({ env: { INTERNAL_APP_URL: 'http://internal.example:9999' } });
  const { doc, ctx } = await getDoc(s);
  assert.equal(doc.jwks_uri, 'http://internal.example:9999/.well-known/jwks.json', ctx);
  assert.equal(doc.issuer, s.env.APP_URL, ctx);
  await s.stop();
});

test('every *_endpoint and *_uri member that points at this server is actually served', async () => {
  const { doc, ctx } = await getDoc(srv);
  const origin = new URL(appUrl).origin;
  const checked = [];
  for (const [name, value] of Object.entries(doc)) {
    if (!/(_endpoint|_uri)$/.test(name) || typeof value !== 'string') continue;
    const u = new URL(value);
    if (u.origin !== origin) continue;
    const where = u.pathname + u.search;
    // a POST-only endpoint (token, revocation...) may well be 404 to GET
    let res = await request(srv.url, where);
    if (res.status === 404) {
      res = await request(srv.url, where, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' },
      });
    }
    assert.notEqual(res.status, 404, `discovery advertises ${name} = ${value}, but neither GET nor POST of ${where} is served${ctx}`);
    checked.push(name);
  }
  assert.ok(checked.includes('jwks_uri'), `jwks_uri was not checked (${checked.join(', ')})${ctx}`);
});

test('an ETag is sent, and If-None-Match with it answers 304 with an empty body', async () => {
  const { res, ctx } = await getDoc(srv);
  const etag = res.headers.get('etag');
  assert.ok(etag, `no ETag${ctx}`);
  const again = await request(srv.url, DISCOVERY, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304, show('server logs', srv.logs()));
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.etag, etag);
  const other = await request(srv.url, DISCOVERY, { headers: { 'if-none-match': '"something-else"' } });
  assert.equal(other.status, 200);
});

test('If-None-Match follows RFC 9110: a list, a weak tag and * also match', async () => {
  const { res } = await getDoc(srv);
  const etag = res.headers.get('etag');
  const bad = [];
  for (const inm of [`"x", ${etag}`, `${etag}, "x"`, `"x",${etag}`, `W/${etag}`, '*']) {
    const r = await request(srv.url, DISCOVERY, { headers: { 'if-none-match': inm } });
    if (r.status !== 304) bad.push(`If-None-Match: ${inm} -> ${r.status}, want 304`);
  }
  if (bad.length) assert.fail(`ETag ${etag}:\n${bad.join('\n')}`);
});

test('the whole document: Pocket ID 2.14\'s members (reference §2.1) less the device flow, plus RFC 7009 revocation', async () => {
  const { doc } = await getDoc(srv);
  const B = appUrl;
  assert.deepEqual(doc, {
    authorization_endpoint: `${B}/authorize`,
    authorization_response_iss_parameter_supported: true,
    claims_supported: ['sub', 'given_name', 'family_name', 'name', 'display_name', 'email', 'email_verified', 'preferred_username', 'picture', 'groups', 'auth_time', 'amr'],
    client_id_metadata_document_supported: false,
    code_challenge_methods_supported: ['plain', 'S256'],
    end_session_endpoint: `${B}/api/oidc/end-session`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    id_token_signing_alg_values_supported: ['RS256'],
    introspection_endpoint: `${B}/api/oidc/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'Bearer'],
    issuer: B,
    jwks_uri: `${B}/.well-known/jwks.json`,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    pushed_authorization_request_endpoint: `${B}/api/oidc/par`,
    request_object_signing_alg_values_supported: ['none'],
    request_parameter_supported: true,
    request_uri_parameter_supported: false,
    require_pushed_authorization_requests: false,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    response_types_supported: ['code'],
    revocation_endpoint: `${B}/api/oidc/revoke`,
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    scopes_supported: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    service_documentation: 'https://pocket-id.org/docs',
    subject_types_supported: ['public'],
    token_endpoint: `${B}/api/oidc/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    userinfo_endpoint: `${B}/api/oidc/userinfo`,
  });
});

test('oidcc-discovery-endpoint-verification (Config OP): the checks of conformance.md §4.4', async () => {
  const { doc } = await getDoc(srv);
  // the issuer equals the discovery URL minus its suffix (trailing slashes stripped on both sides)
  assert.equal(`${doc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, `${appUrl}${DISCOVERY}`);
  assert.ok(doc.response_types_supported.includes('code'));
  assert.ok(doc.subject_types_supported.includes('public'));
  assert.ok(doc.id_token_signing_alg_values_supported.includes('RS256'));
  for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) assert.ok(new URL(doc[k]), k);
  assert.ok(Array.isArray(doc.grant_types_supported) && doc.grant_types_supported.length > 0);
  assert.ok(doc.scopes_supported.includes('openid'));
  for (const s of doc.scopes_supported) assert.match(s, /^[\x21\x23-\x5B\x5D-\x7E]+$/, 'RFC 6749 scope-token syntax');
  assert.ok(Array.isArray(doc.code_challenge_methods_supported));
  assert.ok(Array.isArray(doc.claims_supported) && doc.claims_supported.length > 0);
  const jwks = JSON.parse((await request(srv.url, new URL(doc.jwks_uri).pathname)).body);
  assert.ok(jwks.keys.length >= 1);
  const kids = jwks.keys.map((k) => k.kid);
  assert.ok(kids.every(Boolean), 'every key has a kid (OIDCC-10.1)');
  assert.equal(new Set(kids).size, kids.length, 'kids are distinct (RFC 7517 §4.5)');
});

test('INTERNAL_APP_URL moves the back-channel endpoints, not the front-channel ones', async () => {
  const s = await startServer({ env: { INTERNAL_APP_URL: 'http://internal.example:9999' } });
  const { doc } = await getDoc(s);
  for (const k of ['token_endpoint', 'userinfo_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'pushed_authorization_request_endpoint', 'jwks_uri']) {
    assert.ok(doc[k].startsWith('http://internal.example:9999/'), `${k} = ${doc[k]}`);
  }
  for (const k of ['issuer', 'authorization_endpoint', 'end_session_endpoint']) assert.ok(doc[k].startsWith(s.env.APP_URL), `${k} = ${doc[k]}`);
  await s.stop();
});
