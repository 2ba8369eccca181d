import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { eventually, ISO_Z, LOWER_UUID, md5, sha256, sleep, type Role } from './support/kit.js';
import {
  FILE_FIELDS,
  FILES,
  filesApi,
  fileRowCount,
  isStored,
  listen,
  MULTIPART_TAIL,
  MULTIPART_TYPE,
  multipartHead,
  raw,
  storedBytes,
  storedFiles,
  storedFilesOnceEmpty,
  VERSION_FIELDS,
  versionKeys,
} from './support/files-fixtures.js';

type Res = request.Response;

describe('POST /api/v1/files/{projectId}/{path}/ — upload (spec §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof filesApi>;
  let base: string;
  let owner: string;
  let projectId: string;

  beforeAll(async () => {
    t = await startTestApp();
    base = await listen(t);
    f = filesApi(t);
    owner = await t.createPerson('olga');
    projectId = (await f.project(owner, 'uploads')).id;
  });
  afterAll(() => t?.close());

  describe('the file object', () => {
    const content = Buffer.from('hello, fieldbase\n');
    let res: Res;
    beforeAll(async () => {
      res = await f.upload(owner, projectId, 'hello.txt', content);
    });

    it('answers 201', () => {
      expectStatus(res, 201);
    });

    it('has the fields of the file object', () => {
      expect(Object.keys(res.body).sort()).toEqual([...FILE_FIELDS].sort());
    });

    it('describes the uploaded bytes: name, size, md5sum and sha256 of the content', () => {
      expect(res.body).toEqual(
        expect.objectContaining({ name: 'hello.txt', size: content.length, md5sum: md5(content), sha256: sha256(content), is_attachment: false }),
      );
    });

    it('has last_modified as ISO 8601 with Z, close to now', () => {
      expect(res.body.last_modified).toMatch(ISO_Z);
      expect(Math.abs(Date.parse(res.body.last_modified) - Date.now())).toBeLessThan(60_000);
    });

    it('lists the one version with its own facts', () => {
      expect(res.body.versions).toHaveLength(1);
      const [version] = res.body.versions;
      expect(Object.keys(version).sort()).toEqual([...VERSION_FIELDS].sort());
      expect(version).toEqual({
        version_id: expect.stringMatching(LOWER_UUID),
        size: content.length,
        md5sum: md5(content),
        sha256: sha256(content),
        last_modified: res.body.last_modified,
      });
    });

    it('stores a row and the bytes', async () => {
      const [row] = await t.sql<{ storage_key: string }>(
        `SELECT v.storage_key FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1 AND f.name = 'hello.txt'`,
        [projectId],
      );
      expect(row).toBeDefined();
      expect(await storedBytes(t, row.storage_key)).toEqual(content);
    });
  });

  describe('paths', () => {
    it('accepts a nested path (a/b/c.txt)', async () => {
      const res = await f.upload(owner, projectId, 'a/b/c.txt', Buffer.from('nested'));
      expectStatus(res, 201);
      expect(res.body.name).toBe('a/b/c.txt');
    });

    it('accepts spaces and unicode, URL-encoded', async () => {
      const name = 'Données été/carte n°1 & #2?.txt';
      const res = await f.upload(owner, projectId, name, Buffer.from('unicode'));
      expectStatus(res, 201);
      expect(res.body.name).toBe(name);
      const back = await f.download(owner, projectId, name);
      expectStatus(back, 200);
      expect(back.body.toString()).toBe('unicode');
    });

    it('accepts the path without the trailing slash (same file)', async () => {
      const res = await f.upload(owner, projectId, 'no-slash.txt', Buffer.from('one'), { slash: false });
      expectStatus(res, 201);
      expect(res.body.name).toBe('no-slash.txt');
      const again = await f.upload(owner, projectId, 'no-slash.txt', Buffer.from('two'), { slash: true });
      expectStatus(again, 201);
      expect(again.body.name).toBe('no-slash.txt');
      expect(again.body.versions).toHaveLength(2);
    });

    it('accepts an empty file', async () => {
      const res = await f.upload(owner, projectId, 'empty.txt', Buffer.alloc(0));
      expectStatus(res, 201);
      expect(res.body).toEqual(expect.objectContaining({ name: 'empty.txt', size: 0, md5sum: md5(Buffer.alloc(0)), sha256: sha256(Buffer.alloc(0)) }));
      const back = await f.download(owner, projectId, 'empty.txt');
      expectStatus(back, 200);
      expect(back.body).toHaveLength(0);
    });

    it('accepts a path of exactly 1024 characters', async () => {
      const name = 'abcdefghi/'.repeat(102) + 'abcd';
      expect(name).toHaveLength(1024);
      const res = await f.upload(owner, projectId, name, Buffer.from('long'));
      expectStatus(res, 201);
      expect(res.body.name).toBe(name);
    });

    describe('refused with 400 validation_error, nothing stored', () => {
      let count = 0;
      /** Uploads through node:http (no URL normalisation) into a fresh project; checks nothing was kept. */
      const refused = async (urlPath: string) => {
        const project = (await f.project(owner, `bad-path-${++count}`)).id;
        const body = Buffer.concat([multipartHead('x.txt'), Buffer.from('bad'), MULTIPART_TAIL]);
        const res = await raw(
          base,
          'POST',
          `${FILES}${project}/${urlPath}`,
          { Authorization: `Token ${owner}`, 'Content-Type': MULTIPART_TYPE, 'Content-Length': body.length },
          body,
        );
        expectError(res, 400, 'validation_error', 'path');
        expect(await fileRowCount(t, project)).toEqual({ files: 0, versions: 0 });
        expect(await storedFilesOnceEmpty(t, project)).toEqual([]);
      };

      it.each(['../b.txt/', 'a/../b.txt/', 'a/..', 'a/../', './b.txt/', 'a/./b.txt/', 'a/.', '%2e%2e/b.txt/', 'a/%2E/b.txt/'])(
        'a "." or ".." segment: %s',
        async (urlPath) => {
          await refused(urlPath);
        },
      );

      it.each(['a//b.txt/', 'a//b.txt', '//b.txt/'])('an empty segment: %s', async (urlPath) => {
        await refused(urlPath);
      });

      it.each(['a%5Cb.txt/', 'dir%5C/b.txt'])('a backslash (%%5C): %s', async (urlPath) => {
        await refused(urlPath);
      });

      it.each(['a%00b.txt/', 'dir/%00'])('a NUL (%%00): %s', async (urlPath) => {
        await refused(urlPath);
      });

      it('more than 1024 characters', async () => {
        const name = 'abcdefghi/'.repeat(102) + 'abcde';
        expect(name).toHaveLength(1025);
        await refused(`${name}/`);
      });
    });
  });

  describe('bodies', () => {
    let project: string;
    beforeAll(async () => {
      project = (await f.project(owner, 'bad-bodies')).id;
    });
    afterEach(async () => {
      expect(await fileRowCount(t, project)).toEqual({ files: 0, versions: 0 });
      expect(await storedFilesOnceEmpty(t, project)).toEqual([]);
    });

    it('refuses a JSON body with 415 unsupported_media_type', async () => {
      const res = await request(t.http).post(f.fileUrl(project, 'x.txt')).set(auth(owner)).send({ file: 'content' });
      expectError(res, 415, 'unsupported_media_type');
    });

    it('refuses a raw octet-stream body with 415 unsupported_media_type', async () => {
      const res = await request(t.http).post(f.fileUrl(project, 'x.txt')).set(auth(owner)).type('application/octet-stream').send(Buffer.from('content'));
      expectError(res, 415, 'unsupported_media_type');
    });

    it('refuses a multipart body without a `file` part with 400 validation_error', async () => {
      const res = await request(t.http).post(f.fileUrl(project, 'x.txt')).set(auth(owner)).field('other', 'value');
      expectError(res, 400, 'validation_error');
    });

    it('refuses a file sent under another field name with 400 validation_error', async () => {
      const res = await request(t.http).post(f.fileUrl(project, 'x.txt')).set(auth(owner)).attach('document', Buffer.from('content'), 'x.txt');
      expectError(res, 400, 'validation_error');
    });

    it('refuses a request without any body with 400 validation_error', async () => {
      const res = await request(t.http).post(f.fileUrl(project, 'x.txt')).set(auth(owner));
      expectError(res, 400, 'validation_error');
    });
  });

  describe('roles (§6.4)', () => {
    let project: string;
    let publicProject: string;
    const tokens: Record<string, string> = {};
    beforeAll(async () => {
      project = (await f.project(owner, 'upload-roles')).id;
      publicProject = (await f.project(owner, 'upload-public', { is_public: true })).id;
      for (const [name, role] of [
        ['adam', 'admin'],
        ['mona', 'manager'],
        ['eddie', 'editor'],
        ['rita', 'reporter'],
        ['reed', 'reader'],
      ] as [string, Role][]) {
        tokens[role] = await t.createPerson(name);
        await f.grant(owner, project, name, role);
      }
      tokens.stranger = await t.createPerson('sam');
    });

    it.each(['admin', 'manager', 'editor', 'reporter'])('a %s may upload', async (role) => {
      const res = await f.upload(tokens[role], project, `by-${role}.txt`, Buffer.from(role));
      expectStatus(res, 201);
    });

    it('the owner may upload', async () => {
      expectStatus(await f.upload(owner, project, 'by-owner.txt', Buffer.from('owner')), 201);
    });

    it('a reader may not (403), and nothing is kept', async () => {
      expectError(await f.upload(tokens.reader, project, 'by-reader.txt', Buffer.from('reader')), 403, 'permission_denied');
      expect(await t.sql(`SELECT 1 FROM project_files WHERE project_id = $1 AND name = 'by-reader.txt'`, [project])).toEqual([]);
    });

    it('a stranger may not upload into a private project (403)', async () => {
      expectError(await f.upload(tokens.stranger, project, 'by-stranger.txt', Buffer.from('stranger')), 403, 'permission_denied');
    });

    it('a person whose only role is public may not upload (403)', async () => {
      expectError(await f.upload(tokens.stranger, publicProject, 'by-public.txt', Buffer.from('public')), 403, 'permission_denied');
      expect(await fileRowCount(t, publicProject)).toEqual({ files: 0, versions: 0 });
    });

    it('anonymous is 401', async () => {
      const res = await request(t.http).post(f.fileUrl(project, 'anon.txt')).attach('file', Buffer.from('anon'), 'anon.txt');
      expectError(res, 401, 'not_authenticated');
    });

    it('an unknown project is 404 object_not_found', async () => {
      expectError(await f.upload(owner, randomUUID(), 'x.txt', Buffer.from('x')), 404, 'object_not_found');
    });

    it('a malformed project id is 400 validation_error', async () => {
      expectError(await f.upload(owner, 'not-a-uuid', 'x.txt', Buffer.from('x')), 400, 'validation_error');
    });

    it('stores exactly the files the allowed roles uploaded', async () => {
      const rows = await t.sql<{ name: string }>(`SELECT name FROM project_files WHERE project_id = $1 ORDER BY name`, [project]);
      expect(rows.map((row) => row.name)).toEqual(['by-admin.txt', 'by-editor.txt', 'by-manager.txt', 'by-owner.txt', 'by-reporter.txt']);
      expect(await storedFiles(t, project)).toEqual(await versionKeys(t, project));
    });
  });
});

// =============================================================================================

describe('FILE_MAX_BYTES (spec §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof filesApi>;
  let owner: string;
  let projectId: string;

  beforeAll(async () => {
    t = await startTestApp({ FILE_MAX_BYTES: '1000' });
    await listen(t);
    f = filesApi(t);
    owner = await t.createPerson('olga');
    projectId = (await f.project(owner, 'limits')).id;
  });
  afterAll(() => t?.close());

  it('accepts a file of exactly FILE_MAX_BYTES', async () => {
    const res = await f.upload(owner, projectId, 'exact.bin', randomBytes(1000));
    expectStatus(res, 201);
    expect(res.body.size).toBe(1000);
  });

  it.each([1001, 200_000])('answers %d bytes with 413 payload_too_large and keeps nothing', async (size) => {
    const project = (await f.project(owner, `too-large-${size}`)).id;
    const res = await f.upload(owner, project, `big-${size}.bin`, randomBytes(size));
    expectError(res, 413, 'payload_too_large');
    expect(await fileRowCount(t, project)).toEqual({ files: 0, versions: 0 });
    // No object, and no temporary (*.partial) file left behind either.
    expect(await storedFilesOnceEmpty(t, project)).toEqual([]);
    const after = await f.getProject(owner, project);
    expect([after.file_storage_bytes, after.data_last_updated_at]).toEqual([0, null]);
  });

  it('a refused re-upload over the limit leaves the existing file as it was', async () => {
    const before = await versionKeys(t, projectId);
    expectError(await f.upload(owner, projectId, 'exact.bin', randomBytes(5000)), 413, 'payload_too_large');
    expect(await versionKeys(t, projectId)).toEqual(before);
    expect(
      await eventually(
        () => storedFiles(t, projectId),
        (files) => files.length === before.length,
      ),
    ).toEqual(before);
    expect((await f.getProject(owner, projectId)).file_storage_bytes).toBe(1000);
  });
});

// =============================================================================================

describe('versions (spec §8, STORAGE_KEEP_VERSIONS)', () => {
  describe('default (3 kept)', () => {
    let t: TestApp;
    let f: ReturnType<typeof filesApi>;
    let owner: string;
    let projectId: string;
    const contents = ['one', 'two!', 'three', 'four!!'].map((s) => Buffer.from(s));
    const answers: Record<string, any>[] = [];

    beforeAll(async () => {
      t = await startTestApp();
      await listen(t);
      f = filesApi(t);
      owner = await t.createPerson('olga');
      projectId = (await f.project(owner, 'versions')).id;
      for (const content of contents) {
        answers.push(await f.put(owner, projectId, 'doc.txt', content));
        await sleep(5);
      }
    });
    afterAll(() => t?.close());

    it('a re-upload adds a version, newest first', () => {
      expect(answers[1].versions.map((v: any) => v.md5sum)).toEqual([md5(contents[1]), md5(contents[0])]);
      expect(answers[2].versions.map((v: any) => v.md5sum)).toEqual([md5(contents[2]), md5(contents[1]), md5(contents[0])]);
    });

    it('the file object shows the newest version', () => {
      expect(answers[1]).toEqual(expect.objectContaining({ size: contents[1].length, md5sum: md5(contents[1]), sha256: sha256(contents[1]) }));
    });

    it('keeps only the newest 3 by default', () => {
      expect(answers[3].versions.map((v: any) => v.md5sum)).toEqual([md5(contents[3]), md5(contents[2]), md5(contents[1])]);
    });

    it('keeps each version’s id stable across uploads', () => {
      expect(answers[3].versions[1].version_id).toBe(answers[2].versions[0].version_id);
      expect(answers[3].versions[2].version_id).toBe(answers[1].versions[0].version_id);
    });

    it('removed the pruned version’s bytes from storage', async () => {
      expect(
        await eventually(
          () => storedFiles(t, projectId),
          (files) => files.length === 3,
        ),
      ).toEqual(await versionKeys(t, projectId));
    });
  });

  describe('STORAGE_KEEP_VERSIONS=2', () => {
    let t: TestApp;
    let f: ReturnType<typeof filesApi>;
    let owner: string;
    let projectId: string;
    const contents = ['first version', 'second version!', 'third version!!!'].map((s) => Buffer.from(s));
    const answers: Record<string, any>[] = [];
    let firstKey: string;

    beforeAll(async () => {
      t = await startTestApp({ STORAGE_KEEP_VERSIONS: '2' });
      await listen(t);
      f = filesApi(t);
      owner = await t.createPerson('olga');
      projectId = (await f.project(owner, 'keep-two')).id;
      answers.push(await f.put(owner, projectId, 'doc.txt', contents[0]));
      [firstKey] = await versionKeys(t, projectId);
      for (const content of contents.slice(1)) {
        await sleep(5);
        answers.push(await f.put(owner, projectId, 'doc.txt', content));
      }
    });
    afterAll(() => t?.close());

    it('keeps only the newest 2, newest first', () => {
      expect(answers[2].versions.map((v: any) => v.md5sum)).toEqual([md5(contents[2]), md5(contents[1])]);
    });

    it('has only 2 version rows', async () => {
      expect(await fileRowCount(t, projectId)).toEqual({ files: 1, versions: 2 });
    });

    it('removed the pruned bytes from storage', async () => {
      const stored = await eventually(
        () => storedFiles(t, projectId),
        (files) => files.length === 2,
      );
      expect(stored).toEqual(await versionKeys(t, projectId));
      expect(stored).not.toContain(firstKey);
      expect(await isStored(t, firstKey)).toBe(false);
    });

    it('no longer serves the pruned version (404)', async () => {
      expectError(await f.downloadError(owner, projectId, 'doc.txt', { query: { version: answers[0].versions[0].version_id } }), 404, 'object_not_found');
    });

    it('counts only the kept versions in file_storage_bytes', async () => {
      const project = await f.getProject(owner, projectId);
      expect(project.file_storage_bytes).toBe(contents[1].length + contents[2].length);
    });
  });
});

// =============================================================================================
