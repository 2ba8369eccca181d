import request from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { accountId } from './support/kit.js';
import { names, organizationFixtures, PROJECTS, TEAM_KEYS, type Squad } from './support/organization-fixtures.js';

describe('Organizations, members and teams (spec §4.2)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  const { get, post, put, del, user, member, teams, team, teamMembers, createOrg, postTeam, postTeamMember, postProject, insertCollaborator, squad } =
    organizationFixtures(() => t);

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
        await postTeam(s.org, s.owner, 'dup_team');
        expectError(await post(teams(s.org), s.owner, { team: 'dup_team' }), 400, 'validation_error', 'team');
        expectError(await post(teams(s.org), s.admin, { team: 'DUP_Team' }), 400, 'validation_error', 'team');
        expect(names(await get(teams(s.org), s.owner), 'team').filter((n) => n.toLowerCase() === 'dup_team')).toEqual(['dup_team']);
      });

      it('accepts the same short name in another organization', async () => {
        await postTeam(s.org, s.owner, 'shared_name');
        await createOrg(s.outsider, 'tm_other_org');
        const res = await post(teams('tm_other_org'), s.outsider, { team: 'shared_name' });
        expectStatus(res, 201);
        expect(res.body).toEqual({ team: 'shared_name', organization: 'tm_other_org', members: [] });
      });

      it('lists the teams to the owner and every member, with their members', async () => {
        await postTeam(s.org, s.owner, 'listed_team');
        await postTeamMember(s.org, 'listed_team', s.owner, s.names.member);
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
        await postTeam(s.org, s.owner, 'one_team');
        await postTeamMember(s.org, 'one_team', s.owner, s.names.owner);
        for (const token of [s.owner, s.member]) {
          const res = await get(team(s.org, 'one_team'), token);
          expectStatus(res, 200);
          expect(Object.keys(res.body)).toEqual(TEAM_KEYS);
          expect(res.body).toEqual({ team: 'one_team', organization: s.org, members: [s.names.owner] });
        }
      });

      it('answers 403 permission_denied to an outsider', async () => {
        await postTeam(s.org, s.owner, 'hidden_team');
        expectError(await get(team(s.org, 'hidden_team'), s.outsider), 403, 'permission_denied');
      });

      it('answers 404 object_not_found for an unknown team, also for GET, PUT and DELETE', async () => {
        expectError(await get(team(s.org, 'ghost_team'), s.owner), 404, 'object_not_found');
        expectError(await put(team(s.org, 'ghost_team'), s.owner, { team: 'ghost_two' }), 404, 'object_not_found');
        expectError(await del(team(s.org, 'ghost_team'), s.owner), 404, 'object_not_found');
      });

      it("answers 404 object_not_found for another organization's team", async () => {
        await createOrg(s.outsider, 'tm_foreign_org');
        await postTeam('tm_foreign_org', s.outsider, 'foreign_team');
        expectError(await get(team(s.org, 'foreign_team'), s.owner), 404, 'object_not_found');
      });

      it('renames a team with PUT {team}, keeping its members; the old name is 404', async () => {
        await postTeam(s.org, s.owner, 'old_name');
        await postTeamMember(s.org, 'old_name', s.owner, s.names.creator);
        const res = await put(team(s.org, 'old_name'), s.owner, { team: 'new_name' });
        expectStatus(res, 200);
        expect(res.body).toEqual({ team: 'new_name', organization: s.org, members: [s.names.creator] });
        expectError(await get(team(s.org, 'old_name'), s.owner), 404, 'object_not_found');
        expect((await get(team(s.org, 'new_name'), s.member)).body.members).toEqual([s.names.creator]);
      });

      it('lets an admin member rename a team', async () => {
        await postTeam(s.org, s.owner, 'rename_by_admin');
        const res = await put(team(s.org, 'rename_by_admin'), s.admin, { team: 'renamed_by_admin' });
        expectStatus(res, 200);
        expect(res.body.team).toBe('renamed_by_admin');
      });

      it('refuses a rename to a bad short name or to an existing team (400 naming team), keeping the name', async () => {
        await postTeam(s.org, s.owner, 'keep_name');
        await postTeam(s.org, s.owner, 'taken_name');
        expectError(await put(team(s.org, 'keep_name'), s.owner, { team: 'bad name' }), 400, 'validation_error', 'team');
        expectError(await put(team(s.org, 'keep_name'), s.owner, { team: 'Taken_Name' }), 400, 'validation_error', 'team');
        expectStatus(await get(team(s.org, 'keep_name'), s.owner), 200);
      });

      it.each(['creator', 'member', 'outsider'] as const)('answers 403 permission_denied to the %s renaming or deleting a team', async (who) => {
        const name = `guarded_${who}`;
        await postTeam(s.org, s.owner, name);
        expectError(await put(team(s.org, name), s[who], { team: `${name}_x` }), 403, 'permission_denied');
        expectError(await del(team(s.org, name), s[who]), 403, 'permission_denied');
        expectStatus(await get(team(s.org, name), s.owner), 200);
      });

      it('lets the owner delete a team: 204, then 404, gone from the organization object', async () => {
        await postTeam(s.org, s.owner, 'doomed_team');
        const res = await del(team(s.org, 'doomed_team'), s.owner);
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
        expectError(await get(team(s.org, 'doomed_team'), s.owner), 404, 'object_not_found');
        expect((await get(user(s.org), s.owner)).body.teams).not.toContain('doomed_team');
      });

      it('lets an admin member delete a team', async () => {
        await postTeam(s.org, s.owner, 'admin_doomed');
        expect((await del(team(s.org, 'admin_doomed'), s.admin)).status).toBe(204);
        expectError(await get(team(s.org, 'admin_doomed'), s.owner), 404, 'object_not_found');
      });

      it('deleting a team removes its memberships and its collaborations on the organization projects', async () => {
        await postTeam(s.org, s.owner, 'collab_team');
        await postTeamMember(s.org, 'collab_team', s.owner, s.names.member);
        const projectId = await postProject(s.owner, s.org, 'team-collab-project');
        const teamName = `@${s.org}/collab_team`;
        const teamId = await accountId(t, teamName);
        await insertCollaborator(projectId, teamName, 'editor');
        expect((await get(`${PROJECTS}${projectId}/`, s.member)).body.user_role).toBe('editor');

        expect((await del(team(s.org, 'collab_team'), s.owner)).status).toBe(204);
        expect(await t.sql(`SELECT 1 FROM team_members WHERE team_id = $1`, [teamId])).toHaveLength(0);
        expect(await t.sql(`SELECT 1 FROM project_collaborators WHERE collaborator_id = $1`, [teamId])).toHaveLength(0);
        expectError(await get(`${PROJECTS}${projectId}/`, s.member), 403, 'permission_denied');
        // A new team of the same name starts empty.
        await postTeam(s.org, s.owner, 'collab_team');
        expect((await get(team(s.org, 'collab_team'), s.owner)).body.members).toEqual([]);
      });
    });

    describe('team members: /api/v1/organizations/{org}/teams/{team}/members/', () => {
      beforeAll(async () => {
        await postTeam(s.org, s.owner, 'crew');
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
        await postTeamMember(s.org, 'crew', s.owner, s.names.creator);
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
        await postTeam(s.org, s.owner, 'crew_rm');
        await postTeamMember(s.org, 'crew_rm', s.owner, s.names.member);
        const res = await del(`${teamMembers(s.org, 'crew_rm')}${s.names.member}/`, s.owner);
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
        expect((await get(teamMembers(s.org, 'crew_rm'), s.owner)).body).toEqual([]);
        // Still a member of the organization.
        expectStatus(await get(member(s.org, s.names.member), s.owner), 200);
      });

      it('lets an admin member remove a team member', async () => {
        await postTeam(s.org, s.owner, 'crew_rm2');
        await postTeamMember(s.org, 'crew_rm2', s.owner, s.names.creator);
        expect((await del(`${teamMembers(s.org, 'crew_rm2')}${s.names.creator}/`, s.admin)).status).toBe(204);
        expect((await get(teamMembers(s.org, 'crew_rm2'), s.owner)).body).toEqual([]);
      });

      it('answers 404 object_not_found when the person is not in the team, or the team is unknown', async () => {
        await postTeam(s.org, s.owner, 'crew_rm3');
        expectError(await del(`${teamMembers(s.org, 'crew_rm3')}${s.names.member}/`, s.owner), 404, 'object_not_found');
        expectError(await del(`${teamMembers(s.org, 'crew_rm3')}ghost_person/`, s.owner), 404, 'object_not_found');
        expectError(await del(`${teamMembers(s.org, 'no_such_crew')}${s.names.member}/`, s.owner), 404, 'object_not_found');
      });

      it.each(['creator', 'member', 'outsider'] as const)('answers 403 permission_denied to the %s removing a team member', async (who) => {
        const name = `crew_keep_${who}`;
        await postTeam(s.org, s.owner, name);
        await postTeamMember(s.org, name, s.owner, s.names.member);
        expectError(await del(`${teamMembers(s.org, name)}${s.names.member}/`, s[who]), 403, 'permission_denied');
        expect(names(await get(teamMembers(s.org, name), s.owner), 'member')).toEqual([s.names.member]);
      });
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
