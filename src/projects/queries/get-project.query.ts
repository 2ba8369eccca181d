import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '../../auth/actor.js';
import { ObjectNotFound } from '../../common/errors.js';
import { preparedQuery } from '../../database/prepared.js';
import { projectMaybeWithRoleSql, toProjectDetailResponse, toProjectResponse, type ProjectDetailResponse, type ProjectResponse, type ProjectRow } from '../dto/project.dto.js';
import { projectRolesSql } from '../roles/project-roles.sql.js';

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
  constructor(private readonly db: DataSource) {}

  async execute({ actor, projectId }: GetProjectQuery): Promise<ProjectDetailResponse> {
    const [row] = await preparedQuery<ProjectRow>(this.db, PROJECT_WITH_DETAILS, [projectId, actor.id]);
    if (!row) throw new ObjectNotFound('No such project');
    return toProjectDetailResponse(row);
  }
}

/** One project ($1) as a user ($2) sees it, null role fields when they have none. */
const PROJECT_AS_SEEN_BY = projectMaybeWithRoleSql(projectRolesSql('$2', { scope: 'p.id = $1', includePublic: true }), 'WHERE p.id = $1');
const PROJECT_WITH_DETAILS = projectMaybeWithRoleSql(projectRolesSql('$2', { scope: 'p.id = $1', includePublic: true }), 'WHERE p.id = $1', { details: true });

/** The project object inside a command's transaction: commands answer with what they changed. */
export async function loadProject(db: EntityManager, userId: string, projectId: string): Promise<ProjectResponse> {
  const [row] = await db.query(PROJECT_AS_SEEN_BY, [projectId, userId]);
  if (!row) throw new ObjectNotFound('No such project');
  return toProjectResponse(row);
}
