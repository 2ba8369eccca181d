import { Readable } from 'node:stream';
import request from 'supertest';
import { StorageCleaner } from '../src/storage/storage-cleaner.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

const HOUR = 60 * 60 * 1000;

/** The sweep behind spec §8's promise that stored bytes and rows agree (issue 5: crash leftovers, failed removals). */
describe('storage sweep', () => {
  let t: TestApp;
  let cleaner: StorageCleaner;
  let token: string;
  let projectId: string;
  beforeAll(async () => {
    t = await startTestApp();
    cleaner = t.fieldbase.app.get(StorageCleaner);
    token = await t.createPerson('sweeper');
    projectId = (await request(t.http).post('/api/v1/projects/').set(auth(token)).send({ name: 'swept' })).body.id;
  });
  afterAll(() => t.close());

  const upload = (name: string, body: string) =>
    request(t.http).post(`/api/v1/files/${projectId}/${name}/`).set(auth(token)).attach('file', Buffer.from(body), name);

  it('removes stored bytes that no row points to, once they are older than the grace period', async () => {
    expect((await upload('kept.txt', 'kept')).status).toBe(201);
    // What an upload cut off by a crash leaves: bytes under the project's prefix, and no row.
    await t.storage.put(`projects/${projectId}/left-by-a-crash`, Readable.from([Buffer.from('orphan')]));
    const before = await t.storedKeys(`projects/${projectId}/`);
    expect(before).toHaveLength(2);

    expect((await cleaner.sweep(Date.now())).orphans).toBe(0); // too young: it may still be committing
    expect(await t.storedKeys(`projects/${projectId}/`)).toHaveLength(2);

    const { orphans } = await cleaner.sweep(Date.now() + 2 * HOUR);
    expect(orphans).toBe(1);
    const after = await t.storedKeys(`projects/${projectId}/`);
    expect(after).toHaveLength(1);
    const [{ storage_key }] = await t.sql<{ storage_key: string }>(`SELECT storage_key FROM file_versions`);
    expect(after[0]).toContain(storage_key.split('/').pop());
    // The file whose row exists is untouched and still downloads.
    const download = await request(t.http).get(`/api/v1/files/${projectId}/kept.txt/`).set(auth(token));
    expect(download.status).toBe(200);
    expect(download.text).toBe('kept');
  });

  it('retries queued removals that failed after their commit, and empties the queue', async () => {
    await t.storage.put(`projects/${projectId}/queued`, Readable.from([Buffer.from('queued')]));
    await t.sql(`INSERT INTO storage_deletions (storage_key) VALUES ($1)`, [`projects/${projectId}/queued`]);
    const { retried } = await cleaner.sweep();
    expect(retried).toBe(1);
    expect(await t.storedKeys(`projects/${projectId}/queued`)).toEqual([]);
    expect(await t.sql(`SELECT 1 FROM storage_deletions`)).toEqual([]);
  });

  it('leaves nothing queued after a normal delete', async () => {
    expect((await upload('gone.txt', 'gone')).status).toBe(201);
    expect((await request(t.http).delete(`/api/v1/files/${projectId}/gone.txt/`).set(auth(token))).status).toBe(204);
    expect(await t.sql(`SELECT 1 FROM storage_deletions`)).toEqual([]);
  });
});
