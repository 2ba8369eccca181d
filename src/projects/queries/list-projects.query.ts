import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../common/actor.js';
import { Page, type PageRequest } from '../../common/pagination.js';
import { toProjectResponse, type ProjectResponse } from '../dto/project.dto.js';
import type { ListProjectsCriteria } from '../project-lists.sql.js';
import { ProjectsRepository } from '../projects.repository.js';

/** GET /projects/: every project the caller has a role on (public-only ones on request), one statement per page, its total included. */
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
  constructor(private readonly projects: ProjectsRepository) {}

  async execute({ actor, criteria, page }: ListProjectsQuery): Promise<Page<ProjectResponse>> {
    const { rows, total } = await this.projects.listVisible(actor.id, criteria, page);
    return new Page(rows.map(toProjectResponse), total, page);
  }
}
