import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { expectError } from './support/expectations.js';
import { envelopeProblem } from './support/hostile-contract.js';
import { seedHostileFixture, TINY_PNG, type HostileFixture } from './support/hostile-fixture.js';
import { fileTree, listen, rawRequest, type RawAnswer } from './support/hostile-http.js';
import { multipart } from './support/hostile-inputs.js';
import { ServerProcess } from './support/server-process.js';
import { auth, createTestDatabase, startTestApp, type TestApp } from './support/test-app.js';

/**
 * Issue 7, part 6: what a deployment must not leak or allow, beyond what the HTTP-conventions, auth and
 * files tests already cover (429 itself, Bearer tokens, refused file paths).
 */

describe('secrets never reach the log', () => {
  let server: ServerProcess;
  let database: { url: string; drop(): Promise<void> };
  let dataDir: string;
  const secrets: Record<string, string> = {
    adminPassword: `admin-pw-${randomBytes(8).toString('hex')}`,
    newUserPassword: `new-user-pw-${randomBytes(8).toString('hex')}`,
    changedPassword: `changed-pw-${randomBytes(8).toString('hex')}`,
    wrongPassword: `wrong-pw-${randomBytes(8).toString('hex')}`,
    queryPassword: `query-pw-${randomBytes(8).toString('hex')}`,
    malformedBodyPassword: `malformed-pw-${randomBytes(8).toString('hex')}`,
    forgedToken: randomBytes(64).toString('hex'),
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-security-'));
    server = await ServerProcess.start({
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'debug',
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: secrets.adminPassword,
      LOGIN_MAX_FAILURES: '3',
    });
    await server.ready();
  });
  afterAll(async () => {
    if (server?.exitCode === null) await server.stop('SIGKILL').catch(() => undefined);
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs logins, token use, failed logins, lock-outs and password changes without a password or token', async () => {
    // An SDK client may hold many tokens: each login below leaves the earlier ones valid (§3).
    const UA = { 'User-Agent': 'sdk|py|security-test' };
    const post = (url: string, init: RequestInit) => fetch(`${server.url}${url}`, { method: 'POST', ...init, headers: { ...UA, ...(init.headers as object) } });
    const json = (body: unknown, token?: string): RequestInit => ({
      headers: { 'Content-Type': 'application/json', ...UA, ...(token ? { Authorization: `Token ${token}` } : {}) },
      body: JSON.stringify(body),
    });

    const adminLogin = await post('/auth/login/', json({ username: 'admin', password: secrets.adminPassword }));
    expect(adminLogin.status).toBe(200);
    const adminToken = ((await adminLogin.json()) as { token: string }).token;
    secrets.adminToken = adminToken;
    // The same login as a form and as multipart.
    expect((await post('/auth/token/', { body: new URLSearchParams({ username: 'admin', password: secrets.adminPassword }) })).status).toBe(200);
    const form = new FormData();
    form.set('username', 'admin');
    form.set('password', secrets.adminPassword);
    expect((await post('/auth/login/', { body: form })).status).toBe(200);

    const created = await post('/users/', json({ username: 'walter', email: 'walter@example.com', password: secrets.newUserPassword }, adminToken));
    expect(created.status).toBe(201);
    const userLogin = await post('/auth/login/', json({ username: 'walter', password: secrets.newUserPassword }));
    const userToken = ((await userLogin.json()) as { token: string }).token;
    secrets.userToken = userToken;

    for (const header of [`Token ${userToken}`, `token ${userToken}`, `Bearer ${userToken}`]) {
      expect((await fetch(`${server.url}/auth/user/`, { headers: { Authorization: header } })).status).toBe(200);
    }
    expect((await fetch(`${server.url}/auth/user/`, { headers: { Authorization: `Token ${secrets.forgedToken}` } })).status).toBe(401);
    const patched = await fetch(`${server.url}/users/walter/`, { method: 'PATCH', ...json({ password: secrets.changedPassword }, userToken) });
    expect(patched.status).toBe(200);

    // Failed logins up to the lock-out, and one more during it.
    for (let i = 0; i < 4; i++) expect((await post('/auth/login/', json({ username: 'walter', password: secrets.wrongPassword }))).status).toBe(401);
    // A password in the query string and one in a body that does not parse.
    expect((await post(`/auth/login/?username=walter&password=${secrets.queryPassword}`, {})).status).toBe(400);
    const malformed = await post('/auth/login/', {
      headers: { 'Content-Type': 'application/json' },
      body: `{"username": "walter", "password": "${secrets.malformedBodyPassword}"`,
    });
    expect(malformed.status).toBe(400);
    expect((await post('/auth/logout/', { headers: { Authorization: `Token ${adminToken}` } })).status).toBe(200);

    expect(await server.stop()).toBe(0);
    const output = server.output;
    // The requests were logged (at debug, the most the server says), so their absence below means something.
    const logged = output.split('\n').filter((line) => line.includes('"path":"/api/v1/auth/login/"'));
    expect(logged.length).toBeGreaterThanOrEqual(8);
    expect(output).toContain('"status":401');
    expect(
      Object.entries(secrets)
        .filter(([, secret]) => output.includes(secret))
        .map(([name]) => name),
    ).toEqual([]);
    // Nor the stored hashes of passwords.
    expect(output).not.toMatch(/scrypt\$|pbkdf2_|argon2/);
  });
});

/** Expected on every answer, whatever route or status (src/common/security-headers.ts). */
function expectSecurityHeaders(res: { status: number; headers: Record<string, unknown> }, what: string): void {
  const h = res.headers;
  const seen = {
    what,
    nosniff: h['x-content-type-options'],
    frame: h['x-frame-options'],
    referrer: h['referrer-policy'],
    poweredBy: h['x-powered-by'],
    hsts: h['strict-transport-security'],
    frameAncestors: /frame-ancestors 'none'/.test(String(h['content-security-policy'])),
    defaultSrc: /default-src 'self'/.test(String(h['content-security-policy'])),
  };
  expect(seen).toEqual({
    what,
    nosniff: 'nosniff',
    frame: 'DENY',
    referrer: 'no-referrer',
    poweredBy: undefined,
    hsts: undefined,
    frameAncestors: true,
    defaultSrc: true,
  });
}

describe('security headers, CORS and body limits', () => {
  let t: TestApp;
  let fixture: HostileFixture;
  let document: any;
  const MAX_BODY_BYTES = 1024;

  beforeAll(async () => {
    t = await startTestApp({ MAX_BODY_BYTES: String(MAX_BODY_BYTES), CORS_ORIGINS: 'https://allowed.example,https://also.example' });
    fixture = await seedHostileFixture(t);
    document = (await request(t.http).get('/api/v1/openapi.json')).body;
  });
  afterAll(() => t.close());

  /** Every route of the served OpenAPI document with fixture values in its path, and the actor that may use it. */
  const everyRoute = () =>
    Object.entries<Record<string, any>>(document.paths).flatMap(([template, operations]) =>
      Object.entries(operations).map(([method, operation]) => {
        const values: Record<string, string> = {
          username: 'bob',
          organization: 'acme',
          team: 'surveyors',
          projectId: fixture.projects.fieldSurvey,
          path: 'data/points.gpkg',
        };
        const url = template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name]) + '/';
        const token = template.startsWith('/api/v1/users') ? fixture.tokens.admin : fixture.tokens.alice;
        return { method: method.toUpperCase(), url, token, upload: Boolean(operation.requestBody?.content?.['multipart/form-data']?.schema?.required?.length) };
      }),
    );

  it('sends the hardening headers on every route, on errors and on the docs page, and no HSTS over plain HTTP', async () => {
    // Not the logout, which would end the fixture's tokens.
    for (const route of everyRoute().filter((r) => r.method === 'GET' && !r.url.includes('/auth/logout'))) {
      expectSecurityHeaders(await request(t.http).get(route.url).set(auth(fixture.tokens.alice)), `GET ${route.url}`);
    }
    expectSecurityHeaders(await request(t.http).get('/api/v1/no-such-route/'), '404');
    expectSecurityHeaders(await request(t.http).delete('/api/v1/status/'), '405');
    expectSecurityHeaders(await request(t.http).get('/api/v1/auth/user/'), '401');
    expectSecurityHeaders(
      await request(t.http)
        .post('/api/v1/auth/login/')
        .send({ username: 'x'.repeat(MAX_BODY_BYTES + 1) }),
      '413',
    );
    expectSecurityHeaders(await request(t.http).post('/api/v1/auth/login/').type('text/plain').send('x'), '415');
    expectSecurityHeaders(await request(t.http).delete(`/api/v1/collaborators/${fixture.projects.fieldSurvey}/carol/`).set(auth(fixture.tokens.alice)), '204');
    const docs = await request(t.http).get('/api/v1/docs/');
    expect(docs.status).toBe(200);
    expectSecurityHeaders(docs, 'docs page');
    // The docs page loads its scripts from here: the policy must allow that and nothing inline.
    expect(docs.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(docs.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
  });

  it('sends Strict-Transport-Security only when the request came over HTTPS through a trusted proxy', async () => {
    const behindTls = await startTestApp({ TRUST_PROXY: 'loopback' });
    try {
      const secure = await request(behindTls.http).get('/api/v1/status/').set('X-Forwarded-Proto', 'https');
      expect(secure.headers['strict-transport-security']).toBe('max-age=31536000');
      const plain = await request(behindTls.http).get('/api/v1/status/');
      expect(plain.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await behindTls.close();
    }
    // Without TRUST_PROXY a client cannot claim HTTPS.
    const forged = await request(t.http).get('/api/v1/status/').set('X-Forwarded-Proto', 'https');
    expect(forged.headers['strict-transport-security']).toBeUndefined();
  });

  describe('CORS (spec §7: CORS_ORIGINS)', () => {
    it('allows a listed origin, with the pagination headers exposed, and no credentials', async () => {
      const res = await request(t.http).get('/api/v1/projects/?limit=1').set(auth(fixture.tokens.alice)).set('Origin', 'https://also.example');
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('https://also.example');
      expect(res.headers['access-control-expose-headers']).toMatch(/X-Total-Count/);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it.each(['https://evil.example', 'https://allowed.example.evil.example', 'http://allowed.example', 'null', 'https://allowed.example:444'])(
      'gives an unlisted origin no Access-Control-Allow-Origin, also on a preflight: %s',
      async (origin) => {
        const res = await request(t.http).get('/api/v1/projects/').set(auth(fixture.tokens.alice)).set('Origin', origin);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        const preflight = await request(t.http)
          .options('/api/v1/projects/')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'authorization,content-type');
        expect(preflight.status).toBeLessThan(500);
        expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      },
    );

    it('answers the preflight of a listed origin', async () => {
      const res = await request(t.http)
        .options(`/api/v1/projects/${fixture.projects.fieldSurvey}/`)
        .set('Origin', 'https://allowed.example')
        .set('Access-Control-Request-Method', 'PATCH')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://allowed.example');
      expect(res.headers['access-control-allow-methods']).toMatch(/PATCH/);
    });

    it('allows no origin at all without CORS_ORIGINS', async () => {
      const closed = await startTestApp();
      try {
        const res = await request(closed.http).get('/api/v1/status/').set('Origin', 'https://allowed.example');
        expect(res.status).toBe(200);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        const preflight = await request(closed.http)
          .options('/api/v1/auth/login/')
          .set('Origin', 'https://allowed.example')
          .set('Access-Control-Request-Method', 'POST');
        expect(preflight.status).toBeLessThan(500);
        expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      } finally {
        await closed.close();
      }
    });
  });

  describe(`request body limits on every route (MAX_BODY_BYTES=${MAX_BODY_BYTES}; spec §1, §2)`, () => {
    const over = 'x'.repeat(MAX_BODY_BYTES + 1);

    it('answers a JSON or form body over the limit with 413 payload_too_large on every route and method', async () => {
      const seen: string[] = [];
      for (const route of everyRoute()) {
        const json = await request(t.http)[route.method.toLowerCase() as 'post'](route.url).set(auth(route.token)).send({ name: over });
        expectError(json, 413, 'payload_too_large');
        const form = await request(t.http)[route.method.toLowerCase() as 'post'](route.url).set(auth(route.token)).type('form').send(`name=${over}`);
        expectError(form, 413, 'payload_too_large');
        seen.push(`${route.method} ${route.url}`);
      }
      expect(seen.length).toBeGreaterThanOrEqual(40);
    });

    it('answers a multipart body over the limit with 413 on every write route that takes no upload, with or without Content-Length', async () => {
      const target = await listen(t);
      const writes = everyRoute().filter((route) => ['POST', 'PUT', 'PATCH'].includes(route.method) && !route.upload && !route.url.includes('/auth/'));
      expect(writes.length).toBeGreaterThanOrEqual(10);
      const bodies = [
        { ...multipart([['name', over]]), label: 'one big field' },
        { ...multipart(Array.from({ length: 8 }, (_, i): [string, string] => [`f${i}`, 'y'.repeat(MAX_BODY_BYTES / 4)])), label: 'many small fields' },
      ];
      for (const route of writes) {
        for (const body of bodies) {
          for (const chunked of [false, true]) {
            const res = await rawRequest(target, {
              method: route.method,
              path: route.url,
              headers: { ...auth(route.token), 'Content-Type': body.contentType! },
              body: body.body,
              chunked,
            });
            expect({
              route: `${route.method} ${route.url}`,
              body: body.label,
              chunked,
              status: res.status,
              code: (res.body as { code?: string }).code,
            }).toEqual(expect.objectContaining({ status: 413, code: 'payload_too_large' }));
          }
        }
      }
    });

    it('keeps the login and logout routes to the same limit for multipart', async () => {
      const target = await listen(t);
      const body = multipart([['username', over]]);
      const res = await rawRequest(target, {
        method: 'POST',
        path: '/api/v1/auth/login/',
        headers: { 'Content-Type': body.contentType! },
        body: body.body,
        chunked: true,
      });
      expect([res.status, (res.body as { code: string }).code]).toEqual([413, 'payload_too_large']);
    });
  });
});

describe('RATE_LIMIT_PER_MINUTE counts per client', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: 'loopback' });
  });
  afterAll(() => t.close());

  it('limits each client address on its own, on every route, before reading the body, with the envelope and the headers', async () => {
    const from = (ip: string) => request(t.http).get('/api/v1/status/').set('X-Forwarded-For', ip);
    expect([(await from('203.0.113.1')).status, (await from('203.0.113.1')).status]).toEqual([200, 200]);
    const limited = await request(t.http)
      .post('/api/v1/auth/login/')
      .set('X-Forwarded-For', '203.0.113.1')
      .send({ username: 'x'.repeat(2 * 1024 * 1024) });
    expectError(limited, 429, 'too_many_requests');
    expect(envelopeProblem(limited.status, limited.headers['content-type'], limited.body)).toBeNull();
    expectSecurityHeaders(limited, '429');
    expect((await request(t.http).get('/api/v1/no-such-route/').set('X-Forwarded-For', '203.0.113.1')).status).toBe(429);
    // Another client still has its whole budget.
    expect([(await from('203.0.113.2')).status, (await from('203.0.113.2')).status, (await from('203.0.113.2')).status]).toEqual([200, 200, 429]);
  });
});

describe('uploads never land outside the storage root', () => {
  let t: TestApp;
  let fixture: HostileFixture;
  let target: { hostname: string; port: number };
  let root: string;
  const marker = `escape-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    // The local driver, whatever the run's storage: this is about the filesystem.
    t = await startTestApp({ STORAGE_DRIVER: 'local' });
    fixture = await seedHostileFixture(t);
    target = await listen(t);
    root = path.join(t.dataDir, 'files');
  });
  afterAll(() => t.close());

  /** Where a careless server could have put the bytes, and a bounded search of the temporary directory. */
  function escapedCopies(decoded: string): string[] {
    const bases = [root, path.join(root, 'projects'), path.join(root, 'projects', fixture.projects.fieldSurvey), t.dataDir, process.cwd(), '/'];
    const candidates = bases.flatMap((base) => [path.resolve(base, decoded), path.resolve(base, decoded.replace(/\\/g, '/'))]);
    const found = candidates.filter((candidate) => !candidate.startsWith(root + path.sep) && fs.existsSync(candidate));
    const walk = (dir: string, depth: number) => {
      if (depth > 3) return;
      let entries: fs.Dirent[] = [];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (full === root) continue;
        if (entry.name.includes(marker)) found.push(full);
        if (entry.isDirectory()) walk(full, depth + 1);
      }
    };
    walk(os.tmpdir(), 0);
    walk(process.cwd(), 3);
    return found;
  }

  /** Every stored object is `projects/<project uuid>/<uuid>` or `thumbnails/<project uuid>/…` under the root; nothing else in DATA_DIR. */
  function storedLayoutProblems(): string[] {
    const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
    const layout = new RegExp(`^files/(projects|thumbnails)/${uuid}/[^/]+$`);
    return fileTree(t.dataDir)
      .map((line) => line.split(' ')[0])
      .filter((file) => !layout.test(file) || file.includes(marker));
  }

  const HOSTILE_PATHS = [
    `../${marker}`,
    `../../../../../../tmp/${marker}`,
    `a/../../${marker}`,
    `..%2f..%2f${marker}`,
    `%2e%2e%2f%2e%2e%2f${marker}`,
    `%2e%2e/%2e%2e/${marker}`,
    `.%2e/${marker}`,
    `%2fetc%2f${marker}`,
    `%2Ftmp%2F${marker}`,
    `/tmp/${marker}`,
    `..%5c..%5c${marker}`,
    `..\\..\\${marker}`.replace(/\\/g, '%5C'),
    `C:%5C${marker}`,
    `%5C%5Cserver%5Cshare%5C${marker}`,
    `${marker}%00.txt`,
    `%00/${marker}`,
    `%252e%252e%252f${marker}`,
    `..%252f${marker}`,
    `%c0%ae%c0%ae/${marker}`,
    `..%c0%af${marker}`,
    `%ef%bc%8e%ef%bc%8e%ef%bc%8f${marker}`,
    `....//${marker}`,
    `..;/${marker}`,
    `~/${marker}`,
    `link%20-%3E%20%2Fetc%2Fpasswd-${marker}`,
    `${marker}.lnk`,
    `DCIM/../../${marker}`,
    `${'deep/'.repeat(210)}${marker}`,
  ];

  it.each(HOSTILE_PATHS)('upload to %s: a 4xx envelope, or stored under the root', async (hostile) => {
    const projectId = fixture.projects.fieldSurvey;
    const body = multipart([], [{ field: 'file', filename: `../../${marker}`, content: Buffer.from(`bytes for ${hostile}`) }]);
    const headers = { ...auth(fixture.tokens.alice), 'Content-Type': body.contentType! };
    const res: RawAnswer = await rawRequest(target, { method: 'POST', path: `/api/v1/files/${projectId}/${hostile}/`, headers, body: body.body });
    expect(res.status).toBeLessThan(500);
    if (res.status === 201) {
      const name = (res.body as { name: string }).name;
      // Stored as an ordinary project file: listed under its name, readable back byte for byte.
      const list = await request(t.http).get(`/api/v1/files/${projectId}/`).set(auth(fixture.tokens.alice));
      expect(list.body.map((file: { name: string }) => file.name)).toContain(name);
      const back = await rawRequest(target, {
        method: 'GET',
        path: `/api/v1/files/${projectId}/${name.split('/').map(encodeURIComponent).join('/')}/`,
        headers: auth(fixture.tokens.alice),
      });
      expect(back.text).toBe(`bytes for ${hostile}`);
    } else {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(envelopeProblem(res.status, res.headers['content-type'], res.body)).toBeNull();
    }
    // Reading and deleting through the same path never reach outside either.
    const read = await rawRequest(target, {
      method: 'GET',
      path: `/api/v1/files/${projectId}/${hostile.replace(marker, '..%2f..%2f..%2f..%2fetc%2fpasswd')}/`,
      headers: auth(fixture.tokens.alice),
    });
    expect(read.status).toBeLessThan(500);
    expect(read.text).not.toMatch(/root:.*:0:0:/);
    expect(storedLayoutProblems()).toEqual([]);
    expect(escapedCopies(decodeURIComponentSafe(hostile))).toEqual([]);
  });

  it('a traversal in the project id or a multipart file name goes nowhere', async () => {
    const body = multipart([], [{ field: 'file', filename: `../../../../${marker}`, content: Buffer.from('x') }]);
    const headers = { ...auth(fixture.tokens.alice), 'Content-Type': body.contentType! };
    for (const project of ['..', '..%2f..%2f..', '%2e%2e', `${fixture.projects.fieldSurvey}%2f..`]) {
      const res = await rawRequest(target, { method: 'POST', path: `/api/v1/files/${project}/${marker}/`, headers, body: body.body });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(envelopeProblem(res.status, res.headers['content-type'], res.body)).toBeNull();
    }
    const thumbnail = multipart([], [{ field: 'thumbnail', filename: `../../../${marker}.png`, content: TINY_PNG, type: 'image/png' }]);
    const res = await rawRequest(target, {
      method: 'POST',
      path: `/api/v1/projects/${fixture.projects.fieldSurvey}/thumbnail/`,
      headers: { ...auth(fixture.tokens.alice), 'Content-Type': thumbnail.contentType! },
      body: thumbnail.body,
    });
    expect(res.status).toBe(204);
    expect(storedLayoutProblems()).toEqual([]);
    expect(escapedCopies(`../../../${marker}.png`)).toEqual([]);
  });
});

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
