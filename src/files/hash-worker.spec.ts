import { createHash, randomBytes } from 'node:crypto';
import { HashSession, stopHashThread } from './hash-worker.js';
import { S3Etag } from './s3-etag.js';

const MiB = 1024 * 1024;

/** Sends `bytes` the way an upload does: copies of at most 1 MiB, aligned so none spans two ETag parts. */
function sendAll(session: HashSession, bytes: Buffer): void {
  for (let offset = 0; offset < bytes.length; offset += MiB) session.send(Uint8Array.from(bytes.subarray(offset, offset + MiB)));
}

function expected(bytes: Buffer) {
  const etag = new S3Etag();
  etag.update(bytes);
  return { md5: createHash('md5').update(bytes).digest('hex'), sha256: createHash('sha256').update(bytes).digest('hex'), etag: etag.digest() };
}

describe('hashing on the worker thread (spec §8 md5sum and sha256)', () => {
  afterAll(() => stopHashThread());

  it.each([
    ['1 MiB', MiB],
    ['exactly 8 MiB (one part)', 8 * MiB],
    ['8 MiB + 1 (two parts)', 8 * MiB + 1],
    ['20 MiB + 5 (three parts)', 20 * MiB + 5],
  ])('gives the same md5, sha256 and ETag as hashing inline: %s', async (_, size) => {
    const bytes = randomBytes(size);
    const session = new HashSession();
    sendAll(session, bytes);
    await expect(session.end()).resolves.toEqual(expected(bytes));
  });

  it('keeps concurrent sessions apart', async () => {
    const a = randomBytes(9 * MiB);
    const b = randomBytes(3 * MiB);
    const [sa, sb] = [new HashSession(), new HashSession()];
    for (let offset = 0; offset < a.length; offset += MiB) {
      sa.send(Uint8Array.from(a.subarray(offset, offset + MiB)));
      if (offset < b.length) sb.send(Uint8Array.from(b.subarray(offset, offset + MiB)));
    }
    await expect(Promise.all([sa.end(), sb.end()])).resolves.toEqual([expected(a), expected(b)]);
  });

  it('fails the sessions of a thread that dies, and the next session gets a new thread', async () => {
    const waiting = new HashSession();
    sendAll(waiting, randomBytes(4 * MiB));
    const waited = new Promise<Error | null>((resolve) => waiting.whenPendingAtMost(0, resolve));
    const ending = new HashSession();
    sendAll(ending, randomBytes(2 * MiB));
    const ended = ending.end();
    await stopHashThread();
    await expect(ended).rejects.toThrow('The hashing thread exited');
    // Either the thread hashed everything before it stopped, or the waiter hears of the failure: never a hang.
    expect([null, 'The hashing thread exited (code 1)']).toContain((await waited)?.message ?? null);

    const bytes = randomBytes(MiB + 1);
    const next = new HashSession();
    sendAll(next, bytes);
    await expect(next.end()).resolves.toEqual(expected(bytes));
  });
});
