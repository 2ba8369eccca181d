import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../src/app.factory.js';
import { dataSourceOptions } from '../src/database/data-source.js';
import { entities } from '../src/entities.js';
import { expectStatus } from './support/expectations.js';
import { md5 } from './support/kit.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// Spec §8: `md5sum` (file list, upload answer, every version) and the download ETag are the S3-style
// ETag that the SDK and QField compute locally; 304 on If-None-Match with it, quoted or bare.

const FILES = '/api/v1/files/';
const MiB = 1024 * 1024;

/**
 * The S3-style ETag of `bytes`, computed by Python's hashlib from the spec's words (not by the
 * server's code): md5 hex up to 8 MiB inclusive, else md5 of the parts' binary md5s, `-`, part count.
 */
function expectedEtag(bytes: Buffer): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-etag-')), 'content');
  fs.writeFileSync(file, bytes);
  try {
    const script = `
import hashlib, sys
part = 8 * 1024 * 1024
data = open(sys.argv[1], "rb").read()
if len(data) <= part:
    print(hashlib.md5(data).hexdigest())
else:
    digests = [hashlib.md5(data[i:i + part]).digest() for i in range(0, len(data), part)]
    print("%s-%d" % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests)))`;
    return execFileSync('python3', ['-c', script, file], { encoding: 'utf8' }).trim();
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

let t: TestApp;
let owner: string;
let projectId: string;

beforeAll(async () => {
  t = await startTestApp();
  owner = await t.createPerson('etta');
  const res = await request(t.http).post('/api/v1/projects/').set(auth(owner)).send({ name: 'etags' });
  expectStatus(res, 201);
  projectId = res.body.id;
}, 120_000);

afterAll(() => t?.close());

const upload = (name: string, bytes: Buffer) => request(t.http).post(`${FILES}${projectId}/${name}/`).set(auth(owner)).attach('file', bytes, name);
const download = (name: string, headers: Record<string, string> = {}) =>
  request(t.http)
    .get(`${FILES}${projectId}/${name}/`)
    .set({ ...auth(owner), ...headers })
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
const listed = async (name: string) => {
  const res = await request(t.http).get(`${FILES}${projectId}/`).set(auth(owner));
  expectStatus(res, 200);
  return res.body.find((file: { name: string }) => file.name === name);
};

describe('md5sum is the S3-style ETag (spec §8)', () => {
  const cases: [string, number, RegExp][] = [
    ['empty.bin', 0, /^d41d8cd98f00b204e9800998ecf8427e$/],
    ['exactly-8MiB.bin', 8 * MiB, /^[0-9a-f]{32}$/],
    ['8MiB-plus-1.bin', 8 * MiB + 1, /^[0-9a-f]{32}-2$/],
    ['9MiB.bin', 9 * MiB, /^[0-9a-f]{32}-2$/],
    ['20MiB.bin', 20 * MiB, /^[0-9a-f]{32}-3$/],
  ];

  describe.each(cases)('%s (%d bytes)', (name, size, shape) => {
    const bytes = randomBytes(size);
    let expected: string;
    beforeAll(() => {
      expected = expectedEtag(bytes);
    });

    it('has the expected shape (plain md5 up to 8 MiB inclusive, then "-<parts>")', () => {
      expect(expected).toMatch(shape);
      if (size <= 8 * MiB) expect(expected).toBe(md5(bytes));
    });

    it('the upload answer, its version and the file list carry it; sha256 stays the plain one', async () => {
      const res = await upload(name, bytes);
      expectStatus(res, 201);
      expect([res.body.size, res.body.md5sum, res.body.versions[0].md5sum]).toEqual([size, expected, expected]);
      expect(res.body.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      const file = await listed(name);
      expect([file.md5sum, file.versions.map((v: { md5sum: string }) => v.md5sum)]).toEqual([expected, [expected]]);
    });

    it('the download sends it as the ETag, with the bytes', async () => {
      const res = await download(name);
      expectStatus(res, 200);
      expect(res.headers.etag).toBe(`"${expected}"`);
      expect(Buffer.compare(res.body, bytes)).toBe(0);
    });

    it.each([
      ['quoted', (etag: string) => `"${etag}"`],
      ['bare (as the SDK sends it)', (etag: string) => etag],
    ])('If-None-Match with it %s is 304', async (_, form) => {
      const res = await download(name, { 'If-None-Match': form(expected) });
      expect(res.status).toBe(304);
      expect(res.headers.etag).toBe(`"${expected}"`);
    });
  });

  it('above 8 MiB, If-None-Match with the plain md5 is no match (200 with the bytes)', async () => {
    const bytes = randomBytes(8 * MiB + 1);
    expectStatus(await upload('plain-md5.bin', bytes), 201);
    const res = await download('plain-md5.bin', { 'If-None-Match': md5(bytes) });
    expectStatus(res, 200);
    expect(res.body.length).toBe(bytes.length);
  });

  it('a second version gets its own value, and every version lists its own', async () => {
    const first = randomBytes(9 * MiB);
    const second = randomBytes(9 * MiB);
    await upload('twice.bin', first);
    const res = await upload('twice.bin', second);
    expectStatus(res, 201);
    expect(res.body.versions.map((v: { md5sum: string }) => v.md5sum)).toEqual([expectedEtag(second), expectedEtag(first)]);
    const old = await download(`twice.bin`, {}).query({ version: res.body.versions[1].version_id });
    expect(old.headers.etag).toBe(`"${expectedEtag(first)}"`);
  });
});

describe('versions stored before the S3-style ETag existed (migration 1765000000000-file-etags)', () => {
  const small = randomBytes(64 * 1024);
  const large = randomBytes(9 * MiB);
  const largeGone = randomBytes(9 * MiB);

  beforeAll(async () => {
    for (const [name, bytes] of [
      ['old-small.bin', small],
      ['old-large.bin', large],
      ['old-gone.bin', largeGone],
    ] as const)
      expectStatus(await upload(name, bytes), 201);
    // Back to the schema before the migration (it and the one after it undone), then migrate again.
    const db = new DataSource(dataSourceOptions(t.config.databaseUrl!, entities));
    await db.initialize();
    try {
      const names = (await db.query(`SELECT name FROM schema_migrations ORDER BY id DESC`)).map((row: { name: string }) => row.name);
      for (const name of names) {
        await db.undoLastMigration({ transaction: 'each' });
        if (name === 'FileEtags1765000000000') break;
      }
      const [{ has_etag }] = await db.query(
        `SELECT count(*)::int AS has_etag FROM information_schema.columns WHERE table_name = 'file_versions' AND column_name = 'etag'`,
      );
      expect(has_etag).toBe(0);
      await db.runMigrations({ transaction: 'each' });
    } finally {
      await db.destroy();
    }
  }, 120_000);

  it('gives versions up to 8 MiB their md5 (which is their S3-style ETag) and leaves larger ones to the backfill', async () => {
    const rows = await t.sql<{ name: string; etag: string | null; md5: string }>(
      `SELECT f.name, v.etag, v.md5 FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.name LIKE 'old-%' ORDER BY f.name`,
    );
    expect(rows).toEqual([
      { name: 'old-gone.bin', etag: null, md5: md5(largeGone) },
      { name: 'old-large.bin', etag: null, md5: md5(large) },
      { name: 'old-small.bin', etag: md5(small), md5: md5(small) },
    ]);
    // Until the backfill reaches it, a large old version answers its plain md5, as before the change.
    expect((await listed('old-large.bin')).md5sum).toBe(md5(large));
  });

  it('an app that starts fills in the missing ones (large ones read from storage); one whose bytes are gone keeps its md5', async () => {
    const [{ storage_key }] = await t.sql<{ storage_key: string }>(
      `SELECT v.storage_key FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.name = 'old-gone.bin'`,
    );
    await t.storage.delete(storage_key);
    // As an instance of the older code would write it during a rolling deploy.
    await t.sql(`UPDATE file_versions v SET etag = NULL FROM project_files f WHERE f.id = v.file_id AND f.name = 'old-small.bin'`);
    // A second instance on the same database and storage, as after a deploy.
    const second = await createApp(t.config);
    try {
      const until = Date.now() + 30_000;
      let etag: string | null = null;
      while (etag === null && Date.now() < until) {
        [{ etag }] = await t.sql<{ etag: string | null }>(
          `SELECT v.etag FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.name = 'old-large.bin'`,
        );
        if (etag === null) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(etag).toBe(expectedEtag(large));
    } finally {
      await second.close();
    }
    expect((await listed('old-large.bin')).md5sum).toBe(expectedEtag(large));
    const res = await download('old-large.bin', { 'If-None-Match': expectedEtag(large) });
    expect([res.status, res.headers.etag]).toEqual([304, `"${expectedEtag(large)}"`]);
    expect((await listed('old-gone.bin')).md5sum).toBe(md5(largeGone));
    const [{ etag: smallEtag }] = await t.sql<{ etag: string }>(
      `SELECT v.etag FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.name = 'old-small.bin'`,
    );
    expect(smallEtag).toBe(md5(small));
  });
});
