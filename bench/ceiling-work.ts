/**
 * The request work of the benchmark's reference servers, shared by bench/ceiling.ts (bare node:http)
 * and bench/framework-floor.ts (NestJS on Express, nothing else), so the two differ only in what
 * carries the request to this work and its answer back: the same token lookup as
 * AuthTokens.authenticate, the very same page and count statements (imported from the app's own query
 * modules), run the same way (named prepared statements, as src/database/prepared.ts does), and the
 * same row mapping (toProjectResponse, toProjectDetailResponse).
 */
import type http from 'node:http';
import pg from 'pg';
import { hashKey } from '../src/auth/auth-tokens.service.js';
import { POOL_IDLE_TIMEOUT_MS, POOL_SIZE } from '../src/database/pool-settings.js';
import { preparedStatementName } from '../src/database/prepared.js';
import {
  toProjectDetailResponse,
  toProjectResponse,
  type ProjectDetailResponse,
  type ProjectResponse,
  type ProjectRow,
} from '../src/projects/dto/project.dto.js';
import { PROJECT_WITH_DETAILS } from '../src/projects/project-one.sql.js';
import { listProjectsStatements, listPublicProjectsStatements, listTotal } from '../src/projects/project-lists.sql.js';

const AUTHORIZATION = /^(token|bearer)\s+(\S+)\s*$/i;
const LAST_USED_RESOLUTION_MS = 60_000;
const TRUE = /^(1|true|yes)$/i;
const PROJECT_ID = /^[0-9a-fA-F-]{36}$/;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A list page and, when the request asked for a page (limit), the X-Total-Count to send with it. */
export interface ListAnswer {
  projects: ProjectResponse[];
  totalCount: string | null;
}

export type ProjectList = 'mine' | 'public';

/**
 * The app's pool (src/database/pool-settings.ts): its size, and idle connections kept 5 minutes, so a
 * reference server waiting for its turn in the bench's rounds does not reopen them and plan its
 * statements afresh; `name` is the application_name PostgreSQL shows for its connections.
 */
export const newPool = (name: string) =>
  new pg.Pool({ connectionString: process.env.DATABASE_URL, max: POOL_SIZE, idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS, application_name: name });

/** A request's URL (`req.url`, path and query), parsed as the ceiling parses it: its searchParams are what list reads. */
export const requestUrl = (url: string | undefined): URL => new URL(url ?? '/', 'http://ceiling');

/** The project id of GET /api/v1/projects/{id}/, lowercased; anything but a UUID's shape is not found. */
export function projectIdOf(segment: string): string {
  if (!PROJECT_ID.test(segment)) throw new HttpError(404, 'Not found');
  return segment.toLowerCase();
}

export class CeilingWork {
  constructor(private readonly pool: pg.Pool) {}

  /** Named prepared statements, named after their text, as the app's src/database/prepared.ts runs its hot statements. */
  private prepared(text: string, values: unknown[]) {
    return this.pool.query({ name: preparedStatementName(text), text, values });
  }

  /** The same lookup as AuthTokens.authenticate: one SELECT, and last_used_at written at most once a minute. */
  async authenticate(header: string | undefined): Promise<string> {
    const match = AUTHORIZATION.exec(header ?? '');
    if (!match) throw new HttpError(401, 'Malformed Authorization header');
    const { rows } = await this.prepared(
      `SELECT t.id AS token_id, t.last_used_at, a.id, a.username, a.is_staff, a.is_active
         FROM auth_tokens t JOIN accounts a ON a.id = t.account_id
        WHERE t.key_hash = $1 AND t.expires_at > now()`,
      [hashKey(match[2])],
    );
    const row = rows[0];
    if (!row || !row.is_active) throw new HttpError(401, 'Invalid or expired token');
    if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > LAST_USED_RESOLUTION_MS) {
      await this.pool.query(`UPDATE auth_tokens SET last_used_at = now() WHERE id = $1`, [row.token_id]);
    }
    return row.id as string;
  }

  /** GET /api/v1/projects/ ('mine') or /api/v1/projects/public/ with the request's query. */
  async list(userId: string, which: ProjectList, query: URLSearchParams): Promise<ListAnswer> {
    const page = pageRequest(query);
    const search = query.get('search') ?? undefined;
    const ordering = query.get('ordering') ?? undefined;
    const statements =
      which === 'public'
        ? listPublicProjectsStatements(userId, { search, ordering }, page)
        : listProjectsStatements(
            userId,
            {
              includePublic: TRUE.test(query.get('include_public') ?? query.get('include-public') ?? ''),
              search,
              ordering,
              owner: query.get('owner') ?? undefined,
              name: query.get('name') ?? undefined,
            },
            page,
          );
    // Like the app's repository: the page carries the total; the count runs only for an empty page past the end.
    const rows = (await this.prepared(statements.page.sql, statements.page.params)).rows as Array<ProjectRow & { total_count: number }>;
    const total = listTotal(rows, page) ?? (await this.prepared(statements.count.sql, statements.count.params)).rows[0].count;
    return {
      projects: rows.map(toProjectResponse),
      totalCount: page.limit !== null ? String(total) : null,
    };
  }

  /** GET /api/v1/projects/{id}/ as the app answers it: the project with its details and the caller's role, in one statement. */
  async one(userId: string, projectId: string): Promise<ProjectDetailResponse> {
    const [row] = (await this.prepared(PROJECT_WITH_DETAILS, [projectId, userId])).rows as ProjectRow[];
    if (!row) throw new HttpError(404, 'No such project');
    if (!row.role) throw new HttpError(403, 'Permission denied');
    return toProjectDetailResponse(row);
  }
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

/** SIGTERM or SIGINT stops a reference server at once: connections closed (autocannon keeps its own open), then the pool. */
export function stopOnSignals(server: http.Server, pool: pg.Pool): void {
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void pool.end().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
