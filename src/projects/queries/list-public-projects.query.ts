import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { projectsWithRoleSql, type ProjectResponse } from '../dto/project.dto.js';
import { projectRolesSql } from '../roles/project-roles.sql.js';
import { runProjectList, type ListStatements } from './list-projects.query.js';
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

export function listPublicProjectsStatements(userId: string, criteria: { search?: string; ordering?: string }, page: PageRequest): ListStatements {
  const params: unknown[] = [userId];
  const roles = projectRolesSql('$1', { scope: 'p.is_public', includePublic: true });
  const filters = new ProjectFilters(params).search(criteria.search);
  const countParams: unknown[] = [];
  const countFilters = new ProjectFilters(countParams).search(criteria.search);
  return {
    page: { sql: projectsWithRoleSql(roles, { where: filters.where, orderBy: orderBySql(criteria.ordering), limitOffset: limitOffsetSql(page, params) }), params },
    count: {
      sql: `SELECT count(*)::int AS count FROM projects p JOIN accounts o ON o.id = p.owner_id WHERE ${['p.is_public', ...countFilters.conditions].join(' AND ')}`,
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
