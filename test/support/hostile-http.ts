import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sleep } from './kit.js';
import type { TestApp } from './test-app.js';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: unknown;
}

export interface RawRequest {
  method: string;
  /** Sent as is: no URL parsing, no normalisation of dot segments or escapes. */
  path: string;
  headers?: Record<string, string | number>;
  body?: Buffer;
  /** Sent with Transfer-Encoding: chunked instead of Content-Length. */
  chunked?: boolean;
}

/** Makes the app listen on a loopback port (supertest then reuses that server); returns host and port. */
export async function listen(t: TestApp): Promise<{ hostname: string; port: number }> {
  const server = t.http as unknown as http.Server;
  if (!server.address()) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { hostname: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

/**
 * One request through node:http on its own connection. Resolves with the answer; rejects when the
 * server gives none (a reset or a hang past `timeoutMs`), which the tests count as a failure.
 */
export function rawRequest(target: { hostname: string; port: number }, request: RawRequest, timeoutMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body && !request.chunked) headers['Content-Length'] = request.body.length;
    if (request.body && request.chunked) headers['Transfer-Encoding'] = 'chunked';
    const req = http.request({ ...target, method: request.method, path: request.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the caller decides whether that is fine
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // The server may answer (413, 415) and close before it read the whole body: that answer counts.
    req.on('error', (error) => reject(error));
    if (request.body && request.chunked) {
      // A few chunks, so the server sees a body whose size it cannot know in advance.
      const size = Math.ceil(request.body.length / 3) || 1;
      for (let i = 0; i < request.body.length; i += size) req.write(request.body.subarray(i, i + size));
      req.end();
    } else {
      req.end(request.body);
    }
  });
}

/**
 * A fingerprint of every table's rows (per table: the row count and a sum of 64-bit row hashes), for
 * "nothing changed". `ignore` names tables left out and `table.column` pairs left out of the rows
 * (state the contract lets a failed request write, such as login failures, or a token's throttled
 * last_used_at). The statement is built once per database and ignore list: the hostile-input test runs
 * it thousands of times.
 */
export async function tableChecksums(t: TestApp, ignore: string[] = []): Promise<Record<string, string>> {
  const key = `${t.config.databaseUrl} ${ignore.join(',')}`;
  let sql = checksumStatements.get(key);
  if (!sql) {
    const tables = await t.sql<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    sql = tables
      .filter(({ table_name }) => !ignore.includes(table_name))
      .map(({ table_name }) => {
        const dropped = ignore
          .filter((entry) => entry.startsWith(`${table_name}.`))
          .map((entry) => ` - '${entry.slice(table_name.length + 1)}'`)
          .join('');
        return `SELECT '${table_name}' AS name, count(*)::int AS rows, coalesce(sum(hashtextextended((to_jsonb(r)${dropped})::text, 0)), 0)::text AS sum FROM "${table_name}" r`;
      })
      .join(' UNION ALL ');
    checksumStatements.set(key, sql);
  }
  const rows = await t.sql<{ name: string; rows: number; sum: string }>(sql);
  return Object.fromEntries(rows.map((row) => [row.name, `${row.rows}:${row.sum}`]));
}
const checksumStatements = new Map<string, string>();

/** Every file under `root` (relative path, size, mtime): the stored bytes as the local driver keeps them. */
export function fileTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const stat = fs.lstatSync(full, { throwIfNoEntry: false });
        if (stat) out.push(`${path.relative(root, full)} ${stat.size} ${stat.mtimeMs}`);
      }
    }
  };
  walk(root);
  return out.sort();
}

/** Polls until `read()` equals `expected` (JSON-wise) or the time is up; returns the last value read. */
export async function settlesTo<T>(read: () => T | Promise<T>, expected: T, timeoutMs = 2000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (JSON.stringify(value) === JSON.stringify(expected) || Date.now() > until) return value;
    await sleep(20);
  }
}
