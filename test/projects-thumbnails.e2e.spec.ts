import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError } from './support/expectations.js';
import { addCollaborator, png, PNG_SIGNATURE, TINY_JPEG, TINY_PNG } from './support/kit.js';
import { getThumbnail, PROJECTS, projectsApi, storedThumbnails, uploadThumbnail } from './support/projects-fixtures.js';

type Res = request.Response;

describe('thumbnails (spec §5.7)', () => {
  let t: TestApp;
  let p: ReturnType<typeof projectsApi>;
  const tok: Record<string, string> = {};
  let privateId: string;
  let publicId: string;

  beforeAll(async () => {
    t = await startTestApp();
    p = projectsApi(t);
    for (const name of ['alice', 'manny', 'eddie', 'rita', 'reed', 'stranger']) tok[name] = await t.createPerson(name);
    privateId = (await p.project(tok.alice, 'thumbs')).id;
    publicId = (await p.project(tok.alice, 'thumbs-public', { is_public: true })).id;
    await addCollaborator(t, privateId, 'manny', 'manager');
    await addCollaborator(t, privateId, 'eddie', 'editor');
    await addCollaborator(t, privateId, 'rita', 'reporter');
    await addCollaborator(t, privateId, 'reed', 'reader');
  });
  afterAll(() => t?.close());

  describe('who may upload', () => {
    it.each([
      ['the admin', 'alice'],
      ['a manager', 'manny'],
      ['an editor', 'eddie'],
      ['a reporter', 'rita'],
    ])('%s may (204)', async (_, who) => {
      const res = await uploadThumbnail(t, tok[who], privateId, TINY_PNG);
      expect(res.status).toBe(204);
    });

    it('a reader gets 403', async () => {
      expectError(await uploadThumbnail(t, tok.reed, privateId, TINY_PNG), 403, 'permission_denied');
    });

    it('a person whose only role comes from the project being public gets 403', async () => {
      expectError(await uploadThumbnail(t, tok.stranger, publicId, TINY_PNG), 403, 'permission_denied');
    });

    it('a stranger gets 403', async () => {
      expectError(await uploadThumbnail(t, tok.stranger, privateId, TINY_PNG), 403, 'permission_denied');
    });
  });

  describe('content', () => {
    let id: string;
    beforeAll(async () => {
      id = (await p.project(tok.alice, 'content-checks')).id;
    });

    it('accepts a real PNG and serves it back as image/png', async () => {
      const image = png(2, 3);
      expect((await uploadThumbnail(t, tok.alice, id, image)).status).toBe(204);
      const res = await getThumbnail(t, tok.alice, id);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^image\/png/);
      expect(Buffer.compare(res.body as Buffer, image)).toBe(0);
    });

    it('accepts a real JPEG and serves it back as image/jpeg, whatever its file name', async () => {
      expect((await uploadThumbnail(t, tok.alice, id, TINY_JPEG, 'picture.png')).status).toBe(204);
      const res = await getThumbnail(t, tok.alice, id);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^image\/jpeg/);
      expect(Buffer.compare(res.body as Buffer, TINY_JPEG)).toBe(0);
    });

    it('refuses a fake PNG (the signature followed by garbage) with 400', async () => {
      const fake = Buffer.concat([PNG_SIGNATURE, Buffer.from('this is not an image, only its first eight bytes are')]);
      expectError(await uploadThumbnail(t, tok.alice, id, fake), 400, 'validation_error');
    });

    it('refuses a text file named x.png with 400', async () => {
      expectError(await uploadThumbnail(t, tok.alice, id, Buffer.from('just some text\n'), 'x.png'), 400, 'validation_error');
    });

    it('refuses a GIF with 400', async () => {
      const gif = Buffer.from('474946383961010001000000002c00000000010001000002024401003b', 'hex');
      expectError(await uploadThumbnail(t, tok.alice, id, gif, 'x.gif'), 400, 'validation_error');
    });

    it('refuses a PNG 10001 pixels wide with 400', async () => {
      expectError(await uploadThumbnail(t, tok.alice, id, png(10001, 1)), 400, 'validation_error');
    });

    it('refuses a PNG 10001 pixels high with 400', async () => {
      expectError(await uploadThumbnail(t, tok.alice, id, png(1, 10001)), 400, 'validation_error');
    });

    it('accepts a PNG exactly 10000 pixels wide', async () => {
      expect((await uploadThumbnail(t, tok.alice, id, png(10000, 1))).status).toBe(204);
    });

    it('a missing file field is 400', async () => {
      const res = await request(t.http).post(`${PROJECTS}${id}/thumbnail/`).set(auth(tok.alice)).field('note', 'no file here');
      expectError(res, 400, 'validation_error');
    });

    it('a file in another field is 400', async () => {
      const res = await request(t.http).post(`${PROJECTS}${id}/thumbnail/`).set(auth(tok.alice)).attach('image', TINY_PNG, 't.png');
      expectError(res, 400, 'validation_error');
    });

    it('no body at all is 400 (a missing file)', async () => {
      const res = await request(t.http).post(`${PROJECTS}${id}/thumbnail/`).set(auth(tok.alice));
      expectError(res, 400, 'validation_error');
    });

    it('a JSON body is 415 unsupported_media_type', async () => {
      const res = await request(t.http)
        .post(`${PROJECTS}${id}/thumbnail/`)
        .set(auth(tok.alice))
        .send({ thumbnail: TINY_PNG.toString('base64') });
      expectError(res, 415, 'unsupported_media_type');
    });

    it('a refused upload leaves the stored thumbnail in place', async () => {
      const before = await storedThumbnails(t, id);
      await uploadThumbnail(t, tok.alice, id, Buffer.from('not an image'), 'x.png');
      expect(await storedThumbnails(t, id)).toEqual(before);
    });
  });

  describe('GET /api/v1/files/thumbnails/{id}/', () => {
    let id: string;
    let first: Res;
    beforeAll(async () => {
      id = (await p.project(tok.alice, 'served')).id;
      await addCollaborator(t, id, 'reed', 'reader');
      const upload = await uploadThumbnail(t, tok.alice, id, TINY_PNG);
      if (upload.status !== 204) throw new Error(`thumbnail upload failed: ${upload.status} ${JSON.stringify(upload.body)}`);
      first = await getThumbnail(t, tok.alice, id);
    });

    it('answers 200 with the bytes and the real content type', () => {
      expect(first.status).toBe(200);
      expect(first.headers['content-type']).toMatch(/^image\/png/);
      expect(Buffer.compare(first.body as Buffer, TINY_PNG)).toBe(0);
    });

    it('sends an ETag', () => {
      expect(first.headers.etag).toEqual(expect.any(String));
      expect(first.headers.etag.length).toBeGreaterThan(2);
    });

    it('sends Cache-Control: private', () => {
      expect(first.headers['cache-control']).toMatch(/\bprivate\b/);
    });

    it('answers 304 on a matching If-None-Match', async () => {
      const res = await request(t.http).get(`/api/v1/files/thumbnails/${id}/`).set(auth(tok.alice)).set('If-None-Match', first.headers.etag);
      expect(res.status).toBe(304);
    });

    it('answers 200 on a different If-None-Match', async () => {
      const res = await getThumbnail(t, tok.alice, id).set('If-None-Match', '"0123456789abcdef0123456789abcdef"');
      expect(res.status).toBe(200);
    });

    it('a reader may GET', async () => {
      const res = await getThumbnail(t, tok.reed, id);
      expect(res.status).toBe(200);
      expect(Buffer.compare(res.body as Buffer, TINY_PNG)).toBe(0);
    });

    it('a stranger on a private project gets 403', async () => {
      expectError(await request(t.http).get(`/api/v1/files/thumbnails/${id}/`).set(auth(tok.stranger)), 403, 'permission_denied');
    });

    it('anyone may GET the thumbnail of a public project', async () => {
      const upload = await uploadThumbnail(t, tok.alice, publicId, TINY_PNG);
      expect(upload.status).toBe(204);
      expect((await getThumbnail(t, tok.stranger, publicId)).status).toBe(200);
    });

    it('a project without a thumbnail is 404', async () => {
      const { id: bare } = await p.project(tok.alice, 'no-thumbnail');
      expectError(await request(t.http).get(`/api/v1/files/thumbnails/${bare}/`).set(auth(tok.alice)), 404, 'object_not_found');
    });

    it('an unknown project is 404', async () => {
      expectError(await request(t.http).get(`/api/v1/files/thumbnails/00000000-0000-4000-8000-000000000000/`).set(auth(tok.alice)), 404, 'object_not_found');
    });
  });

  describe('re-upload', () => {
    it('replaces the image and removes the previous file from storage', async () => {
      const { id } = await p.project(tok.alice, 'reuploaded');
      expect((await uploadThumbnail(t, tok.alice, id, TINY_PNG)).status).toBe(204);
      expect(await storedThumbnails(t, id)).toHaveLength(1);
      const firstEtag = (await getThumbnail(t, tok.alice, id)).headers.etag;

      const second = png(4, 4);
      expect((await uploadThumbnail(t, tok.alice, id, second)).status).toBe(204);
      expect(await storedThumbnails(t, id)).toHaveLength(1);
      const res = await getThumbnail(t, tok.alice, id);
      expect(Buffer.compare(res.body as Buffer, second)).toBe(0);
      expect(res.headers.etag).not.toBe(firstEtag);

      expect((await uploadThumbnail(t, tok.alice, id, TINY_JPEG, 't.jpg')).status).toBe(204);
      expect(await storedThumbnails(t, id)).toHaveLength(1);
    });
  });
});

// =============================================================================================

describe('thumbnail size limit (THUMBNAIL_MAX_BYTES)', () => {
  let t: TestApp;
  let alice: string;
  let id: string;

  beforeAll(async () => {
    t = await startTestApp({ THUMBNAIL_MAX_BYTES: '1000' });
    alice = await t.createPerson('alice');
    id = (await projectsApi(t).project(alice, 'limited')).id;
  });
  afterAll(() => t?.close());

  it('refuses a valid PNG over THUMBNAIL_MAX_BYTES with 400 validation_error, storing nothing', async () => {
    const image = png(1, 1, { textBytes: 1500 });
    expect(image.length).toBeGreaterThan(1000);
    expectError(await uploadThumbnail(t, alice, id, image), 400, 'validation_error');
    expect(await storedThumbnails(t, id)).toEqual([]);
    expectError(await request(t.http).get(`/api/v1/files/thumbnails/${id}/`).set(auth(alice)), 404, 'object_not_found');
  });

  it('accepts a valid PNG within THUMBNAIL_MAX_BYTES', async () => {
    const image = png(1, 1, { textBytes: 800 });
    expect(image.length).toBeLessThanOrEqual(1000);
    expect((await uploadThumbnail(t, alice, id, image)).status).toBe(204);
  });
});
