import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../common/actor.js';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { PROJECT_SORT_KEYS, projectPageSql, type ProjectResponse } from '../dto/project.dto.js';
import { callerRoleSetsSql, pageRowRoleSql } from '../roles/project-roles.sql.js';
import { PUBLIC_PROJECTS_TOTAL, runProjectList, type ListStatements } from './list-projects.query.js';
import { orderBySql, ProjectFilters } from './project-filters.js';

/** GET /projects/public/: every public project, each with the caller's real role (at least reader/public). */
export class ListPublicProjectsQuery extends Query<Page<ProjectResponse>> {
  constructor(
    readonly actor: Actor,
    readonly criteria: { search?: string; ordering?: string },
    readonly page: PageRequest,
  ) {
    super();
  }
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

@QueryHandler(ListPublicProjectsQuery)
export class ListPublicProjectsHandler implements IQueryHandler<ListPublicProjectsQuery> {
  constructor(private readonly db: DataSource) {}

  execute({ actor, criteria, page }: ListPublicProjectsQuery): Promise<Page<ProjectResponse>> {
    return runProjectList(this.db, listPublicProjectsStatements(actor.id, criteria, page), page);
  }
}
