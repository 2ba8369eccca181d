import { jest } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// Spec §5.2 (GET /projects/), §5.3 (GET /projects/public/), §5.4 (GET /projects/{id}/), §6.2 (the role
// of the caller as every listing and GET one show it) and §7 (pagination, absolute URLs, proxies).

interface Project {
  id: string;
  name: string;
  owner: string;
  is_public: boolean;
  is_featured: boolean;
  created_at: string;
  user_role: string | null;
  user_role_origin: string | null;
}

const PAGE_HEADERS = ['x-total-count', 'x-next-page', 'x-previous-page'];

const get = (t: TestApp, path: string, token: string) => request(t.http).get(path).set(auth(token));

/** GET a list and return its body (asserting a 200 bare array). */
async function list(t: TestApp, path: string, token: string): Promise<Project[]> {
  const res = await get(t, path, token);
  if (res.status !== 200 || !Array.isArray(res.body)) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Project[];
}

const ids = (projects: Project[]) => projects.map((p) => p.id);
const names = (projects: Project[]) => projects.map((p) => `${p.owner}/${p.name}`).sort();

async function createProject(t: TestApp, token: string, body: Record<string, unknown>): Promise<Project> {
  const res = await request(t.http).post('/api/v1/projects/').set(auth(token)).send(body);
  if (res.status !== 201) throw new Error(`creating project ${JSON.stringify(body)} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Project;
}

async function accountId(t: TestApp, username: string): Promise<string> {
  const [row] = await t.sql<{ id: string }>(`SELECT id FROM accounts WHERE lower(username) = lower($1)`, [username]);
  if (!row) throw new Error(`no account ${username}`);
  return row.id;
}

/** An organization (accounts type 2) owned by `owner`, straight in SQL: there is no organizations API yet. */
async function createOrganization(t: TestApp, name: string, owner: string, defaultRole: string | null = null): Promise<string> {
  const [row] = await t.sql<{ id: string }>(
    `INSERT INTO accounts (type, username, organization_owner_id, default_project_role_for_members) VALUES (2, $1, $2, $3) RETURNING id`,
    [name, await accountId(t, owner), defaultRole],
  );
  return row.id;
}

async function addMember(t: TestApp, organization: string, member: string, role: 'admin' | 'creator' | 'member'): Promise<void> {
  await t.sql(`INSERT INTO organization_members (organization_id, member_id, role) VALUES ($1, $2, $3)`, [
    await accountId(t, organization),
    await accountId(t, member),
    role,
  ]);
}

/** A team (accounts type 3, stored as '@org/team') with its members. */
async function createTeam(t: TestApp, organization: string, team: string, members: string[]): Promise<string> {
  const [row] = await t.sql<{ id: string }>(`INSERT INTO accounts (type, username, team_organization_id) VALUES (3, $1, $2) RETURNING id`, [
    `@${organization}/${team}`,
    await accountId(t, organization),
  ]);
  for (const member of members) await t.sql(`INSERT INTO team_members (team_id, member_id) VALUES ($1, $2)`, [row.id, await accountId(t, member)]);
  return row.id;
}

async function addCollaborator(t: TestApp, projectId: string, collaborator: string, role: string): Promise<void> {
  await t.sql(`INSERT INTO project_collaborators (project_id, collaborator_id, role) VALUES ($1, $2, $3)`, [projectId, await accountId(t, collaborator), role]);
}

async function insertProject(t: TestApp, owner: string, name: string, isPublic = false): Promise<string> {
  const [row] = await t.sql<{ id: string }>(`INSERT INTO projects (owner_id, name, is_public) VALUES ($1, $2, $3) RETURNING id`, [
    await accountId(t, owner),
    name,
    isPublic,
  ]);
  return row.id;
}

/** The query parameters of an absolute link, as a plain object. */
function queryOf(link: string): Record<string, string> {
  return Object.fromEntries(new URL(link).searchParams);
}

// ---------------------------------------------------------------------------------------------------

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
    aPrivate = await createProject(t, alice, { name: 'a-private' });
    aPublic = await createProject(t, alice, { name: 'a-public', is_public: true });
    bPrivate = await createProject(t, bob, { name: 'b-private' });
    bPublic = await createProject(t, bob, { name: 'b-public', is_public: true });
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
    aPrivate = await createProject(t, alice, { name: 'a-private' });
    aPublic = await createProject(t, alice, { name: 'a-public', is_public: true });
    bPrivate = await createProject(t, bob, { name: 'b-private' });
    bPublic = await createProject(t, bob, { name: 'b-public', is_public: true });
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

    it('answers an offset past the end with []', async () => {
      const res = await get(t, '/api/v1/projects/public/?limit=5&offset=10', carol);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([]);
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
    await createOrganization(t, 'acme', 'olga', 'editor');
    await addMember(t, 'acme', 'adam', 'admin');
    await addMember(t, 'acme', 'mia', 'member');
    await addMember(t, 'acme', 'cora', 'creator');
    // bare: no default role for members.
    await createOrganization(t, 'bare', 'olga', null);
    for (const member of ['nora', 'tim', 'dan', 'hugo', 'eve', 'rita']) await addMember(t, 'bare', member, 'member');
    await addMember(t, 'bare', 'ada', 'admin');
    await createTeam(t, 'bare', 'surveyors', ['tim']);
    await createTeam(t, 'bare', 'editors', ['hugo', 'eve']);
    await createTeam(t, 'bare', 'readers', ['rita']);

    projects.acme = { private: await insertProject(t, 'acme', 'acme-private'), public: await insertProject(t, 'acme', 'acme-public', true) };
    projects.bare = { private: await insertProject(t, 'bare', 'bare-private'), public: await insertProject(t, 'bare', 'bare-public', true) };
    projects.pat = {
      private: (await createProject(t, tokens.pat, { name: 'pat-private' })).id,
      public: (await createProject(t, tokens.pat, { name: 'pat-public', is_public: true })).id,
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
    for (const name of ['River-map', 'lake', 'Survey', 'survey']) await createProject(t, carla, { name, is_public: true });
    for (const name of ['river', 'a_b', 'axb']) await createProject(t, carlos, { name, is_public: true });
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
          const value = (p: Project) => (key === 'featured' ? (p.is_featured ? 0 : 1) : key === 'created_at' ? new Date(p.created_at).getTime() : p[key].toLowerCase());
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
    for (const name of ['zeta', 'Alpha', 'mid']) await createProject(t, anna, { name, is_public: true });
    for (const name of ['beta', 'Alpha']) await createProject(t, bert, { name, is_public: true });
    await createProject(t, carl, { name: 'alpha', is_public: true });
    await createProject(t, carl, { name: 'Zeta', is_public: true, is_featured: true });
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
    expect(ids(await list(t, base, viewer))).toEqual(expectedOrder([['featured', 1], ['owner', 1], ['name', 1]]));
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
    expect(await ordered('owner,name')).toEqual(expectedOrder([['owner', 1], ['name', 1]]));
  });

  it('ordering=name,owner applies the fields in the order given', async () => {
    const expected = expectedOrder([['name', 1], ['owner', 1]]);
    expect(await ordered('name,owner')).toEqual(expected);
    expect(expected).not.toEqual(expectedOrder([['owner', 1], ['name', 1]]));
  });

  it('ordering=-owner,name', async () => {
    expect(await ordered('-owner,name')).toEqual(expectedOrder([['owner', -1], ['name', 1]]));
  });

  it('ordering=-name,-owner', async () => {
    expect(await ordered('-name,-owner')).toEqual(expectedOrder([['name', -1], ['owner', -1]]));
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
    expect(await ordered('-created_at,-name')).toEqual(expectedOrder([['created_at', -1], ['name', -1]]));
  });

  it('ignores unknown fields', async () => {
    expect(await ordered('bogus,name')).toEqual(expectedOrder([['name', 1]]));
    expect(await ordered('name,-bogus,owner')).toEqual(expectedOrder([['name', 1], ['owner', 1]]));
  });

  it('falls back to the default order when every field is unknown', async () => {
    expect(await ordered('bogus,updated_at')).toEqual(expectedOrder([['featured', 1], ['owner', 1], ['name', 1]]));
  });

  it('orders GET /projects/public/ the same way', async () => {
    expect(ids(await list(t, '/api/v1/projects/public/?ordering=-name,owner', viewer))).toEqual(expectedOrder([['name', -1], ['owner', 1]]));
    expect(ids(await list(t, '/api/v1/projects/public/', viewer))).toEqual(expectedOrder([['featured', 1], ['owner', 1], ['name', 1]]));
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
    for (let i = 1; i <= 7; i++) await createProject(t, pager, { name: `n${i}` });
    // Three equally named public projects of other owners: ties that only the id breaks.
    for (const owner of ['pone', 'ptwo', 'pthree']) await createProject(t, await t.createPerson(owner), { name: 'same', is_public: true });
    await createProject(t, pager, { name: 'same', is_public: true });
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
    for (const name of ['one', 'two', 'three']) await createProject(t, token, { name });
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
    for (const name of ['one', 'two', 'three']) await createProject(t, token, { name });
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
    for (const name of ['one', 'two', 'three']) await createProject(t, token, { name });
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

describe('one SQL statement per page plus a count (spec §5.2, §6.2)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = await t.createPerson('counter');
    await t.createPerson('boss');
    const bystander = await t.createPerson('bystander');
    await createProject(t, bystander, { name: 'elsewhere-private' });
    await createProject(t, bystander, { name: 'elsewhere-public', is_public: true });
    await createOrganization(t, 'bulkorg', 'boss', 'reader');
    await addMember(t, 'bulkorg', 'counter', 'member');
    const team = await createTeam(t, 'bulkorg', 'crew', ['counter']);
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
    expect(one.count).toBeGreaterThanOrEqual(2); // the spy really sees the app's statements (page + count)
    expect(hundred.count).toBe(one.count);
    expect(hundred.count).toBeLessThanOrEqual(3); // token lookup + page + count (the token was used already: no last_used_at write)
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
      expect(one.count).toBeGreaterThanOrEqual(2);
      expect(many.count).toBe(one.count);
      expect(many.count).toBeLessThanOrEqual(3);
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
    for (const person of ['dora', 'emil', 'orgaowner', 'orgbowner', 'orgcowner']) await t.createPerson(person);
    await createOrganization(t, 'Orga', 'orgaowner');
    await createOrganization(t, 'orgb', 'orgbowner', 'reader');
    await createOrganization(t, 'orgc', 'orgcowner');
    await addMember(t, 'Orga', 'viewer', 'admin');
    await addMember(t, 'orgb', 'viewer', 'member');
    await addMember(t, 'orgc', 'viewer', 'member'); // no default role: only its collaborations show
    await createTeam(t, 'orgc', 'crew', ['viewer']);

    let day = 0;
    const add = async (owner: string, name: string, options: { isPublic?: boolean; featured?: boolean; seen?: 'whole' | 'publicOnly' | 'no' } = {}) => {
      const id = await insertProject(t, owner, name, options.isPublic ?? false);
      // created_at repeats every 5 projects, so ties are broken by id.
      const created = Date.UTC(2026, 0, 1 + (day++ % 5));
      await t.sql(`UPDATE projects SET is_featured = $2, created_at = $3 WHERE id = $1`, [id, options.featured ?? false, new Date(created)]);
      if (options.seen !== 'no') expected.set(id, { owner, name, featured: options.featured ?? false, created, publicOnly: options.seen === 'publicOnly' });
      return id;
    };
    for (const [i, name] of ['m1', 'B2', 'a3', 'z4', 'C5'].entries()) await add('viewer', name, { featured: i === 3, isPublic: i === 1 });
    for (const [i, name] of ['q1', 'Q2', 'b3', 'y4', 'c5', 'k6'].entries()) await add('Orga', name, { featured: i === 0, isPublic: i === 2 });
    for (const name of ['p1', 'a2', 'X3', 'd4']) await add('orgb', name);
    const direct = await add('orgc', 'direct1', { isPublic: true });
    const team = await add('orgc', 'team1', { featured: true });
    await add('orgc', 'hidden1', { seen: 'no' });
    await add('orgc', 'open2', { isPublic: true, seen: 'publicOnly' });
    await addCollaborator(t, direct, 'viewer', 'editor');
    await addCollaborator(t, team, '@orgc/crew', 'reporter');
    const doraCollab = await add('dora', 'shared1', { isPublic: true });
    await add('dora', 'private1', { seen: 'no' });
    await addCollaborator(t, doraCollab, 'viewer', 'reader');
    for (const [i, name] of ['e1', 'E2', 'a3', 'zz4', 'b5', 'f6', 'g7'].entries()) await add('emil', name, { isPublic: true, featured: i === 4, seen: 'publicOnly' });
  });
  afterAll(() => t.close());

  type Term = ['featured' | 'owner' | 'name' | 'created', 1 | -1];
  const ORDERINGS: Array<[string, Term[]]> = [
    ['', [['featured', 1], ['owner', 1], ['name', 1]]],
    ['name', [['name', 1]]],
    ['-name', [['name', -1]]],
    ['owner,-name', [['owner', 1], ['name', -1]]],
    ['-owner,created_at', [['owner', -1], ['created', 1]]],
    ['-created_at,name', [['created', -1], ['name', 1]]],
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

  it('filters pages from every source: search and owner', async () => {
    const want = expectedIds(true, [['name', 1]]).filter((id) => /a/i.test(expected.get(id)!.name) || /a/i.test(expected.get(id)!.owner));
    const walked: string[] = [];
    for (let offset = 0; offset < want.length + 3; offset += 3) {
      const res = await get(t, `/api/v1/projects/?include_public=1&search=A&ordering=name&limit=3&offset=${offset}`, viewer);
      expect(Number(res.headers['x-total-count'])).toBe(want.length);
      walked.push(...ids(res.body));
    }
    expect(walked).toEqual(want);
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
    for (const [i, owner] of [anna, anna, bert, anna, bert].entries()) made.push(await createProject(t, owner, { name: `p${i}`, is_public: i !== 3 }));
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
