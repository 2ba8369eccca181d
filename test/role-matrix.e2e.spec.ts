import { jest } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import type { Response } from 'supertest';
import { auth, startTestApp, type TestApp } from './support/test-app.js';
import { expectError, expectStatus } from './support/expectations.js';
import { client, TINY_PNG, type Body } from './support/kit.js';

// Spec §6 (roles): the role matrix, with every fixture built through the HTTP API only — organizations,
// members, default roles, teams, team members, collaborators and projects — never with SQL.
//   §6.2  one test per source of the role computation, on GET /projects/{id}/ and in GET /projects/;
//         the precedence rules (highest role; on equal roles the origin listed first wins);
//   §6.4  what each role may do, driven by a table that mirrors the spec's (a failure names the cell);
//   §4.2/§4.1  cascades: removing a member, deleting a team, staff deleting a person;
//   §5.2  GET /projects/ issues the same few statements whatever the page size.

type Role = 'admin' | 'manager' | 'editor' | 'reporter' | 'reader';
type Origin = 'direct' | 'organization' | 'team' | 'public';
interface Project {
  id: string;
  name: string;
  owner: string;
  user_role: Role | null;
  user_role_origin: Origin | null;
}

const ROLES: readonly Role[] = ['admin', 'manager', 'editor', 'reporter', 'reader'];
const PROJECTS = '/api/v1/projects/';
const project = (id: string) => `${PROJECTS}${id}/`;
const thumbnail = (id: string) => `${PROJECTS}${id}/thumbnail/`;
const thumbnailFile = (id: string) => `/api/v1/files/thumbnails/${id}/`;
const files = (id: string) => `/api/v1/files/${id}/`;
const file = (id: string, name: string) => `/api/v1/files/${id}/${name}/`;
const collaborators = (id: string) => `/api/v1/collaborators/${id}/`;
const collaborator = (id: string, name: string) => `/api/v1/collaborators/${id}/${encodeURIComponent(name)}/`;
const user = (name: string) => `/api/v1/users/${encodeURIComponent(name)}/`;
const members = (org: string) => `/api/v1/members/${org}/`;
const member = (org: string, name: string) => `/api/v1/members/${org}/${name}/`;
const teams = (org: string) => `/api/v1/organizations/${org}/teams/`;
const team = (org: string, name: string) => `/api/v1/organizations/${org}/teams/${name}/`;
const teamMembers = (org: string, name: string) => `/api/v1/organizations/${org}/teams/${name}/members/`;

describe('the role matrix of spec §6, built through the API', () => {
  let t: TestApp;
  let staff: string;

  beforeAll(async () => {
    t = await startTestApp();
    staff = await t.adminToken();
  });
  afterAll(() => t.close());

  // -------------------------------------------------------------------------------------------
  // HTTP helpers and API-only fixtures.

  const { get, post, patch, del } = client(() => t);
  const upload = (token: string, id: string, name: string, content = name.endsWith('.qgs') ? '<qgis version="3.40.0"/>' : `content of ${name}`) =>
    request(t.http).post(file(id, name)).set(auth(token)).attach('file', Buffer.from(content), name.split('/').pop()!);
  const uploadThumbnail = (token: string, id: string) => request(t.http).post(thumbnail(id)).set(auth(token)).attach('thumbnail', TINY_PNG, 'thumbnail.png');

  /** Creates persons through the API (staff), in parallel; returns their tokens by name. */
  async function persons<N extends string>(...names: N[]): Promise<Record<N, string>> {
    const tokens = await Promise.all(names.map((name) => t.createPerson(name)));
    return Object.fromEntries(names.map((name, i) => [name, tokens[i]])) as Record<N, string>;
  }

  async function createOrg(ownerToken: string, org: string): Promise<void> {
    expectStatus(await post('/api/v1/organizations/', ownerToken, { username: org }), 201);
  }

  async function addMember(org: string, token: string, who: string, role: 'admin' | 'creator' | 'member' = 'member'): Promise<void> {
    expectStatus(await post(members(org), token, { member: who, role }), 201);
  }

  async function setDefaultRole(org: string, token: string, role: Role | null): Promise<void> {
    const res = await patch(user(org), token, { default_project_role_for_members: role });
    expectStatus(res, 200);
    expect(res.body.default_project_role_for_members).toBe(role);
  }

  async function createTeam(org: string, token: string, name: string, teamMemberNames: string[] = []): Promise<string> {
    expectStatus(await post(teams(org), token, { team: name }), 201);
    for (const who of teamMemberNames) expectStatus(await post(teamMembers(org, name), token, { member: who }), 201);
    return `@${org}/${name}`;
  }

  async function createProject(token: string, body: Body): Promise<string> {
    const res = await post(PROJECTS, token, body);
    expectStatus(res, 201);
    return res.body.id as string;
  }

  async function addCollaborator(projectId: string, token: string, who: string, role: Role): Promise<void> {
    const res = await post(collaborators(projectId), token, { collaborator: who, role });
    expectStatus(res, 201);
    expect([res.body.collaborator, res.body.role]).toEqual([who, role]);
  }

  async function collaboratorNames(projectId: string, token: string): Promise<string[]> {
    const res = await get(collaborators(projectId), token);
    expectStatus(res, 200);
    return (res.body as Body[]).map((row) => row.collaborator as string);
  }

  /** [user_role, user_role_origin] of the project in GET /projects/ (with the query), or null when it is not listed. */
  async function listedRole(projectId: string, token: string, query = ''): Promise<[Role | null, Origin | null] | null> {
    const res = await get(`${PROJECTS}${query}`, token);
    expectStatus(res, 200);
    const row = (res.body as Project[]).find((p) => p.id === projectId);
    return row ? [row.user_role, row.user_role_origin] : null;
  }

  /**
   * The caller's role is `role`/`origin` on GET /projects/{id}/ and in GET /projects/ (with and without
   * include_public); a role that comes only from being public is listed only with include_public.
   */
  async function expectRole(projectId: string, token: string, role: Role, origin: Origin): Promise<void> {
    const res = await get(project(projectId), token);
    expect({ status: res.status, user_role: res.body.user_role, user_role_origin: res.body.user_role_origin }).toEqual({
      status: 200,
      user_role: role,
      user_role_origin: origin,
    });
    expect({ list: await listedRole(projectId, token) }).toEqual({ list: origin === 'public' ? null : [role, origin] });
    expect({ include_public: await listedRole(projectId, token, '?include_public=1') }).toEqual({ include_public: [role, origin] });
  }

  /** No role: GET /projects/{id}/ is 403 and the project is listed neither without nor with include_public. */
  async function expectNoAccess(projectId: string, token: string): Promise<void> {
    expectError(await get(project(projectId), token), 403, 'permission_denied');
    expect({ list: await listedRole(projectId, token) }).toEqual({ list: null });
    expect({ include_public: await listedRole(projectId, token, '?include_public=1') }).toEqual({ include_public: null });
  }

  // ===========================================================================================
  // §6.2: one test per source of a role.

  describe('§6.2: each source of a role, alone', () => {
    let tok: Record<'alice' | 'bob' | 'olga' | 'adam' | 'mia' | 'tom' | 'dora' | 'carl', string>;
    let alicePrivate: string;
    let alicePublic: string;
    let acmeProject: string;
    let dfltProject: string;

    beforeAll(async () => {
      tok = await persons('alice', 'bob', 'olga', 'adam', 'mia', 'tom', 'dora', 'carl');
      alicePrivate = await createProject(tok.alice, { name: 'alice-private' });
      alicePublic = await createProject(tok.alice, { name: 'alice-public', is_public: true });
      // acme: no default role for members; adam is an admin member, mia and tom plain members.
      await createOrg(tok.olga, 'acme');
      await addMember('acme', tok.olga, 'adam', 'admin');
      await addMember('acme', tok.olga, 'mia');
      await addMember('acme', tok.olga, 'tom');
      acmeProject = await createProject(tok.olga, { name: 'acme-project', owner: 'acme' });
      // dflt: dora is a plain member; the default role is set per test.
      await createOrg(tok.olga, 'dflt');
      await addMember('dflt', tok.olga, 'dora');
      dfltProject = await createProject(tok.olga, { name: 'dflt-project', owner: 'dflt' });
    });

    it('the owning person: admin/direct', async () => {
      await expectRole(alicePrivate, tok.alice, 'admin', 'direct');
      await expectRole(alicePublic, tok.alice, 'admin', 'direct');
    });

    it('a direct collaborator: its role/direct, for every role (on a person’s and on an organization’s project)', async () => {
      await addCollaborator(alicePrivate, tok.alice, 'bob', 'reader');
      for (const role of ROLES) {
        expectStatus(await patch(collaborator(alicePrivate, 'bob'), tok.alice, { role }), 200);
        await expectRole(alicePrivate, tok.bob, role, 'direct');
      }
      // On an organization's project a member (here without any default role) collaborates directly too.
      const id = await createProject(tok.olga, { name: 'acme-direct', owner: 'acme' });
      await addCollaborator(id, tok.olga, 'mia', 'reporter');
      await expectRole(id, tok.mia, 'reporter', 'direct');
    });

    it('the owner of the owning organization: admin/organization', async () => {
      await expectRole(acmeProject, tok.olga, 'admin', 'organization');
    });

    it('an admin member of the owning organization: admin/organization (without any default role)', async () => {
      expect((await get(user('acme'), tok.olga)).body.default_project_role_for_members).toBeNull();
      await expectRole(acmeProject, tok.adam, 'admin', 'organization');
    });

    it('another member, with default_project_role_for_members: that role/organization, for every role', async () => {
      for (const role of ROLES) {
        await setDefaultRole('dflt', tok.olga, role);
        await expectRole(dfltProject, tok.dora, role, 'organization');
      }
      // Outsiders get nothing from the default.
      await expectNoAccess(dfltProject, tok.carl);
      await setDefaultRole('dflt', tok.olga, null);
      await expectNoAccess(dfltProject, tok.dora);
    });

    it('another member, without a default role: no access (403, not listed)', async () => {
      expect((await get(user('acme'), tok.olga)).body.default_project_role_for_members).toBeNull();
      await expectNoAccess(acmeProject, tok.mia);
    });

    it('a team the caller belongs to is a collaborator: the team’s role/team', async () => {
      const crew = await createTeam('acme', tok.olga, 'crew', ['tom']);
      // Team membership alone gives nothing.
      await expectNoAccess(acmeProject, tok.tom);
      await addCollaborator(acmeProject, tok.olga, crew, 'manager');
      await expectRole(acmeProject, tok.tom, 'manager', 'team');
      // Other members of the organization get nothing from the team's role.
      await expectNoAccess(acmeProject, tok.mia);
    });

    it('a public project, nobody else: reader/public, listed only with include_public', async () => {
      await expectRole(alicePublic, tok.carl, 'reader', 'public');
      // The old spelling include-public too.
      expect(await listedRole(alicePublic, tok.carl, '?include-public=1')).toEqual(['reader', 'public']);
      expect(await listedRole(alicePublic, tok.carl, '?include_public=0')).toBeNull();
    });

    it('no candidate: 403 permission_denied and not listed, even with include_public', async () => {
      await expectNoAccess(alicePrivate, tok.carl);
      await expectNoAccess(acmeProject, tok.carl);
      // Staff get no implicit role (§1).
      await expectNoAccess(alicePrivate, staff);
    });
  });

  // ===========================================================================================
  // §6.2: precedence — the highest candidate; on equal roles the origin listed first in §6.1 wins.

  describe('§6.2: precedence between sources', () => {
    let tok: Record<'pat' | 'padam' | 'pia' | 'quin' | 'rita' | 'pbob' | 'pcarol', string>;

    beforeAll(async () => {
      tok = await persons('pat', 'padam', 'pia', 'quin', 'rita', 'pbob', 'pcarol');
      // prec: owned by pat, no default role; padam admin member, pia and quin plain members.
      await createOrg(tok.pat, 'prec');
      await addMember('prec', tok.pat, 'padam', 'admin');
      await addMember('prec', tok.pat, 'pia');
      await addMember('prec', tok.pat, 'quin');
      // precdef: default role reader; rita a plain member.
      await createOrg(tok.pat, 'precdef');
      await addMember('precdef', tok.pat, 'rita');
      await setDefaultRole('precdef', tok.pat, 'reader');
    });

    it('direct reader + team editor → editor/team (the higher role wins over the earlier origin)', async () => {
      const id = await createProject(tok.pat, { name: 'direct-reader-team-editor', owner: 'prec' });
      const squad = await createTeam('prec', tok.pat, 'editors_a', ['pia']);
      await addCollaborator(id, tok.pat, 'pia', 'reader');
      await expectRole(id, tok.pia, 'reader', 'direct');
      await addCollaborator(id, tok.pat, squad, 'editor');
      await expectRole(id, tok.pia, 'editor', 'team');
    });

    it('organization admin member who is also a reader collaborator → admin/organization', async () => {
      const id = await createProject(tok.pat, { name: 'org-admin-direct-reader', owner: 'prec' });
      await addCollaborator(id, tok.pat, 'padam', 'reader');
      await expectRole(id, tok.padam, 'admin', 'organization');
    });

    it('equal roles: direct editor + team editor → editor/direct', async () => {
      const id = await createProject(tok.pat, { name: 'direct-editor-team-editor', owner: 'prec' });
      const squad = await createTeam('prec', tok.pat, 'editors_b', ['quin']);
      await addCollaborator(id, tok.pat, squad, 'editor');
      await expectRole(id, tok.quin, 'editor', 'team');
      await addCollaborator(id, tok.pat, 'quin', 'editor');
      await expectRole(id, tok.quin, 'editor', 'direct');
    });

    it('equal roles: organization admin + direct admin → admin/direct', async () => {
      const id = await createProject(tok.pat, { name: 'org-admin-direct-admin', owner: 'prec' });
      await expectRole(id, tok.padam, 'admin', 'organization');
      await addCollaborator(id, tok.pat, 'padam', 'admin');
      await expectRole(id, tok.padam, 'admin', 'direct');
    });

    it('equal roles: member default reader + team reader → reader/organization', async () => {
      const id = await createProject(tok.pat, { name: 'default-reader-team-reader', owner: 'precdef' });
      const squad = await createTeam('precdef', tok.pat, 'readers', ['rita']);
      await addCollaborator(id, tok.pat, squad, 'reader');
      await expectRole(id, tok.rita, 'reader', 'organization');
    });

    it('equal roles: public + direct reader → reader/direct (and listed without include_public)', async () => {
      const id = await createProject(tok.pbob, { name: 'public-direct-reader', is_public: true });
      await expectRole(id, tok.pcarol, 'reader', 'public');
      await addCollaborator(id, tok.pbob, 'pcarol', 'reader');
      await expectRole(id, tok.pcarol, 'reader', 'direct');
    });
  });

  // ===========================================================================================
  // §6.4: what each role may do.

  describe('§6.4: what each role may do', () => {
    /** The callers: a direct collaborator with each role, and an authenticated person on a public project. */
    const WHO = ['admin', 'manager', 'editor', 'reporter', 'reader', 'public'] as const;
    type Who = (typeof WHO)[number];
    const Y = true;
    const _ = false;

    // The table of spec §6.4, one row per action checked, one column per caller (public-only access is
    // the reader role, so its column equals the reader's). Rows run in this order on each caller's project.
    //                                                 admin manager editor reporter reader public
    const MATRIX = {
      'read project': [Y, Y, Y, Y, Y, Y],
      'read thumbnail': [Y, Y, Y, Y, Y, Y],
      'list files': [Y, Y, Y, Y, Y, Y],
      'download file': [Y, Y, Y, Y, Y, Y],
      'upload thumbnail': [Y, Y, Y, Y, _, _],
      'upload file': [Y, Y, Y, Y, _, _],
      'upload restricted file (the QGIS file)': [Y, Y, _, _, _, _],
      'upload restricted file (<stem>.qgd)': [Y, Y, _, _, _, _],
      'delete restricted file (<stem>.qgd)': [Y, Y, _, _, _, _],
      'delete file': [Y, Y, Y, _, _, _],
      'update project': [Y, Y, _, _, _, _],
      'transfer owner': [Y, Y, _, _, _, _],
      'read collaborators': [Y, Y, _, _, _, _],
      'add a reader collaborator': [Y, Y, _, _, _, _],
      'change a non-admin collaborator': [Y, Y, _, _, _, _],
      'remove a non-admin collaborator': [Y, Y, _, _, _, _],
      'grant admin': [Y, _, _, _, _, _],
      'change an admin collaborator': [Y, _, _, _, _, _],
      'remove an admin collaborator': [Y, _, _, _, _, _],
      'delete project': [Y, _, _, _, _, _],
    } satisfies Record<string, readonly [boolean, boolean, boolean, boolean, boolean, boolean]>;
    type Action = keyof typeof MATRIX;

    interface Context {
      token: string;
      id: string;
      /** A fresh project of the same caller and role, for the transfer. */
      transferId: string;
    }

    /** How each action is done through the API, and the status that means it succeeded. */
    const ACTIONS: Record<Action, { success: number; run(c: Context): Promise<Response> }> = {
      'read project': { success: 200, run: (c) => get(project(c.id), c.token) },
      'read thumbnail': { success: 200, run: (c) => get(thumbnailFile(c.id), c.token) },
      'list files': { success: 200, run: (c) => get(files(c.id), c.token) },
      'download file': { success: 200, run: (c) => get(file(c.id, 'data.txt'), c.token) },
      'upload thumbnail': { success: 204, run: (c) => uploadThumbnail(c.token, c.id) },
      'upload file': { success: 201, run: (c) => upload(c.token, c.id, 'x.txt', 'x by the caller') },
      'upload restricted file (the QGIS file)': { success: 201, run: (c) => upload(c.token, c.id, 'project.qgs', '<qgis version="3.40.0"/>') },
      'upload restricted file (<stem>.qgd)': { success: 201, run: (c) => upload(c.token, c.id, 'project.qgd', 'qgd by the caller') },
      'delete restricted file (<stem>.qgd)': { success: 204, run: (c) => del(file(c.id, 'project.qgd'), c.token) },
      'delete file': { success: 204, run: (c) => del(file(c.id, 'x.txt'), c.token) },
      'update project': { success: 200, run: (c) => patch(project(c.id), c.token, { description: 'changed by the caller' }) },
      'transfer owner': { success: 200, run: (c) => patch(project(c.transferId), c.token, { owner: 'mx_target' }) },
      'read collaborators': { success: 200, run: (c) => get(collaborators(c.id), c.token) },
      'add a reader collaborator': { success: 201, run: (c) => post(collaborators(c.id), c.token, { collaborator: 'mx_extra', role: 'reader' }) },
      'change a non-admin collaborator': { success: 200, run: (c) => patch(collaborator(c.id, 'mx_extra'), c.token, { role: 'editor' }) },
      'remove a non-admin collaborator': { success: 204, run: (c) => del(collaborator(c.id, 'mx_extra'), c.token) },
      'grant admin': { success: 201, run: (c) => post(collaborators(c.id), c.token, { collaborator: 'mx_extra', role: 'admin' }) },
      'change an admin collaborator': { success: 200, run: (c) => patch(collaborator(c.id, 'mx_boss'), c.token, { role: 'editor' }) },
      'remove an admin collaborator': { success: 204, run: (c) => del(collaborator(c.id, 'mx_boss'), c.token) },
      'delete project': { success: 204, run: (c) => del(project(c.id), c.token) },
    };

    let owner: string;
    const callers = {} as Record<Who, Context>;

    beforeAll(async () => {
      const tok = await persons('mx_owner', 'mx_boss', 'mx_extra', 'mx_target', ...WHO.map((who) => `mx_${who}`));
      owner = tok.mx_owner;
      await Promise.all(
        WHO.map(async (who) => {
          const isPublic = who === 'public';
          const id = await createProject(owner, { name: `matrix-${who}`, has_restricted_projectfiles: true, is_public: isPublic });
          // The owner's files: the QGIS file first (it makes project.qgd restricted), then the others.
          for (const name of ['project.qgs', 'project.qgd', 'data.txt', 'x.txt']) expectStatus(await upload(owner, id, name), 201);
          expectStatus(await uploadThumbnail(owner, id), 204);
          await addCollaborator(id, owner, 'mx_boss', 'admin');
          const transferId = await createProject(owner, { name: `transfer-${who}`, is_public: isPublic });
          if (!isPublic) {
            await addCollaborator(id, owner, `mx_${who}`, who);
            await addCollaborator(transferId, owner, `mx_${who}`, who);
          }
          callers[who] = { token: tok[`mx_${who}`], id, transferId };
        }),
      );
    });

    it('mirrors the spec table: every action of §6.4 has a row, every row an implementation', () => {
      expect(Object.keys(ACTIONS)).toEqual(Object.keys(MATRIX));
    });

    it.each(WHO)('%s: every allowed action succeeds, every other one is 403 permission_denied', async (who) => {
      const c = callers[who];
      // The caller really has the role of the column.
      const role = (await get(project(c.id), c.token)).body;
      expect([role.user_role, role.user_role_origin]).toEqual(who === 'public' ? ['reader', 'public'] : [who, 'direct']);

      const expected: string[] = [];
      const actual: string[] = [];
      const column = WHO.indexOf(who);
      for (const action of Object.keys(MATRIX) as Action[]) {
        const allowed = MATRIX[action][column];
        const res = await ACTIONS[action].run(c);
        const cell = `${who} × ${action}`;
        expected.push(`${cell}: ${allowed ? ACTIONS[action].success : '403 permission_denied'}`);
        actual.push(`${cell}: ${res.status >= 400 ? `${res.status} ${res.body?.code}` : res.status}`);
      }
      expect(actual).toEqual(expected);

      // What an allowed action did, and what a refused one must not have done.
      const byOwner = (await get(project(c.id), owner)).body;
      if (MATRIX['delete project'][column]) expectError(await get(project(c.id), owner), 404, 'object_not_found');
      else expect(byOwner.id).toBe(c.id);
      if (MATRIX['transfer owner'][column]) {
        const moved = (await get(project(c.transferId), c.token)).body;
        expect([moved.owner, moved.user_role, moved.user_role_origin]).toEqual(['mx_target', who, 'direct']);
      }
      if (!MATRIX['update project'][column]) expect(byOwner.description).toBe('');
      if (!MATRIX['transfer owner'][column]) expect((await get(project(c.transferId), owner)).body.owner).toBe('mx_owner');
      if (!MATRIX['remove an admin collaborator'][column]) expect(await collaboratorNames(c.id, owner)).toContain('mx_boss');
      if (!MATRIX['upload file'][column]) {
        const list = (await get(files(c.id), owner)).body as { name: string; versions: unknown[] }[];
        expect(list.find((f) => f.name === 'x.txt')?.versions).toHaveLength(1);
      }
    });
  });

  // ===========================================================================================
  // §4.2 and §4.1: what goes with a member, a team and a person.

  describe('cascades (spec §4.1, §4.2)', () => {
    let tok: Record<'kay' | 'kmem' | 'kmem2' | 'kmem3', string>;

    beforeAll(async () => {
      tok = await persons('kay', 'kmem', 'kmem2', 'kmem3');
      await createOrg(tok.kay, 'casc');
      await addMember('casc', tok.kay, 'kmem');
      await addMember('casc', tok.kay, 'kmem2');
      await addMember('casc', tok.kay, 'kmem3');
    });

    it('removing a member removes their team memberships and direct collaborations in the organization', async () => {
      const viaTeam = await createProject(tok.kay, { name: 'casc-via-team', owner: 'casc' });
      const viaDirect = await createProject(tok.kay, { name: 'casc-via-direct', owner: 'casc' });
      const squad = await createTeam('casc', tok.kay, 'kteam', ['kmem']);
      await addCollaborator(viaTeam, tok.kay, squad, 'editor');
      await addCollaborator(viaDirect, tok.kay, 'kmem', 'reporter');
      await expectRole(viaTeam, tok.kmem, 'editor', 'team');
      await expectRole(viaDirect, tok.kmem, 'reporter', 'direct');

      expect((await del(member('casc', 'kmem'), tok.kay)).status).toBe(204);
      await expectNoAccess(viaTeam, tok.kmem);
      await expectNoAccess(viaDirect, tok.kmem);
      expect(await collaboratorNames(viaDirect, tok.kay)).not.toContain('kmem');
      expect(((await get(teamMembers('casc', 'kteam'), tok.kay)).body as Body[]).map((row) => row.member)).toEqual([]);

      // Gone, not merely hidden: joining again brings neither back.
      await addMember('casc', tok.kay, 'kmem');
      await expectNoAccess(viaTeam, tok.kmem);
      await expectNoAccess(viaDirect, tok.kmem);
    });

    it('deleting a team removes the team’s role for its members', async () => {
      const id = await createProject(tok.kay, { name: 'casc-team-deleted', owner: 'casc' });
      const squad = await createTeam('casc', tok.kay, 'kteam2', ['kmem2']);
      await addCollaborator(id, tok.kay, squad, 'manager');
      await expectRole(id, tok.kmem2, 'manager', 'team');

      expect((await del(team('casc', 'kteam2'), tok.kay)).status).toBe(204);
      await expectNoAccess(id, tok.kmem2);
      expect(await collaboratorNames(id, tok.kay)).not.toContain(squad);

      // A new team of the same name, with the same member, has no role on the project.
      await createTeam('casc', tok.kay, 'kteam2', ['kmem2']);
      await expectNoAccess(id, tok.kmem2);
      expect(await collaboratorNames(id, tok.kay)).not.toContain(squad);
    });

    it('staff deleting a member person leaves no dangling role, collaborator, membership or team membership', async () => {
      const id = await createProject(tok.kay, { name: 'casc-person-deleted', owner: 'casc' });
      await createTeam('casc', tok.kay, 'kteam3', ['kmem3']);
      await addCollaborator(id, tok.kay, 'kmem3', 'editor');
      expect(await collaboratorNames(id, tok.kay)).toContain('kmem3');

      expect((await del(user('kmem3'), staff)).status).toBe(204);
      expectError(await get(user('kmem3'), tok.kay), 404, 'object_not_found');
      expect(await collaboratorNames(id, tok.kay)).not.toContain('kmem3');
      expect(((await get(members('casc'), tok.kay)).body as Body[]).map((row) => row.member)).not.toContain('kmem3');
      expect(((await get(teamMembers('casc', 'kteam3'), tok.kay)).body as Body[]).map((row) => row.member)).toEqual([]);
      expect((await get(project(id), tok.kay)).body.user_role).toBe('admin');
    });
  });

  // ===========================================================================================
  // §5.2: the list's cost does not grow with the page size or the number of memberships.

  describe('scale: 12 organizations and 12 teams (spec §5.2, §6.2)', () => {
    const ORGS = 12;
    const PER_ORG = 3;
    let scaler: string;
    /** project id → the role the caller should have. */
    const expected = new Map<string, Role>();

    beforeAll(async () => {
      const tok = await persons('sc_boss', 'scaler');
      scaler = tok.scaler;
      await Promise.all(
        Array.from({ length: ORGS }, async (_, i) => {
          const org = `scale_org_${i}`;
          const defaultRole = ROLES[i % ROLES.length];
          const teamRole = ROLES[(i + 2) % ROLES.length];
          await createOrg(tok.sc_boss, org);
          await addMember(org, tok.sc_boss, 'scaler');
          await setDefaultRole(org, tok.sc_boss, defaultRole);
          const squad = await createTeam(org, tok.sc_boss, `squad_${i}`, ['scaler']);
          for (let j = 0; j < PER_ORG; j++) {
            const id = await createProject(tok.sc_boss, { name: `scale-${i}-${j}`, owner: org });
            let role = defaultRole;
            // The team collaborates on the first two projects of its organization.
            if (j < 2) {
              await addCollaborator(id, tok.sc_boss, squad, teamRole);
              if (ROLES.indexOf(teamRole) < ROLES.indexOf(role)) role = teamRole;
            }
            expected.set(id, role);
          }
        }),
      );
      // Use the token once, so the throttled last_used_at write is not among the measured statements.
      expectStatus(await get('/api/v1/auth/user/', scaler), 200);
    });

    async function statementsFor(path: string): Promise<{ count: number; res: Response }> {
      const spy = jest.spyOn(pg.Client.prototype, 'query');
      try {
        const res = await get(path, scaler);
        return { count: spy.mock.calls.length, res };
      } finally {
        spy.mockRestore();
      }
    }

    it('lists every project with the highest of its default and team roles', async () => {
      const res = await get(PROJECTS, scaler);
      expectStatus(res, 200);
      const roles = new Map((res.body as Project[]).map((p) => [p.id, p.user_role]));
      expect(roles).toEqual(expected);
    });

    it('issues the same, small number of statements for limit=5 and limit=100', async () => {
      const five = await statementsFor(`${PROJECTS}?limit=5`);
      const hundred = await statementsFor(`${PROJECTS}?limit=100`);
      expectStatus(five.res, 200);
      expectStatus(hundred.res, 200);
      expect(five.res.body).toHaveLength(5);
      expect(hundred.res.body).toHaveLength(ORGS * PER_ORG);
      expect([five.res.headers['x-total-count'], hundred.res.headers['x-total-count']]).toEqual([`${ORGS * PER_ORG}`, `${ORGS * PER_ORG}`]);
      expect(five.count).toBeGreaterThanOrEqual(2); // the spy sees the app's statements (page and count at least)
      expect(hundred.count).toBe(five.count);
      expect(hundred.count).toBeLessThanOrEqual(3); // token lookup, page, count
    });
  });
});
