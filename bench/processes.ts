/**
 * The server processes the bench scripts start (bench/run.ts, bench/soak.ts, bench/jobs.ts,
 * bench/deltas.ts, bench/compare.ts, bench/after-pause.ts): spawned from the built code, their last output kept for error
 * messages, stopped with SIGTERM (SIGKILL after 15 s); the load put on them (autocannon) and the CPU
 * time they use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The middle item by `key` (of an even count, the upper of the two middle ones). */
export const medianBy = <T>(items: T[], key: (item: T) => number): T => [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)];

/** The middle value (of an even count, the upper of the two middle ones). */
export const median = (values: number[]) => medianBy(values, (value) => value);

export interface Server {
  name: string;
  child: ChildProcess;
  /** http://127.0.0.1:<port>, without the API prefix. */
  baseUrl: string;
  output: string[];
}

export function startServer(name: string, script: string, env: NodeJS.ProcessEnv, port: number): Server {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { name, child, baseUrl: `http://127.0.0.1:${port}`, output };
}

/** Resolves once GET `path` answers 2xx; throws with the server's output when it exits or 120 s pass. */
export async function waitUntilAnswering(server: Server, path: string, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`${server.name} exited (${server.child.exitCode}) during start-up:\n${server.output.join('\n')}`);
    try {
      const res = await fetch(server.baseUrl + path, { headers });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  throw new Error(`${server.name} did not answer within 120 s:\n${server.output.join('\n')}`);
}

export async function stopServer(server: Server | null): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(15_000).then(() => true)]);
  if (timedOut) {
    server.child.kill('SIGKILL');
    await exited;
  }
}

/**
 * The production servers of one or more checkouts (each built there; `script`, by default
 * dist/src/main.js, may name another server of the build, such as a bench reference) on one seeded
 * bench database (data/bench-<size>, made by `npm run bench`), each in a temporary DATA_DIR of its
 * own, with listBenchEnv plus `extraEnv`: `run` gets them once they answer GET `ready.path` with
 * `ready.token`; they, the database and the directories are stopped and removed afterwards, whatever
 * happened.
 */
export async function onSeededDatabase<T>(
  size: string,
  builds: Array<{ name: string; root: string; script?: string }>,
  ready: { path: string; token: string; extraEnv?: NodeJS.ProcessEnv },
  run: (servers: Server[], databaseUrl: string) => Promise<T>,
): Promise<T> {
  const scriptOf = (build: { root: string; script?: string }) => path.join(build.root, build.script ?? 'dist/src/main.js');
  for (const build of builds) if (!fs.existsSync(scriptOf(build))) throw new Error(`${build.root} is not built (npm run build there)`);
  const dataDir = path.join(ROOT, `data/bench-${size}`);
  if (!fs.existsSync(path.join(dataDir, 'pg/PG_VERSION'))) throw new Error(`no ${dataDir}: seed it with npm run bench -- --sizes ${size}`);
  let database: EmbeddedPostgresHandle | null = null;
  const servers: Server[] = [];
  const dataDirs: string[] = [];
  try {
    database = await startEmbeddedPostgres({ dataDir, port: 0, log: () => undefined });
    for (const build of builds) {
      const port = await freePort();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-bench-'));
      dataDirs.push(dir);
      const env = { ...listBenchEnv(database.url), ...ready.extraEnv, PORT: String(port), DATA_DIR: dir };
      const server = startServer(build.name, scriptOf(build), env, port);
      servers.push(server);
      await waitUntilAnswering(server, ready.path, { Authorization: `Token ${ready.token}` });
    }
    return await run(servers, database.url);
  } finally {
    for (const server of servers) await stopServer(server);
    await database?.stop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The resident memory of a process in MB, rounded to `digits`; null when it is gone. */
export function rssMb(pid: number | undefined, digits = 1): number | null {
  if (!pid) return null;
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10 ** digits) / 10 ** digits : null;
  } catch {
    return null;
  }
}

/** The first staff account of the production servers the job benches start. */
export const BENCH_ADMIN = { username: 'bench-admin', password: 'bench-admin-password' };

/**
 * The environment of the list benchmarks' servers (bench/run.ts, bench/compare.ts, and the ceiling and
 * floor beside them): production settings on `databaseUrl`, without the settings of this shell that
 * would change what is measured (a rate limit, a page cap, S3, an admin to create).
 */
export function listBenchEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  for (const variable of ['RATE_LIMIT_PER_MINUTE', 'MAX_PAGE_LIMIT', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'STORAGE_DRIVER', 'PUBLIC_URL']) delete env[variable];
  return env;
}

/**
 * The environment of a production server on `databaseUrl` (bench/jobs.ts, bench/deltas.ts): quiet
 * logs, BENCH_ADMIN as its first staff account, one job at a time per worker process.
 */
export function productionEnv(databaseUrl: string, dataDir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    ADMIN_USERNAME: BENCH_ADMIN.username,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
    WORKER_CONCURRENCY: '1',
  };
}

/** A JSON (or, for FormData, multipart) call to the API of `server`: the answer's body; a non-2xx answer throws, naming the route. */
export function apiCaller(server: Server) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return async (method: string, route: string, token?: string, body?: unknown): Promise<any> => {
    const headers: Record<string, string> = token ? { Authorization: `Token ${token}` } : {};
    if (body !== undefined && !(body instanceof FormData)) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${server.baseUrl}/api/v1/${route}`, {
      method,
      headers,
      body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await res.json();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  };
}

/** CPU time in clock ticks (USER_HZ, 100 on Linux). */
export const TICKS_PER_SECOND = 100;

/** User + system CPU ticks of a process so far (with its reaped children's); 0 when it is gone. */
export function processTicks(pid: number | undefined, withChildren = false): number {
  if (!pid) return 0;
  try {
    // Fields after "(comm)": state is field 3; utime 14, stime 15, cutime 16, cstime 17.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const at = (field: number) => Number(fields[field - 3]);
    return at(14) + at(15) + (withChildren ? at(16) + at(17) : 0);
  } catch {
    return 0;
  }
}

const AUTOCANNON = path.join(ROOT, 'node_modules/autocannon/autocannon.js');

export interface AutocannonOutput {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** GETs of `url` as the holder of `token`, `connections` at once for `seconds`; throws on any error or non-2xx answer. */
export async function loadGets(url: string, token: string, connections: number, seconds: number): Promise<AutocannonOutput> {
  const result = await autocannon(['-n', '-c', String(connections), '-d', String(seconds), '-H', `Authorization: Token ${token}`, url]);
  if (result.errors || result.non2xx) throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx answers`);
  return result;
}

/** Runs autocannon with `args` (its options and the URL; `-j` is added) in its own process. */
export function autocannon(args: string[]): Promise<AutocannonOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AUTOCANNON, '-j', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line) as AutocannonOutput);
      } catch (error) {
        reject(new Error(`autocannon failed (${(error as Error).message}): ${stderr.trim()} ${stdout.slice(0, 500)}`));
      }
    });
  });
}
