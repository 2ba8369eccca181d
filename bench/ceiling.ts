/**
 * The benchmark's ceiling: the least a server can do for GET /api/v1/projects/,
 * GET /api/v1/projects/public/ and GET /api/v1/projects/{id}/ with the same database work as Fieldbase. node:http + one pg.Pool
 * (the app's pool size, 10) and the request work of bench/ceiling-work.ts: the same token lookup SQL (by hashKey of the
 * Authorization token, as AuthTokens.authenticate does), the very same list statements, run as the app runs them (imported from the app's
 * own query modules), run the same way (named prepared statements, as src/database/prepared.ts does),
 * the same row mapping (toProjectResponse) and JSON.stringify. No framework, no validation beyond the
 * minimum, no logging.
 *
 *   DATABASE_URL=postgres://… PORT=8123 node dist/bench/ceiling.js
 *
 * Prints "ceiling listening on <port>" once it accepts requests. Stops on SIGTERM/SIGINT.
 */
import http from 'node:http';
import { CeilingWork, HttpError, newPool, projectIdOf, requestUrl, stopOnSignals } from './ceiling-work.js';

const pool = newPool('fieldbase-ceiling');
const work = new CeilingWork(pool);

const ONE_PROJECT = /^\/api\/v1\/projects\/([^/]+)\/$/;

function answer(res: http.ServerResponse, value: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers }).end(body);
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== 'GET') throw new HttpError(405, 'Method not allowed');
  const url = requestUrl(req.url);
  const path = url.pathname.replace(/\/?$/, '/');
  const single = ONE_PROJECT.exec(path);
  if (single && single[1] !== 'public') {
    const projectId = projectIdOf(single[1]);
    return answer(res, await work.one(await work.authenticate(req.headers.authorization), projectId));
  }
  if (path !== '/api/v1/projects/' && path !== '/api/v1/projects/public/') throw new HttpError(404, 'Not found');
  const userId = await work.authenticate(req.headers.authorization);
  const { projects, totalCount } = await work.list(userId, path === '/api/v1/projects/public/' ? 'public' : 'mine', url.searchParams);
  answer(res, projects, totalCount !== null ? { 'X-Total-Count': totalCount } : {});
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

stopOnSignals(server, pool);
