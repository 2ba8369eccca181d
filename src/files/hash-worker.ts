import { Worker } from 'node:worker_threads';
import { ETAG_PART_BYTES, etagOfParts } from './s3-etag.js';

export interface Digests {
  md5: string;
  sha256: string;
  /** The S3-style ETag (s3-etag.ts). */
  etag: string;
}

/**
 * The hashing thread, an ES module in a data: URL: it imports only node: built-ins, so it starts the
 * same from the compiled dist/ and from the TypeScript sources under jest, with no file to resolve or
 * copy into the build. Per session it keeps the md5 and sha256 of the whole stream and the md5 of the
 * current ETag part; the main thread numbers the parts and combines their digests (etagOfParts), so
 * the ETag's rule stays in s3-etag.ts.
 */
const WORKER_SOURCE = `
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
const sessions = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'bytes') {
    let s = sessions.get(m.id);
    if (!s) sessions.set(m.id, (s = { md5: createHash('md5'), sha256: createHash('sha256'), part: null, partIndex: -1, parts: [] }));
    if (m.part !== s.partIndex) {
      if (s.part) s.parts.push(s.part.digest());
      s.part = createHash('md5');
      s.partIndex = m.part;
    }
    s.md5.update(m.bytes);
    s.sha256.update(m.bytes);
    s.part.update(m.bytes);
    // The batch's memory goes back to the request thread for the next bytes (takeBatch).
    parentPort.postMessage({ type: 'hashed', id: m.id, bytes: m.bytes }, [m.bytes.buffer]);
  } else if (m.type === 'end') {
    const s = sessions.get(m.id);
    sessions.delete(m.id);
    s.parts.push(s.part.digest());
    parentPort.postMessage({ type: 'digests', id: m.id, md5: s.md5.digest('hex'), sha256: s.sha256.digest('hex'), parts: s.parts });
  } else if (m.type === 'drop') {
    sessions.delete(m.id);
  }
});
`;

type WorkerMessage = { type: 'hashed'; id: number; bytes: Uint8Array } | { type: 'digests'; id: number; md5: string; sha256: string; parts: Uint8Array[] };

/** Bytes copied for the thread at a time; a divisor of the ETag part, so no batch spans two parts. */
export const HASH_BATCH_BYTES = 1024 * 1024;
/** Bytes handed to the thread and not hashed yet, beyond which an upload waits for it. */
export const MAX_PENDING_HASH_BYTES = 4 * 1024 * 1024;

/**
 * Batches the thread has hashed and handed back. Reusing them keeps what hashing holds at about the
 * bytes in flight, where a fresh megabyte per batch waits for two threads' garbage collectors.
 */
const spareBatches: ArrayBuffer[] = [];
const MAX_SPARE_BATCHES = MAX_PENDING_HASH_BYTES / HASH_BATCH_BYTES + 1;

/** An empty batch of HASH_BATCH_BYTES, reused when one is spare. */
export function takeBatch(): Buffer {
  const spare = spareBatches.pop();
  return spare ? Buffer.from(spare) : Buffer.allocUnsafeSlow(HASH_BATCH_BYTES);
}

/** Returns a batch taken with takeBatch and not sent, for reuse. */
export function giveBackBatch(batch: Uint8Array): void {
  const memory = batch.buffer as ArrayBuffer;
  if (memory.byteLength === HASH_BATCH_BYTES && spareBatches.length < MAX_SPARE_BATCHES) spareBatches.push(memory);
}

interface HashThread {
  worker: Worker;
  sessions: Map<number, HashSession>;
}

/**
 * One thread shared by every upload, started with the first large one: the machine's other core is the
 * request thread's, so a second hashing thread would only take turns with the first.
 */
let shared: HashThread | null = null;
let nextSessionId = 1;

function hashThread(): HashThread {
  if (shared) return shared;
  const thread: HashThread = { worker: new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`)), sessions: new Map() };
  const crashed = (error: Error) => {
    if (shared === thread) shared = null;
    for (const session of thread.sessions.values()) session.fail(error);
    thread.sessions.clear();
  };
  thread.worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'hashed') giveBackBatch(message.bytes);
    thread.sessions.get(message.id)?.receive(message);
  });
  thread.worker.on('error', (error) => crashed(new Error('The hashing thread failed', { cause: error })));
  thread.worker.on('exit', (code) => crashed(new Error(`The hashing thread exited (code ${code})`)));
  // An idle hashing thread must not keep the process alive; after the listeners, since adding a
  // 'message' listener refs the worker again.
  thread.worker.unref();
  shared = thread;
  return thread;
}

/**
 * The hashing of one byte stream on the shared thread: its own id there, so concurrent uploads never mix
 * their digests. A failed thread fails every session on it (the uploads answer an error, never hang).
 */
export class HashSession {
  private readonly id = nextSessionId++;
  private readonly thread = hashThread();
  private offset = 0;
  private pending = 0;
  private failure: Error | null = null;
  private finished = false;
  private waiter: { bytes: number; then: (error: Error | null) => void } | null = null;
  private ending: { resolve: (digests: Digests) => void; reject: (error: Error) => void } | null = null;

  constructor() {
    this.thread.sessions.set(this.id, this);
  }

  /**
   * Hands the next bytes of the stream to the thread. `batch` (best from takeBatch) must be the
   * session's from now on (its memory moves to the thread) and lie inside one ETag part.
   */
  send(batch: Uint8Array): void {
    if (this.failure || this.finished) return;
    const part = Math.floor(this.offset / ETAG_PART_BYTES);
    this.offset += batch.length;
    this.pending += batch.length;
    this.thread.worker.postMessage({ type: 'bytes', id: this.id, part, bytes: batch }, [batch.buffer as ArrayBuffer]);
  }

  /** Calls `then` once at most `bytes` sent are not hashed yet, or with the thread's failure. */
  whenPendingAtMost(bytes: number, then: (error: Error | null) => void): void {
    if (this.failure) return then(this.failure);
    if (this.pending <= bytes) return then(null);
    this.waiter = { bytes, then };
  }

  /** The digests of everything sent. */
  end(): Promise<Digests> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.ending = { resolve, reject };
      this.thread.worker.postMessage({ type: 'end', id: this.id });
    });
  }

  /** Forgets the session on both sides; for a stream stopped before its end. */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.waiter = null;
    if (this.thread.sessions.delete(this.id)) this.thread.worker.postMessage({ type: 'drop', id: this.id });
  }

  receive(message: WorkerMessage): void {
    if (message.type === 'hashed') {
      this.pending -= message.bytes.length;
      const waiter = this.waiter;
      if (waiter && this.pending <= waiter.bytes) {
        this.waiter = null;
        waiter.then(null);
      }
      return;
    }
    this.finished = true;
    this.thread.sessions.delete(this.id);
    const parts = message.parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength));
    this.ending?.resolve({ md5: message.md5, sha256: message.sha256, etag: etagOfParts(parts) });
  }

  fail(error: Error): void {
    if (this.finished) return;
    this.failure = error;
    this.finished = true;
    const { waiter, ending } = this;
    this.waiter = null;
    this.ending = null;
    waiter?.then(error);
    ending?.reject(error);
  }
}

/** Stops the hashing thread, failing the sessions on it; the next session starts a new one. */
export async function stopHashThread(): Promise<void> {
  await shared?.worker.terminate();
}
