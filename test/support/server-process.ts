import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres.js';

/** The built server (dist/, made by `npm test` before jest runs) as a real child process. */
export class ServerProcess {
  output = '';
  exitCode: number | null = null;
  private readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.on('data', (chunk) => (this.output += chunk));
    child.stderr!.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve((this.exitCode = code))));
  }

  /** `cwd`: the working directory, where the script path and a relative DATA_DIR start from. */
  static async start(env: Record<string, string>, script = 'dist/src/main.js', cwd = '.'): Promise<ServerProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [path.resolve(cwd, script)], {
      cwd,
      // The job worker (and its QGIS) only where a test asks for it.
      env: { PATH: process.env.PATH!, PORT: String(port), HOST: '127.0.0.1', WORKER: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServerProcess(child, port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/api/v1`;
  }

  /** Resolves when the server listens; rejects with its output when it exits first. */
  async ready(timeoutMs = 30_000): Promise<this> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes('Fieldbase listening')) {
      if (this.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start (exit ${this.exitCode}):\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this;
  }

  /** Waits until the output has a line containing `text`, and returns that line. */
  async line(text: string, timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.output.split('\n').find((l) => l.includes(text));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no line with ${text} in:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async exit(timeoutMs = 30_000): Promise<number | null> {
    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms:\n${this.output}`)), timeoutMs).unref());
    return Promise.race([this.exited, timer]);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.exitCode === null) this.child.kill(signal);
    return this.exit();
  }

  /** The pid of the embedded PostgreSQL, from the start-up log line. */
  get postgresPid(): number {
    const match = /embedded PostgreSQL \d+ listening on [^ ]+ \(pid (\d+)\)/.exec(this.output);
    if (!match) throw new Error(`no embedded PostgreSQL in the output:\n${this.output}`);
    return Number(match[1]);
  }
}

export function processExists(pid: number): boolean {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}
