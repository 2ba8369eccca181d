import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { md5, sleep } from './support/kit.js';
import { FILE_FIELDS, FILES, filesApi, listen } from './support/files-fixtures.js';

type Res = request.Response;

describe('GET /api/v1/files/{projectId}/{path}/ — download (spec §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof filesApi>;
  let owner: string;
  let reader: string;
  let stranger: string;
  let projectId: string;
  const v1 = Buffer.from('version one: 0123456789abcdefghijklmnopqrstuvwxyz');
  const v2 = randomBytes(4096);
  let uploaded: Record<string, any>;

  beforeAll(async () => {
    t = await startTestApp();
    await listen(t);
    f = filesApi(t);
    owner = await t.createPerson('olga');
    reader = await t.createPerson('reed');
    stranger = await t.createPerson('sam');
    projectId = (await f.project(owner, 'downloads')).id;
    await f.grant(owner, projectId, 'reed', 'reader');
    await f.put(owner, projectId, 'data.txt', v1);
    await sleep(5);
    uploaded = await f.put(owner, projectId, 'data.txt', v2);
  });
  afterAll(() => t?.close());

  it('answers 200 with the newest version’s exact bytes', async () => {
    const res = await f.download(owner, projectId, 'data.txt');
    expectStatus(res, 200);
    expect(Buffer.compare(res.body, v2)).toBe(0);
  });

  it('works without the trailing slash', async () => {
    const res = await f.download(owner, projectId, 'data.txt', { slash: false });
    expectStatus(res, 200);
    expect(md5(res.body)).toBe(md5(v2));
  });

  it('sends the md5 in double quotes as ETag', async () => {
    const res = await f.download(owner, projectId, 'data.txt');
    expect(res.headers.etag).toBe(`"${md5(v2)}"`);
    expect(res.headers.etag).toBe(`"${uploaded.md5sum}"`);
  });

  it('sends Content-Length', async () => {
    const res = await f.download(owner, projectId, 'data.txt');
    expect(res.headers['content-length']).toBe(String(v2.length));
  });

  it.each([
    ['notes.txt', /^text\/plain/],
    ['data.json', /^application\/json/],
    ['photo.png', /^image\/png$/],
    ['photo.JPG', /^image\/jpeg$/],
    ['README', /^application\/octet-stream$/],
  ])('sends a Content-Type by extension: %s', async (name, type) => {
    await f.put(owner, projectId, `types/${name}`, Buffer.from('x'));
    const res = await f.download(owner, projectId, `types/${name}`);
    expectStatus(res, 200);
    expect(res.headers['content-type']).toMatch(type);
  });

  it('serves nested and unicode paths', async () => {
    const name = 'répertoire/sous dossier/fichier n°1.txt';
    await f.put(owner, projectId, name, Buffer.from('deep'));
    const res = await f.download(owner, projectId, name);
    expectStatus(res, 200);
    expect(res.body.toString()).toBe('deep');
  });

  describe('If-None-Match', () => {
    it('with the quoted md5 is 304 without a body', async () => {
      const res = await f.download(owner, projectId, 'data.txt', { headers: { 'If-None-Match': `"${md5(v2)}"` } });
      expect(res.status).toBe(304);
      expect(res.body).toHaveLength(0);
    });

    it('with the bare md5 (as the SDK sends it) is 304', async () => {
      const res = await f.download(owner, projectId, 'data.txt', { headers: { 'If-None-Match': md5(v2) } });
      expect(res.status).toBe(304);
    });

    it('with another md5 serves the file', async () => {
      const res = await f.download(owner, projectId, 'data.txt', { headers: { 'If-None-Match': `"${md5(v1)}"` } });
      expectStatus(res, 200);
      expect(md5(res.body)).toBe(md5(v2));
    });
  });

  describe('?version=', () => {
    it('serves an older version with its own ETag', async () => {
      const res = await f.download(owner, projectId, 'data.txt', { query: { version: uploaded.versions[1].version_id } });
      expectStatus(res, 200);
      expect(res.body.toString()).toBe(v1.toString());
      expect(res.headers.etag).toBe(`"${md5(v1)}"`);
    });

    it('accepts the version id in upper case', async () => {
      const res = await f.download(owner, projectId, 'data.txt', { query: { version: uploaded.versions[1].version_id.toUpperCase() } });
      expectStatus(res, 200);
      expect(res.body.toString()).toBe(v1.toString());
    });

    it('a version id that is not a UUID is 400 validation_error', async () => {
      expectError(await f.downloadError(owner, projectId, 'data.txt', { query: { version: 'not-a-version' } }), 400, 'validation_error');
    });

    it('an unknown version is 404 object_not_found', async () => {
      expectError(await f.downloadError(owner, projectId, 'data.txt', { query: { version: randomUUID() } }), 404, 'object_not_found');
    });

    it('a version of another file is 404 object_not_found', async () => {
      const other = await f.put(owner, projectId, 'other.txt', Buffer.from('other'));
      expectError(await f.downloadError(owner, projectId, 'data.txt', { query: { version: other.versions[0].version_id } }), 404, 'object_not_found');
    });
  });

  describe('Range', () => {
    it('bytes=0-9 is 206 with Content-Range and the first 10 bytes', async () => {
      const res = await f.download(owner, projectId, 'data.txt', { headers: { Range: 'bytes=0-9' } });
      expectStatus(res, 206);
      expect(res.headers['content-range']).toBe(`bytes 0-9/${v2.length}`);
      expect(res.headers['content-length']).toBe('10');
      expect(Buffer.compare(res.body, v2.subarray(0, 10))).toBe(0);
    });

    it('bytes=100- serves from 100 to the end', async () => {
      const res = await f.download(owner, projectId, 'data.txt', { headers: { Range: 'bytes=100-' } });
      expectStatus(res, 206);
      expect(res.headers['content-range']).toBe(`bytes 100-${v2.length - 1}/${v2.length}`);
      expect(Buffer.compare(res.body, v2.subarray(100))).toBe(0);
    });

    it('bytes=-5 (suffix) serves the last 5 bytes', async () => {
      const res = await f.download(owner, projectId, 'data.txt', { headers: { Range: 'bytes=-5' } });
      expectStatus(res, 206);
      expect(res.headers['content-range']).toBe(`bytes ${v2.length - 5}-${v2.length - 1}/${v2.length}`);
      expect(Buffer.compare(res.body, v2.subarray(v2.length - 5))).toBe(0);
    });

    /** The error must be a JSON error body (spec §2), whatever type the file itself has. */
    const expectJsonError = (res: Res, status: number, code: string) => {
      expect({ status: res.status, contentType: res.headers['content-type'] }).toEqual({ status, contentType: expect.stringMatching(/^application\/json/) });
      expect(JSON.parse(res.text)).toEqual(expect.objectContaining({ code }));
    };

    it('a range that starts past the end is 416 range_not_satisfiable (JSON body, Content-Range: bytes */size)', async () => {
      const res = await f.downloadError(owner, projectId, 'data.txt', { headers: { Range: `bytes=${v2.length}-${v2.length + 10}` } });
      expectJsonError(res, 416, 'range_not_satisfiable');
      expect(res.headers['content-range']).toBe(`bytes */${v2.length}`);
    });

    it('a range far outside the file is 416 range_not_satisfiable', async () => {
      expectJsonError(await f.downloadError(owner, projectId, 'data.txt', { headers: { Range: 'bytes=100000-200000' } }), 416, 'range_not_satisfiable');
    });

    it('a suffix range of zero bytes is 416 range_not_satisfiable', async () => {
      expectJsonError(await f.downloadError(owner, projectId, 'data.txt', { headers: { Range: 'bytes=-0' } }), 416, 'range_not_satisfiable');
    });

    it('a range on an older version serves that version’s bytes', async () => {
      const res = await f.download(owner, projectId, 'data.txt', { headers: { Range: 'bytes=0-6' }, query: { version: uploaded.versions[1].version_id } });
      expectStatus(res, 206);
      expect(res.body.toString()).toBe('version');
    });
  });

  it('an unknown file is 404 object_not_found', async () => {
    expectError(await f.downloadError(owner, projectId, 'missing.txt'), 404, 'object_not_found');
  });

  it('a folder prefix of a file is not a file (404)', async () => {
    expectError(await f.downloadError(owner, projectId, 'types'), 404, 'object_not_found');
  });

  it('an unknown project is 404 object_not_found', async () => {
    expectError(await f.downloadError(owner, randomUUID(), 'data.txt'), 404, 'object_not_found');
  });

  it('a reader may download', async () => {
    const res = await f.download(reader, projectId, 'data.txt');
    expectStatus(res, 200);
    expect(md5(res.body)).toBe(md5(v2));
  });

  it('a stranger on a private project is 403 permission_denied', async () => {
    expectError(await f.downloadError(stranger, projectId, 'data.txt'), 403, 'permission_denied');
  });

  it('a person whose only role is public may download from a public project', async () => {
    const publicId = (await f.project(owner, 'public-downloads', { is_public: true })).id;
    await f.put(owner, publicId, 'open.txt', Buffer.from('open data'));
    const res = await f.download(stranger, publicId, 'open.txt');
    expectStatus(res, 200);
    expect(res.body.toString()).toBe('open data');
  });

  it('anonymous is 401', async () => {
    expectError(await request(t.http).get(f.fileUrl(projectId, 'data.txt')), 401, 'not_authenticated');
  });
});

// =============================================================================================

describe('GET /api/v1/files/{projectId}/ — list (spec §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof filesApi>;
  let owner: string;
  let reader: string;
  let stranger: string;
  let projectId: string;
  const names = ['zeta.txt', 'alpha.txt', 'mid/one.txt', 'DCIM/photo-1.jpg', 'beta/DCIM/not-attachment.jpg'];

  beforeAll(async () => {
    t = await startTestApp();
    await listen(t);
    f = filesApi(t);
    owner = await t.createPerson('olga');
    reader = await t.createPerson('reed');
    stranger = await t.createPerson('sam');
    projectId = (await f.project(owner, 'listing')).id;
    await f.grant(owner, projectId, 'reed', 'reader');
    for (const name of names) await f.put(owner, projectId, name, Buffer.from(`content of ${name}`));
    await sleep(5);
    await f.put(owner, projectId, 'alpha.txt', Buffer.from('alpha v2'));
  });
  afterAll(() => t?.close());

  it('answers a bare array sorted by name', async () => {
    const res = await f.list(owner, projectId);
    expectStatus(res, 200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body.map((file: any) => file.name)).toEqual([...names].sort());
  });

  it('gives every item the fields of the file object, with name and md5sum', async () => {
    const res = await f.list(owner, projectId);
    for (const item of res.body) {
      expect(Object.keys(item).sort()).toEqual([...FILE_FIELDS].sort());
      expect(item.name).toEqual(expect.any(String));
      expect(item.md5sum).toMatch(/^[0-9a-f]{32}$/);
      expect(item.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const zeta = res.body.find((item: any) => item.name === 'zeta.txt');
    expect(zeta).toEqual(expect.objectContaining({ md5sum: md5(Buffer.from('content of zeta.txt')), size: 'content of zeta.txt'.length }));
  });

  it('lists versions newest first', async () => {
    const res = await f.list(owner, projectId);
    const alpha = res.body.find((item: any) => item.name === 'alpha.txt');
    expect(alpha.versions.map((v: any) => v.md5sum)).toEqual([md5(Buffer.from('alpha v2')), md5(Buffer.from('content of alpha.txt'))]);
    expect(alpha.md5sum).toBe(md5(Buffer.from('alpha v2')));
  });

  it('marks files under DCIM/ as attachments, and only those', async () => {
    const res = await f.list(owner, projectId);
    const attachments = Object.fromEntries(res.body.map((item: any) => [item.name, item.is_attachment]));
    expect(attachments).toEqual({
      'DCIM/photo-1.jpg': true,
      'alpha.txt': false,
      'beta/DCIM/not-attachment.jpg': false,
      'mid/one.txt': false,
      'zeta.txt': false,
    });
  });

  it('accepts ?skip_metadata=1', async () => {
    const res = await f.list(owner, projectId, { skip_metadata: '1' });
    expectStatus(res, 200);
    expect(res.body.map((file: any) => [file.name, file.md5sum])).toEqual((await f.list(owner, projectId)).body.map((file: any) => [file.name, file.md5sum]));
  });

  it('answers without the trailing slash too', async () => {
    const res = await request(t.http).get(`${FILES}${projectId}`).set(auth(owner));
    expectStatus(res, 200);
    expect(res.body).toHaveLength(names.length);
  });

  it('answers [] for a project without files', async () => {
    const empty = (await f.project(owner, 'no-files')).id;
    const res = await f.list(owner, empty);
    expectStatus(res, 200);
    expect(res.body).toEqual([]);
  });

  it('a reader may list', async () => {
    const res = await f.list(reader, projectId);
    expectStatus(res, 200);
    expect(res.body).toHaveLength(names.length);
  });

  it('a stranger on a private project is 403 permission_denied', async () => {
    expectError(await f.list(stranger, projectId), 403, 'permission_denied');
  });

  it('an unknown project is 404 object_not_found', async () => {
    expectError(await f.list(owner, randomUUID()), 404, 'object_not_found');
  });
});

// =============================================================================================
