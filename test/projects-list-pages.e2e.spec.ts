import { startTestApp, type TestApp } from './support/test-app.js';
import { createProject } from './support/kit.js';
import { get, ids, list, PAGE_HEADERS, queryOf, type Project } from './support/project-lists.js';

// Spec §5.2 (GET /projects/), §5.3 (GET /projects/public/), §5.4 (GET /projects/{id}/), §6.2 (the role
// of the caller as every listing and GET one show it) and §7 (pagination, absolute URLs, proxies).

describe('ordering (spec §5.2)', () => {
  let t: TestApp;
  let viewer: string;
  let all: Project[];
  const base = '/api/v1/projects/?include_public=1';

  type Key = 'owner' | 'name' | 'created_at';
  /** The expected order: the given keys (owner and name case-insensitively), then id ascending. */
  const expectedOrder = (terms: Array<[Key | 'featured', 1 | -1]>): string[] =>
    [...all]
      .sort((a, b) => {
        for (const [key, direction] of terms) {
          const value = (p: Project) =>
            key === 'featured' ? (p.is_featured ? 0 : 1) : key === 'created_at' ? new Date(p.created_at).getTime() : p[key].toLowerCase();
          const x = value(a);
          const y = value(b);
          if (x < y) return -direction;
          if (x > y) return direction;
        }
        return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      })
      .map((p) => p.id);
  const ordered = async (ordering: string) => ids(await list(t, `${base}&ordering=${ordering}`, viewer));

  beforeAll(async () => {
    t = await startTestApp();
    const anna = await t.createPerson('anna');
    const bert = await t.createPerson('Bert');
    const carl = await t.createPerson('carl');
    viewer = await t.createPerson('viewer');
    for (const name of ['zeta', 'Alpha', 'mid']) await createProject<Project>(t, anna, { name, is_public: true });
    for (const name of ['beta', 'Alpha']) await createProject<Project>(t, bert, { name, is_public: true });
    await createProject<Project>(t, carl, { name: 'alpha', is_public: true });
    await createProject<Project>(t, carl, { name: 'Zeta', is_public: true, is_featured: true });
    // created_at in an order unrelated to the names, with one tie (carl/alpha and anna/zeta).
    const days: Record<string, number> = { 'anna/zeta': 3, 'anna/Alpha': 5, 'anna/mid': 1, 'Bert/beta': 2, 'Bert/Alpha': 6, 'carl/alpha': 3, 'carl/Zeta': 4 };
    for (const [key, day] of Object.entries(days)) {
      const [owner, name] = key.split('/');
      await t.sql(`UPDATE projects SET created_at = $1 WHERE name = $2 AND owner_id = (SELECT id FROM accounts WHERE username = $3)`, [
        `2026-01-0${day}T10:00:00.000Z`,
        name,
        owner,
      ]);
    }
    all = await list(t, base, viewer);
    if (all.length !== 7) throw new Error(`expected 7 projects, got ${all.length}`);
  });
  afterAll(() => t.close());

  it('orders by default featured first, then owner, then name (case-insensitive), then id', async () => {
    expect(ids(await list(t, base, viewer))).toEqual(
      expectedOrder([
        ['featured', 1],
        ['owner', 1],
        ['name', 1],
      ]),
    );
  });

  it('puts the featured project first by default', async () => {
    const [first] = await list(t, base, viewer);
    expect(`${first.owner}/${first.name}`).toBe('carl/Zeta');
  });

  it('compares owners case-insensitively in the default order (anna before Bert)', async () => {
    const owners = (await list(t, base, viewer)).slice(1).map((p) => p.owner);
    expect(owners).toEqual(['anna', 'anna', 'anna', 'Bert', 'Bert', 'carl']);
  });

  it('ordering=owner,name', async () => {
    expect(await ordered('owner,name')).toEqual(
      expectedOrder([
        ['owner', 1],
        ['name', 1],
      ]),
    );
  });

  it('ordering=name,owner applies the fields in the order given', async () => {
    const expected = expectedOrder([
      ['name', 1],
      ['owner', 1],
    ]);
    expect(await ordered('name,owner')).toEqual(expected);
    expect(expected).not.toEqual(
      expectedOrder([
        ['owner', 1],
        ['name', 1],
      ]),
    );
  });

  it('ordering=-owner,name', async () => {
    expect(await ordered('-owner,name')).toEqual(
      expectedOrder([
        ['owner', -1],
        ['name', 1],
      ]),
    );
  });

  it('ordering=-name,-owner', async () => {
    expect(await ordered('-name,-owner')).toEqual(
      expectedOrder([
        ['name', -1],
        ['owner', -1],
      ]),
    );
  });

  it('ordering=name compares case-insensitively and breaks ties by id ascending', async () => {
    const result = await list(t, `${base}&ordering=name`, viewer);
    expect(ids(result)).toEqual(expectedOrder([['name', 1]]));
    const alphas = result.filter((p) => p.name.toLowerCase() === 'alpha').map((p) => p.id);
    expect(alphas).toHaveLength(3);
    expect(alphas).toEqual([...alphas].sort());
  });

  it('ordering=created_at, ties broken by id ascending', async () => {
    const result = await ordered('created_at');
    expect(result).toEqual(expectedOrder([['created_at', 1]]));
  });

  it('ordering=-created_at, ties still broken by id ascending', async () => {
    expect(await ordered('-created_at')).toEqual(expectedOrder([['created_at', -1]]));
  });

  it('ordering=-created_at,-name', async () => {
    expect(await ordered('-created_at,-name')).toEqual(
      expectedOrder([
        ['created_at', -1],
        ['name', -1],
      ]),
    );
  });

  it('ignores unknown fields', async () => {
    expect(await ordered('bogus,name')).toEqual(expectedOrder([['name', 1]]));
    expect(await ordered('name,-bogus,owner')).toEqual(
      expectedOrder([
        ['name', 1],
        ['owner', 1],
      ]),
    );
  });

  it('falls back to the default order when every field is unknown', async () => {
    expect(await ordered('bogus,updated_at')).toEqual(
      expectedOrder([
        ['featured', 1],
        ['owner', 1],
        ['name', 1],
      ]),
    );
  });

  it('orders GET /projects/public/ the same way', async () => {
    expect(ids(await list(t, '/api/v1/projects/public/?ordering=-name,owner', viewer))).toEqual(
      expectedOrder([
        ['name', -1],
        ['owner', 1],
      ]),
    );
    expect(ids(await list(t, '/api/v1/projects/public/', viewer))).toEqual(
      expectedOrder([
        ['featured', 1],
        ['owner', 1],
        ['name', 1],
      ]),
    );
  });
});

// ---------------------------------------------------------------------------------------------------

describe('pagination (spec §7)', () => {
  let t: TestApp;
  let pager: string;
  let own: Project[];

  beforeAll(async () => {
    t = await startTestApp();
    pager = await t.createPerson('pager');
    for (let i = 1; i <= 7; i++) await createProject<Project>(t, pager, { name: `n${i}` });
    // Three equally named public projects of other owners: ties that only the id breaks.
    for (const owner of ['pone', 'ptwo', 'pthree']) await createProject<Project>(t, await t.createPerson(owner), { name: 'same', is_public: true });
    await createProject<Project>(t, pager, { name: 'same', is_public: true });
    own = await list(t, '/api/v1/projects/', pager);
    if (own.length !== 8) throw new Error(`expected 8 own projects, got ${own.length}`);
  });
  afterAll(() => t.close());

  it('answers a bare array without pagination headers when no limit is given', async () => {
    const res = await get(t, '/api/v1/projects/', pager);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body).toHaveLength(8);
    for (const header of PAGE_HEADERS) expect(res.headers[header]).toBeUndefined();
  });

  it.each(['limit=0', 'limit='])('answers the whole list without headers with %s', async (param) => {
    const res = await get(t, `/api/v1/projects/?${param}`, pager);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(ids(own));
    for (const header of PAGE_HEADERS) expect(res.headers[header]).toBeUndefined();
  });

  it('answers the first page with X-Total-Count and X-Next-Page, without X-Previous-Page', async () => {
    const res = await get(t, '/api/v1/projects/?limit=3', pager);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(ids(own).slice(0, 3));
    expect(res.headers['x-total-count']).toBe('8');
    expect(res.headers['x-previous-page']).toBeUndefined();
    expect(res.headers['x-next-page']).toMatch(/^http:\/\/[^/]+\/api\/v1\/projects\/\?/);
    expect(queryOf(res.headers['x-next-page'])).toEqual({ limit: '3', offset: '3' });
  });

  it('answers a middle page with both links; the previous one leaves out offset=0', async () => {
    const res = await get(t, '/api/v1/projects/?limit=3&offset=3', pager);
    expect(ids(res.body)).toEqual(ids(own).slice(3, 6));
    expect(res.headers['x-total-count']).toBe('8');
    expect(queryOf(res.headers['x-next-page'])).toEqual({ limit: '3', offset: '6' });
    expect(queryOf(res.headers['x-previous-page'])).toEqual({ limit: '3' });
    expect(res.headers['x-previous-page']).toMatch(/^http:\/\/[^/]+\/api\/v1\/projects\/\?/);
  });

  it('computes the previous offset as max(0, offset - limit)', async () => {
    const res = await get(t, '/api/v1/projects/?limit=3&offset=4', pager);
    expect(queryOf(res.headers['x-previous-page'])).toEqual({ limit: '3', offset: '1' });
    const low = await get(t, '/api/v1/projects/?limit=3&offset=1', pager);
    expect(queryOf(low.headers['x-previous-page'])).toEqual({ limit: '3' });
  });

  it('answers the last page without X-Next-Page', async () => {
    const res = await get(t, '/api/v1/projects/?limit=3&offset=6', pager);
    expect(ids(res.body)).toEqual(ids(own).slice(6));
    expect(res.headers['x-total-count']).toBe('8');
    expect(res.headers['x-next-page']).toBeUndefined();
    expect(queryOf(res.headers['x-previous-page'])).toEqual({ limit: '3', offset: '3' });
  });

  it('answers a page that ends exactly at the total without X-Next-Page', async () => {
    const res = await get(t, '/api/v1/projects/?limit=4&offset=4', pager);
    expect(res.body).toHaveLength(4);
    expect(res.headers['x-next-page']).toBeUndefined();
  });

  it('keeps every other query parameter in both links', async () => {
    const res = await get(t, '/api/v1/projects/?include_public=1&ordering=-name&search=e&limit=2&offset=2', pager);
    expect(res.status).toBe(200);
    expect(queryOf(res.headers['x-next-page'])).toEqual({ include_public: '1', ordering: '-name', search: 'e', limit: '2', offset: '4' });
    expect(queryOf(res.headers['x-previous-page'])).toEqual({ include_public: '1', ordering: '-name', search: 'e', limit: '2' });
  });

  it('visits every visible project exactly once when following X-Next-Page from limit=3', async () => {
    const everything = ids(await list(t, '/api/v1/projects/?include_public=1&ordering=name', pager));
    expect(everything).toHaveLength(11);
    const walked: string[] = [];
    let path: string | null = '/api/v1/projects/?include_public=1&ordering=name&limit=3';
    let pages = 0;
    while (path && pages++ < 20) {
      const res = await get(t, path, pager);
      expect(res.status).toBe(200);
      expect(res.body.length).toBeLessThanOrEqual(3);
      walked.push(...ids(res.body));
      const next: string | undefined = res.headers['x-next-page'];
      path = next ? new URL(next).pathname + new URL(next).search : null;
    }
    expect(pages).toBe(4);
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked).toEqual(everything);
  });

  it.each([
    ['limit', 'limit=-1'],
    ['limit', 'limit=abc'],
    ['limit', 'limit=1.5'],
    ['limit', 'limit=%2B3'],
    ['offset', 'limit=3&offset=-3'],
    ['offset', 'limit=3&offset=x'],
    ['offset', 'offset=2.0'],
  ])('answers a bad %s (%s) with 400 validation_error naming it', async (field, params) => {
    const res = await get(t, `/api/v1/projects/?${params}`, pager);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_error');
    expect(Object.keys(res.body.detail)).toEqual([field]);
  });

  it('answers an offset past the end with []', async () => {
    const res = await get(t, '/api/v1/projects/?limit=3&offset=100', pager);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers['x-total-count']).toBe('8');
    expect(res.headers['x-next-page']).toBeUndefined();
  });

  it('ignores an offset without limit: the whole list, without headers', async () => {
    for (const offset of ['5', '100']) {
      const res = await get(t, `/api/v1/projects/?offset=${offset}`, pager);
      expect(res.status).toBe(200);
      expect(ids(res.body)).toEqual(ids(own));
      for (const header of PAGE_HEADERS) expect(res.headers[header]).toBeUndefined();
    }
  });

  it('ignores X-Forwarded-* headers when TRUST_PROXY is not set', async () => {
    const res = await get(t, '/api/v1/projects/?limit=3', pager)
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'gis.example.com')
      .set('X-Forwarded-Prefix', '/cloud');
    const next = new URL(res.headers['x-next-page']);
    expect(next.protocol).toBe('http:');
    expect(next.host).not.toBe('gis.example.com');
    expect(next.pathname).toBe('/api/v1/projects/');
  });
});

describe('absolute page links with PUBLIC_URL (spec §7)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://gis.example.com/cloud' });
    token = await t.createPerson('linker');
    for (const name of ['one', 'two', 'three']) await createProject<Project>(t, token, { name });
  });
  afterAll(() => t.close());

  it('builds X-Next-Page from PUBLIC_URL', async () => {
    const res = await get(t, '/api/v1/projects/?limit=1&ordering=name', token);
    expect(res.headers['x-next-page']).toMatch(/^https:\/\/gis\.example\.com\/cloud\/api\/v1\/projects\/\?/);
    expect(queryOf(res.headers['x-next-page'])).toEqual({ ordering: 'name', limit: '1', offset: '1' });
  });

  it('builds X-Previous-Page from PUBLIC_URL', async () => {
    const res = await get(t, '/api/v1/projects/?limit=1&offset=2', token);
    expect(res.headers['x-previous-page']).toBe('https://gis.example.com/cloud/api/v1/projects/?limit=1&offset=1');
  });

  it('prefers PUBLIC_URL over X-Forwarded-* headers', async () => {
    const res = await get(t, '/api/v1/projects/?limit=1', token).set('X-Forwarded-Proto', 'http').set('X-Forwarded-Host', 'other.example.org');
    expect(res.headers['x-next-page']).toMatch(/^https:\/\/gis\.example\.com\/cloud\/api\/v1\/projects\/\?/);
  });
});

describe('MAX_PAGE_LIMIT (spec §7)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ MAX_PAGE_LIMIT: '2' });
    token = await t.createPerson('capped');
    for (const name of ['one', 'two', 'three']) await createProject<Project>(t, token, { name });
  });
  afterAll(() => t.close());

  it('paginates a request without limit at MAX_PAGE_LIMIT, headers included', async () => {
    const res = await get(t, '/api/v1/projects/', token);
    expect(res.body).toHaveLength(2);
    expect(res.headers['x-total-count']).toBe('3');
    expect(queryOf(res.headers['x-next-page'])).toEqual({ limit: '2', offset: '2' });
  });

  it('lowers a larger limit to MAX_PAGE_LIMIT', async () => {
    const res = await get(t, '/api/v1/projects/?limit=50', token);
    expect(res.body).toHaveLength(2);
    expect(queryOf(res.headers['x-next-page'])).toEqual({ limit: '2', offset: '2' });
  });

  it('keeps a smaller limit', async () => {
    const res = await get(t, '/api/v1/projects/?limit=1', token);
    expect(res.body).toHaveLength(1);
    expect(queryOf(res.headers['x-next-page'])).toEqual({ limit: '1', offset: '1' });
  });
});

describe('absolute page links behind a trusted proxy (TRUST_PROXY=true, spec §7)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' });
    token = await t.createPerson('proxied');
    for (const name of ['one', 'two', 'three']) await createProject<Project>(t, token, { name });
  });
  afterAll(() => t.close());

  const behindProxy = (path: string, prefix = '/cloud') =>
    get(t, path, token).set('X-Forwarded-Proto', 'https').set('X-Forwarded-Host', 'gis.example.com').set('X-Forwarded-Prefix', prefix);

  it('honours X-Forwarded-Proto, -Host and -Prefix in X-Next-Page', async () => {
    const res = await behindProxy('/api/v1/projects/?limit=1&include_public=1');
    expect(res.headers['x-next-page']).toMatch(/^https:\/\/gis\.example\.com\/cloud\/api\/v1\/projects\/\?/);
    expect(queryOf(res.headers['x-next-page'])).toEqual({ include_public: '1', limit: '1', offset: '1' });
  });

  it('honours them in X-Previous-Page', async () => {
    const res = await behindProxy('/api/v1/projects/?limit=1&offset=1');
    expect(res.headers['x-previous-page']).toBe('https://gis.example.com/cloud/api/v1/projects/?limit=1');
  });

  it('accepts a prefix with a trailing slash', async () => {
    const res = await behindProxy('/api/v1/projects/?limit=1', '/cloud/');
    expect(res.headers['x-next-page']).toMatch(/^https:\/\/gis\.example\.com\/cloud\/api\/v1\/projects\/\?/);
  });
});

// ---------------------------------------------------------------------------------------------------
