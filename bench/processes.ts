/**
 * The server processes the bench scripts start (bench/run.ts, bench/soak.ts, bench/jobs.ts,
 * bench/deltas.ts): spawned from the built code, their last output kept for error messages, stopped
 * with SIGTERM (SIGKILL after 15 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
