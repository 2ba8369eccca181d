import request from 'supertest';
import { MAX_NESTING } from '../src/common/nesting.js';
import { delta, deltafile, pushDeltas } from './support/deltafiles.js';
import { expectError, expectStatus } from './support/expectations.js';
import { envelopeProblem } from './support/hostile-contract.js';
import { listen, rawRequest } from './support/hostile-http.js';
import { multipart } from './support/hostile-inputs.js';
import { putFile } from './support/kit.js';
import { qgs } from './support/qgis-files.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { queryOf } from './support/project-lists.js';

/** What docs/api-behaviour.md promises: pagination on every list (spec §7), the nesting limit of bodies, no redirects (§1). */

const PAGE_HEADERS = ['x-total-count', 'x-next-page', 'x-previous-page'];
const HUGE = '99999999999999999999999'; // 10^23 - 1: more than 64 bits

interface World {
  alice: string;
  admin: string;
  projectId: string;
  /** Every list endpoint of the contract, each holding at least three items for alice. */
  lists: string[];
}

/** alice with three of everything that has a list: organizations, members, teams, team members, projects, collaborators, files, jobs, deltas. */
async function seedLists(t: TestApp): Promise<World> {
  const admin = await t.adminToken();
  const alice = await t.createPerson('alice');
  for (const name of ['bob', 'carol', 'dave']) await t.createPerson(name);
  const post = async (url: string, body: object) => expectStatus(await request(t.http).post(url).set(auth(alice)).send(body), 201);
  for (const name of ['acme', 'beta', 'gamma']) await post('/api/v1/organizations/', { username: name });
  for (const name of ['bob', 'carol', 'dave']) await post('/api/v1/members/acme/', { member: name, role: 'member' });
  for (const name of ['team1', 'team2', 'team3']) await post('/api/v1/organizations/acme/teams/', { team: name });
  for (const name of ['bob', 'carol', 'dave']) await post('/api/v1/organizations/acme/teams/team1/members/', { member: name });
  const projectIds: string[] = [];
  for (const name of ['p1', 'p2', 'p3']) {
    const res = await request(t.http).post('/api/v1/projects/').set(auth(alice)).send({ name, is_public: true });
    expectStatus(res, 201);
    projectIds.push(res.body.id);
  }
  const [projectId] = projectIds;
  for (const name of ['bob', 'carol', 'dave']) await post(`/api/v1/collaborators/${projectId}/`, { collaborator: name, role: 'reader' });
  for (const name of ['a.txt', 'b.txt', 'c.txt']) {
    expectStatus(await request(t.http).post(`/api/v1/files/${projectId}/${name}`).set(auth(alice)).attach('file', Buffer.from(name), name), 201);
  }
  // No worker runs in this app, so the jobs stay pending: three rows for the jobs list.
  for (let i = 0; i < 3; i++) await post('/api/v1/jobs/', { project_id: projectId, type: 'process_projectfile' });
  // Deltas need a QGIS file in the project; three of them for the deltas list.
  await putFile(t, alice, projectId, 'survey.qgs', qgs());
  expectStatus(await pushDeltas(t, alice, projectId, deltafile(projectId, [delta('create'), delta('patch'), delta('delete')])), 200);
  return {
    alice,
    admin,
    projectId,
    lists: [
      '/api/v1/users/',
      '/api/v1/projects/',
      '/api/v1/projects/public/',
      '/api/v1/organizations/',
      '/api/v1/users/alice/organizations/',
      '/api/v1/members/acme/',
      '/api/v1/organizations/acme/teams/',
      '/api/v1/organizations/acme/teams/team1/members/',
      `/api/v1/collaborators/${projectId}/`,
      `/api/v1/files/${projectId}/`,
      `/api/v1/jobs/?project_id=${projectId}`,
      `/api/v1/deltas/${projectId}/`,
    ],
  };
}

/** `path` with `query` added to the query it may already have (the jobs list needs its project_id). */
const withQuery = (path: string, query: string) => `${path}${path.includes('?') ? '&' : '?'}${query}`;
const queryOfLink = (link: string | undefined) => (link ? queryOf(link) : undefined);
/** The query a page link must carry: the list's own parameters (kept, spec §7) and the page's. */
const pageQuery = (path: string, page: Record<string, string>) => ({ ...queryOf(`http://localhost${path}`), ...page });

describe('pagination on every list endpoint (spec §7)', () => {
  let t: TestApp;
  let world: World;
  const whole: Record<string, unknown[]> = {};
  const get = (path: string) => request(t.http).get(path).set(auth(world.alice));
  const each = () => world.lists;

  beforeAll(async () => {
    t = await startTestApp();
    world = await seedLists(t);
    for (const path of world.lists) {
      const res = await get(path);
      expectStatus(res, 200);
      if (res.body.length < 3) throw new Error(`seeding: ${path} has ${res.body.length} items`);
      whole[path] = res.body;
    }
  });
  afterAll(() => t.close());

  it('covers every list of the served OpenAPI document', async () => {
    const document = (await request(t.http).get('/api/v1/openapi.json')).body;
    const templates = Object.entries<any>(document.paths)
      .filter(([, operations]) => operations.get?.parameters?.some((p: any) => p.in === 'query' && p.name === 'limit'))
      .map(([template]) => template);
    const pattern = (template: string) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
    const covered = Object.fromEntries(
      templates.map((template) => [template, world.lists.filter((path) => pattern(template).test(path.split('?')[0])).length]),
    );
    expect(covered).toEqual(Object.fromEntries(templates.map((template) => [template, 1])));
    expect(templates).toHaveLength(world.lists.length);
  });

  it.each(['offset=1', 'offset=2&limit=0', 'limit=&offset=1', `offset=${HUGE}`])(
    'ignores the offset without a positive limit (%s): the whole list, no headers',
    async (query) => {
      for (const path of each()) {
        const res = await get(withQuery(path, `${query}`));
        expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 200, body: whole[path] });
        for (const header of PAGE_HEADERS) expect({ path, [header]: res.headers[header] }).toEqual({ path, [header]: undefined });
      }
    },
  );

  it('still refuses a malformed offset without a limit', async () => {
    for (const path of each()) expectError(await get(withQuery(path, `offset=x`)), 400, 'validation_error', 'offset');
  });

  it('takes a limit beyond 64 bits as "the rest of the list", with the headers of a large limit', async () => {
    for (const path of each()) {
      const first = await get(withQuery(path, `limit=${HUGE}`));
      expect({ path, status: first.status, body: first.body }).toEqual({ path, status: 200, body: whole[path] });
      expect([first.headers['x-total-count'], first.headers['x-next-page'], first.headers['x-previous-page']]).toEqual([
        String(whole[path].length),
        undefined,
        undefined,
      ]);
      const rest = await get(withQuery(path, `limit=${HUGE}&offset=1`));
      expect({ path, body: rest.body }).toEqual({ path, body: whole[path].slice(1) });
      expect(queryOfLink(rest.headers['x-previous-page'])).toEqual(pageQuery(path, { limit: HUGE }));
    }
  });

  it('answers an offset beyond 64 bits with [], the total and the exact previous page', async () => {
    for (const path of each()) {
      const res = await get(withQuery(path, `limit=2&offset=${HUGE}`));
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 200, body: [] });
      expect(res.headers['x-total-count']).toBe(String(whole[path].length));
      expect(res.headers['x-next-page']).toBeUndefined();
      expect(queryOfLink(res.headers['x-previous-page'])).toEqual(pageQuery(path, { limit: '2', offset: '99999999999999999999997' }));
      const both = await get(withQuery(path, `limit=${HUGE}&offset=${HUGE}`));
      expect([both.status, both.body, queryOfLink(both.headers['x-previous-page'])]).toEqual([200, [], pageQuery(path, { limit: HUGE })]);
    }
  });

  it.each([
    'limit=1e3',
    'limit=%2B1',
    'limit=%201',
    'limit=1%20',
    'limit=-1',
    'limit=1.0',
    'limit=0x10',
    `limit=-${HUGE}`,
    `limit=${HUGE}.5`,
    'offset=1e3',
    'limit=1&offset=%2B1',
    'limit=1&offset=-0',
  ])('refuses what is not a non-negative integer (%s) with 400 naming it', async (query) => {
    const field = query.includes('offset') ? 'offset' : 'limit';
    for (const path of each()) {
      const res = await get(withQuery(path, `${query}`));
      expect({ path, status: res.status, field: Object.keys(res.body.detail ?? {}) }).toEqual({ path, status: 400, field: [field] });
    }
  });
});

describe('pagination on every list endpoint with MAX_PAGE_LIMIT=2 (spec §7)', () => {
  let t: TestApp;
  let world: World;
  const get = (path: string) => request(t.http).get(path).set(auth(world.alice));

  beforeAll(async () => {
    t = await startTestApp({ MAX_PAGE_LIMIT: '2' });
    world = await seedLists(t);
  });
  afterAll(() => t.close());

  it('paginates a request without limit at MAX_PAGE_LIMIT, and then applies the offset', async () => {
    for (const path of world.lists) {
      const all = await get(withQuery(path, `limit=2`));
      const second = await get(withQuery(path, `offset=1`));
      const total = Number(all.headers['x-total-count']);
      expect({ path, status: second.status, total: second.headers['x-total-count'] }).toEqual({ path, status: 200, total: String(total) });
      expect(second.body).toHaveLength(Math.min(2, total - 1));
      expect(second.body[0]).toEqual(all.body[1]);
      expect(queryOf(second.headers['x-previous-page'])).toEqual(pageQuery(path, { limit: '2' }));
    }
  });

  it('lowers a limit beyond 64 bits to MAX_PAGE_LIMIT', async () => {
    for (const path of world.lists) {
      const res = await get(withQuery(path, `limit=${HUGE}`));
      expect({ path, length: res.body.length }).toEqual({ path, length: 2 });
      expect(queryOfLink(res.headers['x-next-page'])).toEqual(pageQuery(path, { limit: '2', offset: '2' }));
    }
  });
});

describe(`bodies nested more than ${MAX_NESTING} levels deep`, () => {
  let t: TestApp;
  let target: { hostname: string; port: number };
  let alice: string;

  beforeAll(async () => {
    t = await startTestApp();
    target = await listen(t);
    alice = await t.createPerson('alice');
  });
  afterAll(() => t.close());

  const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const objects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const brackets = (depth: number) => '[a]'.repeat(depth);
  const bodies = {
    'JSON arrays': (field: string, depth: number) => ({ type: 'application/json', body: Buffer.from(`{"name": "nested", "${field}": ${arrays(depth)}}`) }),
    'JSON objects': (field: string, depth: number) => ({ type: 'application/json', body: Buffer.from(`{"name": "nested", "${field}": ${objects(depth)}}`) }),
    'form field names': (field: string, depth: number) => ({
      type: 'application/x-www-form-urlencoded',
      body: Buffer.from(`name=nested&${field}${brackets(depth)}=1`),
    }),
    'multipart field names': (field: string, depth: number) => {
      const { contentType, body } = multipart([
        ['name', 'nested'],
        [`${field}${brackets(depth)}`, '1'],
      ]);
      return { type: contentType!, body };
    },
  };
  const create = ({ type, body }: { type: string; body: Buffer }) =>
    rawRequest(target, { method: 'POST', path: '/api/v1/projects/', headers: { ...auth(alice), 'Content-Type': type }, body });
  const projectCount = async () => (await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM projects`))[0].n;

  it.each(Object.keys(bodies) as Array<keyof typeof bodies>)('takes %s up to the limit (an unknown field is ignored)', async (kind) => {
    const res = await create(bodies[kind]('unknown', MAX_NESTING));
    expectStatus(res, 201);
    await request(t.http)
      .delete(`/api/v1/projects/${(res.body as { id: string }).id}/`)
      .set(auth(alice))
      .expect(204);
  });

  it.each(Object.keys(bodies) as Array<keyof typeof bodies>)('answers %s one level beyond, or thousands, with 400 validation_error', async (kind) => {
    const before = await projectCount();
    const depths = kind === 'multipart field names' ? [MAX_NESTING + 1, 2000] : [MAX_NESTING + 1, 5000, 100_000];
    for (const depth of depths) {
      for (const field of ['unknown', 'description']) {
        const res = await create(bodies[kind](field, depth));
        expect({ depth, field, status: res.status, problem: envelopeProblem(res.status, res.headers['content-type'], res.body) }).toEqual({
          depth,
          field,
          status: 400,
          problem: null,
        });
        expectError(res, 400, 'validation_error', kind === 'form field names' ? 'body' : field);
      }
    }
    expect(await projectCount()).toBe(before);
  });

  it('answers integer fields beyond 2^53 - 1 with 400 naming them, not 500', async () => {
    await t.createPerson('bob');
    const admin = await t.adminToken();
    for (const value of ['9007199254740992', '9223372036854775807', HUGE, '1e300']) {
      for (const [type, body] of [
        ['application/json', `{"storage_quota_bytes": ${value}}`],
        ['application/x-www-form-urlencoded', `storage_quota_bytes=${value}`],
      ]) {
        const res = await rawRequest(target, {
          method: 'PATCH',
          path: '/api/v1/users/bob/',
          headers: { ...auth(admin), 'Content-Type': type },
          body: Buffer.from(body),
        });
        expect({ value, type, status: res.status, fields: Object.keys((res.body as { detail?: object }).detail ?? {}) }).toEqual({
          value,
          type,
          status: 400,
          fields: ['storage_quota_bytes'],
        });
      }
    }
    const largest = await request(t.http).patch('/api/v1/users/bob/').set(auth(admin)).send({ storage_quota_bytes: Number.MAX_SAFE_INTEGER });
    expect([largest.status, largest.body.storage_quota_bytes]).toEqual([200, Number.MAX_SAFE_INTEGER]);
  });
});

describe('no redirects, static assets included (spec §1)', () => {
  let t: TestApp;
  let target: { hostname: string; port: number };

  beforeAll(async () => {
    t = await startTestApp();
    target = await listen(t);
  });
  afterAll(() => t.close());

  // Sent raw: an HTTP client would resolve the dot segments before sending.
  it.each([
    '/api/v1/docs/x/..',
    '/api/v1/docs/x/../',
    '/api/v1/docs/./',
    '/api/v1/docs/.',
    '/api/v1/docs/docs',
    '/api/v1/docs/docs/',
    '/api/v1/docs/%2e%2e/',
    '/api/v1/docs/docs/x/..',
  ])('answers the folder %s of the docs page with 404 object_not_found, not a redirect', async (path) => {
    for (const method of ['GET', 'HEAD']) {
      const res = await rawRequest(target, { method, path });
      expect({ method, status: res.status, location: res.headers.location }).toEqual({ method, status: 404, location: undefined });
      if (method === 'GET') expect(envelopeProblem(res.status, res.headers['content-type'], res.body)).toBeNull();
      if (method === 'GET') expect(res.body).toEqual(expect.objectContaining({ code: 'object_not_found' }));
    }
  });

  it('still serves the docs page and its assets', async () => {
    for (const path of [
      '/api/v1/docs',
      '/api/v1/docs/',
      '/api/v1/docs/swagger-ui.css',
      '/api/v1/docs/swagger-ui-bundle.js',
      '/api/v1/docs/x/../swagger-ui.css',
    ]) {
      const res = await rawRequest(target, { method: 'GET', path });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  });
});
