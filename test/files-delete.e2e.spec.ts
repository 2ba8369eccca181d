import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { S3FileStorage } from '../src/storage/s3-file-storage.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { qgs } from './support/qgis-files.js';
import { eventually, sleep, type Role } from './support/kit.js';
import {
  filesApi,
  fileRowCount,
  isStored,
  listen,
  MULTIPART_TAIL,
  MULTIPART_TYPE,
  multipartHead,
  PROJECTS,
  storedFiles,
  storedFilesOnceEmpty,
  versionKeys,
  type RawResponse,
} from './support/files-fixtures.js';

describe('DELETE /api/v1/files/{projectId}/{path}/ (spec §8)', () => {
  let t: TestApp;
  let f: ReturnType<typeof filesApi>;
  let owner: string;
  const tokens: Record<string, string> = {};
  let projectId: string;

  beforeAll(async () => {
    t = await startTestApp();
    await listen(t);
    f = filesApi(t);
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
  let f: ReturnType<typeof filesApi>;
  let base: string;
  let owner: string;

  beforeAll(async () => {
    t = await startTestApp();
    base = await listen(t);
    f = filesApi(t);
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
    expect(await storedFilesOnceEmpty(t, projectId)).toEqual([]);
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
    await eventually(
      () => storedFiles(t, projectId),
      (files) => files.length > 0,
      1000,
    );
    await sleep(100);
    req.destroy();
    await outcome;
    await sleep(500);

    expect(await fileRowCount(t, projectId)).toEqual({ files: 0, versions: 0 });
    const stored = await storedFilesOnceEmpty(t, projectId);
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
  /** Half the file, and on S3 the parts the driver holds by design: far less than the file held whole. */
  let LIMIT = 100 * 1024 * 1024;
  let t: TestApp;
  let f: ReturnType<typeof filesApi>;
  let base: string;
  let owner: string;
  let projectId: string;
  let tmpDir: string;
  let tmpFile: string;
  let expectedMd5: string;
  let expectedSha256: string;

  beforeAll(async () => {
    t = await startTestApp({ FILE_MAX_BYTES: '300000000' });
    if (t.storage instanceof S3FileStorage) LIMIT += t.storage.bytesHeldPerUpload;
    base = await listen(t);
    f = filesApi(t);
    owner = await t.createPerson('olga');
    projectId = (await f.project(owner, 'big-files')).id;
    // Starts the hashing thread, a one-time cost of the server (about 10 MB), not memory an upload holds.
    expectStatus(await f.upload(owner, projectId, 'warm-up.bin', randomBytes(2 * CHUNK)), 201);

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
    expect(result.body).toEqual(
      expect.objectContaining({ name: 'big.bin', size: SIZE, sha256: expectedSha256, md5sum: expect.stringMatching(/^[0-9a-f]{32}-25$/) }),
    );
    expect(growth).toBeLessThan(LIMIT);
  }, 60_000);

  it('downloads 200 MB with the server’s memory flat, the bytes intact', async () => {
    const { result, growth } = await rssGrowth(
      () =>
        new Promise<{ status: number; length: number; md5: string; contentLength: string | undefined }>((resolve, reject) => {
          const req = http.request(
            `${base}${f.fileUrl(projectId, 'big.bin')}`,
            { method: 'GET', agent: false, headers: { Authorization: `Token ${owner}` } },
            (res) => {
              const hash = createHash('md5');
              let length = 0;
              res.on('data', (chunk: Buffer) => {
                length += chunk.length; // hashed and dropped, never kept
                hash.update(chunk);
              });
              res.on('end', () => resolve({ status: res.statusCode ?? 0, length, md5: hash.digest('hex'), contentLength: res.headers['content-length'] }));
              res.on('error', reject);
            },
          );
          req.on('error', reject);
          req.end();
        }),
    );
    expect(result).toEqual({ status: 200, length: SIZE, md5: expectedMd5, contentLength: String(SIZE) });
    expect(growth).toBeLessThan(LIMIT);
  }, 60_000);
});
