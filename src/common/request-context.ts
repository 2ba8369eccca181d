import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { JsonLogger } from './logger.js';

declare module 'express' {
  interface Request {
    id: string;
    /** The authenticated person, set by the AuthGuard; null for anonymous requests. */
    actor?: import('./actor.js').Actor | null;
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Request id (taken from X-Request-Id when sane, else generated, always echoed) and one log line per
 * request at level info (not gathered at all when the level is above it).
 */
export function requestContext(logger: JsonLogger) {
  const logsRequests = logger.writes('info');
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.get('x-request-id');
    req.id = given && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    if (!logsRequests) return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.write('info', {
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        duration_ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        request_id: req.id,
        user: req.actor?.username ?? null,
      });
    });
    next();
  };
}
