import request from 'supertest';
import type { Response } from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError } from './support/expectations.js';
import { RESERVED } from './support/kit.js';
import { FULL_KEYS, noPaginationHeaders, pathOf, PUBLIC_KEYS, tryLogin, usersApi } from './support/users-fixtures.js';

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
  const { create, getUser, patch } = usersApi(
    () => t,
    () => admin,
  );

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
      const res = await request(t.http)
        .post('/api/v1/users/')
        .set(auth(admin))
        .type('form')
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
      for (const name of ['CaseHunter', 'under_score1', 'underxscore2'])
        await create({ username: name, email: `${name}@example.com`, password: 'long-enough' });
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
});
