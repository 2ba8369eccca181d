import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { preparedQuery } from '../../database/prepared.js';
import { PROJECT_SORT_KEYS, projectPageSql, toProjectResponse, type ProjectResponse, type ProjectRow } from '../dto/project.dto.js';
import { callerRoleSetsSql, pageRowRoleSql } from '../roles/project-roles.sql.js';
import { orderBySql, ownerOrderBySql, ProjectFilters } from './project-filters.js';

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
