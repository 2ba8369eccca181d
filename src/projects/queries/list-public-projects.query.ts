import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../common/actor.js';
import { Page, type PageRequest } from '../../common/pagination.js';
import { toProjectResponse, type ProjectResponse } from '../dto/project.dto.js';
import { ProjectsRepository } from '../projects.repository.js';

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
  constructor(private readonly projects: ProjectsRepository) {}

  async execute({ actor, criteria, page }: ListPublicProjectsQuery): Promise<Page<ProjectResponse>> {
    const { rows, total } = await this.projects.listPublic(actor.id, criteria, page);
    return new Page(rows.map(toProjectResponse), total, page);
  }
}
