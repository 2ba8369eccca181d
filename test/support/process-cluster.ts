import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { ServerProcess } from './server-process.js';
import { createTestDatabase } from './test-app.js';

const WORKER = 'dist/src/worker-main.js';
const ADMIN = { username: 'admin', password: 'admin-password' };

/**
 * An API server process (WORKER=false) and worker-only processes (`npm run worker`) on one test
 * database and one DATA_DIR, as a larger installation runs them (spec §13.1): for the tests of the
 * queue across real processes. `workers` are the worker processes still running; tests that kill or
 * stop one take it out.
 */
export class ProcessCluster {
  readonly workers: ServerProcess[] = [];
  api!: ServerProcess;
  /** http://127.0.0.1:<port> of the API. */
  base!: string;
  /** The first staff account's token. */
  token!: string;
  db!: pg.Pool;
  private database?: Awaited<ReturnType<typeof createTestDatabase>>;
  private dataDir = '';

  /** `workerEnv`: what every worker gets beyond the shared database and DATA_DIR (e.g. QGIS_PYTHON). */
  constructor(
    private readonly name: string,
    private readonly workerEnv: Record<string, string> = {},
  ) {}

  async start(): Promise<this> {
    this.database = await createTestDatabase();
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `fieldbase-${this.name}-`));
    this.api = await (await ServerProcess.start(this.env({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, WORKER: 'false' }))).ready(60_000);
    this.base = `http://127.0.0.1:${this.api.port}`;
    this.token = (await request(this.base).post('/api/v1/auth/login/').set('User-Agent', 'sdk|tests').send(ADMIN)).body.token;
    this.db = new pg.Pool({ connectionString: this.database.url, max: 2 });
    return this;
  }

  /** A worker process, once it has checked QGIS and claims jobs. */
  async startWorker(more: Record<string, string> = {}): Promise<ServerProcess> {
    const worker = await this.spawnWorker(more);
    await worker.line('started: concurrency', 60_000);
    return worker;
  }

  /** A worker process, just spawned. */
  async spawnWorker(more: Record<string, string> = {}): Promise<ServerProcess> {
    const worker = await ServerProcess.start(this.env({ ...this.workerEnv, ...more }), WORKER);
    this.workers.push(worker);
    return worker;
  }

  async sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]> {
    return (await this.db.query(text, params)).rows as T[];
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop('SIGKILL').catch(() => undefined)));
    await this.api?.stop();
    await this.db?.end();
    await this.database?.drop();
    if (this.dataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private env(more: Record<string, string>): Record<string, string> {
    return { DATABASE_URL: this.database!.url, DATA_DIR: this.dataDir, LOG_LEVEL: 'info', ...more };
  }
}
