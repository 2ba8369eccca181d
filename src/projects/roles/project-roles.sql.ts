import { PROJECT_ROLES, ROLE_ORIGINS } from './roles.js';

/**
 * THE role computation of spec §6.2, in SQL: every source that applies gives a candidate
 * (project_id, role, origin), and each project keeps its highest role, the earlier origin winning a
 * tie. List visibility, the `user_role`/`user_role_origin` fields and every permission check use this
 * one query, so they cannot disagree.
 *
 * `user` is the SQL expression of the caller's account id (a parameter such as `$1`). `scope` is an
 * optional condition on `p` (the projects row) applied inside every source, so the planner starts from
 * the caller's own memberships and the requested projects, never from the whole projects table.
 * Without `includePublic` the public source is left out: a project whose only role comes from being
 * public then has no row, which is what GET /projects/ without include_public wants (any other source
 * outranks or ties-and-beats `public`).
 */
/** Carried by every source, so a list page can filter and sort the visible projects without reading them again. */
const SORT_KEYS = 'p.owner_id, p.name, p.is_featured, p.created_at';

export function projectRolesSql(user: string, options: { scope?: string; includePublic: boolean }): string {
  const scope = options.scope ? `AND (${options.scope})` : '';
  const sources = [
    // The caller owns the project.
    `SELECT p.id AS project_id, 'admin'::project_role AS role, 'direct' AS origin, ${SORT_KEYS}
       FROM projects p WHERE p.owner_id = ${user} ${scope}`,
    // A direct collaborator; on an organization's project only while owner or member of it (§6.3).
    `SELECT p.id, c.role, 'direct', ${SORT_KEYS}
       FROM project_collaborators c JOIN projects p ON p.id = c.project_id JOIN accounts o ON o.id = p.owner_id
      WHERE c.collaborator_id = ${user} ${scope}
        AND (o.type = 1 OR o.organization_owner_id = ${user}
             OR EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = o.id AND m.member_id = ${user}))`,
    // The owner of the owning organization.
    `SELECT p.id, 'admin'::project_role, 'organization', ${SORT_KEYS}
       FROM accounts o JOIN projects p ON p.owner_id = o.id
      WHERE o.organization_owner_id = ${user} ${scope}`,
    // A member of the owning organization: admins are admins, others get the organization's default role.
    `SELECT p.id, CASE WHEN m.role = 'admin' THEN 'admin'::project_role ELSE o.default_project_role_for_members END, 'organization', ${SORT_KEYS}
       FROM organization_members m JOIN accounts o ON o.id = m.organization_id JOIN projects p ON p.owner_id = o.id
      WHERE m.member_id = ${user} AND (m.role = 'admin' OR o.default_project_role_for_members IS NOT NULL) ${scope}`,
    // A team the caller belongs to collaborates on the project.
    `SELECT p.id, c.role, 'team', ${SORT_KEYS}
       FROM team_members tm JOIN project_collaborators c ON c.collaborator_id = tm.team_id JOIN projects p ON p.id = c.project_id
      WHERE tm.member_id = ${user} ${scope}`,
  ];
  if (options.includePublic) {
    sources.push(`SELECT p.id, 'reader'::project_role, 'public', ${SORT_KEYS} FROM projects p WHERE p.is_public ${scope}`);
  }
  return `
    SELECT DISTINCT ON (candidate.project_id) candidate.project_id, candidate.role::text AS role, candidate.origin,
           candidate.owner_id, candidate.name, candidate.is_featured, candidate.created_at
      FROM (${sources.join('\n      UNION ALL\n      ')}) AS candidate
     ORDER BY candidate.project_id, ${rank('candidate.role::text', PROJECT_ROLES)}, ${rank('candidate.origin', ROLE_ORIGINS)}`;
}

/** `CASE x WHEN 'first' THEN 0 WHEN 'second' THEN 1 … END`: the position in a precedence list. */
function rank(expression: string, order: readonly string[]): string {
  return `CASE ${expression} ${order.map((value, i) => `WHEN '${value}' THEN ${i}`).join(' ')} END`;
}
