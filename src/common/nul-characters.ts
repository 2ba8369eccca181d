import type { NextFunction, Request, Response } from 'express';
import { ValidationFailed } from './errors.js';

/**
 * PostgreSQL text cannot hold U+0000: a NUL that reaches a query fails it with a 500. No field of the
 * contract may contain one, so a NUL anywhere in the input is a 400 naming where it was.
 */
export function fieldWithNul(value: unknown, name = ''): string | null {
  if (typeof value === 'string') return value.includes('\0') ? name || 'body' : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, inner] of Object.entries(value)) {
    const field = name ? `${name}.${key}` : key;
    if (key.includes('\0')) return field;
    const found = fieldWithNul(inner, field);
    if (found) return found;
  }
  return null;
}

/** The 400 for a NUL in `field`. */
export const nulIn = (field: string) => ValidationFailed.field(field, 'Must not contain a NUL character');

/** Path segments and query parameters, before any guard takes a value to the database. */
export function rejectNulInUrl(req: Request, _res: Response, next: NextFunction): void {
  const path = req.originalUrl.split('?')[0];
  if (/%00/i.test(path)) return next(nulIn('path'));
  const field = fieldWithNul(req.query);
  if (field) return next(nulIn(field));
  next();
}
