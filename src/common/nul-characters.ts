import type { NextFunction, Request, Response } from 'express';
import { ValidationFailed } from './errors.js';

/**
 * PostgreSQL text cannot hold U+0000: a NUL that reaches a query fails it with a 500. No field of the
 * contract may contain one, so a NUL anywhere in the input is a 400 naming where it was.
 */
export function fieldWithNul(value: unknown, name = ''): string | null {
  const join = (outer: string, key: string) => (outer ? `${outer}.${key}` : key);
  // An explicit stack instead of recursion: the value may nest deeper than the call stack reaches.
  const stack: Array<[unknown, string]> = [[value, name]];
  while (stack.length) {
    const [current, field] = stack.pop()!;
    if (typeof current === 'string' && current.includes('\0')) return field || 'body';
    if (typeof current !== 'object' || current === null) continue;
    const entries = Object.entries(current);
    const keyWithNul = entries.find(([key]) => key.includes('\0'));
    if (keyWithNul) return join(field, keyWithNul[0]);
    for (const [key, inner] of entries.reverse()) stack.push([inner, join(field, key)]);
  }
  return null;
}

/** The 400 for a NUL in `field`. */
export const nulIn = (field: string) => ValidationFailed.field(field, 'Must not contain a NUL character');

/**
 * Path segments and query parameters, before any guard takes a value to the database. The HTTP parser
 * refuses a raw NUL in the URL and Express's query parser (node:querystring) decodes only `%XX`, so a
 * URL without `%00` holds none, and most requests are let through without parsing their query here.
 */
export function rejectNulInUrl(req: Request, _res: Response, next: NextFunction): void {
  if (!/%00/i.test(req.originalUrl)) return next();
  const path = req.originalUrl.split('?')[0];
  if (/%00/i.test(path)) return next(nulIn('path'));
  const field = fieldWithNul(req.query);
  if (field) return next(nulIn(field));
  next();
}
