import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import multer from 'multer';
import { from, mergeMap, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ValidationFailed } from '../common/errors.js';

/**
 * Reads the multipart field `thumbnail` into memory, refusing more than THUMBNAIL_MAX_BYTES while it
 * streams in (a thumbnail over its limit is 400, spec §5.7), so an oversized upload is never held whole.
 */
@Injectable()
export class ThumbnailUploadInterceptor implements NestInterceptor {
  private readonly upload: ReturnType<ReturnType<typeof multer>['single']>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.upload = multer({
      storage: multer.memoryStorage(),
      limits: { fileSize: config.thumbnailMaxBytes, files: 1, fields: 50, fieldSize: config.maxBodyBytes },
    }).single('thumbnail');
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const parsed = new Promise<void>((resolve, reject) =>
      this.upload(req, res, (error?: unknown) => {
        if (!error) return resolve();
        const e = error as { code?: string; message?: string };
        if (e.code === 'LIMIT_FILE_SIZE') return reject(ValidationFailed.field('thumbnail', 'The thumbnail is larger than the limit'));
        if (e.code === 'LIMIT_UNEXPECTED_FILE' || e.code === 'LIMIT_FILE_COUNT')
          return reject(ValidationFailed.field('thumbnail', 'Send one file, in the field "thumbnail"'));
        reject(ValidationFailed.field('thumbnail', e.message ?? 'Malformed multipart body'));
      }),
    );
    return from(parsed).pipe(mergeMap(() => next.handle()));
  }
}
