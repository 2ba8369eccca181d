/**
 * npm run bench:transfer -- [--size-mb 1024] [--runs 2]
 *
 * Upload and download throughput of one large project file on local storage, beside a bare
 * stream-to-disk ceiling (bench/transfer-ceiling.ts) in the same run (issue 17, means 6). The
 * production server (`node dist/src/main.js`, its own embedded PostgreSQL in a fresh DATA_DIR under
 * data/) takes the file as the clients send it (multipart POST /api/v1/files/{project}/{path}/) and
 * gives it back (GET); the ceiling takes the same bytes as a raw PUT body and serves them back. The
 * client streams from and to disk files, never holding the file. The server's RSS is sampled every
 * 100 ms during each transfer ("memory flat": its peak against its RSS before). What the upload does
 * beyond the ceiling (MD5, SHA-256 and the S3-style ETag of every byte, spec §8) is timed on its own too.
 *
 * Writes bench/results/transfer.json and prints a Markdown table.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { freePort } from '../src/database/embedded-postgres.js';
import { S3Etag } from '../src/files/s3-etag.js';
import { ROOT, rssMb, startServer, stopServer, waitUntilAnswering, type Server } from './processes.js';

const { values } = parseArgs({ options: { 'size-mb': { type: 'string', default: '1024' }, runs: { type: 'string', default: '2' } } });
const sizeMb = Number(values['size-mb']);
const runs = Number(values.runs);
if (!(sizeMb > 0) || !Number.isInteger(runs) || runs < 1) throw new Error('--size-mb and --runs must be positive numbers');

const WORK = path.join(ROOT, 'data', `bench-transfer-${process.pid}`);
const ADMIN = { username: 'bench_admin', password: 'bench-admin-password' };
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const log = (message: string) => console.log(`[transfer ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** The source file: 1 MiB of random bytes repeated (compressible by nobody on the way). */
function makeSource(file: string): number {
  const block = randomBytes(1024 * 1024);
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < sizeMb; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  return sizeMb * 1024 * 1024;
}

interface Transfer {
  seconds: number;
  mbPerSecond: number;
  rssBeforeMb: number | null;
  rssPeakMb: number | null;
}

/** Runs `transfer`, sampling the RSS of `pid` every 100 ms meanwhile. */
async function measured(pid: number | undefined, bytes: number, transfer: () => Promise<void>): Promise<Transfer> {
  const rssBefore = rssMb(pid);
  let peak = rssBefore ?? 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid) ?? 0)), 100);
  const started = performance.now();
  try {
    await transfer();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds: round(seconds, 2), mbPerSecond: round(bytes / 1024 / 1024 / seconds), rssBeforeMb: rssBefore, rssPeakMb: round(peak) };
}

function request(url: string, options: http.RequestOptions, body?: (req: http.ClientRequest) => Promise<void>, sink?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, (res) => {
      const done = () => resolve(res.statusCode ?? 0);
      if (sink) pipeline(res, fs.createWriteStream(sink)).then(done, reject);
      else res.resume().on('end', done).on('error', reject);
    });
    req.on('error', reject);
    if (body) body(req).catch(reject);
    else req.end();
  });
}

/** A multipart body with one file part, streamed from disk. */
async function writeMultipart(req: http.ClientRequest, boundary: string, source: string): Promise<void> {
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  await pipeline(fs.createReadStream(source), req, { end: false });
  req.end(`\r\n--${boundary}--\r\n`);
}

async function api<T>(server: Server, method: string, route: string, token: string | null, body?: object): Promise<T> {
  const res = await fetch(server.baseUrl + route, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Token ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

function hashSeconds(source: string): Promise<number> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  const etag = new S3Etag();
  const started = performance.now();
  return pipeline(fs.createReadStream(source), async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      md5.update(chunk);
      sha256.update(chunk);
      etag.update(chunk);
    }
    yield* [];
  }).then(() => {
    md5.digest();
    sha256.digest();
    etag.digest();
    return (performance.now() - started) / 1000;
  });
}

async function main(): Promise<void> {
  fs.mkdirSync(WORK, { recursive: true });
  let ours: Server | null = null;
  let ceiling: Server | null = null;
  try {
    const source = path.join(WORK, 'source.bin');
    const bytes = makeSource(source);
    log(`source file: ${sizeMb} MiB`);

    const oursPort = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production', STORAGE_DRIVER: 'local', WORKER: 'false' };
    for (const variable of ['DATABASE_URL', 'PUBLIC_URL', 'RATE_LIMIT_PER_MINUTE', 'S3_BUCKET']) delete env[variable];
    ours = startServer(
      'fieldbase',
      path.join(ROOT, 'dist/src/main.js'),
      {
        ...env,
        PORT: String(oursPort),
        DATA_DIR: path.join(WORK, 'server'),
        ADMIN_USERNAME: ADMIN.username,
        ADMIN_PASSWORD: ADMIN.password,
        FILE_MAX_BYTES: String(bytes * 2),
        DEFAULT_STORAGE_QUOTA_BYTES: String(bytes * 4),
      },
      oursPort,
    );
    await waitUntilAnswering(ours, '/api/v1/status/');
    const { token } = await api<{ token: string }>(ours, 'POST', '/api/v1/auth/login/', null, ADMIN);
    const project = await api<{ id: string }>(ours, 'POST', '/api/v1/projects/', token, { name: 'transfer' });
    const ceilingPort = await freePort();
    ceiling = startServer(
      'ceiling',
      path.join(ROOT, 'dist/bench/transfer-ceiling.js'),
      { ...env, PORT: String(ceilingPort), FILE: path.join(WORK, 'ceiling.bin') },
      ceilingPort,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    const results: Array<Record<string, unknown>> = [];
    const fileUrl = `${ours.baseUrl}/api/v1/files/${project.id}/big.bin/`;
    const auth = { Authorization: `Token ${token}` };
    for (let run = 1; run <= runs; run++) {
      const boundary = `bench${randomBytes(8).toString('hex')}`;
      const upload = await measured(ours.child.pid, bytes, async () => {
        const status = await request(fileUrl, { method: 'POST', headers: { ...auth, 'Content-Type': `multipart/form-data; boundary=${boundary}` } }, (req) =>
          writeMultipart(req, boundary, source),
        );
        if (status !== 201 && status !== 200) throw new Error(`upload answered ${status}`);
      });
      const download = await measured(ours.child.pid, bytes, async () => {
        const status = await request(fileUrl, { headers: auth }, undefined, path.join(WORK, 'downloaded.bin'));
        if (status !== 200) throw new Error(`download answered ${status}`);
      });
      if (fs.statSync(path.join(WORK, 'downloaded.bin')).size !== bytes) throw new Error('the download is not the uploaded file');
      const ceilingUpload = await measured(ceiling.child.pid, bytes, async () => {
        await request(`${ceiling!.baseUrl}/file`, { method: 'PUT', headers: { 'Content-Length': bytes } }, (req) => pipeline(fs.createReadStream(source), req));
      });
      const ceilingDownload = await measured(ceiling.child.pid, bytes, async () => {
        await request(`${ceiling!.baseUrl}/file`, {}, undefined, path.join(WORK, 'downloaded.bin'));
      });
      const hashing = round(await hashSeconds(source), 2);
      const result = { run, sizeMb, upload, download, ceilingUpload, ceilingDownload, hashingSeconds: hashing, hashingMbPerSecond: round(sizeMb / hashing) };
      log(JSON.stringify(result));
      results.push(result);
    }
    const out = {
      at: new Date().toISOString(),
      build: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim(),
      loadAverage: (await import('node:os')).loadavg().map((n) => round(n, 2)),
      results,
    };
    fs.writeFileSync(path.join(ROOT, 'bench/results/transfer.json'), JSON.stringify(out, null, 2) + '\n');
    console.log('\n| run | upload MB/s (ceiling) | download MB/s (ceiling) | server RSS MB before → peak, upload / download | MD5+SHA-256+ETag alone, MB/s |');
    console.log('|---:|---|---|---|---:|');
    for (const r of results as Array<{
      run: number;
      upload: Transfer;
      download: Transfer;
      ceilingUpload: Transfer;
      ceilingDownload: Transfer;
      hashingMbPerSecond: number;
    }>) {
      console.log(
        `| ${r.run} | ${r.upload.mbPerSecond} (${r.ceilingUpload.mbPerSecond}) | ${r.download.mbPerSecond} (${r.ceilingDownload.mbPerSecond}) | ` +
          `${r.upload.rssBeforeMb} → ${r.upload.rssPeakMb} / ${r.download.rssBeforeMb} → ${r.download.rssPeakMb} | ${r.hashingMbPerSecond} |`,
      );
    }
  } finally {
    await stopServer(ours);
    await stopServer(ceiling);
    fs.rmSync(WORK, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
