import { createParamDecorator, Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import busboy from 'busboy';
import type { Request } from 'express';
import { from, mergeMap, type Observable } from 'rxjs';
import { PayloadTooLarge, ValidationFailed } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

declare module 'express' {
  interface Request {
    /** The multipart part `file` of a delta push; null when the request had none. */
    deltafile?: Buffer | null;
  }
}

/**
 * Reads the multipart part `file` of a delta push into memory, refusing more than DELTAFILE_MAX_BYTES
 * while it streams in (413). Every other part, field or file, is read and dropped (QField sends a
 * `text` part `{}` besides); the part's content type and file name are ignored. A request without a
 * multipart body has no `file` part: the handler answers empty_content.
 */
@Injectable()
export class DeltafileUploadInterceptor implements NestInterceptor {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    return from(readFilePart(req, this.config.deltafileMaxBytes, this.config.maxBodyBytes)).pipe(
      mergeMap((file) => {
        req.deltafile = file;
        return next.handle();
      }),
    );
  }
}

/** The pushed delta file's bytes, or null when the request had no `file` part. */
export const PushedDeltafile = createParamDecorator(
  (_: unknown, context: ExecutionContext): Buffer | null => context.switchToHttp().getRequest<Request>().deltafile ?? null,
);

function readFilePart(req: Request, maxBytes: number, maxFieldBytes: number): Promise<Buffer | null> {
  if (!req.is('multipart/form-data')) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fields: 50, fieldSize: maxFieldBytes } });
    } catch {
      req.resume();
      return reject(ValidationFailed.field('file', 'Malformed multipart body'));
    }
    let settled = false;
    let chunks: Buffer[] | null = null;
    let done = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      req.resume(); // drain, so the client reads our answer instead of a reset
      reject(error);
    };

    parser.on('file', (name, stream) => {
      if (settled || name !== 'file' || chunks !== null) {
        stream.resume();
        return;
      }
      const parts: Buffer[] = (chunks = []);
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          stream.resume();
          return fail(new PayloadTooLarge(maxBytes));
        }
        parts.push(chunk);
      });
      stream.on('end', () => (done = true));
      stream.on('error', () => fail(ValidationFailed.field('file', 'The upload was interrupted')));
    });
    parser.on('error', () => fail(ValidationFailed.field('file', 'Malformed multipart body')));
    req.on('close', () => {
      if (!req.readableEnded) fail(ValidationFailed.field('file', 'The upload was interrupted'));
    });
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      if (chunks !== null && !done) return reject(ValidationFailed.field('file', 'The upload was interrupted'));
      resolve(chunks === null ? null : Buffer.concat(chunks));
    });
    req.pipe(parser);
  });
}
