import { limitOffsetSql, type PageRequest } from '../common/pagination.js';
import { orderBySql, ownerOrderBySql, ProjectFilters } from './project-filters.sql.js';
import { PROJECT_SORT_KEYS, projectPageSql } from './project-select.sql.js';
import { callerRoleSetsSql, pageRowRoleSql } from './roles/project-roles.sql.js';

/*
 * The statements of the two project lists, GET /projects/ and GET /projects/public/: one statement
 * per page plus a count. ProjectsRepository runs them; the benchmark's ceiling runs these very
 * statements too, so they are built here, apart from the repository's connection.
 */

export interface ListProjectsCriteria {
  includePublic: boolean;
  owner?: string;
  name?: string;
  search?: string;
  ordering?: string;
}

/** The number of public projects, from the counts the database keeps (migration PublicProjectCounts). */
export const PUBLIC_PROJECTS_TOTAL = '(SELECT sum(projects) FROM public_project_counts)';

/** The two statements of a list page, with their parameters (the benchmark's ceiling runs these very statements). */
export interface ListStatements {
  page: { sql: string; params: unknown[] };
  count: { sql: string; params: unknown[] };
}

/**
 * The page is the first rows, in the requested order, of three disjoint sets, each read in index order
 * and cut at offset + limit rows: the projects of every owner the caller sees whole (their own, their
 * organizations'), the other projects they collaborate on, and (include_public) the remaining public
 * projects. So a page reads about offset + limit rows per owner, however many projects the caller
 * sees, and the roles are computed for the page's rows only. The count adds the three sets up.
 */
export function listProjectsStatements(userId: string, criteria: ListProjectsCriteria, page: PageRequest): ListStatements {
  const params: unknown[] = [userId];
  const filters = new ProjectFilters(params).exact('owner', criteria.owner).exact('name', criteria.name).search(criteria.search);
  const and = filters.conditions.map((condition) => ` AND ${condition}`).join('');
  const countParams = [...params];

  // Each set leaves out what an earlier one holds, so no project is read or counted twice.
  const ownedElsewhere = 'p.owner_id NOT IN (SELECT owner_id FROM owner_roles)';
  const collaborated = 'p.id IN (SELECT project_id FROM collaboration_roles)';
  const sets = [`${collaborated} AND ${ownedElsewhere}`];
  if (criteria.includePublic) sets.push(`p.is_public AND ${ownedElsewhere} AND NOT ${collaborated}`);

  const orderBy = orderBySql(criteria.ordering);
  params.push(page.limit === null ? null : page.offset + page.limit);
  const firstRows = `LIMIT $${params.length}`;
  const candidates = [
    `SELECT c.* FROM (SELECT DISTINCT owner_id FROM owner_roles) w CROSS JOIN LATERAL (
       SELECT ${PROJECT_SORT_KEYS} FROM projects p WHERE p.owner_id = w.owner_id${and} ${ownerOrderBySql(criteria.ordering)} ${firstRows}) c`,
    ...sets.map((set) => `(SELECT ${PROJECT_SORT_KEYS} FROM projects p WHERE ${set}${and} ${orderBy} ${firstRows})`),
  ];
  const pageSql = `SELECT * FROM (${candidates.join('\n      UNION ALL\n      ')}) p ${orderBy} ${limitOffsetSql(page, params)}`;
  const count = (where: string) => `SELECT count(*) FROM projects p WHERE ${where}`;
  const owned = 'p.owner_id IN (SELECT owner_id FROM owner_roles)';
  const counts = [count(`${owned}${and}`), count(`${sets[0]}${and}`)];
  if (criteria.includePublic) {
    // Unfiltered, the remaining public projects are all of them less the public ones of the first two
    // sets, which are few: no need to count the public projects one by one.
    counts.push(
      and ? count(`${sets[1]}${and}`) : `${PUBLIC_PROJECTS_TOTAL} - (${count(`p.is_public AND ${owned}`)}) - (${count(`p.is_public AND ${sets[0]}`)})`,
    );
  }
  return {
    page: { sql: projectPageSql({ ctes: callerRoleSetsSql('$1'), pageSql, role: pageRowRoleSql(criteria), orderBy }), params },
    count: { sql: `WITH ${callerRoleSetsSql('$1')} SELECT (${counts.map((count) => `(${count})`).join(' + ')})::int AS count`, params: countParams },
  };
}

/** The page is read in index order from the public projects alone; the roles are computed for its rows only. */
export function listPublicProjectsStatements(userId: string, criteria: { search?: string; ordering?: string }, page: PageRequest): ListStatements {
  const params: unknown[] = [userId];
  const filters = new ProjectFilters(params).search(criteria.search);
  const and = filters.conditions.map((condition) => ` AND ${condition}`).join('');
  const countParams: unknown[] = [];
  const countFilters = new ProjectFilters(countParams).search(criteria.search);
  const orderBy = orderBySql(criteria.ordering);
  const pageSql = `SELECT ${PROJECT_SORT_KEYS} FROM projects p WHERE p.is_public${and} ${orderBy} ${limitOffsetSql(page, params)}`;
  return {
    page: { sql: projectPageSql({ ctes: callerRoleSetsSql('$1'), pageSql, role: pageRowRoleSql({ includePublic: true }), orderBy }), params },
    count: {
      sql: countFilters.conditions.length
        ? `SELECT count(*)::int AS count FROM projects p WHERE ${['p.is_public', ...countFilters.conditions].join(' AND ')}`
        : `SELECT ${PUBLIC_PROJECTS_TOTAL}::int AS count`,
      params: countParams,
    },
  };
}
