/*
 * The project object in SQL: the columns it is built from and the joins they need, for one project
 * and for a list page. Fragments of ProjectsRepository's statements; only it and the list statements
 * (project-lists.sql.ts) read them.
 */

/** The columns a project object is built from (aliases: p project, o owner, r role, sd shared datasets project). */
const PROJECT_COLUMNS = `p.id, p.name, p.project_type, o.username AS owner, p.description, p.is_public, p.created_at, p.updated_at,
  p.data_last_packaged_at, p.data_last_updated_at, p.restricted_data_last_updated_at, r.role, r.origin, sd.id AS shared_datasets_project_id,
  p.is_featured, p.is_attachment_download_on_demand, p.has_restricted_projectfiles, p.overwrite_conflicts, p.file_storage_bytes, p.the_qgis_file_name, p.qgis_version,
  EXISTS (SELECT 1 FROM jobs j WHERE j.project_id = p.id AND j.status IN ('pending', 'queued', 'started')) AS busy, p.project_details IS NOT NULL AS processed,
  EXISTS (SELECT 1 FROM jsonb_each(p.project_details->'layers_by_id') l WHERE coalesce(l.value->>'filename', '') = '') AS has_online_layers,
  (SELECT max(j.finished_at) FROM jobs j WHERE j.project_id = p.id AND j.type = 'package' AND j.status = 'finished') AS last_package_finished_at`;

const RELATED = `JOIN accounts o ON o.id = p.owner_id
  LEFT JOIN projects sd ON sd.owner_id = p.owner_id AND sd.project_type = 'shared_datasets'`;

/** The columns a list page is chosen by (filters and orders of project-filters.sql.ts read them as `p`). */
export const PROJECT_SORT_KEYS = 'p.id, p.is_featured, p.owner_name_lower, p.name, p.created_at';

/**
 * A page of projects in one statement: `ctes` (callerRoleSetsSql and the list's own), then `pageSql`
 * picks the page's rows (PROJECT_SORT_KEYS, ordered and limited), then the details and the caller's role
 * (`role`, a LATERAL subquery on `p`) are joined for those rows alone. `total`, a scalar subquery over
 * the same CTEs, is the list's length on every row (`total_count`), so a page needs no second statement.
 */
export function projectPageSql(page: { ctes: string; pageSql: string; role: string; orderBy: string; total: string }): string {
  return `
    WITH ${page.ctes}, page AS (${page.pageSql})
    SELECT ${PROJECT_COLUMNS}, (${page.total})::int AS total_count
      FROM page JOIN projects p ON p.id = page.id
      CROSS JOIN LATERAL (${page.role}) r ${RELATED}
     ${page.orderBy}`;
}

/** One project whether or not the caller has a role on it (null role fields then). */
export function projectMaybeWithRoleSql(roles: string, rest: string, options: { details?: boolean } = {}): string {
  return `SELECT ${PROJECT_COLUMNS}${options.details ? ', p.project_details' : ''} FROM projects p LEFT JOIN (${roles}) r ON r.project_id = p.id ${RELATED} ${rest}`;
}
