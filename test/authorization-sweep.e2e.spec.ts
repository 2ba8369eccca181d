import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { authzFixtures, inBatches, FIXTURE_FILES, type ProjectFixture } from './support/authz-fixtures.js';
import { delta, deltafile } from './support/deltafiles.js';
import { TINY_PNG } from './support/kit.js';
import {
  CALLER_NAMES,
  CALLERS,
  ERROR_CODES,
  inTeam,
  isAnonymous,
  isStaff,
  mayInOrganization,
  ORGANIZATION_DEFAULT_ROLE,
  projectAccess,
  projectOwnerKind,
  projectRole,
  ROLES,
  rules,
  standingOf,
  TEAM_ROLE,
  unusableToken,
  type Caller,
  type CallerRelations,
  type Facts,
  type Rule,
  type Standing,
  type Visibility,
} from './support/authz-rules.js';
import { ADMIN, startTestApp, type TestApp } from './support/test-app.js';

// Issue 7, part 2: the authorization sweep. For every route of the served OpenAPI document and every
// kind of caller, the answer's status (and error code) is exactly what the spec allows: §3 (what is
// anonymous), §4 (accounts, organizations, teams), §5 and §6.3/§6.4 (projects, collaborators, files).
//
// The expected table is generated: route variants (below) × callers (support/authz-rules.ts, with the
// relations each caller has), the expectation of each cell computed from the spec's permission tables,
// written once in authz-rules.ts. Every cell acts on an object of its own (a project, an organization,
// a person, a name to create), built in batched SQL (support/authz-fixtures.ts), so destructive cells
// (deletes, transfers, removals, renames, hand-overs) cannot disturb each other. Every cell runs; all
// mismatches are collected and reported together. Besides the status, each cell's own object must be
// unchanged after a refusal and changed after an allowed write ("nothing let in, nothing lost").
//
// Readings of the spec where it is not explicit (each one is a rule below):
// - Anonymous callers get 401 `not_authenticated` on every route but the anonymous ones (§3), public
//   projects included ("readable by every *authenticated* user"); a token that cannot be used (expired,
//   or of an inactive person) gets 401 `token_authentication_failed` there, whatever the person's
//   roles, and is ignored by the anonymous routes (§1).
// - §1 "staff get no implicit role on anyone's projects" and §4.2 "staff have no implicit rights in
//   organizations": staff are swept like an unrelated person there, except where §4.1 names them
//   (creating persons; changing anyone's person record, quota and active flag; deleting persons).
// - `is_staff` is not among what §4.1 lets anyone change: 403 for everyone, staff included, on another
//   person; on oneself setting it to what it already is changes nothing (200 for staff).
// - PATCH /users/{org}/ with `storage_quota_bytes` is staff only (§4.1: "staff may change …
//   storage_quota_bytes (of persons and organizations)"), the organization's owner included in "no";
//   with `email` or `default_project_role_for_members` it is 403 for staff.
// - DELETE /users/{org}/ is for the organization's owner only, not its admins and not staff (§4.1).
// - GET /users/{other}/organizations/ is 403 for everyone but that person, staff included (§4.2).
// - DELETE /members/{org}/{self}/: a member (any role) leaves, 204; the owner has no member row, 404;
//   an outsider cannot read the organization, 403 (the standing check comes first). PATCH of one's own
//   membership is a write like any other (owner and admins; the owner: 404). Leaving a team is a team
//   write (owner and admins; 404 for one of them who is not in it).
// - POST /projects/ with `owner` = another person is 403 for staff too (§5.5: "any other person's account").
// - PATCH /collaborators/{id}/{user}/ raising a collaborator to `admin` is "granting admin" (§6.3):
//   admins only. The first `.qgs` uploaded into a project with `has_restricted_projectfiles` is a
//   restricted file (§8), and so is `<stem>.qgd` beside the QGIS file (§5.1).
// - A transfer (§5.6) is a PATCH with another `owner`; its permission is §6.4's "transfer owner".
// - Jobs (§10.2): the project is named by the query (`project_id`), the body, or the job; a job of a
//   project the caller has no role on is 403, as the project itself is (§5.4).

const API = '/api/v1';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Call = (method: Method, path: string) => request.Test;

/** The persons the fixtures make: one per caller (staff is the bootstrap admin), and the objects of the cells. */
const USERNAME: Record<Caller, string> = {
  anonymous: 'az_bystander', // stands in where a path names "the caller"
  none: 'az_none',
  public: 'az_public',
  reader: 'az_reader',
  reporter: 'az_reporter',
  editor: 'az_editor',
  manager: 'az_manager',
  admin: 'az_admin',
  owner: 'az_owner',
  orgMember: 'az_org_member',
  orgCreator: 'az_org_creator',
  orgAdmin: 'az_org_admin',
  orgOwner: 'az_org_owner',
  teamMember: 'az_team_member',
  staff: ADMIN.username,
  expired: 'az_expired',
  inactive: 'az_inactive',
};
const OWNER = USERNAME.owner; // owns the person projects of project cells
const ORG = 'az_org'; // owns the organization projects of project cells
const TEAM = 'crew'; // the team of every organization
const BOSS = 'az_boss'; // an admin collaborator on every project
const BYSTANDER = 'az_bystander'; // an editor collaborator on every project; "another person"
const EXTRA = 'az_extra'; // added as a collaborator
const TARGET = 'az_target'; // receives transfers
const VICTIM = 'az_victim'; // a member (and team member) of every organization; removed, changed, handed over to
const SPARE = 'az_spare'; // a member of every organization, added to its team
const OUTSIDER = 'az_outsider'; // added as a member
const LOGIN = { username: 'az_login', password: 'az-login-password' };

/** What one cell acts on. */
interface Target {
  n: number;
  /** The caller's username. */
  self: string;
  /** The cell's own project (project routes). */
  project: { id: string; name: string };
  /** A job of that project, when the variant needs one. */
  job: string;
  /** The cell's own organization (organization routes). */
  organization: string;
  /** The cell's own person, to change or delete. */
  person: string;
  /** A name the cell may create. */
  fresh: string;
}

interface Variant {
  /** `METHOD /api/v1/path` as the OpenAPI document spells it. */
  route: string;
  does: string;
  scope: 'global' | 'project' | 'organization';
  /** §3, §9: answers without credentials. */
  anonymous?: true;
  success: number;
  rule: Rule;
  /** Project fixtures the cell needs. */
  needs?: { files?: true; thumbnail?: true; restricted?: true; job?: true; package?: true; deltas?: true };
  /** Logout expires every token of the caller: these cells run after all others, each with a token of its own. */
  last?: true;
  /** What a successful answer may show this caller (field-level visibility, §4.1, §4.2, §6.2): a problem, or null. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  check?: (body: any, cell: Pick<Cell, 'caller' | 'visibility'>) => string | null;
  /** The cell's own object (by project name / account name), compared before and after. */
  subject?: (x: Target) => { project?: string; account?: string };
  send(call: Call, x: Target): request.Test;
}

const members = (x: Target) => `${API}/members/${x.organization}/`;
const teams = (x: Target) => `${API}/organizations/${x.organization}/teams/`;
const project = (x: Target) => `${API}/projects/${x.project.id}/`;
const collaborators = (x: Target) => `${API}/collaborators/${x.project.id}/`;
const files = (x: Target) => `${API}/files/${x.project.id}/`;
const ownProject = (x: Target) => ({ project: x.project.name });
const ownOrganization = (x: Target) => ({ account: x.organization });
const ownPerson = (x: Target) => ({ account: x.person });
const freshProject = (x: Target) => ({ project: x.fresh });
const freshAccount = (x: Target) => ({ account: x.fresh });

const { authenticated, staffOnly, nobody } = rules;
const onProject = rules.project;
const inOrganization = rules.organization;

/** §4.1: `email`, `is_staff` and the storage fields only for the person themself and for staff. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function personFields(body: any, username: string, full: boolean): string | null {
  if (body.username !== username) return `answered ${body.username} instead of ${username}`;
  const shown = ['email', 'is_staff', 'storage_quota_bytes', 'storage_used_bytes'].filter((field) => field in body);
  return full
    ? shown.length === 4
      ? null
      : `shows only ${shown.join(', ') || 'none'} of the private fields`
    : shown.length
      ? `shows ${shown.join(', ')}`
      : null;
}

/** §4.2: members and teams for members only; `membership_role` is the caller's (`admin` for the owner). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function organizationFields(body: any, standing: Standing): string | null {
  const member = standing !== null;
  const problems = [
    Array.isArray(body.members) !== member ? `members ${JSON.stringify(body.members)}` : null,
    Array.isArray(body.teams) !== member ? `teams ${JSON.stringify(body.teams)}` : null,
    body.membership_role !== (standing === 'owner' ? 'admin' : standing) ? `membership_role ${body.membership_role}` : null,
  ].filter(Boolean);
  return problems.length ? `shows ${problems.join(', ')}` : null;
}

/** §6.2: `user_role` and `user_role_origin` are the caller's role computed from every source. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function roleShown(body: any, cell: Pick<Cell, 'caller' | 'visibility'>): string | null {
  const access = projectAccess(cell.caller, cell.visibility!);
  const expected = `${access?.role ?? null}/${access?.origin ?? null}`;
  const shown = `${body.user_role}/${body.user_role_origin}`;
  return shown === expected ? null : `user_role/origin ${shown}, expected ${expected}`;
}

/** §4.2: "a member may delete themself"; the owner is no member row. */
const leave: Rule = (f: Facts) => (f.standing === 'owner' ? 404 : f.standing !== null);
/** §4.2: changing one's own membership is a write like any other (owner and admins); the owner is no member row. */
const ownMembership: Rule = (f: Facts) => (f.standing === 'owner' ? 404 : mayInOrganization(f.standing, 'manage'));
/** §4.2: "Team writes are for the owner and admins", leaving a team included; 404 for one who is not in it. */
const leaveTeam: Rule = (f: Facts) => (!mayInOrganization(f.standing, 'manage') ? false : inTeam(f.caller) ? true : 404);

const VARIANTS: Variant[] = [
  // §9, §3: the anonymous endpoints.
  { route: 'GET /api/v1/status', does: 'status', scope: 'global', anonymous: true, success: 200, rule: authenticated, send: (c) => c('get', `${API}/status/`) },
  {
    route: 'GET /api/v1/openapi.json',
    does: 'the OpenAPI document',
    scope: 'global',
    anonymous: true,
    success: 200,
    rule: authenticated,
    send: (c) => c('get', `${API}/openapi.json`),
  },
  {
    route: 'GET /api/v1/docs',
    does: 'interactive docs',
    scope: 'global',
    anonymous: true,
    success: 200,
    rule: authenticated,
    send: (c) => c('get', `${API}/docs/`),
  },
  {
    route: 'POST /api/v1/auth/login',
    does: 'log in',
    scope: 'global',
    anonymous: true,
    success: 200,
    rule: authenticated,
    send: (c) => c('post', `${API}/auth/login/`).set('User-Agent', 'sdk|authz').send(LOGIN),
  },
  {
    route: 'POST /api/v1/auth/token',
    does: 'log in',
    scope: 'global',
    anonymous: true,
    success: 200,
    rule: authenticated,
    send: (c) => c('post', `${API}/auth/token/`).set('User-Agent', 'sdk|authz').send(LOGIN),
  },
  {
    route: 'POST /api/v1/auth/logout',
    does: 'log out',
    scope: 'global',
    anonymous: true,
    success: 200,
    rule: authenticated,
    last: true,
    send: (c) => c('post', `${API}/auth/logout/`),
  },
  {
    route: 'GET /api/v1/auth/logout',
    does: 'log out',
    scope: 'global',
    anonymous: true,
    success: 200,
    rule: authenticated,
    last: true,
    send: (c) => c('get', `${API}/auth/logout/`),
  },

  // §3, §4.1: users.
  {
    route: 'GET /api/v1/auth/user',
    does: 'who am I',
    scope: 'global',
    success: 200,
    rule: authenticated,
    check: (body, cell) => personFields(body, USERNAME[cell.caller], true),
    send: (c) => c('get', `${API}/auth/user/`),
  },
  {
    route: 'POST /api/v1/users',
    does: 'create a person',
    scope: 'global',
    success: 201,
    rule: staffOnly,
    subject: freshAccount,
    send: (c, x) => c('post', `${API}/users/`).send({ username: x.fresh, email: `${x.fresh}@example.com`, password: 'a-long-password' }),
  },
  {
    route: 'GET /api/v1/users',
    does: 'search accounts',
    scope: 'global',
    success: 200,
    rule: authenticated,
    check: (body, cell) => (body.length === 1 ? personFields(body[0], BYSTANDER, isStaff(cell.caller)) : `${body.length} accounts found`),
    send: (c) => c('get', `${API}/users/?q=${BYSTANDER}`),
  },
  {
    route: 'GET /api/v1/users/{username}',
    does: 'another person',
    scope: 'global',
    success: 200,
    rule: authenticated,
    check: (body, cell) => personFields(body, BYSTANDER, isStaff(cell.caller)),
    send: (c) => c('get', `${API}/users/${BYSTANDER}/`),
  },
  {
    route: 'GET /api/v1/users/{username}',
    does: 'an organization',
    scope: 'global',
    success: 200,
    rule: authenticated,
    check: (body, cell) => organizationFields(body, standingOf(cell.caller)),
    send: (c) => c('get', `${API}/users/${ORG}/`),
  },
  {
    route: 'PATCH /api/v1/users/{username}',
    does: 'own names',
    scope: 'global',
    success: 200,
    rule: authenticated,
    send: (c, x) => c('patch', `${API}/users/${x.self}/`).send({ first_name: `First ${x.n}` }),
  },
  {
    route: 'PATCH /api/v1/users/{username}',
    does: 'own quota',
    scope: 'global',
    success: 200,
    rule: staffOnly,
    send: (c, x) => c('patch', `${API}/users/${x.self}/`).send({ storage_quota_bytes: 2_000_000_000 + x.n }),
  },
  {
    route: 'PATCH /api/v1/users/{username}',
    does: "another person's names",
    scope: 'global',
    success: 200,
    rule: staffOnly,
    subject: ownPerson,
    send: (c, x) => c('patch', `${API}/users/${x.person}/`).send({ first_name: 'Changed' }),
  },
  {
    route: 'PATCH /api/v1/users/{username}',
    does: "another person's active flag",
    scope: 'global',
    success: 200,
    rule: staffOnly,
    subject: ownPerson,
    send: (c, x) => c('patch', `${API}/users/${x.person}/`).send({ is_active: false }),
  },
  {
    route: 'PATCH /api/v1/users/{username}',
    does: 'own staff flag',
    scope: 'global',
    success: 200,
    rule: staffOnly, // for staff, setting it to what it is changes nothing
    send: (c, x) => c('patch', `${API}/users/${x.self}/`).send({ is_staff: true }),
  },
  {
    route: 'PATCH /api/v1/users/{username}',
    does: "another person's staff flag",
    scope: 'global',
    success: 200,
    rule: nobody,
    subject: ownPerson, // §4.1 lists what staff may change; is_staff is not in it
    send: (c, x) => c('patch', `${API}/users/${x.person}/`).send({ is_staff: true }),
  },
  {
    route: 'PUT /api/v1/users/{username}',
    does: 'own names',
    scope: 'global',
    success: 200,
    rule: authenticated,
    send: (c, x) => c('put', `${API}/users/${x.self}/`).send({ last_name: `Last ${x.n}` }),
  },
  {
    route: 'PUT /api/v1/users/{username}',
    does: "another person's names",
    scope: 'global',
    success: 200,
    rule: staffOnly,
    subject: ownPerson,
    send: (c, x) => c('put', `${API}/users/${x.person}/`).send({ last_name: 'Changed' }),
  },
  {
    route: 'DELETE /api/v1/users/{username}',
    does: 'another person',
    scope: 'global',
    success: 204,
    rule: staffOnly,
    subject: ownPerson,
    send: (c, x) => c('delete', `${API}/users/${x.person}/`),
  },

  // §4.2: organizations through /users/{org}/.
  {
    route: 'PATCH /api/v1/users/{username}',
    does: "organization's e-mail",
    scope: 'organization',
    success: 200,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('patch', `${API}/users/${x.organization}/`).send({ email: `${x.organization}@example.com` }),
  },
  {
    route: 'PATCH /api/v1/users/{username}',
    does: "organization's default role",
    scope: 'organization',
    success: 200,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('patch', `${API}/users/${x.organization}/`).send({ default_project_role_for_members: 'editor' }),
  },
  {
    route: 'PATCH /api/v1/users/{username}',
    does: "organization's quota",
    scope: 'organization',
    success: 200,
    rule: staffOnly,
    subject: ownOrganization,
    send: (c, x) => c('patch', `${API}/users/${x.organization}/`).send({ storage_quota_bytes: 3_000_000_000 }),
  },
  {
    route: 'PATCH /api/v1/users/{username}',
    does: 'hand the organization over',
    scope: 'organization',
    success: 200,
    rule: inOrganization('handOver'),
    subject: ownOrganization,
    send: (c, x) => c('patch', `${API}/users/${x.organization}/`).send({ organization_owner: VICTIM }),
  },
  {
    route: 'PUT /api/v1/users/{username}',
    does: "organization's e-mail",
    scope: 'organization',
    success: 200,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('put', `${API}/users/${x.organization}/`).send({ email: `${x.organization}@example.com` }),
  },
  {
    route: 'DELETE /api/v1/users/{username}',
    does: 'an organization',
    scope: 'organization',
    success: 204,
    rule: inOrganization('delete'),
    subject: ownOrganization,
    send: (c, x) => c('delete', `${API}/users/${x.organization}/`),
  },

  // §4.2: organizations, members, teams.
  {
    route: 'POST /api/v1/organizations',
    does: 'create',
    scope: 'global',
    success: 201,
    rule: authenticated,
    subject: freshAccount,
    send: (c, x) => c('post', `${API}/organizations/`).send({ username: x.fresh }),
  },
  { route: 'GET /api/v1/organizations', does: 'mine', scope: 'global', success: 200, rule: authenticated, send: (c) => c('get', `${API}/organizations/`) },
  {
    route: 'GET /api/v1/users/{username}/organizations',
    does: 'mine',
    scope: 'global',
    success: 200,
    rule: authenticated,
    send: (c, x) => c('get', `${API}/users/${x.self}/organizations/`),
  },
  {
    route: 'GET /api/v1/users/{username}/organizations',
    does: "another person's",
    scope: 'global',
    success: 200,
    rule: nobody,
    send: (c) => c('get', `${API}/users/${BYSTANDER}/organizations/`),
  },
  {
    route: 'GET /api/v1/members/{organization}',
    does: 'list',
    scope: 'organization',
    success: 200,
    rule: inOrganization('read'),
    send: (c, x) => c('get', members(x)),
  },
  {
    route: 'POST /api/v1/members/{organization}',
    does: 'add a person',
    scope: 'organization',
    success: 201,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('post', members(x)).send({ member: OUTSIDER, role: 'member' }),
  },
  {
    route: 'GET /api/v1/members/{organization}/{username}',
    does: 'another member',
    scope: 'organization',
    success: 200,
    rule: inOrganization('read'),
    send: (c, x) => c('get', `${members(x)}${VICTIM}/`),
  },
  {
    route: 'PATCH /api/v1/members/{organization}/{username}',
    does: "another member's role",
    scope: 'organization',
    success: 200,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('patch', `${members(x)}${VICTIM}/`).send({ role: 'creator' }),
  },
  {
    route: 'PUT /api/v1/members/{organization}/{username}',
    does: "another member's role",
    scope: 'organization',
    success: 200,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('put', `${members(x)}${VICTIM}/`).send({ role: 'admin' }),
  },
  {
    route: 'DELETE /api/v1/members/{organization}/{username}',
    does: 'another member',
    scope: 'organization',
    success: 204,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('delete', `${members(x)}${VICTIM}/`),
  },
  {
    route: 'PATCH /api/v1/members/{organization}/{username}',
    does: 'own role to creator',
    scope: 'organization',
    success: 200,
    rule: ownMembership,
    subject: ownOrganization,
    send: (c, x) => c('patch', `${members(x)}${x.self}/`).send({ role: 'creator' }),
  },
  {
    route: 'DELETE /api/v1/members/{organization}/{username}',
    does: 'leave (themself)',
    scope: 'organization',
    success: 204,
    rule: leave,
    subject: ownOrganization,
    send: (c, x) => c('delete', `${members(x)}${x.self}/`),
  },
  {
    route: 'GET /api/v1/organizations/{organization}/teams',
    does: 'list',
    scope: 'organization',
    success: 200,
    rule: inOrganization('read'),
    send: (c, x) => c('get', teams(x)),
  },
  {
    route: 'POST /api/v1/organizations/{organization}/teams',
    does: 'create',
    scope: 'organization',
    success: 201,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('post', teams(x)).send({ team: 'squad' }),
  },
  {
    route: 'GET /api/v1/organizations/{organization}/teams/{team}',
    does: 'one',
    scope: 'organization',
    success: 200,
    rule: inOrganization('read'),
    send: (c, x) => c('get', `${teams(x)}${TEAM}/`),
  },
  {
    route: 'PUT /api/v1/organizations/{organization}/teams/{team}',
    does: 'rename',
    scope: 'organization',
    success: 200,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('put', `${teams(x)}${TEAM}/`).send({ team: 'renamed' }),
  },
  {
    route: 'DELETE /api/v1/organizations/{organization}/teams/{team}',
    does: 'delete',
    scope: 'organization',
    success: 204,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('delete', `${teams(x)}${TEAM}/`),
  },
  {
    route: 'GET /api/v1/organizations/{organization}/teams/{team}/members',
    does: 'list',
    scope: 'organization',
    success: 200,
    rule: inOrganization('read'),
    send: (c, x) => c('get', `${teams(x)}${TEAM}/members/`),
  },
  {
    route: 'POST /api/v1/organizations/{organization}/teams/{team}/members',
    does: 'add a member',
    scope: 'organization',
    success: 201,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('post', `${teams(x)}${TEAM}/members/`).send({ member: SPARE }),
  },
  {
    route: 'DELETE /api/v1/organizations/{organization}/teams/{team}/members/{username}',
    does: 'leave (themself)',
    scope: 'organization',
    success: 204,
    rule: leaveTeam,
    subject: ownOrganization,
    send: (c, x) => c('delete', `${teams(x)}${TEAM}/members/${x.self}/`),
  },
  {
    route: 'DELETE /api/v1/organizations/{organization}/teams/{team}/members/{username}',
    does: 'remove a member',
    scope: 'organization',
    success: 204,
    rule: inOrganization('manage'),
    subject: ownOrganization,
    send: (c, x) => c('delete', `${teams(x)}${TEAM}/members/${VICTIM}/`),
  },

  // §5.2, §5.3, §5.5: project lists and creation.
  { route: 'GET /api/v1/projects', does: 'mine', scope: 'global', success: 200, rule: authenticated, send: (c) => c('get', `${API}/projects/?limit=5`) },
  {
    route: 'GET /api/v1/projects/public',
    does: 'every public one',
    scope: 'global',
    success: 200,
    rule: authenticated,
    send: (c) => c('get', `${API}/projects/public/?limit=5`),
  },
  {
    route: 'POST /api/v1/projects',
    does: 'in my account',
    scope: 'global',
    success: 201,
    rule: authenticated,
    subject: freshProject,
    send: (c, x) => c('post', `${API}/projects/`).send({ name: x.fresh }),
  },
  {
    route: 'POST /api/v1/projects',
    does: 'in the organization',
    scope: 'global',
    success: 201,
    rule: inOrganization('createProject'),
    subject: freshProject,
    send: (c, x) => c('post', `${API}/projects/`).send({ name: x.fresh, owner: ORG }),
  },
  {
    route: 'POST /api/v1/projects',
    does: "in another person's account",
    scope: 'global',
    success: 201,
    rule: nobody,
    subject: freshProject,
    send: (c, x) => c('post', `${API}/projects/`).send({ name: x.fresh, owner: BYSTANDER }),
  },

  // §5.4, §5.6, §5.7, §5.8: one project.
  {
    route: 'GET /api/v1/projects/{projectId}',
    does: 'read',
    scope: 'project',
    success: 200,
    rule: onProject('read'),
    subject: ownProject,
    check: roleShown,
    send: (c, x) => c('get', project(x)),
  },
  {
    route: 'PATCH /api/v1/projects/{projectId}',
    does: 'update',
    scope: 'project',
    success: 200,
    rule: onProject('updateProject'),
    subject: ownProject,
    send: (c, x) => c('patch', project(x)).send({ description: `changed in cell ${x.n}` }),
  },
  {
    route: 'PATCH /api/v1/projects/{projectId}',
    does: 'transfer',
    scope: 'project',
    success: 200,
    rule: onProject('transferOwner'),
    subject: ownProject,
    send: (c, x) => c('patch', project(x)).send({ owner: TARGET }),
  },
  {
    route: 'PUT /api/v1/projects/{projectId}',
    does: 'update',
    scope: 'project',
    success: 200,
    rule: onProject('updateProject'),
    subject: ownProject,
    send: (c, x) => c('put', project(x)).send({ name: x.project.name, description: `replaced in cell ${x.n}` }),
  },
  {
    route: 'DELETE /api/v1/projects/{projectId}',
    does: 'delete',
    scope: 'project',
    success: 204,
    rule: onProject('deleteProject'),
    subject: ownProject,
    send: (c, x) => c('delete', project(x)),
  },
  {
    route: 'POST /api/v1/projects/{projectId}/thumbnail',
    does: 'upload',
    scope: 'project',
    success: 204,
    rule: onProject('uploadThumbnail'),
    subject: ownProject,
    send: (c, x) => c('post', `${project(x)}thumbnail/`).attach('thumbnail', TINY_PNG, 'thumbnail.png'),
  },
  {
    route: 'GET /api/v1/files/thumbnails/{projectId}',
    does: 'read',
    scope: 'project',
    success: 200,
    rule: onProject('read'),
    needs: { thumbnail: true },
    subject: ownProject,
    send: (c, x) => c('get', `${API}/files/thumbnails/${x.project.id}/`),
  },

  // §6.3: collaborators. BOSS is an admin collaborator, BYSTANDER an editor one.
  {
    route: 'GET /api/v1/collaborators/{projectId}',
    does: 'list',
    scope: 'project',
    success: 200,
    rule: onProject('manageCollaborators'),
    subject: ownProject,
    send: (c, x) => c('get', collaborators(x)),
  },
  {
    route: 'POST /api/v1/collaborators/{projectId}',
    does: 'add a reader',
    scope: 'project',
    success: 201,
    rule: onProject('manageCollaborators'),
    subject: ownProject,
    send: (c, x) => c('post', collaborators(x)).send({ collaborator: EXTRA, role: 'reader' }),
  },
  {
    route: 'POST /api/v1/collaborators/{projectId}',
    does: 'add an admin',
    scope: 'project',
    success: 201,
    rule: onProject('touchAdminCollaborator'),
    subject: ownProject,
    send: (c, x) => c('post', collaborators(x)).send({ collaborator: EXTRA, role: 'admin' }),
  },
  {
    route: 'GET /api/v1/collaborators/{projectId}/{username}',
    does: 'an editor',
    scope: 'project',
    success: 200,
    rule: onProject('manageCollaborators'),
    subject: ownProject,
    send: (c, x) => c('get', `${collaborators(x)}${BYSTANDER}/`),
  },
  {
    route: 'PATCH /api/v1/collaborators/{projectId}/{username}',
    does: 'an editor to reporter',
    scope: 'project',
    success: 200,
    rule: onProject('manageCollaborators'),
    subject: ownProject,
    send: (c, x) => c('patch', `${collaborators(x)}${BYSTANDER}/`).send({ role: 'reporter' }),
  },
  {
    route: 'PATCH /api/v1/collaborators/{projectId}/{username}',
    does: 'an editor to admin',
    scope: 'project',
    success: 200,
    rule: onProject('touchAdminCollaborator'),
    subject: ownProject,
    send: (c, x) => c('patch', `${collaborators(x)}${BYSTANDER}/`).send({ role: 'admin' }),
  },
  {
    route: 'PATCH /api/v1/collaborators/{projectId}/{username}',
    does: 'an admin to editor',
    scope: 'project',
    success: 200,
    rule: onProject('touchAdminCollaborator'),
    subject: ownProject,
    send: (c, x) => c('patch', `${collaborators(x)}${BOSS}/`).send({ role: 'editor' }),
  },
  {
    route: 'PUT /api/v1/collaborators/{projectId}/{username}',
    does: 'an editor to reporter',
    scope: 'project',
    success: 200,
    rule: onProject('manageCollaborators'),
    subject: ownProject,
    send: (c, x) => c('put', `${collaborators(x)}${BYSTANDER}/`).send({ role: 'reporter' }),
  },
  {
    route: 'PUT /api/v1/collaborators/{projectId}/{username}',
    does: 'an admin to editor',
    scope: 'project',
    success: 200,
    rule: onProject('touchAdminCollaborator'),
    subject: ownProject,
    send: (c, x) => c('put', `${collaborators(x)}${BOSS}/`).send({ role: 'editor' }),
  },
  {
    route: 'DELETE /api/v1/collaborators/{projectId}/{username}',
    does: 'an editor',
    scope: 'project',
    success: 204,
    rule: onProject('manageCollaborators'),
    subject: ownProject,
    send: (c, x) => c('delete', `${collaborators(x)}${BYSTANDER}/`),
  },
  {
    route: 'DELETE /api/v1/collaborators/{projectId}/{username}',
    does: 'an admin',
    scope: 'project',
    success: 204,
    rule: onProject('touchAdminCollaborator'),
    subject: ownProject,
    send: (c, x) => c('delete', `${collaborators(x)}${BOSS}/`),
  },

  // §8: files.
  {
    route: 'GET /api/v1/files/{projectId}',
    does: 'list',
    scope: 'project',
    success: 200,
    rule: onProject('read'),
    needs: { files: true },
    subject: ownProject,
    send: (c, x) => c('get', files(x)),
  },
  {
    route: 'POST /api/v1/files/{projectId}/{path}',
    does: 'upload a file',
    scope: 'project',
    success: 201,
    rule: onProject('uploadFiles'),
    subject: ownProject,
    send: (c, x) => c('post', `${files(x)}notes/new.txt/`).attach('file', Buffer.from(`cell ${x.n}`), 'new.txt'),
  },
  {
    route: 'POST /api/v1/files/{projectId}/{path}',
    does: 'upload the first QGIS file (restricted)',
    scope: 'project',
    success: 201,
    rule: onProject('modifyRestrictedFiles'),
    needs: { restricted: true },
    subject: ownProject,
    send: (c, x) => c('post', `${files(x)}project.qgs/`).attach('file', Buffer.from(FIXTURE_FILES['project.qgs']), 'project.qgs'),
  },
  {
    route: 'GET /api/v1/files/{projectId}/{path}',
    does: 'download',
    scope: 'project',
    success: 200,
    rule: onProject('read'),
    needs: { files: true },
    subject: ownProject,
    send: (c, x) => c('get', `${files(x)}data.txt/`),
  },
  {
    route: 'DELETE /api/v1/files/{projectId}/{path}',
    does: 'delete a file',
    scope: 'project',
    success: 204,
    rule: onProject('deleteFiles'),
    needs: { files: true },
    subject: ownProject,
    send: (c, x) => c('delete', `${files(x)}data.txt/`),
  },
  {
    route: 'DELETE /api/v1/files/{projectId}/{path}',
    does: 'delete <stem>.qgd (restricted)',
    scope: 'project',
    success: 204,
    rule: onProject('modifyRestrictedFiles'),
    needs: { files: true, restricted: true },
    subject: ownProject,
    send: (c, x) => c('delete', `${files(x)}project.qgd/`),
  },

  // §10.2, §6.4: jobs. The project id is in the query or the body, or the job's.
  {
    route: 'GET /api/v1/jobs',
    does: 'list',
    scope: 'project',
    success: 200,
    rule: onProject('readJobs'),
    needs: { job: true },
    subject: ownProject,
    send: (c, x) => c('get', `${API}/jobs/?project_id=${x.project.id}`),
  },
  {
    route: 'GET /api/v1/jobs/{jobId}',
    does: 'read',
    scope: 'project',
    success: 200,
    rule: onProject('readJobs'),
    needs: { job: true },
    subject: ownProject,
    send: (c, x) => c('get', `${API}/jobs/${x.job}/`),
  },
  {
    route: 'POST /api/v1/jobs',
    does: 'package',
    scope: 'project',
    success: 201,
    rule: onProject('triggerPackage'),
    needs: { files: true },
    subject: ownProject,
    send: (c, x) => c('post', `${API}/jobs/`).send({ project_id: x.project.id, type: 'package' }),
  },
  {
    route: 'POST /api/v1/jobs',
    does: 'process_projectfile',
    scope: 'project',
    success: 201,
    rule: onProject('triggerJobs'),
    needs: { files: true },
    subject: ownProject,
    send: (c, x) => c('post', `${API}/jobs/`).type('form').send({ project_id: x.project.id, type: 'process_projectfile' }),
  },

  // §12, §6.4: packages.
  {
    route: 'GET /api/v1/packages/{projectId}/latest',
    does: 'read',
    scope: 'project',
    success: 200,
    rule: onProject('readPackages'),
    needs: { package: true },
    subject: ownProject,
    send: (c, x) => c('get', `${API}/packages/${x.project.id}/latest/`),
  },
  {
    route: 'GET /api/v1/packages/{projectId}/latest/files/{path}',
    does: 'download',
    scope: 'project',
    success: 200,
    rule: onProject('readPackages'),
    needs: { package: true },
    subject: ownProject,
    send: (c, x) => c('get', `${API}/packages/${x.project.id}/latest/files/data.gpkg/`),
  },

  // §11.2, §6.4: deltas (push and list: reporters and up; applying: as delta_apply jobs).
  {
    route: 'POST /api/v1/deltas/{projectId}',
    does: 'push a delta file',
    scope: 'project',
    success: 200,
    rule: onProject('deltas'),
    needs: { files: true },
    subject: ownProject,
    send: (c, x) => c('post', `${API}/deltas/${x.project.id}/`).field('text', '{}').attach('file', deltafileFor(x.project.id), 'deltafile.json'),
  },
  {
    route: 'GET /api/v1/deltas/{projectId}',
    does: 'list',
    scope: 'project',
    success: 200,
    rule: onProject('deltas'),
    needs: { deltas: true },
    subject: ownProject,
    send: (c, x) => c('get', `${API}/deltas/${x.project.id}/`),
  },
  {
    route: 'GET /api/v1/deltas/{projectId}/{deltafileId}',
    does: 'read a delta file',
    scope: 'project',
    success: 200,
    rule: onProject('deltas'),
    needs: { deltas: true },
    subject: ownProject,
    send: (c, x) => c('get', `${API}/deltas/${x.project.id}/${x.project.id}/`), // the fixture's delta file has the project's id
  },
  {
    route: 'POST /api/v1/deltas/apply/{projectId}',
    does: 'apply (deprecated)',
    scope: 'project',
    success: 200,
    rule: onProject('triggerJobs'),
    needs: { files: true, deltas: true },
    subject: ownProject,
    send: (c, x) => c('post', `${API}/deltas/apply/${x.project.id}/`),
  },
  {
    route: 'POST /api/v1/jobs',
    does: 'delta_apply',
    scope: 'project',
    success: 201,
    rule: onProject('triggerJobs'),
    needs: { files: true, deltas: true },
    subject: ownProject,
    send: (c, x) => c('post', `${API}/jobs/`).send({ project_id: x.project.id, type: 'delta_apply' }),
  },
];

/** A delta file of one new feature for the project (spec §11.1), as QField pushes it. */
const deltafileFor = (projectId: string): Buffer => Buffer.from(JSON.stringify(deltafile(projectId, [delta('create', { clientId: 'authz-device' })])));

/** Routes the spec names (§9) that the OpenAPI document does not list: the document itself and the docs page. */
const NOT_IN_DOCUMENT = ['GET /api/v1/openapi.json', 'GET /api/v1/docs'];
/** Requests in flight at once (client and server share this process). */
const CONCURRENCY = 8;

interface Cell {
  n: number;
  variant: Variant;
  caller: Caller;
  visibility: Visibility | null;
  name: string;
  expected: string;
}

/** The table: every variant × every caller (× the caller's project visibilities on project routes), with the spec's answer. */
function buildTable(): Cell[] {
  type Row = Pick<Cell, 'variant' | 'caller' | 'visibility'>;
  const cells = VARIANTS.flatMap((variant) =>
    CALLER_NAMES.flatMap((caller): Row[] =>
      variant.scope === 'project'
        ? (CALLERS[caller] as CallerRelations).visibility.map((visibility) => ({ variant, caller, visibility }))
        : [{ variant, caller, visibility: null }],
    ),
  );
  return cells.map((cell, n) => ({
    ...cell,
    n,
    name: `${cell.variant.route} (${cell.variant.does}) × ${cell.caller}${cell.visibility ? `, ${cell.visibility} project` : ''}`,
    expected: expectedAnswer(cell.variant, cell.caller, cell.visibility),
  }));
}

function expectedAnswer(variant: Variant, caller: Caller, visibility: Visibility | null): string {
  // §3: no credentials, or a token that cannot be used, on a route that needs them.
  if (isAnonymous(caller) && !variant.anonymous) return `401 ${ERROR_CODES[401]}`;
  if (unusableToken(caller) && !variant.anonymous) return '401 token_authentication_failed';
  const facts: Facts = {
    caller,
    staff: isStaff(caller),
    role: visibility ? projectRole(caller, visibility) : null,
    standing: standingOf(caller),
  };
  const answer = variant.rule(facts);
  const status = answer === true ? variant.success : answer === false ? 403 : answer;
  return status >= 400 ? `${status} ${ERROR_CODES[status]}` : `${status}`;
}

const answerOf = (res: request.Response) => (res.status >= 400 ? `${res.status} ${res.body?.code}` : `${res.status}`);
const isSuccess = (answer: string) => Number(answer.split(' ')[0]) < 400;

describe('authorization sweep: every route × every caller answers what spec §3, §4, §5 and §6 allow', () => {
  let t: TestApp;
  let base: string;
  const table = buildTable();
  const targets = new Map<number, Target>();
  let tokens: Record<string, string>;
  let fixtureMs = 0;
  let fixtures: ReturnType<typeof authzFixtures>;

  /** A new token for each caller, by username: a live one, or an expired one for the caller whose token expired. */
  async function tokensFor(callers: Caller[]): Promise<Record<string, string>> {
    const usernames = (expired: boolean) => callers.filter((c) => !isAnonymous(c) && (unusableToken(c) === 'expired') === expired).map((c) => USERNAME[c]);
    return { ...(await fixtures.tokens(usernames(false))), ...(await fixtures.tokens(usernames(true), true)) };
  }

  beforeAll(async () => {
    t = await startTestApp();
    const server = t.fieldbase.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fixtures = authzFixtures(t);
    const started = Date.now();

    // Persons: one per caller, the cells' bystanders, and one own person per global cell.
    const callerPersons = CALLER_NAMES.filter((caller) => !isAnonymous(caller) && !isStaff(caller)).map((caller) => USERNAME[caller]);
    const cellPersons = table.filter((cell) => cell.variant.subject === ownPerson).map((cell) => `az_person${cell.n}`);
    await fixtures.persons([...callerPersons, BOSS, BYSTANDER, EXTRA, TARGET, VICTIM, SPARE, OUTSIDER, ...cellPersons]);
    await t.createPerson(LOGIN.username, { password: LOGIN.password }); // the one person who logs in with a password
    tokens = await tokensFor(CALLER_NAMES);
    const inactive = CALLER_NAMES.filter((caller) => unusableToken(caller) === 'inactive').map((caller) => USERNAME[caller]);
    await t.sql(`UPDATE accounts SET is_active = false WHERE username = ANY($1::text[])`, [inactive]);

    // Organizations: the callers' standings (§4.2) as CALLERS describes them; the one owning the
    // project cells' organization projects also has the collaborators of those projects as members.
    const callersWith = (test: (c: CallerRelations) => boolean) => CALLER_NAMES.filter((caller) => test(CALLERS[caller])).map((caller) => USERNAME[caller]);
    const [orgOwner] = callersWith((c) => c.membership === 'owner');
    const standing = (role: 'admin' | 'creator' | 'member') => callersWith((c) => c.membership === role).map((who): [string, typeof role] => [who, role]);
    const teamMembers = callersWith((c) => c.team === true);
    const organization = (name: string, more: string[]) => ({
      name,
      owner: orgOwner,
      defaultRole: ORGANIZATION_DEFAULT_ROLE,
      members: [...standing('admin'), ...standing('creator'), ...standing('member'), ...more.map((who): [string, 'member'] => [who, 'member'])],
      teams: [{ name: TEAM, members: [...teamMembers, ...more.filter((who) => who === VICTIM)] }],
    });
    await fixtures.organizations([
      organization(ORG, [BOSS, BYSTANDER, EXTRA]),
      ...table.filter((cell) => cell.variant.scope === 'organization').map((cell) => organization(`az_org${cell.n}`, [VICTIM, SPARE])),
    ]);

    // Projects: one per project cell, the caller's relation to it as CALLERS describes it (§6.2).
    const projectCells = table.filter((cell) => cell.variant.scope === 'project');
    const projects: ProjectFixture[] = projectCells.map((cell) => {
      const relations: CallerRelations = CALLERS[cell.caller];
      const byOrganization = projectOwnerKind(cell.caller) === 'organization';
      const collaborators: ProjectFixture['collaborators'] = [
        [BOSS, 'admin'],
        [BYSTANDER, 'editor'],
      ];
      if (relations.direct) collaborators.push([USERNAME[cell.caller], relations.direct]);
      if (byOrganization) collaborators.push([`@${ORG}/${TEAM}`, TEAM_ROLE]);
      return {
        name: `az-project${cell.n}`,
        owner: byOrganization ? ORG : OWNER,
        isPublic: cell.visibility === 'public',
        hasRestrictedProjectfiles: cell.variant.needs?.restricted === true,
        collaborators,
        files: cell.variant.needs?.files === true,
        thumbnail: cell.variant.needs?.thumbnail === true,
        job: cell.variant.needs?.job === true,
        package: cell.variant.needs?.package === true,
        deltas: cell.variant.needs?.deltas === true,
      };
    });
    const ids = await fixtures.projects(projects);
    const jobs = new Map((await t.sql<{ project_id: string; id: string }>(`SELECT project_id, id FROM jobs`)).map((row) => [row.project_id, row.id]));

    for (const cell of table) {
      const name = `az-project${cell.n}`;
      targets.set(cell.n, {
        n: cell.n,
        self: USERNAME[cell.caller],
        project: { id: ids.get(name) ?? '00000000-0000-4000-8000-000000000000', name },
        job: jobs.get(ids.get(name) ?? '') ?? '00000000-0000-4000-8000-000000000000',
        organization: `az_org${cell.n}`,
        person: `az_person${cell.n}`,
        fresh: `az_new${cell.n}`,
      });
    }
    fixtureMs = Date.now() - started;
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('covers exactly the routes of the served OpenAPI document, with the anonymous ones it marks', async () => {
    const res = await request(base).get(`${API}/openapi.json`);
    expect(res.status).toBe(200);
    const operations = Object.entries(res.body.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        // Anonymous: no security requirement, or an empty one among the alternatives (`[{}, {Token: []}]`: a token is optional).
        .map(([method, operation]) => ({
          route: `${method.toUpperCase()} ${path}`,
          anonymous:
            Array.isArray(operation.security) && (operation.security.length === 0 || operation.security.some((s) => Object.keys(s as object).length === 0)),
        })),
    );
    const documented = operations.map((o) => o.route).sort();
    const covered = [...new Set(VARIANTS.map((v) => v.route))].filter((route) => !NOT_IN_DOCUMENT.includes(route)).sort();
    expect(covered).toEqual(documented);
    const anonymous = [...new Set(VARIANTS.filter((v) => v.anonymous).map((v) => v.route))].filter((route) => !NOT_IN_DOCUMENT.includes(route)).sort();
    expect(anonymous).toEqual(
      operations
        .filter((o) => o.anonymous)
        .map((o) => o.route)
        .sort(),
    );
    // The direct collaborators among the callers hold every role of §6.1.
    expect(new Set(CALLER_NAMES.flatMap((caller) => (CALLERS[caller] as CallerRelations).direct ?? []))).toEqual(new Set(ROLES));
  });

  it('answers every cell as the spec allows; refused requests change nothing, allowed writes take effect', async () => {
    // Each cell's own object, fingerprinted before and after the sweep.
    const subjectOf = (cell: Cell) => cell.variant.subject?.(targets.get(cell.n)!);
    const projectNames = table.flatMap((cell) => subjectOf(cell)?.project ?? []);
    const accountNames = table.flatMap((cell) => subjectOf(cell)?.account ?? []);
    const fingerprints = async () => {
      const [projects, accounts] = await Promise.all([fixtures.projectFingerprints(projectNames), fixtures.accountFingerprints(accountNames)]);
      return (cell: Cell) => {
        const subject = subjectOf(cell);
        return subject ? (subject.project ? projects.get(subject.project) : accounts.get(subject.account!)) : undefined;
      };
    };

    const before = await fingerprints();
    const actual = new Map<number, string>();
    const shown: string[] = [];
    const run = async (cell: Cell, token: string | undefined) => {
      const call: Call = (method, path) => {
        const req = request(base)[method](path);
        if (token) req.set('Authorization', `Token ${token}`);
        return req;
      };
      const res = await cell.variant.send(call, targets.get(cell.n)!);
      const answer = answerOf(res);
      actual.set(cell.n, answer);
      const problem = answer === cell.expected && isSuccess(answer) ? cell.variant.check?.(res.body, cell) : null;
      if (problem) shown.push(`${cell.name}: ${problem}`);
    };
    const started = Date.now();
    await inBatches(
      table.filter((cell) => !cell.variant.last),
      CONCURRENCY,
      (cell) => run(cell, tokens[USERNAME[cell.caller]]),
    );
    // Logout expires all of the caller's tokens: one at a time, each with a token of its own.
    for (const cell of table.filter((c) => c.variant.last)) {
      const token = (await tokensFor([cell.caller]))[USERNAME[cell.caller]];
      await run(cell, token);
    }
    const after = await fingerprints();

    const mismatches: string[] = [...shown];
    for (const cell of table) {
      const got = actual.get(cell.n)!;
      if (got !== cell.expected) mismatches.push(`${cell.name}: expected ${cell.expected}, got ${got}`);
      const was = before(cell);
      if (was === undefined) continue;
      const changed = was !== after(cell);
      const shouldChange = isSuccess(cell.expected) && !cell.variant.route.startsWith('GET ');
      if (changed !== shouldChange) mismatches.push(`${cell.name}: its object ${changed ? 'changed' : 'did not change'} (answered ${got})`);
    }
    const routes = new Set(VARIANTS.map((v) => v.route)).size;
    const byAnswer = new Map<string, number>();
    for (const cell of table) byAnswer.set(cell.expected, (byAnswer.get(cell.expected) ?? 0) + 1);
    console.log(
      `authorization sweep: ${table.length} cells = ${VARIANTS.length} variants of ${routes} routes × ${CALLER_NAMES.length} callers ` +
        `(project routes on private and public projects), ${mismatches.length} mismatches; fixtures ${fixtureMs} ms, requests ${Date.now() - started} ms; ` +
        `expected answers: ${[...byAnswer].map(([answer, count]) => `${answer}: ${count}`).join(', ')}`,
    );
    expect(mismatches).toEqual([]);
  }, 120_000);
});
