import { createParamDecorator, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';
import { absoluteUrl } from './absolute-url.js';
import { ValidationFailed } from './errors.js';

/** limit null: the whole list. */
export interface PageRequest {
  limit: number | null;
  offset: number;
}

/** What a list query returns; the PaginationInterceptor turns it into a bare array plus headers. */
export class Page<T> {
  constructor(
    readonly items: T[],
    readonly total: number,
    readonly request: PageRequest,
  ) {}
}

export const PAGINATION_SETTINGS = 'fieldbase:pagination';
export interface PaginationSettings {
  maxPageLimit: number | null;
  publicUrl: string | null;
}

/** Parses `limit` and `offset` (spec §7): non-negative integers; no limit, 0 or empty means everything, unless MAX_PAGE_LIMIT caps it. */
export function parsePageRequest(query: Record<string, unknown>, maxPageLimit: number | null): PageRequest {
  const read = (name: 'limit' | 'offset'): number | null => {
    let value = query[name];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value === undefined || value === '') return null;
    if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw ValidationFailed.field(name, 'Must be a non-negative integer');
    }
    return Number(value);
  };
  let limit = read('limit') || null;
  const offset = read('offset') ?? 0;
  if (maxPageLimit !== null) limit = Math.min(limit ?? maxPageLimit, maxPageLimit);
  return { limit, offset };
}

/** The `limit`/`offset` of a list request, validated. */
export const Paging = createParamDecorator((_: unknown, context: ExecutionContext): PageRequest => {
  const req = context.switchToHttp().getRequest<Request>();
  const settings = req.app.get(PAGINATION_SETTINGS) as PaginationSettings;
  return parsePageRequest(req.query as Record<string, unknown>, settings.maxPageLimit);
});

/** SQL for a page: `LIMIT $n OFFSET $m` with the values appended to `params`. */
export function limitOffsetSql(page: PageRequest, params: unknown[]): string {
  params.push(page.limit, page.offset);
  return `LIMIT $${params.length - 1} OFFSET $${params.length}`;
}

@Injectable()
export class PaginationInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result) => {
        if (!(result instanceof Page)) return result;
        const req = context.switchToHttp().getRequest<Request>();
        const res = context.switchToHttp().getResponse<Response>();
        const { limit, offset } = result.request;
        if (limit !== null) {
          const settings = req.app.get(PAGINATION_SETTINGS) as PaginationSettings;
          const link = (newOffset: number | null) => absoluteUrl(req, settings.publicUrl, pageUrl(req, limit, newOffset));
          res.setHeader('X-Total-Count', String(result.total));
          if (offset + limit < result.total) res.setHeader('X-Next-Page', link(offset + limit));
          if (offset > 0) res.setHeader('X-Previous-Page', link(Math.max(0, offset - limit) || null));
        }
        return result.items;
      }),
    );
  }
}

/** The request's own path and query with `limit` and `offset` replaced (offset left out when null). */
export function pageUrl(req: Request, limit: number, offset: number | null): string {
  const url = new URL(req.originalUrl, 'http://placeholder');
  url.searchParams.delete('limit');
  url.searchParams.delete('offset');
  url.searchParams.append('limit', String(limit));
  if (offset !== null) url.searchParams.append('offset', String(offset));
  return url.pathname + url.search;
}
