import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The log of a job keeps at most this much of the process's output: its end, where the errors are. */
const OUTPUT_LIMIT_BYTES = 1024 * 1024;
/** How often the memory of a job's processes is measured. */
const MEMORY_POLL_MS = 200;
const PAGE_SIZE = 4096;

/** The repository's `qgis/` folder (the scripts of QGIS-CONTRACT), found from this file in src/ or dist/src/. */
export const QGIS_SCRIPTS_DIR = findScriptsDir();

function findScriptsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'qgis');
    if (fs.existsSync(path.join(candidate, 'check_qgis.py'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve('qgis');
    dir = parent;
  }
}

export interface QgisRunOptions {
  python: string;
  script: string;
  workdir: string;
  timeoutMs: number;
  memoryMb: number;
}

export interface QgisRunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why the worker killed it, if it did. */
  killed: 'timeout' | 'memory' | 'stopped' | null;
  /** stdout and stderr as they came, the end of it when longer than the limit. */
  output: string;
  /** Highest resident memory of its processes, as sampled. */
  peakRssMb: number;
  /** null when it could not be started at all (no such interpreter). */
  spawnError: string | null;
}

/**
 * The environment of QGIS-CONTRACT, built from scratch: nothing of the server's (no database URL, no
 * storage keys) but PATH. Qt aborts without a platform; QGIS loads few providers without its prefix;
 * its settings and runtime files go to the job's folder, never to a home folder.
 */
export function qgisEnvironment(workdir: string): NodeJS.ProcessEnv {
  const runtime = path.join(workdir, '.runtime');
  fs.mkdirSync(runtime, { recursive: true, mode: 0o700 });
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    QT_QPA_PLATFORM: 'offscreen',
    QGIS_PREFIX_PATH: '/usr',
    XDG_RUNTIME_DIR: runtime,
    QGIS_CUSTOM_CONFIG_PATH: path.join(workdir, '.qgis'),
    HOME: workdir,
  };
}

/** A running QGIS script: `stop()` kills its process group (a deleted project, a shutdown). */
export interface QgisRun {
  result: Promise<QgisRunResult>;
  stop(): void;
}

/**
 * Runs `<python> <script> <workdir>` in its own process group, so a kill reaches whatever it started.
 * The memory cap is the group's resident memory, sampled: an address-space limit (RLIMIT_AS) breaks
 * QGIS, which reserves far more virtual memory than it uses (see docs/jobs.md).
 */
export function runQgisScript(options: QgisRunOptions): QgisRun {
  let killed: QgisRunResult['killed'] = null;
  let output = '';
  let truncated = false;
  let peakRss = 0;
  const child = spawn(options.python, [options.script, options.workdir], {
    cwd: options.workdir,
    env: qgisEnvironment(options.workdir),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_LIMIT_BYTES) {
      output = output.slice(output.length - OUTPUT_LIMIT_BYTES);
      truncated = true;
    }
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);

  const kill = (reason: NonNullable<QgisRunResult['killed']>) => {
    killed ??= reason;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
  const memoryLimit = options.memoryMb * 1024 * 1024;
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    const rss = groupRss(child.pid);
    peakRss = Math.max(peakRss, rss);
    if (rss > memoryLimit) kill('memory');
  }, MEMORY_POLL_MS);

  const result = new Promise<QgisRunResult>((resolve) => {
    let spawnError: string | null = null;
    let done = false;
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poll);
      // A grandchild may outlive the script; the group goes with it.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // nothing left
        }
      }
      resolve({
        exitCode,
        signal,
        killed,
        output: (truncated ? '[… the beginning of the log was cut …]\n' : '') + output,
        peakRssMb: Math.round(peakRss / 1024 / 1024),
        spawnError,
      });
    };
    child.on('error', (error) => {
      spawnError = error.message;
      if (child.pid === undefined) finish(null, null); // never started: no close follows for sure
    });
    child.on('close', finish);
  });
  return { result, stop: () => kill('stopped') };
}

/** Resident bytes of a process and all its descendants. */
function groupRss(pid: number): number {
  let total = 0;
  const seen = new Set<number>();
  const visit = (p: number) => {
    if (seen.has(p)) return;
    seen.add(p);
    try {
      total += Number(fs.readFileSync(`/proc/${p}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
      for (const task of fs.readdirSync(`/proc/${p}/task`)) {
        const children = fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children) for (const child of children.split(/\s+/)) visit(Number(child));
      }
    } catch {
      // the process ended meanwhile
    }
  };
  visit(pid);
  return total;
}

export interface QgisCheck {
  ok: boolean;
  version: string | null;
  error: string | null;
}

/** Runs qgis/check_qgis.py (QGIS-CONTRACT): can this machine start QGIS, and which version. */
export async function checkQgis(python: string, workdir: string): Promise<QgisCheck> {
  const run = runQgisScript({ python, script: path.join(QGIS_SCRIPTS_DIR, 'check_qgis.py'), workdir, timeoutMs: 60_000, memoryMb: 4096 });
  const result = await run.result;
  if (result.exitCode === 0) {
    const line = result.output.split('\n').find((l) => l.trim().startsWith('{'));
    try {
      const version = (JSON.parse(line ?? '') as { qgis_version?: string }).qgis_version ?? null;
      return { ok: true, version, error: null };
    } catch {
      // fall through: an answer we cannot read is no QGIS we can use
    }
  }
  const reason = result.spawnError ?? (result.output.trim().split('\n').slice(-5).join('\n') || `exit ${result.exitCode ?? result.signal}`);
  return { ok: false, version: null, error: reason };
}
