import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

describe('HTTP conventions (spec §1–§2)', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = await t.adminToken();
  });
  afterAll(() => t.close());

  it('answers every route with and without the trailing slash, without redirecting', async () => {
    for (const path of ['/api/v1/auth/user', '/api/v1/auth/user/']) {
      const res = await request(t.http).get(path).set(auth(token));
      expect(res.status).toBe(200);
      expect(res.body.username).toBe('admin');
    }
    for (const path of ['/api/v1/auth/login', '/api/v1/auth/login/']) {
      const res = await request(t.http).post(path).send({ username: 'admin', password: 'admin-password' });
      expect(res.status).toBe(200);
    }
  });

  it('answers an unknown route with 404 object_not_found in the error envelope', async () => {
    const res = await request(t.http).get('/api/v1/no-such-thing/').set(auth(token));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'object_not_found', message: expect.any(String), detail: {} });
  });

  it('answers an unsupported method on an existing route with 405 and Allow', async () => {
    const res = await request(t.http).delete('/api/v1/status/');
    expect(res.status).toBe(405);
    expect(res.body.code).toBe('method_not_allowed');
    expect(res.headers.allow).toContain('GET');
    const put = await request(t.http).put('/api/v1/auth/login/').send({});
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('POST');
  });

  it('answers malformed JSON with 400 validation_error and no stack trace', async () => {
    const res = await request(t.http).post('/api/v1/auth/login/').set('Content-Type', 'application/json').send('{"username": ');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_error');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js|SyntaxError/);
  });

  it('answers a body over MAX_BODY_BYTES with 413 payload_too_large', async () => {
    const res = await request(t.http)
      .post('/api/v1/auth/login/')
      .send({ username: 'x'.repeat(1024 * 1024 + 10), password: 'p' });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('answers a non-empty body of another type with 415; no body counts as empty', async () => {
    const res = await request(t.http).post('/api/v1/auth/login/').set('Content-Type', 'text/plain').send('username=admin');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
    const empty = await request(t.http).post('/api/v1/auth/login/');
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('validation_error');
  });

  it('accepts JSON, form and multipart bodies on write endpoints', async () => {
    const json = await request(t.http).post('/api/v1/auth/login/').send({ username: 'admin', password: 'admin-password' });
    const form = await request(t.http).post('/api/v1/auth/login/').type('form').send('username=admin&password=admin-password');
    const multipart = await request(t.http).post('/api/v1/auth/login/').field('username', 'admin').field('password', 'admin-password');
    expect([json.status, form.status, multipart.status]).toEqual([200, 200, 200]);
  });

  it('refuses a file in a multipart body of an endpoint that takes no upload', async () => {
    const res = await request(t.http).post('/api/v1/auth/login/').field('username', 'admin').attach('password', Buffer.from('x'), 'p.txt');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_error');
  });

  it('coerces booleans from true/True/1 and false/False/0, and names a bad one', async () => {
    for (const value of ['true', 'True', '1', 'false', 'False', '0']) {
      const res = await request(t.http).get(`/api/v1/users/?exclude_organizations=${value}`).set(auth(token));
      expect(res.status).toBe(200);
    }
    const bad = await request(t.http).get('/api/v1/users/?exclude_organizations=yes').set(auth(token));
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_error');
    expect(Object.keys(bad.body.detail)).toEqual(['exclude_organizations']);
  });

  it('takes the request id from X-Request-Id or generates one, and echoes it', async () => {
    const given = await request(t.http).get('/api/v1/status/').set('X-Request-Id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const generated = await request(t.http).get('/api/v1/status/');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers GET /status/ without authentication', async () => {
    const res = await request(t.http).get('/api/v1/status/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ database: 'ok', storage: 'ok', worker: 'off' });
  });

  it('serves the interactive docs with and without the slash, without redirecting', async () => {
    for (const path of ['/api/v1/docs', '/api/v1/docs/']) {
      const res = await request(t.http).get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    }
  });
});

describe('RATE_LIMIT_PER_MINUTE (spec §2, §9)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => t.close());

  it('answers requests over the limit with 429 too_many_requests and Retry-After', async () => {
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await request(t.http).get('/api/v1/status/');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last!.body.code).toBe('too_many_requests');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('without RATE_LIMIT_PER_MINUTE', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('does not limit requests', async () => {
    for (let i = 0; i < 30; i++) expect((await request(t.http).get('/api/v1/status/')).status).toBe(200);
  });
});
