import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { addCollaborator, addMember, createProject, insertProject, makeOrganization, makeTeam } from './support/kit.js';
import { get, ids, list, names, PAGE_HEADERS, queryOf, type Project } from './support/project-lists.js';

// Spec §5.2 (GET /projects/), §5.3 (GET /projects/public/), §5.4 (GET /projects/{id}/), §6.2 (the role
// of the caller as every listing and GET one show it) and §7 (pagination, absolute URLs, proxies).

describe('GET /api/v1/projects/ visibility and include_public (spec §5.2)', () => {
  let t: TestApp;
  let alice: string;
  let aPrivate: Project;
  let aPublic: Project;
  let bPrivate: Project;
  let bPublic: Project;

  beforeAll(async () => {
    t = await startTestApp();
    alice = await t.createPerson('alice');
    const bob = await t.createPerson('bob');
    aPrivate = await createProject<Project>(t, alice, { name: 'a-private' });
    aPublic = await createProject<Project>(t, alice, { name: 'a-public', is_public: true });
    bPrivate = await createProject<Project>(t, bob, { name: 'b-private' });
    bPublic = await createProject<Project>(t, bob, { name: 'b-public', is_public: true });
  });
  afterAll(() => t.close());

  const find = (projects: Project[], id: string) => projects.find((p) => p.id === id);

  it('lists the caller’s own projects, private and public, as admin/direct', async () => {
    const projects = await list(t, '/api/v1/projects/', alice);
    expect(find(projects, aPrivate.id)).toMatchObject({ name: 'a-private', owner: 'alice', user_role: 'admin', user_role_origin: 'direct' });
    expect(find(projects, aPublic.id)).toMatchObject({ name: 'a-public', owner: 'alice', user_role: 'admin', user_role_origin: 'direct' });
  });

  it('answers the caller’s projects exactly, without the trailing slash too', async () => {
    expect(names(await list(t, '/api/v1/projects/', alice))).toEqual(['alice/a-private', 'alice/a-public']);
    expect(names(await list(t, '/api/v1/projects', alice))).toEqual(['alice/a-private', 'alice/a-public']);
  });

  it('never lists another person’s private project, not even with include_public', async () => {
    expect(ids(await list(t, '/api/v1/projects/', alice))).not.toContain(bPrivate.id);
    expect(ids(await list(t, '/api/v1/projects/?include_public=1', alice))).not.toContain(bPrivate.id);
  });

  it('does not list another person’s public project without include_public', async () => {
    expect(ids(await list(t, '/api/v1/projects/', alice))).not.toContain(bPublic.id);
  });

  it.each(['1', 'true', 'True'])('lists another person’s public project as reader/public with include_public=%s', async (value) => {
    const projects = await list(t, `/api/v1/projects/?include_public=${value}`, alice);
    expect(find(projects, bPublic.id)).toMatchObject({ owner: 'bob', name: 'b-public', user_role: 'reader', user_role_origin: 'public' });
  });

  it.each(['0', 'false', 'False'])('excludes public-only projects with include_public=%s (own ones stay)', async (value) => {
    const projects = await list(t, `/api/v1/projects/?include_public=${value}`, alice);
    expect(ids(projects)).not.toContain(bPublic.id);
    expect(ids(projects)).toEqual(expect.arrayContaining([aPrivate.id, aPublic.id]));
  });

  it('accepts the old spelling include-public=1', async () => {
    expect(ids(await list(t, '/api/v1/projects/?include-public=1', alice))).toContain(bPublic.id);
  });

  it('lets include_public win over include-public: include_public=0&include-public=1 excludes', async () => {
    expect(ids(await list(t, '/api/v1/projects/?include_public=0&include-public=1', alice))).not.toContain(bPublic.id);
  });

  it('lets include_public win over include-public: include_public=1&include-public=0 includes', async () => {
    expect(ids(await list(t, '/api/v1/projects/?include_public=1&include-public=0', alice))).toContain(bPublic.id);
  });

  it('treats an empty include_public as absent (public-only projects excluded)', async () => {
    const res = await get(t, '/api/v1/projects/?include_public=', alice);
    expect(res.status).toBe(200);
    expect(ids(res.body)).not.toContain(bPublic.id);
    expect(ids(res.body)).toEqual(expect.arrayContaining([aPrivate.id, aPublic.id]));
  });

  it('treats an empty include_public as absent, so include-public=1 then applies', async () => {
    expect(ids(await list(t, '/api/v1/projects/?include_public=&include-public=1', alice))).toContain(bPublic.id);
  });

  it.each(['maybe', 'yes', 'TRUE', '2'])('answers a bad include_public (%s) with 400 validation_error naming the field', async (value) => {
    const res = await get(t, `/api/v1/projects/?include_public=${value}`, alice);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_error');
    expect(Object.keys(res.body.detail)).toEqual(['include_public']);
  });

  it('answers a bad include-public with 400 validation_error naming the field', async () => {
    const res = await get(t, '/api/v1/projects/?include-public=maybe', alice);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_error');
    expect(Object.keys(res.body.detail)).toEqual(['include-public']);
  });

  it('counts public-only projects in X-Total-Count only with include_public', async () => {
    expect((await get(t, '/api/v1/projects/?limit=1', alice)).headers['x-total-count']).toBe('2');
    expect((await get(t, '/api/v1/projects/?include_public=1&limit=1', alice)).headers['x-total-count']).toBe('3');
  });

  it('gives staff no implicit role: another person’s private project is neither listed nor readable', async () => {
    const admin = await t.adminToken();
    expect(ids(await list(t, '/api/v1/projects/?include_public=1', admin))).not.toContain(bPrivate.id);
    const res = await get(t, `/api/v1/projects/${bPrivate.id}/`, admin);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('permission_denied');
  });

  it('answers 401 not_authenticated without a token', async () => {
    const res = await request(t.http).get('/api/v1/projects/');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('not_authenticated');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('GET /api/v1/projects/{id}/ (spec §5.4) and GET /api/v1/projects/public/ (spec §5.3)', () => {
  let t: TestApp;
  let alice: string;
  let bob: string;
  let carol: string;
  let aPrivate: Project;
  let aPublic: Project;
  let bPrivate: Project;
  let bPublic: Project;

  beforeAll(async () => {
    t = await startTestApp();
    alice = await t.createPerson('alice');
    bob = await t.createPerson('bob');
    carol = await t.createPerson('carol');
    aPrivate = await createProject<Project>(t, alice, { name: 'a-private' });
    aPublic = await createProject<Project>(t, alice, { name: 'a-public', is_public: true });
    bPrivate = await createProject<Project>(t, bob, { name: 'b-private' });
    bPublic = await createProject<Project>(t, bob, { name: 'b-public', is_public: true });
  });
  afterAll(() => t.close());

  describe('GET one', () => {
    it('answers the owner’s project with admin/direct', async () => {
      const res = await get(t, `/api/v1/projects/${aPrivate.id}/`, alice);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: aPrivate.id, name: 'a-private', owner: 'alice', is_public: false, user_role: 'admin', user_role_origin: 'direct' });
    });

    it('answers a stranger’s view of a public project with reader/public', async () => {
      const res = await get(t, `/api/v1/projects/${bPublic.id}/`, alice);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: bPublic.id, user_role: 'reader', user_role_origin: 'public' });
    });

    it('answers a malformed id with 400 validation_error', async () => {
      const res = await get(t, '/api/v1/projects/not-a-uuid/', alice);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_error');
    });

    it('accepts an upper-case id and renders it lower-case', async () => {
      const res = await get(t, `/api/v1/projects/${aPrivate.id.toUpperCase()}/`, alice);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(aPrivate.id);
      expect(res.body.id).toBe(res.body.id.toLowerCase());
    });

    it('answers an upper-case id of a private project without a role with 403, not 404', async () => {
      const res = await get(t, `/api/v1/projects/${bPrivate.id.toUpperCase()}/`, alice);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('permission_denied');
    });

    it('answers an unknown UUID with 404 object_not_found', async () => {
      const res = await get(t, '/api/v1/projects/00000000-0000-4000-8000-000000000000/', alice);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('object_not_found');
    });

    it('answers a private project the caller has no role on with 403 permission_denied', async () => {
      const res = await get(t, `/api/v1/projects/${bPrivate.id}/`, alice);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('permission_denied');
    });

    it('answers 401 not_authenticated without a token', async () => {
      const res = await request(t.http).get(`/api/v1/projects/${aPrivate.id}/`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('not_authenticated');
    });

    it('never sends pagination headers on the object, even with ?limit=20&offset=0', async () => {
      const res = await get(t, `/api/v1/projects/${aPrivate.id}/?limit=20&offset=0`, alice);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: aPrivate.id });
      for (const header of PAGE_HEADERS) expect(res.headers[header]).toBeUndefined();
    });

    it('ignores limit and offset on the object, even malformed ones', async () => {
      const res = await get(t, `/api/v1/projects/${aPrivate.id}/?limit=abc&offset=-1`, alice);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: aPrivate.id });
      for (const header of PAGE_HEADERS) expect(res.headers[header]).toBeUndefined();
    });
  });

  describe('GET /projects/public/', () => {
    it('lists every public project and no private one', async () => {
      const projects = await list(t, '/api/v1/projects/public/', carol);
      expect(names(projects)).toEqual(['alice/a-public', 'bob/b-public']);
    });

    it('lists the public projects the same way without the trailing slash', async () => {
      expect(names(await list(t, '/api/v1/projects/public', carol))).toEqual(['alice/a-public', 'bob/b-public']);
    });

    it('shows the caller’s real role: their own as admin/direct, others as reader/public', async () => {
      const projects = await list(t, '/api/v1/projects/public/', alice);
      expect(projects.find((p) => p.id === aPublic.id)).toMatchObject({ user_role: 'admin', user_role_origin: 'direct' });
      expect(projects.find((p) => p.id === bPublic.id)).toMatchObject({ user_role: 'reader', user_role_origin: 'public' });
    });

    it('shows a stranger every public project as reader/public', async () => {
      const projects = await list(t, '/api/v1/projects/public/', carol);
      expect(projects.map((p) => [p.user_role, p.user_role_origin])).toEqual([
        ['reader', 'public'],
        ['reader', 'public'],
      ]);
    });

    it('accepts search', async () => {
      expect(names(await list(t, '/api/v1/projects/public/?search=bob', carol))).toEqual(['bob/b-public']);
      expect(names(await list(t, '/api/v1/projects/public/?search=A-PUB', carol))).toEqual(['alice/a-public']);
    });

    it('filters X-Total-Count by search too', async () => {
      const res = await get(t, '/api/v1/projects/public/?search=bob&limit=1', carol);
      expect(ids(res.body)).toEqual([bPublic.id]);
      expect(res.headers['x-total-count']).toBe('1');
    });

    it('accepts ordering', async () => {
      expect(ids(await list(t, '/api/v1/projects/public/?ordering=-owner', carol))).toEqual([bPublic.id, aPublic.id]);
      expect(ids(await list(t, '/api/v1/projects/public/?ordering=owner', carol))).toEqual([aPublic.id, bPublic.id]);
    });

    it('accepts limit and offset with the pagination headers', async () => {
      const first = await get(t, '/api/v1/projects/public/?ordering=owner&limit=1', carol);
      expect(first.status).toBe(200);
      expect(ids(first.body)).toEqual([aPublic.id]);
      expect(first.headers['x-total-count']).toBe('2');
      expect(new URL(first.headers['x-next-page']).pathname).toBe('/api/v1/projects/public/');
      expect(queryOf(first.headers['x-next-page'])).toEqual({ ordering: 'owner', limit: '1', offset: '1' });
      const second = await get(t, '/api/v1/projects/public/?ordering=owner&limit=1&offset=1', carol);
      expect(ids(second.body)).toEqual([bPublic.id]);
      expect(second.headers['x-next-page']).toBeUndefined();
      expect(queryOf(second.headers['x-previous-page'])).toEqual({ ordering: 'owner', limit: '1' });
    });

    it('answers an offset past the end with [] and the same total', async () => {
      const first = await get(t, '/api/v1/projects/public/?limit=5', carol);
      const res = await get(t, '/api/v1/projects/public/?limit=5&offset=10', carol);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([]);
      expect(res.headers['x-total-count']).toBe(first.headers['x-total-count']);
      expect(Number(res.headers['x-total-count'])).toBeLessThan(10);
    });

    it('answers a bad limit with 400 validation_error', async () => {
      const res = await get(t, '/api/v1/projects/public/?limit=abc', carol);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_error');
    });

    it('answers DELETE with 405 method_not_allowed', async () => {
      const res = await request(t.http).delete('/api/v1/projects/public/').set(auth(alice));
      expect(res.status).toBe(405);
      expect(res.body.code).toBe('method_not_allowed');
    });

    it('answers 401 not_authenticated without a token', async () => {
      const res = await request(t.http).get('/api/v1/projects/public/');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('not_authenticated');
    });

    it('does not list the caller’s own private project', async () => {
      expect(ids(await list(t, '/api/v1/projects/public/', alice))).not.toContain(aPrivate.id);
      expect(ids(await list(t, '/api/v1/projects/public/', bob))).not.toContain(bPrivate.id);
    });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('the caller’s role in lists and in GET one (spec §6.2, §6.3)', () => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  /** Each fixture exists twice: a private project and a public twin with the same collaborators. */
  const projects: Record<string, { private: string; public: string }> = {};

  beforeAll(async () => {
    t = await startTestApp();
    for (const name of ['olga', 'adam', 'mia', 'cora', 'nora', 'tim', 'dan', 'hugo', 'eve', 'ada', 'sam', 'rita', 'pat', 'pia', 'zed']) {
      tokens[name] = await t.createPerson(name);
    }
    // acme: members get editor by default.
    await makeOrganization(t, 'acme', 'olga', [], 'editor');
    await addMember(t, 'acme', 'adam', 'admin');
    await addMember(t, 'acme', 'mia', 'member');
    await addMember(t, 'acme', 'cora', 'creator');
    // bare: no default role for members.
    await makeOrganization(t, 'bare', 'olga', [], null);
    for (const member of ['nora', 'tim', 'dan', 'hugo', 'eve', 'rita']) await addMember(t, 'bare', member, 'member');
    await addMember(t, 'bare', 'ada', 'admin');
    await makeTeam(t, 'bare', 'surveyors', ['tim']);
    await makeTeam(t, 'bare', 'editors', ['hugo', 'eve']);
    await makeTeam(t, 'bare', 'readers', ['rita']);

    projects.acme = { private: await insertProject(t, 'acme', 'acme-private'), public: await insertProject(t, 'acme', 'acme-public', true) };
    projects.bare = { private: await insertProject(t, 'bare', 'bare-private'), public: await insertProject(t, 'bare', 'bare-public', true) };
    projects.pat = {
      private: (await createProject<Project>(t, tokens.pat, { name: 'pat-private' })).id,
      public: (await createProject<Project>(t, tokens.pat, { name: 'pat-public', is_public: true })).id,
    };
    for (const id of Object.values(projects.bare)) {
      await addCollaborator(t, id, '@bare/surveyors', 'manager');
      await addCollaborator(t, id, '@bare/editors', 'editor');
      await addCollaborator(t, id, '@bare/readers', 'reader');
      await addCollaborator(t, id, 'dan', 'reporter');
      await addCollaborator(t, id, 'hugo', 'reader');
      await addCollaborator(t, id, 'eve', 'editor');
      await addCollaborator(t, id, 'ada', 'admin');
      // sam is no member of bare: a direct row (which the API would refuse, §6.3) gives no role.
      await addCollaborator(t, id, 'sam', 'editor');
    }
    for (const id of Object.values(projects.pat)) await addCollaborator(t, id, 'pia', 'editor');
  });
  afterAll(() => t.close());

  type Seen = [string | null, string | null] | 'absent' | number;

  /** The role as GET one, GET /projects/ (with and without include_public) and GET /projects/public/ show it. */
  async function seenEverywhere(token: string, projectId: string) {
    const pick = (items: Project[]): Seen => {
      const p = items.find((x) => x.id === projectId);
      return p ? [p.user_role, p.user_role_origin] : 'absent';
    };
    const one = await get(t, `/api/v1/projects/${projectId}/`, token);
    return {
      getOne: (one.status === 200 ? [one.body.user_role, one.body.user_role_origin] : one.status) as Seen,
      list: pick(await list(t, '/api/v1/projects/', token)),
      listIncludePublic: pick(await list(t, '/api/v1/projects/?include_public=1', token)),
      publicList: pick(await list(t, '/api/v1/projects/public/', token)),
    };
  }

  const expectation = (role: string | null, origin: string | null, isPublic: boolean) => {
    if (role === null) {
      // No candidate: no access on the private project; on the public twin only reader/public applies.
      return isPublic
        ? { getOne: ['reader', 'public'], list: 'absent', listIncludePublic: ['reader', 'public'], publicList: ['reader', 'public'] }
        : { getOne: 403, list: 'absent', listIncludePublic: 'absent', publicList: 'absent' };
    }
    return { getOne: [role, origin], list: [role, origin], listIncludePublic: [role, origin], publicList: isPublic ? [role, origin] : 'absent' };
  };

  const cases: Array<[string, string, string, string | null, string | null]> = [
    ['the organization owner', 'olga', 'acme', 'admin', 'organization'],
    ['an admin member', 'adam', 'acme', 'admin', 'organization'],
    ['a plain member with the default role editor', 'mia', 'acme', 'editor', 'organization'],
    ['a creator member with the default role editor', 'cora', 'acme', 'editor', 'organization'],
    ['the organization owner (no default role)', 'olga', 'bare', 'admin', 'organization'],
    ['a plain member without a default role', 'nora', 'bare', null, null],
    ['a member of a collaborating team', 'tim', 'bare', 'manager', 'team'],
    ['a direct collaborator', 'dan', 'bare', 'reporter', 'direct'],
    ['a direct reader in an editor team (highest role wins)', 'hugo', 'bare', 'editor', 'team'],
    ['a direct editor in an editor team (equal roles: direct wins)', 'eve', 'bare', 'editor', 'direct'],
    ['an admin member who is also a direct admin (equal roles: direct wins)', 'ada', 'bare', 'admin', 'direct'],
    ['a direct collaborator who is not a member of the owning organization', 'sam', 'bare', null, null],
    ['a member of a reader team (team wins over public on equal roles)', 'rita', 'bare', 'reader', 'team'],
    ['an outsider of the organization', 'zed', 'acme', null, null],
    ['the owning person', 'pat', 'pat', 'admin', 'direct'],
    ['a direct collaborator on a person’s project', 'pia', 'pat', 'editor', 'direct'],
    ['a stranger on a person’s project', 'zed', 'pat', null, null],
  ];

  it.each(cases)('%s (%s on %s projects): private project', async (_label, person, fixture, role, origin) => {
    expect(await seenEverywhere(tokens[person], projects[fixture].private)).toEqual(expectation(role, origin, false));
  });

  it.each(cases)('%s (%s on %s projects): public twin', async (_label, person, fixture, role, origin) => {
    expect(await seenEverywhere(tokens[person], projects[fixture].public)).toEqual(expectation(role, origin, true));
  });
});

// ---------------------------------------------------------------------------------------------------

describe('owner, name and search filters (spec §5.2)', () => {
  let t: TestApp;
  let viewer: string;
  const base = '/api/v1/projects/?include_public=1';

  beforeAll(async () => {
    t = await startTestApp();
    const carla = await t.createPerson('Carla');
    const carlos = await t.createPerson('carlos');
    viewer = await t.createPerson('viewer');
    for (const name of ['River-map', 'lake', 'Survey', 'survey']) await createProject<Project>(t, carla, { name, is_public: true });
    for (const name of ['river', 'a_b', 'axb']) await createProject<Project>(t, carlos, { name, is_public: true });
  });
  afterAll(() => t.close());

  const query = async (params: string) => names(await list(t, `${base}&${params}`, viewer));

  it('owner= is exact and case-insensitive', async () => {
    expect(await query('owner=carla')).toEqual(['Carla/River-map', 'Carla/Survey', 'Carla/lake', 'Carla/survey']);
    expect(await query('owner=CARLOS')).toEqual(['carlos/a_b', 'carlos/axb', 'carlos/river']);
  });

  it('owner= does not match a part of a name', async () => {
    expect(await query('owner=carl')).toEqual([]);
  });

  it('name= is exact and case-insensitive', async () => {
    expect(await query('name=sUrVeY')).toEqual(['Carla/Survey', 'Carla/survey']);
    expect(await query('name=RIVER')).toEqual(['carlos/river']);
  });

  it('name= does not match a part of a name', async () => {
    expect(await query('name=surv')).toEqual([]);
  });

  it('owner= and name= combine', async () => {
    expect(await query('owner=CARLA&name=river-MAP')).toEqual(['Carla/River-map']);
    expect(await query('owner=carlos&name=survey')).toEqual([]);
  });

  it('search= matches a term in the owner or the name, case-insensitively', async () => {
    expect(await query('search=RIVER')).toEqual(['Carla/River-map', 'carlos/river']);
    expect(await query('search=carlo')).toEqual(['carlos/a_b', 'carlos/axb', 'carlos/river']);
  });

  it('search= requires every term (one in the owner, one in the name)', async () => {
    expect(await query('search=carla%20river')).toEqual(['Carla/River-map']);
  });

  it('search= gives nothing when no project matches every term', async () => {
    expect(await query('search=river%20lake')).toEqual([]);
  });

  it.each(['carla,river', 'carla,%20river', '%20%20CARLA%20,RIVER%20%20', 'carla%09river'])('search= splits on whitespace and commas: %s', async (search) => {
    expect(await query(`search=${search}`)).toEqual(['Carla/River-map']);
  });

  it.each(['search=', 'search=%20,%20'])('search= without any term restricts nothing (%s)', async (param) => {
    expect(await query(param)).toEqual(await query('ordering=name'));
    expect(await query(param)).toHaveLength(7);
  });

  it('search= takes _ literally', async () => {
    expect(await query('search=a_b')).toEqual(['carlos/a_b']);
  });

  it('search= takes % literally', async () => {
    expect(await query('search=%25')).toEqual([]);
    expect(await query('search=a%25b')).toEqual([]);
  });

  it('filters the count too', async () => {
    const res = await get(t, `${base}&search=carlos&limit=1`, viewer);
    expect(res.headers['x-total-count']).toBe('3');
  });
});

// ---------------------------------------------------------------------------------------------------
