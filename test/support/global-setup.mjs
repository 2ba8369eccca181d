// One throwaway PostgreSQL cluster for the whole run (each test file makes its own database in it),
// started by the server's own embedded-PostgreSQL starter (built into dist/ by `npm test`'s pretest),
// so a run as root from a clone the postgres user cannot traverse works as `npm start` does.
// TEST_DATABASE_ADMIN_URL may name an external server instead (a role that may CREATE DATABASE).
// TEST_STORAGE_DRIVER=s3 (npm run test:s3) runs every test app on S3 storage: an s3rver on a free
// loopback port for the whole run, unless TEST_S3_ENDPOINT names another S3-compatible server (with
// TEST_S3_ACCESS_KEY_ID / TEST_S3_SECRET_ACCESS_KEY); startTestApp makes a fresh bucket in it per app.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startS3Server } from './s3-server.mjs';

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
  const starter = new URL('../../dist/src/database/embedded-postgres.js', import.meta.url);
  if (!fs.existsSync(starter)) throw new Error(`${starter.pathname} is missing: build it with "npx tsc -p tsconfig.json" (npm test does)`);
  const { startEmbeddedPostgres } = await import(starter.href);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-test-pg-'));
  fs.chmodSync(dir, 0o755); // as root the cluster runs as the postgres user: keep it in this throwaway dir
  let log = '';
  let pg;
  try {
    pg = await startEmbeddedPostgres({
      dataDir: dir,
      port: 0,
      log: (message) => (log += `${message}\n`),
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
    });
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start the test PostgreSQL: ${error?.message ?? error}\n${log.slice(-2000)}`);
  }
  process.env.TEST_DATABASE_ADMIN_URL = pg.adminUrl;
  globalThis.__FIELDBASE_TEST_PG__ = { pg, dir };
}
