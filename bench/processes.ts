/**
 * The server processes the bench scripts start (bench/run.ts, bench/soak.ts): spawned from the built
 * code, their last output kept for error messages, stopped with SIGTERM (SIGKILL after 15 s).
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
