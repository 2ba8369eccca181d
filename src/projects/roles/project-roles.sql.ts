import { PROJECT_ROLES, ROLE_ORIGINS } from './roles.js';

/*
 * THE role computation of spec §6.2, in SQL: every source that applies gives a candidate
 * (project_id, role, origin), and each project keeps its highest role, the earlier origin winning a
 * tie. List visibility, the `user_role`/`user_role_origin` fields and every permission check are built
 * from these sources, so they cannot disagree.
 *
 * The sources come in two kinds, because lists read them differently:
 * - owner-wide: the caller has one role on every project of an owner (their own projects, and those of
 *   an organization they own or belong to). A list reads each such owner's projects in index order.
 * - single projects: collaborations, direct or through a team, one project each.
 * `user` is the SQL expression of the caller's account id (a parameter such as `$1`).
 */

/**
 * Rows (owner_id, role, origin): owners on all of whose projects the caller has that role. With
 * `names`, each row carries the owner's lower-cased username too (`name`), which lists order and
 * filter owners by: read here from the accounts rows the roles come from anyway.
 */
function ownerWideRolesSql(user: string, options: { names?: boolean } = {}): string {
  const name = (expression: string) => (options.names ? `, ${expression}` : '');
  return [
    // The caller owns the project.
    `SELECT ${user}::uuid AS owner_id, 'admin'::project_role AS role, 'direct' AS origin${name(`(SELECT lower(a.username) FROM accounts a WHERE a.id = ${user}) AS name`)}`,
    // The owner of the owning organization.
    `SELECT o.id, 'admin'::project_role, 'organization'${name('lower(o.username)')} FROM accounts o WHERE o.organization_owner_id = ${user}`,
    // A member of the owning organization: admins are admins, others get the organization's default role.
    `SELECT o.id, CASE WHEN m.role = 'admin' THEN 'admin'::project_role ELSE o.default_project_role_for_members END, 'organization'${name('lower(o.username)')}
       FROM organization_members m JOIN accounts o ON o.id = m.organization_id
      WHERE m.member_id = ${user} AND (m.role = 'admin' OR o.default_project_role_for_members IS NOT NULL)`,
  ].join('\n      UNION ALL\n      ');
}

/**
 * Rows (project_id, role, origin) of the caller's collaborations. `scope` is an optional condition on
 * `p` (the projects row), so a lookup of a few projects starts from them.
 */
function collaborationRolesSql(user: string, scope?: string): string {
  const and = scope ? `AND (${scope})` : '';
  return [
    // A direct collaborator; on an organization's project only while owner or member of it (§6.3).
    `SELECT p.id AS project_id, c.role, 'direct' AS origin
       FROM project_collaborators c JOIN projects p ON p.id = c.project_id JOIN accounts o ON o.id = p.owner_id
      WHERE c.collaborator_id = ${user} ${and}
        AND (o.type = 1 OR o.organization_owner_id = ${user}
             OR EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = o.id AND m.member_id = ${user}))`,
    // A team the caller belongs to collaborates on the project.
    `SELECT p.id, c.role, 'team'
       FROM team_members tm JOIN project_collaborators c ON c.collaborator_id = tm.team_id JOIN projects p ON p.id = c.project_id
      WHERE tm.member_id = ${user} ${and}`,
  ].join('\n      UNION ALL\n      ');
}

/**
 * Rows (project_id, role, origin): the caller's role on each project they have one on, among the
 * projects that satisfy `scope` (a condition on `p`; give one: without it every visible project is
 * computed). Without `includePublic` the public source is left out: a project whose only role comes
 * from being public then has no row, which is what GET /projects/ without include_public wants (any
 * other source outranks or ties-and-beats `public`).
 */
export function projectRolesSql(user: string, options: { scope?: string; includePublic: boolean }): string {
  const where = options.scope ? `WHERE ${options.scope}` : '';
  const sources = [
    `SELECT p.id AS project_id, w.role, w.origin FROM owner_roles w JOIN projects p ON p.owner_id = w.owner_id ${where}`,
    `SELECT * FROM (${collaborationRolesSql(user, options.scope)}) c`,
  ];
  if (options.includePublic) sources.push(`SELECT p.id, ${PUBLIC_ROLE} FROM projects p WHERE p.is_public ${options.scope ? `AND (${options.scope})` : ''}`);
  // The owner-wide roles are computed once (MATERIALIZED), not again for each project in scope.
  return `
    SELECT DISTINCT ON (candidate.project_id) candidate.project_id, candidate.role::text AS role, candidate.origin
      FROM (WITH owner_roles AS MATERIALIZED (${ownerWideRolesSql(user)})
            ${sources.join('\n      UNION ALL\n      ')}) AS candidate
     ORDER BY candidate.project_id, ${RANKING('candidate')}`;
}

/**
 * For list pages: the caller's owner-wide roles and collaborations, computed once per statement as the
 * CTEs `owner_roles` (owner_id, role, origin, name: the owner's lower-cased username) and `collaboration_roles` (project_id, role, origin). The
 * list picks its candidates from them, and pageRowRoleSql ranks them for each row of the page.
 */
export function callerRoleSetsSql(user: string): string {
  return `owner_roles AS MATERIALIZED (${ownerWideRolesSql(user, { names: true })}),
    collaboration_roles AS MATERIALIZED (${collaborationRolesSql(user)})`;
}

/** The caller's role on the project row `p`, from callerRoleSetsSql's CTEs: a LATERAL subquery of one row (role, origin). */
export function pageRowRoleSql(options: { includePublic: boolean }): string {
  const sources = [
    `SELECT w.role, w.origin FROM owner_roles w WHERE w.owner_id = p.owner_id`,
    `SELECT c.role, c.origin FROM collaboration_roles c WHERE c.project_id = p.id`,
  ];
  if (options.includePublic) sources.push(`SELECT ${PUBLIC_ROLE} WHERE p.is_public`);
  return `SELECT candidate.role::text AS role, candidate.origin
      FROM (${sources.join(' UNION ALL ')}) AS candidate
     ORDER BY ${RANKING('candidate')} LIMIT 1`;
}

/** A public project gives everyone (role, origin) = reader, public. */
const PUBLIC_ROLE = `'reader'::project_role, 'public'`;

/** Highest role first, then the earlier origin (spec §6.2). */
const RANKING = (alias: string) => `${rank(`${alias}.role::text`, PROJECT_ROLES)}, ${rank(`${alias}.origin`, ROLE_ORIGINS)}`;

/** `CASE x WHEN 'first' THEN 0 WHEN 'second' THEN 1 … END`: the position in a precedence list. */
function rank(expression: string, order: readonly string[]): string {
  return `CASE ${expression} ${order.map((value, i) => `WHEN '${value}' THEN ${i}`).join(' ')} END`;
}
