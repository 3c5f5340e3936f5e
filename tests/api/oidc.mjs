// A relying party for the protocol tests: clients put straight into the database (the client
// admin API has its own tests), the authorization request followed through its redirects and the
// /interaction API as the web page drives it, the token endpoint, and ID token checks as the
// OpenID conformance suite makes them (conformance.md §4.2).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { request } from './harness.mjs';
import { q, sql, sqlTime, expectStatus, jwtClaims, jwtHeader } from './client.mjs';

export const CALLBACK = 'https://rp.example.com/callback';
export const LOGOUT = 'https://rp.example.com/logged-out';

/**
 * Inserts a client; returns {id, secret, ...opts}. opts: id, name, callbackURLs, logoutCallbackURLs,
 * isPublic, pkceEnabled, requiresReauthentication, skipConsent, groups (allowed group ids: makes
 * it group-restricted), secret (null for none), accessMinutes, refreshMinutes.
 */
export async function insertClient(srv, opts = {}) {
  const id = opts.id || crypto.randomUUID();
  const secret = opts.secret === undefined ? crypto.randomBytes(24).toString('base64url').slice(0, 32) : opts.secret;
  const isPublic = !!opts.isPublic;
  const now = opts.createdAt ?? Math.floor(Date.now() / 1000);
  const secrets = isPublic || secret === null ? [] : [{
    id: crypto.randomUUID(), alg: 'sha256', hash: crypto.createHash('sha256').update(secret).digest('hex'),
    prefix: secret.slice(0, 4), createdAt: new Date().toISOString(), expiresAt: opts.secretExpiresAt ?? null,
  }];
  const b = (v) => (v ? 'TRUE' : 'FALSE');
  const callbacks = opts.callbackURLs || [CALLBACK];
  const logouts = opts.logoutCallbackURLs || [LOGOUT];
  await sql(srv, `INSERT INTO oidc_clients (id, created_at, name, callback_urls, logout_callback_urls, credentials,
      is_public, pkce_enabled, requires_reauthentication, skip_consent, is_group_restricted,
      access_token_duration_minutes, refresh_token_duration_minutes)
    VALUES (${q(id)}, ${sqlTime(now)}, ${q(opts.name || 'Test app')}, ${q(JSON.stringify(callbacks))},
      ${q(JSON.stringify(logouts))}, ${q(JSON.stringify({ federatedIdentities: [], secrets }))}, ${b(isPublic)},
      ${b(opts.pkceEnabled || isPublic)}, ${b(opts.requiresReauthentication)}, ${b(opts.skipConsent)},
      ${b(!!opts.groups)}, ${opts.accessMinutes || 60}, ${opts.refreshMinutes || 43200})`);
  for (const g of opts.groups || []) {
    await sql(srv, `INSERT INTO oidc_clients_allowed_user_groups (user_group_id, oidc_client_id) VALUES (${q(g)}, ${q(id)})`);
  }
  return { id, secret: isPublic ? null : secret, callback: callbacks[0], ...opts, isPublic };
}

/** A group with these members (user ids); returns its id. */
export async function insertGroup(srv, name, members = []) {
  const id = crypto.randomUUID();
  const now = sqlTime(Date.now() / 1000);
  await sql(srv, `INSERT INTO user_groups (id, created_at, friendly_name, name, updated_at) VALUES (${q(id)}, ${now}, ${q(name)}, ${q(name)}, ${now})`);
  for (const u of members) await sql(srv, `INSERT INTO user_groups_users (user_id, user_group_id) VALUES (${q(u)}, ${q(id)})`);
  return id;
}

export const randomState = (n = 16) => crypto.randomBytes(n).toString('base64url').slice(0, n);

/** The authorization request's query string. */
export function authorizeQuery(client, params = {}) {
  const p = {
    client_id: client.id, redirect_uri: client.callback, response_type: 'code', scope: 'openid profile email',
    state: randomState(), nonce: randomState(), ...params,
  };
  for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
  return new URLSearchParams(p);
}

/** Parses a redirect: {location, url (URL or null), params (query, or fragment when asked)}. */
export function redirectOf(res, { fragment = false } = {}) {
  const location = res.headers.location;
  assert.ok(res.status === 302 && location, `expected a redirect${res.ctx}`);
  const url = /^https?:|^[a-z][a-z0-9+.-]*:/i.test(location) ? new URL(location) : null;
  const raw = url ? (fragment ? url.hash.slice(1) : url.search.slice(1)) : location.split('?')[1] || '';
  return { location, url, params: Object.fromEntries(new URLSearchParams(raw)) };
}

/** GET (or POST form) /authorize as this browser; returns the raw answer. */
export async function authorize(browser, client, params = {}, { method = 'GET' } = {}) {
  const qs = authorizeQuery(client, params);
  if (method === 'POST') {
    return browser.call('POST', '/authorize', {
      body: qs.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }
  return browser.get(`/authorize?${qs}`);
}

/**
 * Follows an authorization through /interaction: completes each current step the way the web
 * page does (reauthentication through `reauth()` when asked), then returns the final answer of
 * /authorize?interaction=... opts.steps collects the step names seen.
 */
export async function finishInteraction(browser, res, { reauth, steps = [] } = {}) {
  for (let i = 0; i < 8 && res.status === 302 && res.headers.location.startsWith('/interaction?'); i++) {
    const id = new URLSearchParams(res.headers.location.split('?')[1]).get('interaction');
    let ix = expectStatus(await browser.get(`/api/oidc/interactions/${id}`), 200).json;
    for (;;) {
      steps.push(ix.currentStep);
      if (ix.currentStep === 'reauthenticate' && reauth) await reauth(browser);
      const done = expectStatus(await browser.post(`/api/oidc/interactions/${id}/complete`, { step: ix.currentStep }), 200);
      if (done.json.redirectUrl) {
        res = await browser.get(done.json.redirectUrl);
        break;
      }
      ix = done.json.interaction;
    }
  }
  return res;
}

/** A code for this browser's user (consenting on the way); returns {code, params, res}. */
export async function getCode(browser, client, params = {}, opts = {}) {
  let res = await authorize(browser, client, params, opts);
  res = await finishInteraction(browser, res, opts);
  const r = redirectOf(res, opts);
  assert.ok(r.location.startsWith(client.callback), `back to the client${res.ctx}`);
  assert.ok(r.params.code, `a code${res.ctx}`);
  return { code: r.params.code, params: r.params, res };
}

/** POST /api/oidc/token with a form; auth: 'basic' (default), 'post' or 'none'. */
export async function tokenRequest(srv, client, form, { auth = 'basic', secret = client.secret } = {}) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const f = { ...form };
  if (auth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  } else if (auth === 'post') {
    f.client_id = client.id;
    f.client_secret = secret;
  } else {
    f.client_id = client.id;
  }
  const res = await request(srv.url, '/api/oidc/token', { method: 'POST', headers, body: new URLSearchParams(f).toString() });
  return { ...res, text: res.body.toString('utf8'), json: safeJson(res.body), ctx: `\n${res.status} ${res.body.toString('utf8').slice(0, 800)}` };
}

export async function exchange(srv, client, code, extra = {}, opts = {}) {
  return tokenRequest(srv, client, { grant_type: 'authorization_code', code, redirect_uri: client.callback, ...extra }, opts);
}

function safeJson(buf) {
  try { return JSON.parse(buf.toString('utf8')); } catch { return undefined; }
}

/** GET /.well-known/jwks.json as node KeyObjects by kid. */
export async function jwks(srv) {
  const res = await request(srv.url, '/.well-known/jwks.json');
  const keys = JSON.parse(res.body.toString('utf8')).keys;
  return Object.fromEntries(keys.map((k) => [k.kid, crypto.createPublicKey({ key: k, format: 'jwk' })]));
}

/** Verifies an RS256 JWT against the server's JWKS (node's crypto: an independent implementation). */
export async function verifyJwt(srv, jwt) {
  const [h, p, s] = jwt.split('.');
  const header = jwtHeader(jwt);
  const key = (await jwks(srv))[header.kid];
  assert.ok(key, `the JWKS has the token's kid ${header.kid}`);
  assert.equal(header.alg, 'RS256');
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'));
  assert.ok(ok, 'signature verifies against the JWKS');
  return jwtClaims(jwt);
}

/** The ID token checks of the conformance suite (ValidateIdToken and friends). */
export async function checkIdToken(srv, client, idToken, { nonce, accessToken } = {}) {
  const c = await verifyJwt(srv, idToken);
  const now = Date.now() / 1000;
  assert.equal(c.iss, srv.env.APP_URL);
  assert.ok(c.aud === client.id || (Array.isArray(c.aud) && c.aud.includes(client.id)), `aud ${c.aud}`);
  assert.ok(Number.isInteger(c.exp) && c.exp > now - 300 && c.exp < now + 50 * 365 * 86400, `exp ${c.exp}`);
  assert.ok(Number.isInteger(c.iat) && c.iat <= now + 5 && c.iat >= now - 300, `iat ${c.iat}`);
  if (c.auth_time !== undefined) assert.ok(c.auth_time <= now + 5 && c.auth_time > now - 365 * 86400, `auth_time ${c.auth_time}`);
  assert.ok(typeof c.sub === 'string' && c.sub.length > 0);
  if (nonce !== undefined) assert.equal(c.nonce, nonce);
  if (accessToken && c.at_hash) {
    const h = crypto.createHash('sha256').update(accessToken).digest();
    assert.equal(c.at_hash, h.subarray(0, 16).toString('base64url'), 'at_hash');
  }
  return c;
}

/** Estimated entropy in bits as the conformance suite estimates it (Shannon over the characters). */
export function entropyBits(s) {
  const counts = {};
  for (const ch of s) counts[ch] = (counts[ch] || 0) + 1;
  let h = 0;
  for (const n of Object.values(counts)) h -= (n / s.length) * Math.log2(n / s.length);
  return h * s.length;
}
