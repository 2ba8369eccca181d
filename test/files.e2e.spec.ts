import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { qgs, qgz } from './support/qgis-files.js';

const FILES = '/api/v1/files/';
const PROJECTS = '/api/v1/projects/';
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FILE_FIELDS = ['name', 'size', 'md5sum', 'sha256', 'last_modified', 'is_attachment', 'versions'];
const VERSION_FIELDS = ['version_id', 'size', 'md5sum', 'sha256', 'last_modified'];

type Res = request.Response;
type Role = 'admin' | 'manager' | 'editor' | 'reporter' | 'reader';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Each segment URL-encoded, the `/` separators kept. */
const encodePath = (file: string) => file.split('/').map(encodeURIComponent).join('/');

/** A supertest parser that keeps the body as raw bytes, whatever its content type. */
function binary(res: request.Response, done: (error: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as http.IncomingMessage;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

/** Makes the app listen on a loopback port (supertest then uses that server as is); returns its base URL. */
async function listen(t: TestApp): Promise<string> {
  const server = t.http as unknown as http.Server;
  if (!server.address()) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** A request through node:http, for URLs that a WHATWG URL parser would normalise (`.`/`..` segments). */
function raw(base: string, method: string, urlPath: string, headers: Record<string, string | number>, body?: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // Host, port and path given apart: a URL string would be parsed (and its dot segments removed) by node:http.
    const { hostname, port } = new URL(base);
    const req = http.request({ hostname, port, path: urlPath, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const BOUNDARY = 'fieldbase-test-boundary-7MA4YWxkTrZu0gW';
const multipartHead = (filename: string) =>
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
const MULTIPART_TAIL = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/**
 * Every stored object of a project (storage keys `projects/<id>/…`), whichever the driver: with the
 * local driver this includes temporary `*.partial` files, so an empty answer means no file at all.
 */
const storedFiles = (t: TestApp, projectId: string): Promise<string[]> => t.storedKeys(`projects/${projectId}/`);

/** Whether the storage holds `key`. */
const isStored = async (t: TestApp, key: string): Promise<boolean> => (await t.storedKeys(key.slice(0, key.lastIndexOf('/') + 1))).includes(key);

/** The stored bytes at `key`. */
async function storedBytes(t: TestApp, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await t.storage.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Polls until `check` passes (or the time is up), so cleanup that follows an answer has a moment. */
async function eventually<T>(read: () => T | Promise<T>, check: (value: T) => boolean, timeoutMs = 2000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > until) return value;
    await sleep(25);
  }
}

async function versionKeys(t: TestApp, projectId: string): Promise<string[]> {
  const rows = await t.sql<{ storage_key: string }>(
    `SELECT v.storage_key FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1 ORDER BY v.storage_key`,
    [projectId],
  );
  return rows.map((row) => row.storage_key).sort();
}

async function fileRowCount(t: TestApp, projectId: string): Promise<{ files: number; versions: number }> {
  const [row] = await t.sql<{ files: number; versions: number }>(
    `SELECT (SELECT count(*)::int FROM project_files WHERE project_id = $1) AS files,
            (SELECT count(*)::int FROM file_versions v JOIN project_files f ON f.id = v.file_id WHERE f.project_id = $1) AS versions`,
    [projectId],
  );
  return row;
}

function api(t: TestApp) {
  const fileUrl = (projectId: string, file: string, slash = true) => `${FILES}${projectId}/${encodePath(file)}${slash ? '/' : ''}`;
  return {
    fileUrl,
    /** Creates a project and returns it; fails loudly when the create does not answer 201. */
    project: async (token: string, name: string, extra: Record<string, unknown> = {}) => {
      const res = await request(t.http)
        .post(PROJECTS)
        .set(auth(token))
        .send({ name, ...extra });
      if (res.status !== 201) throw new Error(`creating project ${name} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as Record<string, any>;
    },
    getProject: async (token: string, id: string) => {
      const res = await request(t.http).get(`${PROJECTS}${id}/`).set(auth(token));
      if (res.status !== 200) throw new Error(`reading project ${id} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as Record<string, any>;
    },
    me: async (token: string) => {
      const res = await request(t.http).get('/api/v1/auth/user/').set(auth(token));
      if (res.status !== 200) throw new Error(`GET auth/user failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as Record<string, any>;
    },
    grant: async (owner: string, projectId: string, collaborator: string, role: Role) => {
      const res = await request(t.http).post(`/api/v1/collaborators/${projectId}/`).set(auth(owner)).send({ collaborator, role });
      if (res.status !== 201) throw new Error(`adding ${collaborator} as ${role} failed: ${res.status} ${JSON.stringify(res.body)}`);
    },
    setQuota: async (username: string, bytes: number) => {
      const res = await request(t.http)
        .patch(`/api/v1/users/${username}/`)
        .set(auth(await t.adminToken()))
        .send({ storage_quota_bytes: bytes });
      if (res.status !== 200) throw new Error(`setting the quota of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    },
    upload: (token: string, projectId: string, file: string, content: Buffer, options: { slash?: boolean } = {}) =>
      request(t.http)
        .post(fileUrl(projectId, file, options.slash ?? true))
        .set(auth(token))
        .attach('file', content, { filename: path.posix.basename(file) || 'file', contentType: 'application/octet-stream' }),
    /** Uploads and fails loudly unless 201; returns the file object. */
    put: async (token: string, projectId: string, file: string, content: Buffer) => {
      const res = await request(t.http)
        .post(fileUrl(projectId, file))
        .set(auth(token))
        .attach('file', content, { filename: path.posix.basename(file), contentType: 'application/octet-stream' });
      if (res.status !== 201) throw new Error(`uploading ${file} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as Record<string, any>;
    },
    /** GET of a file with the body kept as bytes. */
    download: (token: string, projectId: string, file: string, options: { slash?: boolean; headers?: Record<string, string>; query?: Record<string, string> } = {}) => {
      const req = request(t.http)
        .get(fileUrl(projectId, file, options.slash ?? true))
        .set(auth(token))
        .set(options.headers ?? {});
      if (options.query) req.query(options.query);
      return req.buffer(true).parse(binary);
    },
    /** GET of a file whose answer is expected to be a JSON error. */
    downloadError: (token: string, projectId: string, file: string, options: { headers?: Record<string, string>; query?: Record<string, string> } = {}) => {
      const req = request(t.http)
        .get(fileUrl(projectId, file))
        .set(auth(token))
        .set(options.headers ?? {});
      if (options.query) req.query(options.query);
      return req;
    },
    list: (token: string, projectId: string, query: Record<string, string> = {}) => request(t.http).get(`${FILES}${projectId}/`).query(query).set(auth(token)),
    remove: (token: string, projectId: string, file: string, options: { slash?: boolean; version?: string } = {}) => {
      const req = request(t.http).delete(fileUrl(projectId, file, options.slash ?? true)).set(auth(token));
      return options.version === undefined ? req : req.set('x-file-version', options.version);
    },
  };
}

// =============================================================================================

describe('POST /api/v1/files/{projectId}/{path}/ — upload (spec §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof api>;
  let base: string;
  let owner: string;
  let projectId: string;

  beforeAll(async () => {
    t = await startTestApp();
    base = await listen(t);
    f = api(t);
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
      expect(version).toEqual({ version_id: expect.stringMatching(LOWER_UUID), size: content.length, md5sum: md5(content), sha256: sha256(content), last_modified: res.body.last_modified });
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
        const res = await raw(base, 'POST', `${FILES}${project}/${urlPath}`, { Authorization: `Token ${owner}`, 'Content-Type': MULTIPART_TYPE, 'Content-Length': body.length }, body);
        expectError(res, 400, 'validation_error', 'path');
        expect(await fileRowCount(t, project)).toEqual({ files: 0, versions: 0 });
        expect(await eventually(() => storedFiles(t, project), (files) => files.length === 0)).toEqual([]);
      };

      it.each(['../b.txt/', 'a/../b.txt/', 'a/..', 'a/../', './b.txt/', 'a/./b.txt/', 'a/.', '%2e%2e/b.txt/', 'a/%2E/b.txt/'])('a "." or ".." segment: %s', async (urlPath) => {
        await refused(urlPath);
      });

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
      expect(await eventually(() => storedFiles(t, project), (files) => files.length === 0)).toEqual([]);
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
  let f: ReturnType<typeof api>;
  let owner: string;
  let projectId: string;

  beforeAll(async () => {
    t = await startTestApp({ FILE_MAX_BYTES: '1000' });
    await listen(t);
    f = api(t);
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
    expect(await eventually(() => storedFiles(t, project), (files) => files.length === 0)).toEqual([]);
    const after = await f.getProject(owner, project);
    expect([after.file_storage_bytes, after.data_last_updated_at]).toEqual([0, null]);
  });

  it('a refused re-upload over the limit leaves the existing file as it was', async () => {
    const before = await versionKeys(t, projectId);
    expectError(await f.upload(owner, projectId, 'exact.bin', randomBytes(5000)), 413, 'payload_too_large');
    expect(await versionKeys(t, projectId)).toEqual(before);
    expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === before.length)).toEqual(before);
    expect((await f.getProject(owner, projectId)).file_storage_bytes).toBe(1000);
  });
});

// =============================================================================================

describe('versions (spec §8, STORAGE_KEEP_VERSIONS)', () => {
  describe('default (3 kept)', () => {
    let t: TestApp;
    let f: ReturnType<typeof api>;
    let owner: string;
    let projectId: string;
    const contents = ['one', 'two!', 'three', 'four!!'].map((s) => Buffer.from(s));
    const answers: Record<string, any>[] = [];

    beforeAll(async () => {
      t = await startTestApp();
      await listen(t);
      f = api(t);
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
      expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === 3)).toEqual(await versionKeys(t, projectId));
    });
  });

  describe('STORAGE_KEEP_VERSIONS=2', () => {
    let t: TestApp;
    let f: ReturnType<typeof api>;
    let owner: string;
    let projectId: string;
    const contents = ['first version', 'second version!', 'third version!!!'].map((s) => Buffer.from(s));
    const answers: Record<string, any>[] = [];
    let firstKey: string;

    beforeAll(async () => {
      t = await startTestApp({ STORAGE_KEEP_VERSIONS: '2' });
      await listen(t);
      f = api(t);
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
      const stored = await eventually(() => storedFiles(t, projectId), (files) => files.length === 2);
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

describe('accounting on the project (spec §5.1, §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof api>;
  let owner: string;

  beforeAll(async () => {
    t = await startTestApp();
    await listen(t);
    f = api(t);
    owner = await t.createPerson('olga');
  });
  afterAll(() => t?.close());

  describe('file_storage_bytes and storage_used_bytes', () => {
    let first: string;
    let second: string;
    beforeAll(async () => {
      first = (await f.project(owner, 'bytes-one')).id;
      second = (await f.project(owner, 'bytes-two')).id;
    });

    it('starts at 0', async () => {
      expect((await f.getProject(owner, first)).file_storage_bytes).toBe(0);
      expect((await f.me(owner)).storage_used_bytes).toBe(0);
    });

    it('is the sum of every kept version of every file', async () => {
      await f.put(owner, first, 'a.bin', randomBytes(10));
      await f.put(owner, first, 'a.bin', randomBytes(20));
      await f.put(owner, first, 'dir/b.bin', randomBytes(5));
      expect((await f.getProject(owner, first)).file_storage_bytes).toBe(35);
    });

    it('the owner’s storage_used_bytes is the sum over their projects', async () => {
      await f.put(owner, second, 'c.bin', randomBytes(100));
      expect((await f.getProject(owner, second)).file_storage_bytes).toBe(100);
      expect((await f.me(owner)).storage_used_bytes).toBe(135);
    });

    it('goes down on delete, and storage_used_bytes follows', async () => {
      expectStatus(await f.remove(owner, first, 'a.bin'), 204);
      expect((await f.getProject(owner, first)).file_storage_bytes).toBe(5);
      expect((await f.me(owner)).storage_used_bytes).toBe(105);
    });
  });

  describe('timestamps, the QGIS file and status', () => {
    let projectId: string;
    let previous: Record<string, any>;
    const later = (a: string, b: string) => Date.parse(a) > Date.parse(b);

    beforeAll(async () => {
      projectId = (await f.project(owner, 'qgis-project')).id;
    });
    const step = async () => {
      await sleep(5);
    };

    it('a new project has no data timestamps, no QGIS file and status failed', async () => {
      previous = await f.getProject(owner, projectId);
      expect(previous).toEqual(
        expect.objectContaining({ data_last_updated_at: null, restricted_data_last_updated_at: null, the_qgis_file_name: null, status: 'failed' }),
      );
    });

    it('uploading data.gpkg sets data_last_updated_at but not restricted_data_last_updated_at', async () => {
      await step();
      await f.put(owner, projectId, 'data.gpkg', Buffer.from('gpkg'));
      const now = await f.getProject(owner, projectId);
      expect(now.data_last_updated_at).toMatch(ISO_Z);
      expect(Math.abs(Date.parse(now.data_last_updated_at) - Date.now())).toBeLessThan(60_000);
      expect(now.restricted_data_last_updated_at).toBeNull();
      expect([now.the_qgis_file_name, now.status]).toEqual([null, 'failed']);
      previous = now;
    });

    it('the first .qgs sets the_qgis_file_name, both timestamps, and status busy (it queued processing, §8; no worker runs here)', async () => {
      await step();
      await f.put(owner, projectId, 'project.qgs', qgs());
      const now = await f.getProject(owner, projectId);
      expect([now.the_qgis_file_name, now.status]).toEqual(['project.qgs', 'busy']);
      expect(later(now.data_last_updated_at, previous.data_last_updated_at)).toBe(true);
      expect(now.restricted_data_last_updated_at).toMatch(ISO_Z);
      previous = now;
    });

    it.each(['project.qgd', 'project.qml', 'project_attachments.zip'])('uploading %s moves restricted_data_last_updated_at', async (name) => {
      await step();
      await f.put(owner, projectId, name, Buffer.from(name));
      const now = await f.getProject(owner, projectId);
      expect(later(now.restricted_data_last_updated_at, previous.restricted_data_last_updated_at)).toBe(true);
      expect(later(now.data_last_updated_at, previous.data_last_updated_at)).toBe(true);
      previous = now;
    });

    it.each(['data.gpkg', 'other.qml', 'project.qgd.bak', 'sub/project.qml'])('uploading %s moves only data_last_updated_at', async (name) => {
      await step();
      await f.put(owner, projectId, name, Buffer.from('more data'));
      const now = await f.getProject(owner, projectId);
      expect(later(now.data_last_updated_at, previous.data_last_updated_at)).toBe(true);
      expect(now.restricted_data_last_updated_at).toBe(previous.restricted_data_last_updated_at);
      previous = now;
    });

    it('re-uploading the same QGIS file is fine', async () => {
      await step();
      const res = await f.upload(owner, projectId, 'project.qgs', qgs('3.40.6-Bratislava'));
      expectStatus(res, 201);
      expect(res.body.versions).toHaveLength(2);
      const now = await f.getProject(owner, projectId);
      expect([now.the_qgis_file_name, now.status]).toEqual(['project.qgs', 'busy']);
      expect(later(now.restricted_data_last_updated_at, previous.restricted_data_last_updated_at)).toBe(true);
      previous = now;
    });

    it.each(['second.qgs', 'project.qgz', 'sub/other.QGZ'])('a second QGIS file (%s) is 400 multiple_qgis_project_files and keeps nothing', async (name) => {
      const keysBefore = await versionKeys(t, projectId);
      const res = await f.upload(owner, projectId, name, qgs());
      expectError(res, 400, 'multiple_qgis_project_files');
      expect(await t.sql(`SELECT 1 FROM project_files WHERE project_id = $1 AND name = $2`, [projectId, name])).toEqual([]);
      expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === keysBefore.length)).toEqual(keysBefore);
      const now = await f.getProject(owner, projectId);
      expect(now).toEqual(previous);
    });

    it('deleting a non-restricted file moves only data_last_updated_at', async () => {
      await step();
      expectStatus(await f.remove(owner, projectId, 'data.gpkg'), 204);
      const now = await f.getProject(owner, projectId);
      expect(later(now.data_last_updated_at, previous.data_last_updated_at)).toBe(true);
      expect(now.restricted_data_last_updated_at).toBe(previous.restricted_data_last_updated_at);
      previous = now;
    });

    it('deleting a restricted file moves restricted_data_last_updated_at', async () => {
      await step();
      expectStatus(await f.remove(owner, projectId, 'project.qml'), 204);
      const now = await f.getProject(owner, projectId);
      expect(later(now.data_last_updated_at, previous.data_last_updated_at)).toBe(true);
      expect(later(now.restricted_data_last_updated_at, previous.restricted_data_last_updated_at)).toBe(true);
      previous = now;
    });

    it('deleting the QGIS file clears the_qgis_file_name and status goes back to failed', async () => {
      await step();
      expectStatus(await f.remove(owner, projectId, 'project.qgs'), 204);
      const now = await f.getProject(owner, projectId);
      expect([now.the_qgis_file_name, now.status]).toEqual([null, 'failed']);
      expect(later(now.restricted_data_last_updated_at, previous.restricted_data_last_updated_at)).toBe(true);
      previous = now;
    });

    it('after that, another QGIS file may become the project’s', async () => {
      const res = await f.upload(owner, projectId, 'renamed.qgz', qgz('renamed'));
      expectStatus(res, 201);
      const now = await f.getProject(owner, projectId);
      expect([now.the_qgis_file_name, now.status]).toEqual(['renamed.qgz', 'busy']);
    });

    it('the same facts show in the projects list', async () => {
      const res = await request(t.http).get(PROJECTS).set(auth(owner));
      expectStatus(res, 200);
      const listed = res.body.find((p: any) => p.id === projectId);
      expect(listed).toEqual(expect.objectContaining({ the_qgis_file_name: 'renamed.qgz', status: 'busy', file_storage_bytes: (await f.getProject(owner, projectId)).file_storage_bytes }));
    });
  });

  describe('a shared_datasets project', () => {
    let projectId: string;
    beforeAll(async () => {
      projectId = (await f.project(owner, 'shared_datasets')).id;
    });

    it.each(['project.qgs', 'project.qgz'])('refuses a QGIS file (%s) with 400 qgis_project_file_not_allowed and keeps nothing', async (name) => {
      expectError(await f.upload(owner, projectId, name, qgs()), 400, 'qgis_project_file_not_allowed');
      expect(await fileRowCount(t, projectId)).toEqual({ files: 0, versions: 0 });
      expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === 0)).toEqual([]);
    });

    it('takes other files; status stays ok', async () => {
      expectStatus(await f.upload(owner, projectId, 'shared.gpkg', Buffer.from('data')), 201);
      const project = await f.getProject(owner, projectId);
      expect([project.status, project.the_qgis_file_name, project.file_storage_bytes]).toEqual(['ok', null, 4]);
    });
  });
});

// =============================================================================================

describe('restricted files (has_restricted_projectfiles, spec §5.1, §6.4, §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof api>;
  let owner: string;
  const tokens: Record<string, string> = {};
  let projectId: string;

  beforeAll(async () => {
    t = await startTestApp();
    await listen(t);
    f = api(t);
    owner = await t.createPerson('olga');
    projectId = (await f.project(owner, 'restricted', { has_restricted_projectfiles: true })).id;
    for (const [name, role] of [
      ['adam', 'admin'],
      ['mona', 'manager'],
      ['eddie', 'editor'],
      ['rita', 'reporter'],
    ] as [string, Role][]) {
      tokens[role] = await t.createPerson(name);
      await f.grant(owner, projectId, name, role);
    }
  });
  afterAll(() => t?.close());

  it.each(['editor', 'reporter'])('a %s may not upload the project’s first .qgs (it counts as restricted)', async (role) => {
    expectError(await f.upload(tokens[role], projectId, 'project.qgs', qgs()), 403, 'permission_denied');
    expect(await fileRowCount(t, projectId)).toEqual({ files: 0, versions: 0 });
    expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === 0)).toEqual([]);
  });

  it('the owner uploads the QGIS file', async () => {
    await f.put(owner, projectId, 'project.qgs', qgs());
    expect((await f.getProject(owner, projectId)).the_qgis_file_name).toBe('project.qgs');
  });

  describe.each(['editor', 'reporter'])('a %s', (role) => {
    it.each(['project.qgs', 'project.qgd', 'project.qml', 'project_attachments.zip'])('may not upload %s (403, nothing kept)', async (name) => {
      const before = await versionKeys(t, projectId);
      expectError(await f.upload(tokens[role], projectId, name, Buffer.from(`${role} ${name}`)), 403, 'permission_denied');
      expect(await versionKeys(t, projectId)).toEqual(before);
      expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === before.length)).toEqual(before);
    });

    it.each(['data.gpkg', 'DCIM/photo.jpg', 'other.qml'])('may upload the non-restricted %s', async (name) => {
      expectStatus(await f.upload(tokens[role], projectId, name, name.endsWith('.qgs') ? qgs() : Buffer.from(`${role} ${name}`)), 201);
    });
  });

  it.each([
    ['manager', 'project.qml'],
    ['manager', 'project.qgs'],
    ['admin', 'project.qgd'],
    ['admin', 'project_attachments.zip'],
  ])('a %s may upload %s', async (role, name) => {
    expectStatus(await f.upload(tokens[role], projectId, name, name.endsWith('.qgs') ? qgs() : Buffer.from(`${role} ${name}`)), 201);
  });

  it.each(['project.qgs', 'project.qml', 'project.qgd', 'project_attachments.zip'])('an editor may not delete %s (403, still there)', async (name) => {
    expectError(await f.remove(tokens.editor, projectId, name), 403, 'permission_denied');
    expect(await t.sql(`SELECT 1 FROM project_files WHERE project_id = $1 AND name = $2`, [projectId, name])).toHaveLength(1);
  });

  it('an editor may delete a non-restricted file', async () => {
    expectStatus(await f.remove(tokens.editor, projectId, 'data.gpkg'), 204);
  });

  it('a manager may delete a restricted file', async () => {
    expectStatus(await f.remove(tokens.manager, projectId, 'project.qml'), 204);
  });

  it('an admin may delete a restricted file', async () => {
    expectStatus(await f.remove(tokens.admin, projectId, 'project.qgd'), 204);
  });

  it('a manager may upload the first .qgs of another restricted project', async () => {
    const other = (await f.project(owner, 'restricted-two', { has_restricted_projectfiles: true })).id;
    await f.grant(owner, other, 'mona', 'manager');
    expectStatus(await f.upload(tokens.manager, other, 'map.qgz', qgz('map')), 201);
  });

  it('without has_restricted_projectfiles an editor may upload and delete the QGIS file', async () => {
    const open = (await f.project(owner, 'unrestricted')).id;
    await f.grant(owner, open, 'eddie', 'editor');
    expectStatus(await f.upload(tokens.editor, open, 'project.qgs', qgs()), 201);
    expectStatus(await f.upload(tokens.editor, open, 'project.qml', Buffer.from('style')), 201);
    expectStatus(await f.remove(tokens.editor, open, 'project.qgs'), 204);
  });
});

// =============================================================================================

describe('quota (spec §5.6, §8), STORAGE_KEEP_VERSIONS=1', () => {
  let t: TestApp;
  let f: ReturnType<typeof api>;

  beforeAll(async () => {
    t = await startTestApp({ STORAGE_KEEP_VERSIONS: '1' });
    await listen(t);
    f = api(t);
  });
  afterAll(() => t?.close());

  it('an upload that would exceed the owner’s quota is 402 over_quota and nothing is kept', async () => {
    const carol = await t.createPerson('carol');
    await f.setQuota('carol', 1000);
    const projectId = (await f.project(carol, 'quota-exceeded')).id;
    expectError(await f.upload(carol, projectId, 'big.bin', randomBytes(1001)), 402, 'over_quota');
    expect(await fileRowCount(t, projectId)).toEqual({ files: 0, versions: 0 });
    expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === 0)).toEqual([]);
    const project = await f.getProject(carol, projectId);
    expect([project.file_storage_bytes, project.data_last_updated_at]).toEqual([0, null]);
    expect((await f.me(carol)).storage_used_bytes).toBe(0);
  });

  it('an upload that exactly fills the quota is accepted', async () => {
    const cleo = await t.createPerson('cleo');
    await f.setQuota('cleo', 1000);
    const projectId = (await f.project(cleo, 'quota-exact')).id;
    expectStatus(await f.upload(cleo, projectId, 'exact.bin', randomBytes(1000)), 201);
    expect((await f.me(cleo)).storage_used_bytes).toBe(1000);
  });

  it('the quota counts every project of the owner', async () => {
    const cora = await t.createPerson('cora');
    await f.setQuota('cora', 1000);
    const one = (await f.project(cora, 'quota-one')).id;
    const two = (await f.project(cora, 'quota-two')).id;
    await f.put(cora, one, 'a.bin', randomBytes(600));
    expectError(await f.upload(cora, two, 'b.bin', randomBytes(500)), 402, 'over_quota');
    expect(await fileRowCount(t, two)).toEqual({ files: 0, versions: 0 });
    expect(await eventually(() => storedFiles(t, two), (files) => files.length === 0)).toEqual([]);
  });

  it('a refused re-upload keeps the existing version intact', async () => {
    const cody = await t.createPerson('cody');
    await f.setQuota('cody', 1000);
    const projectId = (await f.project(cody, 'quota-reupload')).id;
    const original = randomBytes(300);
    await f.put(cody, projectId, 'keep.bin', original);
    await f.put(cody, projectId, 'other.bin', randomBytes(600));
    const keys = await versionKeys(t, projectId);
    expectError(await f.upload(cody, projectId, 'keep.bin', randomBytes(500)), 402, 'over_quota');
    expect(await versionKeys(t, projectId)).toEqual(keys);
    expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === keys.length)).toEqual(keys);
    const back = await f.download(cody, projectId, 'keep.bin');
    expect(md5(back.body)).toBe(md5(original));
  });

  describe('counting pruned versions as gone', () => {
    let dave: string;
    let projectId: string;
    beforeAll(async () => {
      dave = await t.createPerson('dave');
      await f.setQuota('dave', 1000);
      projectId = (await f.project(dave, 'quota-prune')).id;
      await f.put(dave, projectId, 'a.bin', randomBytes(600));
    });

    it('accepts a replacement whose pruned version makes room (600 → 700 within 1000)', async () => {
      const res = await f.upload(dave, projectId, 'a.bin', randomBytes(700));
      expectStatus(res, 201);
      expect(res.body.versions).toHaveLength(1);
      expect(res.body.size).toBe(700);
    });

    it('then counts only the kept bytes', async () => {
      expect((await f.getProject(dave, projectId)).file_storage_bytes).toBe(700);
      expect((await f.me(dave)).storage_used_bytes).toBe(700);
      expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === 1)).toEqual(await versionKeys(t, projectId));
    });

    it('still refuses a new file that does not fit (700 + 400 > 1000)', async () => {
      expectError(await f.upload(dave, projectId, 'b.bin', randomBytes(400)), 402, 'over_quota');
      expect((await f.getProject(dave, projectId)).file_storage_bytes).toBe(700);
    });
  });

  describe('two parallel uploads that each fit alone but not together', () => {
    let frank: string;
    let projectId: string;
    let statuses: number[];
    let bodies: Res[];
    beforeAll(async () => {
      frank = await t.createPerson('frank');
      await f.setQuota('frank', 1000);
      projectId = (await f.project(frank, 'quota-race')).id;
      bodies = await Promise.all([f.upload(frank, projectId, 'left.bin', randomBytes(600)), f.upload(frank, projectId, 'right.bin', randomBytes(600))]);
      statuses = bodies.map((res) => res.status).sort();
    });

    it('exactly one is 201 and the other 402 over_quota', () => {
      expect(statuses).toEqual([201, 402]);
      expectError(bodies.find((res) => res.status === 402)!, 402, 'over_quota');
    });

    it('keeps exactly one file, its row and its bytes', async () => {
      expect(await fileRowCount(t, projectId)).toEqual({ files: 1, versions: 1 });
      expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === 1)).toEqual(await versionKeys(t, projectId));
      expect((await f.getProject(frank, projectId)).file_storage_bytes).toBe(600);
    });
  });

  describe('transfer into an account without room', () => {
    let gina: string;
    let hank: string;
    let projectId: string;
    let before: Record<string, any>;
    beforeAll(async () => {
      gina = await t.createPerson('gina');
      hank = await t.createPerson('hank');
      await f.setQuota('hank', 1000);
      projectId = (await f.project(gina, 'moving')).id;
      await f.put(gina, projectId, 'a.bin', randomBytes(500));
      const hanks = (await f.project(hank, 'hanks-own')).id;
      await f.put(hank, hanks, 'h.bin', randomBytes(600));
      before = await f.getProject(gina, projectId);
    });

    it('is 402 over_quota', async () => {
      const res = await request(t.http).patch(`${PROJECTS}${projectId}/`).set(auth(gina)).send({ owner: 'hank', description: 'moved' });
      expectError(res, 402, 'over_quota');
    });

    it('changes nothing: owner, description, accounting', async () => {
      expect(await f.getProject(gina, projectId)).toEqual(before);
      expect((await f.me(gina)).storage_used_bytes).toBe(500);
      expect((await f.me(hank)).storage_used_bytes).toBe(600);
      const [row] = await t.sql<{ username: string }>(`SELECT a.username FROM projects p JOIN accounts a ON a.id = p.owner_id WHERE p.id = $1`, [projectId]);
      expect(row.username).toBe('gina');
    });

    it('a transfer into an account with room succeeds and moves the bytes', async () => {
      const ivan = await t.createPerson('ivan');
      await f.setQuota('ivan', 500);
      const res = await request(t.http).patch(`${PROJECTS}${projectId}/`).set(auth(gina)).send({ owner: 'ivan' });
      expectStatus(res, 200);
      expect(res.body.owner).toBe('ivan');
      expect((await f.me(ivan)).storage_used_bytes).toBe(500);
      expect((await f.me(gina)).storage_used_bytes).toBe(0);
    });
  });
});

// =============================================================================================

describe('GET /api/v1/files/{projectId}/{path}/ — download (spec §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof api>;
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
    f = api(t);
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
  let f: ReturnType<typeof api>;
  let owner: string;
  let reader: string;
  let stranger: string;
  let projectId: string;
  const names = ['zeta.txt', 'alpha.txt', 'mid/one.txt', 'DCIM/photo-1.jpg', 'beta/DCIM/not-attachment.jpg'];

  beforeAll(async () => {
    t = await startTestApp();
    await listen(t);
    f = api(t);
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

describe('DELETE /api/v1/files/{projectId}/{path}/ (spec §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof api>;
  let owner: string;
  const tokens: Record<string, string> = {};
  let projectId: string;

  beforeAll(async () => {
    t = await startTestApp();
    await listen(t);
    f = api(t);
    owner = await t.createPerson('olga');
    projectId = (await f.project(owner, 'deletes')).id;
    for (const [name, role] of [
      ['eddie', 'editor'],
      ['rita', 'reporter'],
      ['reed', 'reader'],
    ] as [string, Role][]) {
      tokens[role] = await t.createPerson(name);
      await f.grant(owner, projectId, name, role);
    }
  });
  afterAll(() => t?.close());

  async function keysOf(name: string): Promise<string[]> {
    const rows = await t.sql<{ storage_key: string }>(
      `SELECT v.storage_key FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1 AND f.name = $2`,
      [projectId, name],
    );
    return rows.map((row) => row.storage_key);
  }

  it('removes the file with all its versions: rows and stored bytes', async () => {
    await f.put(owner, projectId, 'whole.txt', Buffer.from('v1'));
    await f.put(owner, projectId, 'whole.txt', Buffer.from('v2'));
    await f.put(owner, projectId, 'keep.txt', Buffer.from('stays'));
    const keys = await keysOf('whole.txt');
    expect(keys).toHaveLength(2);

    const res = await f.remove(owner, projectId, 'whole.txt');
    expect(res.status).toBe(204);
    expect(res.text ?? '').toBe('');
    expect(await keysOf('whole.txt')).toEqual([]);
    expect(await t.sql(`SELECT 1 FROM project_files WHERE project_id = $1 AND name = 'whole.txt'`, [projectId])).toEqual([]);
    expect(await t.sql(`SELECT 1 FROM file_versions WHERE storage_key = ANY($1)`, [keys])).toEqual([]);
    for (const key of keys) expect(await isStored(t, key)).toBe(false);
    expect(await storedFiles(t, projectId)).toEqual(await versionKeys(t, projectId));
    expectError(await f.downloadError(owner, projectId, 'whole.txt'), 404, 'object_not_found');
  });

  it('leaves the other files alone', async () => {
    const res = await f.download(owner, projectId, 'keep.txt');
    expectStatus(res, 200);
    expect(res.body.toString()).toBe('stays');
  });

  it('works without the trailing slash, on nested paths', async () => {
    await f.put(owner, projectId, 'a/b/nested.txt', Buffer.from('nested'));
    expect((await f.remove(owner, projectId, 'a/b/nested.txt', { slash: false })).status).toBe(204);
    expect(await keysOf('a/b/nested.txt')).toEqual([]);
  });

  describe('x-file-version', () => {
    let versions: { version_id: string; md5sum: string }[];
    let keys: Record<string, string>;
    const contents = ['first', 'second', 'third'].map((s) => Buffer.from(s));
    beforeAll(async () => {
      let last: Record<string, any> = {};
      for (const content of contents) {
        last = await f.put(owner, projectId, 'versioned.txt', content);
        await sleep(5);
      }
      versions = last.versions;
      const rows = await t.sql<{ id: string; storage_key: string }>(
        `SELECT v.id, v.storage_key FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1 AND f.name = 'versioned.txt'`,
        [projectId],
      );
      keys = Object.fromEntries(rows.map((row) => [row.id, row.storage_key]));
    });

    it('removes just that version; the others stay', async () => {
      const middle = versions[1];
      expect((await f.remove(owner, projectId, 'versioned.txt', { version: middle.version_id })).status).toBe(204);
      const listed = (await f.list(owner, projectId)).body.find((file: any) => file.name === 'versioned.txt');
      expect(listed.versions.map((v: any) => v.version_id)).toEqual([versions[0].version_id, versions[2].version_id]);
      expect(await isStored(t, keys[middle.version_id])).toBe(false);
      expect(await isStored(t, keys[versions[0].version_id])).toBe(true);
      expect(await isStored(t, keys[versions[2].version_id])).toBe(true);
      expect(await t.sql(`SELECT 1 FROM file_versions WHERE id = $1`, [middle.version_id])).toEqual([]);
    });

    it('removing the newest version makes the previous one the file', async () => {
      expect((await f.remove(owner, projectId, 'versioned.txt', { version: versions[0].version_id })).status).toBe(204);
      const res = await f.download(owner, projectId, 'versioned.txt');
      expectStatus(res, 200);
      expect(res.body.toString()).toBe('first');
    });

    it('an unknown version is 404 object_not_found, nothing removed', async () => {
      expectError(await f.remove(owner, projectId, 'versioned.txt', { version: randomUUID() }), 404, 'object_not_found');
      expect(await keysOf('versioned.txt')).toHaveLength(1);
    });

    it('a version id that is not a UUID is 400 validation_error', async () => {
      expectError(await f.remove(owner, projectId, 'versioned.txt', { version: 'nope' }), 400, 'validation_error');
      expect(await keysOf('versioned.txt')).toHaveLength(1);
    });

    it('removing the last version removes the file', async () => {
      expect((await f.remove(owner, projectId, 'versioned.txt', { version: versions[2].version_id })).status).toBe(204);
      expect(await t.sql(`SELECT 1 FROM project_files WHERE project_id = $1 AND name = 'versioned.txt'`, [projectId])).toEqual([]);
      expect(await isStored(t, keys[versions[2].version_id])).toBe(false);
      expectError(await f.downloadError(owner, projectId, 'versioned.txt'), 404, 'object_not_found');
      expect((await f.list(owner, projectId)).body.map((file: any) => file.name)).not.toContain('versioned.txt');
    });
  });

  it('keeps file_storage_bytes equal to the bytes still stored', async () => {
    const project = await f.getProject(owner, projectId);
    const [{ sum }] = await t.sql<{ sum: number }>(
      `SELECT coalesce(sum(v.size), 0)::int AS sum FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1`,
      [projectId],
    );
    expect(project.file_storage_bytes).toBe(sum);
    expect(await storedFiles(t, projectId)).toEqual(await versionKeys(t, projectId));
  });

  it('an unknown file is 404 object_not_found', async () => {
    expectError(await f.remove(owner, projectId, 'missing.txt'), 404, 'object_not_found');
  });

  it('an editor may delete', async () => {
    await f.put(owner, projectId, 'by-editor.txt', Buffer.from('x'));
    expect((await f.remove(tokens.editor, projectId, 'by-editor.txt')).status).toBe(204);
    expect(await keysOf('by-editor.txt')).toEqual([]);
  });

  it.each(['reporter', 'reader'])('a %s may not delete (403), the file stays', async (role) => {
    await f.put(owner, projectId, `not-by-${role}.txt`, Buffer.from('x'));
    expectError(await f.remove(tokens[role], projectId, `not-by-${role}.txt`), 403, 'permission_denied');
    expect(await keysOf(`not-by-${role}.txt`)).toHaveLength(1);
  });

  it('a stranger is 403 permission_denied', async () => {
    const stranger = await t.createPerson('sam');
    expectError(await f.remove(stranger, projectId, 'keep.txt'), 403, 'permission_denied');
  });
});

// =============================================================================================

describe('stored bytes leave with the project and with aborted uploads (spec §5.8, §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof api>;
  let base: string;
  let owner: string;

  beforeAll(async () => {
    t = await startTestApp();
    base = await listen(t);
    f = api(t);
    owner = await t.createPerson('olga');
  });
  afterAll(() => t?.close());

  it('DELETE /api/v1/projects/{id}/ removes every stored file of the project', async () => {
    const projectId = (await f.project(owner, 'doomed')).id;
    const keep = (await f.project(owner, 'survivor')).id;
    await f.put(owner, projectId, 'a.txt', Buffer.from('a1'));
    await f.put(owner, projectId, 'a.txt', Buffer.from('a2'));
    await f.put(owner, projectId, 'deep/b/c.gpkg', randomBytes(2048));
    await f.put(owner, projectId, 'project.qgs', qgs());
    await f.put(owner, keep, 'kept.txt', Buffer.from('kept'));
    expect(await storedFiles(t, projectId)).toHaveLength(4);

    expect((await request(t.http).delete(`${PROJECTS}${projectId}/`).set(auth(owner))).status).toBe(204);
    expect(await eventually(() => storedFiles(t, projectId), (files) => files.length === 0)).toEqual([]);
    expect(await fileRowCount(t, projectId)).toEqual({ files: 0, versions: 0 });
    expect(await storedFiles(t, keep)).toHaveLength(1);
    expect((await f.me(owner)).storage_used_bytes).toBe(4);
  });

  it('an upload aborted midway by the client leaves no row and no stored bytes', async () => {
    const projectId = (await f.project(owner, 'aborted')).id;
    const head = multipartHead('aborted.bin');
    const declared = head.length + 4 * 1024 * 1024 + MULTIPART_TAIL.length;
    const req = http.request(`${base}${f.fileUrl(projectId, 'aborted.bin')}`, {
      method: 'POST',
      agent: false,
      headers: { Authorization: `Token ${owner}`, 'Content-Type': MULTIPART_TYPE, 'Content-Length': declared },
    });
    const outcome = new Promise<string>((resolve) => {
      req.on('error', (error) => resolve(`error: ${error.message}`));
      req.on('response', (res) => {
        res.resume();
        resolve(`response: ${res.statusCode}`);
      });
    });
    req.write(head);
    req.write(randomBytes(256 * 1024));
    // Give the server time to start writing the part to storage before the client goes away.
    await eventually(() => storedFiles(t, projectId), (files) => files.length > 0, 1000);
    await sleep(100);
    req.destroy();
    await outcome;
    await sleep(500);

    expect(await fileRowCount(t, projectId)).toEqual({ files: 0, versions: 0 });
    const stored = await eventually(() => storedFiles(t, projectId), (files) => files.length === 0);
    expect(stored).toEqual([]); // neither a complete object nor a leftover *.partial
    expect((await f.getProject(owner, projectId)).file_storage_bytes).toBe(0);
  });

  it('the server keeps answering after the aborted upload', async () => {
    const projectId = (await f.project(owner, 'after-abort')).id;
    expectStatus(await f.upload(owner, projectId, 'fine.txt', Buffer.from('fine')), 201);
  });
});

// =============================================================================================

describe('large files stream (spec §8: never held in memory whole)', () => {
  const SIZE = 200 * 1024 * 1024;
  const CHUNK = 1024 * 1024;
  const LIMIT = 100 * 1024 * 1024;
  let t: TestApp;
  let f: ReturnType<typeof api>;
  let base: string;
  let owner: string;
  let projectId: string;
  let tmpDir: string;
  let tmpFile: string;
  let expectedMd5: string;
  let expectedSha256: string;

  beforeAll(async () => {
    t = await startTestApp({ FILE_MAX_BYTES: '300000000' });
    base = await listen(t);
    f = api(t);
    owner = await t.createPerson('olga');
    projectId = (await f.project(owner, 'big-files')).id;

    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-files-test-'));
    tmpFile = path.join(tmpDir, 'big.bin');
    const hash = createHash('md5');
    const sha = createHash('sha256');
    const chunk = randomBytes(CHUNK);
    const fd = fs.openSync(tmpFile, 'w');
    try {
      for (let i = 0; i < SIZE / CHUNK; i++) {
        chunk.writeUInt32BE(i, 0); // no two chunks alike
        hash.update(chunk);
        sha.update(chunk);
        fs.writeSync(fd, chunk);
      }
    } finally {
      fs.closeSync(fd);
    }
    expectedMd5 = hash.digest('hex');
    expectedSha256 = sha.digest('hex');
  }, 60_000);
  afterAll(async () => {
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    await t?.close();
  });

  /** Samples the process RSS while `work` runs; returns the largest growth over the start. */
  async function rssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
    const start = process.memoryUsage.rss();
    let peak = start;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    try {
      const result = await work();
      peak = Math.max(peak, process.memoryUsage.rss());
      return { result, growth: peak - start };
    } finally {
      clearInterval(timer);
    }
  }

  it('uploads 200 MB streamed, with the right size and hashes', async () => {
    const head = multipartHead('big.bin');
    const { result, growth } = await rssGrowth(
      () =>
        new Promise<RawResponse>((resolve, reject) => {
          const req = http.request(
            `${base}${f.fileUrl(projectId, 'big.bin')}`,
            {
              method: 'POST',
              agent: false,
              headers: { Authorization: `Token ${owner}`, 'Content-Type': MULTIPART_TYPE, 'Content-Length': head.length + SIZE + MULTIPART_TAIL.length },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString()) }));
            },
          );
          req.on('error', reject);
          const body = Readable.from(
            (async function* () {
              yield head;
              for await (const chunk of fs.createReadStream(tmpFile, { highWaterMark: 256 * 1024 })) yield chunk as Buffer;
              yield MULTIPART_TAIL;
            })(),
          );
          body.on('error', reject);
          body.pipe(req);
        }),
    );
    expectStatus(result, 201);
    // md5sum is the S3-style ETag of 8 MiB parts (files-etag.e2e.spec.ts checks its value).
    expect(result.body).toEqual(expect.objectContaining({ name: 'big.bin', size: SIZE, sha256: expectedSha256, md5sum: expect.stringMatching(/^[0-9a-f]{32}-25$/) }));
    expect(growth).toBeLessThan(LIMIT);
  }, 60_000);

  it('downloads 200 MB with the server’s memory flat, the bytes intact', async () => {
    const { result, growth } = await rssGrowth(
      () =>
        new Promise<{ status: number; length: number; md5: string; contentLength: string | undefined }>((resolve, reject) => {
          const req = http.request(`${base}${f.fileUrl(projectId, 'big.bin')}`, { method: 'GET', agent: false, headers: { Authorization: `Token ${owner}` } }, (res) => {
            const hash = createHash('md5');
            let length = 0;
            res.on('data', (chunk: Buffer) => {
              length += chunk.length; // hashed and dropped, never kept
              hash.update(chunk);
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, length, md5: hash.digest('hex'), contentLength: res.headers['content-length'] }));
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end();
        }),
    );
    expect(result).toEqual({ status: 200, length: SIZE, md5: expectedMd5, contentLength: String(SIZE) });
    expect(growth).toBeLessThan(LIMIT);
  }, 60_000);
});
