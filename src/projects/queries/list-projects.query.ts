import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../common/actor.js';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { preparedQuery } from '../../database/prepared.js';
import { PROJECT_SORT_KEYS, projectPageSql, toProjectResponse, type ProjectResponse, type ProjectRow } from '../dto/project.dto.js';
import { callerRoleSetsSql, pageRowRoleSql } from '../roles/project-roles.sql.js';
import { orderBySql, ownerOrderBySql, ProjectFilters } from './project-filters.js';

export interface ListProjectsCriteria {
  includePublic: boolean;
  owner?: string;
  name?: string;
  search?: string;
  ordering?: string;
}

/** GET /projects/: every project the caller has a role on (public-only ones on request), one statement per page plus a count. */
export class ListProjectsQuery extends Query<Page<ProjectResponse>> {
  constructor(
    readonly actor: Actor,
    readonly criteria: ListProjectsCriteria,
    readonly page: PageRequest,
  ) {
    super();
  }
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

@QueryHandler(ListProjectsQuery)
export class ListProjectsHandler implements IQueryHandler<ListProjectsQuery> {
  constructor(private readonly db: DataSource) {}

  execute({ actor, criteria, page }: ListProjectsQuery): Promise<Page<ProjectResponse>> {
    return runProjectList(this.db, listProjectsStatements(actor.id, criteria, page), page);
  }
}

/** Runs a list's page and count statements (prepared) and maps the rows: both project lists use it. */
export async function runProjectList(db: DataSource, statements: ListStatements, page: PageRequest): Promise<Page<ProjectResponse>> {
  const rows = await preparedQuery<ProjectRow>(db, statements.page.sql, statements.page.params);
  const [{ count }] = await preparedQuery<{ count: number }>(db, statements.count.sql, statements.count.params);
  return new Page(rows.map(toProjectResponse), count, page);
}
