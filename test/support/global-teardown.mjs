import fs from 'node:fs';

export default async function globalTeardown() {
  const s3 = globalThis.__FIELDBASE_TEST_S3__;
  if (s3) await s3.close();
  const handle = globalThis.__FIELDBASE_TEST_PG__;
  if (!handle) return;
  await handle.pg.stop();
  fs.rmSync(handle.dir, { recursive: true, force: true });
}
