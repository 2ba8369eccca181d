import { projectMaybeWithRoleSql } from './project-select.sql.js';
import { projectRolesSql } from './roles/project-roles.sql.js';

/*
 * The statements that read one project: the role guard's and GET /projects/{id}/'s. ProjectsRepository
 * runs them; the benchmark's ceiling runs these very statements too.
 */

/** One project ($1) as a user ($2) sees it, null role fields when they have none. */
export const PROJECT_AS_SEEN_BY = projectMaybeWithRoleSql(projectRolesSql('$2', { scope: 'p.id = $1', includePublic: true }), 'WHERE p.id = $1');

/** The same, with what the last successful process_projectfile found (GET /projects/{id}/ only). */
export const PROJECT_WITH_DETAILS = projectMaybeWithRoleSql(projectRolesSql('$2', { scope: 'p.id = $1', includePublic: true }), 'WHERE p.id = $1', {
  details: true,
});

/** The caller's ($2) role on one project ($1); no row when the project does not exist. */
export const ROLE_ON_PROJECT = `SELECT p.id, r.role, r.origin FROM projects p
       LEFT JOIN (${projectRolesSql('$2', { scope: 'p.id = $1', includePublic: true })}) r ON r.project_id = p.id
      WHERE p.id = $1`;
