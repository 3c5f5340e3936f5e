// An "openZro-style" management client (issue 4): openZro, like NetBird whose Pocket ID
// integration it inherits, talks to Pocket ID with nothing but an API key in X-API-KEY. It
// lists every user with GET /api/users?pagination[limit]=100&pagination[page]=N until
// currentPage >= totalPages, reads a user by id, finds users by email with ?search=, creates
// users ({displayName, email, firstName, lastName, username: "first.last"}) and deletes them;
// group-to-role mappers page through /api/user-groups and read each group's members. The
// client below does exactly that with fetch and no cookies.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from './harness.mjs';
import { expectStatus, setupAdmin, insertUser, signInAs, sql, sqlTime, q, createApiKey } from './client.mjs';

const USERS = 230; // three pages of 100, plus the admin

let srv, apiToken, groups, adminSession;
before(async () => {
  srv = await startServer();
  const { browser: admin } = await setupAdmin(srv);
  adminSession = admin;
  groups = {};
  for (const name of ['netbird-admins', 'netbird-users']) {
    groups[name] = expectStatus(await admin.post('/api/user-groups', { friendlyName: name, name }), 201).json;
  }
  // users b0000..b0229 in one statement; every 10th is in netbird-admins, every other in netbird-users
  const now = sqlTime(Date.now() / 1000);
  const rows = [];
  const members = [];
  for (let i = 0; i < USERS; i++) {
    const id = crypto.randomUUID();
    const nn = String(i).padStart(4, '0');
    rows.push(`(${q(id)}, ${now}, ${now}, 'b${nn}', 'b${nn}@corp.example', 'First${nn}', 'Last${nn}', 'First${nn} Last${nn}', FALSE, FALSE, TRUE)`);
    if (i % 10 === 0) members.push(`(${q(id)}, ${q(groups['netbird-admins'].id)})`);
    if (i % 2 === 0) members.push(`(${q(id)}, ${q(groups['netbird-users'].id)})`);
  }
  await sql(srv, `INSERT INTO users (id, created_at, updated_at, username, email, first_name, last_name, display_name, is_admin, disabled, email_verified) VALUES ${rows.join(', ')}`);
  await sql(srv, `INSERT INTO user_groups_users (user_id, user_group_id) VALUES ${members.join(', ')}`);
  ({ token: apiToken } = await createApiKey(admin, { name: 'openZro management' }));
});

/** The management client: fetch with X-API-KEY only, as the Go integration does. */
class PocketIdManager {
  constructor(endpoint, token) { this.endpoint = endpoint; this.token = token; }

  async request(method, resource, { query, body } = {}) {
    const url = new URL(`${this.endpoint}/api/${resource}`);
    if (query) for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const headers = { 'X-API-KEY': this.token };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
  }

  async ok(method, resource, opts) {
    const r = await this.request(method, resource, opts);
    assert.ok(r.status === 200 || r.status === 201, `${method} /api/${resource}: unexpected status ${r.status}: ${r.text}`);
    return r.json;
  }

  async allUsers(search = {}) {
    const all = [];
    let pages = 0;
    for (let page = 1; ; page++) {
      const body = await this.ok('GET', 'users', { query: { ...search, 'pagination[limit]': '100', 'pagination[page]': String(page) } });
      all.push(...body.data);
      pages++;
      assert.ok(pages < 50, 'runaway pagination');
      if (body.pagination.currentPage >= body.pagination.totalPages) return { users: all, pages, last: body.pagination };
    }
  }

  async allGroups() {
    const all = [];
    for (let page = 1; ; page++) {
      const body = await this.ok('GET', 'user-groups', { query: { 'pagination[limit]': '100', 'pagination[page]': String(page) } });
      all.push(...body.data);
      if (body.pagination.currentPage >= body.pagination.totalPages) return all;
    }
  }
}

test('lists every user with X-API-KEY, 100 per page, until currentPage >= totalPages', async () => {
  const m = new PocketIdManager(srv.url, apiToken);
  const { users, pages, last } = await m.allUsers();
  assert.equal(pages, 3);
  assert.deepEqual(last, { totalPages: 3, totalItems: USERS + 1, currentPage: 3, itemsPerPage: 100 });
  assert.equal(users.length, USERS + 1);
  assert.equal(new Set(users.map((u) => u.id)).size, USERS + 1, 'no user twice across pages');
  // the fields the integration maps (UserData: Email, Name = displayName, ID)
  for (const u of users) {
    assert.equal(typeof u.id, 'string');
    assert.equal(typeof u.email, 'string');
    assert.equal(typeof u.displayName, 'string');
    assert.ok(Array.isArray(u.customClaims) && Array.isArray(u.userGroups));
  }
  const b0042 = users.find((u) => u.username === 'b0042');
  assert.equal(b0042.displayName, 'First0042 Last0042');
  assert.equal(b0042.email, 'b0042@corp.example');
});

test('reads group memberships from the users\' userGroups', async () => {
  const m = new PocketIdManager(srv.url, apiToken);
  const { users } = await m.allUsers();
  const inGroup = (name) => users.filter((u) => u.userGroups.some((g) => g.name === name)).map((u) => u.username).sort();
  assert.equal(inGroup('netbird-admins').length, USERS / 10);
  assert.equal(inGroup('netbird-users').length, USERS / 2);
  assert.ok(inGroup('netbird-admins').includes('b0010'));
  assert.ok(!inGroup('netbird-admins').includes('b0011'));
});

test('pages through the groups and reads each group\'s members', async () => {
  const m = new PocketIdManager(srv.url, apiToken);
  const list = await m.allGroups();
  assert.deepEqual(list.map((g) => g.name).sort(), ['netbird-admins', 'netbird-users']);
  for (const g of list) {
    const detail = await m.ok('GET', `user-groups/${g.id}`);
    assert.equal(detail.users.length, g.userCount);
    assert.equal(g.userCount, g.name === 'netbird-admins' ? USERS / 10 : USERS / 2);
  }
  const admins = await m.ok('GET', `user-groups/${groups['netbird-admins'].id}`);
  assert.ok(admins.users.some((u) => u.username === 'b0120'));
});

test('GET /api/users/:id and a search by email, as GetUserDataByID and GetUserByEmail do', async () => {
  const m = new PocketIdManager(srv.url, apiToken);
  const found = await m.ok('GET', 'users', { query: { search: 'b0137@corp.example' } });
  assert.equal(found.data.length, 1);
  assert.equal(found.data[0].username, 'b0137');
  const one = await m.ok('GET', `users/${found.data[0].id}`);
  assert.equal(one.email, 'b0137@corp.example');
  assert.equal(one.displayName, 'First0137 Last0137');
});

test('creates a user as CreateUser does (username "first.last"), then deletes it', async () => {
  const m = new PocketIdManager(srv.url, apiToken);
  const created = await m.request('POST', 'users', {
    body: { displayName: 'Ada Lovelace', email: 'ada.lovelace@corp.example', firstName: 'Ada', lastName: 'Lovelace', username: 'Ada.Lovelace' },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.username, 'Ada.Lovelace');
  assert.equal(created.json.isAdmin, false);
  assert.equal(created.json.disabled, false);
  const again = await m.request('POST', 'users', {
    body: { displayName: 'Ada Lovelace', email: 'ada.l@corp.example', firstName: 'Ada', lastName: 'Lovelace', username: 'ada.lovelace' },
  });
  assert.equal(again.status, 409, again.text);
  const del = await m.request('DELETE', `users/${created.json.id}`);
  assert.equal(del.status, 204, del.text);
  const gone = await m.request('GET', `users/${created.json.id}`);
  assert.equal(gone.status, 404, gone.text);
});

test('the key of a non-admin makes the integration fail with 403, not an empty list', async () => {
  const u = await insertUser(srv);
  const owner = await signInAs(srv, adminSession, u.id);
  const { token } = await createApiKey(owner, { name: 'not an admin' });
  const r = await new PocketIdManager(srv.url, token).request('GET', 'users', { query: { 'pagination[limit]': '100', 'pagination[page]': '1' } });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.code, 'forbidden');
});

test('a revoked key makes the integration fail with 401', async () => {
  const { apiKey, token } = await createApiKey(adminSession, { name: 'to revoke' });
  const m = new PocketIdManager(srv.url, token);
  await m.ok('GET', 'users');
  expectStatus(await adminSession.del(`/api/api-keys/${apiKey.id}`), 204);
  const r = await m.request('GET', 'users');
  assert.equal(r.status, 401, r.text);
});
