// Application images and profile pictures (issue 4; reference §1.4, §1.9, §8.9, §8.10;
// checklist 38-41), from outside: the bundled defaults; types sniffed from the bytes
// whatever the file name and Content-Type say; metadata stripped; crop, scale, EXIF
// orientation and transparency checked on the pixels of the answers (a small PNG decoder
// below); JPEG, GIF and WebP uploads; bombs refused from the header; Pocket ID's size and
// type errors; deletion markers; an existing Pocket ID upload folder; UPLOAD_PATH; and
// FILE_BACKEND=database with two servers sharing one database.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, rawRequest, parseRaw, waitFor } from './harness.mjs';
import { Browser, expectStatus, setupAdmin, insertUser, signInAs, sql, q, UUID } from './client.mjs';

const APP_CACHE = 'public, max-age=900, stale-while-revalidate=86400';
const PICTURE_CACHE = 'public, max-age=900, stale-while-revalidate=3600';

/* ---------- test images ---------- */

// 64x32, quarters green | red | blue | green (its centre square: red | blue), quality 90;
// the second with EXIF orientation 6 (shown turned 90 degrees clockwise: red over blue);
// the GIF the same picture.
const JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMU' +
  'FRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU' +
  'FBQUFBQUFBT/wAARCAAgAEADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUF' +
  'BAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVW' +
  'V1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi' +
  '4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAEC' +
  'AxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVm' +
  'Z2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq' +
  '8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDu6KKK/h8/ziPjmiiiv20/6cDwKiiiv9xj/HQ/UOiiiv8AnMP4aCiiigD45ooor9tP+nA8' +
  'Cooor/cY/wAdD9Q6KKK/5zD+Gj//2Q==',
  'base64');
const JPEG_ROTATED = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/4QAiRXhpZgAASUkqAAgAAAABABIBAwABAAAABgAAAAAAAAD/2wBDAAMCAgMCAgMDAwMEAwME' +
  'BQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQU' +
  'FBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAgAEADASIAAhEBAxEB/8QAHwAAAQUBAQEB' +
  'AQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAk' +
  'M2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKj' +
  'pKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAA' +
  'AAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl' +
  '8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmq' +
  'srO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDu6KKK/h8/ziPjmiiiv20/' +
  '6cDwKiiiv9xj/HQ/UOiiiv8AnMP4aCiiigD45ooor9tP+nA8Cooor/cY/wAdD9Q6KKK/5zD+Gj//2Q==',
  'base64');
const GIF = Buffer.from(
  'R0lGODdhQAAgAJEAAP8AAAAA/wD/AAAAACwAAAAAQAAgAAAChJSPKcDtD4KctAaFszawNwtO2zh6XhiSKmZ2KLjGRwu9lizTj13h' +
  'se7gUXwr4EcoIaqMDGRSWWI6L9ANM+KsWqVZbeY69X65SDGLLDQrwF31DM1zI9hlOQdus9+NYT097Yf3orcgiEL4FxfI1yaXmLcI' +
  '1Gf3OBipM+lomHJJk+lWeRhTAAA7',
  'base64');

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(buf) {
  let c = -1;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** An RGBA PNG of w x h from paint(x, y) -> [r, g, b, a]; extra ancillary chunks optional. */
function png(w, h, paint, { text } = {}) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const raw = Buffer.alloc((w * 4 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) raw.set(paint(x, y), y * (w * 4 + 1) + 1 + x * 4);
  }
  const parts = [Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr)];
  if (text) parts.push(chunk('tEXt', Buffer.from(`Comment\0${text}`, 'latin1')));
  parts.push(chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** Decodes an 8-bit, non-interlaced gray, RGB or RGBA PNG: {width, height, rgba(x, y)}. */
function decodePng(buf) {
  assert.equal(buf.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'not a PNG');
  let off = 8, w, h, type;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), kind = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (kind === 'IHDR') {
      w = data.readUInt32BE(0);
      h = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth');
      assert.equal(data[12], 0, 'interlace');
      type = data[9];
    } else if (kind === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const ch = { 0: 1, 2: 3, 6: 4 }[type];
  assert.ok(ch, `colour type ${type}`);
  const raw = zlib.inflateSync(Buffer.concat(idat)), stride = w * ch, px = Buffer.alloc(stride * h);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= ch ? px[y * stride + i - ch] : 0, b = y ? px[(y - 1) * stride + i] : 0;
      const c = i >= ch && y ? px[(y - 1) * stride + i - ch] : 0;
      let v = line[i];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[y * stride + i] = v & 0xff;
    }
  }
  return {
    width: w, height: h, channels: ch,
    rgba(x, y) {
      const p = px.subarray((y * w + x) * ch, (y * w + x + 1) * ch);
      return ch === 1 ? [p[0], p[0], p[0], 255] : ch === 3 ? [...p, 255] : [...p];
    },
  };
}

const near = (got, want, tol, ctx) => {
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `pixel ${got} is not near ${want}${ctx}`);
};

/** Dark pixels in a rectangle of a decoded picture. */
function dark(img, x0, y0, x1, y1) {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (img.rgba(x, y)[0] < 128) n++;
  return n;
}

const RED_BLUE = png(40, 20, (x) => (x < 20 ? [255, 0, 0, 255] : [0, 0, 255, 255]));
const SVG = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>');

/** A multipart/form-data body: parts [{name, filename, type, data}]. */
function multipart(parts) {
  const boundary = `----symbolon${Math.random().toString(16).slice(2)}`;
  const chunks = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

/** PUT a file as multipart `file`; the file name and Content-Type deliberately say nothing true. */
function upload(browser, pathname, data, { filename = 'upload.bin', type = 'application/octet-stream', name = 'file' } = {}) {
  const m = multipart([{ name, filename, type, data }]);
  return browser.call('PUT', pathname, { body: m.body, headers: { 'content-type': m.type } });
}

/* ---------- the server ---------- */

let srv, admin, adminUser, user, userBrowser, bundledBackground;
before(async () => {
  srv = await startServer();
  bundledBackground = (await new Browser(srv).get('/api/application-images/background')).body;
  ({ browser: admin, user: adminUser } = await setupAdmin(srv, { firstName: 'Tim', lastName: 'Cook' }));
  user = await insertUser(srv, { firstName: 'Craig', lastName: 'Federighi' });
  userBrowser = await signInAs(srv, admin, user.id);
});

const anon = () => new Browser(srv);
const IMG = '/api/application-images';

/* ---------- application images ---------- */

test('GET favicon, background and email serve the bundled defaults with the cache headers', async () => {
  const want = { favicon: 'image/x-icon', background: 'image/webp', email: 'image/png' };
  for (const [name, type] of Object.entries(want)) {
    const res = expectStatus(await anon().get(`${IMG}/${name}`), 200);
    assert.equal(res.headers['content-type'], type, res.ctx);
    assert.equal(res.headers['cache-control'], APP_CACHE, res.ctx);
    assert.match(res.headers['content-security-policy'], /sandbox/, res.ctx);
    assert.ok(res.body.length > 100, res.ctx);
    const skip = expectStatus(await anon().get(`${IMG}/${name}?skipCache=true`), 200);
    assert.equal(skip.headers['cache-control'], 'private, no-store', skip.ctx);
    assert.deepEqual(skip.body, res.body, skip.ctx);
  }
  const ico = (await anon().get(`${IMG}/favicon`)).body;
  assert.equal(ico.subarray(0, 4).toString('hex'), '00000100', 'an ICO file');
  const head = await anon().call('HEAD', `${IMG}/background`);
  assert.equal(head.status, 200, head.ctx);
  assert.equal(head.body.length, 0, head.ctx);
  assert.equal(head.headers['content-type'], 'image/webp', head.ctx);
});

test('GET logo: no bundled logo, 404 image_not_found (light and dark)', async () => {
  for (const p of ['logo', 'logo?light=true', 'logo?light=false']) {
    const res = expectStatus(await anon().get(`${IMG}/${p}`), 404, 'image_not_found');
    assert.equal(res.json.error, 'Image not found', res.ctx);
  }
});

test('GET default-profile-picture is for admins, and 404 until one is uploaded', async () => {
  expectStatus(await anon().get(`${IMG}/default-profile-picture`), 401, 'not_signed_in');
  expectStatus(await userBrowser.get(`${IMG}/default-profile-picture`), 403, 'forbidden');
  expectStatus(await admin.get(`${IMG}/default-profile-picture`), 404, 'image_not_found');
});

test('PUT logo: the type comes from the bytes, the light and dark logos are separate, DELETE removes each', async () => {
  // a PNG sent as "logo.svg" with Content-Type text/plain is still a PNG
  const put = await upload(admin, `${IMG}/logo`, RED_BLUE, { filename: 'logo.svg', type: 'text/plain' });
  expectStatus(put, 204);
  let res = expectStatus(await anon().get(`${IMG}/logo`), 200);
  assert.equal(res.headers['content-type'], 'image/png', res.ctx);
  assert.deepEqual(res.body, RED_BLUE, res.ctx);
  assert.equal(res.headers['cache-control'], APP_CACHE, res.ctx);
  expectStatus(await anon().get(`${IMG}/logo?light=false`), 404, 'image_not_found');

  expectStatus(await upload(admin, `${IMG}/logo?light=false`, SVG, { filename: 'dark.png', type: 'image/png' }), 204);
  res = expectStatus(await anon().get(`${IMG}/logo?light=false`), 200);
  assert.equal(res.headers['content-type'], 'image/svg+xml', res.ctx);
  assert.deepEqual(res.body, SVG, res.ctx);
  // an SVG opened directly runs nothing
  assert.match(res.headers['content-security-policy'], /default-src 'none'.*sandbox/, res.ctx);
  assert.equal((await anon().get(`${IMG}/logo?light=true`)).headers['content-type'], 'image/png');

  // replacing the dark logo with another type leaves one file
  expectStatus(await upload(admin, `${IMG}/logo?light=false`, RED_BLUE), 204);
  res = expectStatus(await anon().get(`${IMG}/logo?light=false`), 200);
  assert.equal(res.headers['content-type'], 'image/png', res.ctx);
  const dir = path.join(srv.dir, 'data', 'uploads', 'application-images');
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('logoDark')), ['logoDark.png']);

  expectStatus(await admin.del(`${IMG}/logo?light=false`), 204);
  expectStatus(await anon().get(`${IMG}/logo?light=false`), 404, 'image_not_found');
  expectStatus(await admin.del(`${IMG}/logo?light=false`), 404, 'image_not_found');
  expectStatus(await anon().get(`${IMG}/logo`), 200);
  expectStatus(await admin.del(`${IMG}/logo`), 204);
  expectStatus(await anon().get(`${IMG}/logo`), 404, 'image_not_found');
});

test('uploads lose their metadata (PNG text, JPEG EXIF and comments)', async () => {
  const tagged = png(8, 8, () => [1, 2, 3, 255], { text: 'GPS 48.8584 N, 2.2945 E' });
  expectStatus(await upload(admin, `${IMG}/logo`, tagged), 204);
  const res = expectStatus(await anon().get(`${IMG}/logo`), 200);
  assert.ok(!res.body.includes('GPS'), 'the tEXt chunk is gone');
  assert.equal(res.body.length, tagged.length - 12 - 'Comment\0GPS 48.8584 N, 2.2945 E'.length, res.ctx);
  assert.deepEqual(decodePng(res.body).rgba(3, 3), [1, 2, 3, 255]);
  expectStatus(await upload(admin, `${IMG}/background`, JPEG_ROTATED), 204);
  const bg = expectStatus(await anon().get(`${IMG}/background`), 200);
  assert.equal(bg.headers['content-type'], 'image/jpeg', bg.ctx);
  assert.ok(!bg.body.includes('Exif'), 'the EXIF segment is gone');
  assert.ok(bg.body.length < JPEG_ROTATED.length, bg.ctx);
  expectStatus(await admin.del(`${IMG}/logo`), 204);
});

test('PUT email: PNG or JPEG only (415 file_type_not_supported)', async () => {
  for (const [data, what] of [[SVG, 'svg'], [GIF, 'gif'], [Buffer.from('hello'), 'text']]) {
    const res = expectStatus(await upload(admin, `${IMG}/email`, data, { filename: `logo.png` }), 415, 'file_type_not_supported');
    assert.equal(res.json.error, 'File must be of type PNG or JPEG', `${what}${res.ctx}`);
    assert.deepEqual(res.json.details, { expected_file_type: 'PNG or JPEG' }, res.ctx);
  }
  expectStatus(await upload(admin, `${IMG}/email`, JPEG, { filename: 'x.svg' }), 204);
  const res = expectStatus(await anon().get(`${IMG}/email`), 200);
  assert.equal(res.headers['content-type'], 'image/jpeg', res.ctx);
  expectStatus(await upload(admin, `${IMG}/email`, RED_BLUE), 204);
  assert.equal((await anon().get(`${IMG}/email`)).headers['content-type'], 'image/png');
});

test('PUT favicon: SVG, PNG or ICO only', async () => {
  const res = expectStatus(await upload(admin, `${IMG}/favicon`, JPEG, { filename: 'favicon.ico' }), 415, 'file_type_not_supported');
  assert.equal(res.json.error, 'File must be of type SVG, PNG, or ICO', res.ctx);
  const ico = (await anon().get(`${IMG}/favicon`)).body;
  expectStatus(await upload(admin, `${IMG}/favicon`, SVG), 204);
  assert.equal((await anon().get(`${IMG}/favicon`)).headers['content-type'], 'image/svg+xml');
  expectStatus(await upload(admin, `${IMG}/favicon`, ico), 204);
  const back = expectStatus(await anon().get(`${IMG}/favicon`), 200);
  assert.equal(back.headers['content-type'], 'image/x-icon', back.ctx);
  assert.deepEqual(back.body, ico, back.ctx);
  // there is no DELETE for the favicon and the email logo
  assert.equal((await admin.del(`${IMG}/favicon`)).status, 404);
  assert.equal((await admin.del(`${IMG}/email`)).status, 404);
});

test('PUT background, default-profile-picture: any image type, nothing else', async () => {
  for (const name of ['background', 'default-profile-picture', 'logo']) {
    const res = expectStatus(await upload(admin, `${IMG}/${name}`, Buffer.from('just some text, named .png'), { filename: 'a.png', type: 'image/png' }), 415, 'file_type_not_supported');
    assert.equal(res.json.error, 'File type is not supported', res.ctx);
    // a PNG signature over garbage is refused as an invalid image
    const broken = Buffer.concat([RED_BLUE.subarray(0, 40), Buffer.from('garbage')]);
    expectStatus(await upload(admin, `${IMG}/${name}`, broken), 400, 'invalid_image');
  }
});

test('DELETE background: the bundled default stays away (deletion marker) until an upload', async () => {
  expectStatus(await admin.del(`${IMG}/background`), 204); // the JPEG uploaded above
  expectStatus(await anon().get(`${IMG}/background`), 404, 'image_not_found');
  expectStatus(await admin.del(`${IMG}/background`), 404, 'image_not_found');
  const marker = path.join(srv.dir, 'data', 'uploads', 'application-images', '.deleted', 'background');
  assert.ok(fs.existsSync(marker), 'Pocket ID\'s marker file');
  expectStatus(await upload(admin, `${IMG}/background`, bundledBackground), 204);
  assert.ok(!fs.existsSync(marker), 'the upload removes the marker');
  assert.equal((await anon().get(`${IMG}/background`)).headers['content-type'], 'image/webp');
});

test('upload errors: no file, not multipart, too large, not an admin, not signed in', async () => {
  let res = expectStatus(await upload(admin, `${IMG}/logo`, RED_BLUE, { name: 'other' }), 400, 'validation_failed');
  assert.equal(res.json.error, 'File is required', res.ctx);
  assert.deepEqual(res.json.details.fields, [{ field: 'file', code: 'required', message: 'is required' }], res.ctx);
  // a `file` field without a file name is a form value, not a file (Go's FormFile)
  const m = multipart([{ name: 'file', data: RED_BLUE }]);
  expectStatus(await admin.call('PUT', `${IMG}/logo`, { body: m.body, headers: { 'content-type': m.type } }), 400, 'validation_failed');
  expectStatus(await admin.put(`${IMG}/logo`, { file: 'x' }), 400, 'invalid_request_body');
  res = await admin.call('PUT', `${IMG}/logo`, { body: Buffer.from('--x\r\nnot a part'), headers: { 'content-type': 'multipart/form-data; boundary=x' } });
  expectStatus(res, 400, 'invalid_request_body');
  // 10 MiB + 1 byte of file: Pocket ID's file_too_large
  const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x41);
  res = expectStatus(await upload(admin, `${IMG}/background`, big), 413, 'file_too_large');
  assert.equal(res.json.error, 'File must not exceed 10 MB', res.ctx);
  res = expectStatus(await upload(admin, '/api/users/me/profile-picture', big), 413, 'file_too_large');
  // far more than that: refused from the Content-Length, before the body is read
  const raw = await rawRequest(srv.port, `PUT ${IMG}/background HTTP/1.1\r\nHost: localhost\r\n`
    + `Cookie: access_token=${admin.cookie('access_token')}\r\nContent-Type: multipart/form-data; boundary=x\r\n`
    + `Content-Length: ${17 * 1024 * 1024}\r\n\r\n`);
  assert.equal(parseRaw(raw.text).status, 413, raw.text);
  for (const name of ['logo', 'email', 'background', 'favicon', 'default-profile-picture']) {
    expectStatus(await upload(userBrowser, `${IMG}/${name}`, RED_BLUE), 403, 'forbidden');
    expectStatus(await upload(anon(), `${IMG}/${name}`, RED_BLUE), 401, 'not_signed_in');
  }
  for (const name of ['logo', 'background', 'default-profile-picture']) {
    expectStatus(await userBrowser.del(`${IMG}/${name}`), 403, 'forbidden');
    expectStatus(await anon().del(`${IMG}/${name}`), 401, 'not_signed_in');
  }
});

/* ---------- profile pictures ---------- */

const picture = (id) => `/api/users/${id}/profile-picture.png`;

test('GET profile-picture.png: the generated initials picture, 300x300, public', async () => {
  const res = expectStatus(await anon().get(picture(adminUser.id)), 200);
  assert.equal(res.headers['content-type'], 'image/png', res.ctx);
  assert.equal(res.headers['cache-control'], PICTURE_CACHE, res.ctx);
  const img = decodePng(res.body);
  assert.equal(img.width, 300);
  assert.equal(img.height, 300);
  // white corners, black letters on both sides of the middle ("TC")
  assert.deepEqual(img.rgba(0, 0), [255, 255, 255, 255]);
  assert.deepEqual(img.rgba(299, 299), [255, 255, 255, 255]);
  assert.ok(dark(img, 0, 0, 150, 300) > 500 && dark(img, 150, 0, 300, 300) > 500, 'two letters');
  assert.ok(dark(img, 0, 100, 300, 200) > dark(img, 0, 0, 300, 100) + dark(img, 0, 200, 300, 300), 'vertically centred');
  // another user's initials differ; the same initials give the same picture
  const craig = expectStatus(await anon().get(picture(user.id)), 200);
  assert.notDeepEqual(craig.body, res.body);
  const other = await insertUser(srv, { firstName: 'tom', lastName: 'cruise' });
  assert.deepEqual((await anon().get(picture(other.id))).body, res.body, 'TC again');
  // without names: the first two letters of the username
  const bare = await insertUser(srv, { username: `zq${Date.now()}`, firstName: '', lastName: '' });
  const zq = decodePng((await anon().get(picture(bare.id))).body);
  assert.ok(dark(zq, 0, 0, 300, 300) > 500);
});

test('GET profile-picture.png: 400 for an id that is not a UUID, 404 for an unknown user', async () => {
  for (const id of ['me', 'not-a-uuid', '5e0d9b8e-0a3b-4c57-9d8e-2f3c4b5a6d7g', `${adminUser.id}x`]) {
    const res = expectStatus(await anon().get(picture(id)), 400, 'validation_failed');
    assert.deepEqual(res.json.details.fields, [{ field: 'userId', code: 'invalid_format', message: 'must be a valid UUID' }], res.ctx);
  }
  const res = expectStatus(await anon().get(picture('5e0d9b8e-0a3b-4c57-9d8e-2f3c4b5a6d7e')), 404, 'user_not_found');
  assert.equal(res.json.error, 'User not found', res.ctx);
});

test('PUT /api/users/me/profile-picture: any photo becomes a centre-cropped 300x300 PNG (EXIF orientation applied)', async () => {
  const before = (await anon().get(picture(user.id))).body;
  expectStatus(await upload(userBrowser, '/api/users/me/profile-picture', JPEG_ROTATED, { filename: 'me.txt' }), 204);
  let res = expectStatus(await anon().get(picture(user.id)), 200);
  let img = decodePng(res.body);
  assert.equal(img.width, 300);
  assert.equal(img.height, 300);
  assert.equal(img.channels, 3, 'opaque pictures are stored as RGB');
  // the centre square (red | blue) turned a quarter clockwise: red over blue, no green
  near(img.rgba(150, 60), [255, 0, 0], 60, ' (top)');
  near(img.rgba(150, 240), [0, 0, 255], 60, ' (bottom)');
  for (const [x, y] of [[20, 20], [280, 20], [20, 280], [280, 280]]) assert.ok(img.rgba(x, y)[1] < 80, 'no green');
  // the same picture without EXIF: red | blue
  expectStatus(await upload(userBrowser, '/api/users/me/profile-picture', JPEG), 204);
  img = decodePng((await anon().get(picture(user.id))).body);
  near(img.rgba(60, 150), [255, 0, 0], 60, ' (left)');
  near(img.rgba(240, 150), [0, 0, 255], 60, ' (right)');
  // GIF and WebP (the bundled background, a 16:9 gradient) decode too
  expectStatus(await upload(userBrowser, '/api/users/me/profile-picture', GIF), 204);
  img = decodePng((await anon().get(picture(user.id))).body);
  near(img.rgba(60, 150), [255, 0, 0], 0, ' (GIF left)');
  near(img.rgba(240, 150), [0, 0, 255], 0, ' (GIF right)');
  expectStatus(await upload(userBrowser, '/api/users/me/profile-picture', bundledBackground), 204);
  assert.equal(decodePng((await anon().get(picture(user.id))).body).width, 300);
  // transparency survives
  expectStatus(await upload(userBrowser, '/api/users/me/profile-picture', png(10, 10, (x) => [0, 0, 0, x < 5 ? 0 : 255])), 204);
  img = decodePng((await anon().get(picture(user.id))).body);
  assert.equal(img.channels, 4);
  assert.equal(img.rgba(10, 150)[3], 0);
  assert.equal(img.rgba(290, 150)[3], 255);
  // DELETE: the initials again
  expectStatus(await userBrowser.del('/api/users/me/profile-picture'), 204);
  expectStatus(await userBrowser.del('/api/users/me/profile-picture'), 204);
  res = expectStatus(await anon().get(picture(user.id)), 200);
  assert.deepEqual(res.body, before, res.ctx);
});

test('PUT profile-picture: 400 invalid_image for anything that does not decode', async () => {
  const cases = [SVG, Buffer.from('plain text'), JPEG.subarray(0, 200), Buffer.concat([RED_BLUE.subarray(0, 33), Buffer.alloc(100)])];
  for (const data of cases) {
    const res = expectStatus(await upload(userBrowser, '/api/users/me/profile-picture', data), 400, 'invalid_image');
    assert.equal(res.json.error, 'File is not a valid image', res.ctx);
  }
  // a decompression bomb: a PNG whose header claims 8000 x 8000 pixels
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8000, 0);
  ihdr.writeUInt32BE(8000, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  const bomb = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(8001 * 8000), { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
  assert.ok(bomb.length < 200 * 1024);
  const started = Date.now();
  expectStatus(await upload(userBrowser, '/api/users/me/profile-picture', bomb), 400, 'invalid_image');
  assert.ok(Date.now() - started < 5000, 'refused from the header, not decoded');
  await waitFor(() => /invalid image: the image is too large/.test(srv.logs()), { msg: () => 'the reason in the log' });
  expectStatus(await anon().get(picture(user.id)), 200);
});

test('admin profile-picture routes: another user, 403 for others, 400/404 for bad ids', async () => {
  expectStatus(await upload(admin, `/api/users/${user.id}/profile-picture`, RED_BLUE), 204);
  let img = decodePng((await anon().get(picture(user.id))).body);
  near(img.rgba(60, 150), [255, 0, 0], 0, ' (left)');
  expectStatus(await upload(userBrowser, `/api/users/${adminUser.id}/profile-picture`, RED_BLUE), 403, 'forbidden');
  expectStatus(await userBrowser.del(`/api/users/${adminUser.id}/profile-picture`), 403, 'forbidden');
  expectStatus(await upload(anon(), '/api/users/me/profile-picture', RED_BLUE), 401, 'not_signed_in');
  expectStatus(await anon().del('/api/users/me/profile-picture'), 401, 'not_signed_in');
  expectStatus(await upload(admin, '/api/users/nope/profile-picture', RED_BLUE), 400, 'validation_failed');
  expectStatus(await upload(admin, '/api/users/5e0d9b8e-0a3b-4c57-9d8e-2f3c4b5a6d7e/profile-picture', RED_BLUE), 404, 'user_not_found');
  expectStatus(await admin.del('/api/users/5e0d9b8e-0a3b-4c57-9d8e-2f3c4b5a6d7e/profile-picture'), 404, 'user_not_found');
  expectStatus(await admin.del(`/api/users/${user.id}/profile-picture`), 204);
  img = decodePng((await anon().get(picture(user.id))).body);
  assert.equal(img.channels, 1, 'the initials picture (grey) again');
  assert.ok(!fs.existsSync(path.join(srv.dir, 'data', 'uploads', 'profile-pictures', `${user.id}.png`)));
});

test('the default-profile-picture image replaces the initials of users without a picture', async () => {
  const square = png(20, 20, () => [0, 128, 0, 255]);
  expectStatus(await upload(admin, `${IMG}/default-profile-picture`, square), 204);
  let res = expectStatus(await admin.get(`${IMG}/default-profile-picture`), 200);
  assert.deepEqual(res.body, square, res.ctx);
  res = expectStatus(await anon().get(picture(user.id)), 200);
  assert.equal(res.headers['content-type'], 'image/png', res.ctx);
  assert.deepEqual(res.body, square, res.ctx);
  // a user's own picture still wins
  expectStatus(await upload(userBrowser, '/api/users/me/profile-picture', RED_BLUE), 204);
  assert.notDeepEqual((await anon().get(picture(user.id))).body, square);
  // any type is served with its own Content-Type
  expectStatus(await upload(admin, `${IMG}/default-profile-picture`, JPEG), 204);
  res = expectStatus(await anon().get(picture(adminUser.id)), 200);
  assert.equal(res.headers['content-type'], 'image/jpeg', res.ctx);
  expectStatus(await admin.del(`${IMG}/default-profile-picture`), 204);
  expectStatus(await admin.del(`${IMG}/default-profile-picture`), 404, 'image_not_found');
  assert.equal(decodePng((await anon().get(picture(adminUser.id))).body).channels, 1, 'initials again');
  expectStatus(await userBrowser.del('/api/users/me/profile-picture'), 204);
});

/* ---------- FILE_BACKEND=database ---------- */

test('FILE_BACKEND=database: files live in the storage table, shared by two servers on one database', async () => {
  const a = await startServer({ env: { FILE_BACKEND: 'database' } });
  const { browser: adm, user: me } = await setupAdmin(a, { firstName: 'Ann', lastName: 'Bee' });
  const b = await startServer({ reuse: a, env: { FILE_BACKEND: 'database' } });
  expectStatus(await upload(adm, `${IMG}/logo?light=false`, RED_BLUE), 204);
  expectStatus(await upload(adm, '/api/users/me/profile-picture', JPEG), 204);
  const onB = new Browser(b);
  let res = expectStatus(await onB.get(`${IMG}/logo?light=false`), 200);
  assert.deepEqual(res.body, RED_BLUE, res.ctx);
  assert.equal(decodePng((await onB.get(picture(me.id))).body).width, 300);
  const rows = await sql(a, 'SELECT path, size FROM storage ORDER BY path');
  assert.deepEqual(rows.map((r) => r[0]), ['application-images/logoDark.png', `profile-pictures/${me.id}.png`]);
  assert.equal(Number(rows[0][1]), RED_BLUE.length);
  assert.ok(!fs.existsSync(path.join(a.dir, 'data', 'uploads')), 'nothing on disk');
  // a replacement with another type and a deletion, seen from the other server
  expectStatus(await upload(adm, `${IMG}/logo?light=false`, SVG), 204);
  res = expectStatus(await onB.get(`${IMG}/logo?light=false`), 200);
  assert.equal(res.headers['content-type'], 'image/svg+xml', res.ctx);
  assert.deepEqual((await sql(a, `SELECT count(*) FROM storage WHERE path LIKE ${q('application-images/logoDark%')}`))[0], ['1']);
  expectStatus(await adm.del(`${IMG}/background`), 204);
  expectStatus(await onB.get(`${IMG}/background`), 404, 'image_not_found');
  assert.deepEqual(await sql(a, `SELECT path, size FROM storage WHERE path = ${q('application-images/.deleted/background')}`),
    [['application-images/.deleted/background', '0']]);
  expectStatus(await adm.del('/api/users/me/profile-picture'), 204);
  assert.equal(decodePng((await onB.get(picture(me.id))).body).channels, 1);
  await b.stop();
});

test('an existing Pocket ID upload folder is served as it is', async () => {
  const s2 = await startServer({
    env: ({ dir }) => {
      const d = path.join(dir, 'data', 'uploads', 'application-images');
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, 'logoLight.jpeg'), JPEG);
      fs.writeFileSync(path.join(d, 'favicon.ico'), RED_BLUE); // a PNG under .ico: served by its name, as Pocket ID
      return {};
    },
  });
  const b = new Browser(s2);
  let res = expectStatus(await b.get(`${IMG}/logo`), 200);
  assert.equal(res.headers['content-type'], 'image/jpeg', res.ctx);
  assert.deepEqual(res.body, JPEG, res.ctx);
  res = expectStatus(await b.get(`${IMG}/favicon`), 200);
  assert.equal(res.headers['content-type'], 'image/x-icon', res.ctx);
  assert.deepEqual(res.body, RED_BLUE, res.ctx);
  // UPLOAD_PATH moves the folder
  const s3 = await startServer({ env: { UPLOAD_PATH: 'elsewhere/files' } });
  const { browser: adm } = await setupAdmin(s3);
  expectStatus(await upload(adm, `${IMG}/logo`, RED_BLUE), 204);
  assert.ok(fs.existsSync(path.join(s3.dir, 'elsewhere', 'files', 'application-images', 'logoLight.png')));
});
