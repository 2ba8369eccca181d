/**
 * npm run bench:proxy -- [--size 100000] [--rounds 3] [--seconds 5] [--connections 16]
 *
 * The server behind nginx (Debian's package, on PATH or /usr/sbin), as docs/deploy.md sets it up,
 * against the same nginx opening a connection to the server per request (no upstream keepalive, nginx's
 * default): list pages loaded by autocannon through each in alternating rounds, with the server's
 * and nginx's CPU per request. Also the size of a page of 500 projects as sent, plain and with gzip
 * (what docs/deploy.md's gzip lines do for clients that accept it). This checkout's build, on a seeded
 * bench database (data/bench-<size>, made by `npm run bench`).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../src/database/embedded-postgres.js';
import { nginxBinary } from '../test/support/nginx.js';
import { BENCH_USERS, benchToken } from './bench-users.js';
import { loadGets, median, onSeededDatabase, processTicks, ROOT, stopServer, TICKS_PER_SECOND, waitUntilAnswering, type Server } from './processes.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
  },
});
const rounds = Number(values.rounds);
const few = benchToken(BENCH_USERS.fewProjects);
const orgadmin = benchToken(BENCH_USERS.organizationAdmin);
const SCENARIOS = [
  { name: '5-project list', path: '/api/v1/projects/?limit=50', token: few },
  { name: 'public list', path: '/api/v1/projects/public/?limit=50', token: few },
];

/** An nginx process, run and stopped as the bench's servers are; `dir` holds its configuration, logs and temp files. */
type Nginx = Server & { dir: string };

/** One nginx process (no master, no daemon: its CPU is this process's) in front of the server. */
async function startNginx(name: string, serverPort: number, keepalive: boolean): Promise<Nginx> {
  const binary = nginxBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-bench-nginx-'));
  const port = await freePort();
  const temp = (what: string) => `${what}_temp_path ${path.join(dir, what)};`;
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `daemon off; master_process off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off; ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join(' ')}
  upstream fieldbase { server 127.0.0.1:${serverPort}; ${keepalive ? 'keepalive 16;' : ''} }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://fieldbase;
      proxy_http_version 1.1;
      ${keepalive ? 'proxy_set_header Connection "";' : ''}
      proxy_request_buffering off;
      gzip on; gzip_types application/json; gzip_min_length 1024;
      proxy_set_header Host $http_host;
    }
  }
}
`,
  );
  const child = spawn(binary, ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const nginx: Nginx = { name, child, baseUrl: `http://127.0.0.1:${port}`, output: [], dir };
  try {
    await waitUntilAnswering(nginx, SCENARIOS[0].path, { Authorization: `Token ${few}` });
  } catch (error) {
    throw new Error(`${(error as Error).message}\nnginx's error log:\n${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
  }
  return nginx;
}

/** Bytes of the body as it comes over the wire, asked with or without gzip. */
function bytesSent(url: string, token: string, gzip: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { Authorization: `Token ${token}`, ...(gzip ? { 'Accept-Encoding': 'gzip' } : {}) };
    http
      .get(url, { headers }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve(bytes));
      })
      .on('error', reject);
  });
}

async function main(): Promise<void> {
  await onSeededDatabase(
    values.size!,
    [{ name: 'this', root: ROOT }],
    { path: SCENARIOS[0].path, token: few, extraEnv: { WORKER: 'false' } },
    async ([server]) => {
      const serverPort = Number(new URL(server.baseUrl).port);
      const proxies = [
        await startNginx('upstream keepalive (docs/deploy.md)', serverPort, true),
        await startNginx('a connection per request', serverPort, false),
      ];
      try {
        const cost = new Map<string, { rps: number[]; server: number[]; nginx: number[] }>();
        const load = (nginx: Nginx, scenario: (typeof SCENARIOS)[number], seconds: string) =>
          loadGets(nginx.baseUrl + scenario.path, scenario.token, Number(values.connections), Number(seconds));
        for (const nginx of proxies) for (const scenario of SCENARIOS) await load(nginx, scenario, '3'); // warm-up
        for (let round = 1; round <= rounds; round++) {
          for (const scenario of SCENARIOS) {
            for (const nginx of round % 2 ? proxies : [...proxies].reverse()) {
              const serverTicks = processTicks(server.child.pid);
              const nginxTicks = processTicks(nginx.child.pid);
              const result = await load(nginx, scenario, values.seconds!);
              const perRequest = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND / result.requests.total;
              const key = `${scenario.name} | ${nginx.name}`;
              if (!cost.has(key)) cost.set(key, { rps: [], server: [], nginx: [] });
              cost.get(key)!.rps.push(result.requests.average);
              cost.get(key)!.server.push(perRequest(processTicks(server.child.pid) - serverTicks));
              cost.get(key)!.nginx.push(perRequest(processTicks(nginx.child.pid) - nginxTicks));
            }
          }
        }
        console.log(`\n| scenario | nginx to the server | req/s | server CPU ms per request | nginx CPU ms per request |\n|---|---|---:|---:|---:|`);
        for (const [key, c] of cost) {
          console.log(`| ${key} | ${Math.round(median(c.rps))} | ${median(c.server).toFixed(2)} | ${median(c.nginx).toFixed(2)} |`);
        }
        console.log(`(medians of ${rounds} rounds of ${values.seconds} s, ${values.connections} connections)`);
        const page = `${proxies[0].baseUrl}/api/v1/projects/?limit=500`;
        const [plain, gzipped] = [await bytesSent(page, orgadmin, false), await bytesSent(page, orgadmin, true)];
        console.log(`\nA page of 500 projects (the organization admin's list) as sent: ${plain} bytes, with gzip ${gzipped} bytes`);
      } finally {
        for (const nginx of proxies) {
          await stopServer(nginx);
          fs.rmSync(nginx.dir, { recursive: true, force: true });
        }
      }
    },
  );
}

await main();
