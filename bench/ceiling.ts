/**
 * The benchmark's ceiling: the least a server can do for GET /api/v1/projects/,
 * GET /api/v1/projects/public/ and GET /api/v1/projects/{id}/ with the same database work as Fieldbase. node:http + one pg.Pool
 * (the app's pool size, 10), the same token lookup SQL (by hashKey of the Authorization token, as
 * AuthTokens.authenticate does), the very same page and count statements (imported from the app's
 * own query modules), run the same way (named prepared statements, as src/database/prepared.ts does),
 * the same row mapping (toProjectResponse) and JSON.stringify. No framework, no validation beyond the
 * minimum, no logging.
 *
 *   DATABASE_URL=postgres://… PORT=8123 node dist/bench/ceiling.js
 *
 * Prints "ceiling listening on <port>" once it accepts requests. Stops on SIGTERM/SIGINT.
 */
import http from 'node:http';
import pg from 'pg';
import { hashKey } from '../src/auth/auth-tokens.service.js';
import { preparedStatementName } from '../src/database/prepared.js';
import { toProjectDetailResponse, toProjectResponse, type ProjectRow } from '../src/projects/dto/project.dto.js';
import { PROJECT_WITH_DETAILS } from '../src/projects/project-one.sql.js';
import { listProjectsStatements, listPublicProjectsStatements, type ListStatements } from '../src/projects/project-lists.sql.js';

const AUTHORIZATION = /^(token|bearer)\s+(\S+)\s*$/i;
const LAST_USED_RESOLUTION_MS = 60_000;
const TRUE = /^(1|true|yes)$/i;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, application_name: 'fieldbase-ceiling' });

/** Named prepared statements, named after their text, as the app's src/database/prepared.ts runs its hot statements. */
const prepared = (text: string, values: unknown[]) => pool.query({ name: preparedStatementName(text), text, values });

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The same lookup as AuthTokens.authenticate: one SELECT, and last_used_at written at most once a minute. */
async function authenticate(header: string | undefined): Promise<string> {
  const match = AUTHORIZATION.exec(header ?? '');
  if (!match) throw new HttpError(401, 'Malformed Authorization header');
  const { rows } = await prepared(
    `SELECT t.id AS token_id, t.last_used_at, a.id, a.username, a.is_staff, a.is_active
       FROM auth_tokens t JOIN accounts a ON a.id = t.account_id
      WHERE t.key_hash = $1 AND t.expires_at > now()`,
    [hashKey(match[2])],
  );
  const row = rows[0];
  if (!row || !row.is_active) throw new HttpError(401, 'Invalid or expired token');
  if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > LAST_USED_RESOLUTION_MS) {
    await pool.query(`UPDATE auth_tokens SET last_used_at = now() WHERE id = $1`, [row.token_id]);
  }
  return row.id as string;
}

function pageRequest(query: URLSearchParams): { limit: number | null; offset: number } {
  const read = (name: string): number | null => {
    const value = query.get(name);
    if (value === null || value === '') return null;
    if (!/^\d+$/.test(value)) throw new HttpError(400, `${name} must be a non-negative integer`);
    return Number(value);
  };
  return { limit: read('limit') || null, offset: read('offset') ?? 0 };
}

async function list(statements: ListStatements, res: http.ServerResponse, limit: number | null): Promise<void> {
  // Sequential, like the app's handlers: the page, then the count, each on a pool connection.
  const page = await prepared(statements.page.sql, statements.page.params);
  const count = await prepared(statements.count.sql, statements.count.params);
  const body = JSON.stringify((page.rows as ProjectRow[]).map(toProjectResponse));
  const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  if (limit !== null) headers['X-Total-Count'] = String(count.rows[0].count);
  res.writeHead(200, headers).end(body);
}

/** GET /api/v1/projects/{id}/ as the app answers it: the project with its details and the caller's role, in one statement. */
async function one(userId: string, projectId: string, res: http.ServerResponse): Promise<void> {
  const [row] = (await prepared(PROJECT_WITH_DETAILS, [projectId, userId])).rows as ProjectRow[];
  if (!row) throw new HttpError(404, 'No such project');
  if (!row.role) throw new HttpError(403, 'Permission denied');
  const body = JSON.stringify(toProjectDetailResponse(row));
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

const ONE_PROJECT = /^\/api\/v1\/projects\/([0-9a-fA-F-]{36})\/$/;

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://ceiling');
  if (req.method !== 'GET') throw new HttpError(405, 'Method not allowed');
  const path = url.pathname.replace(/\/?$/, '/');
  const single = ONE_PROJECT.exec(path);
  if (single) {
    return one(await authenticate(req.headers.authorization), single[1].toLowerCase(), res);
  }
  if (path !== '/api/v1/projects/' && path !== '/api/v1/projects/public/') throw new HttpError(404, 'Not found');
  const userId = await authenticate(req.headers.authorization);
  const query = url.searchParams;
  const page = pageRequest(query);
  const search = query.get('search') ?? undefined;
  const ordering = query.get('ordering') ?? undefined;
  if (path === '/api/v1/projects/public/') {
    await list(listPublicProjectsStatements(userId, { search, ordering }, page), res, page.limit);
  } else {
    const includePublic = TRUE.test(query.get('include_public') ?? query.get('include-public') ?? '');
    const criteria = { includePublic, search, ordering, owner: query.get('owner') ?? undefined, name: query.get('name') ?? undefined };
    await list(listProjectsStatements(userId, criteria, page), res, page.limit);
  }
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    const status = error instanceof HttpError ? error.status : 500;
    if (status === 500) console.error(error);
    const body = JSON.stringify({ code: status === 500 ? 'internal_error' : 'error', message: error.message });
    if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(body);
  });
});

const port = Number(process.env.PORT ?? 8123);
server.listen(port, '127.0.0.1', () => console.log(`ceiling listening on ${port}`));

const stop = () => {
  server.close();
  server.closeAllConnections();
  void pool.end().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
