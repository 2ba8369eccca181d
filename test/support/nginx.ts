import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres.js';

/**
 * nginx from the Debian package (.ci/run installs it when missing), run by a test as a child process
 * with everything it writes (pid, logs, temp files) in its own temp directory.
 */
export function nginxBinary(): string {
  if (fs.existsSync('/usr/sbin/nginx')) return '/usr/sbin/nginx';
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'nginx');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  // CI installs it, so a missing nginx is a broken machine, not a reason to skip.
  throw new Error('nginx is not installed (expected /usr/sbin/nginx; `apt-get install nginx-light`, as .ci/run does)');
}

/**
 * The main configuration around `httpConfig` (the contents of an `http { }` block, e.g. a conf.d
 * file): logs and temp files under `dir`. As root the workers would drop to `nobody`, who cannot
 * write to a private temp dir, so they stay root there.
 */
function mainConfig(dir: string, httpConfigFile: string, accessLogFormat: string): string {
  const temp = (name: string) => path.join(dir, 'temp', name);
  return [
    process.getuid?.() === 0 ? 'user root;' : '',
    'worker_processes 1;',
    `error_log ${path.join(dir, 'error.log')} info;`,
    `pid ${path.join(dir, 'nginx.pid')};`,
    'events { worker_connections 256; }',
    'http {',
    `  client_body_temp_path ${temp('client_body')};`,
    `  proxy_temp_path ${temp('proxy')};`,
    `  fastcgi_temp_path ${temp('fastcgi')};`,
    `  uwsgi_temp_path ${temp('uwsgi')};`,
    `  scgi_temp_path ${temp('scgi')};`,
    `  include ${httpConfigFile};`,
    // After the include, so that the format may be one the included file defines.
    `  access_log ${path.join(dir, 'access.log')} ${accessLogFormat};`,
    '}',
    '',
  ].join('\n');
}

function prepare(httpConfig: string, accessLogFormat = 'combined'): { dir: string; conf: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-nginx-'));
  fs.mkdirSync(path.join(dir, 'temp'));
  const httpFile = path.join(dir, 'http.conf');
  fs.writeFileSync(httpFile, httpConfig);
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, mainConfig(dir, httpFile, accessLogFormat));
  return { dir, conf };
}

/** `nginx -t` on an http-block configuration: ok, and nginx's own words either way. */
export function checkNginxConfig(httpConfig: string): { ok: boolean; output: string } {
  const { dir, conf } = prepare(httpConfig);
  try {
    const result = spawnSync(nginxBinary(), ['-t', '-p', dir, '-c', conf], { encoding: 'utf8' });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export class Nginx {
  private output = '';
  private exitCode: number | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly port: number,
  ) {
    child.stdout!.on('data', (chunk) => (this.output += chunk));
    child.stderr!.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code) => ((this.exitCode = code ?? -1), resolve())));
  }

  /**
   * Starts nginx on a free loopback port: `httpConfig` gets that port and returns the http-block
   * contents; `accessLogFormat` names the format of `accessLog()` (one of nginx's or one it defines).
   */
  static async start(httpConfig: (port: number) => string, options: { accessLogFormat?: string } = {}): Promise<Nginx> {
    const port = await freePort();
    const { dir, conf } = prepare(httpConfig(port), options.accessLogFormat);
    const child = spawn(nginxBinary(), ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const nginx = new Nginx(child, dir, port);
    try {
      await nginx.listening();
    } catch (error) {
      await nginx.stop();
      throw error;
    }
    return nginx;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * The first access-log line (in the format given to `start`) that matches, waiting for it: nginx
   * writes the line after sending the response, so it may come just after the client has read it.
   */
  async accessLogLine(pattern: RegExp, timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = readIfExists(path.join(this.dir, 'access.log'));
      const line = log.split('\n').find((candidate) => pattern.test(candidate));
      if (line) return line;
      if (Date.now() > deadline) throw new Error(`no access-log line matching ${pattern} in:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    if (this.exitCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async listening(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // The pid file is written once the listening sockets are bound: a connection after it reaches nginx.
    while (!fs.existsSync(path.join(this.dir, 'nginx.pid')) || !(await connects(this.port))) {
      if (this.exitCode !== null || Date.now() > deadline) {
        throw new Error(`nginx did not start (exit ${this.exitCode}):\n${this.output}${readIfExists(path.join(this.dir, 'error.log'))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
