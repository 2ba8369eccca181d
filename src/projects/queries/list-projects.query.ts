import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { preparedQuery } from '../../database/prepared.js';
import { projectsWithRoleSql, toProjectResponse, visibleProjectsSql, type ProjectResponse, type ProjectRow } from '../dto/project.dto.js';
import { projectRolesSql } from '../roles/project-roles.sql.js';
import { orderBySql, ProjectFilters } from './project-filters.js';

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

/** The two statements of a list page, with their parameters (the benchmark's ceiling runs these very statements). */
export interface ListStatements {
  page: { sql: string; params: unknown[] };
  count: { sql: string; params: unknown[] };
}

export function listProjectsStatements(userId: string, criteria: ListProjectsCriteria, page: PageRequest): ListStatements {
  const params: unknown[] = [userId];
  const roles = projectRolesSql('$1', { includePublic: criteria.includePublic });
  const filters = new ProjectFilters(params).exact('owner', criteria.owner).exact('name', criteria.name).search(criteria.search);
  const countParams = [...params];
  const pageSql = projectsWithRoleSql(roles, { where: filters.where, orderBy: orderBySql(criteria.ordering), limitOffset: limitOffsetSql(page, params) });
  return {
    page: { sql: pageSql, params },
    count: {
      sql: `SELECT count(*)::int AS count FROM (${visibleProjectsSql(roles)}) p JOIN accounts o ON o.id = p.owner_id ${filters.where}`,
      params: countParams,
    },
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
