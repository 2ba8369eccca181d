import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { createApp, type Fieldbase } from '../../src/app.factory.js';
import { loadConfig, type AppConfig, type S3Config } from '../../src/config/config.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { s3ClientConfig } from '../../src/storage/s3-file-storage.js';

export const ADMIN = { username: 'admin', password: 'admin-password' };

/** A fresh database in the run's PostgreSQL cluster, dropped by `drop`. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL!;
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * The storage settings of the run: with TEST_STORAGE_DRIVER=s3 (npm run test:s3), the S3 server that
 * global-setup.mjs started (or TEST_S3_ENDPOINT); otherwise none, so the app stores under DATA_DIR.
 */
export function testStorageEnv(): Record<string, string> {
  if (process.env.TEST_STORAGE_DRIVER !== 's3') return {};
  const endpoint = process.env.TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('TEST_STORAGE_DRIVER=s3 but no TEST_S3_ENDPOINT: the jest globalSetup did not run');
  return {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: endpoint,
    S3_REGION: process.env.TEST_S3_REGION ?? 'us-east-1',
    S3_ACCESS_KEY_ID: process.env.TEST_S3_ACCESS_KEY_ID ?? '',
    S3_SECRET_ACCESS_KEY: process.env.TEST_S3_SECRET_ACCESS_KEY ?? '',
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/** A new, empty bucket for the app's S3 settings; `drop` empties and removes it. */
export async function createTestBucket(s3: S3Config): Promise<{ drop(): Promise<void> }> {
  const client = new S3Client(s3ClientConfig(s3));
  try {
    await client.send(new CreateBucketCommand({ Bucket: s3.bucket }));
  } catch (error) {
    client.destroy();
    throw new Error(`could not create the test bucket ${s3.bucket} at ${s3.endpoint}: ${error}`);
  }
  return {
    drop: async () => {
      try {
        let token: string | undefined;
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, ContinuationToken: token }));
          const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
          if (keys.length) await client.send(new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: keys, Quiet: true } }));
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        await client.send(new DeleteBucketCommand({ Bucket: s3.bucket }));
      } finally {
        client.destroy();
      }
    },
  };
}

export interface TestApp {
  fieldbase: Fieldbase;
  config: AppConfig;
  http: App;
  /** DATA_DIR; stored files are under `files/` only with the local driver (see `storedKeys`). */
  dataDir: string;
  /** The app's storage, whichever the driver. */
  storage: FileStorage;
  /** The storage keys under `prefix` (e.g. `thumbnails/<projectId>/`), sorted; works with either driver. */
  storedKeys(prefix: string): Promise<string[]>;
  /** Raw SQL against the app's database. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** A token for the person (logs in through the API). */
  login(username: string, password: string, userAgent?: string): Promise<string>;
  /** Creates a person through the API as the admin; returns their token. */
  createPerson(username: string, options?: { password?: string; email?: string }): Promise<string>;
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real app (real HTTP stack, real PostgreSQL) on its own database; `env` overrides configuration.
 * The storage is the run's (TEST_STORAGE_DRIVER); with STORAGE_DRIVER=s3 and no S3_BUCKET in the end,
 * a fresh bucket is created for this app and removed by `close`.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-test-data-'));
  const settings: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ADMIN_EMAIL: 'admin@example.com',
    // Tests that need the job worker (and QGIS) turn it on; the others leave their jobs pending.
    WORKER: 'false',
    ...testStorageEnv(),
    ...env,
  };
  const ownBucket = settings.STORAGE_DRIVER === 's3' && !settings.S3_BUCKET;
  if (ownBucket) settings.S3_BUCKET = `fieldbase-test-${randomBytes(6).toString('hex')}`;
  const database = await createTestDatabase();
  let config: AppConfig;
  let bucket: { drop(): Promise<void> } | null = null;
  let fieldbase: Fieldbase;
  try {
    config = loadConfig({ DATABASE_URL: database.url, ...settings });
    if (ownBucket && config.s3) bucket = await createTestBucket(config.s3);
    fieldbase = await createApp(config);
  } catch (error) {
    await bucket?.drop().catch(() => undefined);
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const storage = fieldbase.app.get(FileStorage);
  const http = fieldbase.app.getHttpServer() as App;
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  let adminToken: string | null = null;

  const login = async (username: string, password: string, userAgent = 'fieldbase-tests') => {
    const res = await request(http).post('/api/v1/auth/login/').set('User-Agent', userAgent).send({ username, password });
    if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token as string;
  };
  const app: TestApp = {
    fieldbase,
    config,
    http,
    dataDir,
    storage,
    storedKeys: async (prefix) => {
      const keys: string[] = [];
      for await (const object of storage.list(prefix)) keys.push(object.key);
      return keys.sort();
    },
    sql: async (text, params) => (await pool.query(text, params)).rows,
    login,
    adminToken: async () => (adminToken ??= await login(ADMIN.username, ADMIN.password, 'sdk|py|tests')),
    createPerson: async (username, options = {}) => {
      const password = options.password ?? `${username}-password`;
      const res = await request(http)
        .post('/api/v1/users/')
        .set('Authorization', `Token ${await app.adminToken()}`)
        .send({ username, password, email: options.email ?? `${username}@example.com` });
      if (res.status !== 201) throw new Error(`creating ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return login(username, password, 'sdk|py|tests');
    },
    close: async () => {
      await pool.end();
      await fieldbase.close();
      await database.drop();
      await bucket?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return app;
}

/** `Authorization` header value for a token. */
export const auth = (token: string) => ({ Authorization: `Token ${token}` });
