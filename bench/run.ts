/**
 * npm run bench -- [--sizes 10000,100000,1000000] [--duration 5] [--rounds 3] [--connections 16] [--warmup 3] [--server-warmup 5] [--seed]
 *                   [--scenarios list-few,get,…] [--idle-wait 60] [--readme] [--report-only]
 *
 * --seed re-seeds each size first (default: only when data/bench-N does not exist); --scenarios runs
 * some scenarios only and merges them into the size's earlier results; --idle-wait waits up to that
 * many seconds before each measurement for other processes on the machine to go quiet (0: don't);
 * --report-only rewrites summary.md, latency.svg (and docs/performance.md with --readme) from the results files.
 * --server-warmup loads each server with every GET scenario for that many seconds before the first
 * measurement of a size, so each is measured compiled as a long-running server is (0: don't).
 * --rounds measures each server that many times (--duration seconds each) per scenario, the servers
 * taking turns, and reports each server's median round (measureInRounds).
 *
 * For each size: the embedded PostgreSQL of data/bench-N (seeded first with dist/bench/seed.js when
 * missing, or always with --seed), the production server (`node dist/src/main.js`) and the raw
 * node:http + pg ceiling (dist/bench/ceiling.js) and the NestJS + Express framework floor
 * (dist/bench/framework-floor.js, the ceiling's work behind a bare Nest app) on it, each scenario driven
 * by autocannon in a separate process after a short warm-up; EXPLAIN (ANALYZE, BUFFERS) of every list statement.
 *
 * Writes bench/results/results-<size>.json, explain-<size>-<scenario>.txt, summary.md (every size
 * with a results file) and latency.svg. With --readme, also replaces the block between the
 * `<!-- bench:results:start -->` and `<!-- bench:results:end -->` markers of docs/performance.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../src/database/embedded-postgres.js';
import { listProjectsStatements, listPublicProjectsStatements, type ListProjectsCriteria, type ListStatements } from '../src/projects/project-lists.sql.js';
import { BENCH_USERS, benchToken } from './bench-users.js';
import { latencySvg, type LatencySeries } from './plot.js';
import {
  autocannon,
  listBenchEnv,
  median,
  medianBy,
  processTicks,
  ROOT,
  rssMb,
  sleep,
  startServer,
  stopServer,
  TICKS_PER_SECOND,
  waitUntilAnswering,
  type AutocannonOutput,
  type Server,
} from './processes.js';

const RESULTS = path.join(ROOT, 'bench/results');
/** The page whose results block `--readme` rewrites. */
const PERFORMANCE_PAGE = path.join(ROOT, 'docs', 'performance.md');
const PAGE = { limit: 50, offset: 0 };
const POSTED_NAME_PREFIX = 'bench-new-';
const EXPLAIN_TIMEOUT = '120s';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '3' },
    'server-warmup': { type: 'string', default: '5' },
    seed: { type: 'boolean', default: false },
    readme: { type: 'boolean', default: false },
    scenarios: { type: 'string' },
    'idle-wait': { type: 'string', default: '60' },
    'report-only': { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
const warmup = Math.min(Number(values.warmup), duration);
const serverWarmup = Number(values['server-warmup']);
const idleWaitSeconds = Number(values['idle-wait']);
/** The machine counts as quiet when everything else uses less than this many cores. */
const QUIET_CORES = 0.25;
if (sizes.some((n) => !Number.isInteger(n) || n < 1000)) throw new Error('--sizes must be whole numbers of at least 1000, comma-separated');
if (!(duration > 0) || !(connections > 0) || !(warmup >= 0) || !(serverWarmup >= 0) || !(Number.isInteger(rounds) && rounds > 0)) {
  throw new Error('--duration and --connections must be positive numbers, --rounds a whole one, --warmup and --server-warmup at least 0');
}

type User = 'few' | 'orgadmin';

interface Scenario {
  name: string;
  label: string;
  user: User;
  method: 'GET' | 'POST';
  /** The request path and query; `{project}` is replaced by a project the user may read. */
  path: string;
  /** List scenarios: the statements the app runs (for EXPLAIN); these also run against the ceiling and the floor. */
  statements?: (userId: string) => ListStatements;
  /** Runs against the ceiling and the framework floor too (every list scenario does). */
  ceiling?: boolean;
}

const hasCeiling = (scenario: Scenario) => scenario.statements !== undefined || scenario.ceiling === true;
const isList = (name: string) => SCENARIOS.find((s) => s.name === name)?.statements !== undefined;

const listCriteria = (criteria: Partial<ListProjectsCriteria>): ListProjectsCriteria => ({ includePublic: false, ...criteria });

const SCENARIOS: Scenario[] = [
  {
    name: 'list-few',
    label: 'list, 5 own projects',
    user: 'few',
    method: 'GET',
    path: '/api/v1/projects/?limit=50',
    statements: (id) => listProjectsStatements(id, listCriteria({}), PAGE),
  },
  {
    name: 'list-orgadmin',
    label: 'list, organization admin',
    user: 'orgadmin',
    method: 'GET',
    path: '/api/v1/projects/?limit=50',
    statements: (id) => listProjectsStatements(id, listCriteria({}), PAGE),
  },
  {
    name: 'list-orgadmin-public',
    label: 'list, org admin, include_public',
    user: 'orgadmin',
    method: 'GET',
    path: '/api/v1/projects/?limit=50&include_public=1',
    statements: (id) => listProjectsStatements(id, listCriteria({ includePublic: true }), PAGE),
  },
  {
    name: 'list-orgadmin-search',
    label: 'list, org admin, search',
    user: 'orgadmin',
    method: 'GET',
    path: '/api/v1/projects/?limit=50&search=project-1',
    statements: (id) => listProjectsStatements(id, listCriteria({ search: 'project-1' }), PAGE),
  },
  {
    name: 'list-orgadmin-ordering',
    label: 'list, org admin, ordering',
    user: 'orgadmin',
    method: 'GET',
    path: '/api/v1/projects/?limit=50&ordering=-created_at,name',
    statements: (id) => listProjectsStatements(id, listCriteria({ ordering: '-created_at,name' }), PAGE),
  },
  {
    name: 'public',
    label: 'public list (org admin)',
    user: 'orgadmin',
    method: 'GET',
    path: '/api/v1/projects/public/?limit=50',
    statements: (id) => listPublicProjectsStatements(id, {}, PAGE),
  },
  { name: 'get', label: 'get one project (org admin)', user: 'orgadmin', method: 'GET', path: '/api/v1/projects/{project}/', ceiling: true },
  { name: 'create', label: 'create a project (5-project user)', user: 'few', method: 'POST', path: '/api/v1/projects/' },
];

const selected = values.scenarios ? values.scenarios.split(',').map((s) => s.trim()) : null;
const unknown = selected?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
if (unknown.length) throw new Error(`unknown scenarios ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
const scenarios = selected ? SCENARIOS.filter((s) => selected.includes(s.name)) : SCENARIOS;

interface Measurement {
  requestsPerSecond: number;
  requestsTotal: number;
  latencyP50: number;
  latencyP99: number;
  latencyAverage: number;
  latencyMax: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  rssBeforeMb: number | null;
  rssAfterMb: number | null;
  /** CPU used during the measured interval, in cores (1 = one core busy the whole time). */
  cpu: CpuShare;
  loadAverage1m: number;
  /** Requests per second of every round, in the order run; the fields above are the median round's (older results files lack it). */
  roundsRequestsPerSecond?: number[];
}

interface CpuShare {
  server: number;
  postgres: number;
  autocannon: number;
  /** Everything else on the machine: anything well above 0 means the numbers were disturbed. */
  other: number;
}

interface ScenarioResult {
  name: string;
  label: string;
  user: string;
  method: string;
  path: string;
  /** X-Total-Count of a list request (the rows the list matches). */
  total: number | null;
  ours: Measurement;
  ceiling: Measurement | null;
  /** ours / ceiling requests per second. */
  ratio: number | null;
  /** The framework floor (bench/framework-floor.ts) where the ceiling runs; older results files lack it. */
  floor?: Measurement | null;
}

interface ExplainSummary {
  scenario: string;
  statement: 'page' | 'count';
  /** The plan a prepared statement settles on after 5 executions (what the server runs under load). */
  executionMs: number;
  planKind: 'generic' | 'custom' | 'unknown';
  seqScanOnProjects: boolean;
  seqScans: string[];
  sharedHit: number;
  sharedRead: number;
  /** The same statement planned afresh with its parameters (what an unprepared query costs). */
  customExecutionMs: number;
  customPlanningMs: number;
  customSeqScanOnProjects: boolean;
}

interface SizeResult {
  size: number;
  startedAt: string;
  finishedAt: string;
  git: string;
  machine: Machine;
  /** serverWarmupSeconds: absent in results files written before it existed. */
  options: { durationSeconds: number; connections: number; warmupSeconds: number; serverWarmupSeconds?: number; rounds?: number };
  seedSeconds: number | null;
  vacuumAnalyzeSeconds: number;
  projects: number;
  scenarios: ScenarioResult[];
  explain: ExplainSummary[];
}

interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  postgres: string;
  kernel: string;
  loadAverageAtStart: number[];
  /** The PostgreSQL settings that matter here, as the server reports them (older results files lack them). */
  postgresSettings?: string;
}

const cpuText = (c: CpuShare) => `CPU cores: server ${c.server}, postgres ${c.postgres}, autocannon ${c.autocannon}, other ${c.other}`;
const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The postmaster and every process it forked (backends, workers). */
function postgresTicks(postmaster: number): number {
  let ticks = processTicks(postmaster, true);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* gone */
    }
  }
  return ticks;
}

function machineBusyTicks(): number {
  const [, ...numbers] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = numbers.map(Number);
  return user + nice + system + irq + softirq + steal;
}

interface CpuSample {
  at: number;
  machine: number;
  server: number;
  postgres: number;
  /** This runner and its reaped children (the autocannon processes). */
  runner: number;
  runnerOwn: number;
}

function sampleCpu(serverPid: number | undefined, postmaster: number): CpuSample {
  return {
    at: Date.now(),
    machine: machineBusyTicks(),
    server: processTicks(serverPid),
    postgres: postgresTicks(postmaster),
    runner: processTicks(process.pid, true),
    runnerOwn: processTicks(process.pid),
  };
}

function cpuShare(before: CpuSample, after: CpuSample): CpuShare {
  const seconds = (after.at - before.at) / 1000;
  const cores = (ticks: number) => round(ticks / TICKS_PER_SECOND / seconds);
  const server = after.server - before.server;
  const postgres = after.postgres - before.postgres;
  const runner = after.runner - before.runner;
  const autocannon = runner - (after.runnerOwn - before.runnerOwn);
  const other = after.machine - before.machine - server - postgres - runner;
  return { server: cores(server), postgres: cores(postgres), autocannon: cores(autocannon), other: Math.max(0, cores(other)) };
}

/**
 * On a shared machine, wait (up to --idle-wait seconds) until nothing else is busy: between
 * scenarios our own processes are idle, so the machine's busy CPU is somebody else's.
 */
async function waitForQuiet(): Promise<void> {
  if (!(idleWaitSeconds > 0)) return;
  const deadline = Date.now() + idleWaitSeconds * 1000;
  let busy = 0;
  while (true) {
    const before = machineBusyTicks();
    await sleep(1000);
    busy = (machineBusyTicks() - before) / TICKS_PER_SECOND;
    if (busy < QUIET_CORES) return;
    if (Date.now() > deadline) break;
  }
  log(`  the machine is still busy (${round(busy)} cores used by other processes) after ${idleWaitSeconds} s; measuring anyway`);
}

// ---------------------------------------------------------------------------------------------
// Processes

function load(url: string, token: string, seconds: number, method: 'GET' | 'POST'): Promise<AutocannonOutput> {
  const args = ['-n', '-c', String(connections), '-d', String(seconds), '-H', `Authorization: Token ${token}`];
  if (method === 'POST') {
    // A unique name per request: autocannon replaces [<id>] in the body with a fresh id each time.
    args.push('-m', 'POST', '-H', 'Content-Type: application/json', '-I', '-b', JSON.stringify({ name: `${POSTED_NAME_PREFIX}[<id>]` }));
  }
  return autocannon([...args, url]);
}

/**
 * Each server warmed up on the scenario, then measured in `rounds` rounds, taking turns (the order
 * reversed every other round), so the machine's drift, a third of a server's CPU per request within
 * minutes here, falls on all of them alike. Each server's result is its median round by requests per
 * second, with the errors, timeouts and non-2xx answers of every round and the RSS from its first
 * round's start to its last round's end.
 */
async function measureInRounds(servers: Server[], postmaster: number, scenario: Scenario, path: string, token: string): Promise<Measurement[]> {
  if (warmup > 0) for (const server of servers) await load(server.baseUrl + path, token, warmup, scenario.method);
  const runs: Measurement[][] = servers.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = servers.map((_, i) => (round % 2 === 0 ? i : servers.length - 1 - i));
    for (const i of order) runs[i].push(await measure(servers[i], postmaster, scenario, path, token));
  }
  return runs.map((measurements, i) => {
    const middle = medianBy(measurements, (m) => m.requestsPerSecond);
    const sum = (field: 'errors' | 'timeouts' | 'non2xx') => measurements.reduce((total, m) => total + m[field], 0);
    const result: Measurement = {
      ...middle,
      errors: sum('errors'),
      timeouts: sum('timeouts'),
      non2xx: sum('non2xx'),
      rssBeforeMb: measurements[0].rssBeforeMb,
      rssAfterMb: measurements[measurements.length - 1].rssAfterMb,
      roundsRequestsPerSecond: measurements.map((m) => m.requestsPerSecond),
    };
    log(
      `  ${servers[i].name.padEnd(15)} ${result.requestsPerSecond} req/s (rounds ${result.roundsRequestsPerSecond!.join(', ')}), p50 ${result.latencyP50} ms, p99 ${result.latencyP99} ms, ` +
        `errors ${result.errors}, non2xx ${result.non2xx}, RSS ${result.rssBeforeMb}→${result.rssAfterMb} MB, ${cpuText(result.cpu)}`,
    );
    return result;
  });
}

/** One round of a server on a scenario. */
async function measure(server: Server, postmaster: number, scenario: Scenario, path: string, token: string): Promise<Measurement> {
  await waitForQuiet();
  const loadAverage1m = round(os.loadavg()[0]);
  const rssBefore = rssMb(server.child.pid);
  const cpuBefore = sampleCpu(server.child.pid, postmaster);
  const out = await load(server.baseUrl + path, token, duration, scenario.method);
  const cpu = cpuShare(cpuBefore, sampleCpu(server.child.pid, postmaster));
  const rssAfter = rssMb(server.child.pid);
  return {
    requestsPerSecond: round(out.requests.average, 1),
    requestsTotal: out.requests.total,
    latencyP50: out.latency.p50,
    latencyP99: out.latency.p99,
    latencyAverage: round(out.latency.average),
    latencyMax: out.latency.max,
    errors: out.errors,
    timeouts: out.timeouts,
    non2xx: out.non2xx,
    rssBeforeMb: rssBefore,
    rssAfterMb: rssAfter,
    cpu,
    loadAverage1m,
  };
}

/** One request first: a scenario that does not answer 2xx is a broken benchmark, not a slow one. */
async function probe(server: Server, scenario: Scenario, path: string, token: string): Promise<{ total: number | null; ids: string[] | null }> {
  const init: RequestInit = { method: scenario.method, headers: { Authorization: `Token ${token}` } };
  if (scenario.method === 'POST') {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    init.body = JSON.stringify({ name: `${POSTED_NAME_PREFIX}probe-${server.name}-${Date.now()}` });
  }
  const res = await fetch(server.baseUrl + path, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${server.name} ${scenario.method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text);
  const total = res.headers.get('x-total-count');
  return { total: total === null ? null : Number(total), ids: Array.isArray(body) ? body.map((p: { id: string }) => p.id) : body?.id ? [body.id] : null };
}

// ---------------------------------------------------------------------------------------------
// EXPLAIN

async function explain(db: pg.Client, size: number, scenario: Scenario, statements: ListStatements): Promise<ExplainSummary[]> {
  const sections: string[] = [];
  const summaries: ExplainSummary[] = [];
  const lines = (result: pg.QueryResult) => result.rows.map((r) => r['QUERY PLAN'] as string).join('\n');
  const timedOut = async (error: { code?: string }, sql: string, params: unknown[]) => {
    if (error.code !== '57014') throw error; // 57014: statement_timeout
    await db.query('DEALLOCATE ALL');
    return `EXPLAIN ANALYZE did not finish within ${EXPLAIN_TIMEOUT}; the plan without ANALYZE:\n${lines(await db.query(`EXPLAIN ${sql}`, params))}`;
  };
  for (const statement of ['page', 'count'] as const) {
    const { sql, params } = statements[statement];
    // 1. Planned afresh with the parameters, as an unprepared query is (the second run, warm cache).
    let custom: string;
    try {
      await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      custom = lines(await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params));
    } catch (error) {
      custom = await timedOut(error, sql, params);
    }
    // 2. As a prepared statement after 5 executions, when PostgreSQL (plan_cache_mode auto) may have
    //    switched to a generic plan: the plan the server's prepared statements run under load.
    let prepared: string;
    let planKind: ExplainSummary['planKind'] = 'unknown';
    try {
      const literal = (v: unknown) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : db.escapeLiteral(String(v)));
      const execute = `EXECUTE bench_statement${params.length ? `(${params.map(literal).join(', ')})` : ''}`;
      await db.query(`PREPARE bench_statement AS ${sql}`);
      for (let i = 0; i < 5; i++) await db.query(execute);
      const before = (await db.query(`SELECT generic_plans::int AS generic FROM pg_prepared_statements WHERE name = 'bench_statement'`)).rows[0]
        .generic as number;
      prepared = lines(await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${execute}`));
      const after = (await db.query(`SELECT generic_plans::int AS generic FROM pg_prepared_statements WHERE name = 'bench_statement'`)).rows[0]
        .generic as number;
      planKind = after > before ? 'generic' : 'custom';
      await db.query('DEALLOCATE bench_statement');
    } catch (error) {
      prepared = await timedOut(error, sql, params);
    }
    const seqScans = [...new Set([...prepared.matchAll(/Seq Scan on (\w+)(?: (\w+))?/g)].map((m) => (m[2] && m[2] !== m[1] ? `${m[1]} ${m[2]}` : m[1])))];
    const buffers = /Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?/.exec(prepared);
    const number = (pattern: RegExp, text: string) => Number(pattern.exec(text)?.[1] ?? NaN);
    summaries.push({
      scenario: scenario.name,
      statement,
      executionMs: number(/Execution Time: ([\d.]+) ms/, prepared),
      planKind,
      seqScanOnProjects: /Seq Scan on projects\b/.test(prepared),
      seqScans,
      sharedHit: Number(buffers?.[1] ?? 0),
      sharedRead: Number(buffers?.[2] ?? 0),
      customExecutionMs: number(/Execution Time: ([\d.]+) ms/, custom),
      customPlanningMs: number(/Planning Time: ([\d.]+) ms/, custom),
      customSeqScanOnProjects: /Seq Scan on projects\b/.test(custom),
    });
    sections.push(
      `-- ${statement} statement\n-- params: ${JSON.stringify(params)}\n${sql.trim()}\n\n` +
        `-- (a) prepared, 6th execution: ${planKind} plan\n${prepared}\n\n-- (b) planned afresh with these parameters (unprepared)\n${custom}\n`,
    );
  }
  const user = BENCH_USERS[scenario.user === 'few' ? 'fewProjects' : 'organizationAdmin'];
  const header = `-- ${scenario.label}: ${scenario.method} ${scenario.path} as ${user}, ${size} projects\n-- EXPLAIN (ANALYZE, BUFFERS), warm cache\n\n`;
  fs.writeFileSync(path.join(RESULTS, `explain-${size}-${scenario.name}.txt`), header + sections.join('\n\n'));
  return summaries;
}

// ---------------------------------------------------------------------------------------------
// One size

const REPORTED_SETTINGS = ['shared_buffers', 'effective_cache_size', 'work_mem', 'random_page_cost', 'jit', 'max_parallel_workers_per_gather'];

async function machineFacts(db: pg.Client): Promise<Machine> {
  const { rows } = await db.query(`SHOW server_version`);
  const settings = await db.query(`SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)`, [REPORTED_SETTINGS]);
  const shown = (name: string) => {
    const row = settings.rows.find((r) => r.name === name);
    if (!row) return '?';
    // Memory settings come in units of 8kB or kB.
    const kb = row.unit === '8kB' ? Number(row.setting) * 8 : row.unit === 'kB' ? Number(row.setting) : null;
    return kb === null ? row.setting : kb >= 1024 * 1024 && kb % (1024 * 1024) === 0 ? `${kb / 1024 / 1024}GB` : `${Math.round(kb / 1024)}MB`;
  };
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    postgres: rows[0].server_version,
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((n) => round(n)),
    postgresSettings: REPORTED_SETTINGS.map((name) => `${name} ${shown(name)}`).join(', '),
  };
}

/** Taken when the runner starts, right after `npm run bench` built what it measures. */
const BUILD = gitDescription();

function gitDescription(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  return head ? `${head}${dirty ? ' + uncommitted changes in src/' : ''}` : 'unknown';
}

async function seed(size: number): Promise<number> {
  log(`seeding ${size} projects into data/bench-${size}`);
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/bench/seed.js'), '--projects', String(size)], { cwd: ROOT, stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`seeding ${size} projects failed (exit ${code})`);
  return round((Date.now() - started) / 1000, 1);
}

async function runSize(size: number): Promise<SizeResult> {
  const startedAt = new Date().toISOString();
  const dataDir = path.join(ROOT, `data/bench-${size}`);
  const seeded = fs.existsSync(path.join(dataDir, 'pg/PG_VERSION'));
  const seedSeconds = values.seed || !seeded ? await seed(size) : null;

  let pgHandle: EmbeddedPostgresHandle | null = null;
  let ours: Server | null = null;
  let ceiling: Server | null = null;
  let floor: Server | null = null;
  let serverDataDir: string | null = null;
  const db = { client: null as pg.Client | null };
  try {
    pgHandle = await startEmbeddedPostgres({ dataDir, port: 0, log });
    const client = new pg.Client({ connectionString: pgHandle.url, application_name: 'fieldbase-bench' });
    await client.connect();
    db.client = client;

    const users = new Map<User, { id: string; token: string }>();
    for (const [user, username] of [
      ['few', BENCH_USERS.fewProjects],
      ['orgadmin', BENCH_USERS.organizationAdmin],
    ] as const) {
      const { rows } = await client.query(`SELECT id FROM accounts WHERE username = $1`, [username]);
      if (!rows[0]) throw new Error(`data/bench-${size} has no bench user ${username}: seed it again (npm run bench -- --sizes ${size} --seed)`);
      users.set(user, { id: rows[0].id, token: benchToken(username) });
    }
    const few = users.get('few')!;
    const orgadmin = users.get('orgadmin')!;
    // Projects a previous run's POST scenario left behind (normally removed at the end of a run).
    await client.query(`DELETE FROM projects WHERE owner_id = $1 AND name LIKE $2`, [few.id, `${POSTED_NAME_PREFIX}%`]);

    const common = listBenchEnv(pgHandle.url);
    const oursPort = await freePort();
    serverDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-bench-'));
    ours = startServer('fieldbase', path.join(ROOT, 'dist/src/main.js'), { ...common, PORT: String(oursPort), DATA_DIR: serverDataDir }, oursPort);
    await waitUntilAnswering(ours, '/api/v1/projects/?limit=1', { Authorization: `Token ${few.token}` }); // it migrates first, so it goes before VACUUM/EXPLAIN
    log(`fieldbase (pid ${ours.child.pid}) answers on ${ours.baseUrl}`);
    const ceilingPort = await freePort();
    ceiling = startServer('ceiling', path.join(ROOT, 'dist/bench/ceiling.js'), { ...common, PORT: String(ceilingPort) }, ceilingPort);
    await waitUntilAnswering(ceiling, '/api/v1/projects/?limit=1', { Authorization: `Token ${few.token}` });
    log(`ceiling (pid ${ceiling.child.pid}) answers on ${ceiling.baseUrl}`);
    const floorPort = await freePort();
    floor = startServer('framework floor', path.join(ROOT, 'dist/bench/framework-floor.js'), { ...common, PORT: String(floorPort) }, floorPort);
    await waitUntilAnswering(floor, '/api/v1/projects/?limit=1', { Authorization: `Token ${few.token}` });
    log(`framework floor (pid ${floor.child.pid}) answers on ${floor.baseUrl}`);

    let t = Date.now();
    await client.query('VACUUM (ANALYZE)'); // a steady state: statistics and visibility map as autovacuum would leave them
    const vacuumAnalyzeSeconds = round((Date.now() - t) / 1000, 1);
    log(`VACUUM (ANALYZE) in ${vacuumAnalyzeSeconds} s`);
    const machine = await machineFacts(client);
    const projects = (await client.query(`SELECT count(*)::int AS n FROM projects`)).rows[0].n as number;
    const readable = (
      await client.query(
        `SELECT p.id FROM projects p JOIN accounts o ON o.id = p.owner_id WHERE o.organization_owner_id = $1 ORDER BY p.created_at DESC, p.id LIMIT 1`,
        [orgadmin.id],
      )
    ).rows[0].id as string;

    await client.query(`SET statement_timeout = '${EXPLAIN_TIMEOUT}'`);
    const explainSummaries: ExplainSummary[] = [];
    for (const scenario of scenarios) {
      if (!scenario.statements) continue;
      await waitForQuiet();
      t = Date.now();
      explainSummaries.push(...(await explain(client, size, scenario, scenario.statements(users.get(scenario.user)!.id))));
      log(`EXPLAIN ${scenario.name} (${Date.now() - t} ms)`);
    }

    const requestPathOf = (scenario: Scenario) => scenario.path.replace('{project}', readable);

    // A server that has served every kind of request before, as one in production has: V8 optimizes a
    // function only once it has run often, and the app has far more functions than the ceiling and the
    // floor, so a few seconds of one scenario leave it still compiling (about a tenth of its CPU per
    // request in the measurement that followed: docs/performance.md).
    if (serverWarmup > 0) {
      const t0 = Date.now();
      for (const scenario of scenarios.filter((x) => x.method === 'GET')) {
        for (const server of hasCeiling(scenario) ? [ours, ceiling, floor] : [ours]) {
          await load(server.baseUrl + requestPathOf(scenario), users.get(scenario.user)!.token, serverWarmup, 'GET');
        }
      }
      log(`servers warmed up on every GET scenario in ${Math.round((Date.now() - t0) / 1000)} s`);
    }

    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      const { token } = users.get(scenario.user)!;
      const requestPath = requestPathOf(scenario);
      const probed = await probe(ours, scenario, requestPath, token);
      if (hasCeiling(scenario)) {
        for (const reference of [ceiling, floor]) {
          const fromReference = await probe(reference, scenario, requestPath, token);
          if (JSON.stringify(fromReference.ids) !== JSON.stringify(probed.ids) || fromReference.total !== probed.total) {
            throw new Error(`the ${reference.name} and Fieldbase disagree on ${scenario.name}: ${fromReference.total} vs ${probed.total} rows`);
          }
        }
      }
      log(`${scenario.name}: ${scenario.method} ${requestPath}${probed.total !== null ? ` (${probed.total} rows)` : ''}`);
      const [oursResult, ceilingResult = null, floorResult = null] = await measureInRounds(
        hasCeiling(scenario) ? [ours, ceiling, floor] : [ours],
        pgHandle.pid,
        scenario,
        requestPath,
        token,
      );
      results.push({
        name: scenario.name,
        label: scenario.label,
        user: BENCH_USERS[scenario.user === 'few' ? 'fewProjects' : 'organizationAdmin'],
        method: scenario.method,
        path: scenario.path,
        total: probed.total,
        ours: oursResult,
        ceiling: ceilingResult,
        ratio: ceilingResult && ceilingResult.requestsTotal > 0 ? round(oursResult.requestsPerSecond / ceilingResult.requestsPerSecond) : null,
        floor: floorResult,
      });
    }
    const removed = await client.query(`DELETE FROM projects WHERE owner_id = $1 AND name LIKE $2`, [few.id, `${POSTED_NAME_PREFIX}%`]);
    log(`removed the ${removed.rowCount} projects the create scenario made`);

    return {
      size,
      startedAt,
      finishedAt: new Date().toISOString(),
      git: BUILD,
      machine,
      options: { durationSeconds: duration, connections, warmupSeconds: warmup, serverWarmupSeconds: serverWarmup, rounds },
      seedSeconds,
      vacuumAnalyzeSeconds,
      projects,
      scenarios: results,
      explain: explainSummaries,
    };
  } finally {
    await stopServer(ours);
    await stopServer(ceiling);
    await stopServer(floor);
    await db.client?.end().catch(() => undefined);
    await pgHandle?.stop();
    if (serverDataDir) fs.rmSync(serverDataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Reports

function readAllResults(): SizeResult[] {
  return fs
    .readdirSync(RESULTS)
    .filter((f) => /^results-\d+\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(RESULTS, f), 'utf8')) as SizeResult)
    .sort((a, b) => a.size - b.size);
}

const fmtSize = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const fmt = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits));

/** CPU milliseconds per completed request, from the cores used and the request rate. */
function perRequest(m: Measurement): string {
  if (!m.cpu || m.requestsTotal < 10) return '–';
  return `${fmt((m.cpu.server * 1000) / m.requestsPerSecond, 2)} / ${fmt((m.cpu.postgres * 1000) / m.requestsPerSecond, 2)}`;
}

/** The server's CPU seconds per request; null without a measurement worth dividing. */
function serverCpuPerRequest(m: Measurement | null | undefined): number | null {
  return m?.cpu && m.requestsTotal >= 10 ? m.cpu.server / m.requestsPerSecond : null;
}

/** A reference server's requests per second for the table: blank where it did not run. */
function referenceRate(m: Measurement | null | undefined): string {
  if (!m) return '';
  return m.requestsTotal === 0 ? `0 (${m.timeouts} timeouts)` : fmt(m.requestsPerSecond, 0);
}

function summaryMarkdown(all: SizeResult[]): string {
  const lines: string[] = [];
  lines.push(
    '| projects | scenario | rows | req/s | p50 ms | p99 ms | errors (incl. timeouts) + non-2xx | ceiling req/s | ceiling p99 ms | ours / ceiling | floor req/s | RSS MB before → after | CPU ms per request: server / PostgreSQL | ceiling: server / PostgreSQL | floor: server / PostgreSQL | other CPU, cores |',
  );
  lines.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|---:|');
  for (const r of all) {
    for (const s of r.scenarios) {
      const none = s.ours.requestsTotal === 0;
      const ceilingP99 = !s.ceiling ? '' : s.ceiling.requestsTotal === 0 ? '> timeout' : s.ceiling.latencyP99;
      lines.push(
        `| ${fmtSize(r.size)} | ${s.label} | ${s.total ?? ''} | ${fmt(s.ours.requestsPerSecond, 0)} | ${none ? '> timeout' : s.ours.latencyP50} | ${none ? '> timeout' : s.ours.latencyP99} | ${s.ours.errors + s.ours.non2xx} | ` +
          `${referenceRate(s.ceiling)} | ${ceilingP99} | ${s.ratio === null ? '' : s.ratio.toFixed(2)} | ${referenceRate(s.floor)} | ${fmt(s.ours.rssBeforeMb, 0)} → ${fmt(s.ours.rssAfterMb, 0)} | ` +
          `${perRequest(s.ours)} | ${s.ceiling ? perRequest(s.ceiling) : ''} | ${s.floor ? perRequest(s.floor) : ''} | ${fmt(s.ours.cpu?.other, 2)} |`,
      );
    }
  }
  return lines.join('\n');
}

function explainMarkdown(all: SizeResult[]): string {
  const lines: string[] = [];
  lines.push(
    '| projects | scenario | page ms | count ms | plans (page / count) | planning ms unprepared (page / count) | Seq Scan on projects | other Seq Scans |',
  );
  lines.push('|---:|---|---:|---:|---|---|---|---|');
  for (const r of all) {
    const scenarios = [...new Set(r.explain.map((e) => e.scenario))];
    for (const name of scenarios) {
      const page = r.explain.find((e) => e.scenario === name && e.statement === 'page')!;
      const count = r.explain.find((e) => e.scenario === name && e.statement === 'count')!;
      const label = r.scenarios.find((s) => s.name === name)?.label ?? name;
      const others = [...new Set([...page.seqScans, ...count.seqScans].filter((s) => !/^projects\b/.test(s)))].join(', ');
      const seq = [page.seqScanOnProjects && 'page', count.seqScanOnProjects && 'count'].filter(Boolean).join(', ');
      lines.push(
        `| ${fmtSize(r.size)} | ${label} | ${fmt(page.executionMs, 2)} | ${fmt(count.executionMs, 2)} | ${page.planKind ?? ''} / ${count.planKind ?? ''} | ` +
          `${fmt(page.customPlanningMs, 2)} / ${fmt(count.customPlanningMs, 2)} | ${seq ? `**${seq}**` : 'no'} | ${others} |`,
      );
    }
  }
  return lines.join('\n');
}

function machineMarkdown(all: SizeResult[]): string {
  const m = all[all.length - 1].machine;
  const runs = all.map(
    (r) =>
      `${fmtSize(r.size)}: ${r.finishedAt.slice(0, 16).replace('T', ' ')} UTC, build ${r.git}, load average at start ${r.machine.loadAverageAtStart.join(' / ')}` +
      (r.options.rounds
        ? `, ${r.options.rounds} rounds of ${r.options.durationSeconds} s per scenario and server (the median round), servers taking turns, after ${r.options.warmupSeconds} s warm-up`
        : `, ${r.options.durationSeconds} s per scenario after ${r.options.warmupSeconds} s warm-up`) +
      `, ${r.options.connections} connections` +
      (r.options.serverWarmupSeconds ? `, each server first warmed up ${r.options.serverWarmupSeconds} s on every GET scenario` : '') +
      (r.seedSeconds !== null ? `, seeded just before in ${r.seedSeconds} s` : ''),
  );
  return [
    `- CPU: ${m.cpu}, ${m.cores} cores; memory ${m.memoryGb} GB; ${m.kernel}`,
    `- Node ${m.node}; PostgreSQL ${m.postgres} (embedded; ${m.postgresSettings ?? 'default settings: shared_buffers 128MB'}); app, ceiling and floor pools: 10 connections`,
    `- Server, PostgreSQL and autocannon share the same ${m.cores} cores (loopback).`,
    ...runs.map((r) => `- Run at ${r}`),
  ].join('\n');
}

/** Issue 17's targets, checked on the largest size (and the smallest, for growth). */
const TARGETS = { p99Ms: 50, searchP99Ms: 100, ceilingRatio: 0.85, p50Growth: 1.5, cpuRatio: 1.5, rssGrowth: 1.25 };
const CPU_SCENARIOS = ['list-few', 'get'];

function targetsMarkdown(all: SizeResult[]): string {
  if (all.length === 0) return '';
  const largest = all[all.length - 1];
  const smallest = all[0];
  const size = fmtSize(largest.size);
  const lines: string[] = [];
  const met = (misses: string[]) => (misses.length === 0 ? 'met' : `**not met** for ${misses.join(', ')}`);
  const lists = largest.scenarios.filter((s) => isList(s.name));
  const p99Limit = (s: ScenarioResult) => (s.name.includes('search') ? TARGETS.searchP99Ms : TARGETS.p99Ms);
  const p99Text = (s: ScenarioResult) => {
    const ours = s.ours.requestsTotal === 0 ? 'timed out' : `${s.ours.latencyP99} ms`;
    if (!s.ceiling) return ours;
    return `${ours}; ceiling ${s.ceiling.requestsTotal === 0 ? 'timed out' : `${s.ceiling.latencyP99} ms`}`;
  };
  lines.push(
    `- p99 under ${TARGETS.p99Ms} ms (search: under ${TARGETS.searchP99Ms} ms) at ${size} for every list scenario: ` +
      met(lists.filter((s) => s.ours.latencyP99 >= p99Limit(s) || s.ours.requestsTotal === 0).map((s) => `${s.label} (${p99Text(s)})`)),
  );
  const ratioText = (s: ScenarioResult) => {
    if (s.ratio === null) return 'the ceiling completed no request either';
    const floor = s.floor && s.ceiling && s.ceiling.requestsTotal > 0 ? `; floor ${(s.floor.requestsPerSecond / s.ceiling.requestsPerSecond).toFixed(2)}` : '';
    return `${s.ratio.toFixed(2)}${floor}`;
  };
  lines.push(
    `- throughput at least ${TARGETS.ceilingRatio} of the ceiling's at ${size}: ` +
      met(lists.filter((s) => (s.ratio ?? 0) < TARGETS.ceilingRatio).map((s) => `${s.label} (${ratioText(s)})`)),
  );
  if (largest !== smallest) {
    const growth = lists.map((s) => {
      const small = smallest.scenarios.find((x) => x.name === s.name);
      const timedOut = s.ours.requestsTotal === 0;
      // The ceiling's growth beside ours: the same statements growing as much means the data, not the server, bounds it.
      const ceiling = small?.ceiling && s.ceiling && s.ceiling.requestsTotal > 0 ? s.ceiling.latencyP50 / Math.max(small.ceiling.latencyP50, 1) : null;
      // The seed grows what a user sees with the database (the organization admin: 11 owners at 10k, 42
      // from 100k on), so beside the growth from the smallest size, the growth from the smallest size
      // where the list matches as many rows: the database grown, the list alike.
      const alike = timedOut
        ? undefined
        : all
            .slice(0, -1)
            .map((r) => ({ size: r.size, s: r.scenarios.find((x) => x.name === s.name) }))
            .find((r) => r.s && r.s.total === s.total && r.s.total !== null);
      const sameRows = alike ? { size: alike.size, factor: s.ours.latencyP50 / Math.max(alike.s!.ours.latencyP50, 1) } : null;
      return {
        label: s.label,
        factor: small && !timedOut ? s.ours.latencyP50 / Math.max(small.ours.latencyP50, 1) : Infinity,
        ceiling,
        sameRows,
        total: s.total,
      };
    });
    const growthText = (g: (typeof growth)[number]) =>
      (Number.isFinite(g.factor) ? `${g.factor.toFixed(1)}×` : 'timed out') +
      (g.ceiling === null ? '' : `; ceiling ${g.ceiling.toFixed(1)}×`) +
      (g.sameRows && g.sameRows.size !== smallest.size
        ? `; from ${fmtSize(g.sameRows.size)}, where it matches the same ${g.total!.toLocaleString('en-US')} rows, ${g.sameRows.factor.toFixed(1)}×`
        : '');
    lines.push(
      `- p50 at ${size} within ${TARGETS.p50Growth}× of p50 at ${fmtSize(smallest.size)}: ` +
        met(growth.filter((g) => !(g.factor <= TARGETS.p50Growth)).map((g) => `${g.label} (${growthText(g)})`)),
    );
  }
  const cpuMisses: string[] = [];
  const floorRatios: string[] = [];
  for (const s of largest.scenarios.filter((x) => CPU_SCENARIOS.includes(x.name))) {
    const ours = serverCpuPerRequest(s.ours);
    const ceiling = serverCpuPerRequest(s.ceiling);
    if (ours === null || ceiling === null) {
      cpuMisses.push(`${s.label} (no ceiling measurement)`);
      continue;
    }
    if (ours > TARGETS.cpuRatio * ceiling) cpuMisses.push(`${s.label} (${(ours / ceiling).toFixed(1)}×)`);
    const floor = serverCpuPerRequest(s.floor);
    if (floor !== null) floorRatios.push(`${s.label} ${(floor / ceiling).toFixed(1)}×`);
  }
  lines.push(
    `- the server's CPU per request at most ${TARGETS.cpuRatio}× the ceiling's at ${size} (5-project list, GET one project): ${met(cpuMisses)}` +
      (floorRatios.length ? `; the framework floor (NestJS + Express, nothing else) costs ${floorRatios.join(', ')} the ceiling's` : ''),
  );
  const failing = all.flatMap((r) => r.scenarios.filter((s) => s.ours.errors + s.ours.non2xx > 0).map((s) => `${s.label} at ${fmtSize(r.size)}`));
  lines.push(`- no errors or non-2xx answers: ${failing.length === 0 ? 'met' : `**not met** for ${failing.join(', ')} (autocannon's 10 s timeout)`}`);
  const rss = largest.scenarios
    .map((s) => [s.ours.rssBeforeMb, s.ours.rssAfterMb])
    .flat()
    .filter((n): n is number => n !== null);
  if (rss.length >= 2) {
    // Halves, not the first and last samples: V8 lets its heap grow and shrink by tens of MB between
    // collections, so one sample says little; a leak shows as a later half larger than the earlier.
    const [earlier, later] = [median(rss.slice(0, rss.length >> 1)), median(rss.slice(rss.length >> 1))];
    lines.push(
      `- RSS flat over the run at ${size} (the median of its later half of samples, taken before and after each scenario, within ${TARGETS.rssGrowth}× of the earlier half's): ` +
        `${later / earlier <= TARGETS.rssGrowth ? 'met' : '**not met**'} (${fmt(earlier, 0)} → ${fmt(later, 0)} MB; first and last sample ${fmt(rss[0], 0)} → ${fmt(rss[rss.length - 1], 0)} MB, at most ${fmt(Math.max(...rss), 0)} MB)`,
    );
  }
  return lines.join('\n');
}

function writeReports(): void {
  const all = readAllResults();
  if (all.length === 0) return;
  const series: LatencySeries[] = SCENARIOS.filter((s) => s.statements).map((s) => ({
    label: s.label,
    points: all.flatMap((r) => {
      const found = r.scenarios.find((x) => x.name === s.name);
      return found && found.ours.requestsTotal > 0 ? [{ size: r.size, p50: found.ours.latencyP50, p99: found.ours.latencyP99 }] : [];
    }),
    timedOut: all.filter((r) => r.scenarios.find((x) => x.name === s.name)?.ours.requestsTotal === 0).map((r) => r.size),
  }));
  fs.writeFileSync(
    path.join(RESULTS, 'latency.svg'),
    latencySvg(series, `GET list endpoints, limit=50, ${all[all.length - 1].options.connections} connections: p50 (solid) and p99 (dashed)`, 50),
  );
  const table = summaryMarkdown(all);
  const explainTable = explainMarkdown(all);
  const machine = machineMarkdown(all);
  const targets = targetsMarkdown(all);
  const summary = [
    '# Benchmark results',
    '',
    'Generated by `npm run bench` (bench/run.ts). Latencies are autocannon\'s, in milliseconds; "rows" is the list\'s X-Total-Count;',
    'RSS is the Fieldbase server process before and after the measured interval. The ceiling is bench/ceiling.ts',
    '(node:http + pg, the same token lookup and the same list statements), run in the same session; the floor is',
    "bench/framework-floor.ts, the ceiling's very same request work behind a bare NestJS app on Express (no middleware,",
    'pipes, guards, interceptors or filters): what the framework alone costs. CPU per request is',
    'the CPU time the server process and PostgreSQL (all its processes) used during the measured interval divided by the',
    'requests completed; "other CPU" is what everything else on the machine except autocannon used, in cores: well above 0',
    'means something else was running and the numbers are disturbed.',
    '',
    table,
    '',
    '## Targets (issue 17)',
    '',
    targets,
    '',
    '## EXPLAIN (ANALYZE, BUFFERS) of the list statements',
    '',
    'Execution times (warm cache) of each statement run the way the server runs it: as a prepared statement, at its 6th',
    'execution, when PostgreSQL has settled on a generic or a custom plan; "planning ms unprepared" is what planning the',
    'same statement afresh costs. Full plans, both ways: bench/results/explain-<size>-<scenario>.txt (written by each run, not committed).',
    '',
    explainTable,
    '',
    '## Machine',
    '',
    machine,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(RESULTS, 'summary.md'), summary);
  log(`wrote ${path.relative(ROOT, path.join(RESULTS, 'summary.md'))} and latency.svg`);

  if (values.readme) {
    const readme = fs.readFileSync(PERFORMANCE_PAGE, 'utf8');
    const start = '<!-- bench:results:start -->';
    const end = '<!-- bench:results:end -->';
    const from = readme.indexOf(start);
    const to = readme.indexOf(end);
    if (from < 0 || to < from) {
      log(`docs/performance.md has no ${start} … ${end} block; not updated`);
      return;
    }
    const block = [
      start,
      '',
      table,
      '',
      '![latency](../bench/results/latency.svg)',
      '',
      'Targets of issue 17, checked by the run:',
      '',
      targets,
      '',
      'Machine and runs:',
      '',
      machine,
      '',
      end,
    ].join('\n');
    fs.writeFileSync(PERFORMANCE_PAGE, readme.slice(0, from) + block + readme.slice(to + end.length));
    log(`updated the results in ${path.relative(ROOT, PERFORMANCE_PAGE)}`);
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(RESULTS, { recursive: true });
  if (values['report-only']) return writeReports();
  for (const size of sizes) {
    const started = Date.now();
    log(`=== ${size} projects ===`);
    let result = await runSize(size);
    const file = path.join(RESULTS, `results-${size}.json`);
    if (selected && fs.existsSync(file)) {
      // A partial run replaces its scenarios in the earlier results and keeps the others.
      const earlier = JSON.parse(fs.readFileSync(file, 'utf8')) as SizeResult;
      const order = (name: string) => SCENARIOS.findIndex((s) => s.name === name);
      result = {
        ...result,
        scenarios: [...earlier.scenarios.filter((s) => !selected.includes(s.name)), ...result.scenarios].sort((a, b) => order(a.name) - order(b.name)),
        explain: [...earlier.explain.filter((e) => !selected.includes(e.scenario)), ...result.explain].sort((a, b) => order(a.scenario) - order(b.scenario)),
      };
    }
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    log(`${size} projects done in ${round((Date.now() - started) / 1000, 0)} s`);
    writeReports();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
