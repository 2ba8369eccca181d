import { jest } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { OwnerCountCompaction } from '../src/projects/owner-count-compaction.service.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { accountId, addCollaborator, addMember, createProject, insertProject, makeOrganization, makeTeam } from './support/kit.js';
import { get, ids, list, type Project } from './support/project-lists.js';

// Spec §5.2 (GET /projects/), §5.3 (GET /projects/public/), §5.4 (GET /projects/{id}/), §6.2 (the role
// of the caller as every listing and GET one show it) and §7 (pagination, absolute URLs, proxies).

describe('one SQL statement per page, its total included (spec §5.2, §6.2)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.createPerson('counter');
    await t.createPerson('boss');
    const bystander = await t.createPerson('bystander');
    await createProject<Project>(t, bystander, { name: 'elsewhere-private' });
    await createProject<Project>(t, bystander, { name: 'elsewhere-public', is_public: true });
    await makeOrganization(t, 'bulkorg', 'boss', [], 'reader');
    await addMember(t, 'bulkorg', 'counter', 'member');
    const team = await makeTeam(t, 'bulkorg', 'crew', ['counter']);
    // 60 own projects, 60 of the organization (half of them with a team role too), in one statement each.
    await t.sql(
      `INSERT INTO projects (owner_id, name)
       SELECT $1::uuid, 'own-' || g FROM generate_series(1, 60) g
       UNION ALL SELECT $2::uuid, 'org-' || g FROM generate_series(1, 60) g`,
      [await accountId(t, 'counter'), await accountId(t, 'bulkorg')],
    );
    await t.sql(
      `INSERT INTO project_collaborators (project_id, collaborator_id, role)
       SELECT id, $1, 'editor' FROM projects WHERE name LIKE 'org-%' AND right(name, 1) IN ('0', '2', '4', '6', '8')`,
      [team],
    );
    // Use the token once so that the throttled last_used_at update is not part of the measured requests.
    await get(t, '/api/v1/auth/user/', token);
  });
  afterAll(() => t.close());

  async function queriesFor(path: string): Promise<{ count: number; body: Project[]; total: string | undefined }> {
    const spy = jest.spyOn(pg.Client.prototype, 'query');
    try {
      const res = await get(t, path, token);
      expect(res.status).toBe(200);
      return { count: spy.mock.calls.length, body: res.body, total: res.headers['x-total-count'] };
    } finally {
      spy.mockRestore();
    }
  }

  it('sees the 120 projects (60 own, 60 through the organization, 30 of them through a team)', async () => {
    const all = await list(t, '/api/v1/projects/', token);
    expect(all).toHaveLength(120);
    expect(all.filter((p) => p.user_role_origin === 'team')).toHaveLength(30);
  });

  it('issues the same small number of statements for limit=1 and limit=100', async () => {
    const one = await queriesFor('/api/v1/projects/?limit=1');
    const hundred = await queriesFor('/api/v1/projects/?limit=100');
    expect(one.body).toHaveLength(1);
    expect(hundred.body).toHaveLength(100);
    expect(one.total).toBe('120');
    expect(hundred.total).toBe('120');
    // Token lookup + the page, which carries the total (the token was used already: no last_used_at write).
    expect(one.count).toBe(2);
    expect(hundred.count).toBe(2);
  });

  it('issues no more statements for the whole list of 120 (with include_public)', async () => {
    const one = await queriesFor('/api/v1/projects/?limit=1&include_public=1');
    const whole = await queriesFor('/api/v1/projects/?include_public=1');
    expect(whole.body).toHaveLength(121);
    expect(one.count).toBeGreaterThanOrEqual(2);
    expect(whole.count).toBeLessThanOrEqual(one.count);
  });

  it('issues the same small number of statements for GET /projects/public/ whatever the page size', async () => {
    await t.sql(`UPDATE projects SET is_public = true WHERE name LIKE 'own-%'`);
    try {
      const one = await queriesFor('/api/v1/projects/public/?limit=1');
      const many = await queriesFor('/api/v1/projects/public/?limit=100');
      expect(one.body).toHaveLength(1);
      expect(many.body).toHaveLength(61);
      expect(one.total).toBe('61');
      expect(one.count).toBe(2);
      expect(many.count).toBe(2);
    } finally {
      await t.sql(`UPDATE projects SET is_public = false WHERE name LIKE 'own-%'`);
    }
  });
});

// Pages are cut from several sources at once (the caller's own projects, each organization's, their
// collaborations, the public ones), each read in index order and cut at offset + limit: walking any
// order page by page must give exactly the whole list in that order, with the right total.
describe('pages drawn from every source at once (spec §5.2, §6.2, §7)', () => {
  let t: TestApp;
  let viewer: string;
  const expected = new Map<string, { owner: string; name: string; featured: boolean; created: number; publicOnly: boolean }>();

  beforeAll(async () => {
    t = await startTestApp();
    viewer = await t.createPerson('viewer');
    for (const person of ['dora', 'emil', 'orgaowner', 'orgbowner', 'orgcowner', 'orgdowner']) await t.createPerson(person);
    await makeOrganization(t, 'Orga', 'orgaowner');
    await makeOrganization(t, 'orgb', 'orgbowner', [], 'reader');
    await makeOrganization(t, 'orgc', 'orgcowner');
    await addMember(t, 'Orga', 'viewer', 'admin');
    await addMember(t, 'orgb', 'viewer', 'member');
    await addMember(t, 'orgc', 'viewer', 'member'); // no default role: only its collaborations show
    await makeTeam(t, 'orgc', 'crew', ['viewer']);
    await makeOrganization(t, 'orgd', 'orgdowner');
    await addMember(t, 'orgd', 'viewer', 'admin');

    let day = 0;
    const add = async (
      owner: string,
      name: string,
      options: { isPublic?: boolean; featured?: boolean; seen?: 'whole' | 'publicOnly' | 'no'; day?: number } = {},
    ) => {
      const id = await insertProject(t, owner, name, options.isPublic ?? false);
      // created_at repeats every 5 projects, so ties are broken by id.
      const created = Date.UTC(2026, 0, 1 + (options.day ?? day++ % 5));
      await t.sql(`UPDATE projects SET is_featured = $2, created_at = $3 WHERE id = $1`, [id, options.featured ?? false, new Date(created)]);
      if (options.seen !== 'no') expected.set(id, { owner, name, featured: options.featured ?? false, created, publicOnly: options.seen === 'publicOnly' });
      return id;
    };
    for (const [i, name] of ['m1', 'B2', 'a3', 'z4', 'C5'].entries()) await add('viewer', name, { featured: i === 3, isPublic: i === 1 });
    for (const [i, name] of ['q1', 'Q2', 'b3', 'y4', 'c5', 'k6'].entries()) await add('Orga', name, { featured: i === 0, isPublic: i === 2 });
    for (const name of ['p1', 'a2', 'X3', 'd4']) await add('orgb', name);
    // One owner with more projects than the others, all of the newest day and the first names: the
    // first pages of an order led by created_at or name come mostly from it (the owners' rows are read
    // up to a bound drawn from each owner's first rows).
    for (const name of ['aa1', 'AA2', 'aa3', 'ab4', 'AB5', 'ab6', 'ac7', 'ac8', 'AC9']) await add('orgd', name, { day: 6 });
    const direct = await add('orgc', 'direct1', { isPublic: true });
    const team = await add('orgc', 'team1', { featured: true });
    await add('orgc', 'hidden1', { seen: 'no' });
    await add('orgc', 'open2', { isPublic: true, seen: 'publicOnly' });
    await addCollaborator(t, direct, 'viewer', 'editor');
    await addCollaborator(t, team, '@orgc/crew', 'reporter');
    const doraCollab = await add('dora', 'shared1', { isPublic: true });
    await add('dora', 'private1', { seen: 'no' });
    await addCollaborator(t, doraCollab, 'viewer', 'reader');
    for (const [i, name] of ['e1', 'E2', 'a3', 'zz4', 'b5', 'f6', 'g7'].entries())
      await add('emil', name, { isPublic: true, featured: i === 4, seen: 'publicOnly' });
  });
  afterAll(() => t.close());

  type Term = ['featured' | 'owner' | 'name' | 'created', 1 | -1];
  const ORDERINGS: Array<[string, Term[]]> = [
    [
      '',
      [
        ['featured', 1],
        ['owner', 1],
        ['name', 1],
      ],
    ],
    ['name', [['name', 1]]],
    ['-name', [['name', -1]]],
    [
      'owner,-name',
      [
        ['owner', 1],
        ['name', -1],
      ],
    ],
    [
      '-owner,created_at',
      [
        ['owner', -1],
        ['created', 1],
      ],
    ],
    [
      '-created_at,name',
      [
        ['created', -1],
        ['name', 1],
      ],
    ],
  ];

  function expectedIds(includePublic: boolean, terms: Term[]): string[] {
    const value = (id: string, key: Term[0]) => {
      const p = expected.get(id)!;
      return key === 'featured' ? (p.featured ? 0 : 1) : key === 'created' ? p.created : key === 'owner' ? p.owner.toLowerCase() : p.name.toLowerCase();
    };
    return [...expected.keys()]
      .filter((id) => includePublic || !expected.get(id)!.publicOnly)
      .sort((a, b) => {
        for (const [key, direction] of terms) {
          const x = value(a, key);
          const y = value(b, key);
          if (x !== y) return x < y ? -direction : direction;
        }
        return a < b ? -1 : 1;
      });
  }

  it.each(ORDERINGS.flatMap(([ordering, terms]) => [false, true].map((includePublic) => [ordering || '(default)', includePublic, terms] as const)))(
    'ordering=%s, include_public=%s: every page size walks the whole list in order with the right total',
    async (ordering, includePublic, terms) => {
      const want = expectedIds(includePublic, terms as Term[]);
      const query = `include_public=${includePublic ? 1 : 0}${ordering === '(default)' ? '' : `&ordering=${ordering}`}`;
      expect(ids(await list(t, `/api/v1/projects/?${query}`, viewer))).toEqual(want);
      for (const limit of [1, 2, 4, 7]) {
        const walked: string[] = [];
        for (let offset = 0; offset < want.length + limit; offset += limit) {
          const res = await get(t, `/api/v1/projects/?${query}&limit=${limit}&offset=${offset}`, viewer);
          expect(res.status).toBe(200);
          expect(Number(res.headers['x-total-count'])).toBe(want.length);
          walked.push(...ids(res.body));
        }
        expect(walked).toEqual(want);
      }
    },
  );

  it.each(['name', '-created_at'])('ordering=%s takes a limit and an offset beyond 64 bits (spec §7)', async (ordering) => {
    const HUGE = '99999999999999999999999';
    const want = expectedIds(true, ordering === 'name' ? [['name', 1]] : [['created', -1]]);
    const whole = await get(t, `/api/v1/projects/?include_public=1&ordering=${ordering}&limit=${HUGE}`, viewer);
    expect([whole.status, ids(whole.body)]).toEqual([200, want]);
    const rest = await get(t, `/api/v1/projects/?include_public=1&ordering=${ordering}&limit=${HUGE}&offset=3`, viewer);
    expect([rest.status, ids(rest.body)]).toEqual([200, want.slice(3)]);
    const past = await get(t, `/api/v1/projects/?include_public=1&ordering=${ordering}&limit=2&offset=${HUGE}`, viewer);
    expect([past.status, past.body, past.headers['x-total-count']]).toEqual([200, [], String(want.length)]);
  });

  it('filters pages from every source: search and owner', async () => {
    const want = expectedIds(true, [['name', 1]]).filter((id) => /a/i.test(expected.get(id)!.name) || /a/i.test(expected.get(id)!.owner));
    const walked: string[] = [];
    for (let offset = 0; offset < want.length + 3; offset += 3) {
      const res = await get(t, `/api/v1/projects/?include_public=1&search=A&ordering=name&limit=3&offset=${offset}`, viewer);
      expect(Number(res.headers['x-total-count'])).toBe(want.length);
      walked.push(...ids(res.body));
    }
    expect(walked).toEqual(want);
    // The default order reads the owners one after the other: a search there too, page by page.
    const inDefaultOrder = expectedIds(true, [
      ['featured', 1],
      ['owner', 1],
      ['name', 1],
    ]).filter((id) => want.includes(id));
    const walkedByOwner: string[] = [];
    for (let offset = 0; offset < want.length + 2; offset += 2) {
      const res = await get(t, `/api/v1/projects/?include_public=1&search=A&limit=2&offset=${offset}`, viewer);
      expect(Number(res.headers['x-total-count'])).toBe(want.length);
      walkedByOwner.push(...ids(res.body));
    }
    expect(walkedByOwner).toEqual(inDefaultOrder);
    const orgc = expectedIds(true, [['name', 1]]).filter((id) => expected.get(id)!.owner === 'orgc');
    const res = await get(t, '/api/v1/projects/?include_public=1&owner=ORGC&ordering=name&limit=2', viewer);
    expect(Number(res.headers['x-total-count'])).toBe(orgc.length);
    expect(ids(res.body)).toEqual(orgc.slice(0, 2));
  });
});

// The totals of the public list and of include_public lists read a count of public projects that the
// database keeps (src/database/migrations/…-public-project-counts.ts): it must follow every write.
describe('totals with public projects follow creates, changes, transfers and deletes (spec §5.2, §5.3, §7)', () => {
  let t: TestApp;
  let anna: string;
  let bert: string;

  const total = async (path: string, token: string) => {
    const res = await get(t, `${path}${path.includes('?') ? '&' : '?'}limit=1`, token);
    expect(res.status).toBe(200);
    return Number(res.headers['x-total-count']);
  };
  /** Both totals equal the length of the whole (unpaginated) list, for both callers. */
  const expectTotalsRight = async () => {
    for (const token of [anna, bert]) {
      for (const path of ['/api/v1/projects/public/', '/api/v1/projects/?include_public=1']) {
        expect(await total(path, token)).toBe((await list(t, path, token)).length);
      }
    }
  };
  const patch = (token: string, id: string, body: Record<string, unknown>) => request(t.http).patch(`/api/v1/projects/${id}/`).set(auth(token)).send(body);

  beforeAll(async () => {
    t = await startTestApp();
    anna = await t.createPerson('anna');
    bert = await t.createPerson('bert');
  });
  afterAll(() => t.close());

  it('stays right through every kind of write', async () => {
    const made: Project[] = [];
    for (const [i, owner] of [anna, anna, bert, anna, bert].entries()) made.push(await createProject<Project>(t, owner, { name: `p${i}`, is_public: i !== 3 }));
    await expectTotalsRight();
    expect(await total('/api/v1/projects/public/', anna)).toBe(4);

    expect((await patch(anna, made[0].id, { is_public: false })).status).toBe(200);
    expect((await patch(anna, made[3].id, { is_public: true })).status).toBe(200);
    expect((await patch(anna, made[1].id, { is_public: true, description: 'unchanged publicity' })).status).toBe(200);
    await expectTotalsRight();

    expect((await patch(anna, made[1].id, { owner: 'bert' })).status).toBe(200);
    await expectTotalsRight();

    expect((await request(t.http).delete(`/api/v1/projects/${made[2].id}/`).set(auth(bert))).status).toBe(204);
    expect((await request(t.http).delete(`/api/v1/projects/${made[0].id}/`).set(auth(anna))).status).toBe(204);
    await expectTotalsRight();
    expect(await total('/api/v1/projects/public/', bert)).toBe(3);
    expect(await total('/api/v1/projects/?include_public=1', anna)).toBe(3);
  });
});

// The totals of GET /projects/ read per-owner counts that the database keeps as deltas, folded now and
// then (src/database/migrations/…-owner-project-counts.ts, OwnerCountCompaction): they must stay
// exact while creates, deletes, transfers and visibility changes of the same owners run at once, with
// compactions running between and during them.
describe('owner totals under concurrent writes (spec §5.2, §7)', () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};

  const total = async (path: string, token: string) => {
    const res = await get(t, `${path}${path.includes('?') ? '&' : '?'}limit=1`, token);
    expect(res.status).toBe(200);
    return Number(res.headers['x-total-count']);
  };
  const patch = (token: string, id: string, body: Record<string, unknown>) => request(t.http).patch(`/api/v1/projects/${id}/`).set(auth(token)).send(body);
  const compact = () => t.fieldbase.app.get(OwnerCountCompaction).compact();

  /** What the kept counts say per owner equals what the projects table says. */
  const expectCountsExact = async () => {
    const kept = await t.sql(
      `SELECT owner_id, sum(projects)::int AS projects, sum(public_projects)::int AS public FROM owner_project_counts GROUP BY owner_id
       HAVING sum(projects) <> 0 OR sum(public_projects) <> 0 ORDER BY owner_id`,
    );
    const actual = await t.sql(
      `SELECT owner_id, count(*)::int AS projects, (count(*) FILTER (WHERE is_public))::int AS public FROM projects GROUP BY owner_id ORDER BY owner_id`,
    );
    expect(kept).toEqual(actual);
  };
  const expectTotalsRight = async () => {
    for (const token of Object.values(tokens)) {
      for (const path of ['/api/v1/projects/', '/api/v1/projects/?include_public=1', '/api/v1/projects/?search=a', '/api/v1/projects/?search=own,p']) {
        expect(await total(path, token)).toBe((await list(t, path, token)).length);
      }
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    for (const name of ['anna', 'bert', 'carl']) tokens[name] = await t.createPerson(name);
    await makeOrganization(
      t,
      'ownco',
      'carl',
      [
        ['anna', 'admin'],
        ['bert', 'member'],
      ],
      'reader',
    );
  });
  afterAll(() => t.close());

  it('stay exact through concurrent creates, deletes, transfers and visibility changes, compacted or not', async () => {
    const make = (token: string, owner: string, i: number) =>
      request(t.http)
        .post('/api/v1/projects/')
        .set(auth(token))
        .send({ name: `p${owner}${i}`, owner, is_public: i % 3 === 0 });
    const first = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => make(tokens.anna, 'anna', i)),
      ...Array.from({ length: 12 }, (_, i) => make(tokens.anna, 'ownco', i)),
      ...Array.from({ length: 12 }, (_, i) => make(tokens.bert, 'bert', i)),
      compact(),
    ]);
    const made = first.slice(0, -1) as request.Response[];
    expect(made.map((res) => res.status)).toEqual(made.map(() => 201));
    await expectCountsExact();
    await expectTotalsRight();

    const [annas, owncos, berts] = [0, 12, 24].map((from) => made.slice(from, from + 12).map((res) => res.body.id as string));
    const writes = await Promise.all([
      ...annas.slice(0, 4).map((id) => patch(tokens.anna, id, { owner: 'ownco' })),
      ...owncos.slice(0, 4).map((id) => patch(tokens.anna, id, { owner: 'anna' })),
      ...berts.slice(0, 3).map((id) => patch(tokens.bert, id, { owner: 'anna' })),
      ...annas.slice(4, 8).map((id, i) => patch(tokens.anna, id, { is_public: i % 2 === 0 })),
      ...owncos.slice(4, 8).map((id) => request(t.http).delete(`/api/v1/projects/${id}/`).set(auth(tokens.anna))),
      ...berts.slice(3, 7).map((id) => request(t.http).delete(`/api/v1/projects/${id}/`).set(auth(tokens.bert))),
      ...Array.from({ length: 6 }, (_, i) => make(tokens.anna, 'ownco', 100 + i)),
      ...Array.from({ length: 6 }, (_, i) => make(tokens.bert, 'bert', 100 + i)),
      compact(),
      compact(),
    ]);
    const answers = writes.filter((res): res is request.Response => typeof res === 'object');
    expect(answers.filter((res) => res.status >= 300)).toEqual([]);
    await expectCountsExact();
    await expectTotalsRight();

    await compact();
    await expectCountsExact();
    await expectTotalsRight();
    const rows = await t.sql<{ owners: number; rows: number }>(
      `SELECT count(DISTINCT owner_id)::int AS owners, count(*)::int AS rows FROM owner_project_counts`,
    );
    expect(rows[0].rows).toBe(rows[0].owners); // one row per owner once folded
  });
});
