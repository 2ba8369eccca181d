import { createParamDecorator, Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { from, mergeMap, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { FileStorage } from '../storage/file-storage.js';
import { validFilePath } from './file-rules.js';
import { streamUpload, type StreamedUpload } from './upload-stream.js';

declare module 'express' {
  interface Request {
    upload?: StreamedUpload;
  }
}

/**
 * Streams the multipart field `file` to storage (hashing, FILE_MAX_BYTES) after the guards passed and
 * before the handler runs; the handler records it or removes it.
 */
@Injectable()
export class FileUploadInterceptor implements NestInterceptor {
  constructor(
    private readonly storage: FileStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    validFilePath(req.params.path); // refuse a bad path before a single byte is stored
    const upload = streamUpload(req, this.storage, {
      field: 'file',
      keyPrefix: `projects/${String(req.params.projectId).toLowerCase()}/`,
      maxBytes: this.config.fileMaxBytes,
      maxFieldBytes: this.config.maxBodyBytes,
    });
    return from(upload).pipe(
      mergeMap((streamed) => {
        req.upload = streamed;
        return next.handle();
      }),
    );
  }
}

/** The `*path` of a files route, validated (spec §8). */
export const FilePath = createParamDecorator((_: unknown, context: ExecutionContext): string =>
  validFilePath(context.switchToHttp().getRequest<Request>().params.path),
);

export const StreamedFile = createParamDecorator(
  (_: unknown, context: ExecutionContext): StreamedUpload => context.switchToHttp().getRequest<Request>().upload!,
);
