import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../common/actor.js';
import { ObjectNotFound } from '../../common/errors.js';
import { toProjectDetailResponse, toProjectResponse, type ProjectDetailResponse, type ProjectResponse } from '../dto/project.dto.js';
import { ProjectsRepository } from '../projects.repository.js';

/** GET /projects/{id}/ (the guard has checked the id and the caller's role). */
export class GetProjectQuery extends Query<ProjectDetailResponse> {
  constructor(
    readonly actor: Actor,
    readonly projectId: string,
  ) {
    super();
  }
}

@QueryHandler(GetProjectQuery)
export class GetProjectHandler implements IQueryHandler<GetProjectQuery> {
  constructor(private readonly projects: ProjectsRepository) {}

  async execute({ actor, projectId }: GetProjectQuery): Promise<ProjectDetailResponse> {
    const row = await this.projects.findAsSeenBy(actor.id, projectId, { details: true });
    if (!row) throw new ObjectNotFound('No such project');
    return toProjectDetailResponse(row);
  }
}

/** The project object as `userId` sees it; commands answer with it too, from their transaction's repository. */
export async function loadProject(projects: ProjectsRepository, userId: string, projectId: string): Promise<ProjectResponse> {
  const row = await projects.findAsSeenBy(userId, projectId);
  if (!row) throw new ObjectNotFound('No such project');
  return toProjectResponse(row);
}
