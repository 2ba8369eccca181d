import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config/config.js';
import { migrations } from '../src/database/data-source.js';
import { ServerProcess } from './support/server-process.js';
import { ADMIN, createTestBucket, createTestDatabase, testStorageEnv } from './support/test-app.js';
import { TINY_PNG } from './support/kit.js';

/** Resolves once `count` sessions wait for an advisory lock in the database (fails when a server exits first). */
async function waitForLockWaiters(db: pg.Pool, count: number, servers: ServerProcess[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    if (rows[0].waiting >= count) return;
    const gone = servers.find((server) => server.exitCode !== null);
    if (gone || Date.now() > deadline)
      throw new Error(`${rows[0].waiting} of ${count} instances wait for the migration lock:\n${servers.map((s) => s.output).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Spec §9 "Scale-out": two instances of the built server on one PostgreSQL database and one storage
 * (one DATA_DIR with the local driver, one bucket with TEST_STORAGE_DRIVER=s3), as behind a proxy
 * that sends each request to either. Every request a client makes next goes to the other instance.
 */
describe('two instances on one database and one storage (spec §9 scale-out)', () => {
  let database: { url: string; drop(): Promise<void> };
  let db: pg.Pool;
  let dataDir: string;
  let bucket: { drop(): Promise<void> } | null = null;
  let a: ServerProcess;
  let b: ServerProcess;

  const call = (server: ServerProcess, method: string, route: string, options: { token?: string; json?: unknown; form?: FormData } = {}) =>
    fetch(`${server.url}${route}`, {
      method,
      headers: {
        ...(options.token ? { Authorization: `Token ${options.token}` } : {}),
        ...(options.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      body: options.json !== undefined ? JSON.stringify(options.json) : options.form,
    });
  const login = (server: ServerProcess, username: string, password: string) => call(server, 'POST', '/auth/login/', { json: { username, password } });
  const tokenFrom = async (server: ServerProcess, username: string, password: string) => {
    const res = await login(server, username, password);
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  };
  let adminToken: string | null = null;
  const createPerson = async (server: ServerProcess, username: string) => {
    adminToken ??= await tokenFrom(server, ADMIN.username, ADMIN.password);
    const res = await call(server, 'POST', '/users/', {
      token: adminToken,
      json: { username, password: `${username}-password`, email: `${username}@example.com` },
    });
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-scale-out-'));
    const storage = testStorageEnv();
    if (storage.STORAGE_DRIVER === 's3') {
      storage.S3_BUCKET = `fieldbase-scale-${randomBytes(6).toString('hex')}`;
      bucket = await createTestBucket(loadConfig({ DATA_DIR: dataDir, ...storage }).s3!);
    }
    const env = {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      ...storage,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      LOGIN_MAX_FAILURES: '3',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    // Both at once on a database with every migration pending: the test holds the migration lock
    // until both instances wait on it, so they really do race for it.
    const holder = await db.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext('fieldbase:migrations'))`);
      [a, b] = await Promise.all([ServerProcess.start(env), ServerProcess.start(env)]);
      await waitForLockWaiters(db, 2, [a, b]);
      await holder.query(`SELECT pg_advisory_unlock(hashtext('fieldbase:migrations'))`);
    } finally {
      holder.release();
    }
    await Promise.all([a.ready(), b.ready()]);
  });

  afterAll(async () => {
    for (const server of [a, b]) if (server && server.exitCode === null) await server.stop('SIGKILL').catch(() => undefined);
    await db?.end();
    await database?.drop();
    await bucket?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('started at once on a fresh database, migrates the schema once and both serve requests', async () => {
    const { rows } = await db.query<{ name: string }>(`SELECT name FROM schema_migrations ORDER BY id`);
    expect(rows).toHaveLength(migrations.length);
    expect(new Set(rows.map((row) => row.name)).size).toBe(migrations.length);
    // One instance applied them all; the other waited on the lock and found nothing left to do.
    expect([a, b].filter((server) => server.output.includes('applied migrations:'))).toHaveLength(1);
    // The first-start admin (ADMIN_USERNAME) is created under the same lock: once, and both start.
    expect([a, b].filter((server) => server.output.includes('Created the staff account'))).toHaveLength(1);

    const { rows: admins } = await db.query(`SELECT 1 FROM accounts WHERE lower(username) = $1`, [ADMIN.username]);
    expect(admins).toHaveLength(1);
    for (const server of [a, b]) {
      const res = await call(server, 'GET', '/status/');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ database: 'ok', storage: 'ok', worker: 'off' });
    }
  });

  it('accepts on one instance a token issued by the other', async () => {
    await createPerson(a, 'alice');
    const fromB = await tokenFrom(b, 'alice', 'alice-password');
    const onA = await call(a, 'GET', '/auth/user/', { token: fromB });
    expect(onA.status).toBe(200);
    expect(((await onA.json()) as { username: string }).username).toBe('alice');

    const fromA = await tokenFrom(a, 'alice', 'alice-password');
    expect((await call(b, 'GET', '/auth/user/', { token: fromA })).status).toBe(200);
  });

  it('counts failed logins across instances and holds a lock-out on both', async () => {
    await createPerson(b, 'lucy');
    // LOGIN_MAX_FAILURES=3, the failures spread over both instances: the third starts the lock.
    for (const server of [a, b, a]) {
      const res = await login(server, 'lucy', 'wrong-password');
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('authentication_failed');
    }
    for (const server of [b, a]) {
      const res = await login(server, 'lucy', 'lucy-password');
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('too_many_failed_login_attempts');
    }
  });

  it('serves from one instance the thumbnail and the project file uploaded through the other', async () => {
    await createPerson(a, 'tom');
    const token = await tokenFrom(b, 'tom', 'tom-password');
    const created = await call(a, 'POST', '/projects/', { token, json: { name: 'shared_survey' } });
    expect(created.status).toBe(201);
    const projectId = ((await created.json()) as { id: string }).id;

    const thumbnail = new FormData();
    thumbnail.append('thumbnail', new Blob([TINY_PNG], { type: 'image/png' }), 'thumbnail.png');
    expect((await call(b, 'POST', `/projects/${projectId}/thumbnail/`, { token, form: thumbnail })).status).toBe(204);
    const servedThumbnail = await call(a, 'GET', `/files/thumbnails/${projectId}/`, { token });
    expect(servedThumbnail.status).toBe(200);
    expect(servedThumbnail.headers.get('content-type')).toMatch(/^image\/png/);
    expect(Buffer.from(await servedThumbnail.arrayBuffer()).equals(TINY_PNG)).toBe(true);

    const content = randomBytes(256 * 1024);
    const file = new FormData();
    file.append('file', new Blob([content]), 'points.gpkg');
    expect((await call(a, 'POST', `/files/${projectId}/data/points.gpkg/`, { token, form: file })).status).toBe(201);
    const download = await call(b, 'GET', `/files/${projectId}/data/points.gpkg/`, { token });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true);
  });

  it('revokes on one instance the tokens logged out on the other', async () => {
    await createPerson(b, 'olga');
    const token = await tokenFrom(a, 'olga', 'olga-password');
    expect((await call(b, 'GET', '/auth/user/', { token })).status).toBe(200);
    expect((await call(b, 'POST', '/auth/logout/', { token })).status).toBe(200);
    const afterLogout = await call(a, 'GET', '/auth/user/', { token });
    expect(afterLogout.status).toBe(401);
    expect(((await afterLogout.json()) as { code: string }).code).toBe('token_authentication_failed');
  });

  it('stops both cleanly, neither having logged an error', async () => {
    for (const server of [a, b]) {
      expect(await server.stop('SIGTERM')).toBe(0);
      const problems = server.output.split('\n').filter((line) => {
        if (!line.startsWith('{')) return /error/i.test(line);
        const { level } = JSON.parse(line) as { level: string };
        return level === 'error' || level === 'warn';
      });
      expect(problems).toEqual([]);
    }
  });
});
