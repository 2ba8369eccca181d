import {
  applyDecorators,
  Inject,
  Injectable,
  Patch as NestPatch,
  Post as NestPost,
  Put as NestPut,
  SetMetadata,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import multer from 'multer';
import { from, mergeMap, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PayloadTooLarge, UnsupportedMediaType, ValidationFailed } from './errors.js';
import { fieldNestedTooDeep, nestedTooDeep } from './nesting.js';
import { fieldWithNul, nulIn } from './nul-characters.js';

const UPLOAD = 'fieldbase:upload';
/** Marks a route whose multipart body carries a file: its own file interceptor reads the stream. */
export const UploadRoute = () => SetMetadata(UPLOAD, true);

const BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * Every write endpoint takes JSON, form and multipart bodies (spec §1). JSON and form bodies are parsed
 * by the body parsers in app.factory.ts; this reads the fields of a multipart body, refuses other
 * non-empty bodies with 415, and makes "no body" an empty object. Upload routes take multipart only.
 * Applied by the Post, Put and Patch below, so reading routes run no interceptor at all.
 */
@Injectable()
export class BodyInterceptor implements NestInterceptor {
  private readonly maxBodyBytes: number;
  private readonly fieldsOnly: ReturnType<ReturnType<typeof multer>['none']>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxBodyBytes = config.maxBodyBytes;
    this.fieldsOnly = multer({ limits: { fieldSize: config.maxBodyBytes, fields: 1000, files: 0 } }).none();
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    const upload = this.reflector.get<boolean>(UPLOAD, context.getHandler()) ?? false;
    const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;

    if (upload) {
      if (hasBody && type !== 'multipart/form-data') throw new UnsupportedMediaType(type, ['multipart/form-data']);
      return next.handle();
    }
    if (type === 'multipart/form-data') {
      // Like JSON and form bodies, a multipart body counts as a whole against MAX_BODY_BYTES (§1, §2),
      // whether it declares its length or comes chunked in many small fields.
      if (Number(req.get('content-length') ?? 0) > this.maxBodyBytes) throw new PayloadTooLarge(this.maxBodyBytes);
      const res = context.switchToHttp().getResponse<Response>();
      return from(
        new Promise<void>((resolve, reject) => {
          let received = 0;
          const count = (chunk: Buffer) => {
            received += chunk.length;
            if (received <= this.maxBodyBytes) return;
            req.off('data', count);
            req.unpipe();
            req.resume(); // drain, so the client reads our answer
            reject(new PayloadTooLarge(this.maxBodyBytes));
          };
          this.fieldsOnly(req, res, (error?: unknown) => {
            req.off('data', count);
            if (!error) {
              const refused = refusedFields(req.body);
              return refused ? reject(refused) : resolve();
            }
            const e = error as { code?: string; field?: string; message?: string };
            if (e.code === 'LIMIT_FIELD_VALUE') return reject(new PayloadTooLarge(this.maxBodyBytes));
            if (e.code === 'LIMIT_UNEXPECTED_FILE' || e.code === 'LIMIT_FILE_COUNT')
              return reject(new ValidationFailed({ [e.field ?? 'body']: ['File uploads are not accepted here'] }));
            reject(new ValidationFailed({ body: [e.message ?? 'Malformed multipart body'] }, 'Malformed multipart body'));
          });
          req.on('data', count);
        }),
      ).pipe(mergeMap(() => next.handle()));
    }
    if (hasBody && !BODY_TYPES.includes(type)) throw new UnsupportedMediaType(type, BODY_TYPES);
    req.body ??= {};
    if (typeof req.body !== 'object' || Array.isArray(req.body)) throw new ValidationFailed({ body: ['Expected an object of fields'] });
    const refused = refusedFields(req.body);
    if (refused) throw refused;
    return next.handle();
  }
}

/**
 * Before anything walks the fields: nesting within MAX_NESTING (multipart field names such as a[b][c]
 * nest too), then no NUL, which PostgreSQL text cannot hold (see nesting.ts, nul-characters.ts).
 */
function refusedFields(body: object): ValidationFailed | null {
  const tooDeep = fieldNestedTooDeep(body);
  if (tooDeep) return nestedTooDeep(tooDeep);
  const withNul = fieldWithNul(body);
  return withNul ? nulIn(withNul) : null;
}

/**
 * Puts the body handling first among the route's interceptors, whatever order its decorators come in:
 * an upload route's own interceptor reads a body this has checked.
 */
const readBodyFirst = (): MethodDecorator => (_target, _key, descriptor) => {
  const handler = descriptor.value as object;
  const others = ((Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? []).filter((i) => i !== BodyInterceptor);
  Reflect.defineMetadata(INTERCEPTORS_METADATA, [BodyInterceptor, ...others], handler);
};

/**
 * The write routes: NestJS's own decorators with the body handling above. eslint keeps NestJS's out of
 * src/ so no write route goes without it; set globally instead, it would wrap every request, reads
 * included, in NestJS's interceptor chain.
 */
export const Post = (path?: string | string[]) => applyDecorators(NestPost(path), readBodyFirst());
export const Put = (path?: string | string[]) => applyDecorators(NestPut(path), readBodyFirst());
export const Patch = (path?: string | string[]) => applyDecorators(NestPatch(path), readBodyFirst());
