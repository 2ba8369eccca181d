import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * Runs a hot statement as a named prepared statement, so each pooled connection plans it once: the
 * role computation makes list statements cheap to run (under a millisecond for most users) but costly
 * to plan (several milliseconds), and planning dominated every list request before this. The name is
 * derived from the text, so each distinct statement (filters and orderings make a few variants) gets
 * its own cached plan.
 */
export async function preparedQuery<T = Record<string, unknown>>(db: DataSource, text: string, values: unknown[]): Promise<T[]> {
  const pool = (db.driver as unknown as { master: Pool }).master;
  const result = await pool.query({ name: preparedStatementName(text), text, values });
  return result.rows as T[];
}

/** The statement's name on every connection: derived from its text, so equal texts share one plan. */
export function preparedStatementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= MAX_NAMES) names.clear();
    name = `fb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Names already computed, by text: hashing several kilobytes of list SQL on every query was about 1 %
 * of the server's CPU under load. The texts are a few dozen variants (filters and orders make them,
 * values are parameters); the bound only guards against a caller that makes many.
 */
const names = new Map<string, string>();
const MAX_NAMES = 1000;

/**
 * Statement texts by the shape of the request they answer. A list's text depends only on which filters,
 * how many search terms, which order and which page bound are asked for (the values are parameters), so
 * each shape's text is built once and the same string serves every request of that shape. Building the
 * project lists' several kilobytes of SQL and hashing them to find their prepared statement's name
 * cost about 0.04 ms of a 0.7 ms list request (docs/performance.md, point 18); a string built once
 * keeps its hash.
 *
 * The shape must name everything the text is built from: a shape that misses a part serves one
 * request's text for another. Bounded like the names above, against callers that make many shapes.
 */
export class TextsByShape<T> {
  private readonly texts = new Map<string, T>();

  get(shape: string, build: () => T): T {
    let texts = this.texts.get(shape);
    if (texts === undefined) {
      if (this.texts.size >= MAX_NAMES) this.texts.clear();
      texts = build();
      this.texts.set(shape, texts);
    }
    return texts;
  }

  /** The next request of each shape builds its text again (tests compare the kept texts with fresh ones). */
  clear(): void {
    this.texts.clear();
  }
}
