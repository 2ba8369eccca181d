/**
 * The benchmark's framework floor: the ceiling's request work (bench/ceiling-work.ts, the very same
 * functions bench/ceiling.ts calls) behind a minimal NestJS application on the Express adapter, as the
 * app is built (NestFactory.create with an ExpressAdapter, no body parser), with one controller for the
 * ceiling's three routes and nothing else: no middleware, pipes, guards, interceptors, filters or
 * logger. Handlers return the body and Nest answers through Express's res.json, as it does for the
 * app's handlers. Its CPU per request minus the ceiling's is what NestJS + Express alone cost, a
 * floor no Fieldbase handler can go under.
 *
 *   DATABASE_URL=postgres://… PORT=8124 node dist/bench/framework-floor.js
 *
 * Prints "framework floor listening on <port>" once it accepts requests. Stops on SIGTERM/SIGINT.
 */
import { Controller, Get, Headers, HttpException, Inject, Module, Param, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import type { ProjectDetailResponse, ProjectResponse } from '../src/projects/dto/project.dto.js';
import { CeilingWork, HttpError, newPool, projectIdOf, requestUrl, type ProjectList } from './ceiling-work.js';

const pool = newPool('fieldbase-framework-floor');

/** The ceiling's errors as Nest's own exception, which its built-in handler answers with that status. */
async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpError) throw new HttpException({ code: 'error', message: error.message }, error.status);
    throw error;
  }
}

@Controller('api/v1/projects')
class ProjectsController {
  constructor(@Inject(CeilingWork) private readonly work: CeilingWork) {}

  @Get()
  mine(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<ProjectResponse[]> {
    return this.list('mine', req, res);
  }

  @Get('public')
  public(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<ProjectResponse[]> {
    return this.list('public', req, res);
  }

  @Get(':id')
  one(@Param('id') id: string, @Headers('authorization') authorization: string | undefined): Promise<ProjectDetailResponse> {
    return answering(async () => {
      const projectId = projectIdOf(id);
      return this.work.one(await this.work.authenticate(authorization), projectId);
    });
  }

  private list(which: ProjectList, req: Request, res: Response): Promise<ProjectResponse[]> {
    return answering(async () => {
      const userId = await this.work.authenticate(req.headers.authorization);
      // req.url, not req.query: the ceiling's reading of the query (Express 5 parses req.query only when read).
      const { projects, totalCount } = await this.work.list(userId, which, requestUrl(req.url).searchParams);
      if (totalCount !== null) res.setHeader('X-Total-Count', totalCount);
      return projects;
    });
  }
}

@Module({ controllers: [ProjectsController], providers: [{ provide: CeilingWork, useValue: new CeilingWork(pool) }] })
class FloorModule {}

const app = await NestFactory.create<NestExpressApplication>(FloorModule, new ExpressAdapter(), {
  bodyParser: false,
  logger: false,
  forceCloseConnections: true, // stops at once on SIGTERM, as the ceiling does, instead of waiting for autocannon's keep-alive connections
});
// The two Express settings the app makes too (src/app.factory.ts): without them the floor would hash
// every answer for an ETag the app does not send.
app.disable('x-powered-by');
app.set('etag', false);

const port = Number(process.env.PORT ?? 8124);
await app.listen(port, '127.0.0.1');
console.log(`framework floor listening on ${port}`);

const stop = () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
