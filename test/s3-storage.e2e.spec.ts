import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import request from 'supertest';
import type { S3Config } from '../src/config/config.js';
import { S3FileStorage, s3ClientConfig } from '../src/storage/s3-file-storage.js';
import { startS3Server, type TestS3Server } from './support/s3-server.mjs';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { binary, md5, png, s3Etag } from './support/kit.js';

// The S3 driver against a real S3 protocol server (s3rver, started here whatever TEST_STORAGE_DRIVER
// says): first the FileStorage port directly, then through the HTTP API.

const MIB = 1024 * 1024;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** `bytes` as a stream of 64 KiB chunks, as a request body arrives (no length known in advance). */
function chunked(bytes: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
    })(),
    { objectMode: false },
  );
}

/** A stream that delivers `bytes` random bytes and then fails, as an interrupted upload does. */
function failingAfter(bytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) {
        setImmediate(() => this.destroy(new Error('the client went away')));
        return;
      }
      const size = Math.min(64 * 1024, bytes - sent);
      sent += size;
      this.push(randomBytes(size));
    },
  });
}

/** The names of the S3 commands the storage's client sends, in order. */
function recordCommands(storage: S3FileStorage): string[] {
  const names: string[] = [];
  storage.client.middlewareStack.add(
    (next, context) => (args) => {
      names.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: `record-${randomBytes(4).toString('hex')}` },
  );
  return names;
}

let server: TestS3Server;

beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.close();
});

function s3Config(bucket: string, extra: Partial<S3Config> = {}): S3Config {
  return {
    endpoint: server.endpoint,
    bucket,
    region: 'us-east-1',
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    prefix: '',
    ...extra,
  };
}

describe('S3FileStorage (the FileStorage port on S3)', () => {
  const BUCKET = 'fieldbase-direct';
  let storage: S3FileStorage;
  let raw: S3Client;
  let commands: string[];

  beforeAll(async () => {
    raw = new S3Client(s3ClientConfig(s3Config(BUCKET)));
    await raw.send(new CreateBucketCommand({ Bucket: BUCKET }));
    storage = new S3FileStorage(s3Config(BUCKET), { listPageSize: 2 });
    commands = recordCommands(storage);
  });
  afterAll(() => {
    storage?.onApplicationShutdown();
    raw?.destroy();
  });
  beforeEach(() => {
    commands.length = 0;
  });

  it('stores and returns a small body byte for byte with one PutObject', async () => {
    const body = randomBytes(1000);
    await storage.put('small/one', chunked(body, 100));
    expect(await readAll(await storage.get('small/one'))).toEqual(body);
    expect(commands).toContain('PutObjectCommand');
    expect(commands).not.toContain('CreateMultipartUploadCommand');
  });

  it('stores an empty body', async () => {
    await storage.put('small/empty', Readable.from([]));
    expect((await readAll(await storage.get('small/empty'))).length).toBe(0);
  });

  it('replaces what was at the key', async () => {
    await storage.put('small/replaced', Readable.from([Buffer.from('first')]));
    await storage.put('small/replaced', Readable.from([Buffer.from('second')]));
    expect((await readAll(await storage.get('small/replaced'))).toString()).toBe('second');
  });

  describe('a 20 MB random body', () => {
    const body = randomBytes(20 * MIB + 12345);
    let sent: string[];

    beforeAll(async () => {
      commands.length = 0;
      await storage.put('big/random.bin', chunked(body));
      sent = [...commands];
    });

    it('went up as one multipart upload of 5 MiB parts', () => {
      expect(sent.filter((name) => name === 'CreateMultipartUploadCommand')).toHaveLength(1);
      expect(sent.filter((name) => name === 'UploadPartCommand')).toHaveLength(5);
      expect(sent.filter((name) => name === 'CompleteMultipartUploadCommand')).toHaveLength(1);
      expect(sent).not.toContain('PutObjectCommand');
    });

    it('comes back byte for byte', async () => {
      const back = await readAll(await storage.get('big/random.bin'));
      expect(back.length).toBe(body.length);
      expect(md5(back)).toBe(md5(body));
      expect(back.equals(body)).toBe(true);
    });

    it('serves a byte range across a part boundary', async () => {
      const range = { start: 5 * MIB - 10, end: 5 * MIB + 9 };
      const part = await readAll(await storage.get('big/random.bin', range));
      expect(part).toEqual(body.subarray(range.start, range.end + 1));
    });

    it('serves the last byte alone', async () => {
      const last = body.length - 1;
      expect(await readAll(await storage.get('big/random.bin', { start: last, end: last }))).toEqual(body.subarray(last));
    });
  });

  it('streams: the first part goes up long before the body has been read to its end', async () => {
    const total = 40 * MIB;
    let produced = 0;
    let producedAtFirstPart: number | null = null;
    const source = Readable.from(
      (function* () {
        const chunk = Buffer.alloc(64 * 1024, 7);
        while (produced < total) {
          produced += chunk.length;
          yield chunk;
        }
      })(),
    );
    storage.client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'UploadPartCommand') producedAtFirstPart ??= produced;
        return next(args);
      },
      { step: 'initialize', name: 'first-part-probe' },
    );
    try {
      await storage.put('big/streamed.bin', source);
    } finally {
      storage.client.middlewareStack.remove('first-part-probe');
    }
    expect(producedAtFirstPart).not.toBeNull();
    // The parts pulled by the 4 concurrent uploaders (4 × 5 MiB) and a little read-ahead, not 40 MiB.
    expect(producedAtFirstPart!).toBeLessThanOrEqual(25 * MIB);
    const stored = [];
    for await (const object of storage.list('big/streamed.bin')) stored.push(object.size);
    expect(stored).toEqual([total]);
    await storage.delete('big/streamed.bin');
  });

  it('serves a range of a small object', async () => {
    await storage.put('small/range', Readable.from([Buffer.from('0123456789abcdef')]));
    expect((await readAll(await storage.get('small/range', { start: 3, end: 7 }))).toString()).toBe('34567');
  });

  it('rejects a get of a missing key', async () => {
    await expect(storage.get('small/missing')).rejects.toThrow();
  });

  it('deletes a key, and deleting a missing key is no error', async () => {
    await storage.put('small/to-delete', Readable.from([Buffer.from('bye')]));
    await storage.delete('small/to-delete');
    await expect(storage.get('small/to-delete')).rejects.toThrow();
    await expect(storage.delete('small/to-delete')).resolves.toBeUndefined();
    await expect(storage.delete('never/was/here')).resolves.toBeUndefined();
  });

  it('lists the objects under a prefix, over several pages', async () => {
    const sizes: Record<string, number> = {};
    for (let i = 0; i < 5; i++) {
      const key = `list/a/${i}.txt`;
      sizes[key] = i + 1;
      await storage.put(key, Readable.from([Buffer.alloc(i + 1, 'x')]));
    }
    await storage.put('list/b/0.txt', Readable.from([Buffer.from('other')]));
    await storage.put('list-a-lookalike', Readable.from([Buffer.from('other')]));
    commands.length = 0;

    const seen = [];
    for await (const object of storage.list('list/a/')) seen.push(object);

    expect(seen.map((object) => object.key).sort()).toEqual(Object.keys(sizes).sort());
    for (const object of seen) {
      expect(object.size).toBe(sizes[object.key]);
      expect(object.modifiedAt).toBeInstanceOf(Date);
      expect(Math.abs(Date.now() - object.modifiedAt.getTime())).toBeLessThan(5 * 60 * 1000);
    }
    // 5 keys, 2 per page: 3 pages, the continuation tokens followed.
    expect(commands.filter((name) => name === 'ListObjectsV2Command')).toHaveLength(3);
  });

  it('lists nothing under a prefix with no objects', async () => {
    const seen = [];
    for await (const object of storage.list('nothing-here/')) seen.push(object);
    expect(seen).toEqual([]);
  });

  it('refuses keys that are not relative paths', async () => {
    await expect(storage.put('/absolute', Readable.from([]))).rejects.toThrow('invalid storage key');
    await expect(storage.get('a/../b')).rejects.toThrow('invalid storage key');
    await expect(storage.delete('a//b')).rejects.toThrow('invalid storage key');
  });

  it('check() passes for the bucket', async () => {
    await expect(storage.check()).resolves.toBeUndefined();
  });

  it('check() fails for a bucket that does not exist', async () => {
    const missing = new S3FileStorage(s3Config('fieldbase-no-such-bucket'));
    try {
      await expect(missing.check()).rejects.toThrow();
    } finally {
      missing.onApplicationShutdown();
    }
  });

  it('check() fails when the server cannot be reached', async () => {
    const nowhere = new S3FileStorage({ ...s3Config(BUCKET), endpoint: 'http://127.0.0.1:9' });
    try {
      await expect(nowhere.check()).rejects.toThrow();
    } finally {
      nowhere.onApplicationShutdown();
    }
  });

  describe('a put whose stream fails midway leaves nothing at the key', () => {
    it('within the first part (no multipart upload started)', async () => {
      await expect(storage.put('failed/small', failingAfter(1 * MIB))).rejects.toThrow('the client went away');
      await expect(storage.get('failed/small')).rejects.toThrow();
      expect(commands).not.toContain('PutObjectCommand');
    });

    it('after some parts went up (the multipart upload is aborted)', async () => {
      await expect(storage.put('failed/big', failingAfter(12 * MIB))).rejects.toThrow('the client went away');
      await expect(storage.get('failed/big')).rejects.toThrow();
      expect(commands).toContain('CreateMultipartUploadCommand');
      expect(commands).toContain('AbortMultipartUploadCommand');
      expect(commands).not.toContain('CompleteMultipartUploadCommand');
      const seen = [];
      for await (const object of storage.list('failed/')) seen.push(object);
      expect(seen).toEqual([]);
    });

    it('and the failed put replaces nothing that was there', async () => {
      await storage.put('failed/existing', Readable.from([Buffer.from('kept')]));
      await expect(storage.put('failed/existing', failingAfter(100))).rejects.toThrow('the client went away');
      expect((await readAll(await storage.get('failed/existing'))).toString()).toBe('kept');
    });
  });

  describe('with S3_PREFIX', () => {
    let prefixed: S3FileStorage;
    beforeAll(() => {
      prefixed = new S3FileStorage(s3Config(BUCKET, { prefix: 'tenant-a/' }));
    });
    afterAll(() => prefixed?.onApplicationShutdown());

    it('stores under the prefix, and lists and reads without it', async () => {
      await prefixed.put('projects/p1/file', Readable.from([Buffer.from('prefixed')]));
      const object = await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'tenant-a/projects/p1/file' }));
      expect(await object.Body!.transformToString()).toBe('prefixed');
      const seen = [];
      for await (const stored of prefixed.list('projects/')) seen.push(stored.key);
      expect(seen).toEqual(['projects/p1/file']);
      expect((await readAll(await prefixed.get('projects/p1/file'))).toString()).toBe('prefixed');
      await prefixed.delete('projects/p1/file');
      await expect(prefixed.get('projects/p1/file')).rejects.toThrow();
    });

    it('does not see objects outside its prefix', async () => {
      const seen = [];
      for await (const stored of prefixed.list('')) seen.push(stored.key);
      expect(seen).toEqual([]);
    });
  });
});

// =============================================================================================

describe('the HTTP API on S3 storage (STORAGE_DRIVER=s3)', () => {
  let t: TestApp;
  let raw: S3Client;
  let alice: string;
  let projectId: string;

  /** Every object key in the app's bucket, prefix included. */
  const bucketKeys = async (): Promise<string[]> => {
    const page = await raw.send(new ListObjectsV2Command({ Bucket: t.config.s3!.bucket }));
    return (page.Contents ?? []).map((object) => object.Key!).sort();
  };

  beforeAll(async () => {
    t = await startTestApp({
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: server.endpoint,
      S3_ACCESS_KEY_ID: server.accessKeyId,
      S3_SECRET_ACCESS_KEY: server.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      S3_PREFIX: 'fieldbase/',
    });
    raw = new S3Client(s3ClientConfig(t.config.s3!));
    alice = await t.createPerson('alice');
    const created = await request(t.http).post('/api/v1/projects/').set(auth(alice)).send({ name: 'on-s3' });
    if (created.status !== 201) throw new Error(`project creation failed: ${created.status} ${JSON.stringify(created.body)}`);
    projectId = created.body.id;
  });
  afterAll(async () => {
    raw?.destroy();
    await t?.close();
  });

  it('runs on the S3 driver, in a bucket of its own', () => {
    expect(t.config.storageDriver).toBe('s3');
    expect(t.storage).toBeInstanceOf(S3FileStorage);
  });

  it('GET /status/ reports the storage ok', async () => {
    const res = await request(t.http).get('/api/v1/status/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ database: 'ok', storage: 'ok', worker: 'off' });
  });

  describe('thumbnail', () => {
    const image = png(64, 48, { random: true });

    it('uploads, and downloads byte for byte', async () => {
      const upload = await request(t.http).post(`/api/v1/projects/${projectId}/thumbnail/`).set(auth(alice)).attach('thumbnail', image, 'thumb.png');
      expect(upload.status).toBe(204);
      const res = await request(t.http).get(`/api/v1/files/thumbnails/${projectId}/`).set(auth(alice)).buffer(true).parse(binary);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^image\/png/);
      expect(Buffer.compare(res.body as Buffer, image)).toBe(0);
    });

    it('is stored in the bucket under S3_PREFIX', async () => {
      expect(await t.storedKeys(`thumbnails/${projectId}/`)).toHaveLength(1);
      expect((await bucketKeys()).filter((key) => key.startsWith(`fieldbase/thumbnails/${projectId}/`))).toHaveLength(1);
    });

    it('a new thumbnail replaces the old one in storage', async () => {
      const second = png(10, 10, { random: true });
      const before = await t.storedKeys(`thumbnails/${projectId}/`);
      expect((await request(t.http).post(`/api/v1/projects/${projectId}/thumbnail/`).set(auth(alice)).attach('thumbnail', second, 't.png')).status).toBe(204);
      const after = await t.storedKeys(`thumbnails/${projectId}/`);
      expect(after).toHaveLength(1);
      expect(after).not.toEqual(before);
      const res = await request(t.http).get(`/api/v1/files/thumbnails/${projectId}/`).set(auth(alice)).buffer(true).parse(binary);
      expect(Buffer.compare(res.body as Buffer, second)).toBe(0);
    });
  });

  describe('project file', () => {
    // Over one 5 MiB part, so the upload through the API is a multipart upload to S3.
    const content = randomBytes(12 * MIB + 7);
    const url = () => `/api/v1/files/${projectId}/data/points.gpkg/`;
    let uploaded: request.Response;

    beforeAll(async () => {
      uploaded = await request(t.http).post(url()).set(auth(alice)).attach('file', content, 'points.gpkg');
    });

    it('uploads with POST (201, the S3-style ETag of the bytes sent as md5sum)', () => {
      expect(uploaded.status).toBe(201);
      expect(uploaded.body).toEqual(expect.objectContaining({ name: 'data/points.gpkg', size: content.length, md5sum: s3Etag(content) }));
    });

    it('downloads byte for byte with GET', async () => {
      const res = await request(t.http).get(url()).set(auth(alice)).buffer(true).parse(binary);
      expect(res.status).toBe(200);
      expect(Number(res.headers['content-length'])).toBe(content.length);
      expect((res.body as Buffer).length).toBe(content.length);
      expect(Buffer.compare(res.body as Buffer, content)).toBe(0);
    });

    it('serves a byte range (206)', async () => {
      const res = await request(t.http).get(url()).set(auth(alice)).set('Range', 'bytes=5242870-5242889').buffer(true).parse(binary);
      expect(res.status).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes 5242870-5242889/${content.length}`);
      expect(Buffer.compare(res.body as Buffer, content.subarray(5242870, 5242890))).toBe(0);
    });

    it('a small file and an empty file round-trip too', async () => {
      for (const [name, bytes] of [
        ['notes.txt', Buffer.from('field notes\n')],
        ['empty.txt', Buffer.alloc(0)],
      ] as const) {
        const up = await request(t.http).post(`/api/v1/files/${projectId}/${name}/`).set(auth(alice)).attach('file', bytes, name);
        expect(up.status).toBe(201);
        const res = await request(t.http).get(`/api/v1/files/${projectId}/${name}/`).set(auth(alice)).buffer(true).parse(binary);
        expect(res.status).toBe(200);
        expect(Buffer.compare(res.body as Buffer, bytes)).toBe(0);
      }
    });

    it('is stored in the bucket under S3_PREFIX', async () => {
      const keys = await bucketKeys();
      expect(keys.every((key) => key.startsWith('fieldbase/'))).toBe(true);
      expect(await t.storedKeys(`projects/${projectId.toLowerCase()}/`)).toHaveLength(3);
    });

    it('DELETE removes it from the bucket', async () => {
      const before = await t.storedKeys(`projects/${projectId.toLowerCase()}/`);
      expect((await request(t.http).delete(url()).set(auth(alice))).status).toBe(204);
      expect((await request(t.http).get(url()).set(auth(alice))).status).toBe(404);
      const after = await t.storedKeys(`projects/${projectId.toLowerCase()}/`);
      expect(after).toHaveLength(before.length - 1);
    });
  });

  it('DELETE of the project removes its thumbnail and files from the bucket', async () => {
    expect(await t.storedKeys(`thumbnails/${projectId}/`)).toHaveLength(1);
    expect((await t.storedKeys(`projects/${projectId}/`)).length).toBeGreaterThan(0);
    expect((await request(t.http).delete(`/api/v1/projects/${projectId}/`).set(auth(alice))).status).toBe(204);
    expect(await t.storedKeys(`thumbnails/${projectId}/`)).toEqual([]);
    expect(await t.storedKeys(`projects/${projectId}/`)).toEqual([]);
  });
});
