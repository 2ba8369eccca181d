import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { ObjectNotFound } from '../../common/errors.js';
import { projectMaybeWithRoleSql, toProjectResponse, type ProjectResponse } from '../dto/project.dto.js';
import { projectRolesSql } from '../roles/project-roles.sql.js';

/** GET /projects/{id}/ (the guard has checked the id and the caller's role). */
export class GetProjectQuery extends Query<ProjectResponse> {
  constructor(
    readonly actor: Actor,
    readonly projectId: string,
  ) {
    super();
  }
}

@QueryHandler(GetProjectQuery)
export class GetProjectHandler implements IQueryHandler<GetProjectQuery> {
  constructor(private readonly db: DataSource) {}

  execute({ actor, projectId }: GetProjectQuery): Promise<ProjectResponse> {
    return loadProject(this.db.manager, actor.id, projectId);
  }
}

/** The project object as `userId` sees it (null role fields when they have none); commands answer with it too. */
export async function loadProject(db: EntityManager, userId: string, projectId: string): Promise<ProjectResponse> {
  const roles = projectRolesSql('$2', { scope: 'p.id = $1', includePublic: true });
  const [row] = await db.query(projectMaybeWithRoleSql(roles, 'WHERE p.id = $1'), [projectId, userId]);
  if (!row) throw new ObjectNotFound('No such project');
  return toProjectResponse(row);
}
