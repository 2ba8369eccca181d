/**
 * The Express floor: the ceiling's request work (bench/ceiling-work.ts) behind a bare Express 5 app,
 * with the two settings the app makes (no X-Powered-By, no ETag) and nothing else, answering through
 * `res.json` as NestJS does. Between the ceiling (bare node:http) and the framework floor (NestJS on
 * Express), it tells how much of the framework's cost per request is Express's own (`npm run
 * bench:floors`).
 *
 *   DATABASE_URL=postgres://… PORT=8125 node dist/bench/express-floor.js
 */
import express, { type RequestHandler } from 'express';
import { CeilingWork, HttpError, newPool, projectIdOf, requestUrl, stopOnSignals, type ProjectList } from './ceiling-work.js';

const pool = newPool('fieldbase-express-floor');
const work = new CeilingWork(pool);

type Req = Parameters<RequestHandler>[0];
type Res = Parameters<RequestHandler>[1];

const answering =
  (handler: (req: Req, res: Res) => Promise<void>): RequestHandler =>
  (req, res) => {
    handler(req, res).catch((error) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) console.error(error);
      res.status(status).json({ code: status === 500 ? 'internal_error' : 'error', message: (error as Error).message });
    });
  };

const list = (which: ProjectList) =>
  answering(async (req, res) => {
    const userId = await work.authenticate(req.headers.authorization);
    const { projects, totalCount } = await work.list(userId, which, requestUrl(req.url).searchParams);
    if (totalCount !== null) res.setHeader('X-Total-Count', totalCount);
    res.json(projects);
  });

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/api/v1/projects/', list('mine'));
app.get('/api/v1/projects/public/', list('public'));
app.get(
  '/api/v1/projects/:id/',
  answering(async (req, res) => {
    const projectId = projectIdOf(String(req.params.id));
    res.json(await work.one(await work.authenticate(req.headers.authorization), projectId));
  }),
);

const port = Number(process.env.PORT ?? 8125);
const server = app.listen(port, '127.0.0.1', () => console.log(`express floor listening on ${port}`));

stopOnSignals(server, pool);
