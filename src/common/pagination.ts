import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { absoluteUrl } from './absolute-url.js';
import { ValidationFailed } from './errors.js';

/** limit null: the whole list (and offset 0). */
export interface PageRequest {
  /** Rows to return and to skip, as SQL takes them: a value past any list's length is lowered to BEYOND_ANY_LIST. */
  limit: number | null;
  offset: number;
  /** The limit and offset exactly, even past 64 bits, for the page links; absent when `limit` and `offset` are exact. */
  exact?: { limit: bigint; offset: bigint };
}

/** No list is this long, so a limit or offset above it selects the same rows as the value itself. */
const BEYOND_ANY_LIST = BigInt(Number.MAX_SAFE_INTEGER);

/** What a list query returns; the HTTP adapter answers it as a bare array plus headers (`answerPage`). */
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

/**
 * Parses `limit` and `offset` (spec §7): non-negative integers of any size. Without a positive limit
 * (absent, empty or 0) the whole list is returned and the offset, still validated, is ignored, unless
 * MAX_PAGE_LIMIT paginates the request at its value.
 */
export function parsePageRequest(query: Record<string, unknown>, maxPageLimit: number | null): PageRequest {
  const read = (name: 'limit' | 'offset'): bigint | null => {
    let value = query[name];
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value === undefined || value === '') return null;
    if (typeof value !== 'string' || !/^\d+$/.test(value)) throw ValidationFailed.field(name, 'Must be a non-negative integer');
    return BigInt(value);
  };
  let limit = read('limit') || null;
  const offset = read('offset') ?? 0n;
  if (maxPageLimit !== null) limit = limit !== null && limit < BigInt(maxPageLimit) ? limit : BigInt(maxPageLimit);
  if (limit === null) return { limit: null, offset: 0 };
  const forSql = (value: bigint) => Number(value < BEYOND_ANY_LIST ? value : BEYOND_ANY_LIST);
  return { limit: forSql(limit), offset: forSql(offset), exact: { limit, offset } };
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

/**
 * The answer to a list request (spec §7): sets X-Total-Count and the page links when the request is
 * paginated, and returns the page's rows. The app's HTTP adapter calls it for every handler result that
 * is a Page (src/app.factory.ts), where an interceptor would wrap each list request in an rxjs chain.
 */
export function answerPage(req: Request, res: Response, page: Page<unknown>): unknown[] {
  const { request } = page;
  if (request.limit !== null) {
    // In bigint: the links carry the values asked for, however large.
    const { limit, offset } = request.exact ?? { limit: BigInt(request.limit), offset: BigInt(request.offset) };
    const settings = req.app.get(PAGINATION_SETTINGS) as PaginationSettings;
    const link = (newOffset: bigint | null) => absoluteUrl(req, settings.publicUrl, pageUrl(req, limit, newOffset));
    res.setHeader('X-Total-Count', String(page.total));
    if (offset + limit < BigInt(page.total)) res.setHeader('X-Next-Page', link(offset + limit));
    if (offset > 0n) res.setHeader('X-Previous-Page', link(offset > limit ? offset - limit : null));
  }
  return page.items;
}

/** The request's own path and query with `limit` and `offset` replaced (offset left out when null). */
export function pageUrl(req: Request, limit: bigint, offset: bigint | null): string {
  const url = new URL(req.originalUrl, 'http://placeholder');
  url.searchParams.delete('limit');
  url.searchParams.delete('offset');
  url.searchParams.append('limit', String(limit));
  if (offset !== null) url.searchParams.append('offset', String(offset));
  return url.pathname + url.search;
}
