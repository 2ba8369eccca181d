import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { createApp, type Fieldbase } from '../../src/app.factory.js';
import { loadConfig, type AppConfig } from '../../src/config/config.js';

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

export interface TestApp {
  fieldbase: Fieldbase;
  config: AppConfig;
  http: App;
  dataDir: string;
  /** Raw SQL against the app's database. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** A token for the person (logs in through the API). */
  login(username: string, password: string, userAgent?: string): Promise<string>;
  /** Creates a person through the API as the admin; returns their token. */
  createPerson(username: string, options?: { password?: string; email?: string }): Promise<string>;
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

/** The real app (real HTTP stack, real PostgreSQL) on its own database; `env` overrides configuration. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-test-data-'));
  const config = loadConfig({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ADMIN_EMAIL: 'admin@example.com',
    ...env,
  });
  const fieldbase = await createApp(config);
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
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return app;
}

/** `Authorization` header value for a token. */
export const auth = (token: string) => ({ Authorization: `Token ${token}` });
