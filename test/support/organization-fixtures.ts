// What the organization e2e files share: the routes, and fixtures made through the API (collaborator
// rows straight in SQL). Made per describe block with a getter of its app.
import type { Response } from 'supertest';
import { expectStatus } from './expectations.js';
import { accountId, client, type Body, type MembershipRole } from './kit.js';
import type { TestApp } from './test-app.js';

/** The organization object of spec §4.2, fields in order. */
export const ORG_KEYS = [
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
export const MEMBER_KEYS = ['organization', 'member', 'role', 'created_at'];
/** A team (spec §4.2). */
export const TEAM_KEYS = ['team', 'organization', 'members'];
export const PROJECT_ROLES = ['admin', 'manager', 'editor', 'reporter', 'reader'];

export const ORGS = '/api/v1/organizations/';
export const PROJECTS = '/api/v1/projects/';

/** One field of every row of a list answer. */
export const names = (res: Response, field = 'username') => (res.body as Record<string, string>[]).map((row) => row[field]);

export interface Squad {
  org: string;
  owner: string;
  admin: string;
  creator: string;
  member: string;
  outsider: string;
  names: { owner: string; admin: string; creator: string; member: string; outsider: string };
}

export function organizationFixtures(app: () => TestApp) {
  const { get, post, patch, put, del } = client(app);

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

  async function postMember(org: string, token: string, who: string, role: MembershipRole = 'member'): Promise<void> {
    expectStatus(await post(members(org), token, { member: who, role }), 201);
  }

  async function postTeam(org: string, token: string, name: string): Promise<void> {
    expectStatus(await post(teams(org), token, { team: name }), 201);
  }

  async function postTeamMember(org: string, teamName: string, token: string, who: string): Promise<void> {
    expectStatus(await post(teamMembers(org, teamName), token, { member: who }), 201);
  }

  async function postProject(token: string, owner: string, name: string): Promise<string> {
    const res = await post(PROJECTS, token, { name, owner });
    expectStatus(res, 201);
    return res.body.id as string;
  }

  async function insertCollaborator(projectId: string, username: string, role: string): Promise<void> {
    await app().sql(`INSERT INTO project_collaborators (project_id, collaborator_id, role) VALUES ($1, $2, $3)`, [
      projectId,
      await accountId(app(), username),
      role,
    ]);
  }

  async function hasCollaborator(projectId: string, username: string): Promise<boolean> {
    const rows = await app().sql(`SELECT 1 FROM project_collaborators WHERE project_id = $1 AND collaborator_id = $2`, [
      projectId,
      await accountId(app(), username),
    ]);
    return rows.length > 0;
  }

  /** An organization `<p>_org` with an owner, an admin, a creator and a plain member, plus an outsider. */
  async function squad(p: string): Promise<Squad> {
    const n = { owner: `${p}_owner`, admin: `${p}_admin`, creator: `${p}_creator`, member: `${p}_member`, outsider: `${p}_outsider` };
    const tokens = {
      owner: await app().createPerson(n.owner),
      admin: await app().createPerson(n.admin),
      creator: await app().createPerson(n.creator),
      member: await app().createPerson(n.member),
      outsider: await app().createPerson(n.outsider),
    };
    const org = `${p}_org`;
    await createOrg(tokens.owner, org);
    await postMember(org, tokens.owner, n.admin, 'admin');
    await postMember(org, tokens.owner, n.creator, 'creator');
    await postMember(org, tokens.owner, n.member, 'member');
    return { org, ...tokens, names: n };
  }

  return {
    get,
    post,
    patch,
    put,
    del,
    user,
    members,
    member,
    teams,
    team,
    teamMembers,
    createOrg,
    postMember,
    postTeam,
    postTeamMember,
    postProject,
    insertCollaborator,
    hasCollaborator,
    squad,
  };
}
