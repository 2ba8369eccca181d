import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { PayloadTooLarge, ValidationFailed } from '../common/errors.js';
import type { FileStorage } from '../storage/file-storage.js';
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

/** Counts and hashes the bytes that pass, and stops the stream past `maxBytes`. */
class Measure extends Transform {
  size = 0;
  private readonly md5 = createHash('md5');
  private readonly sha256 = createHash('sha256');
  private readonly etag = new S3Etag();

  constructor(private readonly maxBytes: number) {
    super();
  }

  _transform(chunk: Buffer, _: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) return done(new TooLarge());
    this.md5.update(chunk);
    this.sha256.update(chunk);
    this.etag.update(chunk);
    done(null, chunk);
  }

  digests(): { md5: string; sha256: string; etag: string } {
    return { md5: this.md5.digest('hex'), sha256: this.sha256.digest('hex'), etag: this.etag.digest() };
  }
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
      file.pipe(measure).pipe(body);
      const stop = (error: Error) => {
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
