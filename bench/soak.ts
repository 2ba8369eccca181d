/**
 * npm run soak -- [--clients 8] [--duration 60] [--warmup 10] [--database-url URL] [--seed 7]
 *                 [--max-rss-growth 1.5] [--out bench/results/soak.json]
 *
 * A soak test (issue 7.5), not part of `npm test`: the production server (`node dist/src/main.js`) on a
 * fresh embedded PostgreSQL (or the empty database --database-url / DATABASE_URL names), held under a
 * mixed read/write load by --clients concurrent clients for --duration seconds. Each client is a person
 * of its own who lists, reads, creates, updates and deletes projects and uploads, downloads and deletes
 * small files, in a seeded random mix, one request at a time.
 *
 * Reports throughput, every error (any answer but the expected success; there must be none) and the
 * server's resident memory (VmRSS from /proc/<pid>/status) once the --warmup seconds have passed, at
 * its peak and at the end, then checks that the stored bytes and the version rows agree. Prints a
 * markdown summary and writes --out (JSON) and the same name with .md. Exits non-zero when a request
 * failed, the memory grew by more than --max-rss-growth (the median RSS of the last fifth of the
 * measured time over that of the first fifth: single samples ride the garbage collector's sawtooth),
 * or the storage and the rows disagree.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres.js';
import { ROOT, rssMb, startServer, stopServer, waitUntilAnswering, type Server } from './processes.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '8' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    'database-url': { type: 'string' },
    seed: { type: 'string', default: '7' },
    'max-rss-growth': { type: 'string', default: '1.5' },
    out: { type: 'string', default: 'bench/results/soak.json' },
  },
});
const clients = Number(values.clients);
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const seed = Number(values.seed);
const maxRssGrowth = Number(values['max-rss-growth']);
const out = path.resolve(ROOT, values.out);
if (!Number.isInteger(clients) || clients < 1) throw new Error('--clients must be a whole number of at least 1');
if (!(duration > 0) || !(warmup >= 0) || warmup >= duration) throw new Error('--duration must be positive and --warmup below it');
if (!(maxRssGrowth >= 1)) throw new Error('--max-rss-growth must be at least 1');

const log = (message: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** mulberry32: the same mix of operations for the same --seed. */
function prng(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// The load

type Operation = 'list' | 'get' | 'create' | 'patch' | 'upload' | 'download' | 'delete-file' | 'delete-project';

/** How often each operation is picked: mostly reads, as field clients sync. */
const MIX: [Operation, number][] = [
  ['list', 25],
  ['get', 15],
  ['create', 8],
  ['patch', 10],
  ['upload', 15],
  ['download', 17],
  ['delete-file', 5],
  ['delete-project', 5],
];
/** A client keeps about this many projects and files, so the database and storage stay the same size. */
const MAX_PROJECTS = 12;
const MAX_FILES = 8;

interface Stats {
  count: number;
  latencies: number[];
}

interface Failure {
  operation: Operation;
  status: number | string;
  body: string;
}

class Client {
  private readonly projects = new Map<string, string[]>();
  private next = 0;
  readonly random: () => number;

  constructor(
    private readonly base: string,
    private readonly token: string,
    readonly name: string,
    clientSeed: number,
    private readonly record: (operation: Operation, ms: number, failure: Failure | null) => void,
  ) {
    this.random = prng(clientSeed);
  }

  private pick<T>(items: T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  private async request(operation: Operation, method: string, route: string, expected: number, body?: string | FormData, contentType?: string): Promise<any> {
    const started = performance.now();
    let failure: Failure | null = null;
    let parsed: any = null;
    try {
      const res = await fetch(`${this.base}${route}`, {
        method,
        headers: { Authorization: `Token ${this.token}`, ...(contentType ? { 'Content-Type': contentType } : {}) },
        body,
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.status !== expected) failure = { operation, status: res.status, body: bytes.toString('utf8').slice(0, 300) };
      else if ((res.headers.get('content-type') ?? '').includes('application/json')) parsed = JSON.parse(bytes.toString('utf8'));
      else parsed = bytes;
    } catch (error) {
      failure = { operation, status: 'network', body: String(error) };
    }
    this.record(operation, performance.now() - started, failure);
    return failure ? null : parsed;
  }

  private choose(): Operation {
    if (this.projects.size === 0) return 'create';
    let r = this.random() * MIX.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [operation, weight] of MIX) {
      r -= weight;
      if (r < 0) {
        if (operation === 'create' && this.projects.size >= MAX_PROJECTS) return 'delete-project';
        if (operation === 'delete-project' && this.projects.size <= 2) return 'create';
        return operation;
      }
    }
    return 'list';
  }

  async step(): Promise<void> {
    const operation = this.choose();
    const projectId = this.projects.size ? this.pick([...this.projects.keys()]) : '';
    const files = this.projects.get(projectId) ?? [];
    switch (operation) {
      case 'list':
        await this.request(operation, 'GET', '/projects/?limit=50', 200);
        break;
      case 'get':
        await this.request(operation, 'GET', `/projects/${projectId}/`, 200);
        break;
      case 'create': {
        const project = await this.request(
          operation,
          'POST',
          '/projects/',
          201,
          JSON.stringify({ name: `soak-${this.next++}`, description: 'soak' }),
          'application/json',
        );
        if (project) this.projects.set(project.id, []);
        break;
      }
      case 'patch':
        await this.request(operation, 'PATCH', `/projects/${projectId}/`, 200, JSON.stringify({ description: `changed ${this.next++}` }), 'application/json');
        break;
      case 'upload': {
        // Mostly new versions of files the project has, some new files; never more than MAX_FILES.
        const name = files.length && (files.length >= MAX_FILES || this.random() < 0.5) ? this.pick(files) : `data/f-${this.next++}.csv`;
        const form = new FormData();
        form.append('file', new Blob([randomBytes(1024 + Math.floor(this.random() * 15 * 1024))]), name.split('/').pop());
        const file = await this.request(operation, 'POST', `/files/${projectId}/${name}/`, 201, form);
        if (file && !files.includes(name)) files.push(name);
        break;
      }
      case 'download':
        if (files.length === 0) await this.request(operation, 'GET', `/files/${projectId}/`, 200);
        else await this.request(operation, 'GET', `/files/${projectId}/${this.pick(files)}/`, 200);
        break;
      case 'delete-file': {
        if (files.length === 0) return this.request('list', 'GET', '/projects/?limit=50', 200);
        const name = this.pick(files);
        if ((await this.request(operation, 'DELETE', `/files/${projectId}/${name}/`, 204)) !== null) files.splice(files.indexOf(name), 1);
        break;
      }
      case 'delete-project':
        if ((await this.request(operation, 'DELETE', `/projects/${projectId}/`, 204)) !== null) this.projects.delete(projectId);
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------------

interface MemorySample {
  atSeconds: number;
  rssMb: number;
}

interface SoakResult {
  startedAt: string;
  finishedAt: string;
  git: string;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; postgres: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  options: { clients: number; durationSeconds: number; warmupSeconds: number; seed: number; maxRssGrowth: number };
  requests: number;
  requestsPerSecond: number;
  errors: number;
  errorSamples: Failure[];
  operations: Record<string, { count: number; p50Ms: number; p99Ms: number }>;
  memory: {
    startMb: number;
    peakMb: number;
    endMb: number;
    endOverStart: number;
    peakOverStart: number;
    /** Medians of the first and last fifth of the samples: the trend, without the garbage collector's sawtooth. */
    firstFifthMedianMb: number;
    lastFifthMedianMb: number;
    growth: number;
    samples: MemorySample[];
  };
  storage: { versionRows: number; storedObjects: number; agree: boolean };
  passed: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))], 1);
}

function gitDescription(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() !== '';
  return head ? `${head}${dirty ? ' + uncommitted changes in src/' : ''}` : 'unknown';
}

function storedObjects(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((entry) => fs.statSync(path.join(dir, entry)).isFile()).length;
}

function markdown(r: SoakResult): string {
  const lines = [
    `### Soak: ${r.options.clients} clients, ${r.options.durationSeconds} s (${r.finishedAt.slice(0, 16).replace('T', ' ')} UTC, build ${r.git})`,
    '',
    `- ${r.requests} requests, **${r.requestsPerSecond} req/s**, **${r.errors} errors**`,
    `- server RSS after the ${r.options.warmupSeconds} s warm-up ${r.memory.startMb} MB, peak ${r.memory.peakMb} MB, end ${r.memory.endMb} MB: ` +
      `end/start ${r.memory.endOverStart}, peak/start ${r.memory.peakOverStart}; median of the last fifth of the run ${r.memory.lastFifthMedianMb} MB over that of the first fifth ${r.memory.firstFifthMedianMb} MB: **${r.memory.growth}** (limit ${r.options.maxRssGrowth})`,
    `- storage after the run: ${r.storage.versionRows} version rows, ${r.storage.storedObjects} stored objects (${r.storage.agree ? 'agree' : '**disagree**'})`,
    `- machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGb} GB; Node ${r.machine.node}; PostgreSQL ${r.machine.postgres}; load average ${r.machine.loadAverageAtStart.join(' / ')} at start, ${r.machine.loadAverageAtEnd.join(' / ')} at end (server, PostgreSQL and clients share the cores)`,
    '',
    '| operation | requests | p50 ms | p99 ms |',
    '|---|---:|---:|---:|',
    ...Object.entries(r.operations).map(([name, o]) => `| ${name} | ${o.count} | ${o.p50Ms} | ${o.p99Ms} |`),
    '',
    `Result: **${r.passed ? 'passed' : 'FAILED'}**`,
  ];
  if (r.errorSamples.length) lines.push('', 'First errors:', ...r.errorSamples.map((e) => `- ${e.operation}: ${e.status} ${e.body}`));
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg().map((n) => round(n, 2));
  const git = gitDescription();
  const temporary = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-soak-'));
  fs.chmodSync(temporary, 0o755); // the embedded PostgreSQL runs as the postgres user when we are root
  let embedded: EmbeddedPostgresHandle | null = null;
  let server: Server | null = null;
  let db: pg.Client | null = null;
  try {
    let databaseUrl = values['database-url'] ?? process.env.DATABASE_URL ?? null;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres({ dataDir: path.join(temporary, 'pg'), port: 0, log: () => undefined });
      databaseUrl = embedded.url;
      log(`embedded PostgreSQL (pid ${embedded.pid}) on port ${embedded.port}`);
    }
    const dataDir = path.join(temporary, 'server');
    const port = await freePort();
    const adminPassword = randomBytes(12).toString('hex');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      ADMIN_USERNAME: 'soak_admin',
      ADMIN_PASSWORD: adminPassword,
    };
    server = startServer('the server', path.join(ROOT, 'dist/src/main.js'), env, port);
    await waitUntilAnswering(server, '/api/v1/status/');
    const pid = server.child.pid!;
    log(`server (pid ${pid}) answers on ${server.baseUrl}/api/v1; RSS ${rssMb(pid)} MB`);

    const login = async (username: string, password: string) => {
      const res = await fetch(`${server!.baseUrl}/api/v1/auth/login/`, {
        method: 'POST',
        headers: { 'User-Agent': 'sdk|soak' },
        body: new URLSearchParams({ username, password }),
      });
      if (res.status !== 200) throw new Error(`login of ${username}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    };
    const admin = await login('soak_admin', adminPassword);
    const tokens: string[] = [];
    for (let i = 0; i < clients; i++) {
      const username = `soak_client_${i}`;
      const password = randomBytes(12).toString('hex');
      const res = await fetch(`${server.baseUrl}/api/v1/users/`, {
        method: 'POST',
        headers: { Authorization: `Token ${admin}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password, email: `${username}@example.com` }),
      });
      if (res.status !== 201) throw new Error(`creating ${username}: ${res.status} ${await res.text()}`);
      tokens.push(await login(username, password));
    }

    const stats = new Map<Operation, Stats>();
    const failures: Failure[] = [];
    let measuring = false;
    let errors = 0;
    let requests = 0;
    const record = (operation: Operation, ms: number, failure: Failure | null) => {
      if (failure) {
        // Errors count from the first request: none is allowed, warm-up or not.
        errors++;
        if (failures.length < 20) failures.push(failure);
      }
      if (!measuring) return;
      requests++;
      const entry = stats.get(operation) ?? { count: 0, latencies: [] };
      entry.count++;
      entry.latencies.push(ms);
      stats.set(operation, entry);
    };

    const started = Date.now();
    const warmupEnds = started + warmup * 1000;
    const ends = started + duration * 1000;
    const samples: MemorySample[] = [];
    const sampler = setInterval(() => {
      const rss = rssMb(pid);
      if (rss !== null && Date.now() >= warmupEnds) samples.push({ atSeconds: round((Date.now() - started) / 1000), rssMb: rss });
    }, 1000);
    const warmupTimer = setTimeout(() => {
      measuring = true;
      log(`warm-up over; measuring (RSS ${rssMb(pid)} MB)`);
    }, warmup * 1000);
    const progress = setInterval(
      () => log(`${Math.round((Date.now() - started) / 1000)} s: ${requests} requests measured, ${errors} errors, RSS ${rssMb(pid)} MB`),
      30_000,
    );
    log(`${clients} clients for ${duration} s (${warmup} s warm-up)`);
    await Promise.all(
      tokens.map(async (token, i) => {
        const client = new Client(`${server!.baseUrl}/api/v1`, token, `soak_client_${i}`, seed * 1000 + i, record);
        while (Date.now() < ends) await client.step();
      }),
    );
    const measuredUntil = Date.now();
    clearInterval(sampler);
    clearInterval(progress);
    clearTimeout(warmupTimer);
    const endRss = rssMb(pid) ?? 0;
    if (samples.length === 0) samples.push({ atSeconds: round((measuredUntil - started) / 1000), rssMb: endRss });

    // Nothing lost or left over: every version row has its stored object and nothing else is stored
    // (the sweep's grace period is an hour, so this is the requests' own clean-up).
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const versionRows = (await db.query(`SELECT count(*)::int AS n FROM file_versions`)).rows[0].n as number;
    const thumbnails = (await db.query(`SELECT count(*)::int AS n FROM projects WHERE thumbnail_key IS NOT NULL`)).rows[0].n as number;
    const stored = storedObjects(path.join(dataDir, 'files'));
    const postgres = (await db.query(`SHOW server_version`)).rows[0].server_version as string;

    const startMb = samples[0].rssMb;
    const peakMb = Math.max(...samples.map((s) => s.rssMb), endRss);
    const seconds = (measuredUntil - warmupEnds) / 1000;
    const fifth = Math.max(1, Math.floor(samples.length / 5));
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const firstFifth = median(samples.slice(0, fifth).map((s) => s.rssMb));
    const lastFifth = median(samples.slice(-fifth).map((s) => s.rssMb));
    const result: SoakResult = {
      startedAt,
      finishedAt: new Date().toISOString(),
      git,
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        memoryGb: round(os.totalmem() / 1024 ** 3),
        node: process.version,
        postgres,
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: os.loadavg().map((n) => round(n, 2)),
      },
      options: { clients, durationSeconds: duration, warmupSeconds: warmup, seed, maxRssGrowth },
      requests,
      requestsPerSecond: round(requests / seconds),
      errors,
      errorSamples: failures,
      operations: Object.fromEntries(
        MIX.map(([operation]) => {
          const entry = stats.get(operation) ?? { count: 0, latencies: [] };
          const sorted = entry.latencies.sort((a, b) => a - b);
          return [operation, { count: entry.count, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) }];
        }),
      ),
      memory: {
        startMb,
        peakMb,
        endMb: endRss,
        endOverStart: round(endRss / startMb, 2),
        peakOverStart: round(peakMb / startMb, 2),
        firstFifthMedianMb: firstFifth,
        lastFifthMedianMb: lastFifth,
        growth: round(lastFifth / firstFifth, 2),
        samples,
      },
      storage: { versionRows, storedObjects: stored, agree: stored === versionRows + thumbnails },
      passed: false,
    };
    result.passed = errors === 0 && result.memory.growth <= maxRssGrowth && result.storage.agree;

    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    const summary = markdown(result);
    fs.writeFileSync(out.replace(/\.json$/, '') + '.md', summary);
    console.log('\n' + summary);
    log(`wrote ${path.relative(ROOT, out)} and its .md`);
    process.exitCode = result.passed ? 0 : 1;
  } finally {
    await db?.end().catch(() => undefined);
    await stopServer(server);
    await embedded?.stop();
    fs.rmSync(temporary, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
