import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runningEmbeddedPostgresUrl } from '../src/database/embedded-postgres.js';
import { createTestDatabase } from './support/test-app.js';
import { eventually } from './support/kit.js';
import { processExists, ServerProcess } from './support/server-process.js';

/**
 * `npm start` as a user meets it: the built server as a child process, with no configuration but a
 * DATA_DIR and a port, on the embedded PostgreSQL (spec §4.1, §9; issue: the embedded default).
 */
describe('the server process on the embedded PostgreSQL', () => {
  let dataDir: string;
  const running: ServerProcess[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const server = await ServerProcess.start({ DATA_DIR: dataDir, ...env });
    running.push(server);
    return server;
  };
  const login = (server: ServerProcess, username: string, password: string) =>
    fetch(`${server.url}/auth/login/`, { method: 'POST', body: new URLSearchParams({ username, password }) });
  /** Where the server's connections come from, as PostgreSQL sees them: null for a Unix socket. */
  const serverClientAddresses = async (url: string): Promise<Array<string | null>> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT host(client_addr) AS address FROM pg_stat_activity WHERE application_name = 'fieldbase'`);
      return rows.map((row: { address: string | null }) => row.address);
    } finally {
      await client.end();
    }
  };

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-process-'));
    fs.chmodSync(dataDir, 0o755);
  });
  afterAll(async () => {
    for (const server of running) if (server.exitCode === null) await server.stop('SIGKILL').catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  let adminPassword: string;

  it('first start: initialises the cluster, prints a generated admin password once, and that login works', async () => {
    const server = await (await start()).ready();
    const match = /password=(\S+) http/.exec(server.output);
    expect(match).not.toBeNull();
    adminPassword = match![1];
    const res = await login(server, 'admin', adminPassword);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string };
    expect(body.token.length).toBeGreaterThanOrEqual(100);
    expect(fs.existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);

    // PostgreSQL refuses root: when the tests run as root, it runs as the postgres system user.
    const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${server.postgresPid}/status`, 'utf8'))![1];
    if (process.getuid!() === 0) expect(Number(uid)).not.toBe(0);

    // One JSON log line per request with the fields of spec §9.
    const line = await server.line('"path":"/api/v1/auth/login/"');
    expect(Object.keys(JSON.parse(line))).toEqual(expect.arrayContaining(['method', 'path', 'status', 'duration_ms', 'request_id', 'user']));

    const pgPid = server.postgresPid;
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output).toContain('stopped');
    expect(processExists(pgPid)).toBe(false);
  });

  it('second start: reuses the data, prints no new password, and stops cleanly on SIGINT', async () => {
    const server = await (await start()).ready();
    expect(server.output).not.toContain('shown only this once');
    expect((await login(server, 'admin', adminPassword)).status).toBe(200);

    // The server reaches its PostgreSQL through the socket in the cluster directory, not loopback TCP;
    // tools (the worker, the CLI) find the same URL.
    const url = runningEmbeddedPostgresUrl(dataDir)!;
    expect(url).toContain(encodeURIComponent(path.join(dataDir, 'pg')));
    const addresses = await serverClientAddresses(url);
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses).toEqual(addresses.map(() => null));

    const pgPid = server.postgresPid;
    expect(await server.stop('SIGINT')).toBe(0);
    expect(processExists(pgPid)).toBe(false);
  });

  it('on SIGTERM answers a request in flight, closes its connection right after and stops', async () => {
    // Idle connections are kept for 65 s (past the proxies' 60 s): a stop must not wait that long
    // for a connection whose request was in flight.
    const server = await (await start()).ready();
    const body = new URLSearchParams({ username: 'admin', password: adminPassword }).toString();
    const socket = net.connect(server.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(
      `POST /api/v1/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.child.kill('SIGTERM');
    await server.line('SIGTERM: finishing in-flight requests');
    socket.write(body.slice(5)); // the rest of the body, after the signal
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(await server.exit(10_000)).toBe(0);
  }, 20_000);

  it('exits at once, with status 1, on a second SIGTERM while a request in flight holds the stop', async () => {
    const server = await (await start()).ready();
    const pgPid = server.postgresPid;
    const socket = net.connect(server.port, '127.0.0.1');
    socket.on('error', () => undefined);
    // A request whose body never ends: the first SIGTERM waits for it.
    socket.write(`POST /api/v1/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nuser`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.child.kill('SIGTERM');
    await server.line('SIGTERM: finishing in-flight requests');
    server.child.kill('SIGTERM');
    expect(await server.exit(5_000)).toBe(1);
    expect(server.output).toContain('SIGTERM again: exiting now');
    expect(server.output).not.toContain('"msg":"stopped"');
    socket.destroy();
    // Left running, as after a crash: the next start stops it (tested below); here, the test does.
    process.kill(pgPid, 'SIGINT');
    expect(
      await eventually(
        () => processExists(pgPid),
        (alive) => !alive,
        10_000,
      ),
    ).toBe(false);
  });

  it('stops cleanly on a SIGTERM sent the moment it says it listens', async () => {
    const preload = path.resolve('test/fixtures/sigterm-on-line.cjs');
    const server = await start({ NODE_OPTIONS: `--require ${preload}` });
    expect(await server.exit()).toBe(0);
    expect(server.output).toContain('Fieldbase listening');
    expect(server.output).toContain('"msg":"stopped"');
  });

  it('recovers from a killed previous run that left PostgreSQL running', async () => {
    const crashed = await (await start()).ready();
    const orphan = crashed.postgresPid;
    await crashed.stop('SIGKILL');
    expect(processExists(orphan)).toBe(true);

    const server = await (await start()).ready();
    expect(server.output).toContain('left running by a previous run');
    expect(processExists(orphan)).toBe(false);
    expect((await login(server, 'admin', adminPassword)).status).toBe(200);
    expect(await server.stop()).toBe(0);
  });

  it('recovers from a stale lock file whose process is gone', async () => {
    fs.writeFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), '999999\n' + path.join(dataDir, 'pg') + '\n0\n5432\n');
    const server = await (await start()).ready();
    expect(server.output).toContain('removing the stale lock');
    expect(await server.stop()).toBe(0);
  });

  it('refuses, with a clear message, a DATA_DIR that another running server uses', async () => {
    const first = await (await start()).ready();
    const second = await start();
    expect(await second.exit()).toBe(1);
    expect(second.output).toContain('in use by another running Fieldbase');
    expect((await login(first, 'admin', adminPassword)).status).toBe(200);
    expect(await first.stop()).toBe(0);
  });

  it('as root, says plainly when the postgres user cannot reach an existing cluster in DATA_DIR', async () => {
    if (process.getuid!() !== 0) return; // the rule only exists for root
    // A new cluster for a closed DATA_DIR goes elsewhere (embedded-postgres-root.e2e.spec.ts); an
    // existing one is not moved behind the operator's back.
    const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-closed-')); // mode 700, owned by root
    try {
      fs.mkdirSync(path.join(closed, 'data', 'pg'), { recursive: true });
      fs.writeFileSync(path.join(closed, 'data', 'pg', 'PG_VERSION'), '18\n');
      const server = await ServerProcess.start({ DATA_DIR: path.join(closed, 'data') });
      running.push(server);
      expect(await server.exit()).toBe(1);
      expect(server.output).toContain('cannot reach the existing cluster');
      expect(server.output).toContain(`mv ${path.join(closed, 'data', 'pg')} /var/lib/fieldbase/clusters/`);
      expect(server.output).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      fs.rmSync(closed, { recursive: true, force: true });
    }
  });

  it('stops at start on a bad configuration value, naming the variable', async () => {
    const server = await start({ AUTH_TOKEN_EXPIRATION_HOURS: 'forever' });
    expect(await server.exit()).toBe(1);
    expect(server.output).toContain('AUTH_TOKEN_EXPIRATION_HOURS');
  });

  it('in a DATA_DIR too deep for a socket address (107 bytes), reaches its PostgreSQL over loopback TCP', async () => {
    const deep = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-deep-'));
    fs.chmodSync(deep, 0o755);
    const deepDataDir = path.join(deep, 'a-folder-name-long-enough-that-the-clusters-socket-path-passes-the-limit');
    try {
      const server = await (await ServerProcess.start({ DATA_DIR: deepDataDir })).ready();
      running.push(server);
      const url = runningEmbeddedPostgresUrl(deepDataDir)!;
      expect(new URL(url).hostname).toBe('127.0.0.1');
      const addresses = await serverClientAddresses(url);
      expect(addresses.length).toBeGreaterThan(0);
      expect(addresses).toEqual(addresses.map(() => '127.0.0.1'));
      expect(await server.stop()).toBe(0);
    } finally {
      fs.rmSync(deep, { recursive: true, force: true });
    }
  });

  it('with DATABASE_URL starts nothing embedded', async () => {
    const database = await createTestDatabase();
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-external-'));
    try {
      const server = await (
        await ServerProcess.start({ DATA_DIR: otherDir, DATABASE_URL: database.url, ADMIN_USERNAME: 'boss', ADMIN_PASSWORD: 'boss-password' })
      ).ready();
      running.push(server);
      expect(server.output).not.toContain('embedded PostgreSQL');
      expect(fs.existsSync(path.join(otherDir, 'pg'))).toBe(false);
      expect((await login(server, 'boss', 'boss-password')).status).toBe(200);
      expect(await server.stop()).toBe(0);
    } finally {
      await database.drop();
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
