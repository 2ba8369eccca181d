import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { type Body, RESERVED } from './support/kit.js';
import { names, ORG_KEYS, organizationFixtures, ORGS, type Squad } from './support/organization-fixtures.js';

describe('Organizations, members and teams (spec §4.2)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  const { get, post, patch, put, del, user, members, teams, team, teamMembers, createOrg, postMember, postTeam, squad } = organizationFixtures(() => t);

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
      expect(res.body).toMatchObject({
        username: 'owned_by_ann',
        type: 2,
        organization_owner: 'ann_founder',
        membership_role: 'admin',
        membership_role_origin: 'organization_owner',
      });
    });

    it('takes email as optional: without it the email is null', async () => {
      const res = await post(ORGS, ann, { username: 'no_mail_org' });
      expectStatus(res, 201);
      expect(res.body.email).toBeNull();
    });

    it.each(['not-an-email', 'two@@example.com', 'missing-at.example.com'])(
      'refuses the invalid e-mail %j (400 naming email) and creates nothing',
      async (email) => {
        const res = await post(ORGS, ann, { username: 'bad_mail_org', email });
        expectError(res, 400, 'validation_error', 'email');
        expectError(await get(user('bad_mail_org'), admin), 404, 'object_not_found');
      },
    );

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
      await postTeam(s.org, s.owner, 'conv_team');
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
      await postTeam(s.org, s.owner, 'surveyors');
      await postTeam(s.org, s.owner, 'analysts');
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
      await postMember('max_org_admin', max, 'lia_lists', 'admin');
      await postMember('max_org_member', max, 'lia_lists', 'member');
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
      await postTeam(s.org, s.owner, 'qsearch_crew');
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
});
