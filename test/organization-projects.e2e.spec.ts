import { startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { accountId, type Body } from './support/kit.js';
import { names, organizationFixtures, PROJECTS, type Squad } from './support/organization-fixtures.js';

describe('Organizations, members and teams (spec §4.2)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  const { get, post, patch, del, user, member, postTeam, postTeamMember, postProject, insertCollaborator, squad } = organizationFixtures(() => t);

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
        await accountId(t, s.names.creator),
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
      const id = await postProject(s.owner, s.org, 'proj-no-default');
      expect((await get(user(s.org), s.owner)).body.default_project_role_for_members).toBeNull();
      expectError(await get(`${PROJECTS}${id}/`, s.member), 403, 'permission_denied');
      expect(await listed(s.member)).not.toContain(id);
      // A creator is a member too: nothing on a project they did not create.
      expectError(await get(`${PROJECTS}${id}/`, s.creator), 403, 'permission_denied');
    });

    it('gives plain members the default role with origin organization, and lists the project for them', async () => {
      const o = await squad('projdef');
      const id = await postProject(o.owner, o.org, 'proj-default');
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
      const id = await postProject(s.owner, s.org, 'proj-admin-role');
      expect(await roleOf(id, s.admin)).toEqual(['admin', 'organization']);
      expect(await roleOf(id, s.owner)).toEqual(['admin', 'organization']);
      expect(await listed(s.admin)).toContain(id);
    });

    it('gives team membership alone nothing, until the team is a collaborator (then the team role, origin team)', async () => {
      const id = await postProject(s.owner, s.org, 'proj-team-role');
      await postTeam(s.org, s.owner, 'proj_team');
      await postTeamMember(s.org, 'proj_team', s.owner, s.names.member);
      expect(await roleOf(id, s.member)).toBe(403);
      expect(await listed(s.member)).not.toContain(id);
      await insertCollaborator(id, `@${s.org}/proj_team`, 'editor');
      expect(await roleOf(id, s.member)).toEqual(['editor', 'team']);
      expect(await listed(s.member)).toContain(id);
    });

    it('takes the organization role away when a member is removed', async () => {
      const o = await squad('projrm');
      const id = await postProject(o.owner, o.org, 'proj-removed');
      expect(await roleOf(id, o.admin)).toEqual(['admin', 'organization']);
      expect((await del(member(o.org, o.names.admin), o.owner)).status).toBe(204);
      expect(await roleOf(id, o.admin)).toBe(403);
    });

    it('gives the new owner admin/organization after a hand-over, and the old owner admin as an admin member', async () => {
      const o = await squad('projhand');
      const id = await postProject(o.owner, o.org, 'proj-handed');
      expect(await roleOf(id, o.member)).toBe(403);
      expectStatus(await patch(user(o.org), o.owner, { organization_owner: o.names.member }), 200);
      expect(await roleOf(id, o.member)).toEqual(['admin', 'organization']);
      expect(await roleOf(id, o.owner)).toEqual(['admin', 'organization']);
    });
  });
});
