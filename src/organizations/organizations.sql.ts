import { PERSON_COLUMNS, STORAGE_USED_SQL } from '../accounts/accounts.sql.js';
import { AccountType } from '../common/account-type.js';

/** The SQL fragments the organizations repository composes its statements from. */

/**
 * The caller's standing in organization `org` (an accounts alias): 'owner', their membership role
 * (from `membership`, the organization_members row of the caller, LEFT JOINed), or null. The one
 * definition: the access guard, the organization object and the projects module all get it from here.
 */
export const standingSql = (org: string, viewer: string, membership: string) =>
  `CASE WHEN ${org}.organization_owner_id = ${viewer} THEN 'owner' ELSE ${membership}.role::text END`;

/**
 * The columns of the organization object beyond the account's own, for `a` (the account) as `viewer`
 * (a SQL expression) sees it; needs organizationJoins. Members and teams are aggregated in place, so a
 * list of organizations is still one statement.
 */
export const organizationColumns = (viewer: string) => `
  ow.username AS organization_owner, a.default_project_role_for_members::text AS default_role,
  ${standingSql('a', viewer, 'vm')} AS standing,
  ARRAY(SELECT mu.username FROM organization_members om JOIN accounts mu ON mu.id = om.member_id
         WHERE om.organization_id = a.id ORDER BY lower(mu.username)) AS members,
  ARRAY(SELECT substring(t.username FROM length(a.username) + 3) FROM accounts t
         WHERE t.team_organization_id = a.id ORDER BY lower(t.username)) AS teams`;

export const organizationJoins = (viewer: string) => `
  LEFT JOIN accounts ow ON ow.id = a.organization_owner_id
  LEFT JOIN organization_members vm ON vm.organization_id = a.id AND vm.member_id = ${viewer}`;

/** Organizations as `viewer` sees them, in one statement; `where` is a condition on `a` (the organization). */
export function organizationsSql(viewer: string, where: string, rest = ''): string {
  return `
    SELECT a.id, a.username, a.email, a.storage_quota_bytes, ${STORAGE_USED_SQL} AS storage_used_bytes, ${organizationColumns(viewer)}
      FROM accounts a ${organizationJoins(viewer)}
     WHERE a.type = ${AccountType.Organization} AND (${where}) ${rest}`;
}

/**
 * GET /users/… answers persons and organizations alike: one SELECT gives the columns of both objects
 * for `a` (the account) as `viewer` (a SQL expression) sees it, and the mapper picks by type.
 */
export const userSelectSql = (viewer: string) =>
  `SELECT ${PERSON_COLUMNS}, ${STORAGE_USED_SQL} AS storage_used_bytes, ${organizationColumns(viewer)} FROM accounts a ${organizationJoins(viewer)}`;

/** SELECT list for MemberRow from MEMBER_FROM. */
export const MEMBER_COLUMNS = `o.username AS organization, u.username AS member, m.role::text AS role, m.created_at`;
/** organization_members m, with accounts o (the organization) and u (the member). */
export const MEMBER_FROM = `organization_members m JOIN accounts o ON o.id = m.organization_id JOIN accounts u ON u.id = m.member_id`;

/** Teams of organization `$1` as TeamResponse rows; `where` filters `t` (the team account). */
export function teamsSql(where: string, rest = ''): string {
  return `
    SELECT substring(t.username FROM length(o.username) + 3) AS team, o.username AS organization,
           ARRAY(SELECT u.username FROM team_members tm JOIN accounts u ON u.id = tm.member_id WHERE tm.team_id = t.id ORDER BY lower(u.username)) AS members
      FROM accounts t JOIN accounts o ON o.id = t.team_organization_id
     WHERE t.team_organization_id = $1 AND (${where}) ${rest}`;
}

/** The stored name of a team: `@<organization>/<team>` (spec §4). */
export const teamAccountName = (organization: string, team: string) => `@${organization}/${team}`;
