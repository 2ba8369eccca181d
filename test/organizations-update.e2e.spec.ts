import { startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { accountId, type Body } from './support/kit.js';
import { names, ORG_KEYS, organizationFixtures, ORGS, PROJECT_ROLES, PROJECTS, type Squad } from './support/organization-fixtures.js';

describe('Organizations, members and teams (spec §4.2)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  const { get, patch, del, user, members, member, createOrg, postTeam, postTeamMember, postProject, squad } = organizationFixtures(() => t);

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

    it.each(['creator', 'member', 'outsider'] as const)(
      'answers 403 permission_denied to the %s changing email or the default role, changing nothing',
      async (who) => {
        const before = (await get(user(s.org), s.owner)).body;
        expectError(await patch(user(s.org), s[who], { email: `${who}@example.com` }), 403, 'permission_denied');
        expectError(await patch(user(s.org), s[who], { default_project_role_for_members: 'reader' }), 403, 'permission_denied');
        const after = (await get(user(s.org), s.owner)).body;
        expect([after.email, after.default_project_role_for_members]).toEqual([before.email, before.default_project_role_for_members]);
      },
    );

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
      const projectId = await postProject(owner, 'del_org2', 'keeps-org-alive');
      expectError(await del(user('del_org2'), owner), 400, 'validation_error');
      expectStatus(await get(user('del_org2'), owner), 200);
      expect((await del(`${PROJECTS}${projectId}/`, owner)).status).toBe(204);
      expect((await del(user('del_org2'), owner)).status).toBe(204);
    });

    it('removes its teams and memberships with it: former members no longer list it', async () => {
      const s = await squad('delcasc');
      await postTeam(s.org, s.owner, 'casc_team');
      await postTeamMember(s.org, 'casc_team', s.owner, s.names.member);
      const orgId = await accountId(t, s.org);
      expect(names(await get(ORGS, s.member))).toContain(s.org);

      expect((await del(user(s.org), s.owner)).status).toBe(204);
      for (const token of [s.owner, s.admin, s.creator, s.member]) expect(names(await get(ORGS, token))).not.toContain(s.org);
      expect(await t.sql(`SELECT 1 FROM accounts WHERE team_organization_id = $1 OR lower(username) LIKE lower($2)`, [orgId, `@${s.org}/%`])).toHaveLength(0);
      expect(await t.sql(`SELECT 1 FROM organization_members WHERE organization_id = $1`, [orgId])).toHaveLength(0);
      expect(await t.sql(`SELECT 1 FROM team_members tm JOIN accounts u ON u.id = tm.member_id WHERE u.username = $1`, [s.names.member])).toHaveLength(0);
      // The name is free again, teams included.
      await createOrg(s.outsider, s.org);
      await postTeam(s.org, s.outsider, 'casc_team');
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
});
