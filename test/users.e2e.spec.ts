import request from 'supertest';
import type { Response } from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError } from './support/expectations.js';

/** The person object's fields, in order, as the person themself and staff see it (spec §4.1). */
const FULL_KEYS = ['username', 'type', 'full_name', 'first_name', 'last_name', 'email', 'avatar_url', 'is_staff', 'storage_quota_bytes', 'storage_used_bytes'];
/** What everybody else sees. */
const PUBLIC_KEYS = ['username', 'type', 'full_name', 'avatar_url'];
/** The reserved words of spec §4. */
const RESERVED = [
  'api', 'auth', 'collaborators', 'docs', 'files', 'members', 'openapi', 'organization', 'organizations', 'owner',
  'project', 'projects', 'public', 'shared_datasets', 'status', 'team', 'teams', 'user', 'users',
];

/** The path and query of an absolute link, to follow it against the test server. */
function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

const noPaginationHeaders = (res: Response) => {
  expect(res.headers['x-total-count']).toBeUndefined();
  expect(res.headers['x-next-page']).toBeUndefined();
  expect(res.headers['x-previous-page']).toBeUndefined();
};

/** Logs in without throwing: the raw response. */
const tryLogin = (t: TestApp, username: string, password: string) => request(t.http).post('/api/v1/auth/login/').send({ username, password });

describe('Users (spec §4, §4.1, §7)', () => {
  let t: TestApp;
  let admin: string;
  /** A plain (non-staff) person. */
  let plain: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
    plain = await t.createPerson('plain_pat');
  });
  afterAll(() => t.close());

  const create = (body: Record<string, unknown>, token = admin) => request(t.http).post('/api/v1/users/').set(auth(token)).send(body);
  const getUser = (name: string, token = admin) => request(t.http).get(`/api/v1/users/${name}/`).set(auth(token));
  const patch = (name: string, body: Record<string, unknown>, token: string) => request(t.http).patch(`/api/v1/users/${name}/`).set(auth(token)).send(body);

  describe('POST /api/v1/users/', () => {
    it('answers 401 not_authenticated without a token', async () => {
      const res = await request(t.http).post('/api/v1/users/').send({ username: 'anon_made', email: 'anon_made@example.com', password: 'long-enough' });
      expectError(res, 401, 'not_authenticated');
      expectError(await getUser('anon_made'), 404, 'object_not_found');
    });

    it('answers 403 permission_denied to a person who is not staff, and creates nothing', async () => {
      const res = await create({ username: 'by_plain', email: 'by_plain@example.com', password: 'long-enough' }, plain);
      expectError(res, 403, 'permission_denied');
      expectError(await getUser('by_plain'), 404, 'object_not_found');
    });

    it('creates a person as staff: 201 with the full person object, and the person can log in', async () => {
      const res = await create({ username: 'ada_l', email: 'ada@example.com', password: 'analytical-engine', first_name: 'Ada', last_name: 'Lovelace' });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body)).toEqual(FULL_KEYS);
      expect(res.body).toEqual({
        username: 'ada_l',
        type: 1,
        full_name: 'Ada Lovelace',
        first_name: 'Ada',
        last_name: 'Lovelace',
        email: 'ada@example.com',
        avatar_url: null,
        is_staff: false,
        storage_quota_bytes: t.config.defaultStorageQuotaBytes,
        storage_used_bytes: 0,
      });
      const login = await tryLogin(t, 'ada_l', 'analytical-engine');
      expect(login.status).toBe(200);
    });

    it('creates a person from a form body, first and last name optional', async () => {
      const res = await request(t.http).post('/api/v1/users/').set(auth(admin)).type('form')
        .send({ username: 'form_made', email: 'form_made@example.com', password: 'long-enough' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ username: 'form_made', first_name: '', last_name: '', full_name: '', email: 'form_made@example.com' });
    });

    it.each(['username', 'email', 'password'])('requires %s (400 validation_error naming it)', async (missing) => {
      const body: Record<string, string> = { username: `req_${missing}`, email: `req_${missing}@example.com`, password: 'long-enough' };
      delete body[missing];
      const res = await create(body);
      expectError(res, 400, 'validation_error', missing);
      if (missing !== 'username') expectError(await getUser(`req_${missing}`), 404, 'object_not_found');
    });

    it('refuses a password shorter than 8 characters, naming password; 8 characters are enough', async () => {
      const short = await create({ username: 'short_pw', email: 'short_pw@example.com', password: '1234567' });
      expectError(short, 400, 'validation_error', 'password');
      expectError(await getUser('short_pw'), 404, 'object_not_found');
      const eight = await create({ username: 'eight_pw', email: 'eight_pw@example.com', password: '12345678' });
      expect(eight.status).toBe(201);
      expect((await tryLogin(t, 'eight_pw', '12345678')).status).toBe(200);
    });

    it.each(['not-an-email', 'missing-at.example.com', 'two@@example.com', ''])('refuses the invalid e-mail %j, naming email', async (email) => {
      const res = await create({ username: 'bad_mail', email, password: 'long-enough' });
      expectError(res, 400, 'validation_error', 'email');
      expectError(await getUser('bad_mail'), 404, 'object_not_found');
    });

    it('refuses a name shorter than 3 characters and accepts one of exactly 3', async () => {
      expectError(await create({ username: 'ab', email: 'ab@example.com', password: 'long-enough' }), 400, 'validation_error', 'username');
      expect((await create({ username: 'abc', email: 'abc@example.com', password: 'long-enough' })).status).toBe(201);
    });

    it('refuses a name of 151 characters and accepts one of exactly 150', async () => {
      const long = 'L' + 'x'.repeat(150);
      expectError(await create({ username: long, email: 'long151@example.com', password: 'long-enough' }), 400, 'validation_error', 'username');
      const max = 'M' + 'x'.repeat(149);
      const res = await create({ username: max, email: 'long150@example.com', password: 'long-enough' });
      expect(res.status).toBe(201);
      expect(res.body.username).toBe(max);
    });

    it.each([
      ['starting with a digit', '1abc'],
      ['starting with an underscore', '_abc'],
      ['starting with a hyphen', '-abc'],
      ['containing a dot', 'ab.cd'],
      ['containing a space', 'ab cd'],
      ['containing an @', 'ab@cd'],
      ['containing a slash', 'ab/cd'],
    ])('refuses a name %s (%j), naming username', async (_, username) => {
      const res = await create({ username, email: 'badname@example.com', password: 'long-enough' });
      expectError(res, 400, 'validation_error', 'username');
    });

    it('accepts a name of a letter then letters, digits, "-" and "_"', async () => {
      const res = await create({ username: 'z9-a_B', email: 'z9ab@example.com', password: 'long-enough' });
      expect(res.status).toBe(201);
      expect(res.body.username).toBe('z9-a_B');
    });

    it('refuses every reserved word of §4, in lower, upper and mixed case', async () => {
      for (const word of RESERVED) {
        const mixed = word[0].toUpperCase() + word.slice(1);
        for (const username of [word, word.toUpperCase(), mixed]) {
          const res = await create({ username, email: `r_${username}@example.com`, password: 'long-enough' });
          expect({ username, status: res.status, code: res.body.code }).toEqual({ username, status: 400, code: 'validation_error' });
          expect(Object.keys(res.body.detail)).toContain('username');
        }
      }
      // Words that merely contain a reserved word are fine.
      expect((await create({ username: 'apis', email: 'apis@example.com', password: 'long-enough' })).status).toBe(201);
      expect((await create({ username: 'my_users', email: 'my_users@example.com', password: 'long-enough' })).status).toBe(201);
    });

    it('keeps names unique case-insensitively: Alice after alice is 400 naming username', async () => {
      expect((await create({ username: 'alice', email: 'alice1@example.com', password: 'long-enough' })).status).toBe(201);
      for (const [i, username] of ['Alice', 'ALICE', 'alice', 'aLiCe'].entries()) {
        const res = await create({ username, email: `alice_dup${i}@example.org`, password: 'long-enough' });
        expectError(res, 400, 'validation_error', 'username');
      }
      const list = await request(t.http).get('/api/v1/users/?q=alice').set(auth(admin));
      expect(list.body.map((u: { username: string }) => u.username)).toEqual(['alice']);
    });

    it('keeps e-mail addresses unique case-insensitively (400 naming email)', async () => {
      expect((await create({ username: 'mail_one', email: 'Shared.Mail@Example.com', password: 'long-enough' })).status).toBe(201);
      const res = await create({ username: 'mail_two', email: 'shared.mail@example.COM', password: 'long-enough' });
      expectError(res, 400, 'validation_error', 'email');
      expectError(await getUser('mail_two'), 404, 'object_not_found');
    });

    it('keeps the case a name was created with', async () => {
      const res = await create({ username: 'MixedCase_Name', email: 'mixedcase@example.com', password: 'long-enough' });
      expect(res.status).toBe(201);
      expect(res.body.username).toBe('MixedCase_Name');
      expect((await getUser('mixedcase_name')).body.username).toBe('MixedCase_Name');
      const list = await request(t.http).get('/api/v1/users/?q=MIXEDCASE').set(auth(admin));
      expect(list.body.map((u: { username: string }) => u.username)).toEqual(['MixedCase_Name']);
      const login = await tryLogin(t, 'MIXEDCASE_NAME', 'long-enough');
      expect(login.status).toBe(200);
      expect(login.body.username).toBe('MixedCase_Name');
    });
  });

  describe('field visibility', () => {
    let vera: string;
    beforeAll(async () => {
      vera = await t.createPerson('vera_vis');
      expect((await patch('vera_vis', { first_name: 'Vera', last_name: 'Visible' }, vera)).status).toBe(200);
    });

    it('shows a person their own full object, fields in order', async () => {
      const res = await getUser('vera_vis', vera);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(FULL_KEYS);
      expect(res.body).toMatchObject({ username: 'vera_vis', full_name: 'Vera Visible', email: 'vera_vis@example.com', is_staff: false });
      const me = await request(t.http).get('/api/v1/auth/user/').set(auth(vera));
      expect(Object.keys(me.body)).toEqual(FULL_KEYS);
    });

    it('shows staff the full object of anyone, fields in order', async () => {
      const res = await getUser('vera_vis', admin);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(FULL_KEYS);
      expect(res.body).toMatchObject({ email: 'vera_vis@example.com', storage_quota_bytes: t.config.defaultStorageQuotaBytes, storage_used_bytes: 0 });
      const adminSeen = await getUser('admin', vera);
      expect(Object.keys(adminSeen.body)).toEqual(PUBLIC_KEYS);
    });

    it('shows other persons exactly {username, type, full_name, avatar_url}', async () => {
      const res = await getUser('vera_vis', plain);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(PUBLIC_KEYS);
      expect(res.body).toEqual({ username: 'vera_vis', type: 1, full_name: 'Vera Visible', avatar_url: null });
    });

    it('applies the same visibility in the list', async () => {
      const byOther = await request(t.http).get('/api/v1/users/?q=vera_vis').set(auth(plain));
      expect(byOther.body).toEqual([{ username: 'vera_vis', type: 1, full_name: 'Vera Visible', avatar_url: null }]);
      const bySelf = await request(t.http).get('/api/v1/users/?q=vera_vis').set(auth(vera));
      expect(Object.keys(bySelf.body[0])).toEqual(FULL_KEYS);
      const byStaff = await request(t.http).get('/api/v1/users/?q=vera_vis').set(auth(admin));
      expect(Object.keys(byStaff.body[0])).toEqual(FULL_KEYS);
    });
  });

  describe('GET /api/v1/users/ (search and pagination)', () => {
    const PAGER = ['pager01', 'pager02', 'pager03', 'pager04', 'pager05', 'pager06', 'pager07'];
    const list = (query: string, token = admin) => request(t.http).get(`/api/v1/users/${query}`).set(auth(token));
    const names = (res: Response) => (res.body as { username: string }[]).map((u) => u.username);

    beforeAll(async () => {
      // Created out of order, so an order by creation would show.
      for (const name of [...PAGER].reverse()) await create({ username: name, email: `${name}@example.com`, password: 'long-enough' });
      for (const name of ['CaseHunter', 'under_score1', 'underxscore2']) await create({ username: name, email: `${name}@example.com`, password: 'long-enough' });
    });

    it('answers 401 not_authenticated without a token', async () => {
      expectError(await request(t.http).get('/api/v1/users/'), 401, 'not_authenticated');
    });

    it('finds names containing q, case-insensitively, anywhere in the name', async () => {
      for (const q of ['SEHUN', 'sehun', 'casehunter', 'CASEHUNTER', 'hunter']) {
        const res = await list(`?q=${q}`);
        expect(res.status).toBe(200);
        expect(names(res)).toEqual(['CaseHunter']);
      }
      expect(names(await list('?q=nobody-has-this'))).toEqual([]);
    });

    it('treats "_" in q literally, not as a LIKE wildcard', async () => {
      expect(names(await list('?q=r_s'))).toEqual(['under_score1']);
      expect(names(await list('?q=under_'))).toEqual(['under_score1']);
    });

    it('treats "%" in q literally, not as a LIKE wildcard', async () => {
      expect(names(await list(`?q=${encodeURIComponent('%')}`))).toEqual([]);
      expect(names(await list(`?q=${encodeURIComponent('under%score')}`))).toEqual([]);
      expect(names(await list(`?q=${encodeURIComponent('p%r')}`))).toEqual([]);
    });

    it('lists everyone without q', async () => {
      const res = await list('');
      expect(res.status).toBe(200);
      expect(names(res)).toEqual(expect.arrayContaining(['admin', 'plain_pat', ...PAGER, 'CaseHunter']));
    });

    it('accepts exclude_organizations=1 and still lists persons', async () => {
      for (const value of ['1', 'true', 'True']) {
        const res = await list(`?q=pager&exclude_organizations=${value}`);
        expect(res.status).toBe(200);
        expect(names(res).sort()).toEqual(PAGER);
      }
    });

    it('answers a bare JSON array, the whole list and no pagination headers without limit', async () => {
      const res = await list('?q=pager');
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(names(res).sort()).toEqual(PAGER);
      noPaginationHeaders(res);
    });

    it('answers the whole list without headers for limit=0 and for an empty limit', async () => {
      for (const query of ['?q=pager&limit=0', '?q=pager&limit=', '?q=pager&limit=&offset=']) {
        const res = await list(query);
        expect(res.status).toBe(200);
        expect(names(res).sort()).toEqual(PAGER);
        noPaginationHeaders(res);
      }
    });

    it('paginates with limit: X-Total-Count and an absolute X-Next-Page that keeps q and carries limit and offset; no X-Previous-Page on the first page', async () => {
      const res = await list('?q=pager&limit=3');
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body).toHaveLength(3);
      expect(res.headers['x-total-count']).toBe('7');
      expect(res.headers['x-previous-page']).toBeUndefined();
      const next = new URL(res.headers['x-next-page']);
      expect(next.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/users\/\?/);
      expect(next.searchParams.get('q')).toBe('pager');
      expect(next.searchParams.get('limit')).toBe('3');
      expect(next.searchParams.get('offset')).toBe('3');
      const explicitZero = await list('?q=pager&limit=3&offset=0');
      expect(explicitZero.headers['x-previous-page']).toBeUndefined();
      expect(names(explicitZero)).toEqual(names(res));
    });

    it('keeps every other query parameter in both links', async () => {
      const res = await list('?q=pager&exclude_organizations=1&limit=2&offset=2');
      for (const header of ['x-next-page', 'x-previous-page']) {
        const link = new URL(res.headers[header]);
        expect(link.searchParams.get('q')).toBe('pager');
        expect(link.searchParams.get('exclude_organizations')).toBe('1');
        expect(link.searchParams.getAll('limit')).toEqual(['2']);
      }
    });

    it('sends X-Previous-Page with offset - limit, leaving offset out when that is 0', async () => {
      const second = await list('?q=pager&limit=3&offset=3');
      const toFirst = new URL(second.headers['x-previous-page']);
      expect(toFirst.pathname).toBe('/api/v1/users/');
      expect(toFirst.searchParams.get('q')).toBe('pager');
      expect(toFirst.searchParams.get('limit')).toBe('3');
      expect(toFirst.searchParams.has('offset')).toBe(false);
      expect(new URL(second.headers['x-next-page']).searchParams.get('offset')).toBe('6');

      const uneven = await list('?q=pager&limit=3&offset=2');
      expect(new URL(uneven.headers['x-previous-page']).searchParams.has('offset')).toBe(false);

      const later = await list('?q=pager&limit=2&offset=5');
      expect(new URL(later.headers['x-previous-page']).searchParams.get('offset')).toBe('3');
    });

    it('sends no X-Next-Page on the last page', async () => {
      const last = await list('?q=pager&limit=3&offset=6');
      expect(last.body).toHaveLength(1);
      expect(last.headers['x-total-count']).toBe('7');
      expect(last.headers['x-next-page']).toBeUndefined();
      expect(last.headers['x-previous-page']).toBeDefined();
      const exact = await list('?q=pager&limit=7');
      expect(exact.body).toHaveLength(7);
      expect(exact.headers['x-next-page']).toBeUndefined();
    });

    it('visits every user exactly once when walking the pages through X-Next-Page', async () => {
      const seen: string[] = [];
      let path: string | null = '/api/v1/users/?q=pager&limit=2';
      let pages = 0;
      while (path !== null && pages < 20) {
        const res: Response = await request(t.http).get(path).set(auth(admin));
        expect(res.status).toBe(200);
        expect(res.headers['x-total-count']).toBe('7');
        seen.push(...names(res));
        pages += 1;
        const next = res.headers['x-next-page'] as string | undefined;
        path = next ? pathOf(next) : null;
      }
      expect(pages).toBe(4);
      expect(seen).toHaveLength(PAGER.length);
      expect([...seen].sort()).toEqual(PAGER);
      expect(seen).toEqual(names(await list('?q=pager')));
    });

    it('walks the whole unfiltered list exactly once too', async () => {
      const whole = names(await list(''));
      const seen: string[] = [];
      for (let offset = 0; offset < whole.length + 3; offset += 3) seen.push(...names(await list(`?limit=3&offset=${offset}`)));
      expect(seen).toEqual(whole);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it.each([
      ['limit', 'abc'],
      ['limit', '-1'],
      ['limit', '1.5'],
      ['limit', '2x'],
      ['offset', 'abc'],
      ['offset', '-2'],
      ['offset', '0.5'],
    ])('refuses %s=%s with 400 validation_error naming it', async (field, value) => {
      const query = field === 'limit' ? `?q=pager&limit=${value}` : `?q=pager&limit=2&offset=${value}`;
      expectError(await list(query), 400, 'validation_error', field);
    });

    it('answers [] for an offset past the end', async () => {
      const res = await list('?q=pager&limit=2&offset=100');
      expect(res.status).toBe(200);
      expect(res.body).toEqual([]);
      expect(res.headers['x-total-count']).toBe('7');
      expect(res.headers['x-next-page']).toBeUndefined();
    });

    it('ignores X-Forwarded-* headers when the peer is not trusted (no TRUST_PROXY)', async () => {
      const res = await request(t.http)
        .get('/api/v1/users/?q=pager&limit=2')
        .set(auth(admin))
        .set('X-Forwarded-Proto', 'https')
        .set('X-Forwarded-Host', 'evil.example.net')
        .set('X-Forwarded-Prefix', '/cloud');
      const next = new URL(res.headers['x-next-page']);
      expect(next.protocol).toBe('http:');
      expect(next.hostname).toBe('127.0.0.1');
      expect(next.pathname).toBe('/api/v1/users/');
    });
  });

  describe('GET /api/v1/users/{username}/', () => {
    beforeAll(async () => {
      await create({ username: 'LookupMe', email: 'lookupme@example.com', password: 'long-enough' });
    });

    it('finds an account by name case-insensitively', async () => {
      for (const name of ['LookupMe', 'lookupme', 'LOOKUPME']) {
        const res = await getUser(name, plain);
        expect(res.status).toBe(200);
        expect(res.body.username).toBe('LookupMe');
      }
    });

    it('answers 404 object_not_found for an unknown name', async () => {
      expectError(await getUser('no_such_person', plain), 404, 'object_not_found');
      expectError(await getUser('no_such_person', admin), 404, 'object_not_found');
    });

    it('answers 401 not_authenticated without a token', async () => {
      expectError(await request(t.http).get('/api/v1/users/LookupMe/'), 401, 'not_authenticated');
    });

    it('sends no pagination headers on the object, and ignores limit/offset there', async () => {
      const res = await request(t.http).get('/api/v1/users/LookupMe/?limit=abc&offset=1').set(auth(plain));
      expect(res.status).toBe(200);
      expect(res.body.username).toBe('LookupMe');
      noPaginationHeaders(res);
    });
  });

  describe('PATCH and PUT /api/v1/users/{username}/', () => {
    let pia: string;
    let quinn: string;
    beforeAll(async () => {
      pia = await t.createPerson('pia_self');
      quinn = await t.createPerson('quinn_other');
    });

    it('lets a person change their own first_name and last_name', async () => {
      const res = await patch('pia_self', { first_name: 'Pia', last_name: 'Selfridge' }, pia);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(FULL_KEYS);
      expect(res.body).toMatchObject({ username: 'pia_self', first_name: 'Pia', last_name: 'Selfridge', full_name: 'Pia Selfridge' });
      expect((await getUser('pia_self', plain)).body.full_name).toBe('Pia Selfridge');
    });

    it('lets a person change their own email', async () => {
      const res = await patch('pia_self', { email: 'pia.new@example.com' }, pia);
      expect(res.status).toBe(200);
      expect(res.body.email).toBe('pia.new@example.com');
      expect((await getUser('pia_self', admin)).body.email).toBe('pia.new@example.com');
      expect((await tryLogin(t, 'pia.new@example.com', 'pia_self-password')).status).toBe(200);
    });

    it('refuses an invalid e-mail (400 naming email) and one taken case-insensitively', async () => {
      expectError(await patch('pia_self', { email: 'not-an-email' }, pia), 400, 'validation_error', 'email');
      expectError(await patch('pia_self', { email: 'QUINN_OTHER@example.com' }, pia), 400, 'validation_error', 'email');
      expect((await getUser('pia_self', admin)).body.email).toBe('pia.new@example.com');
    });

    it('lets a person change their own password, then log in with the new one only', async () => {
      const res = await patch('pia_self', { password: 'a-brand-new-secret' }, pia);
      expect(res.status).toBe(200);
      expect(res.body).not.toHaveProperty('password');
      expect((await tryLogin(t, 'pia_self', 'a-brand-new-secret')).status).toBe(200);
      expectError(await tryLogin(t, 'pia_self', 'pia_self-password'), 401, 'authentication_failed');
    });

    it('refuses a new password under 8 characters, naming password', async () => {
      expectError(await patch('pia_self', { password: 'short' }, pia), 400, 'validation_error', 'password');
      expect((await tryLogin(t, 'pia_self', 'a-brand-new-secret')).status).toBe(200);
    });

    it("answers 403 permission_denied for another person's record, and changes nothing", async () => {
      const before = (await getUser('quinn_other', admin)).body;
      for (const body of [{ first_name: 'Hacked' }, { email: 'hacked@example.com' }, { password: 'hacked-password' }, {}]) {
        expectError(await patch('quinn_other', body, pia), 403, 'permission_denied');
      }
      expect((await getUser('quinn_other', admin)).body).toEqual(before);
      expect((await tryLogin(t, 'quinn_other', 'quinn_other-password')).status).toBe(200);
    });

    it('answers 403 permission_denied when a person changes their own storage_quota_bytes', async () => {
      expectError(await patch('pia_self', { storage_quota_bytes: 999999999999 }, pia), 403, 'permission_denied');
      expect((await getUser('pia_self', pia)).body.storage_quota_bytes).toBe(t.config.defaultStorageQuotaBytes);
    });

    it('answers 403 permission_denied when a person changes their own is_active', async () => {
      expectError(await patch('pia_self', { is_active: false }, pia), 403, 'permission_denied');
      expect((await getUser('pia_self', pia)).status).toBe(200);
    });

    it("lets staff change anyone's names, email and password", async () => {
      const res = await patch('quinn_other', { first_name: 'Quinn', last_name: 'Other', email: 'quinn.staffset@example.com', password: 'staff-chosen-pw' }, admin);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(FULL_KEYS);
      expect(res.body).toMatchObject({ username: 'quinn_other', full_name: 'Quinn Other', first_name: 'Quinn', last_name: 'Other', email: 'quinn.staffset@example.com' });
      expect((await tryLogin(t, 'quinn_other', 'staff-chosen-pw')).status).toBe(200);
    });

    it("lets staff change anyone's storage_quota_bytes", async () => {
      const res = await patch('quinn_other', { storage_quota_bytes: 5_000_000 }, admin);
      expect(res.status).toBe(200);
      expect(res.body.storage_quota_bytes).toBe(5_000_000);
      expect((await getUser('quinn_other', quinn)).body.storage_quota_bytes).toBe(5_000_000);
    });

    it('refuses a negative or non-integer storage_quota_bytes with 400 naming it', async () => {
      expectError(await patch('quinn_other', { storage_quota_bytes: -1 }, admin), 400, 'validation_error', 'storage_quota_bytes');
      expectError(await patch('quinn_other', { storage_quota_bytes: 'lots' }, admin), 400, 'validation_error', 'storage_quota_bytes');
    });

    it('lets staff set is_active=false: login fails and existing tokens answer 401 token_authentication_failed; true restores login', async () => {
      const token = await t.login('quinn_other', 'staff-chosen-pw');
      expect((await getUser('quinn_other', token)).status).toBe(200);
      const off = await patch('quinn_other', { is_active: false }, admin);
      expect(off.status).toBe(200);
      expectError(await tryLogin(t, 'quinn_other', 'staff-chosen-pw'), 401, 'authentication_failed');
      expectError(await getUser('quinn_other', token), 401, 'token_authentication_failed');
      expectError(await request(t.http).get('/api/v1/auth/user/').set(auth(quinn)), 401, 'token_authentication_failed');
      const on = await patch('quinn_other', { is_active: true }, admin);
      expect(on.status).toBe(200);
      expect((await tryLogin(t, 'quinn_other', 'staff-chosen-pw')).status).toBe(200);
    });

    it.each(['first_name', 'last_name', 'email', 'password'])('refuses a JSON null %s with 400 validation_error naming it, and changes nothing', async (field) => {
      const before = (await getUser('pia_self', admin)).body;
      expectError(await patch('pia_self', { [field]: null }, pia), 400, 'validation_error', field);
      expectError(await patch('pia_self', { [field]: null }, admin), 400, 'validation_error', field);
      expect((await getUser('pia_self', admin)).body).toEqual(before);
    });

    it('refuses a JSON null is_active from staff with 400 naming it', async () => {
      expectError(await patch('quinn_other', { is_active: null }, admin), 400, 'validation_error', 'is_active');
      expect((await getUser('quinn_other', quinn)).status).toBe(200);
    });

    it('refuses an is_active that is not a boolean, naming it', async () => {
      expectError(await patch('quinn_other', { is_active: 'yes' }, admin), 400, 'validation_error', 'is_active');
    });

    it('ignores the read-only fields username and type', async () => {
      const res = await patch('pia_self', { username: 'pia_renamed', type: 2, last_name: 'Readonly' }, pia);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ username: 'pia_self', type: 1, last_name: 'Readonly' });
      expect((await getUser('pia_self', admin)).body.username).toBe('pia_self');
      expectError(await getUser('pia_renamed', admin), 404, 'object_not_found');
    });

    it('answers the unchanged object to an empty PATCH (JSON {} and no body at all)', async () => {
      const before = (await getUser('pia_self', pia)).body;
      const empty = await patch('pia_self', {}, pia);
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual(before);
      expect(Object.keys(empty.body)).toEqual(FULL_KEYS);
      const none = await request(t.http).patch('/api/v1/users/pia_self/').set(auth(pia));
      expect(none.status).toBe(200);
      expect(none.body).toEqual(before);
    });

    it('takes form bodies with booleans True and 0, and a numeric quota as text', async () => {
      await create({ username: 'formy_fay', email: 'formy_fay@example.com', password: 'long-enough' });
      const form = (body: string) => request(t.http).patch('/api/v1/users/formy_fay/').set(auth(admin)).type('form').send(body);
      const off = await form('is_active=0&storage_quota_bytes=4242&first_name=Fay');
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({ first_name: 'Fay', storage_quota_bytes: 4242 });
      expectError(await tryLogin(t, 'formy_fay', 'long-enough'), 401, 'authentication_failed');
      const on = await form('is_active=True');
      expect(on.status).toBe(200);
      expect((await tryLogin(t, 'formy_fay', 'long-enough')).status).toBe(200);
      const multipart = await request(t.http).patch('/api/v1/users/formy_fay/').set(auth(admin)).field('is_active', 'False').field('last_name', 'Multi');
      expect(multipart.status).toBe(200);
      expect(multipart.body.last_name).toBe('Multi');
      expectError(await tryLogin(t, 'formy_fay', 'long-enough'), 401, 'authentication_failed');
    });

    it('treats PUT like PATCH: a partial body changes only the given fields, with the same permissions', async () => {
      const before = (await getUser('pia_self', pia)).body;
      const res = await request(t.http).put('/api/v1/users/pia_self/').set(auth(pia)).send({ first_name: 'Putty' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...before, first_name: 'Putty', full_name: `Putty ${before.last_name}` });
      expectError(await request(t.http).put('/api/v1/users/quinn_other/').set(auth(pia)).send({ first_name: 'Nope' }), 403, 'permission_denied');
      expectError(await request(t.http).put('/api/v1/users/pia_self/').set(auth(pia)).send({ storage_quota_bytes: 1 }), 403, 'permission_denied');
      const byStaff = await request(t.http).put('/api/v1/users/pia_self/').set(auth(admin)).type('form').send('storage_quota_bytes=777');
      expect(byStaff.status).toBe(200);
      expect(byStaff.body.storage_quota_bytes).toBe(777);
      expectError(await request(t.http).put('/api/v1/users/no_such_put/').set(auth(admin)).send({ first_name: 'X' }), 404, 'object_not_found');
    });

    it('answers 404 object_not_found for an unknown user', async () => {
      expectError(await patch('no_such_patch', { first_name: 'X' }, admin), 404, 'object_not_found');
    });

    it('answers 401 not_authenticated without a token', async () => {
      expectError(await request(t.http).patch('/api/v1/users/pia_self/').send({ first_name: 'Anon' }), 401, 'not_authenticated');
    });
  });

  describe('DELETE /api/v1/users/{username}/', () => {
    it('answers 403 permission_denied to a person who is not staff (others and themself), and deletes nothing', async () => {
      const victimToken = await t.createPerson('del_victim');
      expectError(await request(t.http).delete('/api/v1/users/del_victim/').set(auth(plain)), 403, 'permission_denied');
      expectError(await request(t.http).delete('/api/v1/users/del_victim/').set(auth(victimToken)), 403, 'permission_denied');
      expect((await getUser('del_victim', admin)).status).toBe(200);
      expect((await getUser('del_victim', victimToken)).status).toBe(200);
    });

    it('answers 401 not_authenticated without a token', async () => {
      expectError(await request(t.http).delete('/api/v1/users/del_victim/'), 401, 'not_authenticated');
    });

    it("lets staff delete a person: 204 with an empty body, the person's tokens stop working, then 404", async () => {
      const token = await t.createPerson('del_gone');
      const second = await t.login('del_gone', 'del_gone-password', 'Mozilla/5.0');
      const res = await request(t.http).delete('/api/v1/users/DEL_GONE/').set(auth(admin));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      for (const tk of [token, second]) {
        expectError(await request(t.http).get('/api/v1/auth/user/').set(auth(tk)), 401, 'token_authentication_failed');
      }
      expectError(await getUser('del_gone', admin), 404, 'object_not_found');
      expectError(await tryLogin(t, 'del_gone', 'del_gone-password'), 401, 'authentication_failed');
      const names = (await request(t.http).get('/api/v1/users/?q=del_gone').set(auth(admin))).body;
      expect(names).toEqual([]);
    });

    it('answers 404 object_not_found for an unknown person', async () => {
      expectError(await request(t.http).delete('/api/v1/users/no_such_delete/').set(auth(admin)), 404, 'object_not_found');
    });
  });
});

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
    const created = await request(t.http).post('/api/v1/users/').set(auth(admin)).send({ username: 'quota_new', email: 'quota_new@example.com', password: 'long-enough' });
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

describe('Users and their projects (spec §4.1, §8)', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  it('refuses to delete a person who owns a project (400), and deletes them once it is gone', async () => {
    const owner = await t.createPerson('projectowner');
    const project = await request(t.http).post('/api/v1/projects/').set(auth(owner)).send({ name: 'keeps-me' });
    expect(project.status).toBe(201);
    const refused = await request(t.http).delete('/api/v1/users/projectowner/').set(auth(admin));
    expectError(refused, 400, 'validation_error');
    expect((await request(t.http).get('/api/v1/users/projectowner/').set(auth(admin))).status).toBe(200);
    expect((await request(t.http).delete(`/api/v1/projects/${project.body.id}/`).set(auth(owner))).status).toBe(204);
    expect((await request(t.http).delete('/api/v1/users/projectowner/').set(auth(admin))).status).toBe(204);
  });

  it('reports storage_used_bytes as the sum of file_storage_bytes over the projects the person owns', async () => {
    const owner = await t.createPerson('storageuser');
    for (const name of ['a', 'b']) expect((await request(t.http).post('/api/v1/projects/').set(auth(owner)).send({ name })).status).toBe(201);
    await t.sql(`UPDATE projects SET file_storage_bytes = CASE name WHEN 'a' THEN 1000 ELSE 234 END WHERE owner_id = (SELECT id FROM accounts WHERE username = 'storageuser')`);
    const me = await request(t.http).get('/api/v1/auth/user/').set(auth(owner));
    expect(me.body.storage_used_bytes).toBe(1234);
  });
});
