import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
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

@QueryHandler(ListPublicProjectsQuery)
export class ListPublicProjectsHandler implements IQueryHandler<ListPublicProjectsQuery> {
  constructor(private readonly db: DataSource) {}

  execute({ actor, criteria, page }: ListPublicProjectsQuery): Promise<Page<ProjectResponse>> {
    return runProjectList(this.db, listPublicProjectsStatements(actor.id, criteria, page), page);
  }
}
