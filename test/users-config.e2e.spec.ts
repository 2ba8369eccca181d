import request from 'supertest';
import type { Response } from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { pathOf } from './support/users-fixtures.js';

describe('DEFAULT_STORAGE_QUOTA_BYTES (spec §4.1, §9)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ DEFAULT_STORAGE_QUOTA_BYTES: '12345' });
  });
  afterAll(() => t.close());

  it('is the storage_quota_bytes of a person whose quota was not set', async () => {
    const token = await t.createPerson('quota_default');
    const own = await request(t.http).get('/api/v1/users/quota_default/').set(auth(token));
    expect(own.body.storage_quota_bytes).toBe(12345);
    const admin = await t.adminToken();
    const set = await request(t.http).patch('/api/v1/users/quota_default/').set(auth(admin)).send({ storage_quota_bytes: 678 });
    expect(set.body.storage_quota_bytes).toBe(678);
    const created = await request(t.http)
      .post('/api/v1/users/')
      .set(auth(admin))
      .send({ username: 'quota_new', email: 'quota_new@example.com', password: 'long-enough' });
    expect(created.body.storage_quota_bytes).toBe(12345);
  });
});

describe('MAX_PAGE_LIMIT (spec §7)', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp({ MAX_PAGE_LIMIT: '2' });
    admin = await t.adminToken();
    for (let i = 1; i <= 5; i++) await t.createPerson(`capped${i}`);
  });
  afterAll(() => t.close());
  const list = (query: string) => request(t.http).get(`/api/v1/users/${query}`).set(auth(admin));

  it('lowers a larger limit to MAX_PAGE_LIMIT, and links pages with the lowered limit', async () => {
    const res = await list('?q=capped&limit=10');
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(2);
    expect(res.headers['x-total-count']).toBe('5');
    const next = new URL(res.headers['x-next-page']);
    expect(next.searchParams.get('limit')).toBe('2');
    expect(next.searchParams.get('offset')).toBe('2');
    expect(next.searchParams.get('q')).toBe('capped');
  });

  it('keeps a smaller limit', async () => {
    const res = await list('?q=capped&limit=1');
    expect(res.body).toHaveLength(1);
    expect(new URL(res.headers['x-next-page']).searchParams.get('limit')).toBe('1');
  });

  it('paginates a request without limit at MAX_PAGE_LIMIT, headers included', async () => {
    for (const query of ['?q=capped', '?q=capped&limit=0', '?q=capped&limit=']) {
      const res = await list(query);
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(2);
      expect(res.headers['x-total-count']).toBe('5');
      const next = new URL(res.headers['x-next-page']);
      expect(next.searchParams.get('limit')).toBe('2');
      expect(next.searchParams.get('offset')).toBe('2');
    }
  });

  it('still visits every user exactly once across the capped pages', async () => {
    const seen: string[] = [];
    let path: string | null = '/api/v1/users/?q=capped';
    while (path !== null && seen.length < 50) {
      const res: Response = await request(t.http).get(path).set(auth(admin));
      seen.push(...(res.body as { username: string }[]).map((u) => u.username));
      path = res.headers['x-next-page'] ? pathOf(res.headers['x-next-page']) : null;
    }
    expect(seen.sort()).toEqual(['capped1', 'capped2', 'capped3', 'capped4', 'capped5']);
  });
});

describe('PUBLIC_URL (spec §7)', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    // TRUST_PROXY too, so that forwarded headers would count if PUBLIC_URL did not win.
    t = await startTestApp({ PUBLIC_URL: 'https://gis.example.com/cloud', TRUST_PROXY: 'true' });
    admin = await t.adminToken();
    for (const name of ['linked1', 'linked2', 'linked3']) await t.createPerson(name);
  });
  afterAll(() => t.close());

  it('builds next and previous links under PUBLIC_URL', async () => {
    const res = await request(t.http).get('/api/v1/users/?q=linked&limit=1&offset=1').set(auth(admin));
    const next = new URL(res.headers['x-next-page']);
    expect(next.origin + next.pathname).toBe('https://gis.example.com/cloud/api/v1/users/');
    expect(Object.fromEntries(next.searchParams)).toEqual({ q: 'linked', limit: '1', offset: '2' });
    expect(res.headers['x-next-page']).toMatch(/^https:\/\/gis\.example\.com\/cloud\/api\/v1\/users\/\?/);
    const previous = new URL(res.headers['x-previous-page']);
    expect(previous.origin + previous.pathname).toBe('https://gis.example.com/cloud/api/v1/users/');
    expect(Object.fromEntries(previous.searchParams)).toEqual({ q: 'linked', limit: '1' });
  });

  it('prefers PUBLIC_URL over X-Forwarded-* headers', async () => {
    const res = await request(t.http)
      .get('/api/v1/users/?q=linked&limit=1')
      .set(auth(admin))
      .set('X-Forwarded-Proto', 'http')
      .set('X-Forwarded-Host', 'other.example.net')
      .set('X-Forwarded-Prefix', '/elsewhere');
    expect(res.headers['x-next-page']).toMatch(/^https:\/\/gis\.example\.com\/cloud\/api\/v1\/users\/\?/);
  });
});

describe('TRUST_PROXY (spec §7)', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' });
    admin = await t.adminToken();
    for (const name of ['proxied1', 'proxied2', 'proxied3']) await t.createPerson(name);
  });
  afterAll(() => t.close());

  it('honours X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Prefix from a trusted peer', async () => {
    const res = await request(t.http)
      .get('/api/v1/users/?q=proxied&limit=1&offset=1')
      .set(auth(admin))
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'gis.example.com')
      .set('X-Forwarded-Prefix', '/cloud');
    const next = new URL(res.headers['x-next-page']);
    expect(next.origin + next.pathname).toBe('https://gis.example.com/cloud/api/v1/users/');
    expect(Object.fromEntries(next.searchParams)).toEqual({ q: 'proxied', limit: '1', offset: '2' });
    const previous = new URL(res.headers['x-previous-page']);
    expect(previous.origin + previous.pathname).toBe('https://gis.example.com/cloud/api/v1/users/');
  });

  it('accepts a prefix with a trailing slash without doubling it', async () => {
    const res = await request(t.http)
      .get('/api/v1/users/?q=proxied&limit=1')
      .set(auth(admin))
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'gis.example.com')
      .set('X-Forwarded-Prefix', '/cloud/');
    expect(res.headers['x-next-page']).toMatch(/^https:\/\/gis\.example\.com\/cloud\/api\/v1\/users\/\?/);
  });

  it('falls back to the request itself without forwarded headers', async () => {
    const res = await request(t.http).get('/api/v1/users/?q=proxied&limit=1').set(auth(admin));
    expect(res.headers['x-next-page']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/users\/\?/);
  });
});
