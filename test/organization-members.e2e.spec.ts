import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { accountId, ISO_Z, type Body } from './support/kit.js';
import { MEMBER_KEYS, names, organizationFixtures, ORGS, PROJECTS, type Squad } from './support/organization-fixtures.js';

describe('Organizations, members and teams (spec §4.2)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  const {
    get,
    post,
    patch,
    put,
    del,
    user,
    members,
    member,
    team,
    createOrg,
    postMember,
    postTeam,
    postTeamMember,
    postProject,
    insertCollaborator,
    hasCollaborator,
    squad,
  } = organizationFixtures(() => t);

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
        await postTeam(s.org, s.owner, 'mem_crew');
        expectError(await post(members(s.org), s.owner, { member: `@${s.org}/mem_crew` }), 400, 'validation_error', 'member');
        expect(await t.sql(`SELECT 1 FROM organization_members WHERE member_id = $1`, [await accountId(t, `@${s.org}/mem_crew`)])).toHaveLength(0);
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
        await postMember(s.org, s.owner, 'mem_patch1', 'member');
        const res = await patch(member(s.org, 'mem_patch1'), s.owner, { role: 'creator' });
        expectStatus(res, 200);
        expect(Object.keys(res.body)).toEqual(MEMBER_KEYS);
        expect(res.body).toMatchObject({ member: 'mem_patch1', role: 'creator' });
        expect((await get(member(s.org, 'mem_patch1'), s.owner)).body.role).toBe('creator');
      });

      it('lets an admin member change a role with PUT', async () => {
        await t.createPerson('mem_put1');
        await postMember(s.org, s.owner, 'mem_put1', 'member');
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
        await postMember(d.org, d.owner, 'memdel_x1');
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
        await postMember(d.org, d.owner, 'memdel_x2', 'creator');
        expect((await del(member(d.org, 'memdel_x2'), d.admin)).status).toBe(204);
        expectError(await get(member(d.org, 'memdel_x2'), d.owner), 404, 'object_not_found');
      });

      it('lets a member remove themself', async () => {
        const tok = await t.createPerson('memdel_self');
        await postMember(d.org, d.owner, 'memdel_self', 'member');
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
        await postMember(d.org, d.owner, 'memdel_teams');
        await postTeam(d.org, d.owner, 'memdel_t1');
        await postTeam(d.org, d.owner, 'memdel_t2');
        await postTeamMember(d.org, 'memdel_t1', d.owner, 'memdel_teams');
        await postTeamMember(d.org, 'memdel_t2', d.owner, 'memdel_teams');
        await createOrg(tok, 'memdel_own_org');
        await postTeam('memdel_own_org', tok, 'own_t');
        await postTeamMember('memdel_own_org', 'own_t', tok, 'memdel_teams');

        expect((await del(member(d.org, 'memdel_teams'), d.owner)).status).toBe(204);
        expect((await get(team(d.org, 'memdel_t1'), d.owner)).body.members).toEqual([]);
        expect((await get(team(d.org, 'memdel_t2'), d.owner)).body.members).toEqual([]);
        expect((await get(team('memdel_own_org', 'own_t'), tok)).body.members).toEqual(['memdel_teams']);
      });

      it("removes the member's direct collaborations on the organization's projects; one on another person's project stays", async () => {
        const tok = await t.createPerson('memdel_collab');
        await postMember(d.org, d.owner, 'memdel_collab');
        const orgProject = await postProject(d.owner, d.org, 'memdel-org-project');
        const otherPersonProject = await postProject(d.outsider, d.names.outsider, 'memdel-person-project');
        const otherOrgOwner = await t.createPerson('memdel_oorg_owner');
        await createOrg(otherOrgOwner, 'memdel_other_org');
        await postMember('memdel_other_org', otherOrgOwner, 'memdel_collab');
        const otherOrgProject = await postProject(otherOrgOwner, 'memdel_other_org', 'memdel-other-org-project');
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
        await postMember(d.org, d.owner, 'memdel_leaver');
        await postTeam(d.org, d.owner, 'memdel_t3');
        await postTeamMember(d.org, 'memdel_t3', d.owner, 'memdel_leaver');
        const orgProject = await postProject(d.owner, d.org, 'memdel-leaver-project');
        await insertCollaborator(orgProject, 'memdel_leaver', 'reader');
        expect((await del(member(d.org, 'memdel_leaver'), tok)).status).toBe(204);
        expect(await hasCollaborator(orgProject, 'memdel_leaver')).toBe(false);
        expect((await get(team(d.org, 'memdel_t3'), d.owner)).body.members).toEqual([]);
      });
    });
  });
});
