// The authorization rules of the contract (/work/shared/spec/api.md), written once as data, for the
// authorization sweep (test/authorization-sweep.e2e.spec.ts). Everything here is read from the spec
// text, never from the server's own tables (src/projects/roles/roles.ts, the organization guard): a
// sweep that derived its expectations from the code under test could not fail.

export const ROLES = ['admin', 'manager', 'editor', 'reporter', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/** The caller's standing in an organization (§4.2): its owner, a member with its role, or none. */
export type Standing = 'owner' | 'admin' | 'creator' | 'member' | null;

/**
 * Who calls, described by the relations the fixtures give them (the fixtures build exactly these, the
 * expected role is computed from them by the rules of §6.2 below):
 * - `direct`: a direct collaborator row with that role on the cell's project (a person's project);
 * - `ownsProject`: the person owning the cell's project;
 * - `membership`: standing in the organization that owns the cell's project (project routes) or the
 *   cell's organization (organization routes); `team`: also in a team of it that collaborates on the
 *   organization's project;
 * - `staff`: `is_staff`; `anonymous`: no token at all; `unusableToken`: a token that has expired, or
 *   of an inactive person (§3), which no relation makes good.
 * `visibility` lists the project visibilities the caller is swept on: `none` is "no relation to a
 * private project", `public` is "no relation to a public project" (so neither needs the other one).
 */
export interface CallerRelations {
  anonymous?: true;
  unusableToken?: 'expired' | 'inactive';
  direct?: Role;
  ownsProject?: true;
  membership?: Exclude<Standing, null>;
  team?: true;
  staff?: true;
  visibility: readonly Visibility[];
}
export type Visibility = 'private' | 'public';

const BOTH = ['private', 'public'] as const;

export const CALLERS = {
  anonymous: { anonymous: true, visibility: BOTH },
  none: { visibility: ['private'] },
  public: { visibility: ['public'] },
  reader: { direct: 'reader', visibility: BOTH },
  reporter: { direct: 'reporter', visibility: BOTH },
  editor: { direct: 'editor', visibility: BOTH },
  manager: { direct: 'manager', visibility: BOTH },
  admin: { direct: 'admin', visibility: BOTH },
  owner: { ownsProject: true, visibility: BOTH },
  orgMember: { membership: 'member', visibility: BOTH },
  orgCreator: { membership: 'creator', visibility: BOTH },
  orgAdmin: { membership: 'admin', team: true, visibility: BOTH }, // in the team too, so leaving a team has an allowed cell
  orgOwner: { membership: 'owner', visibility: BOTH },
  teamMember: { membership: 'member', team: true, visibility: BOTH },
  staff: { staff: true, visibility: BOTH },
  expired: { unusableToken: 'expired', direct: 'admin', visibility: BOTH },
  inactive: { unusableToken: 'inactive', direct: 'admin', visibility: BOTH },
} as const satisfies Record<string, CallerRelations>;
export type Caller = keyof typeof CALLERS;
export const CALLER_NAMES = Object.keys(CALLERS) as Caller[];

/** The organization's `default_project_role_for_members` and its team's collaborator role, as the fixtures set them. */
export const ORGANIZATION_DEFAULT_ROLE: Role = 'reporter';
export const TEAM_ROLE: Role = 'manager';

/** A project of an organization when the caller's relation is through one; a person's project otherwise. */
export const projectOwnerKind = (caller: Caller): 'person' | 'organization' => ((CALLERS[caller] as CallerRelations).membership ? 'organization' : 'person');

export const ORIGINS = ['direct', 'organization', 'team', 'public'] as const;
export type Origin = (typeof ORIGINS)[number];
export interface Access {
  role: Role;
  origin: Origin;
}

/** The higher role; on equal roles the origin listed first in §6.1 wins. */
const higher = (a: Access | null, b: Access | null): Access | null =>
  a === null
    ? b
    : b === null
      ? a
      : ROLES.indexOf(a.role) !== ROLES.indexOf(b.role)
        ? ROLES.indexOf(a.role) < ROLES.indexOf(b.role)
          ? a
          : b
        : ORIGINS.indexOf(a.origin) <= ORIGINS.indexOf(b.origin)
          ? a
          : b;

/**
 * §6.2: every source that applies gives a candidate, the caller's role is the highest (with its
 * origin). §1: staff get no implicit role on anyone's project. §3: public projects are readable by
 * every authenticated user.
 */
export function projectAccess(caller: Caller, visibility: Visibility): Access | null {
  const c: CallerRelations = CALLERS[caller];
  if (c.anonymous || c.unusableToken) return null;
  const candidate = (applies: boolean | undefined, role: Role, origin: Origin): Access | null => (applies ? { role, origin } : null);
  const candidates = [
    candidate(c.ownsProject, 'admin', 'direct'), // the caller is the owning person
    c.direct ? candidate(true, c.direct, 'direct') : null, // a direct collaborator
    candidate(c.membership === 'owner' || c.membership === 'admin', 'admin', 'organization'), // owner or admin member of the owning organization
    candidate(c.membership === 'creator' || c.membership === 'member', ORGANIZATION_DEFAULT_ROLE, 'organization'), // another member: the default role
    candidate(c.team, TEAM_ROLE, 'team'), // a team the caller belongs to collaborates
    candidate(visibility === 'public', 'reader', 'public'),
  ];
  return candidates.reduce(higher, null);
}

export const projectRole = (caller: Caller, visibility: Visibility): Role | null => projectAccess(caller, visibility)?.role ?? null;

const Y = true;
const _ = false;

/**
 * §6.4, one row per action, one column per role; `touchAdminCollaborator` is §6.3's "a manager cannot
 * grant `admin`, nor change or remove an admin collaborator".
 */
//                                 admin manager editor reporter reader
export const PROJECT_ACTIONS = {
  read: [Y, Y, Y, Y, Y],
  uploadThumbnail: [Y, Y, Y, Y, _],
  uploadFiles: [Y, Y, Y, Y, _],
  modifyRestrictedFiles: [Y, Y, _, _, _],
  deleteFiles: [Y, Y, Y, _, _],
  updateProject: [Y, Y, _, _, _],
  transferOwner: [Y, Y, _, _, _],
  manageCollaborators: [Y, Y, _, _, _],
  touchAdminCollaborator: [Y, _, _, _, _],
  deleteProject: [Y, _, _, _, _],
  readJobs: [Y, Y, Y, Y, Y],
  triggerPackage: [Y, Y, Y, Y, Y],
  readPackages: [Y, Y, Y, Y, Y], // the latest package and its files
  triggerJobs: [Y, Y, Y, Y, _], // process_projectfile, delta_apply
  deltas: [Y, Y, Y, Y, _], // push and list deltas (§11.2)
} as const satisfies Record<string, readonly [boolean, boolean, boolean, boolean, boolean]>;
export type ProjectAction = keyof typeof PROJECT_ACTIONS;

export const mayOnProject = (role: Role | null, action: ProjectAction): boolean => role !== null && PROJECT_ACTIONS[action][ROLES.indexOf(role)];

/**
 * §4.2, one row per action, one column per standing. Reads (members, teams, team members): the owner
 * and members; writes: the owner and admins; handing the organization over (`organization_owner`) and
 * deleting it (§4.1): the owner only; creating a project in it (§5.5): the owner and admins. Staff have no implicit rights in organizations.
 */
//                                 owner  admin  creator member outsider
export const ORGANIZATION_ACTIONS = {
  read: [Y, Y, Y, Y, _],
  manage: [Y, Y, _, _, _],
  handOver: [Y, _, _, _, _],
  createProject: [Y, Y, Y, _, _],
  delete: [Y, _, _, _, _],
} as const satisfies Record<string, readonly [boolean, boolean, boolean, boolean, boolean]>;
export type OrganizationAction = keyof typeof ORGANIZATION_ACTIONS;

const STANDINGS: readonly Standing[] = ['owner', 'admin', 'creator', 'member', null];
export const mayInOrganization = (standing: Standing, action: OrganizationAction): boolean => ORGANIZATION_ACTIONS[action][STANDINGS.indexOf(standing)];

export const standingOf = (caller: Caller): Standing => (CALLERS[caller] as CallerRelations).membership ?? null;
export const isStaff = (caller: Caller): boolean => (CALLERS[caller] as CallerRelations).staff === true;
export const isAnonymous = (caller: Caller): boolean => (CALLERS[caller] as CallerRelations).anonymous === true;
export const unusableToken = (caller: Caller): CallerRelations['unusableToken'] => (CALLERS[caller] as CallerRelations).unusableToken;
export const inTeam = (caller: Caller): boolean => (CALLERS[caller] as CallerRelations).team === true;

/** What a rule sees of one cell. */
export interface Facts {
  caller: Caller;
  staff: boolean;
  /** §6.2: the caller's role on the cell's project (project routes); null otherwise or without one. */
  role: Role | null;
  /** §4.2: the caller's standing in the cell's organization (the owner of project routes' organization projects too). */
  standing: Standing;
}

/** A rule answers whether the caller may (true: the success status; false: 403), or the status itself. */
export type Rule = (f: Facts) => boolean | 404;

export const rules = {
  /** Any authenticated caller (anonymous callers are answered 401 before any rule, unless the route is anonymous). */
  authenticated: (): boolean => true,
  staffOnly: (f: Facts): boolean => f.staff,
  nobody: (): boolean => false,
  project: (action: ProjectAction) => (f: Facts) => mayOnProject(f.role, action),
  organization: (action: OrganizationAction) => (f: Facts) => mayInOrganization(f.standing, action),
} satisfies Record<string, unknown>;

/** The error code of each refusal status (§2). */
export const ERROR_CODES: Record<number, string> = {
  401: 'not_authenticated', // token_authentication_failed for a token that cannot be used
  403: 'permission_denied',
  404: 'object_not_found',
};
