// Application images and profile pictures (issue 4; reference §1.4, §1.9, §8.9, §8.10,
// checklist 38-41): GET/PUT/DELETE /api/application-images/*, GET
// /api/users/:id/profile-picture.png, PUT/DELETE of one's own and (admin) anyone's picture.
// The images are made here: a tiny PNG encoder, an SVG, junk.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { startServer } from './harness.mjs';
import { Browser, expectStatus, setupAdmin, insertUser, signInAs } from './client.mjs';

const APP_CACHE = 'public, max-age=900, stale-while-revalidate=86400';

/* ---------- images ---------- */

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** A w x h RGB PNG filled by fn(x, y) -> [r, g, b]. */
function png(w, h, fn = () => [200, 30, 30]) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc(h * (1 + 3 * w));
  for (let y = 0; y < h; y++) {
    raw[y * (1 + 3 * w)] = 0;
    for (let x = 0; x < w; x++) {
      const [r, g, b] = fn(x, y);
      raw.set([r, g, b], y * (1 + 3 * w) + 1 + 3 * x);
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
/** Width and height of a PNG (from IHDR), or null if it is not one. */
function pngSize(buf) {
  if (buf.length < 24 || buf.readUInt32BE(0) !== 0x89504e47 || buf.toString('latin1', 12, 16) !== 'IHDR') return null;
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}
const SVG = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>');
const JUNK = Buffer.from('this is not an image at all, just text pretending to be one');

/** A multipart/form-data body with one file part. */
function multipart(data, { name = 'file', filename = 'upload.png', type = 'image/png' } = {}) {
  const boundary = `----symbolon${crypto.randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
function upload(browser, path, data, opts) {
  const m = multipart(data, opts);
  return browser.call('PUT', path, { body: m.body, headers: m.headers });
}

let srv, admin, adminUser;
before(async () => {
  srv = await startServer();
  ({ browser: admin, user: adminUser } = await setupAdmin(srv));
});

async function nonAdmin() {
  const u = await insertUser(srv);
  return { user: u, browser: await signInAs(srv, admin, u.id) };
}

/* ---------- application images: the bundled defaults ---------- */

for (const [name, type] of [['favicon', 'image/x-icon'], ['background', 'image/webp'], ['email', 'image/png']]) {
  test(`GET /api/application-images/${name}: 200 ${type}, public, cached 15 min`, async () => {
    const res = expectStatus(await new Browser(srv).get(`/api/application-images/${name}`), 200);
    assert.equal(res.headers['content-type'], type, res.ctx);
    assert.equal(res.headers['cache-control'], APP_CACHE, res.ctx);
    assert.ok(res.body.length > 0, res.ctx);
  });
}

test('GET /api/application-images/logo without an uploaded logo is 404 image_not_found', async () => {
  const s = await startServer();
  const res = expectStatus(await new Browser(s).get('/api/application-images/logo'), 404, 'image_not_found');
  assert.equal(res.json.error, 'Image not found', res.ctx);
  expectStatus(await new Browser(s).get('/api/application-images/logo?light=false'), 404, 'image_not_found');
});

test('?skipCache: no public caching', async () => {
  const res = expectStatus(await new Browser(srv).get('/api/application-images/favicon?skipCache=1'), 200);
  assert.notEqual(res.headers['cache-control'], APP_CACHE, res.ctx);
});

/* ---------- application images: uploads ---------- */

test('PUT /api/application-images/logo (PNG): 204, then GET serves it; the dark logo is separate', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  const light = png(64, 32);
  expectStatus(await upload(a, '/api/application-images/logo?light=true', light), 204);
  const got = expectStatus(await new Browser(s).get('/api/application-images/logo?light=true'), 200);
  assert.equal(got.headers['content-type'], 'image/png', got.ctx);
  assert.deepEqual(pngSize(got.body), [64, 32], got.ctx);
  assert.equal(got.headers['cache-control'], APP_CACHE, got.ctx);
  const dark = png(16, 16, () => [10, 10, 10]);
  expectStatus(await upload(a, '/api/application-images/logo?light=false', dark), 204);
  assert.deepEqual(pngSize(expectStatus(await new Browser(s).get('/api/application-images/logo?light=false'), 200).body), [16, 16]);
  assert.deepEqual(pngSize(expectStatus(await new Browser(s).get('/api/application-images/logo'), 200).body), [64, 32]);
});

test('PUT /api/application-images/logo with an SVG: served as image/svg+xml', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  expectStatus(await upload(a, '/api/application-images/logo', SVG, { filename: 'logo.svg', type: 'image/svg+xml' }), 204);
  const got = expectStatus(await new Browser(s).get('/api/application-images/logo'), 200);
  assert.equal(got.headers['content-type'], 'image/svg+xml', got.ctx);
});

test('PUT /api/application-images/email with an SVG is 415 "File must be of type PNG or JPEG"', async () => {
  const res = expectStatus(await upload(admin, '/api/application-images/email', SVG, { filename: 'logo.svg', type: 'image/svg+xml' }), 415, 'file_type_not_supported');
  assert.equal(res.json.error, 'File must be of type PNG or JPEG', res.ctx);
  // the bundled email logo is still served
  const got = expectStatus(await new Browser(srv).get('/api/application-images/email'), 200);
  assert.equal(got.headers['content-type'], 'image/png', got.ctx);
});

test('PUT /api/application-images/email with a PNG: 204 and served', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  expectStatus(await upload(a, '/api/application-images/email', png(40, 20)), 204);
  assert.deepEqual(pngSize(expectStatus(await new Browser(s).get('/api/application-images/email'), 200).body), [40, 20]);
});

test('PUT /api/application-images/favicon with a PNG: 204 and served as image/png', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  expectStatus(await upload(a, '/api/application-images/favicon', png(32, 32)), 204);
  const got = expectStatus(await new Browser(s).get('/api/application-images/favicon'), 200);
  assert.equal(got.headers['content-type'], 'image/png', got.ctx);
});

test('PUT /api/application-images/favicon with a WebP-less junk file is refused', async () => {
  const res = await upload(admin, '/api/application-images/favicon', JUNK, { filename: 'favicon.ico', type: 'image/x-icon' });
  assert.ok(res.status === 415 || res.status === 400, res.ctx);
  assert.ok(['file_type_not_supported', 'invalid_image'].includes(res.json?.code), res.ctx);
});

test('PUT /api/application-images/background with junk is refused, the background stays', async () => {
  const res = await upload(admin, '/api/application-images/background', JUNK, { filename: 'bg.webp', type: 'image/webp' });
  assert.ok(res.status === 415 || res.status === 400, res.ctx);
  expectStatus(await new Browser(srv).get('/api/application-images/background'), 200);
});

test('PUT /api/application-images/logo without a file part is 400 validation_failed', async () => {
  const res = await upload(admin, '/api/application-images/logo', png(4, 4), { name: 'notfile' });
  expectStatus(res, 400, 'validation_failed');
});

test('PUT /api/application-images/logo with a JSON body is 400', async () => {
  const res = await admin.put('/api/application-images/logo', { file: 'x' });
  assert.equal(res.status, 400, res.ctx);
});

test('PUT /api/application-images/logo over 10 MB is refused (413)', async () => {
  const big = Buffer.concat([png(8, 8), Buffer.alloc(10 * 1024 * 1024 + 1024)]);
  const res = await upload(admin, '/api/application-images/logo', big);
  assert.equal(res.status, 413, res.ctx);
});

test('PUT /api/application-images/logo as a non-admin is 403 forbidden', async () => {
  const { browser } = await nonAdmin();
  expectStatus(await upload(browser, '/api/application-images/logo', png(8, 8)), 403, 'forbidden');
});

test('PUT /api/application-images/logo signed out is 401 not_signed_in', async () => {
  expectStatus(await upload(new Browser(srv), '/api/application-images/logo', png(8, 8)), 401, 'not_signed_in');
});

test('DELETE /api/application-images/logo: 204, then 404; a second DELETE is 404', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  expectStatus(await upload(a, '/api/application-images/logo', png(8, 8)), 204);
  expectStatus(await a.del('/api/application-images/logo'), 204);
  expectStatus(await new Browser(s).get('/api/application-images/logo'), 404, 'image_not_found');
  expectStatus(await a.del('/api/application-images/logo'), 404, 'image_not_found');
});

test('DELETE /api/application-images/background: gone, and not re-created by a restart', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  expectStatus(await a.del('/api/application-images/background'), 204);
  expectStatus(await new Browser(s).get('/api/application-images/background'), 404, 'image_not_found');
  await s.stop();
  const again = await startServer({ reuse: s });
  expectStatus(await new Browser(again).get('/api/application-images/background'), 404, 'image_not_found');
});

test('DELETE /api/application-images/logo as a non-admin is 403 forbidden', async () => {
  const { browser } = await nonAdmin();
  expectStatus(await browser.del('/api/application-images/logo'), 403, 'forbidden');
});

test('GET /api/application-images/default-profile-picture: 404 when none; admin only', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  expectStatus(await a.get('/api/application-images/default-profile-picture'), 404, 'image_not_found');
  const u = await insertUser(s);
  const b = await signInAs(s, a, u.id);
  expectStatus(await b.get('/api/application-images/default-profile-picture'), 403, 'forbidden');
});

test('uploads survive a restart', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  expectStatus(await upload(a, '/api/application-images/logo', png(24, 12)), 204);
  await s.stop();
  const again = await startServer({ reuse: s });
  assert.deepEqual(pngSize(expectStatus(await new Browser(again).get('/api/application-images/logo'), 200).body), [24, 12]);
});

/* ---------- profile pictures ---------- */

async function picture(s, id) {
  const res = expectStatus(await new Browser(s).get(`/api/users/${id}/profile-picture.png`), 200);
  assert.equal(res.headers['content-type'], 'image/png', res.ctx);
  assert.deepEqual(pngSize(res.body), [300, 300], `a 300x300 PNG${res.ctx}`);
  return res;
}

test('GET /api/users/:id/profile-picture.png: public, a 300x300 PNG of the initials', async () => {
  const u = await insertUser(srv, { firstName: 'Tim', lastName: 'Cook' });
  const res = await picture(srv, u.id);
  assert.match(res.headers['cache-control'] || '', /^public, max-age=900/, res.ctx);
});

test('the same initials give the same picture, other initials another', async () => {
  const a = await insertUser(srv, { firstName: 'Tim', lastName: 'Cook' });
  const b = await insertUser(srv, { firstName: 'Tom', lastName: 'Clark' });
  const c = await insertUser(srv, { firstName: 'Craig', lastName: 'Federighi' });
  const pa = (await picture(srv, a.id)).body;
  assert.ok(pa.equals((await picture(srv, b.id)).body), 'TC and TC');
  assert.ok(!pa.equals((await picture(srv, c.id)).body), 'TC and CF');
});

test('GET /api/users/:id/profile-picture.png with an id that is not a UUID is 400 validation_failed', async () => {
  expectStatus(await new Browser(srv).get('/api/users/not-a-uuid/profile-picture.png'), 400, 'validation_failed');
});

test('GET /api/users/:id/profile-picture.png of an unknown user is 404', async () => {
  const res = await new Browser(srv).get(`/api/users/${crypto.randomUUID()}/profile-picture.png`);
  assert.equal(res.status, 404, res.ctx);
});

test('PUT /api/users/me/profile-picture: 204, a 300x300 PNG of it; DELETE brings the initials back', async () => {
  const { user, browser } = await nonAdmin();
  const before = (await picture(srv, user.id)).body;
  expectStatus(await upload(browser, '/api/users/me/profile-picture', png(640, 480, (x) => [x % 256, 90, 200])), 204);
  const after = (await picture(srv, user.id)).body;
  assert.ok(!after.equals(before), 'the picture changed');
  expectStatus(await browser.del('/api/users/me/profile-picture'), 204);
  assert.ok((await picture(srv, user.id)).body.equals(before), 'back to the initials');
});

test('PUT /api/users/me/profile-picture with junk is 400 invalid_image', async () => {
  const { browser } = await nonAdmin();
  const res = await upload(browser, '/api/users/me/profile-picture', JUNK, { filename: 'me.png' });
  assert.equal(res.status, 400, res.ctx);
  assert.ok(['invalid_image', 'file_type_not_supported'].includes(res.json?.code), res.ctx);
});

test('PUT /api/users/me/profile-picture with an SVG is refused', async () => {
  const { browser } = await nonAdmin();
  const res = await upload(browser, '/api/users/me/profile-picture', SVG, { filename: 'me.svg', type: 'image/svg+xml' });
  assert.ok(res.status === 400 || res.status === 415, res.ctx);
});

test('PUT /api/users/me/profile-picture signed out is 401 not_signed_in', async () => {
  expectStatus(await upload(new Browser(srv), '/api/users/me/profile-picture', png(8, 8)), 401, 'not_signed_in');
});

test('an admin sets and removes another user\'s picture', async () => {
  const u = await insertUser(srv, { firstName: 'Zed', lastName: 'Zulu' });
  const before = (await picture(srv, u.id)).body;
  expectStatus(await upload(admin, `/api/users/${u.id}/profile-picture`, png(100, 300)), 204);
  assert.ok(!(await picture(srv, u.id)).body.equals(before));
  expectStatus(await admin.del(`/api/users/${u.id}/profile-picture`), 204);
  assert.ok((await picture(srv, u.id)).body.equals(before));
});

test('PUT /api/users/:id/profile-picture of another user as a non-admin is 403 forbidden', async () => {
  const { browser } = await nonAdmin();
  expectStatus(await upload(browser, `/api/users/${adminUser.id}/profile-picture`, png(8, 8)), 403, 'forbidden');
});

test('DELETE /api/users/:id/profile-picture as a non-admin is 403 forbidden', async () => {
  const { browser } = await nonAdmin();
  expectStatus(await browser.del(`/api/users/${adminUser.id}/profile-picture`), 403, 'forbidden');
});

test('the default-profile-picture app image replaces the initials of users without a picture', async () => {
  const s = await startServer();
  const { browser: a } = await setupAdmin(s);
  const u = await insertUser(s, { firstName: 'Ann', lastName: 'Bee' });
  const b = await signInAs(s, a, u.id);
  const initials = (await picture(s, u.id)).body;
  expectStatus(await upload(a, '/api/application-images/default-profile-picture', png(300, 300, () => [0, 128, 0])), 204);
  expectStatus(await a.get('/api/application-images/default-profile-picture'), 200);
  const dflt = expectStatus(await new Browser(s).get(`/api/users/${u.id}/profile-picture.png`), 200);
  assert.ok(!dflt.body.equals(initials), dflt.ctx);
  // a custom picture still wins
  expectStatus(await upload(b, '/api/users/me/profile-picture', png(50, 50, () => [255, 255, 0])), 204);
  const own = expectStatus(await new Browser(s).get(`/api/users/${u.id}/profile-picture.png`), 200);
  assert.ok(!own.body.equals(dflt.body), own.ctx);
  // removing the default brings the initials back for users without a picture
  expectStatus(await a.del('/api/application-images/default-profile-picture'), 204);
  const v = await insertUser(s, { firstName: 'Ann', lastName: 'Bee' });
  assert.ok((await picture(s, v.id)).body.equals(initials));
});

test('deleting a user removes its picture', async () => {
  const { user, browser } = await nonAdmin();
  expectStatus(await upload(browser, '/api/users/me/profile-picture', png(30, 30)), 204);
  expectStatus(await admin.del(`/api/users/${user.id}`), 204);
  const res = await new Browser(srv).get(`/api/users/${user.id}/profile-picture.png`);
  assert.equal(res.status, 404, res.ctx);
});
