import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { limitOffsetSql, Page, type PageRequest } from '../../common/pagination.js';
import { projectsWithRoleSql, toProjectResponse, type ProjectResponse } from '../dto/project.dto.js';
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

@QueryHandler(ListProjectsQuery)
export class ListProjectsHandler implements IQueryHandler<ListProjectsQuery> {
  constructor(private readonly db: DataSource) {}

  async execute({ actor, criteria, page }: ListProjectsQuery): Promise<Page<ProjectResponse>> {
    const params: unknown[] = [actor.id];
    const roles = projectRolesSql('$1', { includePublic: criteria.includePublic });
    const filters = new ProjectFilters(params).exact('owner', criteria.owner).exact('name', criteria.name).search(criteria.search);
    const filterParams = [...params];
    const rows = await this.db.query(projectsWithRoleSql(roles, `${filters.where} ${orderBySql(criteria.ordering)} ${limitOffsetSql(page, params)}`), params);
    const [{ count }] = await this.db.query(
      `SELECT count(*)::int AS count FROM (${roles}) r JOIN projects p ON p.id = r.project_id JOIN accounts o ON o.id = p.owner_id ${filters.where}`,
      filterParams,
    );
    return new Page(rows.map(toProjectResponse), count, page);
  }
}
