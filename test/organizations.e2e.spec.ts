import request from 'supertest';
import type { Response } from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';

/** The organization object of spec §4.2, fields in order. */
const ORG_KEYS = [
  'username',
  'type',
  'email',
  'avatar_url',
  'organization_owner',
  'members',
  'teams',
  'membership_role',
  'membership_role_origin',
  'default_project_role_for_members',
  'storage_quota_bytes',
  'storage_used_bytes',
];
/** A member row (spec §4.2). */
const MEMBER_KEYS = ['organization', 'member', 'role', 'created_at'];
/** A team (spec §4.2). */
const TEAM_KEYS = ['team', 'organization', 'members'];
/** The reserved words of spec §4. */
const RESERVED = [
  'api', 'auth', 'collaborators', 'docs', 'files', 'members', 'openapi', 'organization', 'organizations', 'owner',
  'project', 'projects', 'public', 'shared_datasets', 'status', 'team', 'teams', 'user', 'users',
];
const PROJECT_ROLES = ['admin', 'manager', 'editor', 'reporter', 'reader'];
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const ORGS = '/api/v1/organizations/';
const PROJECTS = '/api/v1/projects/';

type Body = Record<string, unknown>;
type MembershipRole = 'admin' | 'creator' | 'member';

const names = (res: Response, field = 'username') => (res.body as Record<string, string>[]).map((row) => row[field]);

describe('Organizations, members and teams (spec §4.2)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  // -------------------------------------------------------------------------------------------
  // HTTP helpers.

  const get = (path: string, token: string) => request(t.http).get(path).set(auth(token));
  const post = (path: string, token: string, body: Body = {}) => request(t.http).post(path).set(auth(token)).send(body);
  const patch = (path: string, token: string, body: Body = {}) => request(t.http).patch(path).set(auth(token)).send(body);
  const put = (path: string, token: string, body: Body = {}) => request(t.http).put(path).set(auth(token)).send(body);
  const del = (path: string, token: string) => request(t.http).delete(path).set(auth(token));

  const user = (name: string) => `/api/v1/users/${encodeURIComponent(name)}/`;
  const members = (org: string) => `/api/v1/members/${org}/`;
  const member = (org: string, name: string) => `/api/v1/members/${org}/${name}/`;
  const teams = (org: string) => `/api/v1/organizations/${org}/teams/`;
  const team = (org: string, name: string) => `/api/v1/organizations/${org}/teams/${name}/`;
  const teamMembers = (org: string, name: string) => `/api/v1/organizations/${org}/teams/${name}/members/`;

  // -------------------------------------------------------------------------------------------
  // Fixtures, all through the API except collaborator rows (the collaborators API may not exist yet).

  async function createOrg(token: string, username: string, email?: string): Promise<Body> {
    const res = await post(ORGS, token, email === undefined ? { username } : { username, email });
    expectStatus(res, 201);
    return res.body;
  }

  async function addMember(org: string, token: string, who: string, role: MembershipRole = 'member'): Promise<void> {
    expectStatus(await post(members(org), token, { member: who, role }), 201);
  }

  async function createTeam(org: string, token: string, name: string): Promise<void> {
    expectStatus(await post(teams(org), token, { team: name }), 201);
  }

  async function addTeamMember(org: string, teamName: string, token: string, who: string): Promise<void> {
    expectStatus(await post(teamMembers(org, teamName), token, { member: who }), 201);
  }

  async function createProject(token: string, owner: string, name: string): Promise<string> {
    const res = await post(PROJECTS, token, { name, owner });
    expectStatus(res, 201);
    return res.body.id as string;
  }

  async function accountId(username: string): Promise<string> {
    const [row] = await t.sql<{ id: string }>(`SELECT id FROM accounts WHERE lower(username) = lower($1)`, [username]);
    if (!row) throw new Error(`no account ${username}`);
    return row.id;
  }

  async function insertCollaborator(projectId: string, username: string, role: string): Promise<void> {
    await t.sql(`INSERT INTO project_collaborators (project_id, collaborator_id, role) VALUES ($1, $2, $3)`, [projectId, await accountId(username), role]);
  }

  async function hasCollaborator(projectId: string, username: string): Promise<boolean> {
    const rows = await t.sql(`SELECT 1 FROM project_collaborators WHERE project_id = $1 AND collaborator_id = $2`, [projectId, await accountId(username)]);
    return rows.length > 0;
  }

  interface Squad {
    org: string;
    owner: string;
    admin: string;
    creator: string;
    member: string;
    outsider: string;
    names: { owner: string; admin: string; creator: string; member: string; outsider: string };
  }

  /** An organization `<p>_org` with an owner, an admin, a creator and a plain member, plus an outsider. */
  async function squad(p: string): Promise<Squad> {
    const n = { owner: `${p}_owner`, admin: `${p}_admin`, creator: `${p}_creator`, member: `${p}_member`, outsider: `${p}_outsider` };
    const tokens = {
      owner: await t.createPerson(n.owner),
      admin: await t.createPerson(n.admin),
      creator: await t.createPerson(n.creator),
      member: await t.createPerson(n.member),
      outsider: await t.createPerson(n.outsider),
    };
    const org = `${p}_org`;
    await createOrg(tokens.owner, org);
    await addMember(org, tokens.owner, n.admin, 'admin');
    await addMember(org, tokens.owner, n.creator, 'creator');
    await addMember(org, tokens.owner, n.member, 'member');
    return { org, ...tokens, names: n };
  }

  // ===========================================================================================

  describe('POST /api/v1/organizations/', () => {
    let ann: string;
    beforeAll(async () => {
      ann = await t.createPerson('ann_founder');
    });

    it('answers 401 not_authenticated without a token, and creates nothing', async () => {
      const res = await request(t.http).post(ORGS).send({ username: 'anon_org' });
      expectError(res, 401, 'not_authenticated');
      expectError(await get(user('anon_org'), admin), 404, 'object_not_found');
    });

    it('lets any person create one: 201 with the organization object, fields in order, the caller its owner', async () => {
      const res = await post(ORGS, ann, { username: 'first_org', email: 'first@example.com' });
      expectStatus(res, 201);
      expect(Object.keys(res.body)).toEqual(ORG_KEYS);
      expect(res.body).toEqual({
        username: 'first_org',
        type: 2,
        email: 'first@example.com',
        avatar_url: null,
        organization_owner: 'ann_founder',
        members: [],
        teams: [],
        membership_role: 'admin',
        membership_role_origin: 'organization_owner',
        default_project_role_for_members: null,
        storage_quota_bytes: t.config.defaultStorageQuotaBytes,
        storage_used_bytes: 0,
      });
    });

    it('makes the caller the owner for good: GET /users/{org}/ names them organization_owner', async () => {
      await createOrg(ann, 'owned_by_ann');
      const res = await get(user('owned_by_ann'), ann);
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ username: 'owned_by_ann', type: 2, organization_owner: 'ann_founder', membership_role: 'admin', membership_role_origin: 'organization_owner' });
    });

    it('takes email as optional: without it the email is null', async () => {
      const res = await post(ORGS, ann, { username: 'no_mail_org' });
      expectStatus(res, 201);
      expect(res.body.email).toBeNull();
    });

    it.each(['not-an-email', 'two@@example.com', 'missing-at.example.com'])('refuses the invalid e-mail %j (400 naming email) and creates nothing', async (email) => {
      const res = await post(ORGS, ann, { username: 'bad_mail_org', email });
      expectError(res, 400, 'validation_error', 'email');
      expectError(await get(user('bad_mail_org'), admin), 404, 'object_not_found');
    });

    it('answers a JSON null email with a 400 naming email or as no email, never a 500', async () => {
      const res = await post(ORGS, ann, { username: 'null_mail_org', email: null });
      if (res.status === 201) expect(res.body.email).toBeNull();
      else expectError(res, 400, 'validation_error', 'email');
    });

    it('accepts a form body (spec §1)', async () => {
      const res = await request(t.http).post(ORGS).set(auth(ann)).type('form').send({ username: 'form_org', email: 'form_org@example.com' });
      expectStatus(res, 201);
      expect(res.body).toMatchObject({ username: 'form_org', email: 'form_org@example.com', organization_owner: 'ann_founder' });
    });

    it('requires username (400 naming username)', async () => {
      expectError(await post(ORGS, ann, { email: 'nameless@example.com' }), 400, 'validation_error', 'username');
    });

    it('refuses a name shorter than 3 characters and accepts one of exactly 3', async () => {
      expectError(await post(ORGS, ann, { username: 'oa' }), 400, 'validation_error', 'username');
      expectStatus(await post(ORGS, ann, { username: 'oab' }), 201);
    });

    it('refuses a name of 151 characters and accepts one of exactly 150', async () => {
      expectError(await post(ORGS, ann, { username: 'O' + 'x'.repeat(150) }), 400, 'validation_error', 'username');
      const max = 'P' + 'y'.repeat(149);
      const res = await post(ORGS, ann, { username: max });
      expectStatus(res, 201);
      expect(res.body.username).toBe(max);
    });

    it.each([
      ['starting with a digit', '1org'],
      ['starting with an underscore', '_org'],
      ['starting with a hyphen', '-org'],
      ['containing a dot', 'org.dot'],
      ['containing a space', 'org space'],
      ['containing an @', 'org@x'],
      ['containing a slash', 'org/x'],
    ])('refuses a name %s (%j), naming username', async (_, username) => {
      expectError(await post(ORGS, ann, { username }), 400, 'validation_error', 'username');
    });

    it('accepts a name of a letter then letters, digits, "-" and "_", keeping its case', async () => {
      const res = await post(ORGS, ann, { username: 'Org9-x_Y' });
      expectStatus(res, 201);
      expect(res.body.username).toBe('Org9-x_Y');
      expect((await get(user('org9-X_y'), ann)).body.username).toBe('Org9-x_Y');
    });

    it('refuses every reserved word of §4, in any case', async () => {
      for (const word of RESERVED) {
        for (const username of [word, word.toUpperCase(), word[0].toUpperCase() + word.slice(1)]) {
          const res = await post(ORGS, ann, { username });
          expect({ username, status: res.status, code: res.body.code }).toEqual({ username, status: 400, code: 'validation_error' });
          expect(Object.keys(res.body.detail ?? {})).toContain('username');
        }
      }
      expectStatus(await post(ORGS, ann, { username: 'teams_org' }), 201);
    });

    it('keeps names unique case-insensitively among organizations', async () => {
      await createOrg(ann, 'Unique_Org');
      for (const username of ['unique_org', 'UNIQUE_ORG', 'Unique_Org']) {
        expectError(await post(ORGS, ann, { username }), 400, 'validation_error', 'username');
      }
      expect(await t.sql(`SELECT 1 FROM accounts WHERE lower(username) = 'unique_org'`)).toHaveLength(1);
    });

    it('refuses the name of an existing person, case-insensitively', async () => {
      await t.createPerson('Taken_Person');
      expectError(await post(ORGS, ann, { username: 'taken_person' }), 400, 'validation_error', 'username');
      expectError(await post(ORGS, ann, { username: 'ann_FOUNDER' }), 400, 'validation_error', 'username');
      const res = await get(user('taken_person'), admin);
      expect(res.body.type).toBe(1);
    });

    it('makes a person name that an organization holds unavailable (POST /users/ 400)', async () => {
      await createOrg(ann, 'Shared_Space');
      const res = await post('/api/v1/users/', admin, { username: 'shared_space', email: 'shared_space@example.com', password: 'long-enough' });
      expectError(res, 400, 'validation_error', 'username');
    });

    it('lets staff create one like any person (they become its owner)', async () => {
      const res = await post(ORGS, admin, { username: 'staff_made_org' });
      expectStatus(res, 201);
      expect(res.body).toMatchObject({ organization_owner: 'admin', membership_role: 'admin', membership_role_origin: 'organization_owner' });
    });
  });

  // ===========================================================================================

  describe('HTTP conventions on the organization routes (spec §1)', () => {
    let s: Squad;
    beforeAll(async () => {
      s = await squad('conv');
      await createTeam(s.org, s.owner, 'conv_team');
    });

    it('answers every organization route without the trailing slash too, without redirecting', async () => {
      const paths = [
        '/api/v1/organizations',
        `/api/v1/users/${s.names.owner}/organizations`,
        `/api/v1/members/${s.org}`,
        `/api/v1/members/${s.org}/${s.names.member}`,
        `/api/v1/organizations/${s.org}/teams`,
        `/api/v1/organizations/${s.org}/teams/conv_team`,
        `/api/v1/organizations/${s.org}/teams/conv_team/members`,
      ];
      for (const path of paths) {
        const res = await get(path, s.owner);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
      }
      const created = await post('/api/v1/organizations', s.owner, { username: 'conv_noslash_org' });
      expectStatus(created, 201);
      const team = await post(`/api/v1/organizations/${s.org}/teams`, s.owner, { team: 'conv_noslash' });
      expectStatus(team, 201);
    });

    it('answers 405 method_not_allowed for an unsupported method on an organization route', async () => {
      expectError(await del(ORGS, s.owner), 405, 'method_not_allowed');
      expectError(await patch(teams(s.org), s.owner, { team: 'x_y_z' }), 405, 'method_not_allowed');
      expectError(await patch(teamMembers(s.org, 'conv_team'), s.owner, { member: s.names.member }), 405, 'method_not_allowed');
      expectError(await put(members(s.org), s.owner, { member: s.names.member }), 405, 'method_not_allowed');
    });

    it('matches the organization name in paths case-insensitively', async () => {
      expectStatus(await get(members(s.org.toUpperCase()), s.member), 200);
      const res = await get(team(s.org.toUpperCase(), 'CONV_TEAM'), s.member);
      expectStatus(res, 200);
      expect([res.body.team, res.body.organization]).toEqual(['conv_team', s.org]);
    });
  });

  // ===========================================================================================

  describe('the organization object as each caller sees it', () => {
    let s: Squad;
    beforeAll(async () => {
      s = await squad('vis');
      await createTeam(s.org, s.owner, 'surveyors');
      await createTeam(s.org, s.owner, 'analysts');
      expectStatus(await patch(user(s.org), s.owner, { email: 'vis@example.com', default_project_role_for_members: 'reader' }), 200);
    });

    it('shows the owner everything: membership_role admin, origin organization_owner, members and team short names', async () => {
      const res = await get(user(s.org), s.owner);
      expectStatus(res, 200);
      expect(Object.keys(res.body)).toEqual(ORG_KEYS);
      expect({ ...res.body, members: [...res.body.members].sort(), teams: [...res.body.teams].sort() }).toEqual({
        username: s.org,
        type: 2,
        email: 'vis@example.com',
        avatar_url: null,
        organization_owner: s.names.owner,
        members: [s.names.admin, s.names.creator, s.names.member].sort(),
        teams: ['analysts', 'surveyors'],
        membership_role: 'admin',
        membership_role_origin: 'organization_owner',
        default_project_role_for_members: 'reader',
        storage_quota_bytes: t.config.defaultStorageQuotaBytes,
        storage_used_bytes: 0,
      });
    });

    it.each([
      ['admin', 'admin'],
      ['creator', 'creator'],
      ['member', 'member'],
    ] as const)('shows a member with role %s their role with origin organization_member and the full object', async (who, role) => {
      const res = await get(user(s.org), s[who]);
      expectStatus(res, 200);
      expect(Object.keys(res.body)).toEqual(ORG_KEYS);
      expect(res.body).toMatchObject({
        username: s.org,
        type: 2,
        email: 'vis@example.com',
        organization_owner: s.names.owner,
        membership_role: role,
        membership_role_origin: 'organization_member',
        default_project_role_for_members: 'reader',
        storage_quota_bytes: t.config.defaultStorageQuotaBytes,
        storage_used_bytes: 0,
      });
      expect([...res.body.members].sort()).toEqual([s.names.admin, s.names.creator, s.names.member].sort());
      expect([...res.body.teams].sort()).toEqual(['analysts', 'surveyors']);
    });

    it('shows an outsider username, type, avatar_url and organization_owner, and null for all the rest', async () => {
      const res = await get(user(s.org), s.outsider);
      expectStatus(res, 200);
      expect(Object.keys(res.body)).toEqual(ORG_KEYS);
      expect(res.body).toEqual({
        username: s.org,
        type: 2,
        email: null,
        avatar_url: null,
        organization_owner: s.names.owner,
        members: null,
        teams: null,
        membership_role: null,
        membership_role_origin: null,
        default_project_role_for_members: null,
        storage_quota_bytes: null,
        storage_used_bytes: null,
      });
    });

    it('shows staff the outsider view too (no implicit rights)', async () => {
      const res = await get(user(s.org), admin);
      expectStatus(res, 200);
      expect(Object.keys(res.body)).toEqual(ORG_KEYS);
      expect(res.body).toMatchObject({
        username: s.org,
        organization_owner: s.names.owner,
        email: null,
        members: null,
        teams: null,
        membership_role: null,
        membership_role_origin: null,
        default_project_role_for_members: null,
        storage_quota_bytes: null,
        storage_used_bytes: null,
      });
    });

    it('finds an organization by name case-insensitively and answers 404 object_not_found for an unknown one', async () => {
      expect((await get(user(s.org.toUpperCase()), s.owner)).body.username).toBe(s.org);
      expectError(await get(user('no_such_org_at_all'), s.owner), 404, 'object_not_found');
    });

    it('never answers a team as a user: GET /users/@org/team/ is 404', async () => {
      expectError(await get(user(`@${s.org}/surveyors`), admin), 404, 'object_not_found');
    });
  });

  // ===========================================================================================

  describe('GET /api/v1/organizations/ and GET /api/v1/users/{me}/organizations/', () => {
    let lia: string;
    let max: string;
    let other: string;
    beforeAll(async () => {
      lia = await t.createPerson('lia_lists');
      max = await t.createPerson('max_lists');
      other = await t.createPerson('oli_lists');
      await createOrg(lia, 'lia_own_b');
      await createOrg(lia, 'lia_own_a');
      await createOrg(max, 'max_org_admin');
      await createOrg(max, 'max_org_member');
      await createOrg(max, 'max_org_private');
      await addMember('max_org_admin', max, 'lia_lists', 'admin');
      await addMember('max_org_member', max, 'lia_lists', 'member');
      await createOrg(other, 'oli_org');
    });

    it('answers 401 not_authenticated without a token', async () => {
      expectError(await request(t.http).get(ORGS), 401, 'not_authenticated');
    });

    it('lists what the caller owns or belongs to, not other organizations, each with membership_role', async () => {
      const res = await get(ORGS, lia);
      expectStatus(res, 200);
      expect(Array.isArray(res.body)).toBe(true);
      expect([...names(res)].sort()).toEqual(['lia_own_a', 'lia_own_b', 'max_org_admin', 'max_org_member']);
      for (const org of res.body) expect(Object.keys(org)).toEqual(ORG_KEYS);
      const roles = Object.fromEntries(res.body.map((o: Body) => [o.username, [o.membership_role, o.membership_role_origin]]));
      expect(roles).toEqual({
        lia_own_a: ['admin', 'organization_owner'],
        lia_own_b: ['admin', 'organization_owner'],
        max_org_admin: ['admin', 'organization_member'],
        max_org_member: ['member', 'organization_member'],
      });
    });

    it('answers the same list on GET /users/{me}/organizations/', async () => {
      const mine = await get(ORGS, lia);
      const res = await get('/api/v1/users/lia_lists/organizations/', lia);
      expectStatus(res, 200);
      expect(res.body).toEqual(mine.body);
    });

    it("answers 403 permission_denied for another person's /users/{other}/organizations/", async () => {
      expectError(await get('/api/v1/users/max_lists/organizations/', lia), 403, 'permission_denied');
      expectError(await get('/api/v1/users/lia_lists/organizations/', admin), 403, 'permission_denied');
    });

    it('answers [] to a person in no organization, staff included', async () => {
      const lone = await t.createPerson('lone_lists');
      expect((await get(ORGS, lone)).body).toEqual([]);
      const staffList = await get(ORGS, admin);
      expect(names(staffList)).not.toContain('oli_org');
      expect(names(staffList)).not.toContain('lia_own_a');
    });

    it('paginates with limit: X-Total-Count and X-Next-Page, then X-Previous-Page; none without limit', async () => {
      const whole = await get(ORGS, lia);
      expect(whole.headers['x-total-count']).toBeUndefined();
      const first = await get(`${ORGS}?limit=3`, lia);
      expectStatus(first, 200);
      expect(first.body).toHaveLength(3);
      expect(first.headers['x-total-count']).toBe('4');
      const next = new URL(first.headers['x-next-page']);
      expect([next.searchParams.get('limit'), next.searchParams.get('offset')]).toEqual(['3', '3']);
      expect(first.headers['x-previous-page']).toBeUndefined();
      const second = await get(`${ORGS}?limit=3&offset=3`, lia);
      expect(second.body).toHaveLength(1);
      expect(second.headers['x-next-page']).toBeUndefined();
      expect(second.headers['x-previous-page']).toBeDefined();
      expect([...names(first), ...names(second)]).toEqual(names(whole));
    });

    it('paginates /users/{me}/organizations/ too', async () => {
      const res = await get('/api/v1/users/lia_lists/organizations/?limit=2', lia);
      expect(res.body).toHaveLength(2);
      expect(res.headers['x-total-count']).toBe('4');
    });
  });

  // ===========================================================================================

  describe('GET /api/v1/users/?q= with organizations', () => {
    let s: Squad;
    beforeAll(async () => {
      s = await squad('qsearch');
      await createTeam(s.org, s.owner, 'qsearch_crew');
    });

    it('lists organizations as organization objects, as the caller sees them', async () => {
      const res = await get('/api/v1/users/?q=qsearch_org', s.member);
      expectStatus(res, 200);
      expect(res.body).toHaveLength(1);
      expect(Object.keys(res.body[0])).toEqual(ORG_KEYS);
      expect(res.body[0]).toMatchObject({ username: s.org, type: 2, organization_owner: s.names.owner, membership_role: 'member' });
      const byOutsider = await get('/api/v1/users/?q=qsearch_org', s.outsider);
      expect(byOutsider.body[0]).toMatchObject({ username: s.org, type: 2, membership_role: null, members: null });
    });

    it('leaves organizations out with exclude_organizations=1', async () => {
      const all = await get('/api/v1/users/?q=qsearch', s.owner);
      expect(names(all)).toContain(s.org);
      const res = await get('/api/v1/users/?q=qsearch&exclude_organizations=1', s.owner);
      expectStatus(res, 200);
      expect(names(res)).not.toContain(s.org);
      expect(names(res)).toContain(s.names.owner);
      expect(res.body.every((u: Body) => u.type === 1)).toBe(true);
    });

    it('never lists teams', async () => {
      const res = await get('/api/v1/users/?q=qsearch_crew', admin);
      expectStatus(res, 200);
      expect(res.body).toEqual([]);
      const all = await get('/api/v1/users/?q=qsearch', admin);
      expect(all.body.every((u: Body) => u.type === 1 || u.type === 2)).toBe(true);
    });
  });

  // ===========================================================================================

  describe('PATCH /api/v1/users/{org}/', () => {
    let s: Squad;
    beforeAll(async () => {
      s = await squad('pat');
    });

    it('lets the owner change email', async () => {
      const res = await patch(user(s.org), s.owner, { email: 'owner-set@example.com' });
      expectStatus(res, 200);
      expect(Object.keys(res.body)).toEqual(ORG_KEYS);
      expect(res.body.email).toBe('owner-set@example.com');
      expect((await get(user(s.org), s.member)).body.email).toBe('owner-set@example.com');
    });

    it('lets an admin member change email', async () => {
      const res = await patch(user(s.org), s.admin, { email: 'admin-set@example.com' });
      expectStatus(res, 200);
      expect((await get(user(s.org), s.owner)).body.email).toBe('admin-set@example.com');
    });

    it('refuses an invalid email (400 naming email), changing nothing', async () => {
      const before = (await get(user(s.org), s.owner)).body.email;
      expectError(await patch(user(s.org), s.owner, { email: 'nope' }), 400, 'validation_error', 'email');
      expect((await get(user(s.org), s.owner)).body.email).toBe(before);
    });

    it('lets the owner set default_project_role_for_members to every project role, and back to null', async () => {
      for (const role of PROJECT_ROLES) {
        const res = await patch(user(s.org), s.owner, { default_project_role_for_members: role });
        expectStatus(res, 200);
        expect(res.body.default_project_role_for_members).toBe(role);
      }
      const cleared = await patch(user(s.org), s.owner, { default_project_role_for_members: null });
      expectStatus(cleared, 200);
      expect(cleared.body.default_project_role_for_members).toBeNull();
      expect((await get(user(s.org), s.member)).body.default_project_role_for_members).toBeNull();
    });

    it('lets an admin member set default_project_role_for_members', async () => {
      const res = await patch(user(s.org), s.admin, { default_project_role_for_members: 'editor' });
      expectStatus(res, 200);
      expect((await get(user(s.org), s.owner)).body.default_project_role_for_members).toBe('editor');
      await patch(user(s.org), s.owner, { default_project_role_for_members: null });
    });

    it.each(['owner', 'superuser', 'Admin', 'member'])('refuses default_project_role_for_members %j (400 naming it)', async (role) => {
      const res = await patch(user(s.org), s.owner, { default_project_role_for_members: role });
      expectError(res, 400, 'validation_error', 'default_project_role_for_members');
      expect((await get(user(s.org), s.owner)).body.default_project_role_for_members).toBeNull();
    });

    it.each(['creator', 'member', 'outsider'] as const)('answers 403 permission_denied to the %s changing email or the default role, changing nothing', async (who) => {
      const before = (await get(user(s.org), s.owner)).body;
      expectError(await patch(user(s.org), s[who], { email: `${who}@example.com` }), 403, 'permission_denied');
      expectError(await patch(user(s.org), s[who], { default_project_role_for_members: 'reader' }), 403, 'permission_denied');
      const after = (await get(user(s.org), s.owner)).body;
      expect([after.email, after.default_project_role_for_members]).toEqual([before.email, before.default_project_role_for_members]);
    });

    it('answers 403 permission_denied to staff changing email (no implicit rights in organizations)', async () => {
      const before = (await get(user(s.org), s.owner)).body.email;
      expectError(await patch(user(s.org), admin, { email: 'staff-set@example.com' }), 403, 'permission_denied');
      expect((await get(user(s.org), s.owner)).body.email).toBe(before);
    });

    it('answers 403 permission_denied when an admin member changes organization_owner', async () => {
      expectError(await patch(user(s.org), s.admin, { organization_owner: s.names.admin }), 403, 'permission_denied');
      expect((await get(user(s.org), s.owner)).body.organization_owner).toBe(s.names.owner);
    });

    it('answers 403 permission_denied when a plain member or an outsider changes organization_owner', async () => {
      expectError(await patch(user(s.org), s.member, { organization_owner: s.names.member }), 403, 'permission_denied');
      expectError(await patch(user(s.org), s.outsider, { organization_owner: s.names.outsider }), 403, 'permission_denied');
      expect((await get(user(s.org), s.owner)).body.organization_owner).toBe(s.names.owner);
    });

    it('refuses a new owner who is not a member (400 validation_error naming organization_owner), changing nothing', async () => {
      expectError(await patch(user(s.org), s.owner, { organization_owner: s.names.outsider }), 400, 'validation_error', 'organization_owner');
      expectError(await patch(user(s.org), s.owner, { organization_owner: 'nobody_by_that_name' }), 400, 'validation_error', 'organization_owner');
      const after = (await get(user(s.org), s.owner)).body;
      expect(after.organization_owner).toBe(s.names.owner);
      expect(after.members).not.toContain(s.names.outsider);
    });

    it('lets staff set storage_quota_bytes of an organization', async () => {
      const res = await patch(user(s.org), admin, { storage_quota_bytes: 123456 });
      expectStatus(res, 200);
      expect((await get(user(s.org), s.owner)).body.storage_quota_bytes).toBe(123456);
    });

    it.each(['owner', 'admin', 'member'] as const)('answers 403 permission_denied when the %s sets storage_quota_bytes', async (who) => {
      const before = (await get(user(s.org), s.owner)).body.storage_quota_bytes;
      expectError(await patch(user(s.org), s[who], { storage_quota_bytes: 999 }), 403, 'permission_denied');
      expect((await get(user(s.org), s.owner)).body.storage_quota_bytes).toBe(before);
    });

    it('answers 404 object_not_found for an unknown organization', async () => {
      expectError(await patch(user('never_an_org'), s.owner, { email: 'x@example.com' }), 404, 'object_not_found');
    });

    describe('handing the organization over (organization_owner)', () => {
      let h: Squad;
      beforeAll(async () => {
        h = await squad('hand');
      });

      it('makes a member the owner: they are no longer a member row, the old owner is an admin member', async () => {
        const res = await patch(user(h.org), h.owner, { organization_owner: h.names.member });
        expectStatus(res, 200);
        expect(res.body.organization_owner).toBe(h.names.member);
        // The old owner now sees it as an admin member.
        expect([res.body.membership_role, res.body.membership_role_origin]).toEqual(['admin', 'organization_member']);

        const rows = await get(members(h.org), h.owner);
        expectStatus(rows, 200);
        const roles = Object.fromEntries(rows.body.map((r: Body) => [r.member, r.role]));
        expect(roles).toEqual({ [h.names.owner]: 'admin', [h.names.admin]: 'admin', [h.names.creator]: 'creator' });
        expectError(await get(member(h.org, h.names.member), h.owner), 404, 'object_not_found');

        const seenByNew = await get(user(h.org), h.member);
        expect([seenByNew.body.organization_owner, seenByNew.body.membership_role, seenByNew.body.membership_role_origin]).toEqual([
          h.names.member,
          'admin',
          'organization_owner',
        ]);
        expect(seenByNew.body.members).not.toContain(h.names.member);
        expect(seenByNew.body.members).toContain(h.names.owner);
      });

      it('leaves the old owner (now an admin) unable to hand it back (403), and lets the new owner do it', async () => {
        expectError(await patch(user(h.org), h.owner, { organization_owner: h.names.owner }), 403, 'permission_denied');
        const res = await patch(user(h.org), h.member, { organization_owner: h.names.owner });
        expectStatus(res, 200);
        expect(res.body.organization_owner).toBe(h.names.owner);
        const roles = Object.fromEntries((await get(members(h.org), h.owner)).body.map((r: Body) => [r.member, r.role]));
        expect(roles[h.names.member]).toBe('admin');
        expect(roles[h.names.owner]).toBeUndefined();
      });
    });
  });

  // ===========================================================================================

  describe('DELETE /api/v1/users/{org}/', () => {
    it('lets the owner delete it: 204 with an empty body, then 404', async () => {
      const owner = await t.createPerson('del_owner1');
      await createOrg(owner, 'del_org1');
      const res = await del(user('del_org1'), owner);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectError(await get(user('del_org1'), owner), 404, 'object_not_found');
    });

    it('answers 403 permission_denied to staff, admin members, other members and outsiders, and keeps it', async () => {
      const s = await squad('delperm');
      for (const token of [admin, s.admin, s.creator, s.member, s.outsider]) {
        expectError(await del(user(s.org), token), 403, 'permission_denied');
      }
      expectStatus(await get(user(s.org), s.owner), 200);
    });

    it('refuses (400 validation_error) while it owns a project; after the project is gone it can go', async () => {
      const owner = await t.createPerson('del_owner2');
      await createOrg(owner, 'del_org2');
      const projectId = await createProject(owner, 'del_org2', 'keeps-org-alive');
      expectError(await del(user('del_org2'), owner), 400, 'validation_error');
      expectStatus(await get(user('del_org2'), owner), 200);
      expect((await del(`${PROJECTS}${projectId}/`, owner)).status).toBe(204);
      expect((await del(user('del_org2'), owner)).status).toBe(204);
    });

    it('removes its teams and memberships with it: former members no longer list it', async () => {
      const s = await squad('delcasc');
      await createTeam(s.org, s.owner, 'casc_team');
      await addTeamMember(s.org, 'casc_team', s.owner, s.names.member);
      const orgId = await accountId(s.org);
      expect(names(await get(ORGS, s.member))).toContain(s.org);

      expect((await del(user(s.org), s.owner)).status).toBe(204);
      for (const token of [s.owner, s.admin, s.creator, s.member]) expect(names(await get(ORGS, token))).not.toContain(s.org);
      expect(await t.sql(`SELECT 1 FROM accounts WHERE team_organization_id = $1 OR lower(username) LIKE lower($2)`, [orgId, `@${s.org}/%`])).toHaveLength(0);
      expect(await t.sql(`SELECT 1 FROM organization_members WHERE organization_id = $1`, [orgId])).toHaveLength(0);
      expect(await t.sql(`SELECT 1 FROM team_members tm JOIN accounts u ON u.id = tm.member_id WHERE u.username = $1`, [s.names.member])).toHaveLength(0);
      // The name is free again, teams included.
      await createOrg(s.outsider, s.org);
      await createTeam(s.org, s.outsider, 'casc_team');
    });

    it('refuses staff deleting a person who owns an organization (400) until it is handed over', async () => {
      const s = await squad('ownerdel');
      expectError(await del(user(s.names.owner), admin), 400, 'validation_error');
      expectStatus(await get(user(s.names.owner), admin), 200);
      expectStatus(await patch(user(s.org), s.owner, { organization_owner: s.names.admin }), 200);
      expect((await del(user(s.names.owner), admin)).status).toBe(204);
      expectError(await get(user(s.names.owner), admin), 404, 'object_not_found');
      // Its admin membership went with it.
      expect(names(await get(members(s.org), s.admin), 'member')).not.toContain(s.names.owner);
    });

    it('refuses staff deleting a person who owns an organization (400) until the organization is deleted', async () => {
      const owner = await t.createPerson('ownerdel2_owner');
      await createOrg(owner, 'ownerdel2_org');
      expectError(await del(user('ownerdel2_owner'), admin), 400, 'validation_error');
      expect((await del(user('ownerdel2_org'), owner)).status).toBe(204);
      expect((await del(user('ownerdel2_owner'), admin)).status).toBe(204);
    });
  });

  // ===========================================================================================

  describe('Members: /api/v1/members/{org}/', () => {
    let s: Squad;
    beforeAll(async () => {
      s = await squad('mem');
    });

    describe('GET (list)', () => {
      it('answers the member rows, without the owner, fields in order', async () => {
        const res = await get(members(s.org), s.owner);
        expectStatus(res, 200);
        expect(Array.isArray(res.body)).toBe(true);
        for (const row of res.body) {
          expect(Object.keys(row)).toEqual(MEMBER_KEYS);
          expect(row.organization).toBe(s.org);
          expect(row.created_at).toMatch(ISO_Z);
        }
        const roles = Object.fromEntries(res.body.map((r: Body) => [r.member, r.role]));
        expect(roles).toEqual({ [s.names.admin]: 'admin', [s.names.creator]: 'creator', [s.names.member]: 'member' });
        expect(names(res, 'member')).not.toContain(s.names.owner);
      });

      it.each(['admin', 'creator', 'member'] as const)('may be read by a member with role %s', async (who) => {
        const res = await get(members(s.org), s[who]);
        expectStatus(res, 200);
        expect(res.body).toHaveLength(3);
      });

      it('answers 403 permission_denied to outsiders and to staff', async () => {
        expectError(await get(members(s.org), s.outsider), 403, 'permission_denied');
        expectError(await get(members(s.org), admin), 403, 'permission_denied');
      });

      it('answers 404 object_not_found for an unknown organization and for a person', async () => {
        expectError(await get(members('no_org_here'), s.owner), 404, 'object_not_found');
        expectError(await get(members(s.names.owner), s.owner), 404, 'object_not_found');
      });

      it('answers 401 not_authenticated without a token', async () => {
        expectError(await request(t.http).get(members(s.org)), 401, 'not_authenticated');
      });

      it('paginates with limit', async () => {
        const res = await get(`${members(s.org)}?limit=2`, s.owner);
        expect(res.body).toHaveLength(2);
        expect(res.headers['x-total-count']).toBe(String((await get(members(s.org), s.owner)).body.length));
        expect(res.headers['x-next-page']).toContain('offset=2');
      });
    });

    describe('POST', () => {
      it('lets the owner add a person: 201 with the member row, role given', async () => {
        await t.createPerson('mem_added1');
        const res = await post(members(s.org), s.owner, { member: 'mem_added1', role: 'creator' });
        expectStatus(res, 201);
        expect(Object.keys(res.body)).toEqual(MEMBER_KEYS);
        expect(res.body).toMatchObject({ organization: s.org, member: 'mem_added1', role: 'creator' });
        expect(res.body.created_at).toMatch(ISO_Z);
        expect((await get(member(s.org, 'mem_added1'), s.owner)).body.role).toBe('creator');
      });

      it('defaults the role to member', async () => {
        await t.createPerson('mem_added2');
        const res = await post(members(s.org), s.owner, { member: 'mem_added2' });
        expectStatus(res, 201);
        expect(res.body.role).toBe('member');
      });

      it('lets an admin member add a person, as admin too, from a form body', async () => {
        await t.createPerson('mem_added3');
        const res = await request(t.http).post(members(s.org)).set(auth(s.admin)).type('form').send({ member: 'mem_added3', role: 'admin' });
        expectStatus(res, 201);
        expect(res.body).toMatchObject({ member: 'mem_added3', role: 'admin' });
        const seen = await get(user(s.org), await t.login('mem_added3', 'mem_added3-password'));
        expect([seen.body.membership_role, seen.body.membership_role_origin]).toEqual(['admin', 'organization_member']);
      });

      it.each(['creator', 'member', 'outsider'] as const)('answers 403 permission_denied to the %s, adding nothing', async (who) => {
        const name = `mem_by_${who}`;
        await t.createPerson(name);
        expectError(await post(members(s.org), s[who], { member: name, role: 'member' }), 403, 'permission_denied');
        expectError(await get(member(s.org, name), s.owner), 404, 'object_not_found');
      });

      it('answers 403 permission_denied to staff', async () => {
        await t.createPerson('mem_by_staff');
        expectError(await post(members(s.org), admin, { member: 'mem_by_staff' }), 403, 'permission_denied');
      });

      it('answers 404 object_not_found for an unknown organization', async () => {
        expectError(await post(members('no_org_there'), s.owner, { member: s.names.outsider }), 404, 'object_not_found');
      });

      it.each(['owner', 'manager', 'reader', 'ADMIN', ''])('refuses the role %j (400 naming role)', async (role) => {
        await t.createPerson(`mem_role_${role.toLowerCase() || 'empty'}`);
        const res = await post(members(s.org), s.owner, { member: `mem_role_${role.toLowerCase() || 'empty'}`, role });
        expectError(res, 400, 'validation_error', 'role');
      });

      it('requires member (400 naming member)', async () => {
        expectError(await post(members(s.org), s.owner, { role: 'member' }), 400, 'validation_error', 'member');
      });

      it('refuses an unknown account (400 validation_error naming member)', async () => {
        expectError(await post(members(s.org), s.owner, { member: 'ghost_person' }), 400, 'validation_error', 'member');
      });

      it('refuses an organization as a member (400 validation_error)', async () => {
        await createOrg(s.outsider, 'mem_other_org');
        expectError(await post(members(s.org), s.owner, { member: 'mem_other_org' }), 400, 'validation_error', 'member');
        expectError(await post(members(s.org), s.owner, { member: s.org }), 400, 'validation_error', 'member');
      });

      it('refuses a team as a member (400 validation_error)', async () => {
        await createTeam(s.org, s.owner, 'mem_crew');
        expectError(await post(members(s.org), s.owner, { member: `@${s.org}/mem_crew` }), 400, 'validation_error', 'member');
        expect(await t.sql(`SELECT 1 FROM organization_members WHERE member_id = $1`, [await accountId(`@${s.org}/mem_crew`)])).toHaveLength(0);
      });

      it('refuses the owner (400 validation_error), who stays no member row', async () => {
        expectError(await post(members(s.org), s.owner, { member: s.names.owner, role: 'admin' }), 400, 'validation_error', 'member');
        expectError(await post(members(s.org), s.admin, { member: s.names.owner.toUpperCase() }), 400, 'validation_error', 'member');
        expect(names(await get(members(s.org), s.owner), 'member')).not.toContain(s.names.owner);
      });

      it('refuses an existing member, in any case (400 validation_error), keeping the role', async () => {
        expectError(await post(members(s.org), s.owner, { member: s.names.member, role: 'admin' }), 400, 'validation_error', 'member');
        expectError(await post(members(s.org), s.owner, { member: s.names.member.toUpperCase(), role: 'admin' }), 400, 'validation_error', 'member');
        expect((await get(member(s.org, s.names.member), s.owner)).body.role).toBe('member');
      });
    });

    describe('GET, PATCH, PUT /api/v1/members/{org}/{username}/', () => {
      it('answers one member row to the owner and members', async () => {
        for (const token of [s.owner, s.member]) {
          const res = await get(member(s.org, s.names.creator), token);
          expectStatus(res, 200);
          expect(Object.keys(res.body)).toEqual(MEMBER_KEYS);
          expect(res.body).toMatchObject({ organization: s.org, member: s.names.creator, role: 'creator' });
        }
      });

      it('answers 403 permission_denied to an outsider', async () => {
        expectError(await get(member(s.org, s.names.member), s.outsider), 403, 'permission_denied');
      });

      it('answers 404 object_not_found for a non-member, an unknown name and the owner', async () => {
        expectError(await get(member(s.org, s.names.outsider), s.owner), 404, 'object_not_found');
        expectError(await get(member(s.org, 'ghost_member'), s.owner), 404, 'object_not_found');
        expectError(await get(member(s.org, s.names.owner), s.owner), 404, 'object_not_found');
      });

      it('lets the owner change a role with PATCH', async () => {
        await t.createPerson('mem_patch1');
        await addMember(s.org, s.owner, 'mem_patch1', 'member');
        const res = await patch(member(s.org, 'mem_patch1'), s.owner, { role: 'creator' });
        expectStatus(res, 200);
        expect(Object.keys(res.body)).toEqual(MEMBER_KEYS);
        expect(res.body).toMatchObject({ member: 'mem_patch1', role: 'creator' });
        expect((await get(member(s.org, 'mem_patch1'), s.owner)).body.role).toBe('creator');
      });

      it('lets an admin member change a role with PUT', async () => {
        await t.createPerson('mem_put1');
        await addMember(s.org, s.owner, 'mem_put1', 'member');
        const res = await put(member(s.org, 'mem_put1'), s.admin, { role: 'admin' });
        expectStatus(res, 200);
        expect(res.body.role).toBe('admin');
        expect((await get(member(s.org, 'mem_put1'), s.owner)).body.role).toBe('admin');
      });

      it.each(['creator', 'member', 'outsider'] as const)('answers 403 permission_denied to the %s changing a role', async (who) => {
        expectError(await patch(member(s.org, s.names.member), s[who], { role: 'admin' }), 403, 'permission_denied');
        expectError(await put(member(s.org, s.names.member), s[who], { role: 'admin' }), 403, 'permission_denied');
        expect((await get(member(s.org, s.names.member), s.owner)).body.role).toBe('member');
      });

      it('refuses a bad role (400 naming role)', async () => {
        expectError(await patch(member(s.org, s.names.member), s.owner, { role: 'owner' }), 400, 'validation_error', 'role');
        expect((await get(member(s.org, s.names.member), s.owner)).body.role).toBe('member');
      });

      it('answers 404 object_not_found when changing a non-member', async () => {
        expectError(await patch(member(s.org, s.names.outsider), s.owner, { role: 'admin' }), 404, 'object_not_found');
        expectError(await put(member(s.org, s.names.outsider), s.owner, { role: 'admin' }), 404, 'object_not_found');
      });
    });

    describe('DELETE /api/v1/members/{org}/{username}/', () => {
      let d: Squad;
      beforeAll(async () => {
        d = await squad('memdel');
      });

      it('lets the owner remove a member: 204, then 404, and it leaves their organization list', async () => {
        const tok = await t.createPerson('memdel_x1');
        await addMember(d.org, d.owner, 'memdel_x1');
        expect(names(await get(ORGS, tok))).toContain(d.org);
        const res = await del(member(d.org, 'memdel_x1'), d.owner);
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
        expectError(await get(member(d.org, 'memdel_x1'), d.owner), 404, 'object_not_found');
        expect(names(await get(ORGS, tok))).not.toContain(d.org);
        expectError(await get(members(d.org), tok), 403, 'permission_denied');
      });

      it('lets an admin member remove a member', async () => {
        await t.createPerson('memdel_x2');
        await addMember(d.org, d.owner, 'memdel_x2', 'creator');
        expect((await del(member(d.org, 'memdel_x2'), d.admin)).status).toBe(204);
        expectError(await get(member(d.org, 'memdel_x2'), d.owner), 404, 'object_not_found');
      });

      it('lets a member remove themself', async () => {
        const tok = await t.createPerson('memdel_self');
        await addMember(d.org, d.owner, 'memdel_self', 'member');
        expect((await del(member(d.org, 'memdel_self'), tok)).status).toBe(204);
        expectError(await get(member(d.org, 'memdel_self'), d.owner), 404, 'object_not_found');
      });

      it('answers 403 permission_denied to a plain member or a creator removing another member, who stays', async () => {
        expectError(await del(member(d.org, d.names.admin), d.member), 403, 'permission_denied');
        expectError(await del(member(d.org, d.names.member), d.creator), 403, 'permission_denied');
        expect((await get(member(d.org, d.names.admin), d.owner)).body.role).toBe('admin');
        expect((await get(member(d.org, d.names.member), d.owner)).body.role).toBe('member');
      });

      it('answers 403 permission_denied to an outsider and to staff', async () => {
        expectError(await del(member(d.org, d.names.member), d.outsider), 403, 'permission_denied');
        expectError(await del(member(d.org, d.names.member), admin), 403, 'permission_denied');
        expectStatus(await get(member(d.org, d.names.member), d.owner), 200);
      });

      it('answers 404 object_not_found for a non-member and for the owner', async () => {
        expectError(await del(member(d.org, d.names.outsider), d.owner), 404, 'object_not_found');
        expectError(await del(member(d.org, d.names.owner), d.admin), 404, 'object_not_found');
        expect((await get(user(d.org), d.owner)).body.organization_owner).toBe(d.names.owner);
      });

      it("removes the member's team memberships in that organization, not in another one", async () => {
        const tok = await t.createPerson('memdel_teams');
        await addMember(d.org, d.owner, 'memdel_teams');
        await createTeam(d.org, d.owner, 'memdel_t1');
        await createTeam(d.org, d.owner, 'memdel_t2');
        await addTeamMember(d.org, 'memdel_t1', d.owner, 'memdel_teams');
        await addTeamMember(d.org, 'memdel_t2', d.owner, 'memdel_teams');
        await createOrg(tok, 'memdel_own_org');
        await createTeam('memdel_own_org', tok, 'own_t');
        await addTeamMember('memdel_own_org', 'own_t', tok, 'memdel_teams');

        expect((await del(member(d.org, 'memdel_teams'), d.owner)).status).toBe(204);
        expect((await get(team(d.org, 'memdel_t1'), d.owner)).body.members).toEqual([]);
        expect((await get(team(d.org, 'memdel_t2'), d.owner)).body.members).toEqual([]);
        expect((await get(team('memdel_own_org', 'own_t'), tok)).body.members).toEqual(['memdel_teams']);
      });

      it("removes the member's direct collaborations on the organization's projects; one on another person's project stays", async () => {
        const tok = await t.createPerson('memdel_collab');
        await addMember(d.org, d.owner, 'memdel_collab');
        const orgProject = await createProject(d.owner, d.org, 'memdel-org-project');
        const otherPersonProject = await createProject(d.outsider, d.names.outsider, 'memdel-person-project');
        const otherOrgOwner = await t.createPerson('memdel_oorg_owner');
        await createOrg(otherOrgOwner, 'memdel_other_org');
        await addMember('memdel_other_org', otherOrgOwner, 'memdel_collab');
        const otherOrgProject = await createProject(otherOrgOwner, 'memdel_other_org', 'memdel-other-org-project');
        await insertCollaborator(orgProject, 'memdel_collab', 'editor');
        await insertCollaborator(otherPersonProject, 'memdel_collab', 'reporter');
        await insertCollaborator(otherOrgProject, 'memdel_collab', 'manager');
        expect((await get(`${PROJECTS}${orgProject}/`, tok)).body.user_role).toBe('editor');

        expect((await del(member(d.org, 'memdel_collab'), d.owner)).status).toBe(204);
        expect(await hasCollaborator(orgProject, 'memdel_collab')).toBe(false);
        expect(await hasCollaborator(otherPersonProject, 'memdel_collab')).toBe(true);
        expect(await hasCollaborator(otherOrgProject, 'memdel_collab')).toBe(true);
        expectError(await get(`${PROJECTS}${orgProject}/`, tok), 403, 'permission_denied');
        expect((await get(`${PROJECTS}${otherPersonProject}/`, tok)).body.user_role).toBe('reporter');
      });

      it('removes the team memberships and collaborations of a member who leaves by themself too', async () => {
        const tok = await t.createPerson('memdel_leaver');
        await addMember(d.org, d.owner, 'memdel_leaver');
        await createTeam(d.org, d.owner, 'memdel_t3');
        await addTeamMember(d.org, 'memdel_t3', d.owner, 'memdel_leaver');
        const orgProject = await createProject(d.owner, d.org, 'memdel-leaver-project');
        await insertCollaborator(orgProject, 'memdel_leaver', 'reader');
        expect((await del(member(d.org, 'memdel_leaver'), tok)).status).toBe(204);
        expect(await hasCollaborator(orgProject, 'memdel_leaver')).toBe(false);
        expect((await get(team(d.org, 'memdel_t3'), d.owner)).body.members).toEqual([]);
      });
    });
  });

  // ===========================================================================================

  describe('Teams: /api/v1/organizations/{org}/teams/', () => {
    let s: Squad;
    beforeAll(async () => {
      s = await squad('tm');
    });

    describe('POST and GET (list)', () => {
      it('lets the owner create a team: 201 {team, organization, members: []}, team the short name', async () => {
        const res = await post(teams(s.org), s.owner, { team: 'Field-Crew_1' });
        expectStatus(res, 201);
        expect(Object.keys(res.body)).toEqual(TEAM_KEYS);
        expect(res.body).toEqual({ team: 'Field-Crew_1', organization: s.org, members: [] });
        expect((await get(user(s.org), s.owner)).body.teams).toContain('Field-Crew_1');
      });

      it('lets an admin member create a team, from a form body', async () => {
        const res = await request(t.http).post(teams(s.org)).set(auth(s.admin)).type('form').send({ team: 'admins_team' });
        expectStatus(res, 201);
        expect(res.body).toEqual({ team: 'admins_team', organization: s.org, members: [] });
      });

      it.each(['creator', 'member', 'outsider'] as const)('answers 403 permission_denied to the %s creating a team', async (who) => {
        expectError(await post(teams(s.org), s[who], { team: `by_${who}` }), 403, 'permission_denied');
        expectError(await get(team(s.org, `by_${who}`), s.owner), 404, 'object_not_found');
      });

      it('answers 403 permission_denied to staff creating a team', async () => {
        expectError(await post(teams(s.org), admin, { team: 'by_staff' }), 403, 'permission_denied');
      });

      it('answers 404 object_not_found for an unknown organization', async () => {
        expectError(await post(teams('no_org_for_teams'), s.owner, { team: 'lost' }), 404, 'object_not_found');
        expectError(await get(teams('no_org_for_teams'), s.owner), 404, 'object_not_found');
      });

      it.each([
        ['too short', 'ab'],
        ['starting with a digit', '1team'],
        ['starting with an underscore', '_team'],
        ['containing a space', 'team one'],
        ['containing a slash', 'team/one'],
        ['containing an @', 'team@one'],
        ['containing a dot', 'team.one'],
        ['empty', ''],
      ])('refuses a short name %s (%j), naming team', async (_, name) => {
        expectError(await post(teams(s.org), s.owner, { team: name }), 400, 'validation_error', 'team');
      });

      it('requires team (400 naming team)', async () => {
        expectError(await post(teams(s.org), s.owner, {}), 400, 'validation_error', 'team');
      });

      it('refuses a duplicate short name in the same organization, case-insensitively (400 naming team)', async () => {
        await createTeam(s.org, s.owner, 'dup_team');
        expectError(await post(teams(s.org), s.owner, { team: 'dup_team' }), 400, 'validation_error', 'team');
        expectError(await post(teams(s.org), s.admin, { team: 'DUP_Team' }), 400, 'validation_error', 'team');
        expect(names(await get(teams(s.org), s.owner), 'team').filter((n) => n.toLowerCase() === 'dup_team')).toEqual(['dup_team']);
      });

      it('accepts the same short name in another organization', async () => {
        await createTeam(s.org, s.owner, 'shared_name');
        await createOrg(s.outsider, 'tm_other_org');
        const res = await post(teams('tm_other_org'), s.outsider, { team: 'shared_name' });
        expectStatus(res, 201);
        expect(res.body).toEqual({ team: 'shared_name', organization: 'tm_other_org', members: [] });
      });

      it('lists the teams to the owner and every member, with their members', async () => {
        await createTeam(s.org, s.owner, 'listed_team');
        await addTeamMember(s.org, 'listed_team', s.owner, s.names.member);
        for (const token of [s.owner, s.admin, s.creator, s.member]) {
          const res = await get(teams(s.org), token);
          expectStatus(res, 200);
          expect(Array.isArray(res.body)).toBe(true);
          for (const row of res.body) expect(Object.keys(row)).toEqual(TEAM_KEYS);
          expect(res.body).toContainEqual({ team: 'listed_team', organization: s.org, members: [s.names.member] });
        }
      });

      it('answers 403 permission_denied to outsiders and staff reading the teams', async () => {
        expectError(await get(teams(s.org), s.outsider), 403, 'permission_denied');
        expectError(await get(teams(s.org), admin), 403, 'permission_denied');
      });

      it('paginates the team list with limit', async () => {
        const all = await get(teams(s.org), s.owner);
        const res = await get(`${teams(s.org)}?limit=1`, s.owner);
        expect(res.body).toHaveLength(1);
        expect(res.headers['x-total-count']).toBe(String(all.body.length));
      });
    });

    describe('GET, PUT, DELETE /api/v1/organizations/{org}/teams/{team}/', () => {
      it('answers one team to the owner and members', async () => {
        await createTeam(s.org, s.owner, 'one_team');
        await addTeamMember(s.org, 'one_team', s.owner, s.names.owner);
        for (const token of [s.owner, s.member]) {
          const res = await get(team(s.org, 'one_team'), token);
          expectStatus(res, 200);
          expect(Object.keys(res.body)).toEqual(TEAM_KEYS);
          expect(res.body).toEqual({ team: 'one_team', organization: s.org, members: [s.names.owner] });
        }
      });

      it('answers 403 permission_denied to an outsider', async () => {
        await createTeam(s.org, s.owner, 'hidden_team');
        expectError(await get(team(s.org, 'hidden_team'), s.outsider), 403, 'permission_denied');
      });

      it('answers 404 object_not_found for an unknown team, also for GET, PUT and DELETE', async () => {
        expectError(await get(team(s.org, 'ghost_team'), s.owner), 404, 'object_not_found');
        expectError(await put(team(s.org, 'ghost_team'), s.owner, { team: 'ghost_two' }), 404, 'object_not_found');
        expectError(await del(team(s.org, 'ghost_team'), s.owner), 404, 'object_not_found');
      });

      it("answers 404 object_not_found for another organization's team", async () => {
        await createOrg(s.outsider, 'tm_foreign_org');
        await createTeam('tm_foreign_org', s.outsider, 'foreign_team');
        expectError(await get(team(s.org, 'foreign_team'), s.owner), 404, 'object_not_found');
      });

      it('renames a team with PUT {team}, keeping its members; the old name is 404', async () => {
        await createTeam(s.org, s.owner, 'old_name');
        await addTeamMember(s.org, 'old_name', s.owner, s.names.creator);
        const res = await put(team(s.org, 'old_name'), s.owner, { team: 'new_name' });
        expectStatus(res, 200);
        expect(res.body).toEqual({ team: 'new_name', organization: s.org, members: [s.names.creator] });
        expectError(await get(team(s.org, 'old_name'), s.owner), 404, 'object_not_found');
        expect((await get(team(s.org, 'new_name'), s.member)).body.members).toEqual([s.names.creator]);
      });

      it('lets an admin member rename a team', async () => {
        await createTeam(s.org, s.owner, 'rename_by_admin');
        const res = await put(team(s.org, 'rename_by_admin'), s.admin, { team: 'renamed_by_admin' });
        expectStatus(res, 200);
        expect(res.body.team).toBe('renamed_by_admin');
      });

      it('refuses a rename to a bad short name or to an existing team (400 naming team), keeping the name', async () => {
        await createTeam(s.org, s.owner, 'keep_name');
        await createTeam(s.org, s.owner, 'taken_name');
        expectError(await put(team(s.org, 'keep_name'), s.owner, { team: 'bad name' }), 400, 'validation_error', 'team');
        expectError(await put(team(s.org, 'keep_name'), s.owner, { team: 'Taken_Name' }), 400, 'validation_error', 'team');
        expectStatus(await get(team(s.org, 'keep_name'), s.owner), 200);
      });

      it.each(['creator', 'member', 'outsider'] as const)('answers 403 permission_denied to the %s renaming or deleting a team', async (who) => {
        const name = `guarded_${who}`;
        await createTeam(s.org, s.owner, name);
        expectError(await put(team(s.org, name), s[who], { team: `${name}_x` }), 403, 'permission_denied');
        expectError(await del(team(s.org, name), s[who]), 403, 'permission_denied');
        expectStatus(await get(team(s.org, name), s.owner), 200);
      });

      it('lets the owner delete a team: 204, then 404, gone from the organization object', async () => {
        await createTeam(s.org, s.owner, 'doomed_team');
        const res = await del(team(s.org, 'doomed_team'), s.owner);
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
        expectError(await get(team(s.org, 'doomed_team'), s.owner), 404, 'object_not_found');
        expect((await get(user(s.org), s.owner)).body.teams).not.toContain('doomed_team');
      });

      it('lets an admin member delete a team', async () => {
        await createTeam(s.org, s.owner, 'admin_doomed');
        expect((await del(team(s.org, 'admin_doomed'), s.admin)).status).toBe(204);
        expectError(await get(team(s.org, 'admin_doomed'), s.owner), 404, 'object_not_found');
      });

      it('deleting a team removes its memberships and its collaborations on the organization projects', async () => {
        await createTeam(s.org, s.owner, 'collab_team');
        await addTeamMember(s.org, 'collab_team', s.owner, s.names.member);
        const projectId = await createProject(s.owner, s.org, 'team-collab-project');
        const teamName = `@${s.org}/collab_team`;
        const teamId = await accountId(teamName);
        await insertCollaborator(projectId, teamName, 'editor');
        expect((await get(`${PROJECTS}${projectId}/`, s.member)).body.user_role).toBe('editor');

        expect((await del(team(s.org, 'collab_team'), s.owner)).status).toBe(204);
        expect(await t.sql(`SELECT 1 FROM team_members WHERE team_id = $1`, [teamId])).toHaveLength(0);
        expect(await t.sql(`SELECT 1 FROM project_collaborators WHERE collaborator_id = $1`, [teamId])).toHaveLength(0);
        expectError(await get(`${PROJECTS}${projectId}/`, s.member), 403, 'permission_denied');
        // A new team of the same name starts empty.
        await createTeam(s.org, s.owner, 'collab_team');
        expect((await get(team(s.org, 'collab_team'), s.owner)).body.members).toEqual([]);
      });
    });

    describe('team members: /api/v1/organizations/{org}/teams/{team}/members/', () => {
      beforeAll(async () => {
        await createTeam(s.org, s.owner, 'crew');
      });

      it('lets the owner add a member of the organization: 201 {member}', async () => {
        const res = await post(teamMembers(s.org, 'crew'), s.owner, { member: s.names.member });
        expectStatus(res, 201);
        expect(res.body).toEqual({ member: s.names.member });
        expect((await get(team(s.org, 'crew'), s.owner)).body.members).toContain(s.names.member);
      });

      it('lets an admin member add the organization owner, by name in any case', async () => {
        const res = await post(teamMembers(s.org, 'crew'), s.admin, { member: s.names.owner.toUpperCase() });
        expectStatus(res, 201);
        expect(res.body).toEqual({ member: s.names.owner });
      });

      it('lists the team members to the owner and members as [{member}]', async () => {
        await addTeamMember(s.org, 'crew', s.owner, s.names.creator);
        for (const token of [s.owner, s.member, s.creator]) {
          const res = await get(teamMembers(s.org, 'crew'), token);
          expectStatus(res, 200);
          for (const row of res.body) expect(Object.keys(row)).toEqual(['member']);
          expect([...names(res, 'member')].sort()).toEqual([s.names.creator, s.names.member, s.names.owner].sort());
        }
      });

      it('answers 403 permission_denied to an outsider and staff reading team members', async () => {
        expectError(await get(teamMembers(s.org, 'crew'), s.outsider), 403, 'permission_denied');
        expectError(await get(teamMembers(s.org, 'crew'), admin), 403, 'permission_denied');
      });

      it('refuses a person who is neither owner nor member (400 naming member)', async () => {
        expectError(await post(teamMembers(s.org, 'crew'), s.owner, { member: s.names.outsider }), 400, 'validation_error', 'member');
        expect(names(await get(teamMembers(s.org, 'crew'), s.owner), 'member')).not.toContain(s.names.outsider);
      });

      it('refuses an unknown account, an organization and a team (400 naming member)', async () => {
        expectError(await post(teamMembers(s.org, 'crew'), s.owner, { member: 'ghost_for_team' }), 400, 'validation_error', 'member');
        expectError(await post(teamMembers(s.org, 'crew'), s.owner, { member: s.org }), 400, 'validation_error', 'member');
        expectError(await post(teamMembers(s.org, 'crew'), s.owner, { member: `@${s.org}/crew` }), 400, 'validation_error', 'member');
      });

      it('requires member (400 naming member)', async () => {
        expectError(await post(teamMembers(s.org, 'crew'), s.owner, {}), 400, 'validation_error', 'member');
      });

      it.each(['creator', 'member', 'outsider'] as const)('answers 403 permission_denied to the %s adding a team member', async (who) => {
        expectError(await post(teamMembers(s.org, 'crew'), s[who], { member: s.names.admin }), 403, 'permission_denied');
        expect(names(await get(teamMembers(s.org, 'crew'), s.owner), 'member')).not.toContain(s.names.admin);
      });

      it('answers 404 object_not_found for an unknown team', async () => {
        expectError(await post(teamMembers(s.org, 'no_crew'), s.owner, { member: s.names.member }), 404, 'object_not_found');
        expectError(await get(teamMembers(s.org, 'no_crew'), s.owner), 404, 'object_not_found');
      });

      it('removes a team member: 204, then not listed', async () => {
        await createTeam(s.org, s.owner, 'crew_rm');
        await addTeamMember(s.org, 'crew_rm', s.owner, s.names.member);
        const res = await del(`${teamMembers(s.org, 'crew_rm')}${s.names.member}/`, s.owner);
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
        expect((await get(teamMembers(s.org, 'crew_rm'), s.owner)).body).toEqual([]);
        // Still a member of the organization.
        expectStatus(await get(member(s.org, s.names.member), s.owner), 200);
      });

      it('lets an admin member remove a team member', async () => {
        await createTeam(s.org, s.owner, 'crew_rm2');
        await addTeamMember(s.org, 'crew_rm2', s.owner, s.names.creator);
        expect((await del(`${teamMembers(s.org, 'crew_rm2')}${s.names.creator}/`, s.admin)).status).toBe(204);
        expect((await get(teamMembers(s.org, 'crew_rm2'), s.owner)).body).toEqual([]);
      });

      it('answers 404 object_not_found when the person is not in the team, or the team is unknown', async () => {
        await createTeam(s.org, s.owner, 'crew_rm3');
        expectError(await del(`${teamMembers(s.org, 'crew_rm3')}${s.names.member}/`, s.owner), 404, 'object_not_found');
        expectError(await del(`${teamMembers(s.org, 'crew_rm3')}ghost_person/`, s.owner), 404, 'object_not_found');
        expectError(await del(`${teamMembers(s.org, 'no_such_crew')}${s.names.member}/`, s.owner), 404, 'object_not_found');
      });

      it.each(['creator', 'member', 'outsider'] as const)('answers 403 permission_denied to the %s removing a team member', async (who) => {
        const name = `crew_keep_${who}`;
        await createTeam(s.org, s.owner, name);
        await addTeamMember(s.org, name, s.owner, s.names.member);
        expectError(await del(`${teamMembers(s.org, name)}${s.names.member}/`, s[who]), 403, 'permission_denied');
        expect(names(await get(teamMembers(s.org, name), s.owner), 'member')).toEqual([s.names.member]);
      });
    });
  });

  // ===========================================================================================

  describe('projects in organizations (spec §4.2, §5.5, §6.2)', () => {
    let s: Squad;
    beforeAll(async () => {
      s = await squad('proj');
    });

    const roleOf = async (projectId: string, token: string) => {
      const res = await get(`${PROJECTS}${projectId}/`, token);
      return res.status === 200 ? [res.body.user_role, res.body.user_role_origin] : res.status;
    };
    const listed = async (token: string) => names(await get(PROJECTS, token), 'id');

    it('lets the owner create in the organization: 201, admin by organization', async () => {
      const res = await post(PROJECTS, s.owner, { name: 'proj-by-owner', owner: s.org });
      expectStatus(res, 201);
      expect([res.body.owner, res.body.user_role, res.body.user_role_origin]).toEqual([s.org, 'admin', 'organization']);
    });

    it('lets an admin member create in the organization: 201, admin by organization', async () => {
      const res = await post(PROJECTS, s.admin, { name: 'proj-by-admin', owner: s.org });
      expectStatus(res, 201);
      expect([res.body.owner, res.body.user_role, res.body.user_role_origin]).toEqual([s.org, 'admin', 'organization']);
    });

    it('lets a creator create in the organization, as a direct admin collaborator', async () => {
      const res = await post(PROJECTS, s.creator, { name: 'proj-by-creator', owner: s.org });
      expectStatus(res, 201);
      expect([res.body.owner, res.body.user_role, res.body.user_role_origin]).toEqual([s.org, 'admin', 'direct']);
      expect(await roleOf(res.body.id, s.creator)).toEqual(['admin', 'direct']);
      const rows = await t.sql(`SELECT role::text AS role FROM project_collaborators WHERE project_id = $1 AND collaborator_id = $2`, [
        res.body.id,
        await accountId(s.names.creator),
      ]);
      expect(rows).toEqual([{ role: 'admin' }]);
    });

    it('answers 403 permission_denied to a plain member, an outsider and staff creating in the organization', async () => {
      expectError(await post(PROJECTS, s.member, { name: 'proj-by-member', owner: s.org }), 403, 'permission_denied');
      expectError(await post(PROJECTS, s.outsider, { name: 'proj-by-outsider', owner: s.org }), 403, 'permission_denied');
      expectError(await post(PROJECTS, admin, { name: 'proj-by-staff', owner: s.org }), 403, 'permission_denied');
      expect(await t.sql(`SELECT 1 FROM projects WHERE name IN ('proj-by-member', 'proj-by-outsider', 'proj-by-staff')`)).toHaveLength(0);
    });

    it('gives a plain member nothing without default_project_role_for_members: 403 and not listed', async () => {
      const id = await createProject(s.owner, s.org, 'proj-no-default');
      expect((await get(user(s.org), s.owner)).body.default_project_role_for_members).toBeNull();
      expectError(await get(`${PROJECTS}${id}/`, s.member), 403, 'permission_denied');
      expect(await listed(s.member)).not.toContain(id);
      // A creator is a member too: nothing on a project they did not create.
      expectError(await get(`${PROJECTS}${id}/`, s.creator), 403, 'permission_denied');
    });

    it('gives plain members the default role with origin organization, and lists the project for them', async () => {
      const o = await squad('projdef');
      const id = await createProject(o.owner, o.org, 'proj-default');
      expectStatus(await patch(user(o.org), o.owner, { default_project_role_for_members: 'reporter' }), 200);
      expect(await roleOf(id, o.member)).toEqual(['reporter', 'organization']);
      expect(await listed(o.member)).toContain(id);
      // A creator is another member too: the default role on projects they did not create.
      expect(await roleOf(id, o.creator)).toEqual(['reporter', 'organization']);
      const inList = (await get(PROJECTS, o.member)).body.find((p: Body) => p.id === id);
      expect([inList.user_role, inList.user_role_origin]).toEqual(['reporter', 'organization']);
      // Changing the default changes the role; clearing it takes access away.
      expectStatus(await patch(user(o.org), o.admin, { default_project_role_for_members: 'editor' }), 200);
      expect(await roleOf(id, o.member)).toEqual(['editor', 'organization']);
      expectStatus(await patch(user(o.org), o.owner, { default_project_role_for_members: null }), 200);
      expect(await roleOf(id, o.member)).toBe(403);
      expect(await listed(o.member)).not.toContain(id);
      // Outsiders get nothing from the default.
      expect(await roleOf(id, o.outsider)).toBe(403);
    });

    it('gives admin members admin with origin organization, the owner admin/organization too', async () => {
      const id = await createProject(s.owner, s.org, 'proj-admin-role');
      expect(await roleOf(id, s.admin)).toEqual(['admin', 'organization']);
      expect(await roleOf(id, s.owner)).toEqual(['admin', 'organization']);
      expect(await listed(s.admin)).toContain(id);
    });

    it('gives team membership alone nothing, until the team is a collaborator (then the team role, origin team)', async () => {
      const id = await createProject(s.owner, s.org, 'proj-team-role');
      await createTeam(s.org, s.owner, 'proj_team');
      await addTeamMember(s.org, 'proj_team', s.owner, s.names.member);
      expect(await roleOf(id, s.member)).toBe(403);
      expect(await listed(s.member)).not.toContain(id);
      await insertCollaborator(id, `@${s.org}/proj_team`, 'editor');
      expect(await roleOf(id, s.member)).toEqual(['editor', 'team']);
      expect(await listed(s.member)).toContain(id);
    });

    it('takes the organization role away when a member is removed', async () => {
      const o = await squad('projrm');
      const id = await createProject(o.owner, o.org, 'proj-removed');
      expect(await roleOf(id, o.admin)).toEqual(['admin', 'organization']);
      expect((await del(member(o.org, o.names.admin), o.owner)).status).toBe(204);
      expect(await roleOf(id, o.admin)).toBe(403);
    });

    it('gives the new owner admin/organization after a hand-over, and the old owner admin as an admin member', async () => {
      const o = await squad('projhand');
      const id = await createProject(o.owner, o.org, 'proj-handed');
      expect(await roleOf(id, o.member)).toBe(403);
      expectStatus(await patch(user(o.org), o.owner, { organization_owner: o.names.member }), 200);
      expect(await roleOf(id, o.member)).toEqual(['admin', 'organization']);
      expect(await roleOf(id, o.owner)).toEqual(['admin', 'organization']);
    });
  });
});

describe('team short names (spec §4)', () => {
  let t: TestApp;
  let owner: string;
  beforeAll(async () => {
    t = await startTestApp();
    owner = await t.createPerson('teamnamer');
    expect((await request(t.http).post('/api/v1/organizations/').set(auth(owner)).send({ username: 'namers' })).status).toBe(201);
  });
  afterAll(() => t.close());

  it('follow only the character rules: a reserved word is a fine team name under its organization', async () => {
    const res = await request(t.http).post('/api/v1/organizations/namers/teams/').set(auth(owner)).send({ team: 'members' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ team: 'members', organization: 'namers', members: [] });
    expect((await request(t.http).get('/api/v1/organizations/namers/teams/members/').set(auth(owner))).status).toBe(200);
  });

  it('still refuse characters outside the rules', async () => {
    for (const team of ['ab', '1crew', 'crew.one', 'crew one']) {
      const res = await request(t.http).post('/api/v1/organizations/namers/teams/').set(auth(owner)).send({ team });
      expect({ team, status: res.status, code: res.body.code }).toEqual({ team, status: 400, code: 'validation_error' });
    }
  });
});
