import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Actor } from '../../common/actor.js';
import { ObjectNotFound, PermissionDenied } from '../../common/errors.js';
import { toProjectDetailResponse, toProjectResponse, type ProjectDetailResponse, type ProjectResponse } from '../dto/project.dto.js';
import { ProjectsRepository } from '../projects.repository.js';
import { projectIdFromPath } from '../roles/project-role.guard.js';
import { may } from '../roles/roles.js';

/**
 * GET /projects/{id}/: the id checked as the role guard checks it (400, 404, 403 without a role), from
 * the one statement that reads the project with the caller's role. The guard would read that role in
 * a statement of its own first, a third query for the most frequent read of all.
 */
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
    const row = await this.projects.findAsSeenBy(actor.id, projectIdFromPath(projectId), { details: true });
    if (!row) throw new ObjectNotFound('No such project');
    if (!may(row.role, 'read')) throw new PermissionDenied();
    return toProjectDetailResponse(row);
  }
}

/** The project object as `userId` sees it; commands answer with it too, from their transaction's repository. */
export async function loadProject(projects: ProjectsRepository, userId: string, projectId: string): Promise<ProjectResponse> {
  const row = await projects.findAsSeenBy(userId, projectId);
  if (!row) throw new ObjectNotFound('No such project');
  return toProjectResponse(row);
}
