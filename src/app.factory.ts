import type { Server } from 'node:http';
import type { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import express, { type NextFunction, type Request, type Response } from 'express';
import { DataSource } from 'typeorm';
import { stringify as stringifyYaml } from 'yaml';
import { AccountsRepository } from './accounts/accounts.repository.js';
import { ensureAdmin } from './accounts/ensure-admin.js';
import { AppModule } from './app.module.js';
import { ErrorFilter } from './common/error.filter.js';
import { buildOpenApiDocument } from './common/openapi.js';
import { TooManyRequests } from './common/errors.js';
import { JsonLogger } from './common/logger.js';
import { answerUnparsableRequests } from './common/client-errors.js';
import { MAX_NESTING } from './common/nesting.js';
import { rejectNulInUrl } from './common/nul-characters.js';
import { securityHeaders } from './common/security-headers.js';
import { answerPage, Page, PAGINATION_SETTINGS, type PaginationSettings } from './common/pagination.js';
import { requestContext } from './common/request-context.js';
import { validationPipe } from './common/validation.js';
import type { AppConfig } from './config/config.js';
import { migrate } from './database/data-source.js';
import { FileEtagBackfill } from './files/file-etag-backfill.service.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './database/embedded-postgres.js';
import { OwnerCountCompaction } from './projects/owner-count-compaction.service.js';
import { StorageCleaner } from './storage/storage-cleaner.js';
import { JobWorker } from './worker/job-worker.service.js';

export const API_PREFIX = 'api/v1';

export interface Fieldbase {
  app: NestExpressApplication;
  logger: JsonLogger;
  /** Stops the HTTP side (in-flight requests finish), the database pool, then an embedded PostgreSQL. */
  close(): Promise<void>;
}

/**
 * Everything but `listen`: the database (embedded unless DATABASE_URL is set), migrations, the
 * first-start admin, and the HTTP conventions of spec §1–§2. Tests build the app through here too.
 */
export async function createApp(config: AppConfig, logger = new JsonLogger(config.logLevel)): Promise<Fieldbase> {
  let embedded: EmbeddedPostgresHandle | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, log: (msg) => logger.write('info', { msg }) });
    databaseUrl = embedded.url;
  }
  try {
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, databaseUrl), new FieldbaseExpressAdapter(), {
      bodyParser: false,
      logger,
      abortOnError: false,
    });
    configureHttp(app, config, logger);
    await app.init();
    const db = app.get(DataSource);
    const applied = await migrate(db, () => ensureAdmin(app.get(AccountsRepository), app.get(CommandBus), config, (lines) => announce(logger, lines)));
    if (applied.length) logger.write('info', { msg: `applied migrations: ${applied.join(', ')}` });
    app.get(StorageCleaner).start();
    app.get(OwnerCountCompaction).start();
    app.get(FileEtagBackfill).start();
    if (config.worker) app.get(JobWorker).start();
    return {
      app,
      logger,
      close: async () => {
        await app.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

/** How long an idle HTTP connection is kept: past the 60 s of the usual proxies (FieldbaseExpressAdapter). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Express as the app uses it:
 *
 * - A list handler's Page is answered as a bare array plus its headers (answerPage), here, where
 *   every handler's result passes anyway: as an interceptor it put an rxjs chain on every list request.
 * - No route redirects and an unknown path is the 404 envelope (spec §1), static files included: the
 *   docs page's assets, which @nestjs/swagger serves through useStaticAssets. Left to its defaults,
 *   serve-static answers a folder's path (`/api/v1/docs/x/..`) with a 301 and an HTML body, and one
 *   ending in "/" with the folder's index.html (Swagger UI's demo page). Here a folder is not found,
 *   so the request goes on to the 404 envelope.
 * - Connections kept alive longer than the proxies in front keep theirs, and a stop that does not
 *   wait that long.
 */
class FieldbaseExpressAdapter extends ExpressAdapter {
  /**
   * An idle connection stays open longer than the proxies in front keep theirs (nginx's upstream
   * keepalive_timeout, load balancers such as AWS's: 60 s). With Node's default of 5 s the server
   * closes connections a proxy may be sending its next request on, which the proxy answers 502.
   */
  override initHttpServer(options: NestApplicationOptions) {
    super.initHttpServer(options);
    (this.getHttpServer() as Server).keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  }

  /**
   * Stopping: Node closes the idle connections at once, and a request still in flight gets its answer
   * with its connection closed about a second later, not a keep-alive timeout later, which would hold
   * the stop as long.
   */
  override close() {
    (this.getHttpServer() as Server).keepAliveTimeout = 1;
    return super.close();
  }

  override reply(response: Response, body: unknown, statusCode?: number) {
    return super.reply(response, body instanceof Page ? answerPage(response.req as Request, response, body) : body, statusCode);
  }

  override useStaticAssets(path: string, options: Parameters<ExpressAdapter['useStaticAssets']>[1]) {
    return super.useStaticAssets(path, { ...options, redirect: false, index: false });
  }
}

export function configureHttp(app: NestExpressApplication, config: AppConfig, logger: JsonLogger): void {
  const server = app.getHttpAdapter().getInstance() as express.Application;
  server.disable('x-powered-by');
  server.set('trust proxy', config.trustProxy);
  // Express would hash every JSON answer for a weak ETag; no client revalidates API answers, and
  // stored files send their own ETag (send-stored-file.ts).
  server.set('etag', false);
  server.set(PAGINATION_SETTINGS, { maxPageLimit: config.maxPageLimit, publicUrl: config.publicUrl } satisfies PaginationSettings);

  app.use(securityHeaders());
  app.use(requestContext(logger));
  if (config.rateLimitPerMinute) app.use(rateLimiter(config.rateLimitPerMinute));
  app.use(rejectNulInUrl);
  answerUnparsableRequests(app.getHttpServer());
  app.use(express.json({ limit: config.maxBodyBytes, type: ['application/json', 'application/*+json'] }));
  // `depth` (how many [brackets] a field name may nest) is an option of body-parser 2 its types lack.
  const formOptions = { limit: config.maxBodyBytes, extended: true, parameterLimit: 1000, depth: MAX_NESTING };
  app.use(express.urlencoded(formOptions));
  app.enableCors({
    origin: config.corsOrigins.includes('*') ? true : config.corsOrigins.length ? config.corsOrigins : false,
    exposedHeaders: ['X-Total-Count', 'X-Next-Page', 'X-Previous-Page', 'X-Request-Id', 'ETag'],
  });
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(new ErrorFilter(logger, () => server, config.maxBodyBytes));

  const document = buildOpenApiDocument(app);
  serveOpenApiDocument(app, document);
  SwaggerModule.setup(`${API_PREFIX}/docs`, app, document, {
    raw: false,
    customSiteTitle: 'Fieldbase API',
    swaggerOptions: { persistAuthorization: true, requestInterceptor: keepThePagesPrefix },
  });
}

/**
 * The document as JSON and YAML, serialised once: it never changes while the server runs, and
 * Swagger's own routes re-serialise it on every request (tens of ms of CPU, for anyone, logged in or not).
 */
function serveOpenApiDocument(app: NestExpressApplication, document: object): void {
  const json = JSON.stringify(document);
  let yaml: string | undefined;
  const http = app.getHttpAdapter().getInstance() as express.Express;
  http.get(`/${API_PREFIX}/openapi.json`, (_req, res) => {
    res.type('application/json').send(json);
  });
  http.get(`/${API_PREFIX}/openapi.yaml`, (_req, res) => {
    res.type('text/yaml').send((yaml ??= stringifyYaml(document, { aliasDuplicateObjects: false })));
  });
}

/**
 * Runs in the browser: Swagger UI copies it into swagger-ui-init.js, so it may use nothing from this
 * module. The document's server is the host root "/" (spec §9), which behind a proxy that mounts us
 * under a sub-path (/cloud/api/v1/docs/) would send "Try it out" to /api/v1/… outside it; the API is
 * under the same prefix as the page.
 */
function keepThePagesPrefix(request: { url: string }): { url: string } {
  const { location } = globalThis as unknown as { location: { href: string; origin: string; pathname: string } };
  const prefix = location.pathname.replace(/\/api\/v1\/docs(\/.*)?$/, '');
  const url = new URL(request.url, location.href);
  if (prefix && url.origin === location.origin && url.pathname.startsWith('/api/v1/')) request.url = location.origin + prefix + url.pathname + url.search;
  return request;
}

// The document is built in common/openapi.ts; tests and `npm run openapi` import it from here.
export { buildOpenApiDocument };

/** RATE_LIMIT_PER_MINUTE: a fixed one-minute window per client IP, counted per instance (spec §9). */
function rateLimiter(perMinute: number) {
  let windowStart = Date.now();
  let counts = new Map<string, number>();
  return (req: Request, res: Response, next: NextFunction) => {
    const now = Date.now();
    if (now - windowStart >= 60_000) {
      windowStart = now;
      counts = new Map();
    }
    const count = (counts.get(req.ip ?? '') ?? 0) + 1;
    counts.set(req.ip ?? '', count);
    if (count > perMinute) return next(new TooManyRequests(Math.ceil((windowStart + 60_000 - now) / 1000)));
    next();
  };
}

function announce(logger: JsonLogger, lines: string[]): void {
  if (logger.silent) return;
  const rule = '='.repeat(78);
  // Plain text, not JSON: this is the one message a person must read in the log.
  process.stdout.write(['', rule, ...lines.map((line) => `  ${line}`), rule, ''].join('\n') + '\n');
  logger.write('info', { msg: lines[0] });
}
