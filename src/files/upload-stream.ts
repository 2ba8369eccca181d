import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { PayloadTooLarge, ValidationFailed } from '../common/errors.js';
import type { FileStorage } from '../storage/file-storage.js';
import { giveBackBatch, HASH_BATCH_BYTES, HashSession, MAX_PENDING_HASH_BYTES, takeBatch, type Digests } from './hash-worker.js';
import { S3Etag } from './s3-etag.js';

export interface StreamedUpload {
  key: string;
  size: number;
  md5: string;
  sha256: string;
  /** The S3-style ETag served as `md5sum` (s3-etag.ts). */
  etag: string;
}

class TooLarge extends Error {}

/**
 * Counts and hashes the bytes that pass, and stops the stream past `maxBytes`. The hashing (md5,
 * sha256 and the S3-style ETag, together slower than parsing and writing) runs on a worker thread
 * (hash-worker.ts) beside the request's, on copies of the bytes; a body that fits in one batch is hashed
 * here at its end instead, cheaper than the round trip.
 */
class Measure extends Transform {
  size = 0;
  private batch: Buffer | null = null;
  private batchBytes = 0;
  private session: HashSession | null = null;
  private result: Digests | null = null;

  constructor(private readonly maxBytes: number) {
    super();
  }

  _transform(chunk: Buffer, _: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) return done(new TooLarge());
    for (let offset = 0; offset < chunk.length;) {
      this.batch ??= takeBatch();
      const copied = chunk.copy(this.batch, this.batchBytes, offset);
      this.batchBytes += copied;
      offset += copied;
      if (this.batchBytes === HASH_BATCH_BYTES) this.sendBatch();
    }
    if (!this.session) return done(null, chunk);
    // Holding the callback back holds the request back: memory stays flat when hashing is the slower side.
    this.session.whenPendingAtMost(MAX_PENDING_HASH_BYTES, (error) => (error ? done(error) : done(null, chunk)));
  }

  _flush(done: TransformCallback): void {
    if (!this.session) {
      this.result = hashInline(this.batch?.subarray(0, this.batchBytes) ?? Buffer.alloc(0));
      this.releaseBatch();
      return done();
    }
    if (this.batchBytes > 0) this.sendBatch();
    this.session.end().then(
      (digests) => {
        this.result = digests;
        done();
      },
      (error) => done(error),
    );
  }

  _destroy(error: Error | null, done: (error: Error | null) => void): void {
    this.session?.close();
    this.releaseBatch();
    done(error);
  }

  private releaseBatch(): void {
    if (this.batch) giveBackBatch(this.batch);
    this.batch = null;
    this.batchBytes = 0;
  }

  private sendBatch(): void {
    this.session ??= new HashSession();
    this.session.send(this.batch!.subarray(0, this.batchBytes));
    this.batch = null;
    this.batchBytes = 0;
  }

  digests(): Digests {
    if (!this.result) throw new Error('The upload was not hashed to its end');
    return this.result;
  }
}

function hashInline(bytes: Buffer): Digests {
  const etag = new S3Etag();
  etag.update(bytes);
  return { md5: createHash('md5').update(bytes).digest('hex'), sha256: createHash('sha256').update(bytes).digest('hex'), etag: etag.digest() };
}

/**
 * Streams the multipart part `field` of the request into storage under a new key, hashing it on the
 * way: never held whole in memory, stopped at `maxBytes` (413). A failed or aborted upload leaves
 * nothing stored; the caller owns the key once this resolves.
 */
export function streamUpload(
  req: Request,
  storage: FileStorage,
  options: { field: string; keyPrefix: string; maxBytes: number; maxFieldBytes: number },
): Promise<StreamedUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: 50, fieldSize: options.maxFieldBytes } });
    } catch {
      return reject(ValidationFailed.field(options.field, 'Malformed multipart body'));
    }
    let settled = false;
    let writing: Promise<StreamedUpload> | null = null;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      // A file part may have been stored completely before the body turned out bad: nobody learns its key.
      writing
        ?.then(
          (upload) => storage.delete(upload.key),
          () => undefined,
        )
        .catch(() => undefined);
      req.unpipe(parser);
      req.resume(); // drain, so the client reads our answer instead of a reset
      reject(error);
    };

    parser.on('file', (name, file) => {
      if (settled || name !== options.field || writing) {
        file.resume();
        return;
      }
      const key = `${options.keyPrefix}${randomUUID()}`;
      const measure = new Measure(options.maxBytes);
      const body = new PassThrough();
      // put() reports a destroyed body by rejecting; until it attaches its own pipeline, nothing else listens.
      body.on('error', () => undefined);
      // However the storage write ends, the hashing session ends with it (a no-op after a complete upload).
      body.on('close', () => measure.destroy());
      file.pipe(measure).pipe(body);
      const stop = (error: Error) => {
        file.unpipe(measure);
        body.destroy(error); // the storage write fails and removes what it wrote
        file.resume();
        fail(error instanceof TooLarge ? new PayloadTooLarge(options.maxBytes) : error);
      };
      measure.on('error', stop);
      file.on('error', stop);
      req.on('close', () => {
        if (!req.readableEnded) stop(ValidationFailed.field(options.field, 'The upload was interrupted'));
      });
      writing = storage.put(key, body).then(() => ({ key, size: measure.size, ...measure.digests() }));
      writing.catch(() => undefined);
    });
    parser.on('error', () => fail(ValidationFailed.field(options.field, 'Malformed multipart body')));
    parser.on('close', () => {
      if (settled) return;
      if (!writing) return fail(ValidationFailed.field(options.field, `A file is required in the multipart field "${options.field}"`));
      writing.then(
        (upload) => {
          settled = true;
          resolve(upload);
        },
        (error) => fail(error),
      );
    });
    req.pipe(parser);
  });
}
