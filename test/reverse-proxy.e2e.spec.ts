import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { launchChromium, tryItOut } from './support/chromium.js';
import { Nginx } from './support/nginx.js';
import { ServerProcess } from './support/server-process.js';
import { createTestDatabase } from './support/test-app.js';
import { md5, s3Etag } from './support/kit.js';

/**
 * The built server behind a real nginx that mounts it under /cloud/, as docs/deploy.md describes
 * (spec §7 absolute URLs, §3 login throttling per client IP, §9 request log): nginx plays the TLS
 * terminator of https://gis.example.com/cloud/ and sends X-Forwarded-Proto/-Host/-Prefix/-For.
 * A second server on the same database, without TRUST_PROXY, sits under /plain/ for contrast.
 */
const PUBLIC = 'https://gis.example.com/cloud';
const ADMIN = { username: 'admin', password: 'proxy-admin-password' };

/** The upstream of docs/deploy.md: connections to the server kept and reused. */
function upstream(name: string, serverPort: number): string {
  return `
    upstream ${name} {
      server 127.0.0.1:${serverPort};
      keepalive 16;
    }`;
}

/** The proxy settings of docs/deploy.md, with the scheme and host of the TLS terminator fixed. */
function location(prefix: string, upstreamName: string): string {
  return `
    location ${prefix}/ {
      proxy_pass http://${upstreamName}/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      gzip on;
      gzip_types application/json;
      gzip_min_length 1024;
      proxy_request_buffering off;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-Host gis.example.com;
      proxy_set_header X-Forwarded-Prefix ${prefix};
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Request-Id $fieldbase_request_id;
    }`;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request; `from` is the local address to connect from (any of 127.0.0.0/8 works on Linux). */
function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, localAddress: options.from }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('behind nginx under /cloud/ (TRUST_PROXY=loopback)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  const dataDirs: string[] = [];
  let trusted: ServerProcess;
  let untrusted: ServerProcess;
  let nginx: Nginx;
  let token: string;

  const start = async (env: Record<string, string>) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-proxy-'));
    dataDirs.push(dataDir);
    return (await ServerProcess.start({ DATABASE_URL: database.url, DATA_DIR: dataDir, LOGIN_MAX_FAILURES: '2', LOG_LEVEL: 'info', ...env })).ready();
  };
  const cloud = (apiPath: string) => `${nginx.url}/cloud/api/v1/${apiPath}`;
  const plain = (apiPath: string) => `${nginx.url}/plain/api/v1/${apiPath}`;
  const authed = (extra: Record<string, string> = {}) => ({ Authorization: `Token ${token}`, ...extra });
  const login = (url: string, username: string, password: string, from: string) =>
    send(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }).toString(),
      from,
    });
  const createPerson = async (username: string) => {
    const res = await send(cloud('users/'), {
      method: 'POST',
      headers: authed({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ username, password: `${username}-password`, email: `${username}@example.com` }),
    });
    expect(res.status).toBe(201);
  };
  const createProject = async (name: string): Promise<string> => {
    const res = await send(cloud('projects/'), { method: 'POST', headers: authed({ 'Content-Type': 'application/json' }), body: JSON.stringify({ name }) });
    expect(res.status).toBe(201);
    return JSON.parse(res.body).id;
  };
  /** The client IPs an account is locked out for (lock-outs are keyed by account id and client IP). */
  const lockouts = async (username: string) =>
    (
      await pool.query(
        `SELECT client_ip FROM login_lockouts JOIN accounts ON account_key = accounts.id::text WHERE accounts.username = $1 ORDER BY client_ip`,
        [username],
      )
    ).rows.map((row) => row.client_ip);

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 1 });
    // One after the other: the first migrates and creates the admin, the second finds both done.
    trusted = await start({ TRUST_PROXY: 'loopback', ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
    untrusted = await start({});
    nginx = await Nginx.start(
      (port) => `
        # The client's X-Request-Id, or nginx's own id: one id in nginx's log and the app's.
        map $http_x_request_id $fieldbase_request_id {
          default $http_x_request_id;
          ""      $request_id;
        }
        log_format fieldbase '$remote_addr "$request" $status request_id=$fieldbase_request_id';
        ${upstream('trusted', trusted.port)}
        ${upstream('untrusted', untrusted.port)}
        server {
          listen 127.0.0.1:${port};
          client_max_body_size 0;
          ${location('/cloud', 'trusted')}
          ${location('/plain', 'untrusted')}
        }`,
      { accessLogFormat: 'fieldbase' },
    );
    const res = await login(cloud('auth/login/'), ADMIN.username, ADMIN.password, '127.0.0.1');
    expect(res.status).toBe(200);
    token = JSON.parse(res.body).token;
  });

  afterAll(async () => {
    await nginx?.stop();
    for (const server of [trusted, untrusted]) if (server && server.exitCode === null) await server.stop('SIGKILL');
    await pool?.end();
    await database?.drop();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('absolute URLs (spec §7)', () => {
    beforeAll(async () => {
      for (const name of ['proxy-a', 'proxy-b', 'proxy-c']) await createProject(name);
    });

    it('page links read https://gis.example.com/cloud/api/v1/…, keep the other parameters, and lead back through the proxy', async () => {
      const res = await send(cloud('projects/?ordering=name&limit=1&offset=1'), { headers: authed() });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).map((p: { name: string }) => p.name)).toEqual(['proxy-b']);
      expect(res.headers['x-total-count']).toBe('3');
      expect(res.headers['x-next-page']).toBe(`${PUBLIC}/api/v1/projects/?ordering=name&limit=1&offset=2`);
      expect(res.headers['x-previous-page']).toBe(`${PUBLIC}/api/v1/projects/?ordering=name&limit=1`);

      // What a client does with the link, with the TLS terminator's origin swapped for nginx's.
      const next = await send(String(res.headers['x-next-page']).replace('https://gis.example.com', nginx.url), { headers: authed() });
      expect(next.status).toBe(200);
      expect(JSON.parse(next.body).map((p: { name: string }) => p.name)).toEqual(['proxy-c']);
      expect(next.headers['x-next-page']).toBeUndefined();
      expect(next.headers['x-previous-page']).toBe(`${PUBLIC}/api/v1/projects/?ordering=name&limit=1&offset=1`);
    });

    // Every list shares the pagination of src/common/pagination.ts, the only place that emits an
    // absolute URL (src/common/absolute-url.ts); one list of another module shows it is not per route.
    it('the same holds for the other lists, e.g. GET /users/', async () => {
      await createPerson('proxy-list-person');
      const res = await send(cloud('users/?limit=1'), { headers: authed() });
      expect(res.status).toBe(200);
      expect(res.headers['x-next-page']).toBe(`${PUBLIC}/api/v1/users/?limit=1&offset=1`);
    });

    // The docs page is the other thing a browser follows links from: its assets must be relative.
    it.each(['docs/', 'docs'])('the interactive docs at /cloud/api/v1/%s load every asset through the prefix', async (page) => {
      const res = await send(cloud(page));
      expect(res.status).toBe(200);
      const assets = [...res.body.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map((match) => match[1]);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        const url = new URL(asset, cloud(page));
        expect(url.pathname.startsWith('/cloud/api/v1/docs')).toBe(true);
        expect([asset, (await send(url.href)).status]).toEqual([asset, 200]);
      }
    });

    // The document's server is the host root "/" (spec §9), so the page itself must keep the prefix.
    it('"Try it out" on the docs page sends its request under the prefix', async () => {
      const browser = await launchChromium('gis.example.com');
      try {
        const page = await browser.newPage();
        const origin = `http://gis.example.com:${nginx.port}`;
        const requested: string[] = [];
        page.on('request', (req) => requested.push(req.url()));
        await page.goto(`${origin}/cloud/api/v1/docs/`);
        const response = await tryItOut(page, /^\/api\/v1\/status\/?$/);
        expect(requested.filter((url) => url.includes('/status'))).toEqual([expect.stringMatching(new RegExp(`^${origin}/cloud/api/v1/status/?$`))]);
        expect((await response.locator('.response-col_status').first().innerText()).trim()).toBe('200');
      } finally {
        await browser.close();
      }
    });

    it('a server that does not trust the proxy ignores its X-Forwarded-* headers', async () => {
      const res = await send(plain('projects/?limit=1'), { headers: authed() });
      expect(res.status).toBe(200);
      // nginx's default Host for proxy_pass is the name of the upstream block.
      expect(res.headers['x-next-page']).toBe('http://untrusted/api/v1/projects/?limit=1&offset=1');
    });
  });

  describe('the client IP of login throttling (spec §3)', () => {
    it('is the address nginx passes in X-Forwarded-For: two clients are locked out independently', async () => {
      await createPerson('proxy-alice');
      for (let i = 0; i < 2; i++) {
        const failed = await login(cloud('auth/login/'), 'proxy-alice', 'wrong-password', '127.0.0.2');
        expect([failed.status, JSON.parse(failed.body).code]).toEqual([401, 'authentication_failed']);
      }
      const locked = await login(cloud('auth/login/'), 'proxy-alice', 'proxy-alice-password', '127.0.0.2');
      expect([locked.status, JSON.parse(locked.body).code]).toEqual([401, 'too_many_failed_login_attempts']);

      const other = await login(cloud('auth/login/'), 'proxy-alice', 'proxy-alice-password', '127.0.0.3');
      expect(other.status).toBe(200);
      expect(await lockouts('proxy-alice')).toEqual(['127.0.0.2']);
      // nginx saw the two clients as different peers: the independence above is theirs, passed on.
      await nginx.accessLogLine(/^127\.0\.0\.3 "POST \/cloud\/api\/v1\/auth\/login\/ HTTP\/1\.1" 200 /);
    });

    it('without TRUST_PROXY it is the proxy itself, so a lock-out holds for every client behind it', async () => {
      await createPerson('proxy-bob');
      for (let i = 0; i < 2; i++) expect((await login(plain('auth/login/'), 'proxy-bob', 'wrong-password', '127.0.0.2')).status).toBe(401);

      const other = await login(plain('auth/login/'), 'proxy-bob', 'proxy-bob-password', '127.0.0.3');
      expect([other.status, JSON.parse(other.body).code]).toEqual([401, 'too_many_failed_login_attempts']);
      expect(await lockouts('proxy-bob')).toEqual(['127.0.0.1']);
    });
  });

  describe('the request log (spec §9)', () => {
    const logLine = async (requestId: string) => JSON.parse(await trusted.line(`"request_id":"${requestId}"`));

    it("logs the path the server serves and the client's X-Request-Id, which nginx and the server echo and log", async () => {
      const res = await send(cloud('projects/?limit=1'), { headers: authed({ 'X-Request-Id': 'proxy-log-1' }) });
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toBe('proxy-log-1');
      expect(await logLine('proxy-log-1')).toEqual(expect.objectContaining({ method: 'GET', path: '/api/v1/projects/', status: 200, user: ADMIN.username }));
      await nginx.accessLogLine(/"GET \/cloud\/api\/v1\/projects\/\?limit=1 HTTP\/1\.1" 200 request_id=proxy-log-1$/);
    });

    it('without X-Request-Id the id nginx generates is the one the server uses, so both logs correlate', async () => {
      const res = await send(cloud('status/'));
      expect(res.status).toBe(200);
      const id = String(res.headers['x-request-id']);
      expect(id).toMatch(/^[0-9a-f]{32}$/); // nginx's $request_id, not a UUID of the server's
      expect(await logLine(id)).toEqual(expect.objectContaining({ method: 'GET', path: '/api/v1/status/', status: 200, user: null }));
      await nginx.accessLogLine(new RegExp(`"GET /cloud/api/v1/status/ HTTP/1\\.1" 200 request_id=${id}$`));
    });
  });

  it("keeps an idle connection open past 5 s (Node's default), so a proxy reusing it is not cut off", async () => {
    // nginx keeps its idle upstream connections 60 s, load balancers as long: a server that closed
    // sooner could close one just as the proxy sent the next request on it, which the proxy answers 502.
    const socket = net.connect(trusted.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const answers = async (n: number) => {
      while ((received.match(/HTTP\/1\.1 \d{3} /g) ?? []).length < n) {
        if (socket.destroyed) throw new Error(`the server closed the connection after ${received.length} bytes`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const status = 'GET /api/v1/status/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    socket.write(status);
    await answers(1);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(socket.destroyed).toBe(false);
    socket.write(status);
    await answers(2);
    socket.end();
    await closed;
  }, 20_000);

  it('compresses JSON answers for clients that accept gzip, as docs/deploy.md sets nginx up', async () => {
    for (const name of ['proxy-gzip-1', 'proxy-gzip-2', 'proxy-gzip-3']) await createProject(name);
    const plainAnswer = await fetch(cloud('projects/'), { headers: authed({ 'Accept-Encoding': 'identity' }) });
    expect(plainAnswer.headers.get('content-encoding')).toBeNull();
    const plainBody = await plainAnswer.text();
    expect(plainBody.length).toBeGreaterThan(1024);
    // fetch asks for gzip and unpacks it.
    const compressed = await fetch(cloud('projects/'), { headers: authed() });
    expect(compressed.headers.get('content-encoding')).toBe('gzip');
    expect(JSON.parse(await compressed.text())).toEqual(JSON.parse(plainBody));
  });

  it('streams a large upload through nginx (client_max_body_size, proxy_request_buffering off) and serves it back', async () => {
    const project = await createProject('proxy-upload');
    const content = randomBytes(24 * 1024 * 1024);
    const form = new FormData();
    form.append('file', new Blob([content]), 'big.bin');
    const uploaded = await fetch(cloud(`files/${project}/data/big.bin/`), { method: 'POST', headers: authed(), body: form });
    expect(uploaded.status).toBe(201);
    expect(await uploaded.json()).toEqual(expect.objectContaining({ name: 'data/big.bin', size: content.length, md5sum: s3Etag(content) }));

    // fetch accepts gzip; a file is sent as stored all the same, with its ETag.
    const downloaded = await fetch(cloud(`files/${project}/data/big.bin/`), { headers: authed() });
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers.get('content-encoding')).toBeNull();
    expect(downloaded.headers.get('etag')).toBe(`"${s3Etag(content)}"`);
    expect(md5(Buffer.from(await downloaded.arrayBuffer()))).toBe(md5(content));
  });
});
