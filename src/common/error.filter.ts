import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { Application, Request, Response } from 'express';
import { ApiError, MethodNotAllowed, ObjectNotFound, PayloadTooLarge, UnknownError, UnsupportedMediaType, ValidationFailed } from './errors.js';
import type { JsonLogger } from './logger.js';
import { nestedTooDeep } from './nesting.js';

/**
 * The one place where anything thrown becomes the spec's `{code, message, detail}` (§2). Domain errors
 * carry their own status and code; framework and parser errors are translated; everything else is a
 * logged 500 `unknown_error` with no internals in the answer.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(
    private readonly logger: JsonLogger,
    private readonly express: () => Application,
    private readonly maxBodyBytes: number,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const error = this.toApiError(exception, req);
    if (error.status >= 500) {
      this.logger.write('error', {
        msg: 'unhandled error',
        request_id: req.id,
        method: req.method,
        path: req.originalUrl?.split('?')[0],
        error: exception instanceof Error ? exception.message : String(exception),
        stack: exception instanceof Error ? exception.stack : undefined,
      });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A handler may have begun to describe a file before it failed: the answer is the envelope alone.
    for (const name of ['ETag', 'Content-Length', 'Content-Range', 'Accept-Ranges', 'Cache-Control', 'Content-Disposition']) res.removeHeader(name);
    for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
    res.type('application/json');
    res.status(error.status).json({ code: error.code, message: error.message, detail: error.detail ?? {} });
  }

  private toApiError(exception: unknown, req: Request): ApiError {
    if (exception instanceof ApiError) return exception;
    const cause = exception instanceof HttpException ? (exception.cause as { type?: string } | undefined) : undefined;
    const parserError = (cause ?? exception) as { type?: string; status?: number } | undefined;
    switch (parserError?.type) {
      case 'entity.too.large':
        return new PayloadTooLarge(this.maxBodyBytes);
      case 'entity.parse.failed':
        return new ValidationFailed({ body: ['Malformed JSON'] }, 'Malformed JSON body');
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return new UnsupportedMediaType(req.get('content-type') ?? '', ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
      case 'querystring.parse.rangeError': // a form field name with more than MAX_NESTING brackets
        return nestedTooDeep();
      case 'request.aborted':
        return new ValidationFailed({ body: ['The request body was not received completely'] });
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) return this.routeNotFound(req);
      if (exception.cause instanceof URIError) return new ValidationFailed({ path: ['Malformed percent-encoding'] }, 'Malformed request path');
      if (status === 400) return new ValidationFailed({}, exception.message);
      if (status === 413) return new PayloadTooLarge(this.maxBodyBytes);
      if (status < 500) return new ApiError(status, 'validation_error', exception.message);
    }
    return new UnknownError();
  }

  /** Nest answers 404 for a path no route matches; when the path exists with other methods, that is a 405. */
  private routeNotFound(req: Request): ApiError {
    const allowed = new Set<string>();
    const path = req.originalUrl.split('?')[0];
    const stack = (this.express().router as unknown as { stack: RouterLayer[] }).stack;
    for (const layer of stack) {
      if (layer.route && layer.match(path)) {
        for (const [method, enabled] of Object.entries(layer.route.methods)) if (enabled && method !== '_all') allowed.add(method.toUpperCase());
      }
    }
    if (allowed.size > 0 && !allowed.has(req.method)) {
      if (allowed.has('GET')) allowed.add('HEAD');
      return new MethodNotAllowed(req.method, [...allowed].sort());
    }
    return new ObjectNotFound(`No route for ${req.method} ${path}`);
  }
}

interface RouterLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}
